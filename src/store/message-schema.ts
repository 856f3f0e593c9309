// The schema of every storage message (store-messages.ts), applied by the live transport to each decoded
// frame with the ring's (docs/architecture.md §6; docs/replication.md, docs/register.md). Keep it in step
// with StoreMessage: the compiler says when a message kind has no schema.
import type { IdSpace } from "../core/id-space.js";
import { nodeRefSchema } from "../core/node-ref.js";
import {
  array,
  bigintBelow,
  bool,
  jsonValue,
  literal,
  nullable,
  object,
  type Schema,
  str,
  uint,
} from "../core/schema.js";
import type { Round, StoredItem, TxLock, Value } from "./item.js";
import { WRITERS_KEPT } from "./item.js";
import type { ItemState, Span } from "./store-messages.js";

/** The longest key a client may use. */
export const MAX_KEY_LENGTH = 1024;
/** The longest transaction id (`tm-nonce.sequence`). */
export const TID_LENGTH = 64;
/** At most this many transactions hold one replica at once (read locks add up; one write lock). */
const MAX_LOCKS = 1024;
/** At most this many items in one hand-over or repair answer (a frame is at most 1 MiB anyway). */
const MAX_ITEMS = 100_000;

/** The store's message kinds and their schemas, to be joined with the ring's into one union. */
export function storeMessageVariants(ids: IdSpace) {
  const id = bigintBelow(ids.size);
  const round: Schema<Round> = object({ counter: uint(), proposer: uint() });
  const key = str(MAX_KEY_LENGTH);
  const value = jsonValue<Value>();
  const writers = array(uint(), WRITERS_KEPT);
  const state: Schema<ItemState> = object({
    value,
    version: uint(),
    tombstone: bool,
    writeRound: round,
    writers,
  });
  const lock: Schema<TxLock> = object({
    tid: str(TID_LENGTH),
    kind: literal("read", "write"),
    version: uint(),
    round,
    value,
    tombstone: bool,
    acceptors: array(nodeRefSchema(ids), 64),
  });
  const item: Schema<StoredItem> = object({
    key,
    replicaId: id,
    value,
    version: uint(),
    tombstone: bool,
    readRound: round,
    writeRound: round,
    writers,
    locks: array(lock, MAX_LOCKS),
  });
  const span: Schema<Span> = object({ from: id, to: id });
  const items = array(item, MAX_ITEMS);
  const spans = array(span, 1024);
  return {
    regPeek: object({ op: uint(), key, replicaId: id }),
    regRead: object({ op: uint(), key, replicaId: id, round }),
    regWrite: object({
      op: uint(),
      key,
      replicaId: id,
      round,
      value,
      version: uint(),
      tombstone: bool,
      writers,
    }),
    regReply: object({
      op: uint(),
      replicaId: id,
      status: literal("ok", "nack", "locked", "abstain", "notResponsible"),
      item: nullable(state),
      seen: round,
      pred: nullable(id),
    }),
    handover: object({ transfer: uint(), from: id, to: id, items, gaps: spans }),
    handoverAck: object({ transfer: uint() }),
    repairAsk: object({ repair: uint(), from: id, to: id }),
    repairReply: object({ repair: uint(), from: id, covered: id, items, gaps: spans }),
    digest: object({ from: id, to: id, buckets: array(uint(0xffff_ffff), 64) }),
    digestReply: object({ items }),
  };
}
