// The answer of POST /v1/tx (docs/client.md §3): whether the transaction committed, the tlog that carries
// an open transaction to its next step (null once it is committed), and one result per op, in order.
import type { Json } from "../wire/lossless-json.js";
import { arrayMember, asObject, booleanMember, numberMember, optionalMember } from "./response-shape.js";
import { opResultOf, type TxOpResult } from "./tx-op.js";

export interface TxOutcome {
  readonly committed: boolean;
  /** How many times the node ran the list: more than 1 if it retried on conflict (1 if it does not say). */
  readonly attempts: number;
  readonly results: readonly TxOpResult[];
}

export interface TxStep extends TxOutcome {
  readonly tlog: string | null;
}

export function txStepOf(json: Json): TxStep {
  const body = asObject(json, "for a transaction");
  const tlog = optionalMember(body, "tlog");
  return {
    committed: booleanMember(body, "committed"),
    attempts: body.attempts === undefined ? 1 : numberMember(body, "attempts"),
    tlog: typeof tlog === "string" ? tlog : null,
    results: arrayMember(body, "results").map(opResultOf),
  };
}
