// The durable StorePort of a live node (docs/replication.md §6, docs/architecture.md §5): lmdb under the data
// directory. Items are keyed by the 16-byte replica id and the key, so a ring interval is one or two range
// scans. Every write is its own synchronous lmdb transaction without a sync (noSync), committed (visible)
// before the handler returns. Under `sync` durability the node's DurableOutbox holds the turn's messages
// until `flushed()` — one fdatasync on lmdb's worker thread for every write before it — says they are on
// disk (group commit). Under `process` nothing is synced by us: a process crash keeps the writes, a power
// cut may not, and a store last written so under an earlier boot trusts none of its data (its claim is
// dropped: it rejoins unsynced).
import { open, type RootDatabase } from "lmdb";
import type { IdSpace, RingId } from "../core/id-space.js";
import type { StoredItem } from "../store/item.js";
import type { Interval } from "../store/ring-intervals.js";
import type { StorePort } from "../store/store-port.js";
import { packr } from "../wire/codec.js";
import { currentBootId, type Durability } from "./durability.js";

const ID_BYTES = 16;
const RANGE_KEY = Buffer.from("range");
/** Items the read cache holds at most before it starts again empty. */
const CACHE_MAX_ITEMS = 100_000;
/** How the store was last opened: its durability and the machine's boot then. */
const OPENED_KEY = Buffer.from("opened");

/** lmdb-js's env sync, which its typings leave out: mdb_env_sync(force) on a worker thread. */
interface EnvSync {
  sync(done: (error: unknown) => void): void;
}

interface OpenedRecord {
  readonly durability: Durability;
  readonly bootId: string | null;
}

type StoredValue = Omit<StoredItem, "replicaId" | "key">;

function idBytes(id: RingId): Buffer {
  const out = Buffer.allocUnsafe(ID_BYTES);
  out.writeBigUInt64BE(id >> 64n, 0);
  out.writeBigUInt64BE(BigInt.asUintN(64, id), 8);
  return out;
}

function dbKey(replicaId: RingId, key: string): Buffer {
  return Buffer.concat([idBytes(replicaId), Buffer.from(key, "utf8")]);
}

export class LmdbStorePort implements StorePort {
  readonly restored: boolean;
  readonly previousRange: Interval | null;
  private readonly root: RootDatabase;
  private readonly items;
  private readonly meta;
  private readonly ids: IdSpace;
  /**
   * What get, put and delete saw last, per replica id and key (null: no item): a hot key's reads skip
   * lmdb and the decode. Items are immutable records, so sharing them is safe; cleared when full.
   */
  private readonly cache = new Map<RingId, Map<string, StoredItem | null>>();
  private cachedCount = 0;
  /** Called after every committed write (the DurableOutbox counts them). */
  onWrite: () => void = () => {};
  /**
   * Whether the data was last written under `process` durability by an earlier boot: the writes of its
   * last moments may be gone, so its claim is not trusted.
   */
  readonly powerLossSuspected: boolean;

  /** `bootId`: this boot of the machine (default: the OS's; tests pass their own). */
  constructor(path: string, ids: IdSpace, durability: Durability, bootId: string | null = currentBootId()) {
    if (ids.m !== 128) throw new RangeError("the lmdb store keys replica ids as 128-bit values (m = 128)");
    this.ids = ids;
    this.root = open({ path, noSync: true, encoding: "binary" });
    this.items = this.root.openDB({ name: "items", encoding: "binary", keyEncoding: "binary" });
    this.meta = this.root.openDB({ name: "meta", encoding: "binary", keyEncoding: "binary" });
    const range = this.meta.get(RANGE_KEY) as Buffer | undefined;
    const opened = this.meta.get(OPENED_KEY) as Buffer | undefined;
    const last = opened === undefined ? null : (packr.unpack(opened) as OpenedRecord);
    this.powerLossSuspected =
      last !== null && last.durability === "process" && last.bootId !== bootId && bootId !== null;
    this.previousRange = range === undefined || this.powerLossSuspected ? null : this.decodeRange(range);
    this.restored = range !== undefined || this.items.getKeysCount() > 0;
    this.meta.putSync(OPENED_KEY, packr.pack({ durability, bootId } satisfies OpenedRecord));
  }

  /** Resolves once every write committed so far is on disk (lmdb's env sync, forced, off the loop). */
  flushed(): Promise<void> {
    return new Promise((resolve, reject) =>
      (this.root as unknown as EnvSync).sync((error) => (error ? reject(error) : resolve())),
    );
  }

  get size(): number {
    return this.items.getKeysCount();
  }

  get(replicaId: RingId, key: string): StoredItem | undefined {
    const cached = this.cache.get(replicaId)?.get(key);
    if (cached !== undefined) return cached ?? undefined;
    const bytes = this.items.get(dbKey(replicaId, key)) as Buffer | undefined;
    const item = bytes === undefined ? undefined : this.decode(replicaId, key, bytes);
    this.remember(replicaId, key, item ?? null);
    return item;
  }

  put(item: StoredItem): void {
    const { replicaId, key, ...rest } = item;
    this.items.putSync(dbKey(replicaId, key), packr.pack(rest satisfies StoredValue));
    this.remember(replicaId, key, item);
    this.onWrite();
  }

  delete(replicaId: RingId, key: string): void {
    this.items.removeSync(dbKey(replicaId, key));
    this.remember(replicaId, key, null);
    this.onWrite();
  }

  /** Caches what is on disk now for (replicaId, key): the item, or null for none. */
  private remember(replicaId: RingId, key: string, item: StoredItem | null): void {
    if (this.cachedCount >= CACHE_MAX_ITEMS) {
      this.cache.clear();
      this.cachedCount = 0;
    }
    let byKey = this.cache.get(replicaId);
    if (byKey === undefined) {
      byKey = new Map();
      this.cache.set(replicaId, byKey);
    }
    if (!byKey.has(key)) this.cachedCount++;
    byKey.set(key, item);
  }

  range(from: RingId, to: RingId): StoredItem[] {
    const out: StoredItem[] = [];
    const scan = (lo: RingId, hi: RingId | null) => {
      const start = idBytes(lo);
      const end = hi === null ? undefined : idBytes(hi);
      for (const { key, value } of this.items.getRange({ start, ...(end === undefined ? {} : { end }) })) {
        const k = key as Buffer;
        const id = (k.readBigUInt64BE(0) << 64n) | k.readBigUInt64BE(8);
        out.push(this.decode(id, k.toString("utf8", ID_BYTES), value as Buffer));
      }
    };
    // (from, to] is [from+1, to+1) over the sorted ids, split where it wraps.
    const lo = this.ids.add(from, 1n);
    const hi = this.ids.add(to, 1n);
    if (from === to) scan(0n, null);
    else if (lo < hi) scan(lo, hi);
    else {
      scan(lo, null);
      if (hi > 0n) scan(0n, hi);
    }
    return out;
  }

  recordRange(range: Interval | null): void {
    if (range === null) this.meta.removeSync(RANGE_KEY);
    else this.meta.putSync(RANGE_KEY, Buffer.concat([idBytes(range.from), idBytes(range.to)]));
    this.onWrite();
  }

  close(): Promise<void> {
    return this.root.close();
  }

  private decode(replicaId: RingId, key: string, bytes: Buffer): StoredItem {
    // Items written before transactions existed have no locks field.
    const stored = packr.unpack(bytes) as StoredValue;
    return { ...stored, locks: stored.locks ?? [], replicaId, key };
  }

  private decodeRange(bytes: Buffer): Interval {
    const read = (at: number) => (bytes.readBigUInt64BE(at) << 64n) | bytes.readBigUInt64BE(at + 8);
    return { from: read(0), to: read(16) };
  }
}
