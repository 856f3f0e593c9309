// The schema of every message a selfman node takes: the ring's, the store's and the transactions' kinds
// in one union (what the live transport applies to each frame, docs/architecture.md §6).
import type { IdSpace } from "../core/id-space.js";
import { type Schema, tagged } from "../core/schema.js";
import { ringMessageVariants } from "../overlay/message-schema.js";
import { storeMessageVariants } from "../store/message-schema.js";
import { txMessageVariants } from "../tx/message-schema.js";
import type { NodeMessage } from "./selfman-node.js";

export function nodeMessageSchema(ids: IdSpace): Schema<NodeMessage> {
  return tagged<NodeMessage, "type">("type", {
    ...ringMessageVariants(ids),
    ...storeMessageVariants(ids),
    ...txMessageVariants(ids),
  });
}
