// The storage layer's messages and timers (docs/replication.md, docs/register.md), declared once. Register
// messages go from a proposer straight to the node it believes owns a replica id; the owner checks that it is
// responsible and answers notResponsible otherwise. Hand-over and repair move items between owners.
import type { RingId } from "../core/id-space.js";
import type { Msg } from "../core/message.js";
import type { Round, StoredItem, Value } from "./item.js";

/**
 * What a replica answers a register request: ok, refused (a higher round was seen, or a transaction
 * holds the key), or cannot say.
 */
export type ReplyStatus = "ok" | "nack" | "locked" | "abstain" | "notResponsible";

/** A ring interval (from, to] in a message. */
export interface Span {
  readonly from: RingId;
  readonly to: RingId;
}

/** What a replica reports of its copy of a key. */
export interface ItemState {
  readonly value: Value;
  readonly version: number;
  readonly tombstone: boolean;
  readonly writeRound: Round;
  readonly writers: readonly number[];
}

export type StoreMessage =
  // the round-based register (docs/register.md §2, §3)
  /** Read without a promise: the fast path of get (no disk write anywhere). */
  | Msg<"regPeek", { op: number; key: string; replicaId: RingId }>
  /** Read with a promise: no write with a lower round will be accepted afterwards. */
  | Msg<"regRead", { op: number; key: string; replicaId: RingId; round: Round }>
  | Msg<
      "regWrite",
      {
        op: number;
        key: string;
        replicaId: RingId;
        round: Round;
        value: Value;
        version: number;
        tombstone: boolean;
        writers: readonly number[];
      }
    >
  /** `pred`: the replier's predecessor id, so the proposer learns the range the replier owns. */
  | Msg<
      "regReply",
      {
        op: number;
        replicaId: RingId;
        status: ReplyStatus;
        item: ItemState | null;
        seen: Round;
        pred: RingId | null;
      }
    >
  // hand-over on join and graceful leave (docs/replication.md §3): the items of (from, to], acknowledged;
  // `gaps`: the parts of it where the sender's own data was incomplete (the receiver must still repair
  // those, or take them from the sender should it pass the data on late)
  | Msg<
      "handover",
      { transfer: number; from: RingId; to: RingId; items: readonly StoredItem[]; gaps: readonly Span[] }
    >
  | Msg<"handoverAck", { transfer: number }>
  // repair after a range grew by a crash (docs/replication.md §4): items of a shifted range from its owner
  | Msg<"repairAsk", { repair: number; from: RingId; to: RingId }>
  /**
   * The items of (from, covered] — the part of the asked range the replier owns — and `gaps`: the
   * parts of it where the replier's data is not known to be complete (not to be trusted).
   */
  | Msg<
      "repairReply",
      { repair: number; from: RingId; covered: RingId; items: readonly StoredItem[]; gaps: readonly Span[] }
    >
  // anti-entropy (docs/replication.md §5): per-bucket digests of a range; the answer carries the items
  // that differ
  | Msg<"digest", { from: RingId; to: RingId; buckets: readonly number[] }>
  | Msg<"digestReply", { items: readonly StoredItem[] }>;

export type StoreTimer =
  | Msg<"opTimeout", { op: number; attempt: number }>
  | Msg<"opRetry", { op: number }>
  | Msg<"handoverWait", { from: RingId; to: RingId }>
  /** A hand-over not yet acknowledged is sent again (it may have been lost). */
  | Msg<"handoverResend", { transfer: number; attempt: number }>
  | Msg<"repairTimeout", { repair: number }>
  | Msg<"antiEntropy">;
