// The requests of a transaction or request list and their results (docs/client.md §3), with their /v1
// JSON: the op names and members are the server's. A result is ok with the value read or written, or
// not ok with the reason; reasons are the server's and stay strings callers can branch on.
import type { Json } from "../wire/lossless-json.js";
import { fromWire, toWire, type Value } from "./client-value.js";
import { asObject, booleanMember, optionalMember, stringMember } from "./response-shape.js";

export type TxOp =
  | { readonly op: "read"; readonly key: string }
  | { readonly op: "write"; readonly key: string; readonly value: Value }
  | { readonly op: "delete"; readonly key: string }
  | { readonly op: "add_on_nr"; readonly key: string; readonly by: number | bigint }
  | {
      readonly op: "add_del_on_list";
      readonly key: string;
      readonly add: readonly Value[];
      readonly del: readonly Value[];
    }
  | { readonly op: "test_and_set"; readonly key: string; readonly old: Value; readonly new: Value };

export type TxFailureReason = "key_changed" | "not_a_number" | "not_a_list" | (string & {});

export type TxOpResult =
  | { readonly ok: true; readonly value: Value; readonly found: boolean }
  | { readonly ok: false; readonly reason: TxFailureReason; readonly value: Value };

/** The /v1 JSON of one op. */
export function opToWire(op: TxOp): Json {
  switch (op.op) {
    case "read":
    case "delete":
      return { op: op.op, key: op.key };
    case "write":
      return { op: "write", key: op.key, value: toWire(op.value) };
    case "add_on_nr":
      return { op: "add_on_nr", key: op.key, by: toWire(op.by) };
    case "add_del_on_list":
      return { op: "add_del_on_list", key: op.key, add: op.add.map(toWire), del: op.del.map(toWire) };
    case "test_and_set":
      return { op: "test_and_set", key: op.key, old: toWire(op.old), new: toWire(op.new) };
  }
}

/** Whether sending these ops twice leaves the store as sending them once: reads, writes and deletes only. */
export function areIdempotent(ops: readonly TxOp[]): boolean {
  return ops.every((op) => op.op === "read" || op.op === "write" || op.op === "delete");
}

export function opResultOf(json: Json): TxOpResult {
  const body = asObject(json, "for a request's result");
  const value = fromWire(optionalMember(body, "value"));
  if (booleanMember(body, "ok")) return { ok: true, value, found: body.found === true };
  return { ok: false, reason: stringMember(body, "reason"), value };
}
