// The changes a relaxed-ring node's roles (join, recovery, the neighbour check) may ask of it
// (docs/relaxed-ring.md §1). A role reads the node through its position interface and changes it only
// through these: every change of pred, succ and succList passes the one method that checks its rule
// (I3, I4, docs/relaxed-ring.md §7). Do not add a way around them.
import type { NodeRef } from "../core/node-ref.js";
import type { RingRef } from "./messages.js";
import type { PredChangeCause } from "./ring-hooks.js";

/**
 * Why the successor changed, for the I4 check: `first` — the ring's first node; `joined` — a joinOk;
 * `newSucc` — a joiner closed the ring behind me; `fixer` — a lone node took a fixer; `fixOk` — the
 * peer I fixed took me; `fallback` — a redirect's target was out of reach; `leave` — my successor
 * left gracefully and named its own.
 */
export type SuccChangeCause = "first" | "joined" | "newSucc" | "fixer" | "fixOk" | "fallback" | "leave";

export interface NeighbourChanges {
  /** Pred becomes `pred` (null: unknown, responsible for nothing); I3 is checked. */
  setPred(pred: NodeRef | null, cause: PredChangeCause): void;
  /**
   * Takes `offered` (or, if my FD suspects it, the first unsuspected peer of its list) as successor,
   * with `[offered, ...theirSuccList]` as my list; I4 is checked.
   */
  setSucc(offered: NodeRef, theirSuccList: readonly NodeRef[], cause: SuccChangeCause): void;
  /** Takes `candidate` as successor for now and asks it, by fix, to take me as its predecessor. */
  linkTowards(candidate: NodeRef): void;
  /** Every successor is suspected: I am my own successor, with an empty list. */
  becomeOwnSucc(): void;
  /** A suspected peer leaves my successor list. */
  dropFromSuccList(peer: NodeRef): void;
  /** Rebuilds my list from the one my successor gave me last (peers no longer suspected come back). */
  rebuildSuccList(succ: NodeRef): void;
  /** Tells my pred my successor list (updSuccList). */
  propagateSuccList(): void;
  /** A peer that may have me as successor (a fixer): into predList, watched by the FD. */
  addPredListMember(peer: NodeRef): void;
  /** A peer that no longer has me as successor leaves predList (and the FD, unless a neighbour). */
  dropPredListMember(peer: NodeRef): void;
  /** Whatever incarnation of `peer` predList holds goes, without touching the FD. */
  forgetPredListMember(peer: NodeRef): void;
  /** What my pred says is its own trusted predecessor (offered as `alt` in redirects). */
  setPredPred(peer: NodeRef | null): void;
  /** My pred is suspected: start the takeover clock (predTakeoverMs). */
  predSuspected(pred: NodeRef): void;
  /** A redirect chain ended: I am no longer recovering a successor. */
  endRecovery(): void;
  /** The ring a joinOk names, if I have none yet. */
  adoptRing(ring: RingRef): void;
  /** I became a ring member (first node, or joinOk). */
  becameMember(): void;
}
