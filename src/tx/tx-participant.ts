// A transaction participant (TP) on one node (algorithms.md §7.4, §7.5): for every replica it owns it
// validates `txPrepare` against the stored item, stores the lock, then votes to the transaction's f
// acceptors; it applies `txFinal` (commit or abort) and acknowledges it. A replica being repaired
// votes abort (§6.4: it abstains). A lock held for long — its `final` lost, or its TM and deciding rTM
// gone — makes the TP ask the acceptors for the outcome. Store before sending: always.
import type { Env } from "../core/env.js";
import type { IdSpace, RingId } from "../core/id-space.js";
import type { NodeRef } from "../core/node-ref.js";
import { emptyItem, type StoredItem } from "../store/item.js";
import { replicaIds } from "../store/replicas.js";
import type { RingAccess } from "../store/ring-access.js";
import type { StorePort } from "../store/store-port.js";
import type { TxConfig } from "./tx-coordinator.js";
import { abort, commit, prepare, type Vote } from "./tx-lock.js";
import type { TxMessage, TxTimer } from "./tx-messages.js";

/** Which replica ids this node serves with complete data (the replica store decides). */
export interface ServingCheck {
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
    let vote = this.votes.get(slot);
    let reason = "";
    if (vote === undefined) {
      if (!this.replicas.serves(msg.replicaId)) {
        vote = "abort";
        reason = "a replica is being repaired";
      } else {
        const item = this.port.get(msg.replicaId, msg.entry.key) ?? emptyItem(msg.entry.key, msg.replicaId);
        const prepared = prepare(item, msg.tid, msg.entry, msg.round, msg.acceptors);
        if (prepared.item !== item) this.port.put(prepared.item);
        vote = prepared.vote;
        reason = prepared.reason;
      }
      this.remember(slot, vote);
    }
    const keys = msg.keys;
    for (const acceptor of msg.acceptors)
      this.env.send(acceptor, {
        type: "txVote",
        tid: msg.tid,
        instance,
        vote: vote as Vote,
        reason,
        keys,
        acceptors: msg.acceptors,
      });
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
   */
  private onFinal(from: NodeRef, msg: Extract<TxMessage, { type: "txFinal" }>): void {
    if (!this.owns(msg.key, msg.replicaId)) {
      if (msg.item >= 0)
        this.env.send(from, { type: "txMisrouted", tid: msg.tid, item: msg.item, replica: msg.replica });
      return;
    }
    if (!this.replicas.serves(msg.replicaId)) return; // unsynced: the decider sends it again
    const slot = `${msg.tid}/${msg.replicaId.toString(36)}`;
    const item = this.port.get(msg.replicaId, msg.key);
    let holds = !msg.commit || this.applied.has(slot);
    if (item?.locks.some((l) => l.tid === msg.tid)) {
      this.port.put(msg.commit ? commit(item, msg.tid) : abort(item, msg.tid));
      holds = true;
      if (msg.commit) this.rememberApplied(slot);
    }
    if (msg.item >= 0)
      this.env.send(from, { type: "txApplied", tid: msg.tid, item: msg.item, replica: msg.replica, holds });
  }

  private rememberApplied(slot: string): void {
    if (this.applied.size >= 100_000) {
      const oldest = this.applied.keys().next();
      if (oldest.done !== true) this.applied.delete(oldest.value);
    }
    this.applied.add(slot);
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
