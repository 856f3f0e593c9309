// The admin port's benchmark routes (docs/metrics.md §7): GET /bench/lookups, /bench/kv and /bench/tx
// run one batch of load-drivers.ts on this node and answer its figures. `selfman node` mounts them next
// to the admin server's own routes; bench/ calls them.
import type http from "node:http";
import {
  type AdminRoute,
  badRequest,
  intParam,
  type ServedNode,
  sendJson,
  servingNode,
} from "./http-json.js";
import type { LiveNode } from "./live-node.js";
import { driveKv, driveLookups, driveTx, type KvWorkload, type TxWorkload } from "./load-drivers.js";

const MAX_BATCH = 1_000_000;
const MAX_CONCURRENCY = 10_000;
const MAX_KEYS = 1_000_000;

interface BatchParams {
  readonly count: number;
  readonly concurrency: number;
}

/** count and concurrency from the query, or the first problem. */
function batchParams(url: URL): BatchParams | string {
  const count = intParam(url, "count", 1, MAX_BATCH);
  const concurrency = intParam(url, "concurrency", 1, MAX_CONCURRENCY);
  if (typeof count === "string") return count;
  if (typeof concurrency === "string") return concurrency;
  return { count, concurrency };
}

/** count, concurrency and keys (at least `minKeys`) from the query, or the first problem. */
function keyedBatchParams(url: URL, minKeys: number): (BatchParams & { keys: number }) | string {
  const params = batchParams(url);
  const keys = intParam(url, "keys", minKeys, MAX_KEYS);
  if (typeof params === "string") return params;
  if (typeof keys === "string") return keys;
  return { ...params, keys };
}

function kvWorkload(raw: string | null): KvWorkload | null {
  return raw === "read" || raw === "write" || raw === "incr" ? raw : null;
}

function txWorkload(raw: string | null): TxWorkload | null {
  return raw === "increment" || raw === "transfer" ? raw : null;
}

async function kvBatch(node: LiveNode, url: URL, res: http.ServerResponse): Promise<void> {
  const workload = kvWorkload(url.searchParams.get("workload"));
  const params = keyedBatchParams(url, 1);
  if (workload === null) return badRequest(res, "workload: expected read, write or incr");
  if (typeof params === "string") return badRequest(res, params);
  sendJson(res, 200, await driveKv(node, workload, params.count, params.concurrency, params.keys));
}

async function txBatch(node: LiveNode, url: URL, res: http.ServerResponse): Promise<void> {
  const workload = txWorkload(url.searchParams.get("workload"));
  const params = keyedBatchParams(url, 2);
  if (workload === null) return badRequest(res, "workload: expected increment or transfer");
  if (typeof params === "string") return badRequest(res, params);
  sendJson(res, 200, await driveTx(node, workload, params.count, params.concurrency, params.keys));
}

async function lookupBatch(node: LiveNode, url: URL, res: http.ServerResponse): Promise<void> {
  const params = batchParams(url);
  if (typeof params === "string") return badRequest(res, params);
  sendJson(res, 200, await driveLookups(node, params.count, params.concurrency));
}

/** The /bench/* routes of `served` (a node, or the node a host picks per request), for the API server. */
export function loadRoutes(served: ServedNode): AdminRoute {
  return async (url, req, res) => {
    if (req.method !== "GET" || !url.pathname.startsWith("/bench/")) return false;
    const node = servingNode(served, res);
    if (node === null) return true;
    switch (url.pathname) {
      case "/bench/kv":
        await kvBatch(node, url, res);
        return true;
      case "/bench/tx":
        await txBatch(node, url, res);
        return true;
      case "/bench/lookups":
        await lookupBatch(node, url, res);
        return true;
      default:
        return false;
    }
  };
}
