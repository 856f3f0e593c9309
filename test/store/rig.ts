// A rig for one-node store rule tests: a small id space (N = 256, so ids read as numbers), a scripted ring
// the test moves by hand, a recording Env and a memory port. The ring answers lookups at once from a fixed
// list of members (the node responsible for an id is the first member at or after it). StoreRig wraps one
// node's ReplicaStore on such a ring.
import type { IdSpace, RingId } from "../../src/core/id-space.js";
import { IdSpace as Ids } from "../../src/core/id-space.js";
import type { NodeRef } from "../../src/core/node-ref.js";
import type { PredChangeCause } from "../../src/overlay/ring-hooks.js";
import { emptyItem, type Round, type StoredItem, type Value } from "../../src/store/item.js";
import { ReplicaStore } from "../../src/store/replica-store.js";
import { replicaIds } from "../../src/store/replicas.js";
import type { RingAccess, RingLookupResult } from "../../src/store/ring-access.js";
import type { Interval } from "../../src/store/ring-intervals.js";
import { DEFAULT_STORE, type StoreConfig } from "../../src/store/store-config.js";
import type { StoreMessage, StoreTimer } from "../../src/store/store-messages.js";
import { MemoryStorePort } from "../../src/store/store-port.js";
import { RecordingEnv } from "../helpers/recording-env.js";

export type StoreEnv = RecordingEnv<StoreMessage, StoreTimer>;
export type MessageOf<T extends StoreMessage["type"]> = Extract<StoreMessage, { type: T }>;

/** N = 2^8: a key's four replica ids are 64 apart. */
export const ids: IdSpace = new Ids(8);

export function ref(id: number, nonce = 1): NodeRef {
  return { id: BigInt(id), addr: `n${id}`, nonce };
}

export const iv = (from: number, to: number): Interval => ({ from: BigInt(from), to: BigInt(to) });

export const round = (counter: number, proposer = 1): Round => ({ counter, proposer });

/** The ring as one node sees it, moved by the test; lookups answer from `members`. */
export class ScriptedRing implements RingAccess {
  readonly self: NodeRef;
  pred: NodeRef | null;
  succ: NodeRef | null;
  members: NodeRef[];
  /** Ids looked up so far. */
  readonly lookups: RingId[] = [];

  constructor(self: NodeRef, pred: NodeRef | null, succ: NodeRef | null, members: NodeRef[] = []) {
    this.self = self;
    this.pred = pred;
    this.succ = succ;
    this.members = members;
  }

  owns(id: RingId): boolean {
    const pred = this.pred;
    return pred !== null && this.succ !== null && ids.inOC(id, pred.id, this.self.id);
  }

  lookup(id: RingId, onDone: (result: RingLookupResult) => void): void {
    this.lookups.push(id);
    const sorted = [...this.members].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    const responsible = sorted.find((m) => m.id >= id) ?? sorted[0];
    onDone(responsible === undefined ? { ok: false } : { ok: true, responsible });
  }
}

export function newPort(restoredFrom?: {
  items: readonly StoredItem[];
  range: Interval | null;
}): MemoryStorePort {
  return new MemoryStorePort(ids, restoredFrom);
}

/** A key whose replica 0 lies in (from, to], found by trying names (N is small, so one comes quickly). */
export function keyIn(
  from: number,
  to: number,
  f = 4,
): { key: string; replicaId: RingId; all: readonly RingId[] } {
  for (let i = 0; i < 10_000; i++) {
    const key = `k${i}`;
    const all = replicaIds(ids, f, key);
    const first = all[0];
    if (first !== undefined && ids.inOC(first, BigInt(from), BigInt(to)))
      return { key, replicaId: first, all };
  }
  throw new Error(`no key in (${from}, ${to}]`);
}

/** An item as a replica would hold it after a write of `value` at `version` with round `r`. */
export function written(key: string, replicaId: RingId, value: Value, version: number, r: Round): StoredItem {
  return { ...emptyItem(key, replicaId), value, version, writeRound: r, readRound: r, writers: [version] };
}

export function newEnv(self: NodeRef): StoreEnv {
  return new RecordingEnv<StoreMessage, StoreTimer>(self);
}

/** The messages of one type sent so far, as messages. */
export function sentMsgs<K extends StoreMessage["type"]>(env: StoreEnv, type: K): MessageOf<K>[] {
  return env.sentOf(type).map((s) => s.msg);
}

/** One node's ReplicaStore on a scripted ring: the test moves the ring, delivers messages, runs time. */
export class StoreRig {
  readonly env: StoreEnv;
  readonly ring: ScriptedRing;
  readonly port: MemoryStorePort;
  readonly store: ReplicaStore;

  constructor(
    self: NodeRef,
    pred: NodeRef | null,
    succ: NodeRef | null,
    options: { members?: NodeRef[]; port?: MemoryStorePort; config?: Partial<StoreConfig> } = {},
  ) {
    this.env = newEnv(self);
    this.ring = new ScriptedRing(self, pred, succ, options.members ?? []);
    this.port = options.port ?? newPort();
    const config: StoreConfig = { ...DEFAULT_STORE, antiEntropyMs: 0, ...options.config };
    this.store = new ReplicaStore(this.env, ids, config, this.port, this.ring);
  }

  /** The ring sets a new predecessor, for `cause`. */
  predChange(pred: NodeRef | null, cause: PredChangeCause): void {
    const old = this.ring.pred;
    this.ring.pred = pred;
    this.store.onPredChange(old, pred, cause);
  }

  deliver(from: NodeRef, msg: StoreMessage): void {
    this.store.onMessage(from, msg);
  }

  advance(ms: number): void {
    this.env.advance(ms, this.store);
  }

  /** Puts an item with replica id `id` (its key need not hash there: hand-over and repair go by id). */
  put(id: number, value: Value = id, r: Round = round(1)): StoredItem {
    const item = written(`item-${id}`, BigInt(id), value, 1, r);
    this.port.put(item);
    return item;
  }

  has(id: number): boolean {
    return this.port.get(BigInt(id), `item-${id}`) !== undefined;
  }

  unsynced(): [number, number][] {
    return this.store.unsynced.map((g) => [Number(g.from), Number(g.to)]);
  }

  /** The range the disk claims complete. */
  claim(): [number, number] | null {
    const range = this.port.disk().range;
    return range === null ? null : [Number(range.from), Number(range.to)];
  }
}

/** A hand-over message as a sender would make it. */
export function handover(
  transfer: number,
  from: number,
  to: number,
  items: readonly StoredItem[],
  gaps: readonly Interval[] = [],
): MessageOf<"handover"> {
  return { type: "handover", transfer, from: BigInt(from), to: BigInt(to), items, gaps };
}
