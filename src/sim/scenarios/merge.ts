// `selfman sim merge`: ring merge after a network partition (docs/ring-merge.md §8, docs/metrics.md §5).
// Build one ring by joins, settle, partition the nodes into --rings random groups for --partition-sec (each
// group must become a perfect ring of its own: splitPerfectRings says so), heal, and time the merge back to
// one perfect ring (mergeTimeSec, mergeRounds = mergeTimeSec / γ), with the messages sent until then (and the
// merge protocol's own among them) and the lookup failures in the 30 s after. --algorithm simple
// (docs/ring-merge.md §3) or gossip (§4, --fanout F random zipping points per trymerge, --queue-rate mlookups
// per γ). --sizes and --algorithm simple,gossip make a sweep (one row per run); --out DIR writes a table and
// an SVG of mergeRounds vs N (merge-report.ts). --loopy joins rings built apart into one loop
// (docs/ring-merge.md §5) for the loop check to find; --merge-churn P crashes or joins P·N nodes during the
// merge. A run that does not end in one perfect ring within --duration, with every successor list exact when
// it ends, is a violation (the seed's replay is printed).

import { DEFAULT_OVERLAY, type MergeAlgorithm } from "../../overlay/config.js";
import { parseLatency } from "../engine/latency.js";
import type { Violation } from "../engine/simulator.js";
import { TraceHash } from "../engine/trace-hash.js";
import { MERGE_CHART_FILE, MERGE_TABLE_FILE, type MergeSizeRow, mergeReportFiles } from "../merge-report.js";
import {
  type MergePhaseConfig,
  type MergePhaseMetrics,
  type MergeSplit,
  mergePhaseMs,
  mergeWorkload,
} from "../merge-workload.js";
import { parseCount, parseLatencyFlag, parseNumber } from "../params.js";
import { type RingMetrics, type RingRunConfig, runRing } from "../ring-harness.js";
import { relaxedRing } from "../ring-protocol.js";
import type { RingRecorder } from "../ring-recorder.js";
import {
  type Scenario,
  type ScenarioContext,
  type ScenarioOutcome,
  type ScenarioParams,
  simBase,
} from "../scenario.js";

const SETTLE_MS = 30_000;
const QUIET_MS = 1000;
const LOOKUP_WINDOW_MS = 30_000;
const LOOKUPS_PER_SEC = 10;

/** `simple`, `gossip`, or both separated by a comma (each is run at every size). */
function parseAlgorithms(raw: string): string {
  const names = raw.split(",").map((s) => s.trim());
  if (names.length === 0 || names.some((n) => n !== "simple" && n !== "gossip"))
    throw new RangeError(
      `--algorithm: expected simple or gossip (or simple,gossip), got ${JSON.stringify(raw)}`,
    );
  return [...new Set(names)].join(",");
}

function parseSizes(raw: string): string {
  if (raw === "") return raw;
  const sizes = raw.split(",").map((s) => Number(s.trim()));
  if (sizes.some((n) => !Number.isInteger(n) || n < 4 || n > 100_000))
    throw new RangeError(
      `--sizes: expected node counts (4..100000) separated by commas, got ${JSON.stringify(raw)}`,
    );
  return sizes.join(",");
}

function parseSplit(raw: string): MergeSplit {
  if (raw === "partition" || raw === "separate") return raw;
  throw new RangeError(`--split: expected partition or separate, got ${JSON.stringify(raw)}`);
}

/** --split as given, or its default: partition, or separate with --loopy (a loop needs rings apart). */
function splitOf(params: ScenarioParams): MergeSplit {
  const loopy = params.loopy === true;
  if (params.split === null) return loopy ? "separate" : "partition";
  const split = parseSplit(String(params.split));
  if (loopy && split !== "separate")
    throw new RangeError(
      "--loopy joins rings built apart into a loop: use it with --split separate (or no --split)",
    );
  return split;
}

/** Default T_loop with --loopy: without a loop check nothing finds the loop (docs/ring-merge.md §5). */
const LOOPY_CHECK_SEC = 10;

export const merge: Scenario = {
  name: "merge",
  records: true,
  summary: "partition one ring into R rings for a while, heal, and time the merge back to one perfect ring",
  defaults: { nodes: 512, duration: 300 },
  options: [
    {
      name: "rings",
      arg: "R",
      describe: "groups the partition makes",
      default: 2,
      parse: parseCount("rings", 2, 16),
    },
    {
      name: "partitionSec",
      arg: "sec",
      describe: "how long the partition lasts before it heals",
      default: 30,
      parse: parseNumber("partition-sec", 1),
    },
    {
      name: "split",
      arg: "how",
      describe:
        "partition (default): one ring split for --partition-sec; separate: R rings built apart, then mergeWith",
      default: null,
      parse: parseSplit,
    },
    {
      name: "loopy",
      describe: "build R rings apart and join them at their wraps into one loopy ring instead of mergeWith",
      default: false,
    },
    {
      name: "loopCheckSec",
      arg: "sec",
      describe: `loopy-ring check period T_loop; default off, ${LOOPY_CHECK_SEC} with --loopy; 0: off`,
      default: null,
      parse: parseNumber("loop-check-sec", 0),
    },
    {
      name: "mergeChurn",
      arg: "P",
      describe: "fraction of the nodes that crash or join (half each) during the merge",
      default: 0,
      parse: parseNumber("merge-churn", 0, 0.5),
    },
    {
      name: "mergeChurnSec",
      arg: "sec",
      describe: "the --merge-churn events are spread over this long after the heal",
      default: 10,
      parse: parseNumber("merge-churn-sec", 0),
    },
    {
      name: "algorithm",
      arg: "name",
      describe: "ring unification: simple or gossip (docs/ring-merge.md §3, §4); simple,gossip runs both",
      default: "simple",
      parse: parseAlgorithms,
    },
    {
      name: "sizes",
      arg: "N,N,...",
      describe: "run at each of these node counts instead of --nodes (a sweep: one row per run)",
      default: "",
      parse: parseSizes,
    },
    {
      name: "out",
      arg: "dir",
      describe: `write ${MERGE_TABLE_FILE} (a table) and ${MERGE_CHART_FILE} (mergeRounds vs N) here`,
      default: null,
      parse: (raw) => raw,
    },
    {
      name: "fanout",
      arg: "F",
      describe: "gossip: random zipping points each trymerge opens (docs/ring-merge.md §4)",
      default: DEFAULT_OVERLAY.mergeFanout,
      parse: parseCount("fanout", 1, 16),
    },
    {
      name: "queueRate",
      arg: "n",
      describe: "gossip: mlookups started from the mqueue per γ (docs/ring-merge.md §4: 1)",
      default: DEFAULT_OVERLAY.mergeQueueRate,
      parse: parseCount("queue-rate", 1, 1024),
    },
    { name: "k", arg: "k", describe: "finger arity", default: 16, parse: parseCount("k", 2, 1024) },
    {
      name: "latency",
      arg: "spec",
      describe: "one-way latency: const:MS | uniform:MIN-MAX | lognormal:MEDIAN,SIGMA",
      default: "const:10",
      parse: parseLatencyFlag,
    },
    {
      name: "idBits",
      arg: "m",
      describe: "identifier bits",
      default: 128,
      parse: parseCount("id-bits", 8, 256),
    },
    {
      name: "joinGapMs",
      arg: "ms",
      describe: "time between joins while building",
      default: 100,
      parse: parseNumber("join-gap-ms", 0),
    },
  ],
  run: runMerge,
};

/** What one `sim merge` run prints (docs/metrics.md §5): the merge phase's figures and a few ring ones. */
type MergeMetrics = Pick<
  RingMetrics,
  "liveNodes" | "i1Holds" | "branches" | "fingersLive" | "fingerAccuracy"
> &
  MergePhaseMetrics;

/** What a sweep (--sizes, or --algorithm simple,gossip) prints: one row per run. */
type MergeSweepMetrics = {
  readonly rows: readonly MergeSizeRow[];
  readonly allPerfect: boolean;
};

function runMerge(params: ScenarioParams, context: ScenarioContext): ScenarioOutcome {
  const algorithms = parseAlgorithms(String(params.algorithm)).split(",") as MergeAlgorithm[];
  const sizes = params.sizes === "" ? [params.nodes] : String(params.sizes).split(",").map(Number);
  const out = typeof params.out === "string" && params.out !== "" ? params.out : null;
  const total = sizes.length * algorithms.length;
  const runs: MergeRun[] = [];
  for (const nodes of sizes) {
    for (const algorithm of algorithms) {
      const done = runs.length;
      const recorder = done === 0 ? context.recorder : undefined;
      runs.push(runOnce(params, nodes, algorithm, (f) => context.progress((done + f) / total), recorder));
    }
  }
  const rows = runs.map((r) => r.row);
  const files = out === null ? [] : mergeReportFiles(rows);
  const [only] = runs;
  if (runs.length === 1 && only !== undefined) return { ...only.outcome, files };
  const hash = new TraceHash();
  for (const r of runs) hash.mixString(r.outcome.traceHash);
  const metrics: MergeSweepMetrics = { rows, allPerfect: rows.every((r) => r.perfect) };
  return {
    metrics,
    violations: runs.flatMap((r) => r.outcome.violations),
    events: runs.reduce((n, r) => n + r.outcome.events, 0),
    traceHash: hash.hex(),
    buggifySites: [...new Set(runs.flatMap((r) => r.outcome.buggifySites ?? []))].sort(),
    files,
    constants: { ...only?.outcome.constants, mergeAlgorithm: algorithms.join(",") },
  };
}

interface MergeRun {
  readonly outcome: ScenarioOutcome;
  readonly row: MergeSizeRow;
}

/** One build-split-merge run at `nodes` nodes with one ring unification. */
function runOnce(
  params: ScenarioParams,
  nodes: number,
  algorithm: MergeAlgorithm,
  progress: (fraction: number) => void,
  recorder: RingRecorder | undefined,
): MergeRun {
  const split = splitOf(params);
  const loopy = params.loopy === true;
  const loopCheckSec =
    params.loopCheckSec === null ? (loopy ? LOOPY_CHECK_SEC : 0) : Number(params.loopCheckSec);
  const protocol = relaxedRing({
    k: Number(params.k),
    mergeAlgorithm: algorithm,
    mergeFanout: Number(params.fanout),
    mergeQueueRate: Number(params.queueRate),
    loopCheckMs: loopCheckSec * 1000,
  });
  const phase: MergePhaseConfig = {
    rings: Number(params.rings),
    split,
    partitionMs: split === "partition" ? Number(params.partitionSec) * 1000 : 0,
    loopy,
    succListSize: protocol.succListSize,
    churnNodes: Math.round(Number(params.mergeChurn) * nodes),
    churnWindowMs: Number(params.mergeChurnSec) * 1000,
    mergeWindowMs: params.duration * 1000,
    lookupWindowMs: LOOKUP_WINDOW_MS,
    lookupsPerSec: LOOKUPS_PER_SEC,
    mergePeriodMs: DEFAULT_OVERLAY.mergePeriodMs,
  };
  const config: RingRunConfig = {
    nodes,
    buildJoinGapMs: Number(params.joinGapMs),
    settleMs: SETTLE_MS,
    measureMs: mergePhaseMs(phase),
    quietMs: QUIET_MS,
    churn: { joins: 0, crashes: 0, leaves: 0 },
    lookupsPerSec: 0,
    connectivity: 1,
    buildRings: split === "separate" ? Number(params.rings) : 1,
    ...(recorder === undefined ? {} : { recorder }),
  };
  const simConfig = {
    ...simBase(params),
    idBits: Number(params.idBits),
    network: { latency: parseLatency(String(params.latency)) },
  };
  const run = runRing(protocol, simConfig, config, progress, () => {}, mergeWorkload(phase));
  const all = run.metrics();
  const metrics: MergeMetrics = {
    liveNodes: all.liveNodes,
    i1Holds: all.i1Holds,
    branches: all.branches,
    fingersLive: all.fingersLive,
    fingerAccuracy: all.fingerAccuracy,
    splitPerfectRings: all.splitPerfectRings,
    splitProblem: all.splitProblem,
    perfect: all.perfect,
    mergeTimeSec: all.mergeTimeSec,
    mergeRounds: all.mergeRounds,
    settledSec: all.settledSec,
    ringUidSettledSec: all.ringUidSettledSec,
    messages: all.messages,
    mergeMessages: all.mergeMessages,
    lookupsAfter: all.lookupsAfter,
    lookupFailuresAfter: all.lookupFailuresAfter,
    inconsistentLookupsAfter: all.inconsistentLookupsAfter,
    windingsAtHeal: all.windingsAtHeal,
    windingsAtEnd: all.windingsAtEnd,
    staleSuccListsAtEnd: all.staleSuccListsAtEnd,
    churnCrashes: all.churnCrashes,
    churnJoins: all.churnJoins,
  };
  const row: MergeSizeRow = {
    nodes,
    algorithm,
    perfect: metrics.perfect,
    mergeRounds: metrics.mergeRounds,
    mergeTimeSec: metrics.mergeTimeSec,
    messages: metrics.messages,
    mergeMessages: metrics.mergeMessages,
    lookupFailuresAfter: metrics.lookupFailuresAfter,
  };
  const notMerged: Violation[] = [];
  if (metrics.perfect !== true || metrics.settledSec === null)
    notMerged.push({
      invariant: "merge",
      atMs: run.sim.nowMs,
      message: `${nodes} nodes (${algorithm}) not one perfect ring within ${params.duration} s of the heal`,
    });
  else if (metrics.staleSuccListsAtEnd !== 0)
    notMerged.push({
      invariant: "succList",
      atMs: run.sim.nowMs,
      message: `${String(metrics.staleSuccListsAtEnd)} successor lists not the next members when the run ended`,
    });
  const outcome: ScenarioOutcome = {
    metrics,
    violations: [...run.sim.violations, ...notMerged],
    events: run.sim.stats.events,
    traceHash: run.sim.trace.hex(),
    buggifySites: run.sim.firedBuggifySites(),
    constants: {
      ...protocol.constants,
      settleSec: SETTLE_MS / 1000,
      lookupWindowSec: LOOKUP_WINDOW_MS / 1000,
      lookupsPerSec: LOOKUPS_PER_SEC,
    },
  };
  return { outcome, row };
}
