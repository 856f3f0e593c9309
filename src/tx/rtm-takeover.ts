// Leading a ballot over every instance of a transaction (docs/transactions.md §8): rTM j that heard
// `txInit` and no decision within takeoverMs + j·electMs takes over, as does the TM when its voting
// period ends undecided, and any acceptor a locked replica asks about an old undecided transaction.
// Phase 1 to all acceptors with a ballot of the leader's own (j+1 + k(f+1)); with a majority of
// promises it proposes, per instance, the vote accepted with the highest ballot, or abort. Ballots
// keep concurrent leaders safe; a refused or silent ballot is retried above the highest promise seen.
import type { Env } from "../core/env.js";
import { invariant } from "../core/invariant.js";
import type { NodeRef } from "../core/node-ref.js";
import { sendToAcceptor } from "./owner-send.js";
import { nextBallot, proposal } from "./paxos-acceptor.js";
import { majorityOf, type TxConfig } from "./tx-config.js";
import type { AcceptedVote, TxMessage, TxTimer } from "./tx-messages.js";
import type { TxState } from "./tx-state.js";
import type { TxTable } from "./tx-table.js";

export class RtmTakeover {
  private readonly env: Env<TxMessage, TxTimer>;
  private readonly config: TxConfig;
  private readonly table: TxTable;
  private readonly self: () => NodeRef;
  private readonly f: number;
  private readonly majority: number;

  constructor(env: Env<TxMessage, TxTimer>, config: TxConfig, table: TxTable, self: () => NodeRef) {
    this.env = env;
    this.config = config;
    this.table = table;
    this.self = self;
    this.f = config.replication;
    this.majority = majorityOf(config.replication);
  }

  /** rTM `msg.index` gets the log: it can finish the transaction, and times the TM from now. */
  onInit(msg: Extract<TxMessage, { type: "txInit" }>): void {
    const tx = this.table.asAcceptor(
      msg.tid,
      msg.acceptors,
      msg.log.map((e) => e.key),
      this.self(),
      this.env.now(),
    );
    if (tx === null) return;
    if (tx.log === null || tx.log.length === 0) {
      tx.log = msg.log;
      tx.keys = msg.log.map((e) => e.key);
      tx.round = msg.round;
    }
    if (tx.decision !== null || tx.client.onDone !== null) return;
    // Fault hook: the TM suspected at once (a false suspicion): rTM j leads after j·electMs only,
    // alongside a live TM. Ballots keep it safe; only the staggered waits are skipped.
    const suspectMs = this.env.buggify("tx.takeover.early") ? 0 : this.config.takeoverMs;
    const delay = suspectMs + msg.index * this.config.electMs;
    this.env.setTimer(delay, { type: "txTakeover", tid: msg.tid, attempt: 0 });
  }

  /** The `txTakeover` timer: still undecided, and no newer attempt of ours under way: lead. */
  onTakeover(tid: string, attempt: number): void {
    const tx = this.table.get(tid);
    if (tx === undefined || tx.decision !== null || attempt !== tx.leader.takeoverAttempt) return;
    this.lead(tx);
  }

  /** Phase 1 with a ballot of ours above any seen; retried after voteTimeoutMs + a random back-off. */
  lead(tx: TxState): void {
    const index = tx.mine[0];
    if (index === undefined || tx.keys.length === 0) return;
    const leader = tx.leader;
    const previous = leader.ballot;
    leader.ballot = nextBallot(index, this.f, Math.max(previous, leader.highestSeen, promisedHere(tx)));
    invariant(
      leader.ballot > previous && (leader.ballot - index - 1) % (this.f + 1) === 0,
      "leader: ballots are its own and rise",
      () => `tx ${tx.tid}: acceptor ${index} led ballot ${previous}, then ${leader.ballot}`,
    );
    leader.promises.clear();
    leader.acceptedBy.clear();
    leader.proposal = null;
    leader.takeoverAttempt++;
    const ballot: TxMessage = {
      type: "txBallot",
      tid: tx.tid,
      ballot: leader.ballot,
      keys: tx.keys,
      acceptors: tx.acceptors,
    };
    for (let i = 0; i < this.f; i++) sendToAcceptor(this.env, tx, i, ballot);
    // No decision by then (lost messages, a competing leader): try again with a higher ballot.
    const backoff = this.config.electMs * (1 + this.env.random());
    this.env.setTimer(this.config.voteTimeoutMs + backoff, {
      type: "txTakeover",
      tid: tx.tid,
      attempt: leader.takeoverAttempt,
    });
  }

  /** A majority of promises for our ballot: propose, per instance, the highest accepted vote or abort. */
  onPromise(msg: Extract<TxMessage, { type: "txPromise" }>): void {
    const tx = this.table.get(msg.tid);
    if (tx === undefined || tx.decision !== null) return;
    const leader = tx.leader;
    if (msg.ballot !== leader.ballot || leader.proposal !== null) return;
    leader.highestSeen = Math.max(leader.highestSeen, msg.promised);
    if (!msg.ok) return; // a higher ballot leads; the takeover timer tries again above it
    leader.promises.set(msg.index, msg.accepted);
    if (leader.promises.size < this.majority) return;
    leader.proposal = proposal(tx.keys.length * this.f, [...leader.promises.values()]);
    keepsChosen(tx, leader.proposal);
    const accept: TxMessage = {
      type: "txAccept",
      tid: tx.tid,
      ballot: leader.ballot,
      votes: leader.proposal,
    };
    for (let index = 0; index < this.f; index++) sendToAcceptor(this.env, tx, index, accept);
  }

  /** A replica still holding a lock of `tid` asks: tell it the outcome, or lead a ballot to find it. */
  onAsk(from: NodeRef, msg: Extract<TxMessage, { type: "txAsk" }>): void {
    const tx = this.table.get(msg.tid);
    if (tx === undefined) return;
    if (tx.decision !== null) {
      this.env.send(from, {
        type: "txFinal",
        tid: tx.tid,
        commit: tx.decision,
        item: -1,
        replica: -1,
        key: msg.key,
        replicaId: msg.replicaId,
      });
      return;
    }
    if (tx.leader.ballot === 0 && this.env.now() - tx.startedMs > this.config.takeoverMs) this.lead(tx);
  }
}

/**
 * A proposal from a majority of promises carries every value already chosen (docs/transactions.md §7: Paxos's
 * safety).
 */
function keepsChosen(tx: TxState, votes: readonly AcceptedVote[]): void {
  for (const [instance, chosen] of tx.learner.decided) {
    const proposed = votes[instance]?.vote;
    invariant(
      proposed === chosen,
      "leader: a proposal keeps every chosen value",
      () =>
        `tx ${tx.tid} ballot ${tx.leader.ballot}: instance ${instance} was chosen ${chosen}, proposed ${proposed}`,
    );
  }
}

/** The highest ballot this node's acceptors promised for `tx`. */
function promisedHere(tx: TxState): number {
  let p = 0;
  for (const s of tx.acceptor.states.values()) p = Math.max(p, s.promised);
  return p;
}
