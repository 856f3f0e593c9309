// `selfman sim merge`: ring merge after a network partition (algorithms.md §5, METRICS.md §5). Build
// one ring by joins, settle, partition the nodes into --rings random groups for --partition-sec
// (each group must become a perfect ring of its own: splitPerfectRings says so), heal, and time the
// merge back to one perfect ring (mergeTimeSec, mergeRounds = mergeTimeSec / γ), with the merge
// protocol's messages and the lookup failures in the 30 s after. --algorithm simple (§5.3) or
// gossip (§5.4, --fanout F random zipping points per trymerge, --queue-rate mlookups per γ).

import { DEFAULT_OVERLAY, type MergeAlgorithm } from "../../overlay/config.js";
import { parseLatency } from "../../runtime/sim/latency.js";
import { type MergePhaseConfig, type MergeSplit, mergePhaseMs, mergeWorkload } from "../merge-workload.js";
import { parseCount, parseLatencyFlag, parseNumber } from "../params.js";
import { type RingRunConfig, runRing } from "../ring-harness.js";
import { relaxedRing } from "../ring-protocol.js";
import type { Metrics, Scenario, ScenarioContext, ScenarioOutcome, ScenarioParams } from "../scenario.js";

const SETTLE_MS = 30_000;
const QUIET_MS = 1000;
const LOOKUP_WINDOW_MS = 30_000;
const LOOKUPS_PER_SEC = 10;

function parseAlgorithm(raw: string): MergeAlgorithm {
  if (raw === "simple" || raw === "gossip") return raw;
  throw new RangeError(`--algorithm: expected simple or gossip, got ${JSON.stringify(raw)}`);
}

function parseSplit(raw: string): MergeSplit {
  if (raw === "partition" || raw === "separate") return raw;
  throw new RangeError(`--split: expected partition or separate, got ${JSON.stringify(raw)}`);
}

export const merge: Scenario = {
  name: "merge",
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
        "partition: one ring split for --partition-sec; separate: R rings built apart, then mergeWith",
      default: "partition",
      parse: parseSplit,
    },
    {
      name: "algorithm",
      arg: "name",
      describe: "ring unification: simple (§5.3) or gossip (§5.4)",
      default: "simple",
      parse: parseAlgorithm,
    },
    {
      name: "fanout",
      arg: "F",
      describe: "gossip: random zipping points each trymerge opens (§5.4)",
      default: DEFAULT_OVERLAY.mergeFanout,
      parse: parseCount("fanout", 1, 16),
    },
    {
      name: "queueRate",
      arg: "n",
      describe: "gossip: mlookups started from the mqueue per γ (§5.4: 1)",
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

function runMerge(params: ScenarioParams, context: ScenarioContext): ScenarioOutcome {
  const algorithm = parseAlgorithm(String(params.algorithm));
  const split = parseSplit(String(params.split));
  const phase: MergePhaseConfig = {
    rings: Number(params.rings),
    split,
    partitionMs: split === "partition" ? Number(params.partitionSec) * 1000 : 0,
    mergeWindowMs: params.duration * 1000,
    lookupWindowMs: LOOKUP_WINDOW_MS,
    lookupsPerSec: LOOKUPS_PER_SEC,
    mergePeriodMs: DEFAULT_OVERLAY.mergePeriodMs,
  };
  const config: RingRunConfig = {
    nodes: params.nodes,
    buildJoinGapMs: Number(params.joinGapMs),
    settleMs: SETTLE_MS,
    measureMs: mergePhaseMs(phase),
    quietMs: QUIET_MS,
    churn: { joins: 0, crashes: 0, leaves: 0 },
    lookupsPerSec: 0,
    connectivity: 1,
    buildRings: split === "separate" ? Number(params.rings) : 1,
  };
  const protocol = relaxedRing({
    k: Number(params.k),
    mergeAlgorithm: algorithm,
    mergeFanout: Number(params.fanout),
    mergeQueueRate: Number(params.queueRate),
  });
  const simConfig = {
    seed: params.seed,
    idBits: Number(params.idBits),
    network: { latency: parseLatency(String(params.latency)) },
  };
  const run = runRing(
    protocol,
    simConfig,
    config,
    (f) => context.progress(f),
    () => {},
    mergeWorkload(phase),
  );
  const all = run.metrics();
  const metrics: Metrics = {
    ...pick(all, [
      "liveNodes",
      "i1Holds",
      "branches",
      "inconsistentLookups",
      "fingersLive",
      "fingerAccuracy",
    ]),
    ...pick(all, [
      "splitPerfectRings",
      "splitProblem",
      "perfect",
      "mergeTimeSec",
      "mergeRounds",
      "ringUidSettledSec",
      "messages",
      "mergeMessages",
      "messagesAfterHeal",
      "lookupsAfter",
      "lookupFailuresAfter",
    ]),
  };
  return {
    metrics,
    violations: run.sim.violations,
    events: run.sim.stats.events,
    traceHash: run.sim.trace.hex(),
    constants: {
      ...protocol.constants,
      settleSec: SETTLE_MS / 1000,
      lookupWindowSec: LOOKUP_WINDOW_MS / 1000,
      lookupsPerSec: LOOKUPS_PER_SEC,
    },
  };
}

function pick(metrics: Metrics, names: readonly string[]): Metrics {
  const out: Metrics = {};
  for (const name of names) {
    const value = metrics[name];
    if (value !== undefined) out[name] = value;
  }
  return out;
}
