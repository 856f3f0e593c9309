// `selfman bench kv`: a local cluster of node processes over TLS; every node runs single-key operations
// (read = get, write = put, incr) on `keys` keys, `concurrency` at a time, after the keys are written
// once and a warm-up; operations/s and per-operation latency percentiles as the calling node sees them
// (docs/metrics.md §1, §7). No baseline runs in the same process: for calibration, Scalaris did 3.7–7.1k
// quorum reads/s across 4 VMs over TCP on this machine (docs/register.md §6).

import { rm } from "node:fs/promises";
import { fetchJson } from "../src/runtime/admin-client.js";
import type { Durability } from "../src/runtime/durability.js";
import { clusterDown } from "../src/runtime/local-cluster.js";
import { percentile } from "../src/sim/percentile.js";
import { perfectCluster } from "./perfect-cluster.js";
import { cpuMsPerOp, cpuSecondsOf } from "./process-cpu.js";

export interface KvBenchParams {
  readonly nodes: number;
  readonly durability: Durability;
  readonly workload: "read" | "write" | "incr";
  readonly opsPerNode: number;
  readonly concurrency: number;
  readonly keys: number;
  readonly basePort: number;
  readonly dir: string;
}

export interface KvBenchResult {
  readonly bench: "kv";
  readonly params: KvBenchParams;
  readonly metrics: {
    readonly opsPerSec: number;
    readonly latencyP50Ms: number | null;
    readonly latencyP99Ms: number | null;
    readonly ops: number;
    readonly failed: number;
    /** CPU milliseconds (user + system, all node processes, load generators included) per operation. */
    readonly cpuMsPerOp: number | null;
  };
}

interface Batch {
  readonly failed: number;
  readonly latenciesMs: readonly number[];
}

function batches(
  admins: readonly string[],
  workload: string,
  count: number,
  concurrency: number,
  keys: number,
) {
  return Promise.all(
    admins.map((admin) =>
      fetchJson<Batch>(
        `http://${admin}/bench/kv?workload=${workload}&count=${count}&concurrency=${concurrency}&keys=${keys}`,
        600_000,
      ),
    ),
  );
}

export async function benchKv(
  params: KvBenchParams,
  log: (line: string) => void,
  signal?: AbortSignal,
): Promise<KvBenchResult> {
  try {
    const { admins, pids } = await perfectCluster(params, log, signal);
    log(`writing ${params.keys} keys, warming up …`);
    await batches(admins.slice(0, 1), "write", params.keys * 2, 16, params.keys);
    await batches(admins, params.workload, 500, params.concurrency, params.keys);
    log(`measuring ${params.nodes * params.opsPerNode} ${params.workload} operations …`);
    const cpuBefore = await cpuSecondsOf(pids);
    const started = performance.now();
    const measured = await batches(
      admins,
      params.workload,
      params.opsPerNode,
      params.concurrency,
      params.keys,
    );
    const wallSec = (performance.now() - started) / 1000;
    const cpuAfter = await cpuSecondsOf(pids);
    const latencies = measured.flatMap((b) => b.latenciesMs).sort((a, b) => a - b);
    const failed = measured.reduce((n, b) => n + b.failed, 0);
    return {
      bench: "kv",
      params,
      metrics: {
        opsPerSec: Math.round(latencies.length / wallSec),
        latencyP50Ms: percentile(latencies, 0.5),
        latencyP99Ms: percentile(latencies, 0.99),
        ops: latencies.length + failed,
        failed,
        cpuMsPerOp: cpuMsPerOp(cpuBefore, cpuAfter, latencies.length + failed),
      },
    };
  } finally {
    await clusterDown(params.dir);
    await rm(params.dir, { recursive: true, force: true });
  }
}
