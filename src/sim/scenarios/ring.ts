// `selfman sim ring`: build a ring by joins (one per 100 ms), settle 30 s, measure --duration s with
// optional churn and 10 lookups/s, then 60 s quiet; figures as docs/metrics.md §3 defines them.
// `--protocol chord` runs the Chord baseline on the same seed and network.

import { chordRing } from "../chord-protocol.js";
import { parseLatency } from "../engine/latency.js";
import { parseCount, parseLatencyFlag, parseNumber, parseProbability, parseRates } from "../params.js";
import { type RingMetrics, type RingRunConfig, runRing } from "../ring-harness.js";
import { relaxedRing } from "../ring-protocol.js";
import {
  type Scenario,
  type ScenarioContext,
  type ScenarioOutcome,
  type ScenarioParams,
  simBase,
} from "../scenario.js";

export const ringOptions = [
  { name: "k", arg: "k", describe: "finger arity", default: 16, parse: parseCount("k", 2, 1024) },
  {
    name: "connectivity",
    arg: "c",
    describe: "probability that a node pair can talk",
    default: 1,
    parse: parseProbability("connectivity"),
  },
  {
    name: "churn",
    arg: "J,C,L",
    describe: "joins, crashes, graceful leaves per second during measure",
    default: "0,0,0",
    parse: parseRates("churn", ["J", "C", "L"]),
  },
  { name: "protocol", arg: "name", describe: "relaxed | chord", default: "relaxed", parse: parseProtocol },
  {
    name: "loss",
    arg: "p",
    describe: "message loss probability",
    default: 0,
    parse: parseProbability("loss"),
  },
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
] as const;

function parseProtocol(raw: string): string {
  if (raw !== "relaxed" && raw !== "chord")
    throw new RangeError(`--protocol: expected relaxed or chord, got ${JSON.stringify(raw)}`);
  return raw;
}

export function ringRunConfig(params: ScenarioParams, overrides: Partial<RingRunConfig> = {}): RingRunConfig {
  const [joins = 0, crashes = 0, leaves = 0] = String(params.churn).split(",").map(Number);
  return {
    nodes: params.nodes,
    buildJoinGapMs: Number(params.joinGapMs),
    settleMs: 30_000,
    measureMs: params.duration * 1000,
    quietMs: 60_000,
    churn: { joins, crashes, leaves },
    lookupsPerSec: 10,
    connectivity: Number(params.connectivity),
    ...overrides,
  };
}

export function runRingScenario(
  params: ScenarioParams,
  context: ScenarioContext,
  overrides: Partial<RingRunConfig> = {},
): ScenarioOutcome {
  const simConfig = {
    ...simBase(params),
    idBits: Number(params.idBits),
    network: { latency: parseLatency(String(params.latency)), loss: Number(params.loss) },
  };
  const recorder = context.recorder;
  const config = { ...ringRunConfig(params, overrides), ...(recorder === undefined ? {} : { recorder }) };
  const k = Number(params.k);
  const progress = (f: number) => context.progress(f);
  if (params.protocol === "chord") {
    const protocol = chordRing({ k });
    const run = runRing(protocol, simConfig, config, progress);
    return outcome(run.metrics(), run.sim, protocol.constants, config);
  }
  const protocol = relaxedRing({ k });
  const run = runRing(protocol, simConfig, config, progress);
  return outcome(run.metrics(), run.sim, protocol.constants, config);
}

/** What `sim ring` and `sim join-storm` print: the ring figures (docs/metrics.md §3). */
type RingScenarioMetrics = RingMetrics;

function outcome(
  metrics: RingScenarioMetrics,
  sim: {
    stats: { events: number };
    trace: { hex(): string };
    violations: ScenarioOutcome["violations"];
    firedBuggifySites(): string[];
  },
  constants: ScenarioOutcome["constants"],
  config: RingRunConfig,
): ScenarioOutcome {
  return {
    metrics,
    violations: sim.violations,
    events: sim.stats.events,
    traceHash: sim.trace.hex(),
    buggifySites: sim.firedBuggifySites(),
    constants: {
      ...constants,
      settleSec: config.settleMs / 1000,
      quietSec: config.quietMs / 1000,
      lookupsPerSec: config.lookupsPerSec,
    },
  };
}

export const ring: Scenario = {
  name: "ring",
  records: true,
  summary: "build a ring by joins, optional churn, random lookups; relaxed ring or the Chord baseline",
  defaults: { nodes: 1000, duration: 60 },
  options: ringOptions,
  run: (params, context) => runRingScenario(params, context),
};
