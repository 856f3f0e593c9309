// tx.req_list (docs/scalaris-api.md §5): one step of a transaction the client carries in its tlog; no
// commit answers the sealed new state, a commit answers the empty tlog; commit not last aborts the list.
// Must not break: a transaction poisoned by a failed op (now or earlier) never commits; no retry here.
import type { LiveNode } from "../../runtime/live-node.js";
import { MAX_TX_KEYS } from "../../tx/message-schema.js";
import type { RequestListOutcome, TxRequest, TxRequestResult } from "../../tx/request-list.js";
import type { TxEntry } from "../../tx/tx-lock.js";
import type { Json } from "../../wire/lossless-json.js";
import { EMPTY_TLOG, type TlogState } from "../tlog-token.js";
import { listArg } from "./call-args.js";
import type { JsonRpcContext } from "./json-rpc-context.js";
import { abort, fail, OK, opResult, TIMEOUT } from "./op-results.js";
import { keyOf, type PlannedOp, planOp } from "./request-list-translation.js";
import { BadInput, StoreUnavailable } from "./rpc-errors.js";
import { EMPTY_TLOG_TOKEN, openScalarisTlog, sealScalarisTlog } from "./scalaris-tlog.js";

interface Step {
  readonly outcome: RequestListOutcome;
  readonly entries: readonly TxEntry[];
}

/** The ops of a req_list param, translated. */
export function planList(json: Json | undefined): PlannedOp[] {
  const ops = listArg(json, "req_list").map(planOp);
  if (ops.length > MAX_TX_KEYS) throw new BadInput(`req_list: at most ${MAX_TX_KEYS} ops`);
  return ops;
}

const unique = (keys: readonly string[]): string[] => [...new Set(keys)];

/** The answer when a commit is not last: nothing runs, and the tlog remembers the list's keys as failed. */
async function commitNotLast(ctx: JsonRpcContext, node: LiveNode | null, state: TlogState, ops: PlannedOp[]) {
  const results = ops.map((op): Json => {
    if (op.kind === "commit") return abort([]);
    if (op.kind === "failed") return fail(op.reason);
    return op.request.op === "read" ? fail("not_found") : OK;
  });
  const keys = ops.flatMap((op) => keyOf(op) ?? []);
  const next = { entries: state.entries, failed: unique([...state.failed, ...keys]) };
  return { tlog: await sealScalarisTlog(next, ctx.secret, node), results };
}

async function runStep(
  node: LiveNode,
  entries: readonly TxEntry[],
  requests: TxRequest[],
): Promise<Step | null> {
  try {
    return await node.tlogStep(entries, requests);
  } catch {
    return null;
  }
}

/** Each op's answer in list order; the store's results go to the ops that reached it. */
function opAnswers(ops: PlannedOp[], results: readonly TxRequestResult[]): Json[] {
  let next = 0;
  return ops.flatMap((op): Json[] => {
    if (op.kind === "commit") return [];
    if (op.kind === "failed") return [fail(op.reason)];
    const result = results[next++];
    return [result === undefined ? TIMEOUT : opResult(result, op.request.op === "read")];
  });
}

function failedKeys(ops: PlannedOp[], results: readonly TxRequestResult[]): string[] {
  const requests = ops.flatMap((op) => (op.kind === "request" ? [op.request] : []));
  const storeFailed = results.flatMap((r, i) => (r.ok ? [] : [requests[i]?.key ?? ""]));
  const early = ops.flatMap((op) => (op.kind === "failed" ? [op.key] : []));
  return [...early, ...storeFailed];
}

function commitAnswer(outcome: RequestListOutcome, poisoned: readonly string[]): Json {
  if (poisoned.length > 0 || outcome.kind === "failed") return abort(poisoned);
  if (outcome.kind !== "ran" || outcome.outcome === null || !outcome.outcome.ok) return TIMEOUT;
  return outcome.outcome.committed ? OK : abort(outcome.outcome.conflicts);
}

async function runList(ctx: JsonRpcContext, node: LiveNode, state: TlogState, ops: PlannedOp[]) {
  const commits = ops.at(-1)?.kind === "commit";
  const requests: TxRequest[] = ops.flatMap((op) => (op.kind === "request" ? [op.request] : []));
  const early = ops.flatMap((op) => (op.kind === "failed" ? [op.key] : []));
  const doomed = state.failed.length > 0 || early.length > 0;
  const step = await runStep(
    node,
    state.entries,
    commits && !doomed ? [...requests, { op: "commit" }] : requests,
  );
  if (step === null || step.outcome.kind === "error") return null;
  const results = step.outcome.results;
  const poisoned = unique([...state.failed, ...failedKeys(ops, results)]);
  const answers = opAnswers(ops, results);
  if (commits) return { tlog: EMPTY_TLOG_TOKEN, results: [...answers, commitAnswer(step.outcome, poisoned)] };
  const next: TlogState = { entries: step.entries, failed: poisoned };
  return { tlog: await sealScalarisTlog(next, ctx.secret, node), results: answers };
}

/** req_list([ops]) or req_list([tlog, ops]). */
export async function reqList(ctx: JsonRpcContext, params: readonly Json[]): Promise<Json> {
  const tlogParam = params.length === 2 ? params[0] : undefined;
  const ops = planList(params.length === 2 ? params[1] : params[0]);
  const node = ctx.nodes.member();
  const timeouts = {
    tlog: typeof tlogParam === "string" ? tlogParam : EMPTY_TLOG_TOKEN,
    results: ops.map(() => TIMEOUT),
  };
  try {
    const state = tlogParam === undefined ? EMPTY_TLOG : await openScalarisTlog(tlogParam, ctx.secret, node);
    const commitAt = ops.findIndex((op) => op.kind === "commit");
    if (commitAt >= 0 && commitAt !== ops.length - 1) return await commitNotLast(ctx, node, state, ops);
    if (node === null) return timeouts;
    return (await runList(ctx, node, state, ops)) ?? timeouts;
  } catch (error) {
    if (error instanceof StoreUnavailable) return timeouts;
    throw error;
  }
}
