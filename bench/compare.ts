// `selfman bench compare`: selfman beside Scalaris on this machine, interleaved A B A B A B so that the
// machine's drift hits both alike (docs/metrics.md §7). Each round runs, for every in-flight setting,
// selfman's quorum reads (`bench kv --workload read`) and increments (`bench tx --workload increment`)
// under each durability asked for, then the Scalaris benchmark script given by --scalaris (it must print
// one JSON line with `increment` and `quorum_read` figures). Medians per system and setting, and the
// ratios selfman / Scalaris: throughput (higher is better for selfman) and latency (lower is).
import { spawn } from "node:child_process";
import { mkdtemp } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { Durability } from "../src/runtime/durability.js";
import { benchKv } from "./kv.js";
import { benchTx } from "./tx.js";

export interface CompareParams {
  /** The Scalaris benchmark script (run with bash, `--threads T` appended). */
  readonly scalaris: string;
  readonly rounds: number;
  /** Operations in flight per node (selfman) = threads per VM (Scalaris), one setting each. */
  readonly inFlight: readonly number[];
  readonly durabilities: readonly Durability[];
  readonly nodes: number;
  readonly opsPerNode: number;
  readonly txsPerNode: number;
  readonly keys: number;
  readonly basePort: number;
}

/** One system's figures for one workload in one run. */
interface Figures {
  readonly opsPerSec: number;
  /** selfman: p50 of each operation; Scalaris: its bench module's mean latency. */
  readonly latencyMs: number | null;
  readonly abortRate: number | null;
  readonly cpuMsPerOp: number | null;
}

interface RunFigures {
  readonly quorumRead: Figures;
  readonly increment: Figures;
}

export interface CompareResult {
  readonly bench: "compare";
  readonly params: CompareParams;
  /** Per setting (`inFlight`): every run, the medians and the ratios. */
  readonly settings: readonly {
    readonly inFlight: number;
    readonly runs: Readonly<Record<string, readonly RunFigures[]>>;
    readonly medians: Readonly<Record<string, RunFigures>>;
    /** Per selfman durability: selfman / Scalaris for each figure. */
    readonly ratios: Readonly<Record<string, Record<string, number | null>>>;
  }[];
}

interface ScalarisLine {
  readonly increment: { opsPerSec: number; avgLatencyMs: number; aborts: number };
  readonly quorum_read: { opsPerSec: number; avgLatencyMs: number };
  readonly iterations: number;
  readonly threadsPerVm: number;
  readonly nodes: number;
}

/** Runs the Scalaris script once; its one JSON line. */
function runScalaris(script: string, threads: number, signal: AbortSignal): Promise<ScalarisLine> {
  return new Promise((resolve, reject) => {
    const child = spawn("bash", [script, "--threads", String(threads)], {
      stdio: ["ignore", "pipe", "inherit"],
      signal,
    });
    let out = "";
    child.stdout.on("data", (chunk: Buffer) => {
      out += chunk.toString("utf8");
    });
    child.once("error", reject);
    child.once("close", (code) => {
      const line = out.trim().split("\n").pop() ?? "";
      try {
        if (code !== 0) throw new Error(`exited with ${code}`);
        resolve(JSON.parse(line) as ScalarisLine);
      } catch (error) {
        reject(new Error(`${script}: no result (${error instanceof Error ? error.message : error})`));
      }
    });
  });
}

function scalarisFigures(line: ScalarisLine): RunFigures {
  const attempts = line.nodes * line.threadsPerVm * line.iterations;
  return {
    quorumRead: {
      opsPerSec: line.quorum_read.opsPerSec,
      latencyMs: line.quorum_read.avgLatencyMs,
      abortRate: null,
      cpuMsPerOp: null,
    },
    increment: {
      opsPerSec: line.increment.opsPerSec,
      latencyMs: line.increment.avgLatencyMs,
      abortRate: attempts === 0 ? null : line.increment.aborts / (attempts + line.increment.aborts),
      cpuMsPerOp: null,
    },
  };
}

/** A fresh temp directory for one benchmark's cluster, told to `onDir` (to stop it on a signal). */
async function freshDir(onDir: (dir: string) => void): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "selfman-bench-"));
  onDir(dir);
  return dir;
}

async function selfmanFigures(
  params: CompareParams,
  inFlight: number,
  durability: Durability,
  run: CompareRun,
): Promise<RunFigures> {
  const { log, signal } = run;
  const common = { nodes: params.nodes, concurrency: inFlight, keys: params.keys, durability };
  const kv = await benchKv(
    {
      ...common,
      workload: "read",
      opsPerNode: params.opsPerNode,
      basePort: params.basePort,
      dir: await freshDir(run.onDir),
    },
    log,
    signal,
  );
  const tx = await benchTx(
    {
      ...common,
      workload: "increment",
      txsPerNode: params.txsPerNode,
      basePort: params.basePort + 200,
      dir: await freshDir(run.onDir),
    },
    log,
    signal,
  );
  return {
    quorumRead: {
      opsPerSec: kv.metrics.opsPerSec,
      latencyMs: kv.metrics.latencyP50Ms,
      abortRate: null,
      cpuMsPerOp: kv.metrics.cpuMsPerOp,
    },
    increment: {
      opsPerSec: tx.metrics.commitsPerSec,
      latencyMs: tx.metrics.latencyP50Ms,
      abortRate: tx.metrics.abortRate,
      cpuMsPerOp: tx.metrics.cpuMsPerCommit,
    },
  };
}

function medianOf(values: readonly (number | null)[]): number | null {
  const present = values.filter((v): v is number => v !== null).sort((a, b) => a - b);
  if (present.length === 0) return null;
  const mid = Math.floor(present.length / 2);
  const middle = present[mid] as number;
  return present.length % 2 === 1 ? middle : (middle + (present[mid - 1] as number)) / 2;
}

function medianFigures(runs: readonly Figures[]): Figures {
  return {
    opsPerSec: medianOf(runs.map((r) => r.opsPerSec)) ?? 0,
    latencyMs: medianOf(runs.map((r) => r.latencyMs)),
    abortRate: medianOf(runs.map((r) => r.abortRate)),
    cpuMsPerOp: medianOf(runs.map((r) => r.cpuMsPerOp)),
  };
}

const ratio = (a: number | null, b: number | null): number | null =>
  a === null || b === null || b === 0 ? null : Number((a / b).toFixed(3));

function ratiosOf(selfman: RunFigures, scalaris: RunFigures): Record<string, number | null> {
  return {
    quorumReadThroughput: ratio(selfman.quorumRead.opsPerSec, scalaris.quorumRead.opsPerSec),
    incrementThroughput: ratio(selfman.increment.opsPerSec, scalaris.increment.opsPerSec),
    quorumReadLatency: ratio(selfman.quorumRead.latencyMs, scalaris.quorumRead.latencyMs),
    incrementLatency: ratio(selfman.increment.latencyMs, scalaris.increment.latencyMs),
  };
}

/** How a comparison reports progress, is stopped, and tells which cluster directory is in use. */
export interface CompareRun {
  readonly log: (line: string) => void;
  readonly signal: AbortSignal;
  readonly onDir: (dir: string) => void;
}

export async function benchCompare(params: CompareParams, run: CompareRun): Promise<CompareResult> {
  const { log, signal } = run;
  const settings: CompareResult["settings"][number][] = [];
  for (const inFlight of params.inFlight) {
    const runs: Record<string, RunFigures[]> = { scalaris: [] };
    for (const d of params.durabilities) runs[`selfman-${d}`] = [];
    for (let round = 1; round <= params.rounds; round++) {
      for (const d of params.durabilities) {
        log(`round ${round}/${params.rounds}, ${inFlight} in flight per node: selfman (--durability ${d})`);
        runs[`selfman-${d}`]?.push(await selfmanFigures(params, inFlight, d, run));
      }
      log(`round ${round}/${params.rounds}, ${inFlight} in flight per node: Scalaris`);
      runs.scalaris?.push(scalarisFigures(await runScalaris(params.scalaris, inFlight, signal)));
    }
    const medians: Record<string, RunFigures> = {};
    for (const [system, list] of Object.entries(runs))
      medians[system] = {
        quorumRead: medianFigures(list.map((r) => r.quorumRead)),
        increment: medianFigures(list.map((r) => r.increment)),
      };
    const ratios: Record<string, Record<string, number | null>> = {};
    const scalaris = medians.scalaris as RunFigures;
    for (const d of params.durabilities)
      ratios[`selfman-${d}`] = ratiosOf(medians[`selfman-${d}`] as RunFigures, scalaris);
    settings.push({ inFlight, runs, medians, ratios });
  }
  return { bench: "compare", params, settings };
}
