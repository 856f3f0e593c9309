// A node's admin HTTP port (issue 4): /status (JSON), /metrics (Prometheus text), /lookup?key=K (a
// lookup through the overlay), /ranges (this node's range changes, for the live tests), /health, and
// /bench/lookups?count=N&concurrency=C (N lookups of random ids from this node, for `selfman bench`).
// Bound to loopback by default: it is for the operator and the local CLI, not for the cluster.
// Every answer is JSON with ids as decimal strings; a bad request gets 400 and says why.
import http from "node:http";
import type { LiveNode } from "./live-node.js";

const MAX_KEY_LENGTH = 4096;
const MAX_BENCH_LOOKUPS = 1_000_000;
const MAX_BENCH_CONCURRENCY = 10_000;

function intParam(url: URL, name: string, min: number, max: number): number | string {
  const raw = url.searchParams.get(name);
  const n = Number(raw);
  if (raw === null || !/^\d+$/.test(raw) || n < min || n > max)
    return `${name}: expected an integer in [${min}, ${max}]`;
  return n;
}

function json(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body, (_, v) => (typeof v === "bigint" ? v.toString() : v));
  res.writeHead(status, { "content-type": "application/json; charset=utf-8" });
  res.end(`${text}\n`);
}

async function route(node: LiveNode, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  const url = new URL(req.url ?? "/", "http://admin");
  if (req.method !== "GET") {
    json(res, 405, { error: "method-not-allowed", message: "the admin port answers GET only" });
    return;
  }
  switch (url.pathname) {
    case "/health":
      json(res, 200, { ok: true });
      return;
    case "/status":
      json(res, 200, node.status());
      return;
    case "/ranges":
      json(res, 200, { name: node.name, id: node.self.id, ranges: node.rangeHistory() });
      return;
    case "/metrics":
      res.writeHead(200, { "content-type": "text/plain; version=0.0.4" });
      res.end(node.metrics());
      return;
    case "/lookup": {
      const key = url.searchParams.get("key");
      if (key === null || key.length === 0 || key.length > MAX_KEY_LENGTH) {
        json(res, 400, {
          error: "invalid-argument",
          message: `key: expected 1 to ${MAX_KEY_LENGTH} characters`,
        });
        return;
      }
      const { id, result, latencyMs } = await node.lookup(key);
      if (!result.ok) {
        json(res, 503, { error: "unavailable", message: `lookup failed: ${result.reason}`, key, id });
        return;
      }
      json(res, 200, {
        key,
        id,
        responsible: { id: result.responsible.id, addr: result.responsible.addr },
        hops: result.hops,
        latencyMs: Number(latencyMs.toFixed(3)),
      });
      return;
    }
    case "/bench/lookups": {
      const count = intParam(url, "count", 1, MAX_BENCH_LOOKUPS);
      const concurrency = intParam(url, "concurrency", 1, MAX_BENCH_CONCURRENCY);
      if (typeof count === "string" || typeof concurrency === "string") {
        json(res, 400, {
          error: "invalid-argument",
          message: typeof count === "string" ? count : concurrency,
        });
        return;
      }
      json(res, 200, await node.benchLookups(count, concurrency));
      return;
    }
    default:
      json(res, 404, {
        error: "not-found",
        message: "try /status, /metrics, /lookup?key=K, /ranges or /health",
      });
  }
}

/** Serves the admin endpoints of `node` on host:port; resolves once listening. */
export async function startAdminServer(node: LiveNode, host: string, port: number): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    route(node, req, res).catch((error: unknown) => {
      json(res, 500, { error: "internal", message: error instanceof Error ? error.message : String(error) });
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
