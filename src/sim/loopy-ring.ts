// Simulation only: a loopy ring (docs/ring-merge.md §5) made on purpose, for `sim merge --loopy` and
// the loop tests. Rings built apart are joined at their wraps into one successor cycle that circles
// the id space once per ring (x1..xk → y1..ym → … → x1). Every node's pred and succ agree, its
// predList is its pred, and its successor list is the next nodes along the loop, so no local check
// finds anything wrong; only lookups are wrong. No sequence of messages makes this (the acceptance
// rules refuse the worse neighbours), so it is set outright: the pathological start, not protocol.
import type { RingRef } from "../overlay/messages.js";
import { RelaxedRingNode } from "../overlay/relaxed-ring-node.js";
import { byRingId } from "../overlay/ring-shape.js";

/**
 * Links the largest node of each ring to the smallest of the next (the last ring back to the first),
 * gives every node its neighbours and successor list along the loop, and the smallest ring identity
 * of all (the one pings in flight would spread anyway, docs/ring-merge.md §6).
 */
export function joinIntoLoop(rings: readonly (readonly RelaxedRingNode[])[], succListSize: number): void {
  const loop = rings.flatMap((ring) => [...ring].sort(byRingId));
  const n = loop.length;
  let ring: RingRef | null = null;
  for (const node of loop) {
    const theirs = node.ringRef;
    if (ring === null || (theirs !== null && theirs.uid < ring.uid)) ring = theirs;
  }
  const at = (i: number) => (loop[((i % n) + n) % n] as RelaxedRingNode).self;
  for (const [i, node] of loop.entries()) {
    const succList = Array.from({ length: Math.min(succListSize, n - 1) }, (_, j) => at(i + 1 + j));
    RelaxedRingNode.rewireForSimulation(node, { pred: at(i - 1), succ: at(i + 1), succList, ring });
  }
}
