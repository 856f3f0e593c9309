// Scalaris's req_list ops → selfman's request list (docs/scalaris-api.md §5); an argument of the wrong
// kind is an op failed at once (not_a_number / not_a_list) that poisons the transaction with its key.
// Must not break: every key passes keyArg, so no reserved key reaches the store.
import type { TxRequest } from "../../tx/request-list.js";
import { toStored } from "../../wire/api-value.js";
import type { Json } from "../../wire/lossless-json.js";
import { keyArg, onlyMember } from "./call-args.js";
import { BadInput } from "./rpc-errors.js";
import { plainValue, storedFromEither, storedFromTagged } from "./value-tags.js";

/** One translated op: a request for the store, one that failed before reaching it, or the commit. */
export type PlannedOp =
  | { readonly kind: "request"; readonly request: Exclude<TxRequest, { op: "commit" }> }
  | { readonly kind: "failed"; readonly key: string; readonly reason: "not_a_number" | "not_a_list" }
  | { readonly kind: "commit" };

function asObject(json: Json, what: string): { readonly [key: string]: Json } {
  if (typeof json !== "object" || json === null || Array.isArray(json))
    throw new BadInput(`${what}: an object`);
  return json as { readonly [key: string]: Json };
}

export function addOnNr(key: string, by: Json): PlannedOp {
  if (typeof by !== "number") return { kind: "failed", key, reason: "not_a_number" };
  return { kind: "request", request: { op: "add_on_nr", key, by } };
}

export function addDelOnList(key: string, add: Json | undefined, del: Json | undefined): PlannedOp {
  if (!Array.isArray(add) || !Array.isArray(del)) return { kind: "failed", key, reason: "not_a_list" };
  const stored = (items: readonly Json[]) => items.map((item) => toStored(plainValue(item)));
  return { kind: "request", request: { op: "add_del_on_list", key, add: stored(add), del: stored(del) } };
}

/** `tagged`: old and new must carry tags (the tx.yaws method); req_list takes them plain as well. */
export function testAndSet(
  key: string,
  old: Json | undefined,
  next: Json | undefined,
  tagged: boolean,
): PlannedOp {
  if (old === undefined || next === undefined) throw new BadInput("test_and_set: key, old and new");
  const value = tagged ? storedFromTagged : storedFromEither;
  return { kind: "request", request: { op: "test_and_set", key, old: value(old), new: value(next) } };
}

/** The one key: value member of {"write": ...} or {"add_on_nr": ...}. */
function keyed(json: Json, what: string): [string, Json] {
  const [key, value] = onlyMember(asObject(json, what));
  return [keyArg(key), value];
}

/** One req_list op. */
export function planOp(json: Json): PlannedOp {
  const [name, arg] = onlyMember(json);
  switch (name) {
    case "read":
      return { kind: "request", request: { op: "read", key: keyArg(arg) } };
    case "write": {
      const [key, value] = keyed(arg, "write");
      return { kind: "request", request: { op: "write", key, value: storedFromTagged(value) } };
    }
    case "add_on_nr": {
      const [key, by] = keyed(arg, "add_on_nr");
      return addOnNr(key, by);
    }
    case "add_del_on_list": {
      const o = asObject(arg, "add_del_on_list");
      return addDelOnList(keyArg(o.key), o.add, o.del);
    }
    case "test_and_set": {
      const o = asObject(arg, "test_and_set");
      return testAndSet(keyArg(o.key), o.old, o.new, false);
    }
    case "commit":
      return { kind: "commit" };
    default:
      throw new BadInput(`no op ${JSON.stringify(name)}`);
  }
}

/** The key an op names (null for commit). */
export function keyOf(op: PlannedOp): string | null {
  if (op.kind === "commit") return null;
  return op.kind === "failed" ? op.key : op.request.key;
}
