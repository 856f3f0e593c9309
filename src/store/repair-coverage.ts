// Which parts of a range under repair enough replica classes have answered (docs/replication.md §4): pure
// functions over the repair's per-class progress. Must not break: a part counts as settled only where at
// least `needed` classes answered it from sources that knew their data complete — a majority of all f
// replicas, so that two sides of a partition can never both rebuild a key's missing replicas.
import type { IdSpace, RingId } from "../core/id-space.js";
import { type Interval, intersect, subtract } from "./ring-intervals.js";

/** One other replica class's progress in a repair. */
export interface RepairClass {
  readonly shift: number;
  /** The class's shifted range. */
  readonly range: Interval;
  /** Read up to here (exclusive start of what is left), in the class's coordinates. */
  covered: RingId;
  /** Parts read from a source that did not know its data complete there (in the repaired range's ids). */
  untrusted: Interval[];
  /** The ask in flight, if any. */
  ask: number | null;
}

/** What a class gives the repaired range's coordinates: its offset back, (N/f)·shift. */
export function classOffset(ids: IdSpace, f: number, shift: number): bigint {
  return (ids.size / BigInt(f)) * BigInt(shift);
}

/**
 * Where (in the repaired range's coordinates) a class is not to be trusted: unread, or read from doubt —
 * as disjoint parts, so that the sweep counts each class once however its doubts overlap (two sources
 * may flag the same part, and a replier's own gaps may overlap).
 */
export function doubtful(ids: IdSpace, f: number, range: Interval, cls: RepairClass): Interval[] {
  const parts = [...cls.untrusted];
  if (cls.covered !== cls.range.to)
    parts.push({ from: ids.add(cls.covered, -classOffset(ids, f, cls.shift)), to: range.to });
  const disjoint: Interval[] = [];
  for (const part of parts.flatMap((d) => intersect(ids, d, range)))
    disjoint.push(...disjoint.reduce((rest, seen) => rest.flatMap((r) => subtract(ids, r, seen)), [part]));
  return disjoint;
}

/** The parts of `range` where fewer than `needed` classes are trusted (a sweep over where doubts start, stop). */
export function unsettled(
  ids: IdSpace,
  f: number,
  range: Interval,
  classes: readonly RepairClass[],
  needed: number,
): Interval[] {
  const full = range.from === range.to;
  const length = full ? ids.size : ids.dist(range.from, range.to);
  const rel = (id: RingId, end: boolean) => {
    const d = ids.dist(range.from, id);
    return end && d === 0n ? length : d;
  };
  // +1 where a class is not trusted (uncovered, or untrusted), -1 where that stops.
  const events: [bigint, number][] = [];
  for (const cls of classes)
    for (const part of doubtful(ids, f, range, cls))
      events.push([rel(part.from, false), 1], [rel(part.to, true), -1]);
  events.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] - b[1]));
  const tolerated = classes.length - needed;
  const bad: Interval[] = [];
  let count = 0;
  let start: bigint | null = null;
  for (const [at, delta] of events) {
    count += delta;
    if (count > tolerated && start === null) start = at;
    else if (count <= tolerated && start !== null) {
      if (at > start) bad.push({ from: ids.add(range.from, start), to: ids.add(range.from, at) });
      start = null;
    }
  }
  return bad;
}

/** `range` without the `bad` parts. */
export function settledParts(ids: IdSpace, range: Interval, bad: readonly Interval[]): Interval[] {
  return bad.reduce((parts, b) => parts.flatMap((p) => subtract(ids, p, b)), [range]);
}

/**
 * The fewest classes trusted anywhere in `part`, counted directly: `part` is cut at every edge of every
 * class's doubt, and each piece counts the classes whose doubt misses it. An independent recount of
 * what `unsettled` decides with its sweep.
 */
export function fewestTrusted(
  ids: IdSpace,
  f: number,
  range: Interval,
  classes: readonly RepairClass[],
  part: Interval,
): number {
  const doubts = classes.map((cls) => doubtful(ids, f, range, cls));
  let pieces = [part];
  for (const d of doubts.flat())
    pieces = pieces.flatMap((p) => [...intersect(ids, p, d), ...subtract(ids, p, d)]);
  let fewest = classes.length;
  for (const piece of pieces) {
    const trusted = doubts.filter((ds) => ds.every((d) => intersect(ids, d, piece).length === 0)).length;
    fewest = Math.min(fewest, trusted);
  }
  return fewest;
}
