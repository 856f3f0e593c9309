// `selfman bench lookup`: a local cluster of node processes over TLS; every node runs lookups of random ids
// through the overlay, `concurrency` at a time, after a warm-up; lookups/s and per-lookup latency percentiles
// as the looking-up node sees them. Next to it, the transport's one-way messages/s and a bare TLS socket's,
// measured in the same run (benchTransport). docs/metrics.md §1, §7; figures: docs/live-runtime.md §6.

import { rm } from "node:fs/promises";
import { fetchJson } from "../src/runtime/admin-client.js";
import type { Durability } from "../src/runtime/durability.js";
import { clusterDown } from "../src/runtime/local-cluster.js";
import { percentile } from "../src/sim/percentile.js";
import { perfectCluster } from "./perfect-cluster.js";
import { benchTransport } from "./transport.js";

export interface LookupBenchParams {
  readonly nodes: number;
  readonly durability: Durability;
  readonly lookupsPerNode: number;
  readonly concurrency: number;
  readonly transportMessages: number;
  readonly basePort: number;
  readonly dir: string;
}

export interface LookupBenchResult {
  readonly bench: "lookup";
  readonly params: LookupBenchParams;
  readonly metrics: {
    readonly opsPerSec: number;
    readonly latencyP50Ms: number | null;
    readonly latencyP99Ms: number | null;
    readonly lookups: number;
    readonly failed: number;
    readonly transportMsgsPerSec: number;
  };
  readonly baseline: { readonly name: "bare-tls-socket"; readonly msgsPerSec: number };
  /** The transport's one-way messages/s over the bare socket's (goal ≥ 0.5). */
  readonly ratio: number;
}

interface Batch {
  readonly count: number;
  readonly failed: number;
  readonly wallMs: number;
  readonly latenciesMs: readonly number[];
}

async function batches(admins: readonly string[], count: number, concurrency: number): Promise<Batch[]> {
  return Promise.all(
    admins.map((admin) =>
      fetchJson<Batch>(`http://${admin}/bench/lookups?count=${count}&concurrency=${concurrency}`, 600_000),
    ),
  );
}

export async function benchLookup(
  params: LookupBenchParams,
  log: (line: string) => void,
  signal?: AbortSignal,
): Promise<LookupBenchResult> {
  try {
    const { admins } = await perfectCluster(params, log, signal);
    log("warming up …");
    await batches(admins, Math.min(500, params.lookupsPerNode), params.concurrency);
    log(`measuring ${params.nodes * params.lookupsPerNode} lookups …`);
    const started = performance.now();
    const measured = await batches(admins, params.lookupsPerNode, params.concurrency);
    const wallSec = (performance.now() - started) / 1000;
    const latencies = measured.flatMap((b) => b.latenciesMs).sort((a, b) => a - b);
    const failed = measured.reduce((n, b) => n + b.failed, 0);
    await clusterDown(params.dir);
    signal?.throwIfAborted();
    log(`measuring the transport with ${params.transportMessages} messages …`);
    const transport = await benchTransport(params.dir, params.transportMessages, params.basePort + 300);
    return {
      bench: "lookup",
      params,
      metrics: {
        opsPerSec: Math.round(latencies.length / wallSec),
        latencyP50Ms: percentile(latencies, 0.5),
        latencyP99Ms: percentile(latencies, 0.99),
        lookups: latencies.length + failed,
        failed,
        transportMsgsPerSec: transport.transportMsgsPerSec,
      },
      baseline: { name: "bare-tls-socket", msgsPerSec: transport.bareTlsMsgsPerSec },
      ratio: Number((transport.transportMsgsPerSec / transport.bareTlsMsgsPerSec).toFixed(3)),
    };
  } finally {
    await clusterDown(params.dir);
    await rm(params.dir, { recursive: true, force: true });
  }
}
