// The relaxed ring's messages and timer tags (docs/relaxed-ring.md §2; routing: docs/routing.md §1;
// merge: docs/ring-merge.md §2–§4), declared once. Names follow Beernet's; `route` carries the routed
// payloads (join, lookup, needFinger, mlookup).
import type { RingId } from "../core/id-space.js";
import type { Msg } from "../core/message.js";
import type { NodeRef } from "../core/node-ref.js";

/**
 * A ring's identity (docs/relaxed-ring.md §3.3, J3): a join that names another ring is refused (badRingRef).
 */
export interface RingRef {
  readonly name: string;
  readonly uid: number;
}

/** What travels inside a `route` to the node responsible for its key. */
export type RoutedPayload =
  /** `ring`: the ring the joiner wants, or null for whatever ring its contact is in. */
  | { readonly kind: "join"; readonly ring: RingRef | null }
  | { readonly kind: "lookup"; readonly lookupId: number }
  | { readonly kind: "needFinger" }
  /**
   * Ring merge (docs/ring-merge.md §3): find the pair of my ring's nodes around `target`, a peer maybe in
   * another ring.
   */
  | { readonly kind: "mlookup"; readonly target: NodeRef };

/** What a node tells the neighbours it pings: its successor, and its predecessor unless it suspects it. */
interface NeighbourPair {
  readonly pred: NodeRef | null;
  readonly succ: NodeRef | null;
}

/**
 * What pings and pongs carry (docs/relaxed-ring.md §6.3, N1): the neighbours, the sender's ring (after a
 * merge the smaller uid wins, docs/ring-merge.md §6.1), and a digest of the successor list the receiver
 * should hold after the sender, if the sender is its successor (succListDigest): a pred whose list differs
 * asks for a fresh one.
 */
export interface PingPayload extends NeighbourPair {
  readonly ring: RingRef | null;
  readonly succListDigest: number;
}

/** What a node tells a peer that keeps it as a finger: also the next few successors after succ. */
export interface Neighbours extends NeighbourPair {
  /** succList entries after succ (at most NEIGHBOURS_SHARED − 1). */
  readonly next: readonly NodeRef[];
}

/** How many successors a node shares in Neighbours: routing can jump straight to any of them. */
export const NEIGHBOURS_SHARED = 3;

export type RingMessage =
  // failure detector (docs/failure-detector.md §2); both carry the sender's neighbours — its pred only while
  // it trusts it — which the neighbour check reads
  | Msg<"ping", PingPayload>
  | Msg<"pong", PingPayload>
  // finger probes (docs/routing.md §3.4, F5): a finger answers with its neighbours
  | Msg<"probe">
  | Msg<"probeReply", Neighbours>
  // routing (docs/routing.md §1, §4)
  | Msg<
      "route",
      { key: RingId; origin: NodeRef; hops: number; last: boolean; payload: RoutedPayload; hopId: number }
    >
  /** Acknowledges one routed hop (hopId ≠ 0), with the acker's neighbours for the sender's fingers. */
  | Msg<"routeAck", { hopId: number } & Neighbours>
  | Msg<"lookupReply", { lookupId: number; key: RingId; responsible: NodeRef; hops: number }>
  | Msg<"newFinger", { key: RingId } & Neighbours>
  // join (docs/relaxed-ring.md §3)
  /**
   * "I took you as my pred; take `pred` as yours" — null when the answer is to a repeated join whose
   * first joinOk this node did not give (it cannot vouch for the joiner's pred: the joiner waits for
   * a fixer, docs/relaxed-ring.md §3).
   */
  | Msg<"joinOk", { pred: NodeRef | null; succ: NodeRef; succList: readonly NodeRef[]; ring: RingRef }>
  | Msg<"joinLater">
  | Msg<"badRingRef", { ring: RingRef }>
  | Msg<"newSucc", { newSucc: NodeRef; oldSucc: NodeRef; succList: readonly NodeRef[] }>
  | Msg<"predNoMore">
  | Msg<"updSuccList", { succList: readonly NodeRef[]; ttl: number }>
  // crash recovery and branch closing (docs/relaxed-ring.md §5, §6)
  | Msg<"fix">
  | Msg<"fixOk", { succList: readonly NodeRef[] }>
  /** "Not me: try my pred `to` (or, if you cannot reach it, the pred before it, `alt`)." */
  | Msg<"redirect", { to: NodeRef; alt: NodeRef | null }>
  | Msg<"hint", { candidate: NodeRef }>
  // graceful leave (docs/relaxed-ring.md §4)
  | Msg<"leaving", { pred: NodeRef | null; succ: NodeRef | null; succList: readonly NodeRef[] }>
  // ring merge (docs/ring-merge.md §2–§4): passive-list pings, and "you lie between cpred and csucc of
  // my ring"
  | Msg<"passivePing">
  | Msg<"passivePong">
  | Msg<"trymerge", { cpred: NodeRef; csucc: NodeRef }>
  /** Gossip (docs/ring-merge.md §4): "route an mlookup for `target` in your ring" (queued, one per γ). */
  | Msg<"mlookupAsk", { target: NodeRef }>;

export type RingTimer =
  | Msg<"fdRound">
  | Msg<"joinRetry">
  | Msg<"predTakeover", { pred: NodeRef }>
  | Msg<"hint">
  | Msg<"fingerRefresh">
  | Msg<"fingerProbe">
  | Msg<"probeCheck">
  | Msg<"lookupTimeout", { lookupId: number }>
  | Msg<"routeRetry", { parkId: number }>
  | Msg<"hopTimeout", { hopId: number }>
  | Msg<"fixTimeout", { to: NodeRef; fallback: NodeRef; alt: NodeRef | null }>
  | Msg<"mergeRound">
  | Msg<"passiveRound">
  | Msg<"loopCheck">;
