// The sequential model of a single key (what the store promises, docs/register.md), for the
// linearizability checker: a value or nothing, and the effect and answer of each operation.
import type { Value } from "../store/item.js";
import { jsonEqual, type KvOp } from "../store/kv-proposer.js";
import type { Model } from "./linearizability.js";

/** What a client saw: the answer of an operation that succeeded. */
export interface KvOutput {
  readonly value: Value;
  readonly found: boolean;
  readonly applied: boolean;
}

/** A key's state: its value, or undefined when absent. */
type KvState = Value | undefined;

function matches(output: KvOutput | undefined, state: KvState): boolean {
  if (output === undefined) return true;
  return state === undefined ? !output.found : output.found && jsonEqual(output.value, state);
}

export const kvModel: Model<KvState, KvOp, KvOutput> = {
  init: undefined,
  key: (state) => (state === undefined ? "-" : JSON.stringify(state)),
  step(state, op, output) {
    const to = (next: KvState) => ({ next });
    switch (op.kind) {
      case "get":
        return matches(output, state) ? to(state) : null;
      case "put":
        return to(op.value);
      case "delete":
        return to(undefined);
      case "cas": {
        const equal = state === undefined ? op.expected === null : jsonEqual(state, op.expected);
        if (output !== undefined && output.applied !== equal) return null;
        if (!equal) return matches(output, state) ? to(state) : null;
        return to(op.value);
      }
      case "incr": {
        if (state !== undefined && typeof state !== "number") return null;
        const next = (state ?? 0) + op.by;
        return output === undefined || jsonEqual(output.value, next) ? to(next) : null;
      }
      case "append":
      case "remove": {
        if (state !== undefined && !Array.isArray(state)) return null;
        const list = (state ?? []) as readonly Value[];
        const next = op.kind === "append" ? [...list, op.value] : list.filter((v) => !jsonEqual(v, op.value));
        return output === undefined || jsonEqual(output.value, next) ? to(next) : null;
      }
    }
  },
};
