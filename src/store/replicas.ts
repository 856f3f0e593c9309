// Symmetric replication (docs/replication.md §1): a key's f replica ids r_i = (h + i·N/f) mod N, with h
// its MD5 position, form a regular polygon on the ring; each is stored by the node responsible for
// it, under (replicaId, key). Must not break: f is a power of two (so it divides N = 2^m) — every
// entry point that takes f from a user checks it with checkReplication.
import type { IdSpace, RingId } from "../core/id-space.js";
import { hashKey } from "../core/key-hash.js";

export const DEFAULT_REPLICATION = 4;

/** Throws a RangeError saying what f may be, unless f is a power of two in [1, 64]. */
export function checkReplication(f: number): void {
  if (!Number.isInteger(f) || f < 1 || f > 64 || (f & (f - 1)) !== 0)
    throw new RangeError(`replication degree f must be a power of two in [1, 64], got ${f}`);
}

/** The f replica ids of `key`, replica 0 first. */
export function replicaIds(ids: IdSpace, f: number, key: string): RingId[] {
  const h = hashKey(ids, key);
  const step = ids.size / BigInt(f);
  return Array.from({ length: f }, (_, i) => ids.add(h, step * BigInt(i)));
}

/** The range (from, to] shifted to replica class `i` relative to it (repair, docs/replication.md §4). */
export function shiftRange(
  ids: IdSpace,
  f: number,
  from: RingId,
  to: RingId,
  i: number,
): { from: RingId; to: RingId } {
  const d = (ids.size / BigInt(f)) * BigInt(i);
  return { from: ids.add(from, d), to: ids.add(to, d) };
}
