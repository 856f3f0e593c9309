// The single operations of /api/tx.yaws and req_list_commit_each (docs/scalaris-api.md §4): a lone read
// or write is one register operation (it respects transactions' locks); the others run with their commit
// as one request list, retried on conflict. Must not break: a conflict left after the retries is abort with its keys.
import type { Json } from "../../wire/lossless-json.js";
import { keyArg } from "./call-args.js";
import type { JsonRpcContext } from "./json-rpc-context.js";
import { abort, fail, opResult, TIMEOUT } from "./op-results.js";
import { planList } from "./req-list.js";
import { addDelOnList, addOnNr, type PlannedOp, testAndSet } from "./request-list-translation.js";
import { BadInput } from "./rpc-errors.js";
import { storedFromTagged } from "./value-tags.js";

/** One op committed in a transaction of its own. */
export async function runSingle(ctx: JsonRpcContext, op: PlannedOp): Promise<Json> {
  if (op.kind === "commit") throw new BadInput("commit is not an op of its own");
  if (op.kind === "failed") return fail(op.reason);
  const node = ctx.nodes.member();
  if (node === null) return TIMEOUT;
  const request = op.request;
  if (request.op === "read" || request.op === "write") {
    const kv = await node
      .kv(request.key, request.op === "read" ? { kind: "get" } : { kind: "put", value: request.value })
      .catch(() => null);
    if (kv === null || !kv.ok) return TIMEOUT;
    return opResult({ ok: true, value: kv.value, found: kv.found }, request.op === "read");
  }
  const answer = await node.requestList([op.request, { op: "commit" }]).catch(() => null);
  if (answer === null) return TIMEOUT;
  if (answer.kind === "error") return answer.code === "conflict" ? abort(answer.keys) : TIMEOUT;
  const [result] = answer.results;
  return result === undefined ? TIMEOUT : opResult(result, op.request.op === "read");
}

export function read(ctx: JsonRpcContext, [key]: readonly Json[]): Promise<Json> {
  return runSingle(ctx, { kind: "request", request: { op: "read", key: keyArg(key) } });
}

export function write(ctx: JsonRpcContext, [key, value]: readonly Json[]): Promise<Json> {
  const k = keyArg(key);
  if (value === undefined) throw new BadInput("write: key and value");
  return runSingle(ctx, {
    kind: "request",
    request: { op: "write", key: k, value: storedFromTagged(value) },
  });
}

export function testAndSetMethod(ctx: JsonRpcContext, [key, old, next]: readonly Json[]): Promise<Json> {
  return runSingle(ctx, testAndSet(keyArg(key), old, next, true));
}

export function addOnNrMethod(ctx: JsonRpcContext, [key, by]: readonly Json[]): Promise<Json> {
  const k = keyArg(key);
  return runSingle(ctx, addOnNr(k, by ?? null));
}

export function addDelOnListMethod(ctx: JsonRpcContext, [key, add, del]: readonly Json[]): Promise<Json> {
  return runSingle(ctx, addDelOnList(keyArg(key), add, del));
}

/** Each op in a transaction of its own, one after the other. */
export async function reqListCommitEach(ctx: JsonRpcContext, [ops]: readonly Json[]): Promise<Json> {
  const planned = planList(ops);
  if (planned.some((op) => op.kind === "commit")) throw new BadInput("req_list_commit_each: no commit");
  const answers: Json[] = [];
  for (const op of planned) answers.push(await runSingle(ctx, op));
  return answers;
}
