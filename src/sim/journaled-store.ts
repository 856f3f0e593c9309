// A simulated node's disk with a sync point, for the power-loss fault (docs/simulator.md §3,
// docs/architecture.md §5): it remembers, for every item and the claim written since the last sync, what
// was there before, so a power cut can roll the disk back to what was synced. Under `sync` durability the
// node syncs before each message it sends (the live group commit); under `process` only every
// WRITEBACK_MS, as an OS writes dirty pages back. Must not break: between syncs `afterPowerLoss()` is
// exactly the disk as of the last sync.
import type { IdSpace, RingId } from "../core/id-space.js";
import type { StoredItem } from "../store/item.js";
import type { Interval } from "../store/ring-intervals.js";
import { MemoryStorePort, type StorePort } from "../store/store-port.js";

/** What a machine's disk holds when it boots: items and the recorded claim. */
export interface Disk {
  readonly items: readonly StoredItem[];
  readonly range: Interval | null;
}

/** How often an OS writes a `process`-durability node's pages back (Linux's dirty expiry: 30 s; less here). */
export const WRITEBACK_MS = 5000;

const slotOf = (replicaId: RingId, key: string) => `${replicaId.toString(36)}/${key}`;

export class JournaledStorePort implements StorePort {
  private readonly inner: MemoryStorePort;
  /** Per item written since the last sync: what the synced disk holds (null: nothing). */
  private readonly before = new Map<string, StoredItem | null>();
  /** The claim recorded now. */
  private claim: Interval | null;
  /** The claim as of the last sync, if it changed since (undefined: unchanged). */
  private rangeBefore: Interval | null | undefined = undefined;

  constructor(ids: IdSpace, disk?: Disk, trustClaim = true) {
    const restored =
      disk === undefined ? undefined : { items: disk.items, range: trustClaim ? disk.range : null };
    this.inner = new MemoryStorePort(
      ids,
      restored === undefined ? undefined : { ...restored, items: [...restored.items] },
    );
    this.claim = restored?.range ?? null;
  }

  get restored(): boolean {
    return this.inner.restored;
  }

  get previousRange(): Interval | null {
    return this.inner.previousRange;
  }

  get size(): number {
    return this.inner.size;
  }

  get(replicaId: RingId, key: string): StoredItem | undefined {
    return this.inner.get(replicaId, key);
  }

  range(from: RingId, to: RingId): StoredItem[] {
    return this.inner.range(from, to);
  }

  put(item: StoredItem): void {
    this.journal(item.replicaId, item.key);
    this.inner.put(item);
  }

  delete(replicaId: RingId, key: string): void {
    this.journal(replicaId, key);
    this.inner.delete(replicaId, key);
  }

  recordRange(range: Interval | null): void {
    if (this.rangeBefore === undefined) this.rangeBefore = this.claim;
    this.claim = range;
    this.inner.recordRange(range);
  }

  /** Everything written so far is on disk. */
  sync(): void {
    this.before.clear();
    this.rangeBefore = undefined;
  }

  /** The disk a power cut leaves: every write since the last sync undone. */
  afterPowerLoss(): Disk {
    const now = this.inner.disk();
    const items = new Map(now.items.map((item) => [slotOf(item.replicaId, item.key), item]));
    for (const [slot, synced] of this.before) {
      if (synced === null) items.delete(slot);
      else items.set(slot, synced);
    }
    return {
      items: [...items.values()],
      range: this.rangeBefore === undefined ? this.claim : this.rangeBefore,
    };
  }

  private journal(replicaId: RingId, key: string): void {
    const slot = slotOf(replicaId, key);
    if (!this.before.has(slot)) this.before.set(slot, this.inner.get(replicaId, key) ?? null);
  }
}
