// Global ring-shape checkers (docs/metrics.md §3): the perfect-ring test, the core ring reached by
// following successor pointers, and the branches hanging off it. They read RingViews only.

import { incarnationKey as refKey, sameNode } from "../core/node-ref.js";
import type { RingView } from "./ring-view.js";

/** Orders views by ring id, from 0 (the global view's order; not a position test, which id-space does). */
export function byRingId(a: RingView, b: RingView): number {
  return a.self.id < b.self.id ? -1 : a.self.id > b.self.id ? 1 : 0;
}

/** Null if the live nodes form a perfect ring, else the first reason they do not. */
export function perfectRingProblem(liveViews: readonly RingView[], alreadySorted = false): string | null {
  const sorted = alreadySorted ? liveViews : [...liveViews].sort(byRingId);
  const n = sorted.length;
  for (let i = 0; i < n; i++) {
    const view = sorted[i] as RingView;
    const next = sorted[(i + 1) % n] as RingView;
    const prev = sorted[(i - 1 + n) % n] as RingView;
    if (!view.isMember) return `${view.self.addr} is not a ring member`;
    if (!sameNode(view.succ, next.self)) return `${view.self.addr}'s successor is not ${next.self.addr}`;
    if (!sameNode(view.pred, prev.self)) return `${view.self.addr}'s predecessor is not ${prev.self.addr}`;
  }
  return null;
}

/**
 * How many times the successor cycle through the live members circles the id space (1 in a perfect ring, 2 or
 * more in a loopy one, docs/ring-merge.md §5); null if following successors from the smallest id does not
 * come back to it through members only.
 */
export function succCycleWindings(liveMembers: readonly RingView[]): number | null {
  const byKey = new Map(liveMembers.map((v) => [refKey(v.self), v]));
  let start: RingView | undefined;
  for (const v of liveMembers) if (start === undefined || v.self.id < start.self.id) start = v;
  if (start === undefined) return null;
  let windings = 0;
  let at: RingView = start;
  for (let steps = 0; steps <= liveMembers.length; steps++) {
    const next = at.succ === null ? undefined : byKey.get(refKey(at.succ));
    if (next === undefined) return null;
    if (next.self.id <= at.self.id) windings++;
    if (next === start) return windings;
    at = next;
  }
  return null;
}

/**
 * Members whose successor list is not the next min(L, n−1) live members in id order (the list that recovery
 * walks, docs/relaxed-ring.md §5.5). Checked in a quiet, perfect ring, where every list should be exact.
 */
export function staleSuccLists(sortedLiveViews: readonly RingView[], succListSize: number): RingView[] {
  const n = sortedLiveViews.length;
  const length = Math.min(succListSize, n - 1);
  return sortedLiveViews.filter((view, i) => {
    if (view.succList.length !== length) return true;
    return view.succList.some((p, j) => !sameNode(p, (sortedLiveViews[(i + 1 + j) % n] as RingView).self));
  });
}

export interface RingShape {
  readonly coreSize: number;
  readonly branches: number;
  readonly branchSizeMean: number | null;
  /** Live members whose successor chain never reaches the core (dead ends). */
  readonly detached: number;
}

/** Follows successor pointers among live members: the cycle is the core; the rest are branches. */
export function ringShape(liveMembers: readonly RingView[]): RingShape {
  const byKey = new Map(liveMembers.map((v) => [refKey(v.self), v]));
  const succOf = (v: RingView): RingView | undefined =>
    v.succ === null ? undefined : byKey.get(refKey(v.succ));
  const core = findCore(liveMembers, succOf);
  const leadsTo = new Map<RingView, RingView | null>(); // member → last non-core node before the core
  let detached = 0;
  const branchSizes = new Map<RingView, number>();
  for (const start of liveMembers) {
    if (core.has(start)) continue;
    const path: RingView[] = [];
    let at: RingView | undefined = start;
    let anchor: RingView | null | undefined;
    while (at !== undefined && !core.has(at) && path.length <= liveMembers.length) {
      const known = leadsTo.get(at);
      if (known !== undefined) {
        anchor = known;
        break;
      }
      path.push(at);
      const next = succOf(at);
      if (next !== undefined && core.has(next)) anchor = at;
      at = next;
    }
    if (anchor === undefined) anchor = null;
    for (const v of path) leadsTo.set(v, anchor);
    if (anchor === null) detached++;
    else branchSizes.set(anchor, (branchSizes.get(anchor) ?? 0) + 1);
  }
  const sizes = [...branchSizes.values()];
  return {
    coreSize: core.size,
    branches: sizes.length,
    branchSizeMean: sizes.length === 0 ? null : sizes.reduce((a, b) => a + b, 0) / sizes.length,
    detached,
  };
}

function findCore(
  members: readonly RingView[],
  succOf: (v: RingView) => RingView | undefined,
): Set<RingView> {
  const core = new Set<RingView>();
  const start = members[0];
  if (start === undefined) return core;
  const seen = new Map<RingView, number>();
  const walk: RingView[] = [];
  let at: RingView | undefined = start;
  while (at !== undefined && !seen.has(at)) {
    seen.set(at, walk.length);
    walk.push(at);
    at = succOf(at);
  }
  if (at === undefined) return core;
  for (let i = seen.get(at) ?? 0; i < walk.length; i++) core.add(walk[i] as RingView);
  return core;
}
