// `selfman sim net-chaos`: the simulator's own torture test. Push–pull max-gossip (components/
// max-gossip.ts) under loss, duplication, jittered latency, partitions into two groups, asymmetric link
// cuts, and node crashes with restarts; then a quiet phase (faults stop, links heal, nodes restart)
// in which gossip must converge. Checkers: gossip safety; the network model's promises (nothing crosses
// a partition or a cut, nothing reaches a crashed node and a crashed node sends nothing); convergence at
// the end.
import type { NodeRef } from "../../core/node-ref.js";
import { type GossipMessage, type GossipTimer, MaxGossip } from "../components/max-gossip.js";
import { parseLatency } from "../engine/latency.js";
import { Simulator } from "../engine/simulator.js";
import { parseCount, parseLatencyFlag, parseNumber, parseProbability } from "../params.js";
import {
  type Scenario,
  type ScenarioContext,
  type ScenarioOutcome,
  type ScenarioParams,
  simBase,
} from "../scenario.js";

const QUIET_SEC = 60;
const ROUND_MS = 500;
const DOWNTIME_MS = { min: 1_000, max: 10_000 } as const;

type ChaosSim = Simulator<GossipMessage, GossipTimer>;

export const netChaos: Scenario = {
  name: "net-chaos",
  summary: "max-gossip under loss, duplication, partitions, asymmetric cuts and crash/restart",
  defaults: { nodes: 64, duration: 60 },
  options: [
    {
      name: "latency",
      arg: "spec",
      describe: "one-way latency: const:MS | uniform:MIN-MAX | lognormal:MEDIAN,SIGMA",
      default: "uniform:5-15",
      parse: parseLatencyFlag,
    },
    {
      name: "loss",
      arg: "p",
      describe: "message loss probability",
      default: 0.02,
      parse: parseProbability("loss"),
    },
    {
      name: "duplicate",
      arg: "p",
      describe: "message duplication probability",
      default: 0.01,
      parse: parseProbability("duplicate"),
    },
    {
      name: "partitionEvery",
      arg: "sec",
      describe: "split into 2 groups every SEC for SEC/3 (0: never)",
      default: 20,
      parse: parseNumber("partition-every", 0),
    },
    {
      name: "crashRate",
      arg: "perSec",
      describe: "node crashes per second (each restarts after 1–10 s)",
      default: 0.5,
      parse: parseNumber("crash-rate", 0),
    },
    {
      name: "cuts",
      arg: "n",
      describe: "random one-way link cuts, re-drawn every 10 s",
      default: 8,
      parse: parseCount("cuts"),
    },
    {
      name: "plantedAssertAt",
      arg: "sec",
      describe: "plant a process (node 0) that breaks the assertion 'gossip: value never decreases' at SEC",
      default: null,
      parse: parseNumber("planted-assert-at", 0),
    },
    {
      name: "plantedBug",
      describe: "plant a bug in the gossip component (to see the checkers fire)",
      default: false,
    },
  ],
  run: runNetChaos,
};

/** What `sim net-chaos` prints (docs/metrics.md §6). */
type NetChaosMetrics = {
  readonly messages: number;
  readonly delivered: number;
  readonly droppedLoss: number;
  readonly droppedPartition: number;
  readonly droppedCut: number;
  readonly droppedDestDown: number;
  readonly duplicated: number;
  readonly crashes: number;
  readonly restarts: number;
  readonly partitions: number;
  readonly valuesOriginated: number;
  readonly maxValue: number;
  readonly convergedAtSec: number | null;
  readonly messagesPerNodePerSec: number;
};

function runNetChaos(params: ScenarioParams, context: ScenarioContext): ScenarioOutcome {
  const measureMs = params.duration * 1000;
  const endMs = measureMs + QUIET_SEC * 1000;
  const sim: ChaosSim = new Simulator({
    ...simBase(params),
    network: {
      latency: parseLatency(String(params.latency)),
      loss: Number(params.loss),
      duplicate: Number(params.duplicate),
    },
  });
  const peers: NodeRef[] = [];
  const gossip: MaxGossip[] = [];
  const config = { roundMs: ROUND_MS, originateProbability: 0.02, plantedBug: params.plantedBug === true };
  const plantedAssertAtMs = params.plantedAssertAt === null ? null : Number(params.plantedAssertAt) * 1000;
  for (let i = 0; i < params.nodes; i++) {
    sim.addNode((env) => {
      const gossiper = new MaxGossip(env, peers, i === 0 ? { ...config, plantedAssertAtMs } : config);
      gossip[i] = gossiper;
      return gossiper;
    });
  }
  for (const node of sim.nodes) peers.push(node.ref);

  const faults = scheduleFaults(sim, params, measureMs);
  const issued = trackOriginations(sim);
  watchNetworkPromises(sim, faults);
  sim.addInvariant("gossip-safety", () => checkSafety(sim, gossip, issued.max), { everyMs: 1000 });

  sim.at(measureMs, () => {
    faults.stopAll();
    for (const g of gossip) g.quiesce();
  });
  let convergedAtMs: number | null = null;
  sim.every(100, endMs, () => {
    const agreed = sim.nowMs >= measureMs && allAgree(sim, gossip);
    if (agreed && convergedAtMs === null) convergedAtMs = sim.nowMs;
    if (!agreed) convergedAtMs = null;
  });
  sim.run(endMs, (now) => context.progress(now / endMs));
  if (!sim.isStopped) {
    sim.checkInvariant("gossip-converges", () =>
      convergedAtMs === null ? "live nodes still disagree on the maximum after the quiet phase" : null,
    );
  }

  const dropped = sim.stats.dropped;
  const metrics: NetChaosMetrics = {
    messages: sim.stats.sent,
    delivered: sim.stats.delivered,
    droppedLoss: dropped.loss,
    droppedPartition: dropped.partition,
    droppedCut: dropped.cut,
    droppedDestDown: dropped["dest-down"],
    duplicated: sim.stats.duplicated,
    crashes: sim.stats.crashes,
    restarts: sim.stats.restarts,
    partitions: faults.partitions,
    valuesOriginated: issued.count,
    maxValue: issued.max.value,
    convergedAtSec:
      convergedAtMs === null ? null : Number((((convergedAtMs as number) - measureMs) / 1000).toFixed(1)),
    messagesPerNodePerSec: Number((sim.stats.sent / params.nodes / (endMs / 1000)).toFixed(2)),
  };
  return {
    metrics,
    violations: sim.violations,
    events: sim.stats.events,
    traceHash: sim.trace.hex(),
    buggifySites: sim.firedBuggifySites(),
    constants: {
      quietSec: QUIET_SEC,
      roundMs: ROUND_MS,
      downtimeMinMs: DOWNTIME_MS.min,
      downtimeMaxMs: DOWNTIME_MS.max,
    },
  };
}

interface FaultState {
  partitions: number;
  /** group of each node while partitioned, else null */
  groups: Int32Array | null;
  cuts: Set<string>;
  stopAll(): void;
}

function scheduleFaults(sim: ChaosSim, params: ScenarioParams, measureMs: number): FaultState {
  const n = params.nodes;
  const state: FaultState = { partitions: 0, groups: null, cuts: new Set(), stopAll: () => {} };
  const rng = sim.rng;
  const partitionEveryMs = Number(params.partitionEvery) * 1000;
  if (partitionEveryMs > 0 && n >= 4) {
    sim.every(partitionEveryMs, measureMs - 1, () => {
      const order = rng.shuffle([...Array(n).keys()]);
      const size = Math.floor(n / 4) + rng.int(Math.floor(n / 2) + 1);
      const groups = [order.slice(0, size), order.slice(size)];
      sim.partition(groups);
      state.groups = new Int32Array(n);
      for (const i of groups[1] ?? []) state.groups[i] = 1;
      state.partitions++;
      sim.after(partitionEveryMs / 3, () => {
        sim.heal();
        state.groups = null;
      });
    });
  }
  const cutCount = Number(params.cuts);
  if (cutCount > 0 && n >= 2) {
    const redraw = () => {
      sim.net.restoreAllLinks();
      state.cuts.clear();
      for (let c = 0; c < cutCount; c++) {
        const a = rng.int(n);
        const b = (a + 1 + rng.int(n - 1)) % n;
        sim.net.cut(a, b);
        state.cuts.add(`${a}>${b}`);
      }
    };
    redraw();
    sim.every(10_000, measureMs - 1, redraw);
  }
  const crashRate = Number(params.crashRate);
  let faultsOn = true;
  if (crashRate > 0) {
    const nextCrash = () => {
      sim.after(rng.exponential(1000 / crashRate), () => {
        if (!faultsOn) return;
        const victim = rng.int(n);
        sim.crash(victim);
        sim.after(rng.uniform(DOWNTIME_MS.min, DOWNTIME_MS.max), () => sim.restart(victim));
        nextCrash();
      });
    };
    nextCrash();
  }
  state.stopAll = () => {
    faultsOn = false;
    sim.heal();
    state.groups = null;
    sim.net.restoreAllLinks();
    state.cuts.clear();
    for (const node of sim.nodes) if (!node.alive) sim.restart(node.index);
  };
  return state;
}

function trackOriginations(sim: ChaosSim): { count: number; max: { value: number } } {
  const issued = { count: 0, max: { value: 0 } };
  sim.observe({
    onEmit(_node, event) {
      if (event.type === "originated" && typeof event.value === "number") {
        issued.count++;
        issued.max.value = Math.max(issued.max.value, event.value);
      }
    },
  });
  return issued;
}

/** The network model's promises, checked from the scenario's own record of the faults it injected. */
function watchNetworkPromises(sim: ChaosSim, faults: FaultState): void {
  let broken: string | null = null;
  sim.observe({
    onDeliver(from, to) {
      if (!to.alive || to.process === null) broken ??= `delivered to crashed node ${to.index}`;
      const g = faults.groups;
      if (g !== null && g[from] !== g[to.index])
        broken ??= `message ${from}→${to.index} crossed the partition`;
      if (faults.cuts.has(`${from}>${to.index}`)) broken ??= `message ${from}→${to.index} crossed a cut link`;
    },
    onSend(from) {
      if (!from.alive) broken ??= `crashed node ${from.index} sent a message`;
    },
  });
  sim.addInvariant("network-model", () => broken);
}

function checkSafety(sim: ChaosSim, gossip: readonly MaxGossip[], max: { value: number }): string | null {
  for (const node of sim.nodes) {
    const value = gossip[node.index]?.value ?? 0;
    if (node.alive && value > max.value)
      return `node ${node.index} holds ${value}, above every originated value (${max.value})`;
  }
  return null;
}

function allAgree(sim: ChaosSim, gossip: readonly MaxGossip[]): boolean {
  let seen: number | null = null;
  for (const node of sim.nodes) {
    if (!node.alive) continue;
    const value = gossip[node.index]?.value ?? 0;
    if (seen === null) seen = value;
    else if (value !== seen) return false;
  }
  return true;
}
