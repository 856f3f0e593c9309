// A loopy ring (algorithms.md §5.5) made on purpose, for `sim merge --loopy` and the loop tests: rings
// built apart are joined at their wraps into one successor cycle that circles the id space once per
// ring (x1..xk → y1..ym → … → x1). Every node's pred and succ agree and every local check passes;
// only lookups are wrong. This writes node state directly: it is the pathological start, not protocol.
import type { RingRef } from "../overlay/messages.js";
import type { RelaxedRingNode } from "../overlay/relaxed-ring-node.js";

const byId = (ring: readonly RelaxedRingNode[]) =>
  [...ring].sort((a, b) => (a.self.id < b.self.id ? -1 : a.self.id > b.self.id ? 1 : 0));

/**
 * Links the largest node of each ring to the smallest of the next (the last ring back to the first),
 * as succ/pred with a successor list to match, and gives every node the smallest ring identity (the
 * one pings in flight would spread anyway, §5.6).
 */
export function joinIntoLoop(rings: readonly (readonly RelaxedRingNode[])[], succListSize: number): void {
  const sorted = rings.map(byId).filter((r) => r.length > 0);
  let ringRef: RingRef | null = null;
  for (const ring of sorted) {
    const theirs = ring[0]?.ringRef ?? null;
    if (ringRef === null || (theirs !== null && theirs.uid < ringRef.uid)) ringRef = theirs;
  }
  for (const [r, ring] of sorted.entries()) {
    const next = sorted[(r + 1) % sorted.length] ?? ring;
    const last = ring[ring.length - 1];
    const first = next[0];
    if (last === undefined || first === undefined) continue;
    last.succ = first.self;
    last.succList = [first.self, ...first.succList].slice(0, succListSize);
    first.pred = last.self;
    for (const node of ring) node.ringRef = ringRef;
  }
}
