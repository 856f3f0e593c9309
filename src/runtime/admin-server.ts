// A node's admin HTTP port (docs/live-runtime.md §4): /status (JSON), /metrics (Prometheus text),
// /lookup?key=K (a lookup through the overlay), /ranges (this node's range changes, for the live
// tests), /health; POST /kv with a JSON body {op, key, value?, expected?, by?}: a single-key operation
// through the store; POST /tx with {ops: [...]}: a request list in one transaction (request-list.ts);
// and POST /merge with {contact: "host:port"}: ring merge's kick-start. Other routes (the benchmarks'
// load-routes.ts) are mounted by whoever starts the server.
// Bound to loopback by default: it is for the operator and the local CLI, not for the cluster.
// Every answer is JSON with ids as decimal strings; a bad request gets 400 and says why.
import http from "node:http";
import {
  jsonValue,
  literal,
  nullable,
  object,
  type Schema,
  SchemaError,
  str,
  validate,
} from "../core/schema.js";
import type { Value } from "../store/item.js";
import type { KvOp } from "../store/kv-proposer.js";
import { MAX_KEY_LENGTH } from "../store/message-schema.js";
import { requestListProblem, requestListSchema, type TxRequest } from "../tx/request-list.js";
import { type AdminRoute, type ServedNode, sendJson, servingNode } from "./http-json.js";
import type { LiveNode } from "./live-node.js";

const MAX_BODY_BYTES = 1 << 20;

interface KvRequest {
  readonly op: KvOp["kind"];
  readonly key: string;
  readonly value: Value;
  readonly expected: Value;
  readonly by: number | null;
}

const finiteNumber: Schema<number> = (v) => {
  if (typeof v !== "number" || !Number.isFinite(v)) throw new SchemaError("a finite number");
  return v;
};

/** A POST /kv body: every field present (null where the operation has none). */
const kvRequest: Schema<KvRequest> = object({
  op: literal("get", "put", "delete", "cas", "incr", "append", "remove"),
  key: str(MAX_KEY_LENGTH),
  value: jsonValue<Value>(),
  expected: jsonValue<Value>(),
  by: nullable(finiteNumber),
});

function toOp(r: KvRequest): KvOp {
  switch (r.op) {
    case "get":
    case "delete":
      return { kind: r.op };
    case "put":
    case "append":
    case "remove":
      return { kind: r.op, value: r.value };
    case "cas":
      return { kind: "cas", expected: r.expected, value: r.value };
    case "incr":
      return { kind: "incr", by: r.by ?? 1 };
  }
}

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let size = 0;
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new SchemaError(`a body of at most ${MAX_BODY_BYTES} bytes`).at("body"));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

async function kvRoute(node: LiveNode, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  let request: KvRequest;
  try {
    const text = await readBody(req);
    const raw = JSON.parse(text) as Record<string, unknown>;
    request = validate(kvRequest, { value: null, expected: null, by: null, ...raw }, "body");
  } catch (error) {
    sendJson(res, 400, {
      error: "invalid-argument",
      message: error instanceof Error ? error.message : String(error),
    });
    return;
  }
  const result = await node.kv(request.key, toOp(request));
  if (result.ok) {
    sendJson(res, 200, { key: request.key, ...result });
    return;
  }
  const status = result.code === "invalid-argument" ? 400 : result.code === "timeout" ? 504 : 503;
  sendJson(res, status, { error: result.code, message: result.message, key: request.key });
}
const requestList = object({ ops: requestListSchema() });

/**
 * POST /tx {ops: [...]}: a request list in one transaction (retried on conflict). 200 with each
 * request's result once it ran (committed, or without a commit); 409 when a request failed (nothing
 * committed) or every retry conflicted; 503/504 when the store could not answer.
 */
async function txRoute(node: LiveNode, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  let ops: TxRequest[];
  try {
    const text = await readBody(req);
    ops = validate(requestList, JSON.parse(text), "body").ops;
    const problem = requestListProblem(ops);
    if (problem !== null) throw new SchemaError(problem).at("body");
  } catch (error) {
    sendJson(res, 400, {
      error: "invalid-argument",
      message: error instanceof Error ? error.message : String(error),
    });
    return;
  }
  const answer = await node.requestList(ops);
  if (answer.kind === "error") {
    const status =
      answer.code === "conflict"
        ? 409
        : answer.code === "invalid-argument"
          ? 400
          : answer.code === "timeout"
            ? 504
            : 503;
    sendJson(res, status, { error: answer.code, message: answer.message, keys: answer.keys });
    return;
  }
  if (answer.kind === "failed") {
    const failed = ops[answer.index];
    const result = answer.results[answer.index];
    const why =
      result !== undefined && !result.ok
        ? `${result.reason}, the value is ${JSON.stringify(result.value)}`
        : "";
    sendJson(res, 409, {
      error: "request-failed",
      message: `ops[${answer.index}] (${failed?.op}) failed (${why}): nothing was committed`,
      index: answer.index,
      results: answer.results,
    });
    return;
  }
  const outcome = answer.outcome;
  sendJson(res, 200, {
    committed: outcome?.ok === true && outcome.committed,
    tid: outcome?.ok === true ? outcome.tid : null,
    attempts: answer.attempts,
    results: answer.results,
  });
}

const mergeRequest = object({ contact: str(256, /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/) });

/**
 * POST /merge {contact: "host:port"}: ring merge's external kick-start (docs/ring-merge.md §2). 202
 * once the contact answered (the merge runs in the background; watch /status or `selfman ring`), 503
 * if it did not answer.
 */
async function mergeRoute(
  node: LiveNode,
  req: http.IncomingMessage,
  res: http.ServerResponse,
): Promise<void> {
  let contact: string;
  try {
    contact = validate(mergeRequest, JSON.parse(await readBody(req)), "body").contact;
  } catch (error) {
    sendJson(res, 400, {
      error: "invalid-argument",
      message: error instanceof Error ? error.message : String(error),
    });
    return;
  }
  try {
    const ref = await node.mergeWith(contact);
    sendJson(res, 202, { contact: { id: ref.id, addr: ref.addr }, message: "merge started" });
  } catch (error) {
    sendJson(res, 503, {
      error: "unavailable",
      message: `${contact} did not answer: ${error instanceof Error ? error.message : String(error)}`,
    });
  }
}

async function route(
  served: ServedNode,
  extraRoutes: readonly AdminRoute[],
  req: http.IncomingMessage,
  res: http.ServerResponse,
): Promise<void> {
  const url = new URL(req.url ?? "/", "http://admin");
  for (const extra of extraRoutes) if (await extra(url, req, res)) return;
  const node = servingNode(served, res);
  if (node === null) return;
  if (url.pathname === "/kv" && req.method === "POST") {
    await kvRoute(node, req, res);
    return;
  }
  if (url.pathname === "/tx" && req.method === "POST") {
    await txRoute(node, req, res);
    return;
  }
  if (url.pathname === "/merge" && req.method === "POST") {
    await mergeRoute(node, req, res);
    return;
  }
  if (req.method !== "GET") {
    sendJson(res, 405, {
      error: "method-not-allowed",
      message: "the admin port answers GET (and POST /kv, /tx, /merge)",
    });
    return;
  }
  switch (url.pathname) {
    case "/health":
      sendJson(res, 200, { ok: true });
      return;
    case "/status":
      sendJson(res, 200, node.status());
      return;
    case "/ranges":
      sendJson(res, 200, { name: node.name, id: node.self.id, ranges: node.rangeHistory() });
      return;
    case "/metrics":
      res.writeHead(200, { "content-type": "text/plain; version=0.0.4" });
      res.end(node.metrics());
      return;
    case "/lookup": {
      const key = url.searchParams.get("key");
      if (key === null || key.length === 0 || key.length > MAX_KEY_LENGTH) {
        sendJson(res, 400, {
          error: "invalid-argument",
          message: `key: expected 1 to ${MAX_KEY_LENGTH} characters`,
        });
        return;
      }
      const { id, result, latencyMs } = await node.lookup(key);
      if (!result.ok) {
        sendJson(res, 503, { error: "unavailable", message: `lookup failed: ${result.reason}`, key, id });
        return;
      }
      sendJson(res, 200, {
        key,
        id,
        responsible: { id: result.responsible.id, addr: result.responsible.addr },
        hops: result.hops,
        latencyMs: Number(latencyMs.toFixed(3)),
      });
      return;
    }
    default:
      sendJson(res, 404, {
        error: "not-found",
        message: "try /status, /metrics, /lookup?key=K, /ranges or /health",
      });
  }
}

/**
 * Serves the admin endpoints of `node` (or of the node it picks per request), and `extraRoutes` first,
 * on host:port; resolves once listening.
 */
export async function startAdminServer(
  node: ServedNode,
  host: string,
  port: number,
  extraRoutes: readonly AdminRoute[] = [],
): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    route(node, extraRoutes, req, res).catch((error: unknown) => {
      sendJson(res, 500, {
        error: "internal",
        message: error instanceof Error ? error.message : String(error),
      });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  return server;
}
