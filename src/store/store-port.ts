// The storage a node's replicas live in (docs/architecture.md §2, §5): a synchronous port, so protocol code
// never awaits. The simulator uses MemoryStorePort; the live runtime an lmdb-backed port whose writes
// reach disk before the messages of the same turn are sent. Items are keyed by (replicaId, key).
import type { IdSpace, RingId } from "../core/id-space.js";
import type { StoredItem } from "./item.js";
import type { Interval } from "./ring-intervals.js";

export interface StorePort {
  get(replicaId: RingId, key: string): StoredItem | undefined;
  put(item: StoredItem): void;
  delete(replicaId: RingId, key: string): void;
  /** Every item whose replica id lies in the ring interval (from, to]; (a, a] is the whole ring. */
  range(from: RingId, to: RingId): StoredItem[];
  /** How many items are stored. */
  readonly size: number;
  /** Whether the items were there before this process started (a restart on its data dir). */
  readonly restored: boolean;
  /**
   * The last range this node owned with complete data, as recorded before a restart (null if none):
   * after a restart its items there are a trustworthy repair source, and nowhere else.
   */
  readonly previousRange: Interval | null;
  /**
   * Records the range the node now owns with complete data (null: none). Recorded before any item
   * of a range is deleted, so that what is on disk never claims more than it holds.
   */
  recordRange(range: Interval | null): void;
}

const slot = (replicaId: RingId, key: string) => `${replicaId.toString(36)}/${key}`;

/** Items in a Map: what the simulator and tests use. Range scans walk every item (stores are small there). */
export class MemoryStorePort implements StorePort {
  readonly restored: boolean;
  readonly previousRange: Interval | null;
  private readonly ids: IdSpace;
  private readonly items = new Map<string, StoredItem>();
  private recorded: Interval | null = null;

  /** `restoredFrom`: a crashed node's disk (its items and last recorded range), for a restart. */
  constructor(ids: IdSpace, restoredFrom?: { items: readonly StoredItem[]; range: Interval | null }) {
    this.ids = ids;
    this.restored = restoredFrom !== undefined;
    this.previousRange = restoredFrom?.range ?? null;
    for (const item of restoredFrom?.items ?? []) this.put(item);
  }

  recordRange(range: Interval | null): void {
    this.recorded = range;
  }

  get size(): number {
    return this.items.size;
  }

  get(replicaId: RingId, key: string): StoredItem | undefined {
    return this.items.get(slot(replicaId, key));
  }

  put(item: StoredItem): void {
    this.items.set(slot(item.replicaId, item.key), item);
  }

  delete(replicaId: RingId, key: string): void {
    this.items.delete(slot(replicaId, key));
  }

  range(from: RingId, to: RingId): StoredItem[] {
    const out: StoredItem[] = [];
    for (const item of this.items.values()) if (this.ids.inOC(item.replicaId, from, to)) out.push(item);
    return out;
  }

  /** What a crashed simulated node's disk holds, for a restart. */
  disk(): { items: StoredItem[]; range: Interval | null } {
    return { items: [...this.items.values()], range: this.recorded };
  }
}
