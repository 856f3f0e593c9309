// `selfman sim kv`: the replicated store under churn and loss (docs/metrics.md §2, §4; figures:
// docs/replication.md §7). A ring is built by joins, settles, then `--clients` clients run single-key
// operations on `--keys` keys during `--duration` seconds of churn; after the quiet phase every key's history
// is checked for linearizability and every acknowledged write must still be held by a majority of its
// replicas.
import { checkReplication } from "../../store/replicas.js";
import { parseLatency } from "../engine/latency.js";
import { type KvWorkloadMetrics, kvWorkload } from "../kv-workload.js";
import { parseCount, parseLatencyFlag, parseNumber, parseProbability, parseRates } from "../params.js";
import { type RingMetrics, runRing } from "../ring-harness.js";
import { type SimDurability, selfmanRing } from "../ring-protocol.js";
import { type Scenario, type ScenarioOutcome, type ScenarioParams, simBase } from "../scenario.js";
import { ringRunConfig } from "./ring.js";

// The fault and replication flags `sim kv` and `sim tx` share.
export const churnOption = {
  name: "churn",
  arg: "J,C,L",
  describe: "joins, crashes, graceful leaves per second during measure",
  default: "0,0,0",
  parse: parseRates("churn", ["J", "C", "L"]),
} as const;

export const lossOption = {
  name: "loss",
  arg: "p",
  describe: "message loss probability",
  default: 0,
  parse: parseProbability("loss"),
} as const;

export const latencyOption = {
  name: "latency",
  arg: "spec",
  describe: "one-way latency: const:MS | uniform:MIN-MAX | lognormal:MEDIAN,SIGMA",
  default: "const:10",
  parse: parseLatencyFlag,
} as const;

export const powerLossOption = {
  name: "powerLoss",
  arg: "rate",
  describe:
    "power cuts per second during measure: a member loses its unsynced writes and boots again on its disk 1–10 s later",
  default: 0,
  parse: parseNumber("power-loss", 0),
} as const;

export const durabilityOption = {
  name: "durability",
  arg: "mode",
  describe:
    "what a power cut keeps: sync (every write reported by a message was on disk) or process (disks written back every 5 s; a node rejoins unsynced)",
  default: "sync",
  parse: parseSimDurability,
} as const;

function parseSimDurability(raw: string): string {
  if (raw !== "sync" && raw !== "process")
    throw new RangeError(`--durability must be sync or process (got ${raw})`);
  return raw;
}

/** --f: a count, and a power of two in [1, 64] as symmetric replication needs (docs/replication.md §1). */
function parseReplication(raw: string): number {
  const f = parseCount("f", 1, 64)(raw);
  try {
    checkReplication(f);
  } catch (error) {
    throw new RangeError(`--f: ${error instanceof Error ? error.message : String(error)}`);
  }
  return f;
}

export const replicationOption = {
  name: "f",
  arg: "f",
  describe: "replication degree (a power of two)",
  default: 4,
  parse: parseReplication,
} as const;

const kvOptions = [
  {
    name: "clients",
    arg: "n",
    describe: "clients issuing operations",
    default: 20,
    parse: parseCount("clients", 1, 10_000),
  },
  {
    name: "keys",
    arg: "n",
    describe: "keys the clients choose from, uniformly",
    default: 20,
    parse: parseCount("keys", 1, 1_000_000),
  },
  churnOption,
  lossOption,
  latencyOption,
  replicationOption,
  powerLossOption,
  durabilityOption,
] as const;

/** What `sim kv` prints (docs/metrics.md §4): the workload's figures and a few of the ring's. */
type KvMetrics = KvWorkloadMetrics &
  Pick<
    RingMetrics,
    "liveNodes" | "perfect" | "convergedAtSec" | "messages" | "messagesByType" | "powerLosses"
  >;

/** The protocol and ring settings of the power-loss fault (`--power-loss`, `--durability`), for kv and tx. */
export function powerLossSettings(params: ScenarioParams): {
  durability: SimDurability;
  powerLossesPerSec: number;
} {
  return {
    durability: params.durability === "process" ? "process" : "sync",
    powerLossesPerSec: Number(params.powerLoss),
  };
}

function runKv(params: ScenarioParams, progress: (f: number) => void): ScenarioOutcome {
  const replication = Number(params.f);
  const { durability, powerLossesPerSec } = powerLossSettings(params);
  const protocol = selfmanRing({ store: { replication }, durability });
  const run = runRing(
    protocol,
    {
      ...simBase(params),
      network: { latency: parseLatency(String(params.latency)), loss: Number(params.loss) },
    },
    {
      ...ringRunConfig({ ...params, joinGapMs: 100, connectivity: 1 }, { lookupsPerSec: 0 }),
      powerLossesPerSec,
    },
    progress,
    () => {},
    kvWorkload({
      clients: Number(params.clients),
      keys: Number(params.keys),
      replication,
      clientTimeoutMs: 15_000,
      thinkMs: 20,
    }),
  );
  const m = run.metrics();
  const linearizable = m.linearizable;
  const violations = [...run.sim.violations];
  if (m.lostAcknowledgedWrites !== 0)
    violations.push({
      invariant: "no lost acknowledged write",
      atMs: run.sim.nowMs,
      message: `${m.lostAcknowledgedWrites} lost`,
    });
  if (linearizable === false)
    violations.push({
      invariant: "linearizable",
      atMs: run.sim.nowMs,
      message: "a key's history is not linearizable",
    });
  const metrics: KvMetrics = {
    ops: m.ops,
    okOps: m.okOps,
    failedOps: m.failedOps,
    lostAcknowledgedWrites: m.lostAcknowledgedWrites,
    linearizable: m.linearizable,
    keysBeyondTolerance: m.keysBeyondTolerance,
    availability: m.availability,
    opLatencyP50Ms: m.opLatencyP50Ms,
    opLatencyP99Ms: m.opLatencyP99Ms,
    liveNodes: m.liveNodes,
    perfect: m.perfect,
    convergedAtSec: m.convergedAtSec,
    messages: m.messages,
    messagesByType: m.messagesByType,
    powerLosses: m.powerLosses,
  };
  return {
    metrics,
    violations,
    events: run.sim.stats.events,
    traceHash: run.sim.trace.hex(),
    buggifySites: run.sim.firedBuggifySites(),
    constants: { ...protocol.constants, settleSec: 30, quietSec: 60 },
  };
}

export const kv: Scenario = {
  name: "kv",
  summary: "the replicated store: clients run linearizable single-key operations under churn and loss",
  defaults: { nodes: 200, duration: 300 },
  options: kvOptions,
  run: (params, context) => runKv(params, (f) => context.progress(f)),
};
