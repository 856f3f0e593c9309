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

/** Replica ids computed lately, per id space and f (a pure function's memo, cleared when full). */
const MEMO_MAX = 65_536;
const memos = new WeakMap<IdSpace, Map<number, Map<string, readonly RingId[]>>>();

function memoFor(ids: IdSpace, f: number): Map<string, readonly RingId[]> {
  let byF = memos.get(ids);
  if (byF === undefined) {
    byF = new Map();
    memos.set(ids, byF);
  }
  let memo = byF.get(f);
  if (memo === undefined) {
    memo = new Map();
    byF.set(f, memo);
  }
  return memo;
}

/** The f replica ids of `key`, replica 0 first. */
export function replicaIds(ids: IdSpace, f: number, key: string): readonly RingId[] {
  const memo = memoFor(ids, f);
  const known = memo.get(key);
  if (known !== undefined) return known;
  const h = hashKey(ids, key);
  const step = ids.size / BigInt(f);
  const computed = Object.freeze(Array.from({ length: f }, (_, i) => ids.add(h, step * BigInt(i))));
  if (memo.size >= MEMO_MAX) memo.clear();
  memo.set(key, computed);
  return computed;
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
