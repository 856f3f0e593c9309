// End-of-run ring checkers (docs/metrics.md §3, docs/relaxed-ring.md §7.1): I1 — every live member is in the
// same ring as its successor (its successor is a live member, and following successors reaches the core) —
// and finger correctness — every finger is a live member, and sampled nodes hold, for each ideal id of their
// table, the true first live member at or after it. They read RingViews and the global view.
import type { IdSpace, RingId } from "../core/id-space.js";
import { ringShape } from "../overlay/ring-shape.js";
import type { RingView } from "../overlay/ring-view.js";
import type { RingMembers } from "./ring-members.js";

/** Null if I1 holds over the live members, else the first counterexample. */
export function i1Problem(members: RingMembers): string | null {
  for (const view of members.views()) {
    if (view.succ === null) return `${view.self.addr} has no successor`;
    if (!members.has(view.succ))
      return `${view.self.addr}'s successor ${view.succ.addr} is not a live ring member`;
  }
  const shape = ringShape(members.views());
  return shape.detached === 0 ? null : `${shape.detached} members never reach the core ring`;
}

export interface FingerCorrectness {
  /** Fraction of all fingers that point at live ring members. */
  readonly fingersLive: number | null;
  /** Fraction of (sampled node, ideal id) pairs whose true finger is in the node's table. */
  readonly fingerAccuracy: number | null;
}

function firstAtOrAfter(sortedIds: readonly RingId[], id: RingId): RingId | undefined {
  let lo = 0;
  let hi = sortedIds.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((sortedIds[mid] as RingId) < id) lo = mid + 1;
    else hi = mid;
  }
  return sortedIds[lo] ?? sortedIds[0];
}

/**
 * Ideal ids self + j·N/k^ℓ down to the node's own successor (docs/routing.md §3.1); beyond it the finger is
 * succ.
 */
function idealIds(ids: IdSpace, view: RingView, k: number): RingId[] {
  const out: RingId[] = [];
  const reach = view.succ === null ? 0n : ids.dist(view.self.id, view.succ.id);
  for (let span = ids.size / BigInt(k); span >= 1n && span * BigInt(k - 1) > reach; span /= BigInt(k)) {
    for (let j = 1n; j < BigInt(k); j++) if (span * j > reach) out.push(ids.add(view.self.id, span * j));
  }
  return out;
}

export function fingerCorrectness(
  ids: IdSpace,
  members: RingMembers,
  k: number,
  rng: { int(bound: number): number },
  sample = 200,
): FingerCorrectness {
  const views = members.views();
  if (views.length === 0) return { fingersLive: null, fingerAccuracy: null };
  let fingers = 0;
  let live = 0;
  for (const view of views) {
    for (const finger of view.fingerRefs()) {
      fingers++;
      if (members.has(finger)) live++;
    }
  }
  const sortedIds = views.map((v) => v.self.id);
  let pairs = 0;
  let held = 0;
  for (let i = 0; i < Math.min(sample, views.length); i++) {
    const view = views[rng.int(views.length)] as RingView;
    const table = new Set(view.fingerRefs().map((f) => f.addr));
    if (view.succ !== null) table.add(view.succ.addr);
    for (const ideal of idealIds(ids, view, k)) {
      const want = firstAtOrAfter(sortedIds, ideal);
      const wantView = want === undefined ? undefined : views[sortedIds.indexOf(want)];
      if (wantView === undefined || wantView === view) continue;
      pairs++;
      if (table.has(wantView.self.addr)) held++;
    }
  }
  return {
    fingersLive: fingers === 0 ? null : Number((live / fingers).toFixed(4)),
    fingerAccuracy: pairs === 0 ? null : Number((held / pairs).toFixed(4)),
  };
}
