// Paxos Commit's TM, rTMs, acceptors and learners on one node (algorithms.md §7.1–§7.4, §7.7). The
// TM (acceptor 0) sends `txPrepare` to every replica of every item and `txInit` to its f-1 rTMs (the
// owners of its own id's replica ids) at once; each TP votes straight to the f acceptors (ballot 0);
// the acceptors tell the TM, which decides once every instance has a majority, sends `txFinal` and
// answers its client when a majority of each item's replicas applied it: 5 one-way delays. A TM
// that has no decision by the voting timeout, and an rTM that has none by its takeover time, lead
// a ballot of their own over every instance (undecided ones become abort); ballots keep concurrent
// leaders safe. Never decide from fewer than a majority of acceptors.
import type { Env } from "../core/env.js";
import type { IdSpace, RingId } from "../core/id-space.js";
import { type NodeRef, sameNode } from "../core/node-ref.js";
import type { Round } from "../store/item.js";
import type { OwnerCache } from "../store/owner-cache.js";
import { replicaIds } from "../store/replicas.js";
import type { RingAccess } from "../store/ring-access.js";
import {
  type AcceptorState,
  acceptBallot,
  acceptedVotes,
  acceptFast,
  FRESH_ACCEPTOR,
  nextBallot,
  promise,
  proposal,
} from "./paxos-acceptor.js";
import type { TxEntry, Vote } from "./tx-lock.js";
import type { AcceptedVote, TxMessage, TxTimer } from "./tx-messages.js";

export interface TxConfig {
  readonly replication: number;
  /** TM: instances undecided after this are decided by a ballot of the TM's own. */
  readonly voteTimeoutMs: number;
  /**
   * A commit uses rTMs found by a lookup at most this old (a lookup is answered by the node it finds,
   * so it shows that node alive): a transaction whose acceptors were already gone could never decide.
   */
  readonly rtmFreshMs: number;
  /** rTM j takes over a transaction still undecided this long after it heard of it, plus j × electMs. */
  readonly takeoverMs: number;
  readonly electMs: number;
  /** `final` is sent again to replicas that have not applied it, this often, this many times. */
  readonly finalResendMs: number;
  readonly finalAttempts: number;
  /**
   * An acceptor sends its ballot-0 acceptances to the TM in one message once it has one for every
   * instance, or this long after the first (a TP may be slow or gone): Paxos Commit's bundled phase 2b.
   * 0 bundles what arrives together (the timer runs after the messages already due) and delays nothing.
   */
  readonly bundleWaitMs: number;
  /** A finished transaction is remembered this long (to answer replicas that ask). */
  readonly keepDecidedMs: number;
  /** A TM that cannot find its rTMs gives up after this. */
  readonly setupTimeoutMs: number;
  /** A client with no outcome after this hears `timeout` (the outcome is unknown; work goes on). */
  readonly deadlineMs: number;
  /** TP: how often held locks are looked at. */
  readonly lockCheckMs: number;
  /** TP: a lock held this long makes its replica ask the transaction's acceptors for the outcome. */
  readonly lockAgeMs: number;
}

export const DEFAULT_TX: TxConfig = {
  replication: 4,
  voteTimeoutMs: 2000,
  rtmFreshMs: 2000,
  takeoverMs: 3000,
  electMs: 500,
  finalResendMs: 1000,
  finalAttempts: 20,
  bundleWaitMs: 0,
  keepDecidedMs: 600_000,
  setupTimeoutMs: 10_000,
  deadlineMs: 30_000,
  lockCheckMs: 5000,
  lockAgeMs: 10_000,
};

export type TxOutcome =
  | { readonly ok: true; readonly committed: true; readonly tid: string }
  | {
      readonly ok: true;
      readonly committed: false;
      readonly tid: string;
      /** The keys whose replicas refused, and why (the first reason heard). */
      readonly conflicts: readonly string[];
      readonly reason: string;
    }
  | {
      readonly ok: false;
      readonly code: "unavailable" | "timeout" | "invalid-argument";
      /** For a timeout: the outcome is unknown (the transaction may still commit). */
      readonly message: string;
    };

/** What the coordinator needs from the register's proposer: rounds above any seen on this node. */
export interface RoundSource {
  newRound(): Round;
}

interface Tx {
  readonly tid: string;
  /** My acceptor indexes (usually one; more when the ring is too small to spread the acceptors). */
  mine: number[];
  acceptors: readonly NodeRef[];
  keys: readonly string[];
  /** TM and rTMs that got `txInit`: the log (what to commit). */
  log: readonly TxEntry[] | null;
  round: Round | null;
  /** Acceptor state, per acceptor index of mine. */
  readonly acceptorState: Map<number, AcceptorState>;
  /** Learner: per instance and vote, the acceptors that accepted it with ballot 0. */
  readonly fast: Map<string, Set<number>>;
  readonly decided: Map<number, Vote>;
  /** Acceptor: ballot-0 acceptances not yet sent to the TM, per acceptor index of mine. */
  readonly bundles: Map<number, AcceptedVote[]>;
  bundleTimer: boolean;
  /** Leading a ballot: its number, the promises and accepts heard. */
  ballot: number;
  highestSeen: number;
  readonly promises: Map<number, readonly AcceptedVote[]>;
  readonly acceptedBy: Set<number>;
  proposal: AcceptedVote[] | null;
  decision: boolean | null;
  decidedAtMs: number;
  /** Decider: the replicas (instances) that answered `final`, and those that hold its outcome. */
  readonly applied: Set<number>;
  readonly holding: Set<number>;
  delivering: boolean;
  conflicts: Set<string>;
  reason: string;
  readonly startedMs: number;
  onDone: ((outcome: TxOutcome) => void) | null;
  takeoverAttempt: number;
}

export class TxCoordinator {
  private readonly env: Env<TxMessage, TxTimer>;
  private readonly ids: IdSpace;
  private readonly config: TxConfig;
  private readonly ring: RingAccess;
  private readonly owners: OwnerCache;
  private readonly rounds: RoundSource;
  private readonly txs = new Map<string, Tx>();
  private readonly f: number;
  private readonly majority: number;
  private seq = 0;
  /** The owners of my own id's replica ids 1..f-1 (the rTMs), as last looked up, and when. */
  private rtms: (NodeRef | null)[];
  private rtmsFoundMs = Number.NEGATIVE_INFINITY;
  /** A lookup of the rTMs under way: who waits for it. */
  private rtmLookup: ((ok: boolean) => void)[] | null = null;
  /** Commits waiting to look the rTMs up again after a failed lookup. */
  private readonly rtmRetries = new Map<
    number,
    { attempt: number; onFound: (rtms: NodeRef[] | null) => void }
  >();

  constructor(
    env: Env<TxMessage, TxTimer>,
    ids: IdSpace,
    config: TxConfig,
    ring: RingAccess,
    owners: OwnerCache,
    rounds: RoundSource,
  ) {
    this.env = env;
    this.ids = ids;
    this.config = config;
    this.ring = ring;
    this.owners = owners;
    this.rounds = rounds;
    this.f = config.replication;
    this.majority = Math.floor(this.f / 2) + 1;
    this.rtms = Array.from({ length: this.f - 1 }, () => null);
  }

  start(): void {
    this.env.setTimer(this.config.keepDecidedMs / 4, { type: "txGc" });
  }

  get inFlight(): number {
    let n = 0;
    for (const tx of this.txs.values()) if (tx.onDone !== null) n++;
    return n;
  }

  // ---- the TM ------------------------------------------------------------------------------------

  /** Commits `log` (§7.4); `onDone` runs once, in a later handler. */
  commit(log: readonly TxEntry[], onDone: (outcome: TxOutcome) => void): void {
    const tid = `${this.ring.self.nonce}.${++this.seq}`;
    if (log.length === 0) {
      this.env.setTimer(0, { type: "txVoteTimeout", tid });
      this.txs.set(tid, this.newTx(tid, [], [], [], onDone));
      return;
    }
    this.findRtms(0, (rtms) => {
      if (rtms === null) {
        onDone({ ok: false, code: "unavailable", message: `commit ${tid}: the rTMs cannot be found` });
        return;
      }
      const acceptors = [this.ring.self, ...rtms];
      const mine = acceptors.flatMap((a, i) => (sameNode(a, this.ring.self) ? [i] : []));
      const tx = this.newTx(tid, log, acceptors, mine, onDone);
      tx.round = this.rounds.newRound();
      this.txs.set(tid, tx);
      this.sendPrepares(tx);
      const round = tx.round;
      rtms.forEach((rtm, j) => {
        this.env.send(rtm, { type: "txInit", tid, index: j + 1, acceptors, log, round });
      });
      this.env.setTimer(this.config.voteTimeoutMs, { type: "txVoteTimeout", tid });
      this.env.setTimer(this.config.deadlineMs, { type: "txDeadline", tid });
    });
  }

  private newTx(
    tid: string,
    log: readonly TxEntry[],
    acceptors: readonly NodeRef[],
    mine: number[],
    onDone: ((outcome: TxOutcome) => void) | null,
  ): Tx {
    return {
      tid,
      mine,
      acceptors,
      keys: log.map((e) => e.key),
      log,
      round: null,
      acceptorState: new Map(mine.map((i) => [i, FRESH_ACCEPTOR])),
      fast: new Map(),
      decided: new Map(),
      bundles: new Map(),
      bundleTimer: false,
      ballot: 0,
      highestSeen: 0,
      promises: new Map(),
      acceptedBy: new Set(),
      proposal: null,
      decision: null,
      decidedAtMs: 0,
      applied: new Set(),
      holding: new Set(),
      delivering: false,
      conflicts: new Set(),
      reason: "",
      startedMs: this.env.now(),
      onDone,
      takeoverAttempt: 0,
    };
  }

  /**
   * Looks the rTMs up unless a fresh lookup is done or under way: a transaction calls this when it
   * starts, so the lookup runs alongside its reads.
   */
  warmUp(): void {
    if (this.rtmLookup !== null || this.env.now() - this.rtmsFoundMs <= this.config.rtmFreshMs / 2) return;
    this.lookupRtms();
  }

  /** The rTMs (owners of replica ids 1..f-1 of my id), found by a lookup at most rtmFreshMs old. */
  private findRtms(attempt: number, onFound: (rtms: NodeRef[] | null) => void): void {
    const fresh = this.env.now() - this.rtmsFoundMs <= this.config.rtmFreshMs;
    if (fresh && this.rtms.every((r) => r !== null)) {
      onFound(this.rtms as NodeRef[]);
      return;
    }
    if (this.rtmLookup === null) this.lookupRtms();
    this.rtmLookup?.push((ok) => {
      if (ok) onFound(this.rtms as NodeRef[]);
      else if ((attempt + 1) * this.config.voteTimeoutMs >= this.config.setupTimeoutMs) onFound(null);
      else {
        const retry = this.seq++;
        this.rtmRetries.set(retry, { attempt: attempt + 1, onFound });
        this.env.setTimer(this.config.voteTimeoutMs, { type: "txRtmRetry", retry });
      }
    });
  }

  private lookupRtms(): void {
    const waiting: ((ok: boolean) => void)[] = [];
    this.rtmLookup = waiting;
    const step = this.ids.size / BigInt(this.f);
    const startedMs = this.env.now();
    let missing = this.f - 1;
    let failed = false;
    for (let j = 1; j < this.f; j++) {
      this.ring.lookup(this.ids.add(this.ring.self.id, step * BigInt(j)), (result) => {
        if (result.ok) this.rtms[j - 1] = result.responsible;
        else failed = true;
        if (--missing > 0) return;
        if (!failed) this.rtmsFoundMs = startedMs;
        this.rtmLookup = null;
        for (const onDone of waiting) onDone(!failed);
      });
    }
  }

  private sendPrepares(tx: Tx): void {
    (tx.log ?? []).forEach((_, item) => {
      for (let replica = 0; replica < this.f; replica++) this.sendPrepare(tx, item, replica, true);
    });
  }

  private sendPrepare(tx: Tx, item: number, replica: number, useCache: boolean): void {
    const entry = (tx.log ?? [])[item];
    if (entry === undefined || tx.round === null) return;
    const replicaId = replicaIds(this.ids, this.f, entry.key)[replica] as RingId;
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
    this.sendToOwner(replicaId, msg, useCache);
  }

  /** To the owner of a replica id: the cached one, else whoever the overlay says is responsible. */
  private sendToOwner(replicaId: RingId, msg: TxMessage, useCache: boolean): void {
    const owner = useCache ? this.owners.find(replicaId) : null;
    if (owner !== null) {
      this.env.send(owner, msg);
      return;
    }
    this.ring.lookup(replicaId, (result) => {
      if (result.ok) this.env.send(result.responsible, msg);
    });
  }

  // ---- messages ----------------------------------------------------------------------------------

  onMessage(from: NodeRef, msg: TxMessage): void {
    switch (msg.type) {
      case "txInit":
        this.onInit(from, msg);
        return;
      case "txVote":
        this.onVote(msg);
        return;
      case "txAccepted":
        this.onAccepted(msg);
        return;
      case "txBallot":
        this.onBallot(from, msg);
        return;
      case "txPromise":
        this.onPromise(msg);
        return;
      case "txAccept":
        this.onAccept(from, msg);
        return;
      case "txMisrouted":
        this.onMisrouted(from, msg);
        return;
      case "txApplied":
        this.onApplied(msg);
        return;
      case "txDecided":
        this.onDecided(msg);
        return;
      case "txAsk":
        this.onAsk(from, msg);
        return;
      default:
        return;
    }
  }

  onTimer(tag: TxTimer): void {
    switch (tag.type) {
      case "txVoteTimeout":
        this.onVoteTimeout(tag.tid);
        return;
      case "txTakeover":
        this.onTakeover(tag.tid, tag.attempt);
        return;
      case "txFinalResend":
        this.onFinalResend(tag.tid, tag.attempt);
        return;
      case "txGc":
        this.gc();
        return;
      case "txDeadline":
        this.onDeadline(tag.tid);
        return;
      case "txFlush":
        this.onFlush(tag.tid);
        return;
      case "txRtmRetry": {
        const waiting = this.rtmRetries.get(tag.retry);
        this.rtmRetries.delete(tag.retry);
        if (waiting !== undefined) this.findRtms(waiting.attempt, waiting.onFound);
        return;
      }
      default:
        return;
    }
  }

  /** The state of `tid` as an acceptor named in `acceptors` (made on first contact). */
  private txOf(tid: string, acceptors: readonly NodeRef[], keys: readonly string[]): Tx | null {
    const known = this.txs.get(tid);
    if (known !== undefined) return known;
    const mine = acceptors.flatMap((a, i) => (sameNode(a, this.ring.self) ? [i] : []));
    if (mine.length === 0 || acceptors.length !== this.f) return null;
    const tx = this.newTx(tid, [], acceptors, mine, null);
    tx.keys = keys;
    tx.log = null;
    this.txs.set(tid, tx);
    return tx;
  }

  private onInit(_from: NodeRef, msg: Extract<TxMessage, { type: "txInit" }>): void {
    const tx = this.txOf(
      msg.tid,
      msg.acceptors,
      msg.log.map((e) => e.key),
    );
    if (tx === null) return;
    if (tx.log === null || tx.log.length === 0) {
      tx.log = msg.log;
      tx.keys = msg.log.map((e) => e.key);
      tx.round = msg.round;
    }
    if (tx.decision !== null || tx.onDone !== null) return;
    const delay = this.config.takeoverMs + msg.index * this.config.electMs;
    this.env.setTimer(delay, { type: "txTakeover", tid: msg.tid, attempt: 0 });
  }

  /** Acceptor: a TP's vote is phase 2a of its instance with ballot 0; the learner is the TM. */
  private onVote(msg: Extract<TxMessage, { type: "txVote" }>): void {
    const tx = this.txOf(msg.tid, msg.acceptors, msg.keys);
    if (tx === null) return;
    if (msg.vote === "abort" && msg.reason !== "") {
      const key = tx.keys[Math.floor(msg.instance / this.f)];
      if (key !== undefined) tx.conflicts.add(key);
      if (tx.reason === "") tx.reason = msg.reason;
    }
    for (const index of tx.mine) {
      const state = tx.acceptorState.get(index) ?? FRESH_ACCEPTOR;
      const next = acceptFast(state, msg.instance, msg.vote);
      if (next === null) continue;
      tx.acceptorState.set(index, next);
      const pending = tx.bundles.get(index) ?? [];
      pending.push({ instance: msg.instance, ballot: 0, vote: msg.vote });
      tx.bundles.set(index, pending);
      // Every instance accepted: tell the TM now; else wait a little for the rest (one message, not n·f).
      if (next.accepted.size >= tx.keys.length * this.f) this.flushBundle(tx, index);
      else if (!tx.bundleTimer) {
        tx.bundleTimer = true;
        this.env.setTimer(this.config.bundleWaitMs, { type: "txFlush", tid: tx.tid });
      }
    }
  }

  /** Acceptor: the ballot-0 votes accepted since the last bundle go to the TM in one `txAccepted`. */
  private flushBundle(tx: Tx, index: number): void {
    const votes = tx.bundles.get(index);
    if (votes === undefined || votes.length === 0) return;
    tx.bundles.delete(index);
    this.toAcceptor(tx, 0, { type: "txAccepted", tid: tx.tid, index, ballot: 0, votes });
  }

  private onFlush(tid: string): void {
    const tx = this.txs.get(tid);
    if (tx === undefined) return;
    tx.bundleTimer = false;
    for (const index of [...tx.bundles.keys()]) this.flushBundle(tx, index);
  }

  /** Learner: ballot 0 counts per instance and vote; a leader's ballot counts over all instances. */
  private onAccepted(msg: Extract<TxMessage, { type: "txAccepted" }>): void {
    const tx = this.txs.get(msg.tid);
    if (tx === undefined || tx.decision !== null) return;
    if (msg.ballot === 0) {
      for (const v of msg.votes) {
        if (tx.decided.has(v.instance)) continue;
        const slot = `${v.instance}/${v.vote}`;
        const by = tx.fast.get(slot) ?? new Set<number>();
        by.add(msg.index);
        tx.fast.set(slot, by);
        if (by.size >= this.majority) tx.decided.set(v.instance, v.vote);
      }
    } else if (msg.ballot === tx.ballot && tx.proposal !== null) {
      tx.acceptedBy.add(msg.index);
      if (tx.acceptedBy.size >= this.majority)
        for (const v of tx.proposal) tx.decided.set(v.instance, v.vote);
    }
    this.decideIfDone(tx);
  }

  /** Phase 1 at an acceptor. */
  private onBallot(from: NodeRef, msg: Extract<TxMessage, { type: "txBallot" }>): void {
    const tx = this.txOf(msg.tid, msg.acceptors, msg.keys);
    if (tx === null) return;
    for (const index of tx.mine) {
      const state = tx.acceptorState.get(index) ?? FRESH_ACCEPTOR;
      const next = promise(state, msg.ballot);
      if (next !== null) tx.acceptorState.set(index, next);
      const reply: TxMessage = {
        type: "txPromise",
        tid: msg.tid,
        index,
        ballot: msg.ballot,
        ok: next !== null,
        promised: (next ?? state).promised,
        accepted: acceptedVotes(next ?? state),
      };
      this.env.send(from, reply);
    }
  }

  /** Leader: a majority of promises → propose, per instance, the highest accepted vote or abort. */
  private onPromise(msg: Extract<TxMessage, { type: "txPromise" }>): void {
    const tx = this.txs.get(msg.tid);
    if (tx === undefined || tx.decision !== null || msg.ballot !== tx.ballot || tx.proposal !== null) return;
    tx.highestSeen = Math.max(tx.highestSeen, msg.promised);
    if (!msg.ok) return; // a higher ballot leads; the takeover timer tries again above it
    tx.promises.set(msg.index, msg.accepted);
    if (tx.promises.size < this.majority) return;
    tx.proposal = proposal(tx.keys.length * this.f, [...tx.promises.values()]);
    const accept: TxMessage = { type: "txAccept", tid: tx.tid, ballot: tx.ballot, votes: tx.proposal };
    for (let index = 0; index < this.f; index++) this.toAcceptor(tx, index, accept);
  }

  /** Phase 2 at an acceptor: accepted goes to the leader that asked. */
  private onAccept(from: NodeRef, msg: Extract<TxMessage, { type: "txAccept" }>): void {
    const tx = this.txs.get(msg.tid);
    if (tx === undefined) return;
    for (const index of tx.mine) {
      const state = tx.acceptorState.get(index) ?? FRESH_ACCEPTOR;
      const next = acceptBallot(state, msg.ballot, msg.votes);
      if (next === null) continue;
      tx.acceptorState.set(index, next);
      const reply: TxMessage = { type: "txAccepted", tid: msg.tid, index, ballot: msg.ballot, votes: [] };
      this.env.send(from, reply);
    }
  }

  /** Sends to acceptor `index` (through the runtime even when that is this node: no re-entry). */
  private toAcceptor(tx: Tx, index: number, msg: TxMessage): void {
    const to = tx.acceptors[index];
    if (to !== undefined) this.env.send(to, msg);
  }

  // ---- leading a ballot (the TM after the voting period, an rTM taking over) ----------------------

  private onVoteTimeout(tid: string): void {
    const tx = this.txs.get(tid);
    if (tx === undefined) return;
    // Undecided by now: an acceptor may be gone; the next transaction looks the rTMs up first.
    if (tx.decision === null) this.rtmsFoundMs = Number.NEGATIVE_INFINITY;
    if (tx.keys.length === 0 && tx.decision === null) {
      this.decide(tx, true); // nothing to commit
      return;
    }
    if (tx.decision === null) this.lead(tx);
  }

  private onTakeover(tid: string, attempt: number): void {
    const tx = this.txs.get(tid);
    if (tx === undefined || tx.decision !== null || attempt !== tx.takeoverAttempt) return;
    this.lead(tx);
  }

  private lead(tx: Tx): void {
    const index = tx.mine[0];
    if (index === undefined || tx.keys.length === 0) return;
    tx.ballot = nextBallot(index, this.f, Math.max(tx.ballot, tx.highestSeen, this.promisedHere(tx)));
    tx.promises.clear();
    tx.acceptedBy.clear();
    tx.proposal = null;
    tx.takeoverAttempt++;
    const ballot: TxMessage = {
      type: "txBallot",
      tid: tx.tid,
      ballot: tx.ballot,
      keys: tx.keys,
      acceptors: tx.acceptors,
    };
    for (let i = 0; i < this.f; i++) this.toAcceptor(tx, i, ballot);
    // No decision by then (lost messages, a competing leader): try again with a higher ballot.
    const backoff = this.config.electMs * (1 + this.env.random());
    this.env.setTimer(this.config.voteTimeoutMs + backoff, {
      type: "txTakeover",
      tid: tx.tid,
      attempt: tx.takeoverAttempt,
    });
  }

  private promisedHere(tx: Tx): number {
    let p = 0;
    for (const s of tx.acceptorState.values()) p = Math.max(p, s.promised);
    return p;
  }

  // ---- deciding and delivering -------------------------------------------------------------------

  /** Commit iff every item has a majority of prepared instances; abort once any item cannot. */
  private decideIfDone(tx: Tx): void {
    if (tx.decision !== null) return;
    let allPrepared = true;
    for (let item = 0; item < tx.keys.length; item++) {
      let prepared = 0;
      let aborted = 0;
      for (let r = 0; r < this.f; r++) {
        const v = tx.decided.get(item * this.f + r);
        if (v === "prepared") prepared++;
        else if (v === "abort") aborted++;
      }
      if (aborted > this.f - this.majority) {
        this.decide(tx, false);
        return;
      }
      if (prepared < this.majority) allPrepared = false;
    }
    if (allPrepared) this.decide(tx, true);
  }

  private decide(tx: Tx, commit: boolean): void {
    tx.decision = commit;
    tx.decidedAtMs = this.env.now();
    const decided: TxMessage = { type: "txDecided", tid: tx.tid, commit };
    tx.acceptors.forEach((a, index) => {
      if (!tx.mine.includes(index)) this.env.send(a, decided);
    });
    // An abort changed nothing: the client may hear it now. A commit waits for the replicas.
    if (tx.keys.length === 0 || !commit) this.answer(tx);
    if (tx.keys.length === 0) return;
    tx.delivering = true;
    this.sendFinals(tx, true);
    this.env.setTimer(this.config.finalResendMs, { type: "txFinalResend", tid: tx.tid, attempt: 1 });
  }

  private sendFinals(tx: Tx, useCache: boolean): void {
    tx.keys.forEach((key, item) => {
      const ids = replicaIds(this.ids, this.f, key);
      ids.forEach((replicaId, replica) => {
        if (tx.applied.has(item * this.f + replica)) return;
        const msg: TxMessage = {
          type: "txFinal",
          tid: tx.tid,
          commit: tx.decision === true,
          item,
          replica,
          key,
          replicaId,
        };
        this.sendToOwner(replicaId, msg, useCache);
      });
    });
  }

  private onFinalResend(tid: string, attempt: number): void {
    const tx = this.txs.get(tid);
    if (tx === undefined || !tx.delivering) return;
    if (attempt >= this.config.finalAttempts || tx.applied.size === tx.keys.length * this.f) {
      tx.delivering = false; // replicas still locked ask the acceptors themselves
      this.answer(tx);
      return;
    }
    this.sendFinals(tx, false);
    this.env.setTimer(this.config.finalResendMs, { type: "txFinalResend", tid, attempt: attempt + 1 });
  }

  private onApplied(msg: Extract<TxMessage, { type: "txApplied" }>): void {
    const tx = this.txs.get(msg.tid);
    if (tx === undefined || !tx.delivering) return;
    const instance = msg.item * this.f + msg.replica;
    tx.applied.add(instance); // answered: not sent again
    if (msg.holds) tx.holding.add(instance);
    if (tx.applied.size === tx.keys.length * this.f) tx.delivering = false;
    // The client hears once a majority of every item's replicas holds the outcome (read-your-writes).
    const majorityEverywhere = tx.keys.every((_, item) => {
      let n = 0;
      for (let r = 0; r < this.f; r++) if (tx.holding.has(item * this.f + r)) n++;
      return n >= this.majority;
    });
    if (majorityEverywhere) this.answer(tx);
  }

  private onMisrouted(from: NodeRef, msg: Extract<TxMessage, { type: "txMisrouted" }>): void {
    this.owners.forget(from);
    const tx = this.txs.get(msg.tid);
    if (tx === undefined) return;
    if (tx.decision === null) this.sendPrepare(tx, msg.item, msg.replica, false);
    // a misrouted final is sent again by the resend timer, through the overlay
  }

  /** Another acceptor decided: the TM answers its client (the decider delivers `final`). */
  private onDecided(msg: Extract<TxMessage, { type: "txDecided" }>): void {
    const tx = this.txs.get(msg.tid);
    if (tx === undefined || tx.decision !== null) return;
    tx.decision = msg.commit;
    tx.decidedAtMs = this.env.now();
    this.answer(tx);
  }

  /** A replica still holding a lock of `tid` asks: tell it the outcome, or lead a ballot to find it. */
  private onAsk(from: NodeRef, msg: Extract<TxMessage, { type: "txAsk" }>): void {
    const tx = this.txs.get(msg.tid);
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
    if (tx.ballot === 0 && this.env.now() - tx.startedMs > this.config.takeoverMs) this.lead(tx);
  }

  private onDeadline(tid: string): void {
    const tx = this.txs.get(tid);
    if (tx === undefined || tx.onDone === null) return;
    const onDone = tx.onDone;
    tx.onDone = null;
    const state = tx.decision === null ? "undecided" : "decided, not yet applied by a majority of replicas";
    onDone({
      ok: false,
      code: "timeout",
      message: `commit ${tid}: ${state} after ${this.config.deadlineMs} ms; the outcome is unknown`,
    });
  }

  private answer(tx: Tx): void {
    const onDone = tx.onDone;
    if (onDone === null || tx.decision === null) return;
    tx.onDone = null;
    onDone(
      tx.decision
        ? { ok: true, committed: true, tid: tx.tid }
        : {
            ok: true,
            committed: false,
            tid: tx.tid,
            conflicts: [...tx.conflicts],
            reason:
              tx.reason === "" ? "a majority of some key's replicas did not prepare in time" : tx.reason,
          },
    );
  }

  private gc(): void {
    const now = this.env.now();
    for (const [tid, tx] of this.txs) {
      const finished = tx.decision !== null && !tx.delivering && tx.onDone === null;
      const idle = now - (finished ? tx.decidedAtMs : tx.startedMs);
      if (idle > this.config.keepDecidedMs) this.txs.delete(tid);
    }
    this.env.setTimer(this.config.keepDecidedMs / 4, { type: "txGc" });
  }
}
