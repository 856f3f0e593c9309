// POST /v1/tx (docs/api.md §2.2, §5): a request list in one transaction, retried on conflict by the
// server; or one step of an interactive transaction whose log the client carries as a sealed tlog
// token, committed by a last step with commit true (no server retry: only the client can redo it).
import type { Value } from "../store/item.js";
import type { RequestListOutcome, TxRequest, TxRequestResult } from "../tx/request-list.js";
import { type ApiValue, fromStored, toWireJson } from "../wire/api-value.js";
import type { Json } from "../wire/lossless-json.js";
import { type ApiContext, body, reply, serving } from "./api-context.js";
import { ApiError } from "./api-error.js";
import { apiValue, array, bool, finiteNumber, object, str, tagged } from "./api-schema.js";
import type { RouteSpec } from "./route-table.js";
import { EMPTY_TLOG, openTlog, sealTlog, TlogError, type TlogState } from "./tlog-token.js";
import { checkedKey, storedValue } from "./v1-kv.js";

type WireOp =
  | { op: "read"; key: string }
  | { op: "write"; key: string; value: ApiValue }
  | { op: "delete"; key: string }
  | { op: "add_on_nr"; key: string; by: number }
  | { op: "add_del_on_list"; key: string; add: ApiValue[]; del: ApiValue[] }
  | { op: "test_and_set"; key: string; old: ApiValue; new: ApiValue };

interface TxBody {
  ops: WireOp[];
  tlog?: string;
  commit?: boolean;
}

function txBody(api: ApiContext) {
  const key = str(api.limits.keyLength);
  const value = apiValue(api.limits.valueBytes);
  const op = tagged<WireOp>("op", {
    read: object({ key }),
    write: object({ key, value }),
    delete: object({ key }),
    add_on_nr: object({ key, by: finiteNumber() }),
    add_del_on_list: object({ key, add: array(value, 10_000), del: array(value, 10_000) }),
    test_and_set: object({ key, old: value, new: value }),
  });
  return object(
    {
      ops: array(op, api.limits.opsPerList),
      tlog: str(api.limits.bodyBytes, "the tlog a previous step returned"),
      commit: bool(),
    },
    ["tlog", "commit"],
  );
}

function toRequest(op: WireOp, i: number, api: ApiContext): TxRequest {
  const key = checkedKey(op.key, api);
  const at = `body.ops[${i}]`;
  switch (op.op) {
    case "read":
    case "delete":
      return { op: op.op, key };
    case "write":
      return { op: "write", key, value: storedValue(op.value, api, `${at}.value`) };
    case "add_on_nr":
      return { op: "add_on_nr", key, by: op.by };
    case "add_del_on_list":
      return {
        op: "add_del_on_list",
        key,
        add: op.add.map((v, j) => storedValue(v, api, `${at}.add[${j}]`)),
        del: op.del.map((v, j) => storedValue(v, api, `${at}.del[${j}]`)),
      };
    case "test_and_set":
      return {
        op: "test_and_set",
        key,
        old: storedValue(op.old, api, `${at}.old`),
        new: storedValue(op.new, api, `${at}.new`),
      };
  }
}

const wire = (v: Value | undefined): Json => toWireJson(fromStored(v ?? null));

function resultJson(r: TxRequestResult): Json {
  return r.ok
    ? { ok: true, value: wire(r.value), found: r.found ?? true }
    : { ok: false, reason: r.reason, value: wire(r.value) };
}

export function txRoutes(api: ApiContext): RouteSpec[] {
  return [
    {
      method: "post",
      path: "/v1/tx",
      summary:
        "run requests in a transaction: without a tlog and with commit (the default) one retried request list; with commit false, a step that returns the tlog to continue with; a tlog with commit true commits it",
      scope: "write",
      body: txBody(api),
      responses: {
        200: "{committed, tlog, results}: tlog is null once committed",
        409: "conflict (the commit aborted: {keys}) or request-failed (a request failed: nothing committed)",
      },
      handler: async (c) => {
        const request = (await body(c, api, txBody(api))) as TxBody;
        const requests = request.ops.map((op, i) => toRequest(op, i, api));
        const commit = request.commit ?? true;
        if (request.tlog === undefined && commit) return reply(c, 200, await requestList(api, requests));
        return reply(c, 200, await step(api, request.tlog, requests, commit));
      },
    },
  ];
}

/** A whole list with commit, retried by the node on conflict. */
async function requestList(api: ApiContext, requests: TxRequest[]): Promise<Json> {
  const answer = await serving(api).requestList([...requests, { op: "commit" }]);
  const tx = api.metrics.tx;
  if (answer.kind === "error") {
    if (answer.code === "conflict") tx.aborted++;
    else tx.failed++;
    throw new ApiError(
      answer.code,
      answer.message,
      answer.code === "conflict" ? { keys: [...answer.keys] } : {},
    );
  }
  if (answer.kind === "failed") {
    tx.failed++;
    throw new ApiError("request-failed", `ops[${answer.index}] failed: nothing was committed`, {
      index: answer.index,
      results: answer.results.map(resultJson),
    });
  }
  tx.committed++;
  return { committed: true, tlog: null, attempts: answer.attempts, results: answer.results.map(resultJson) };
}

async function opened(api: ApiContext, tlog: string | undefined): Promise<TlogState> {
  if (tlog === undefined) return EMPTY_TLOG;
  try {
    return openTlog(tlog, await api.secret.get(serving(api)));
  } catch (error) {
    if (error instanceof TlogError) throw new ApiError("invalid-argument", `tlog: ${error.message}`);
    throw error;
  }
}

/** One step of a client-carried transaction. */
async function step(
  api: ApiContext,
  tlog: string | undefined,
  requests: TxRequest[],
  commit: boolean,
): Promise<Json> {
  const state = await opened(api, tlog);
  if (commit && state.failed.length > 0)
    throw new ApiError("request-failed", "an earlier step's request failed: nothing was committed", {
      keys: [...state.failed],
    });
  const node = serving(api);
  const ran = await node.tlogStep(state.entries, commit ? [...requests, { op: "commit" }] : requests);
  const results = outcomeResults(ran.outcome);
  const failed = [
    ...state.failed,
    ...requestKeys(requests).filter(
      (_, i) => ran.outcome.kind !== "error" && ran.outcome.results[i]?.ok === false,
    ),
  ];
  if (ran.outcome.kind === "error") throw new ApiError(ran.outcome.code, ran.outcome.message);
  if (!commit) {
    const sealed = sealTlog({ entries: ran.entries, failed }, await api.secret.get(node));
    return { committed: false, tlog: sealed, results };
  }
  return { committed: committedOutcome(api, ran.outcome, failed), tlog: null, results };
}

/** The key of each request (a commit has none: ""). */
function requestKeys(requests: readonly TxRequest[]): string[] {
  return requests.map((r) => ("key" in r ? r.key : ""));
}

function outcomeResults(outcome: RequestListOutcome): Json[] {
  return outcome.kind === "error" ? [] : outcome.results.map(resultJson);
}

/** true once committed; throws what the commit ended with otherwise. */
function committedOutcome(api: ApiContext, outcome: RequestListOutcome, failed: string[]): true {
  const tx = api.metrics.tx;
  if (outcome.kind === "failed") {
    tx.failed++;
    throw new ApiError("request-failed", `ops[${outcome.index}] failed: nothing was committed`, {
      index: outcome.index,
      keys: failed,
      results: outcome.results.map(resultJson),
    });
  }
  const commit = outcome.kind === "ran" ? outcome.outcome : null;
  if (commit === null || !commit.ok) {
    tx.failed++;
    throw new ApiError(
      commit?.ok === false ? commit.code : "unavailable",
      commit?.ok === false ? commit.message : "no outcome",
    );
  }
  if (!commit.committed) {
    tx.aborted++;
    throw new ApiError("conflict", `the commit aborted: ${commit.reason}`, { keys: [...commit.conflicts] });
  }
  tx.committed++;
  return true;
}
