// Arithmetic on ring intervals (a, b] (docs/architecture.md §7), for the ranges a node owns, hands over and
// repairs. (a, a] is the whole ring. Internally an interval becomes at most two closed integer
// segments [lo, hi] of [0, N); results go back to (a, b] form (a segment starting at 0 is (N-1, hi]).
import type { IdSpace, RingId } from "../core/id-space.js";

export interface Interval {
  /** Exclusive start. */
  readonly from: RingId;
  /** Inclusive end; from === to is the whole ring. */
  readonly to: RingId;
}

type Segment = readonly [RingId, RingId];

const bigMax = (a: bigint, b: bigint): bigint => (a >= b ? a : b);
const bigMin = (a: bigint, b: bigint): bigint => (a <= b ? a : b);

function segments(ids: IdSpace, iv: Interval): Segment[] {
  if (iv.from === iv.to) return [[0n, ids.mask]];
  const lo = ids.add(iv.from, 1n);
  if (lo <= iv.to) return [[lo, iv.to]];
  const wrapped: Segment[] = [[lo, ids.mask]];
  if (iv.to >= 0n && lo !== 0n) wrapped.push([0n, iv.to]);
  return wrapped;
}

function toInterval(ids: IdSpace, [lo, hi]: Segment): Interval {
  return { from: ids.add(lo, -1n), to: hi };
}

/** The parts of `iv` not in `cut`. */
export function subtract(ids: IdSpace, iv: Interval, cut: Interval): Interval[] {
  const cuts = segments(ids, cut);
  let pieces = segments(ids, iv);
  for (const [clo, chi] of cuts) {
    const next: Segment[] = [];
    for (const [lo, hi] of pieces) {
      if (chi < lo || clo > hi) {
        next.push([lo, hi]);
        continue;
      }
      if (clo > lo) next.push([lo, clo - 1n]);
      if (chi < hi) next.push([chi + 1n, hi]);
    }
    pieces = next;
  }
  return pieces.map((s) => toInterval(ids, s));
}

/** The parts of `iv` that are also in `other`. */
export function intersect(ids: IdSpace, iv: Interval, other: Interval): Interval[] {
  const out: Interval[] = [];
  for (const [lo, hi] of segments(ids, iv)) {
    for (const [olo, ohi] of segments(ids, other)) {
      const a = bigMax(lo, olo);
      const b = bigMin(hi, ohi);
      if (a <= b) out.push(toInterval(ids, [a, b]));
    }
  }
  return out;
}
