// What every ring protocol (the relaxed ring and the Chord baseline) shows the outside: the node API
// (lookup, leave) and a read-only view for the global checkers and /status (`inspect()`, which
// never changes state: docs/architecture.md §2). Checkers judge both protocols through this one
// interface (docs/metrics.md §3).
import type { RingId } from "../core/id-space.js";
import type { NodeRef } from "../core/node-ref.js";
import type { RingRef } from "./messages.js";

export type LookupResult =
  | { readonly ok: true; readonly responsible: NodeRef; readonly hops: number }
  | { readonly ok: false; readonly reason: "timeout" | "left" };

export type LookupCallback = (result: LookupResult) => void;

export interface RingView {
  readonly self: NodeRef;
  readonly pred: NodeRef | null;
  readonly succ: NodeRef | null;
  readonly succList: readonly NodeRef[];
  /** A ring member: it finished joining (it has a successor) and has not left. */
  readonly isMember: boolean;
  /** Peers kept for routing other than succ/pred: fingers (and what the protocol keeps beside them). */
  fingerRefs(): readonly NodeRef[];
  /**
   * Distinct peers kept for routing: fingers, their successors, succList (docs/metrics.md §3:
   * routingTableMean).
   */
  routingTableSize(): number;
  /** Peers currently suspected by this node's failure detector. */
  suspected(): readonly NodeRef[];
  /** The ring this node is in (protocols with ring identity only; null until it joins). */
  readonly ringRef?: RingRef | null;
}

export interface RingNodeApi extends RingView {
  /** Finds the node responsible for `key`; the callback runs once, inside a later handler. */
  lookup(key: RingId, onDone: LookupCallback): void;
  /** Joins through another contact (after a `join-stalled` event); a member ignores it. */
  join?(contact: NodeRef): void;
  /** Graceful leave: hand over, tell the neighbours, stop answering. */
  leave(): void;
  /** Ring merge kick-start (docs/ring-merge.md §2): `contact` may be in another ring. */
  mergeWith?(contact: NodeRef): void;
}
