// Scalaris's result shapes (docs/scalaris-api.md §4): ok, ok with a tagged value, or a fail with its
// reason (abort with keys, key_changed with the current value, not_found, not_a_number, not_a_list, timeout).
// Must not break: no member more than Scalaris sends — clients compare these objects exactly.
import type { Value } from "../../store/item.js";
import type { TxRequestResult } from "../../tx/request-list.js";
import type { Json } from "../../wire/lossless-json.js";
import { tag } from "./value-tags.js";

export type FailReason = "not_found" | "timeout" | "key_changed" | "not_a_number" | "not_a_list";

export const OK: Json = { status: "ok" };
export const TIMEOUT: Json = { status: "fail", reason: "timeout" };

export function fail(reason: FailReason): Json {
  return { status: "fail", reason };
}

/** A commit (or a single write) that did not go through, naming the keys that stopped it. */
export function abort(keys: readonly string[]): Json {
  return { status: "fail", reason: "abort", keys: [...new Set(keys)] };
}

export function readValue(value: Value): Json {
  return { status: "ok", value: tag(value) };
}

/** What one op of a request list answers; `isRead`: the op was a read (it reports the value). */
export function opResult(result: TxRequestResult, isRead: boolean): Json {
  if (result.ok) {
    if (!isRead) return OK;
    return result.found === false ? fail("not_found") : readValue(result.value ?? null);
  }
  if (result.reason === "key_changed")
    return { status: "fail", reason: "key_changed", value: tag(result.value) };
  return fail(result.reason);
}
