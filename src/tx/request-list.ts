// A transaction as a list of requests, with Scalaris's `req_list` semantics (docs/transactions.md §1):
// read, write, add_on_nr (add to a number), add_del_on_list (add and remove list elements),
// test_and_set, delete, and commit — run in order in one transaction. A request that fails (a
// test_and_set that finds another value, add_on_nr on a non-number) fails the list: the requests after
// it still run and answer, but nothing is committed. Commit, if present, must be the last request.
// Callback style, like every protocol module.
import type { ErrorCode } from "../core/error-code.js";
import { array, jsonValue, object, type Schema, SchemaError, str, tagged } from "../core/schema.js";
import type { Value } from "../store/item.js";
import { jsonEqual } from "../store/kv-proposer.js";
import { MAX_KEY_LENGTH } from "../store/message-schema.js";
import { MAX_TX_KEYS } from "./message-schema.js";
import type { Transaction, TxReadResult } from "./transaction.js";
import type { TxOutcome } from "./tx-outcome.js";

export type TxRequest =
  | { readonly op: "read"; readonly key: string }
  | { readonly op: "write"; readonly key: string; readonly value: Value }
  | { readonly op: "delete"; readonly key: string }
  | { readonly op: "add_on_nr"; readonly key: string; readonly by: number }
  | {
      readonly op: "add_del_on_list";
      readonly key: string;
      readonly add: readonly Value[];
      readonly del: readonly Value[];
    }
  | { readonly op: "test_and_set"; readonly key: string; readonly old: Value; readonly new: Value }
  | { readonly op: "commit" };

/** What one request gave: ok (with the value it read or wrote), or why it failed. */
export type TxRequestResult =
  | { readonly ok: true; readonly value?: Value; readonly found?: boolean }
  | {
      readonly ok: false;
      readonly reason: "key_changed" | "not_a_number" | "not_a_list" | "not_found";
      readonly value: Value;
    };

export type RequestListOutcome =
  /** Every request ran; `outcome`: the commit's, or null when the list has no commit. */
  | { readonly kind: "ran"; readonly results: readonly TxRequestResult[]; readonly outcome: TxOutcome | null }
  /** Request `index` failed first (the ones after it ran too): nothing was committed. */
  | { readonly kind: "failed"; readonly results: readonly TxRequestResult[]; readonly index: number }
  /** A read could not be done (a majority of a key's replicas unavailable): nothing was committed. */
  | { readonly kind: "error"; readonly code: ErrorCode; readonly message: string };

const finiteNumber: Schema<number> = (v) => {
  if (typeof v !== "number" || !Number.isFinite(v)) throw new SchemaError("a finite number");
  return v;
};

/** The schema of a request list (a POST /tx body's `ops`, `selfman tx --ops FILE`). */
export function requestListSchema(): Schema<TxRequest[]> {
  const key = str(MAX_KEY_LENGTH);
  const value = jsonValue<Value>();
  const request = tagged<TxRequest, "op">("op", {
    read: object({ key }),
    write: object({ key, value }),
    delete: object({ key }),
    add_on_nr: object({ key, by: finiteNumber }),
    add_del_on_list: object({ key, add: array(value, 10_000), del: array(value, 10_000) }),
    test_and_set: object({ key, old: value, new: value }),
    commit: object({}),
  });
  return array(request, MAX_TX_KEYS);
}

/** Checks the shape rules the schema cannot: commit only last. Returns the problem, or null. */
export function requestListProblem(requests: readonly TxRequest[]): string | null {
  const commitAt = requests.findIndex((r) => r.op === "commit");
  if (commitAt >= 0 && commitAt !== requests.length - 1)
    return `ops[${commitAt}]: commit must be the last request`;
  if (requests.length === 0) return "ops: at least one request";
  return null;
}

export function runRequestList(
  tx: Transaction,
  requests: readonly TxRequest[],
  onDone: (outcome: RequestListOutcome) => void,
): void {
  const results: TxRequestResult[] = [];
  let failedAt = -1;
  const step = (i: number): void => {
    const request = requests[i];
    if (failedAt >= 0 && (request === undefined || request.op === "commit")) {
      onDone({ kind: "failed", results, index: failedAt });
      return;
    }
    if (request === undefined) {
      onDone({ kind: "ran", results, outcome: null });
      return;
    }
    if (request.op === "commit") {
      tx.commit((outcome) => onDone({ kind: "ran", results, outcome }));
      return;
    }
    tx.read(request.key, (read: TxReadResult) => {
      if (!read.ok) {
        onDone({ kind: "error", code: read.code, message: read.message });
        return;
      }
      const answer = apply(request, read.found ? read.value : null, read.found);
      results.push(answer.result);
      if (!answer.result.ok && failedAt < 0) failedAt = i;
      if (request.op === "delete") tx.delete(request.key, () => step(i + 1));
      else if (answer.write === undefined) step(i + 1);
      else tx.write(request.key, answer.write, () => step(i + 1));
    });
  };
  step(0);
}

/** What a request makes of the key's current value: its result, and what to write (if anything). */
function apply(
  request: Exclude<TxRequest, { op: "commit" }>,
  current: Value,
  found: boolean,
): { result: TxRequestResult; write?: Value } {
  switch (request.op) {
    case "read":
      return { result: { ok: true, value: current, found } };
    case "write":
      return { result: { ok: true, value: request.value }, write: request.value };
    case "delete":
      return { result: { ok: true, value: current, found } };
    case "add_on_nr": {
      if (found && typeof current !== "number")
        return { result: { ok: false, reason: "not_a_number", value: current } };
      const sum = (typeof current === "number" ? current : 0) + request.by;
      // a sum beyond the largest double has no JSON form: the value stays as it was
      if (!Number.isFinite(sum)) return { result: { ok: false, reason: "not_a_number", value: current } };
      return { result: { ok: true, value: sum }, write: sum };
    }
    case "add_del_on_list": {
      if (found && !Array.isArray(current))
        return { result: { ok: false, reason: "not_a_list", value: current } };
      // the added items go in front; each deleted item removes its first occurrence
      const next: Value[] = [...request.add, ...(Array.isArray(current) ? (current as Value[]) : [])];
      for (const d of request.del) {
        const at = next.findIndex((v) => jsonEqual(v, d));
        if (at >= 0) next.splice(at, 1);
      }
      return { result: { ok: true, value: next }, write: next };
    }
    case "test_and_set": {
      // a missing key matches only an expected null (creating it); otherwise it is not_found
      if (!found && request.old !== null) return { result: { ok: false, reason: "not_found", value: null } };
      if (found && !jsonEqual(current, request.old))
        return { result: { ok: false, reason: "key_changed", value: current } };
      return { result: { ok: true, value: request.new }, write: request.new };
    }
  }
}
