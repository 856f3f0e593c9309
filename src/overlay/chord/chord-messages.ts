// The Chord baseline's wire messages and timer tags (Stoica et al. 2001; docs/relaxed-ring.md §9), compared
// side by side with the relaxed ring. Plain data only (message.ts): NodeRefs, bigints, numbers, booleans,
// arrays. The FD messages are "ping"/"pong" like the relaxed ring's, so reports can leave them out of ring
// traffic.
import type { RingId } from "../../core/id-space.js";
import type { Msg } from "../../core/message.js";
import type { NodeRef } from "../../core/node-ref.js";

/** A routed find_successor(key) on behalf of `origin`; `hops` counts the messages sent so far. */
export type FindSuccessor = Msg<
  "findSucc",
  { key: RingId; origin: NodeRef; reqId: number; hops: number; lookup: boolean }
>;

/** The answer, sent straight to the origin by the node that found the key in (itself, succ]. */
type Found = Msg<"found", { reqId: number; key: RingId; responsible: NodeRef; hops: number }>;

/** stabilize: ask the successor for its predecessor and successor list. */
type GetPred = Msg<"getPred">;
export type PredIs = Msg<"predIs", { pred: NodeRef | null; succList: readonly NodeRef[] }>;

/** "I might be your predecessor." */
type Notify = Msg<"notify">;

/** Graceful leave, to the predecessor: "your successor is now `succ`". */
export type LeaveToPred = Msg<"leaveToPred", { succ: NodeRef; succList: readonly NodeRef[] }>;
/** Graceful leave, to the successor: "your predecessor is now `pred`". */
export type LeaveToSucc = Msg<"leaveToSucc", { pred: NodeRef | null }>;

/** Failure detector (check_predecessor and successor liveness). */
export type Ping = Msg<"ping">;
type Pong = Msg<"pong">;

export type ChordMessage =
  | FindSuccessor
  | Found
  | GetPred
  | PredIs
  | Notify
  | LeaveToPred
  | LeaveToSucc
  | Ping
  | Pong;

export type ChordTimer =
  | Msg<"stabilize">
  | Msg<"fixFinger">
  | Msg<"fdRound">
  /** A request (lookup, join or finger) got no answer in time. */
  | Msg<"requestTimeout", { reqId: number }>
  /** Hands a lookup result that was ready at once to its callback, inside a later handler. */
  | Msg<"deliver", { reqId: number }>;
