// The JSON-RPC 2.0 envelope as Scalaris speaks it (docs/scalaris-api.md §1): method, positional params,
// an id echoed as sent (no "jsonrpc" member needed); no id makes a notification, which gets no answer.
// Must not break: the id is echoed exactly (big integers too); object params are -32601, not a 500.
import type { Json } from "../../wire/lossless-json.js";
import { BadInput } from "./rpc-errors.js";

export interface Call {
  /** undefined: a notification. */
  readonly id: Json | undefined;
  readonly method: string;
  /** null: the params were an object (Scalaris takes positional params only). */
  readonly params: readonly Json[] | null;
}

export function readCall(json: Json): Call {
  if (typeof json !== "object" || json === null || Array.isArray(json))
    throw new BadInput("a call is an object");
  const call = json as { readonly [key: string]: Json };
  const id = Object.hasOwn(call, "id") ? call.id : undefined;
  const method = call.method;
  if (typeof method !== "string") throw new BadInput("method: a string");
  const params = call.params;
  if (params === undefined) return { id, method, params: [] };
  if (Array.isArray(params)) return { id, method, params: params as readonly Json[] };
  if (typeof params === "object" && params !== null) return { id, method, params: null };
  throw new BadInput("params: a list");
}

export function resultAnswer(id: Json, result: Json): Json {
  return { result, id, jsonrpc: "2.0" };
}

export function errorAnswer(id: Json, code: number, message: string): Json {
  return { jsonrpc: "2.0", id, error: { code, message } };
}

export const PARSE_ERROR: Json = errorAnswer(null, -32700, "parse error");
export const METHOD_NOT_FOUND = { code: -32601, message: "method not found" } as const;
export const UNKNOWN_REQUEST: Json = { failure: "unknownreq" };
