// Anti-entropy digests (docs/replication.md §5): a range split into DIGEST_BUCKETS buckets by position, each
// the XOR of a hash of (key, write round) of the items in it. Pure functions. Must not break: two replica
// classes compute the bucket of an item the same way from its position in the range (shifted ranges have
// the same width), and a bucket hash is an unsigned 32-bit number (what the wire carries).
import type { IdSpace, RingId } from "../core/id-space.js";
import type { StoredItem } from "./item.js";
import type { Interval } from "./ring-intervals.js";

export const DIGEST_BUCKETS = 16;

/** FNV-1a over the UTF-16 code units of `text`. */
function fnv(text: string, h = 0x811c9dc5): number {
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** What a bucket hashes of one item: its key and the round of the write it holds. */
function itemHash(item: StoredItem): number {
  return fnv(`${item.key}#${item.writeRound.counter}.${item.writeRound.proposer}`);
}

/** The bucket of `range` (by position in it) that `id` falls in. */
export function bucketOf(ids: IdSpace, id: RingId, range: Interval): number {
  const width = range.from === range.to ? ids.size : ids.dist(range.from, range.to);
  const at = ids.dist(range.from, id) - 1n;
  return Number((at * BigInt(DIGEST_BUCKETS)) / (width === 0n ? 1n : width));
}

/** Per bucket of `range`, the XOR of the item hashes of the items in it. */
export function digest(ids: IdSpace, items: readonly StoredItem[], range: Interval): number[] {
  const buckets = new Array<number>(DIGEST_BUCKETS).fill(0);
  for (const item of items) {
    const b = bucketOf(ids, item.replicaId, range);
    // >>> 0: XOR of 32-bit hashes is a signed int in JS; the wire carries unsigned ones
    buckets[b] = ((buckets[b] ?? 0) ^ itemHash(item)) >>> 0;
  }
  return buckets;
}
