// rdht.delete (docs/scalaris-api.md §6): a register delete (a tombstone on a majority), reported for every
// replica alike — "ok" × f if the key existed, "undef" × f if not, plus "failure":"timeout" when late.
// Must not break: results.length is the replication factor rt.get_replication_factor reports.
import type { LiveNode } from "../../runtime/live-node.js";
import type { Json } from "../../wire/lossless-json.js";
import { countArg, keyArg } from "./call-args.js";
import type { JsonRpcContext } from "./json-rpc-context.js";

const DEFAULT_TIMEOUT_MS = 2000;
const MAX_TIMEOUT_MS = 60_000;

function answer(ctx: JsonRpcContext, deleted: boolean, timedOut: boolean): Json {
  const results = Array.from({ length: ctx.replication }, () => (deleted ? "ok" : "undef"));
  const base = { ok: deleted ? ctx.replication : 0, results };
  return timedOut ? { ...base, failure: "timeout" } : base;
}

/** Whether the key existed; null if the store did not answer. */
async function deleteKey(node: LiveNode, key: string): Promise<boolean | null> {
  const before = await node.kv(key, { kind: "get" });
  if (!before.ok) return null;
  const deleted = await node.kv(key, { kind: "delete" });
  return deleted.ok ? before.found : null;
}

function within<T>(promise: Promise<T>, ms: number, late: T): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<T>((resolve) => {
    timer = setTimeout(() => resolve(late), ms);
  });
  return Promise.race([promise, expired]).finally(() => clearTimeout(timer));
}

/** delete([key]) or delete([key, timeout_ms]). */
export async function rdhtDelete(ctx: JsonRpcContext, [key, timeout]: readonly Json[]): Promise<Json> {
  const k = keyArg(key);
  const ms =
    timeout === undefined ? DEFAULT_TIMEOUT_MS : Math.min(countArg(timeout, "timeout"), MAX_TIMEOUT_MS);
  const node = ctx.nodes.member();
  if (node === null) return answer(ctx, false, true);
  const existed = await within(deleteKey(node, k), ms, null);
  return existed === null ? answer(ctx, false, true) : answer(ctx, existed, false);
}
