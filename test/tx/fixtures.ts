// Fixtures for the one-component transaction rule tests (docs/transactions.md §5, §6, §8): a ring of 16
// evenly spaced nodes that answers lookups at once, the recording Env, and builders for log entries,
// votes and acceptances. With f = 4 a key's replicas and a TM's acceptors fall on four distinct nodes.
import { IdSpace, type RingId } from "../../src/core/id-space.js";
import type { NodeRef } from "../../src/core/node-ref.js";
import { emptyItem, type Round, type StoredItem, type TxLock } from "../../src/store/item.js";
import { OwnerCache } from "../../src/store/owner-cache.js";
import { replicaIds } from "../../src/store/replicas.js";
import type { RingAccess } from "../../src/store/ring-access.js";
import { DEFAULT_TX, type TxConfig } from "../../src/tx/tx-config.js";
import { TxCoordinator } from "../../src/tx/tx-coordinator.js";
import type { TxEntry, Vote } from "../../src/tx/tx-lock.js";
import type { AcceptedVote, TxMessage, TxTimer } from "../../src/tx/tx-messages.js";
import { RecordingEnv } from "../helpers/recording-env.js";

export const F = 4;
export const MAJORITY = 3;
export const NODES = 16;
export const ids = new IdSpace();
export const CONFIG: TxConfig = { ...DEFAULT_TX, replication: F };
const SPACING = ids.size / BigInt(NODES);

/** Node `k` of the ring (0..15), at id k·N/16. */
export function node(k: number): NodeRef {
  const i = ((k % NODES) + NODES) % NODES;
  return { id: SPACING * BigInt(i), addr: `node:${i}`, nonce: 1000 + i };
}

/** The node responsible for `id`: its successor among the 16. */
export function responsible(id: RingId): NodeRef {
  const k = (id + SPACING - 1n) / SPACING;
  return node(Number(k % BigInt(NODES)));
}

/**
 * A ring seen from node `k`. Lookups answer when the test calls `settle()` (never from inside the
 * call, as the overlay's never do), or fail when `failing`.
 */
export class FakeRing implements RingAccess {
  readonly self: NodeRef;
  readonly pred: NodeRef;
  readonly succ: NodeRef;
  failing = false;
  /** When set, this node owns every id (a TP test need not pick keys that land on it). */
  ownsEverything = false;
  lookups = 0;
  private readonly pending: (() => void)[] = [];

  constructor(k: number) {
    this.self = node(k);
    this.pred = node(k - 1);
    this.succ = node(k + 1);
  }

  owns(id: RingId): boolean {
    return this.ownsEverything || responsible(id).addr === this.self.addr;
  }

  lookup(id: RingId, onDone: (result: { ok: true; responsible: NodeRef } | { ok: false }) => void): void {
    this.lookups++;
    this.pending.push(() =>
      onDone(this.failing ? { ok: false } : { ok: true, responsible: responsible(id) }),
    );
  }

  /** Answers every lookup asked so far, and those the answers ask, until none is left. */
  settle(): void {
    for (let next = this.pending.shift(); next !== undefined; next = this.pending.shift()) next();
  }
}

export type TxEnv = RecordingEnv<TxMessage, TxTimer>;

/** What `env.advance` drives: the component's timers, each followed by the lookups it asked. */
export interface Driven {
  onTimer(tag: TxTimer): void;
}

/** A TxCoordinator on node `k`, with its Env and ring. */
export function coordinatorAt(k: number): { env: TxEnv; ring: FakeRing; tx: TxCoordinator; process: Driven } {
  const ring = new FakeRing(k);
  const env: TxEnv = new RecordingEnv<TxMessage, TxTimer>(ring.self);
  let counter = 0;
  const rounds = { newRound: (): Round => ({ counter: ++counter, proposer: 7 }) };
  const tx = new TxCoordinator(env, ids, CONFIG, ring, new OwnerCache(ids), rounds);
  tx.start();
  const process: Driven = {
    onTimer: (tag) => {
      tx.onTimer(tag);
      ring.settle();
    },
  };
  return { env, ring, tx, process };
}

/** The acceptors of a transaction whose TM is node `tm`: the TM, then the owners of its replica ids. */
export function acceptorsOf(tm: number): NodeRef[] {
  return [node(tm), node(tm + 4), node(tm + 8), node(tm + 12)];
}

export function write(key: string, version: number, value: string): TxEntry {
  return { key, kind: "write", version, value, tombstone: false };
}

export function read(key: string, version: number): TxEntry {
  return { key, kind: "read", version, value: null, tombstone: false };
}

/** A ballot-0 acceptance bundle from acceptor `index`: instance → vote. */
export function acceptedFast(
  tid: string,
  index: number,
  votes: readonly (readonly [number, Vote])[],
): Extract<TxMessage, { type: "txAccepted" }> {
  return {
    type: "txAccepted",
    tid,
    index,
    ballot: 0,
    votes: votes.map(([instance, vote]): AcceptedVote => ({ instance, ballot: 0, vote })),
  };
}

/** Every instance of items `items` (f replicas each) with one vote. */
export function allInstances(items: number, vote: Vote): [number, Vote][] {
  return Array.from({ length: items * F }, (_, instance): [number, Vote] => [instance, vote]);
}

/** The replica ids of `key`, replica 0 first. */
export function replicasOf(key: string): readonly RingId[] {
  return replicaIds(ids, F, key);
}

export const ROUND: Round = { counter: 5, proposer: 3 };

/** A stored item at `version` holding `locks`. */
export function itemAt(key: string, version: number, locks: readonly TxLock[] = []): StoredItem {
  const replicaId = replicasOf(key)[0] ?? 0n;
  return { ...emptyItem(key, replicaId), version, locks };
}

/** A lock of `tid` on a key, as a TP stores it. */
export function lockOf(tid: string, kind: "read" | "write", version: number): TxLock {
  return {
    tid,
    kind,
    version,
    round: ROUND,
    value: kind === "write" ? "v" : null,
    tombstone: false,
    acceptors: acceptorsOf(0),
  };
}
