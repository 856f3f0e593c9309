// `selfman sim tx`: Paxos Commit under churn, loss, TM crashes and partitions (docs/transactions.md §10,
// docs/metrics.md §2). A ring is built by joins and settles; `--clients` clients run list-append transactions
// over `--keys` keys during `--duration` seconds of faults; after the quiet phase the whole history must be
// serializable and no committed append may be missing from the stores.
import { parseLatency } from "../engine/latency.js";
import { parseCount, parseNumber, parseProbability } from "../params.js";
import { type RingMetrics, runRing } from "../ring-harness.js";
import { selfmanRing } from "../ring-protocol.js";
import { type Scenario, type ScenarioOutcome, type ScenarioParams, simBase } from "../scenario.js";
import { type TxWorkloadMetrics, txWorkload } from "../tx-workload.js";
import {
  churnOption,
  durabilityOption,
  latencyOption,
  lossOption,
  powerLossOption,
  powerLossSettings,
  replicationOption,
} from "./kv.js";
import { ringRunConfig } from "./ring.js";

const txOptions = [
  {
    name: "clients",
    arg: "n",
    describe: "clients running transactions",
    default: 20,
    parse: parseCount("clients", 1, 10_000),
  },
  {
    name: "keys",
    arg: "n",
    describe: "list-valued keys the transactions choose from, uniformly",
    default: 50,
    parse: parseCount("keys", 1, 1_000_000),
  },
  churnOption,
  lossOption,
  latencyOption,
  {
    name: "tmCrash",
    arg: "p",
    describe: "probability that a transaction's TM crashes at a random point of its commit",
    default: 0,
    parse: parseProbability("tm-crash"),
  },
  {
    name: "partitionEvery",
    arg: "sec",
    describe: "split the network in two this often during measure (0: never)",
    default: 0,
    parse: parseNumber("partition-every", 0),
  },
  {
    name: "partitionMs",
    arg: "ms",
    describe: "how long each partition lasts (default: a third of --partition-every, docs/metrics.md §2)",
    default: null,
    parse: parseNumber("partition-ms", 0),
  },
  replicationOption,
  powerLossOption,
  durabilityOption,
] as const;

/** What `sim tx` prints (docs/metrics.md §4): the workload's figures and a few of the ring's. */
type TxMetrics = TxWorkloadMetrics &
  Pick<
    RingMetrics,
    "liveNodes" | "perfect" | "convergedAtSec" | "messages" | "messagesByType" | "powerLosses"
  >;

function runTx(params: ScenarioParams, progress: (f: number) => void): ScenarioOutcome {
  const replication = Number(params.f);
  const { durability, powerLossesPerSec } = powerLossSettings(params);
  const protocol = selfmanRing({ store: { replication }, durability });
  const latency = parseLatency(String(params.latency));
  const oneWayMs = latency.kind === "constant" ? latency.ms : null;
  const partitionMs =
    params.partitionMs === null
      ? Math.round((Number(params.partitionEvery) * 1000) / 3)
      : Number(params.partitionMs);
  const run = runRing(
    protocol,
    { ...simBase(params), network: { latency, loss: Number(params.loss) } },
    {
      ...ringRunConfig({ ...params, joinGapMs: 100, connectivity: 1 }, { lookupsPerSec: 0 }),
      powerLossesPerSec,
    },
    progress,
    () => {},
    txWorkload({
      clients: Number(params.clients),
      keys: Number(params.keys),
      replication,
      clientTimeoutMs: 40_000,
      thinkMs: 20,
      tmCrash: Number(params.tmCrash),
      tmCrashWindowMs: 8 * (oneWayMs ?? 10),
      partitionEverySec: Number(params.partitionEvery),
      partitionMs,
      constantLatencyMs: oneWayMs,
    }),
  );
  const m = run.metrics();
  const violations = [...run.sim.violations];
  if (m.serializable === false)
    violations.push({
      invariant: "serializable",
      atMs: run.sim.nowMs,
      message: `anomalies: ${String(m.anomalyKinds)}`,
    });
  if (m.lostCommits !== 0)
    violations.push({ invariant: "no lost commit", atMs: run.sim.nowMs, message: `${m.lostCommits} lost` });
  const metrics: TxMetrics = {
    txs: m.txs,
    committed: m.committed,
    aborted: m.aborted,
    failed: m.failed,
    serializable: m.serializable,
    anomalies: m.anomalies,
    anomalyKinds: m.anomalyKinds,
    lostCommits: m.lostCommits,
    locksLeft: m.locksLeft,
    keysBeyondTolerance: m.keysBeyondTolerance,
    excusedAnomalies: m.excusedAnomalies,
    commitDelays: m.commitDelays,
    commitLatencyP50Ms: m.commitLatencyP50Ms,
    commitLatencyP99Ms: m.commitLatencyP99Ms,
    abortRate: m.abortRate,
    tmCrashes: m.tmCrashes,
    partitions: m.partitions,
    partitionsSplitRings: m.partitionsSplitRings,
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
    constants: { ...protocol.constants, settleSec: 30, quietSec: 60, partitionMs },
  };
}

export const tx: Scenario = {
  name: "tx",
  summary:
    "transactions: list-append clients under churn, loss, TM crashes and partitions; serializability checked",
  defaults: { nodes: 100, duration: 300 },
  options: txOptions,
  run: (params, context) => runTx(params, (f) => context.progress(f)),
};
