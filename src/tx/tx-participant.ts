// A transaction participant (TP) on one node (docs/transactions.md §5, §6): for every replica it owns it
// validates `txPrepare` against the stored item, stores the lock, then votes to the transaction's f
// acceptors; it applies `txFinal` (commit or abort) and acknowledges it. A replica being repaired votes abort
// (docs/replication.md §4: it abstains). A lock held for long — its `final` lost, or its TM and deciding rTM
// gone — makes the TP ask the acceptors for the outcome. Store before sending: always.
import type { Env } from "../core/env.js";
import type { IdSpace, RingId } from "../core/id-space.js";
import { invariant } from "../core/invariant.js";
import type { NodeRef } from "../core/node-ref.js";
import { emptyItem, type StoredItem } from "../store/item.js";
import { replicaIds } from "../store/replicas.js";
import type { RingAccess } from "../store/ring-access.js";
import type { StorePort } from "../store/store-port.js";
import type { TxConfig } from "./tx-config.js";
import { abort, commit, prepare, type Vote } from "./tx-lock.js";
import type { TxMessage, TxTimer } from "./tx-messages.js";

/** Which replica ids this node serves with complete data (the replica store decides). */
interface ServingCheck {
  serves(id: RingId): boolean;
}

export class TxParticipant {
  private readonly env: Env<TxMessage, TxTimer>;
  private readonly ids: IdSpace;
  private readonly config: TxConfig;
  private readonly port: StorePort;
  private readonly ring: RingAccess;
  private readonly replicas: ServingCheck;
  /** The vote given per (tid, instance): a prepare sent again gets the same vote. Bounded. */
  private readonly votes = new Map<string, Vote>();
  /** The (tid, replica) commits applied here: a final sent again is answered the same. Bounded. */
  private readonly applied = new Set<string>();
  /** The (tid, replica) aborts applied here, to check that no replica applies both outcomes. Bounded. */
  private readonly aborted = new Set<string>();
  /** The (tid, replica) whose outcome reached this replica, lock or not: a later prepare locks nothing. Bounded. */
  private readonly decided = new Set<string>();
  /** When this node first saw each held lock (tid → ms), for the lock check. */
  private readonly lockSeen = new Map<string, number>();

  constructor(
    env: Env<TxMessage, TxTimer>,
    ids: IdSpace,
    config: TxConfig,
    port: StorePort,
    ring: RingAccess,
    replicas: ServingCheck,
  ) {
    this.env = env;
    this.ids = ids;
    this.config = config;
    this.port = port;
    this.ring = ring;
    this.replicas = replicas;
  }

  start(): void {
    this.env.setTimer(this.config.lockCheckMs, { type: "txLockCheck" });
  }

  onMessage(from: NodeRef, msg: TxMessage): void {
    if (msg.type === "txPrepare") this.onPrepare(from, msg);
    else if (msg.type === "txFinal") this.onFinal(from, msg);
  }

  onTimer(tag: TxTimer): void {
    if (tag.type === "txLockCheck") this.checkLocks();
  }

  private owns(key: string, replicaId: RingId): boolean {
    return (
      this.ring.owns(replicaId) && replicaIds(this.ids, this.config.replication, key).includes(replicaId)
    );
  }

  private onPrepare(from: NodeRef, msg: Extract<TxMessage, { type: "txPrepare" }>): void {
    if (!this.owns(msg.entry.key, msg.replicaId)) {
      this.env.send(from, { type: "txMisrouted", tid: msg.tid, item: msg.item, replica: msg.replica });
      return;
    }
    const instance = msg.item * this.config.replication + msg.replica;
    const slot = `${msg.tid}/${instance}`;
    const remembered = this.votes.get(slot);
    // A first prepare after the outcome (it was delayed, or routed late): the transaction is decided, so no
    // vote can matter, and a lock taken now would wait for a final already delivered
    // (docs/transactions.md §5, C4).
    if (remembered === undefined && this.decided.has(outcomeSlot(msg.tid, msg.replicaId))) return;
    const { vote, reason } = remembered === undefined ? this.validate(msg) : { vote: remembered, reason: "" };
    if (remembered === undefined) this.remember(slot, vote);
    const ballot0: TxMessage = {
      type: "txVote",
      tid: msg.tid,
      instance,
      vote,
      reason,
      keys: msg.keys,
      acceptors: msg.acceptors,
    };
    for (const acceptor of msg.acceptors) this.env.send(acceptor, ballot0);
    // Fault hook: the vote sent again, after the first copies (a resent prepare does the same).
    if (this.env.buggify("tx.vote.resend"))
      for (const acceptor of msg.acceptors) this.env.send(acceptor, ballot0);
  }

  /**
   * A first vote on an instance: abort from an unsynced replica, else the validation of
   * docs/transactions.md §6, stored (C4).
   */
  private validate(msg: Extract<TxMessage, { type: "txPrepare" }>): { vote: Vote; reason: string } {
    if (!this.replicas.serves(msg.replicaId)) return { vote: "abort", reason: "a replica is being repaired" };
    const item = this.port.get(msg.replicaId, msg.entry.key) ?? emptyItem(msg.entry.key, msg.replicaId);
    const prepared = prepare(item, msg.tid, msg.entry, msg.round, msg.acceptors);
    if (prepared.item !== item) this.port.put(prepared.item);
    invariant(
      prepared.vote === "abort" ||
        this.port.get(msg.replicaId, msg.entry.key)?.locks.some((l) => l.tid === msg.tid) === true,
      "TP: a prepared vote's lock is stored before the vote is sent",
      () => `${msg.entry.key} replica ${msg.replica}: ${msg.tid} votes prepared with no lock stored`,
    );
    return { vote: prepared.vote, reason: prepared.reason };
  }

  private remember(slot: string, vote: Vote): void {
    if (this.votes.size >= 100_000) {
      const oldest = this.votes.keys().next();
      if (oldest.done !== true) this.votes.delete(oldest.value);
    }
    this.votes.set(slot, vote);
  }

  /**
   * Applies an outcome. The answer says whether this replica now holds it: a commit counts towards
   * the client's majority only where the transaction's lock was (or was applied before) — a replica
   * that never prepared, or whose data is still on its way (hand-over, repair), is no copy of it.
   * An unsynced replica that holds the lock applies it like any other: the lock is its own vote, and
   * only a final or an acceptor's answer releases it (docs/transactions.md §5, C9).
   */
  private onFinal(from: NodeRef, msg: Extract<TxMessage, { type: "txFinal" }>): void {
    if (!this.owns(msg.key, msg.replicaId)) {
      if (msg.item >= 0)
        this.env.send(from, { type: "txMisrouted", tid: msg.tid, item: msg.item, replica: msg.replica });
      return;
    }
    const item = this.port.get(msg.replicaId, msg.key);
    const locked = item?.locks.some((l) => l.tid === msg.tid) === true;
    // Unsynced and no lock here: its lock may still be on its way, so the decider sends the final again.
    if (!locked && !this.replicas.serves(msg.replicaId)) return;
    const slot = outcomeSlot(msg.tid, msg.replicaId);
    invariant(
      !(msg.commit ? this.aborted : this.applied).has(slot),
      "TP: one outcome per transaction at a replica",
      () =>
        `${msg.key}: ${msg.tid} got ${msg.commit ? "commit" : "abort"} after the other outcome was applied`,
    );
    let holds = !msg.commit || this.applied.has(slot);
    if (locked && item !== undefined) {
      this.port.put(msg.commit ? commit(item, msg.tid) : abort(item, msg.tid));
      holds = true;
      this.rememberApplied(msg.commit ? this.applied : this.aborted, slot);
    }
    this.rememberApplied(this.decided, slot);
    if (msg.item >= 0)
      this.env.send(from, { type: "txApplied", tid: msg.tid, item: msg.item, replica: msg.replica, holds });
  }

  private rememberApplied(applied: Set<string>, slot: string): void {
    if (applied.size >= 100_000) {
      const oldest = applied.keys().next();
      if (oldest.done !== true) applied.delete(oldest.value);
    }
    applied.add(slot);
  }

  /** Every lock in my range held longer than lockAgeMs: ask its acceptors how it ended. */
  private checkLocks(): void {
    this.env.setTimer(this.config.lockCheckMs, { type: "txLockCheck" });
    const pred = this.ring.pred;
    if (pred === null) return;
    const now = this.env.now();
    const held = new Set<string>();
    for (const item of this.port.range(pred.id, this.ring.self.id)) {
      if (item.locks.length > 0) this.checkItem(item, now, held);
    }
    for (const tid of this.lockSeen.keys()) if (!held.has(tid)) this.lockSeen.delete(tid);
  }

  private checkItem(item: StoredItem, now: number, held: Set<string>): void {
    for (const lock of item.locks) {
      held.add(lock.tid);
      const since = this.lockSeen.get(lock.tid);
      if (since === undefined) {
        this.lockSeen.set(lock.tid, now);
        continue;
      }
      if (now - since < this.config.lockAgeMs) continue;
      for (const acceptor of lock.acceptors)
        this.env.send(acceptor, { type: "txAsk", tid: lock.tid, key: item.key, replicaId: item.replicaId });
    }
  }
}

/** One replica's slot of a transaction, for the outcomes it heard. */
function outcomeSlot(tid: string, replicaId: RingId): string {
  return `${tid}/${replicaId.toString(36)}`;
}
