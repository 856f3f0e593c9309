// `selfman bench tx`: a local cluster of node processes over TLS; every node runs transactions, `concurrency`
// at a time, each retried on conflict — `increment` adds 1 to one of `keys` counters, `transfer` moves 1
// between two of `keys` accounts (each starts with 1000). Commits/s, abort rate (aborted attempts / attempts)
// and latency percentiles of committed transactions as the calling node sees them (docs/metrics.md §1, §7).
// `transfer` then reads every account in one transaction and checks that the total is unchanged; `increment`
// checks that the counters add up to the commits. For calibration, Scalaris did 750–1,060 increments/s at
// 4.5–15 ms across 4 VMs on this machine (docs/transactions.md §10).

import { rm } from "node:fs/promises";
import { fetchJson } from "../src/runtime/admin-client.js";
import type { Durability } from "../src/runtime/durability.js";
import { clusterDown } from "../src/runtime/local-cluster.js";
import { percentile } from "../src/sim/percentile.js";
import { perfectCluster } from "./perfect-cluster.js";
import { cpuMsPerOp, cpuSecondsOf } from "./process-cpu.js";

export interface TxBenchParams {
  readonly nodes: number;
  readonly durability: Durability;
  readonly workload: "increment" | "transfer";
  readonly txsPerNode: number;
  readonly concurrency: number;
  readonly keys: number;
  readonly basePort: number;
  readonly dir: string;
}

export interface TxBenchResult {
  readonly bench: "tx";
  readonly params: TxBenchParams;
  readonly metrics: {
    readonly commitsPerSec: number;
    readonly abortRate: number | null;
    readonly latencyP50Ms: number | null;
    readonly latencyP99Ms: number | null;
    readonly committed: number;
    readonly failed: number;
    /** transfer: the sum of all accounts before and after (must be equal); increment: counters vs commits. */
    readonly totalBefore: number;
    readonly totalAfter: number;
    readonly totalsMatch: boolean;
    /** CPU milliseconds (user + system, all node processes, load generators included) per commit. */
    readonly cpuMsPerCommit: number | null;
  };
}

interface Batch {
  readonly committed: number;
  readonly attempts: number;
  readonly failed: number;
  readonly latenciesMs: readonly number[];
}

const INITIAL_BALANCE = 1000;

function batches(admins: readonly string[], params: TxBenchParams, count: number): Promise<Batch[]> {
  const q = `workload=${params.workload}&count=${count}&concurrency=${params.concurrency}&keys=${params.keys}`;
  return Promise.all(admins.map((admin) => fetchJson<Batch>(`http://${admin}/bench/tx?${q}`, 600_000)));
}

/** A committed request list through POST /v1/tx (the trailing {op: commit} is the API's commit flag). */
async function postTx(admin: string, ops: { op: string }[]): Promise<{ results: { value?: unknown }[] }> {
  const response = await fetch(`http://${admin}/v1/tx`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ ops: ops.filter((o) => o.op !== "commit"), commit: true }),
    signal: AbortSignal.timeout(60_000),
  });
  const answer = (await response.json()) as { results?: { value?: unknown }[]; message?: string };
  if (!response.ok) throw new Error(`POST /v1/tx: ${answer.message ?? response.status}`);
  return { results: answer.results ?? [] };
}

/** Keys read per transaction when summing: nothing else runs then, so the chunks add up exactly. */
const TOTAL_CHUNK = 100;

/** The sum of every key of the workload, read TOTAL_CHUNK keys per transaction while the load is off. */
async function total(admin: string, params: TxBenchParams): Promise<number> {
  const prefix = params.workload === "transfer" ? "account" : "counter";
  let sum = 0;
  for (let from = 0; from < params.keys; from += TOTAL_CHUNK) {
    const count = Math.min(TOTAL_CHUNK, params.keys - from);
    const ops = Array.from({ length: count }, (_, i) => ({ op: "read", key: `${prefix}-${from + i}` }));
    const { results } = await postTx(admin, [...ops, { op: "commit" }]);
    sum += results.reduce((n, r) => n + (typeof r.value === "number" ? r.value : 0), 0);
  }
  return sum;
}

export async function benchTx(
  params: TxBenchParams,
  log: (line: string) => void,
  signal?: AbortSignal,
): Promise<TxBenchResult> {
  try {
    const { admins, pids } = await perfectCluster(params, log, signal);
    const first = admins[0] as string;
    if (params.workload === "transfer") {
      log(`opening ${params.keys} accounts of ${INITIAL_BALANCE} …`);
      for (let from = 0; from < params.keys; from += TOTAL_CHUNK) {
        const count = Math.min(TOTAL_CHUNK, params.keys - from);
        const writes = Array.from({ length: count }, (_, i) => ({
          op: "write",
          key: `account-${from + i}`,
          value: INITIAL_BALANCE,
        }));
        await postTx(first, [...writes, { op: "commit" }]);
      }
    }
    log("warming up …");
    await batches(admins, params, 200);
    const before = await total(first, params);
    log(`measuring ${params.nodes * params.txsPerNode} ${params.workload} transactions …`);
    const cpuBefore = await cpuSecondsOf(pids);
    const started = performance.now();
    const measured = await batches(admins, params, params.txsPerNode);
    const wallSec = (performance.now() - started) / 1000;
    const cpuAfter = await cpuSecondsOf(pids);
    const after = await total(first, params);
    const latencies = measured.flatMap((b) => b.latenciesMs).sort((a, b) => a - b);
    const committed = measured.reduce((n, b) => n + b.committed, 0);
    const attempts = measured.reduce((n, b) => n + b.attempts, 0);
    const failed = measured.reduce((n, b) => n + b.failed, 0);
    // increment: every committed transaction added exactly 1 (failed ones may or may not have).
    const totalsMatch =
      params.workload === "transfer"
        ? after === before
        : after - before >= committed && after - before <= committed + failed;
    return {
      bench: "tx",
      params,
      metrics: {
        commitsPerSec: Math.round(committed / wallSec),
        abortRate: attempts === 0 ? null : Number(((attempts - committed) / attempts).toFixed(4)),
        latencyP50Ms: percentile(latencies, 0.5),
        latencyP99Ms: percentile(latencies, 0.99),
        committed,
        failed,
        totalBefore: before,
        totalAfter: after,
        totalsMatch,
        cpuMsPerCommit: cpuMsPerOp(cpuBefore, cpuAfter, committed),
      },
    };
  } finally {
    await clusterDown(params.dir);
    await rm(params.dir, { recursive: true, force: true });
  }
}
