// Lookup consistency over recorded range histories (docs/metrics.md §3, "maxResponsiblePerKey"), for runs
// the simulator cannot see inside: each live node reports when its range (pred, self] changed, on
// one clock; this finds every instant at which two nodes' ranges overlapped, and how long the ranges
// of a given node stayed without owner. Each node's history ends when it died (`until`).
import type { IdSpace, RingId } from "../core/id-space.js";

export interface RangeHistory {
  readonly name: string;
  readonly id: RingId;
  /** Changes in time order: from `atMs` on, the range is (pred, id] (pred null: no range). */
  readonly changes: readonly {
    readonly atMs: number;
    readonly pred: RingId | null;
    readonly member: boolean;
  }[];
  /** The node's ranges count until this time (it crashed or left), or +∞ if it is still alive. */
  readonly untilMs: number;
}

interface Overlap {
  readonly atMs: number;
  readonly nodes: readonly [string, string];
}

interface Range {
  readonly name: string;
  readonly pred: RingId;
  readonly self: RingId;
}

function rangeAt(history: RangeHistory, atMs: number): Range | null {
  if (atMs >= history.untilMs) return null;
  let current: RangeHistory["changes"][number] | undefined;
  for (const change of history.changes) {
    if (change.atMs > atMs) break;
    current = change;
  }
  if (current === undefined || !current.member || current.pred === null) return null;
  return { name: history.name, pred: current.pred, self: history.id };
}

/** Two ranges (a, b] on the ring share a key. A range with pred = self is the whole ring. */
function overlaps(ids: IdSpace, x: Range, y: Range): boolean {
  if (x.pred === x.self || y.pred === y.self) return true;
  return ids.inOC(x.self, y.pred, y.self) || ids.inOC(y.self, x.pred, x.self);
}

/** Every instant (a change time) at which two nodes considered themselves responsible for one key. */
export function rangeOverlaps(ids: IdSpace, histories: readonly RangeHistory[]): Overlap[] {
  const times = [...new Set(histories.flatMap((h) => h.changes.map((c) => c.atMs)))].sort((a, b) => a - b);
  const found: Overlap[] = [];
  for (const atMs of times) {
    const ranges = histories.map((h) => rangeAt(h, atMs)).filter((r): r is Range => r !== null);
    for (let i = 0; i < ranges.length; i++) {
      for (let j = i + 1; j < ranges.length; j++) {
        const x = ranges[i] as Range;
        const y = ranges[j] as Range;
        if (overlaps(ids, x, y)) found.push({ atMs, nodes: [x.name, y.name] });
      }
    }
  }
  return found;
}

/** When, from `fromMs` on, some node's range first held `key`; null if none did. */
export function firstOwnedAt(
  ids: IdSpace,
  histories: readonly RangeHistory[],
  key: RingId,
  fromMs: number,
): { atMs: number; name: string } | null {
  let best: { atMs: number; name: string } | null = null;
  for (const history of histories) {
    const times = [fromMs, ...history.changes.map((c) => c.atMs).filter((t) => t > fromMs)];
    for (const atMs of times) {
      const range = rangeAt(history, atMs);
      const holds = range !== null && (range.pred === range.self || ids.inOC(key, range.pred, range.self));
      if (holds && (best === null || atMs < best.atMs)) best = { atMs, name: history.name };
      if (holds) break;
    }
  }
  return best;
}
