// The TM (docs/transactions.md §2, §5): the node a client commits through. It is acceptor 0; it finds
// its rTMs, sends `txPrepare` to every replica of every item and `txInit` (the log) to the rTMs at
// once, and when its voting period ends undecided it leads a ballot of its own over every instance.
// The learner, the decider and the final delivery finish the commit; the client hears once. Must not
// break: the TM decides only through the learner and the decider, and an acceptor that gets a vote before
// `txInit` must still count it (prepares leave first, in the same step).
import type { Env } from "../core/env.js";
import type { IdSpace, RingId } from "../core/id-space.js";
import type { NodeRef } from "../core/node-ref.js";
import type { Round } from "../store/item.js";
import { replicaIds } from "../store/replicas.js";
import type { RingAccess } from "../store/ring-access.js";
import type { OwnerSender } from "./owner-send.js";
import type { RtmDiscovery, TxSequence } from "./rtm-discovery.js";
import type { RtmTakeover } from "./rtm-takeover.js";
import type { TxConfig } from "./tx-config.js";
import type { TxDecider } from "./tx-decider.js";
import type { TxEntry } from "./tx-lock.js";
import type { TxMessage, TxTimer } from "./tx-messages.js";
import type { TxOutcome } from "./tx-outcome.js";
import { indexesOf, newTxState, type TxState } from "./tx-state.js";
import type { TxTable } from "./tx-table.js";

/** What the TM needs from the register's proposer: rounds above any seen on this node. */
export interface RoundSource {
  newRound(): Round;
}

/** The TM's collaborators: the roles it hands a commit on to. */
interface TmRoles {
  readonly table: TxTable;
  readonly sequence: TxSequence;
  readonly discovery: RtmDiscovery;
  readonly sender: OwnerSender;
  readonly leader: RtmTakeover;
  readonly decider: TxDecider;
}

export class TransactionManager {
  private readonly env: Env<TxMessage, TxTimer>;
  private readonly ids: IdSpace;
  private readonly config: TxConfig;
  private readonly ring: RingAccess;
  private readonly rounds: RoundSource;
  private readonly roles: TmRoles;

  constructor(
    env: Env<TxMessage, TxTimer>,
    ids: IdSpace,
    config: TxConfig,
    ring: RingAccess,
    rounds: RoundSource,
    roles: TmRoles,
  ) {
    this.env = env;
    this.ids = ids;
    this.config = config;
    this.ring = ring;
    this.rounds = rounds;
    this.roles = roles;
  }

  /** Commits `log` (docs/transactions.md §5); `onDone` runs once, in a later handler. */
  commit(log: readonly TxEntry[], onDone: (outcome: TxOutcome) => void): void {
    const tid = `${this.ring.self.nonce}.${this.roles.sequence.nextTid()}`;
    if (log.length === 0) {
      this.env.setTimer(0, { type: "txVoteTimeout", tid });
      this.roles.table.add(newTxState(tid, [], [], [], this.env.now(), onDone));
      return;
    }
    this.roles.discovery.find(0, (rtms) => {
      if (rtms === null) {
        onDone({ ok: false, code: "unavailable", message: `commit ${tid}: the rTMs cannot be found` });
        return;
      }
      this.begin(tid, log, rtms, onDone);
    });
  }

  /** The `txVoteTimeout` timer: an empty log commits; undecided instances get a ballot of the TM's. */
  onVoteTimeout(tid: string): void {
    const tx = this.roles.table.get(tid);
    if (tx === undefined || tx.decision !== null) return;
    // Undecided by now: an acceptor may be gone; the next transaction looks the rTMs up first.
    this.roles.discovery.forget();
    if (tx.keys.length === 0)
      this.roles.decider.decide(tx, true); // nothing to commit
    else this.roles.leader.lead(tx);
  }

  /** A TP does not own the replica id it got: forget that owner, route the prepare again. */
  onMisrouted(from: NodeRef, msg: Extract<TxMessage, { type: "txMisrouted" }>): void {
    this.roles.sender.forget(from);
    const tx = this.roles.table.get(msg.tid);
    if (tx === undefined) return;
    if (tx.decision === null) this.sendPrepare(tx, msg.item, msg.replica, false);
    // a misrouted final is sent again by the resend timer, through the overlay
  }

  /** Prepares to every replica and the log to every rTM, at once; then the voting and client timers. */
  private begin(tid: string, log: readonly TxEntry[], rtms: NodeRef[], onDone: (o: TxOutcome) => void): void {
    const acceptors = [this.ring.self, ...rtms];
    const mine = indexesOf(acceptors, this.ring.self);
    const tx = newTxState(tid, log, acceptors, mine, this.env.now(), onDone);
    const round = this.rounds.newRound();
    tx.round = round;
    this.roles.table.add(tx);
    this.sendPrepares(tx);
    rtms.forEach((rtm, j) => {
      this.env.send(rtm, { type: "txInit", tid, index: j + 1, acceptors, log, round });
    });
    // Fault hook: the voting period cut to nothing: the TM leads its own ballot while votes are in flight.
    const votingMs = this.env.buggify("tx.voteTimeout.early") ? 0 : this.config.voteTimeoutMs;
    this.env.setTimer(votingMs, { type: "txVoteTimeout", tid });
    this.env.setTimer(this.config.deadlineMs, { type: "txDeadline", tid });
  }

  private sendPrepares(tx: TxState): void {
    (tx.log ?? []).forEach((_, item) => {
      for (let replica = 0; replica < this.config.replication; replica++)
        this.sendPrepare(tx, item, replica, true);
    });
  }

  private sendPrepare(tx: TxState, item: number, replica: number, useCache: boolean): void {
    const entry = (tx.log ?? [])[item];
    const replicaId = entry === undefined ? undefined : this.replicaId(entry.key, replica);
    if (entry === undefined || replicaId === undefined || tx.round === null) return;
    const msg: TxMessage = {
      type: "txPrepare",
      tid: tx.tid,
      item,
      replica,
      replicaId,
      entry,
      keys: tx.keys,
      round: tx.round,
      acceptors: tx.acceptors,
    };
    this.roles.sender.send(replicaId, msg, useCache);
  }

  private replicaId(key: string, replica: number): RingId | undefined {
    return replicaIds(this.ids, this.config.replication, key)[replica];
  }
}
