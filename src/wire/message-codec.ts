// Messages on the wire (docs/architecture.md §6, docs/live-runtime.md §1): a message is encoded with the
// one codec (codec.ts), and a decoded payload reaches protocol code only after its schema accepted it.
// Nothing a peer sends may throw out of here: a payload is a message, or the reason it is not. The
// schemas are the protocols' own (node/message-schema.ts gathers a node's); this file only applies them.
import type { IdSpace } from "../core/id-space.js";
import type { MessageBase } from "../core/message.js";
import { type Schema, validate } from "../core/schema.js";
import { nodeMessageSchema } from "../node/message-schema.js";
import type { NodeMessage } from "../node/selfman-node.js";
import { decode, encode } from "./codec.js";

/** Why a payload is not a message: not MessagePack, or MessagePack its schema refused. */
type WireProblem = "bad-msgpack" | "bad-shape";

export type Checked<M> =
  | { readonly ok: true; readonly msg: M }
  | { readonly ok: false; readonly problem: WireProblem; readonly detail: string };

export class MessageCodec<M extends MessageBase> {
  private readonly schema: Schema<M>;

  constructor(schema: Schema<M>) {
    this.schema = schema;
  }

  encode(msg: M): Buffer {
    return encode(msg);
  }

  /** A payload as a checked message, or why it is not one. */
  decode(payload: Uint8Array): Checked<M> {
    const value = decode(payload);
    if (value === undefined) return { ok: false, problem: "bad-msgpack", detail: "not MessagePack" };
    return this.check(value);
  }

  /**
   * A decoded value (which nothing else holds: the check converts fields in place) as a checked
   * message, or why it is not one.
   */
  check(value: unknown): Checked<M> {
    try {
      return { ok: true, msg: validate(this.schema, value, "msg") };
    } catch (error) {
      return {
        ok: false,
        problem: "bad-shape",
        detail: error instanceof Error ? error.message : String(error),
      };
    }
  }
}

/** The codec of every message a selfman node takes. */
export function nodeMessageCodec(ids: IdSpace): MessageCodec<NodeMessage> {
  return new MessageCodec(nodeMessageSchema(ids));
}
