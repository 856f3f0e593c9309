// The schema of every transaction message (tx-messages.ts), applied by the live transport to each
// decoded frame with the ring's and the store's (docs/transactions.md). Keep it in step with TxMessage:
// the compiler says when a message kind has no schema.
import type { IdSpace } from "../core/id-space.js";
import { nodeRefSchema } from "../core/node-ref.js";
import {
  array,
  bigintBelow,
  bool,
  int,
  jsonValue,
  literal,
  object,
  type Schema,
  str,
  uint,
} from "../core/schema.js";
import type { Round, Value } from "../store/item.js";
import { MAX_KEY_LENGTH, TID_LENGTH } from "../store/message-schema.js";
import type { TxEntry } from "./tx-lock.js";
import type { AcceptedVote } from "./tx-messages.js";

/** At most this many keys in one transaction. */
export const MAX_TX_KEYS = 1024;

export function txMessageVariants(ids: IdSpace) {
  const id = bigintBelow(ids.size);
  const tid = str(TID_LENGTH);
  const key = str(MAX_KEY_LENGTH);
  const round: Schema<Round> = object({ counter: uint(), proposer: uint() });
  const vote = literal("prepared", "abort");
  const entry: Schema<TxEntry> = object({
    key,
    kind: literal("read", "write"),
    version: uint(),
    value: jsonValue<Value>(),
    tombstone: bool,
  });
  const acceptors = array(nodeRefSchema(ids), 64);
  const keys = array(key, MAX_TX_KEYS);
  const accepted: Schema<AcceptedVote> = object({ instance: uint(), ballot: uint(), vote });
  const votes = array(accepted, MAX_TX_KEYS * 64);
  const index = uint(63);
  const slot = int(-1, MAX_TX_KEYS * 64);
  return {
    txPrepare: object({
      tid,
      item: uint(MAX_TX_KEYS),
      replica: index,
      replicaId: id,
      entry,
      keys,
      round,
      acceptors,
    }),
    txVote: object({ tid, instance: uint(), vote, reason: str(256), keys, acceptors }),
    txMisrouted: object({ tid, item: uint(MAX_TX_KEYS), replica: index }),
    txInit: object({ tid, index, acceptors, log: array(entry, MAX_TX_KEYS), round }),
    txAccepted: object({ tid, index, ballot: uint(), votes }),
    txBallot: object({ tid, ballot: uint(), keys, acceptors }),
    txPromise: object({ tid, index, ballot: uint(), ok: bool, promised: uint(), accepted: votes }),
    txAccept: object({ tid, ballot: uint(), votes }),
    txFinal: object({ tid, commit: bool, item: slot, replica: int(-1, 63), key, replicaId: id }),
    txApplied: object({ tid, item: uint(MAX_TX_KEYS), replica: index, holds: bool }),
    txDecided: object({ tid, commit: bool }),
    txAsk: object({ tid, key, replicaId: id }),
  };
}
