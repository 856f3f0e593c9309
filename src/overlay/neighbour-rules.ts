// I3 and I4 of the relaxed ring (docs/relaxed-ring.md §7) exactly as this code implements them: which
// new pred and which new succ a node may take, by the reason it takes it. The ring node asserts them
// at every change; the roles' own checks decide first. Must not break: a rule here never admits what
// the roles refuse — loosen one only with the role that relies on it.
import type { IdSpace } from "../core/id-space.js";
import { type NodeRef, samePeer as same } from "../core/node-ref.js";
import type { SuccChangeCause } from "./neighbour-changes.js";
import type { PredChangeCause } from "./ring-hooks.js";

/** What the rules read of the node that changes its neighbours. */
export interface NeighbourFacts {
  readonly self: NodeRef;
  readonly ids: IdSpace;
  readonly succ: NodeRef | null;
  isSuspected(peer: NodeRef): boolean;
  /** My pred has been suspected for predTakeoverMs. */
  predAbandoned(): boolean;
  /** The live predList member closest after `peer` and before me, if any. */
  closestLivePredListMemberAfter(peer: NodeRef): NodeRef | null;
  /** The live neighbour (predList member, succ or successor-list peer) closest after `peer` and before me. */
  closestLiveNeighbourAfter(peer: NodeRef): NodeRef | null;
}

/**
 * I3: the ring's first node takes itself; a joiner is taken only inside (pred, self] (the join was
 * routed to me, responsible for its id); a joinOk's pred only inside (pred, self) or as my first; a
 * fixer only inside (pred, self), or by a lone node, or by one with no pred when no live neighbour it
 * knows lies between the fixer and it (R15), or — once my pred is abandoned (suspected for
 * predTakeoverMs) — with no live predList member between it and me; a leaving pred hands me its
 * range (and makes me my own pred only if it was my successor too); a node is its own pred (alone) only when it is its own successor and
 * its pred is unknown or suspected; and a lone node that links up again forgets itself as pred.
 */
export function predChangeAllowed(
  at: NeighbourFacts,
  old: NodeRef | null,
  next: NodeRef | null,
  cause: PredChangeCause,
): boolean {
  const { self, ids } = at;
  switch (cause) {
    case "first":
      return old === null && same(next, self);
    case "joiner":
      return old !== null && next !== null && ids.inOC(next.id, old.id, self.id);
    case "joined":
      return next !== null && (old === null || ids.inOO(next.id, old.id, self.id));
    case "fix":
      return (
        next !== null &&
        (same(old, self) ||
          (old === null ? at.closestLiveNeighbourAfter(next) === null : ids.inOO(next.id, old.id, self.id)) ||
          takesOver(at, next))
      );
    case "leave":
      // L2: my pred left and named its own (null: none). I take its range; I become my own pred only
      // if the leaver was my successor too (we two were the ring), else the whole ring would be mine.
      return old !== null && !same(old, self) && (!same(next, self) || same(at.succ, old));
    case "alone":
      return same(next, self) && same(at.succ, self) && (old === null || at.isSuspected(old));
    case "unknown":
      return next === null && same(old, self);
  }
}

/** A fixer from behind my pred takes over its range: only once it is abandoned, jumping no live member. */
function takesOver(at: NeighbourFacts, fixer: NodeRef): boolean {
  return at.predAbandoned() && at.closestLivePredListMemberAfter(fixer) === null;
}

/**
 * I4: the first node takes itself; a joinOk's succ is taken as the first one or inside (self, succ);
 * a newSucc inside (self, succ) or by a lone node; a lone node takes a fixer; a fixOk comes from
 * inside (self, succ), or from anyone once my succ is suspected or I am alone; a redirect's fallback
 * lies inside (self, succ); a leaving successor (a real one, not me) names its own. (Linking towards a candidate during
 * recovery, and being one's own successor, have their own checks at the node.)
 */
export function succChangeAllowed(
  at: NeighbourFacts,
  old: NodeRef | null,
  offered: NodeRef,
  cause: SuccChangeCause,
): boolean {
  const self = at.self;
  if (old !== null && same(old, offered)) return true;
  const closer = old !== null && at.ids.inOO(offered.id, self.id, old.id);
  switch (cause) {
    case "first":
      return old === null && same(offered, self);
    case "joined":
      return old === null || closer;
    case "newSucc":
      return same(old, self) || closer;
    case "fixer":
      return same(old, self);
    case "fixOk":
      return old !== null && (closer || same(old, self) || at.isSuspected(old));
    case "fallback":
      return closer;
    case "leave":
      // L3: only a real successor leaves me; it names its own successor, or me when it had none.
      return old !== null && !same(old, self);
  }
}
