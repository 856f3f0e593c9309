// `selfman bench api`: what the HTTP API costs (docs/api.md §1, docs/metrics.md §7). On one local
// cluster over TLS, each workload — quorum reads, writes, one-key increment transactions — runs inside
// every node process (its /bench routes drive the node's own API) and then from this process through
// HTTP (keep-alive connections, `concurrency` in flight per node, http-load.ts), in the same run: one
// discarded round of each path to warm both up, then three each, alternating, keys drawn alike; the
// ratio of the medians is what the HTTP path keeps. Reads also go through Scalaris's JSON-RPC path.

import { rm } from "node:fs/promises";
import { fetchJson } from "../src/runtime/admin-client.js";
import type { Durability } from "../src/runtime/durability.js";
import { clusterDown } from "../src/runtime/local-cluster.js";
import { percentile } from "../src/sim/percentile.js";
import { type HttpRequestSpec, httpLoad } from "./http-load.js";
import { perfectCluster } from "./perfect-cluster.js";

export interface ApiBenchParams {
  readonly nodes: number;
  readonly durability: Durability;
  readonly opsPerNode: number;
  readonly concurrency: number;
  readonly keys: number;
  readonly basePort: number;
  readonly dir: string;
}

/** One run of one workload: operations/s over all nodes, latency as the caller saw it. */
export interface PathFigures {
  readonly opsPerSec: number;
  readonly latencyP50Ms: number | null;
  readonly latencyP99Ms: number | null;
  readonly failed: number;
}

export interface WorkloadFigures {
  readonly inProcess: PathFigures;
  readonly http: PathFigures;
  /** http / inProcess operations/s (medians of the alternating runs). */
  readonly ratio: number;
}

export interface ApiBenchResult {
  readonly bench: "api";
  readonly params: ApiBenchParams;
  readonly metrics: {
    readonly read: WorkloadFigures;
    readonly write: WorkloadFigures;
    readonly increment: WorkloadFigures;
    readonly jsonRpcRead: PathFigures;
  };
}

type Workload = "read" | "write" | "increment";
/** Measured rounds of each path, after one discarded warm-up round of each. */
const ROUNDS = 3;

interface Batch {
  readonly failed: number;
  readonly latenciesMs: readonly number[];
}

function figures(batches: readonly Batch[], wallSec: number): PathFigures {
  const latencies = batches.flatMap((b) => b.latenciesMs).sort((a, b) => a - b);
  return {
    opsPerSec: Math.round(latencies.length / wallSec),
    latencyP50Ms: percentile(latencies, 0.5),
    latencyP99Ms: percentile(latencies, 0.99),
    failed: batches.reduce((n, b) => n + b.failed, 0),
  };
}

/** The workload inside each node process, through its /bench routes. */
async function inProcess(
  admins: readonly string[],
  workload: Workload,
  p: ApiBenchParams,
): Promise<PathFigures> {
  const route =
    workload === "increment"
      ? `/bench/tx?workload=increment&count=${p.opsPerNode}&concurrency=${p.concurrency}&keys=${p.keys}`
      : `/bench/kv?workload=${workload}&count=${p.opsPerNode}&concurrency=${p.concurrency}&keys=${p.keys}`;
  const started = performance.now();
  const batches = await Promise.all(admins.map((a) => fetchJson<Batch>(`http://${a}${route}`, 600_000)));
  return figures(batches, (performance.now() - started) / 1000);
}

function httpCall(workload: Workload | "jsonrpc", key: string, i: number): HttpRequestSpec {
  const path = `/v1/kv/${encodeURIComponent(key)}`;
  switch (workload) {
    case "read":
      return { method: "GET", path };
    case "write":
      return { method: "PUT", path, body: JSON.stringify({ value: i }) };
    case "increment":
      return {
        method: "POST",
        path: "/v1/tx",
        body: JSON.stringify({ ops: [{ op: "add_on_nr", key, by: 1 }] }),
      };
    case "jsonrpc":
      return {
        method: "POST",
        path: "/api/tx.yaws",
        body: JSON.stringify({ jsonrpc: "2.0", method: "read", params: [key], id: i }),
      };
  }
}

/** A uniform key of `keys`, as the in-process driver draws them (load-drivers.ts). */
const keyNumber = (keys: number) => Math.floor(Math.random() * keys);

/** `opsPerNode` calls to one node, `concurrency` in flight on kept-alive connections. */
function httpBatch(address: string, workload: Workload | "jsonrpc", p: ApiBenchParams): Promise<Batch> {
  const prefix = workload === "increment" ? "counter" : "key";
  return httpLoad(address, p.opsPerNode, p.concurrency, (i) =>
    httpCall(workload, `${prefix}-${keyNumber(p.keys)}`, i),
  );
}

async function overHttp(
  admins: readonly string[],
  workload: Workload | "jsonrpc",
  p: ApiBenchParams,
): Promise<PathFigures> {
  const started = performance.now();
  const batches = await Promise.all(admins.map((a) => httpBatch(a, workload, p)));
  return figures(batches, (performance.now() - started) / 1000);
}

/** The run whose operations/s is the median of `runs`. */
function median(runs: readonly PathFigures[]): PathFigures {
  const sorted = [...runs].sort((a, b) => a.opsPerSec - b.opsPerSec);
  return sorted[Math.floor((sorted.length - 1) / 2)] as PathFigures;
}

async function compare(
  admins: readonly string[],
  workload: Workload,
  p: ApiBenchParams,
  log: (line: string) => void,
): Promise<WorkloadFigures> {
  const inside: PathFigures[] = [];
  const outside: PathFigures[] = [];
  log(`${workload}: warming up both paths …`);
  await inProcess(admins, workload, p);
  await overHttp(admins, workload, p);
  for (let round = 0; round < ROUNDS; round++) {
    log(`${workload}: in the node processes, round ${round + 1} …`);
    inside.push(await inProcess(admins, workload, p));
    log(`${workload}: through HTTP, round ${round + 1} …`);
    outside.push(await overHttp(admins, workload, p));
  }
  const a = median(inside);
  const b = median(outside);
  return {
    inProcess: a,
    http: b,
    ratio: a.opsPerSec === 0 ? 0 : Number((b.opsPerSec / a.opsPerSec).toFixed(3)),
  };
}

export async function benchApi(
  params: ApiBenchParams,
  log: (line: string) => void,
  signal?: AbortSignal,
): Promise<ApiBenchResult> {
  try {
    const { admins } = await perfectCluster(params, log, signal);
    log(`writing ${params.keys} keys, warming up …`);
    await fetchJson(
      `http://${admins[0]}/bench/kv?workload=write&count=${params.keys * 2}&concurrency=16&keys=${params.keys}`,
      600_000,
    );
    const read = await compare(admins, "read", params, log);
    const write = await compare(admins, "write", params, log);
    const increment = await compare(admins, "increment", params, log);
    log("reads through the JSON-RPC path …");
    const jsonRpcRead = await overHttp(admins, "jsonrpc", params);
    return { bench: "api", params, metrics: { read, write, increment, jsonRpcRead } };
  } finally {
    await clusterDown(params.dir);
    await rm(params.dir, { recursive: true, force: true });
  }
}
