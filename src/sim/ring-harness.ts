// The ring experiment shared by `sim ring`, `sim join-storm`, `sim ppl08` and the convergence tests
// (docs/metrics.md §2–§3): build a ring by joins, settle, measure (churn, lookups), go quiet, check. It owns
// the simulator, the global view (RingMembers) and every figure; protocols plug in via RingProtocol.

import { type FingerCorrectness, fingerCorrectness, i1Problem } from "../check/ring-invariants.js";
import { RingMembers } from "../check/ring-members.js";
import type { RingId } from "../core/id-space.js";
import type { MessageBase, TimerTagBase } from "../core/message.js";
import type { NodeRef } from "../core/node-ref.js";
import { perfectRingProblem, type RingShape, ringShape, staleSuccLists } from "../overlay/ring-shape.js";
import type { LookupResult, RingView } from "../overlay/ring-view.js";
import type { Prng } from "./engine/prng.js";
import { type SimConfig, Simulator } from "./engine/simulator.js";
import { type Disk, WRITEBACK_MS } from "./journaled-store.js";
import { percentile } from "./percentile.js";
import type { RingProcess, RingProtocol } from "./ring-protocol.js";
import type { RingRecorder } from "./ring-recorder.js";
import type { Metrics } from "./scenario.js";

/** The ring figures of every ring run (docs/metrics.md §3), for the relaxed ring and Chord alike. */
export type RingMetrics = {
  readonly lookups: number;
  readonly lookupFailures: number;
  readonly availability: number | null;
  readonly inconsistentLookups: number;
  readonly maxResponsiblePerKey: number;
  readonly theorem3Overlaps: null;
  readonly hopsMean: number | null;
  readonly hopsP50: number | null;
  readonly hopsP99: number | null;
  readonly routingTableMean: number | null;
  readonly branches: number;
  readonly branchSizeMean: number | null;
  readonly liveNodes: number;
  readonly perfect: boolean;
  readonly staleSuccLists: number | null;
  readonly i1Holds: boolean;
  readonly fingersLive: number | null;
  readonly fingerAccuracy: number | null;
  readonly messages: number;
  readonly ringMessages: number;
  readonly messagesPerNodePerSec: number | null;
  readonly convergedAtSec: number | null;
  readonly messagesByType: Readonly<Record<string, number>>;
  /** Power cuts made (each machine booted again on its disk as of its last sync). */
  readonly powerLosses: number;
};

/** No workload figures (a run without a workload, or one that adds none). */
type NoMetrics = Readonly<Record<never, never>>;

/** The ring figures with a workload's on top (a workload's figure replaces a ring one of its name). */
type RingRunMetrics<W extends Metrics> = Omit<RingMetrics, keyof W> & W;

export interface RingRunConfig {
  readonly nodes: number;
  /** Milliseconds between joins while building (docs/metrics.md §2: 100; join-storm spreads N over 5 s). */
  readonly buildJoinGapMs: number;
  readonly settleMs: number;
  readonly measureMs: number;
  readonly quietMs: number;
  /** Joins, crashes, graceful leaves per second during measure. */
  readonly churn: { readonly joins: number; readonly crashes: number; readonly leaves: number };
  readonly lookupsPerSec: number;
  /** Probability that a node pair can talk (decided once per pair); 1 = full connectivity. */
  readonly connectivity: number;
  /** Links cut both ways for a few seconds, per second during measure (false suspicions). */
  readonly linkFlapsPerSec?: number;
  /**
   * Power cuts per second during measure (docs/simulator.md §3): a member's machine stops, loses its
   * unsynced writes, and boots again on its disk 1–10 s later, joining through a live member.
   */
  readonly powerLossesPerSec?: number;
  /**
   * Rings built apart (default 1): nodes 0..R−1 each start a ring of their own, and node i joins
   * through a member of ring i mod R. Nothing links them until a merge (docs/ring-merge.md §2).
   */
  readonly buildRings?: number;
  /** Frames of the run for the dashboard's replay (docs/dashboard.md §7), every recorder.intervalMs. */
  readonly recorder?: RingRecorder;
}

/** How long a flapping link stays cut. */
const LINK_FLAP_MS = 3000;
/** How long a machine stays down after a power cut. */
const POWER_DOWN_MS = { min: 1000, max: 10_000 } as const;

/** What a workload run on the ring (kv clients, say) sees of the run. */
export interface RingRunContext<M extends MessageBase, T extends TimerTagBase> {
  readonly sim: Simulator<M, T>;
  readonly members: RingMembers;
  readonly measureStartMs: number;
  readonly measureEndMs: number;
  readonly endMs: number;
  /** The running process of a simulated node, or null while it is down or not yet built. */
  processOf(index: number): RingProcess<M, T> | null;
  /** The running processes among these node indices (those down or not yet built left out). */
  viewsOf(indices: readonly number[]): RingProcess<M, T>[];
  /** A ring member chosen uniformly with `rng`. */
  randomMember(rng: Prng): RingView | undefined;
  /** Starts a new node that joins through a random member. */
  addNode(): void;
  /** Which of the rings built apart node `index` was built into (0 when only one was built). */
  buildRingOf(index: number): number;
}

/** Load put on the ring during the measure phase, with figures of its own (W). */
export interface RingWorkload<M extends MessageBase, T extends TimerTagBase, W extends Metrics = Metrics> {
  /** Called at the start of the measure phase. */
  start(context: RingRunContext<M, T>): void;
  metrics(context: RingRunContext<M, T>): W;
}

interface RingRun<M extends MessageBase, T extends TimerTagBase, W extends Metrics = NoMetrics> {
  readonly sim: Simulator<M, T>;
  readonly members: RingMembers;
  liveViews(): RingView[];
  liveProcesses(): RingProcess<M, T>[];
  /** The ring figures and the workload's. */
  metrics(): RingRunMetrics<W>;
}

interface LookupStats {
  started: number;
  failed: number;
  answered: number;
  inconsistent: number;
  hops: number[];
}

const round = (x: number, digits = 3) => Number(x.toFixed(digits));

/** A deterministic coin per unordered pair: the pair can talk with probability c. */
function pairFilter(seed: number, c: number): (a: number, b: number) => boolean {
  const threshold = Math.floor(c * 0x1_0000_0000);
  return (a, b) => {
    const lo = Math.min(a, b);
    const hi = Math.max(a, b);
    let h = Math.imul(lo ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(hi + 0x7f4a7c15, 0xc2b2ae35) ^ seed;
    h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
    h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
    return (h ^ (h >>> 16)) >>> 0 < threshold;
  };
}

/** A ring run without a workload: the ring figures alone. */
export function runRing<M extends MessageBase, T extends TimerTagBase>(
  protocol: RingProtocol<M, T>,
  simConfig: SimConfig,
  run: RingRunConfig,
  onProgress?: (fraction: number) => void,
  instrument?: (sim: Simulator<M, T>) => void,
): RingRun<M, T, NoMetrics>;
/** A ring run with a workload in its measure phase: the ring figures and the workload's. */
export function runRing<M extends MessageBase, T extends TimerTagBase, W extends Metrics = Metrics>(
  protocol: RingProtocol<M, T>,
  simConfig: SimConfig,
  run: RingRunConfig,
  onProgress: (fraction: number) => void,
  instrument: (sim: Simulator<M, T>) => void,
  workload: RingWorkload<M, T, W>,
): RingRun<M, T, W>;
export function runRing<M extends MessageBase, T extends TimerTagBase>(
  protocol: RingProtocol<M, T>,
  simConfig: SimConfig,
  run: RingRunConfig,
  onProgress: (fraction: number) => void = () => {},
  instrument: (sim: Simulator<M, T>) => void = () => {},
  workload: RingWorkload<M, T, Metrics> | null = null,
): RingRun<M, T, Metrics> {
  const experiment = new RingExperiment(protocol, simConfig, run, instrument, workload);
  experiment.run(onProgress);
  return experiment;
}

/**
 * One ring run, phase by phase (docs/metrics.md §2): build, settle, measure (churn, lookups, the
 * workload), quiet, final checks; and the observers that keep the global view and the figures. The
 * phases are scheduled in this order on purpose: events at the same virtual time run in the order
 * they were scheduled, so reordering the calls in run() changes every trace.
 */
class RingExperiment<M extends MessageBase, T extends TimerTagBase> implements RingRun<M, T, Metrics> {
  readonly sim: Simulator<M, T>;
  readonly members: RingMembers;
  private readonly protocol: RingProtocol<M, T>;
  private readonly config: RingRunConfig;
  private readonly workload: RingWorkload<M, T, Metrics> | null;
  private readonly context: RingRunContext<M, T>;
  private readonly views: (RingProcess<M, T> | null)[] = [];
  /** What a machine restarting after a power cut boots from, and whom it joins through. */
  private readonly reboots = new Map<number, { disk: Disk; contact: NodeRef | null }>();
  private readonly lookups: LookupStats = { started: 0, failed: 0, answered: 0, inconsistent: 0, hops: [] };
  /** Keys of the measure phase's lookups in flight: only their answers are judged (docs/metrics.md §3). */
  private readonly measuredKeys = new Set<RingId>();
  private readonly buildRings: number;
  private readonly buildEndMs: number;
  private maxResponsiblePerKey = 0;
  private lastFaultMs = 0;
  private powerLosses = 0;
  private perfectSinceMs: number | null = null;
  private shapeAtMeasureEnd: RingShape | null = null;
  private measureLiveNodeSec = 0;
  private messagesAtMeasureStart = 0;
  private fingerCheck: FingerCorrectness = { fingersLive: null, fingerAccuracy: null };

  constructor(
    protocol: RingProtocol<M, T>,
    simConfig: SimConfig,
    config: RingRunConfig,
    instrument: (sim: Simulator<M, T>) => void,
    workload: RingWorkload<M, T, Metrics> | null,
  ) {
    this.protocol = protocol;
    this.config = config;
    this.workload = workload;
    this.sim = new Simulator<M, T>(simConfig);
    instrument(this.sim);
    this.members = new RingMembers(this.sim.ids);
    if (config.connectivity < 1) this.sim.net.setFilter(pairFilter(simConfig.seed, config.connectivity));
    this.observeRing();
    this.buildRings = config.buildRings ?? 1;
    this.buildEndMs = config.nodes * config.buildJoinGapMs;
    const measureStartMs = this.buildEndMs + config.settleMs;
    const measureEndMs = measureStartMs + config.measureMs;
    const processOf = (index: number) => this.processOf(index);
    this.context = {
      sim: this.sim,
      members: this.members,
      measureStartMs,
      measureEndMs,
      endMs: measureEndMs + config.quietMs,
      processOf,
      viewsOf: (indices) => indices.flatMap((index) => processOf(index) ?? []),
      randomMember: (rng) => this.randomMember(rng),
      addNode: () => this.addNode(this.randomMember(this.sim.rng)?.self ?? null),
      buildRingOf: (index) => this.buildRingOf(index),
    };
  }

  /** Schedules every phase, runs to the end, and makes the final checks. */
  run(onProgress: (fraction: number) => void): void {
    const { sim, context } = this;
    this.build();
    sim.at(context.measureStartMs, () => this.startMeasure());
    sim.every(1000, context.endMs, () => this.sample());
    sim.at(context.measureEndMs, () => this.quiet());
    const recorder = this.config.recorder;
    if (recorder !== undefined) sim.every(recorder.intervalMs, context.endMs, () => this.record(recorder));
    sim.run(context.endMs, (now) => onProgress(now / context.endMs));
    if (recorder !== undefined) this.record(recorder);
    this.finalChecks();
  }

  liveViews(): RingProcess<M, T>[] {
    const out: RingProcess<M, T>[] = [];
    for (const node of this.sim.nodes) {
      const view = this.views[node.index];
      if (node.alive && view != null) out.push(view);
    }
    return out;
  }

  liveProcesses(): RingProcess<M, T>[] {
    return this.liveViews();
  }

  /** The ring figures (docs/metrics.md §3) and the workload's on top. */
  metrics(): RingRunMetrics<Metrics> {
    return { ...this.ringMetrics(), ...this.workload?.metrics(this.context) };
  }

  // ---- observers -------------------------------------------------------------------------------

  /** Keeps the global view (members) current and judges the measured lookups' answers. */
  private observeRing(): void {
    const { sim, members, views } = this;
    sim.observe({
      onEmit: (node, event) => {
        const view = views[node.index];
        if (view == null) return;
        if (event.type === "joined" || event.type === "range-changed") {
          members.update(view, node.alive);
          this.maxResponsiblePerKey = Math.max(this.maxResponsiblePerKey, members.maxOverlapAround(view));
        } else if (event.type === "join-stalled") {
          const contact = members.views()[sim.rng.int(Math.max(1, members.size))];
          if (contact !== undefined) view.join?.(contact.self);
        } else if (event.type === "lookup-answer" && this.measuredKeys.has(event.key as RingId)) {
          if (!members.isSoleOwner(event.key as RingId, event.responsible as NodeRef))
            this.lookups.inconsistent++;
        }
      },
      onCrash: (node) => {
        const view = views[node.index];
        if (view != null) members.remove(view);
      },
    });
  }

  /** One frame of the live nodes for the replay; reads views only, so the trace does not change. */
  private record(recorder: RingRecorder): void {
    const views = this.liveViews();
    const perfect =
      this.members.size === views.length && perfectRingProblem(this.members.views(), true) === null;
    recorder.frame(this.sim.nowMs, views, perfect);
  }

  /** Once a second: live node-seconds of the measure phase, and since when the ring is perfect. */
  private sample(): void {
    const { sim, members, context } = this;
    if (sim.nowMs > context.measureStartMs && sim.nowMs <= context.measureEndMs)
      this.measureLiveNodeSec += sim.liveNodes().length;
    const perfect =
      sim.nowMs >= this.buildEndMs &&
      members.size === this.liveCount() &&
      perfectRingProblem(members.views(), true) === null;
    if (!perfect) this.perfectSinceMs = null;
    else if (this.perfectSinceMs === null) this.perfectSinceMs = sim.nowMs;
  }

  // ---- phases ----------------------------------------------------------------------------------

  /** One join every buildJoinGapMs, through a random member (of its own ring when built apart). */
  private build(): void {
    const { sim, config } = this;
    this.addNode(null);
    for (let i = 1; i < config.nodes; i++) {
      if (this.buildRings === 1)
        sim.at(i * config.buildJoinGapMs, () =>
          this.addNode(this.randomMember(sim.rng)?.self ?? sim.nodeAt(0).ref),
        );
      else
        sim.at(i * config.buildJoinGapMs, () =>
          this.addNode(i < this.buildRings ? null : this.buildContact(i)),
        );
    }
  }

  /** Measure: churn, lookups and the workload start. */
  private startMeasure(): void {
    const untilMs = this.context.measureEndMs;
    this.messagesAtMeasureStart = this.sim.stats.sent;
    this.scheduleChurn(untilMs);
    this.scheduleLookups(untilMs);
    this.workload?.start(this.context);
  }

  /** Quiet: faults stop and links heal; the ring's shape at the end of measure is kept. */
  private quiet(): void {
    this.shapeAtMeasureEnd = ringShape(this.members.views());
    this.sim.net.reconfigure({ loss: 0, duplicate: 0 });
    this.sim.net.restoreAllLinks();
  }

  /**
   * The relaxed ring claims I1 once faults stop, whatever the connectivity (branches lead onto the
   * core ring); a violation fails the run. For the Chord baseline it is only reported (i1Holds).
   */
  private finalChecks(): void {
    const { sim, members, protocol } = this;
    if (!sim.isStopped && protocol.name === "relaxed") sim.checkInvariant("I1", () => i1Problem(members));
    this.fingerCheck = fingerCorrectness(
      sim.ids,
      members,
      protocol.fingerArity,
      sim.rng.split("finger-check"),
    );
  }

  /**
   * Power cuts (docs/simulator.md §3): the machine's disk rolls back to its last sync, the process
   * dies, and the machine boots again on that disk; under `process` durability the OS writes every
   * disk back every WRITEBACK_MS meanwhile.
   */
  private schedulePowerLosses(poisson: (rate: number, action: () => void) => void): void {
    const { sim, members, protocol } = this;
    const rate = this.config.powerLossesPerSec ?? 0;
    if (rate <= 0 || protocol.diskAfterPowerLoss === undefined) return;
    const writeback = protocol.writeback;
    if (writeback !== undefined)
      sim.every(WRITEBACK_MS, this.context.measureEndMs, () => writeback(this.liveProcesses()));
    poisson(rate, () => {
      const victim = this.randomMember(sim.rng);
      if (victim === undefined || members.size <= 2) return;
      const node = sim.nodeByAddr(victim.self.addr);
      const running = node === undefined ? null : this.processOf(node.index);
      const disk = running === null ? null : (protocol.diskAfterPowerLoss?.(running) ?? null);
      if (node === undefined || disk === null) return;
      sim.crash(node.index);
      this.powerLosses++;
      this.lastFaultMs = Math.max(this.lastFaultMs, sim.nowMs + POWER_DOWN_MS.max);
      sim.after(sim.rng.uniform(POWER_DOWN_MS.min, POWER_DOWN_MS.max), () => {
        this.reboots.set(node.index, { disk, contact: this.randomMember(sim.rng)?.self ?? null });
        sim.restart(node.index);
      });
    });
  }

  private scheduleChurn(untilMs: number): void {
    const { sim, members, views } = this;
    const { joins, crashes, leaves } = this.config.churn;
    const poisson = (rate: number, action: () => void) => {
      if (rate <= 0) return;
      const next = () =>
        sim.after(sim.rng.exponential(1000 / rate), () => {
          if (sim.nowMs > untilMs) return;
          action();
          next();
        });
      next();
    };
    poisson(joins, () => this.addNode(this.randomMember(sim.rng)?.self ?? null));
    poisson(this.config.linkFlapsPerSec ?? 0, () => {
      const a = sim.rng.int(sim.nodes.length);
      const b = sim.rng.int(sim.nodes.length);
      if (a === b) return;
      sim.net.cut(a, b);
      sim.net.cut(b, a);
      this.lastFaultMs = Math.max(this.lastFaultMs, sim.nowMs + LINK_FLAP_MS);
      sim.after(LINK_FLAP_MS, () => {
        sim.net.restore(a, b);
        sim.net.restore(b, a);
      });
    });
    poisson(crashes, () => {
      const victim = this.randomMember(sim.rng);
      if (victim === undefined || members.size <= 2) return;
      const node = sim.nodeByAddr(victim.self.addr);
      if (node !== undefined) sim.crash(node.index);
      this.lastFaultMs = Math.max(this.lastFaultMs, sim.nowMs);
    });
    this.schedulePowerLosses(poisson);
    poisson(leaves, () => {
      const victim = this.randomMember(sim.rng);
      if (victim === undefined || members.size <= 2) return;
      const node = sim.nodeByAddr(victim.self.addr);
      const leaving = node === undefined ? null : views[node.index];
      if (node === undefined || leaving == null) return;
      leaving.leave();
      members.remove(leaving);
      this.lastFaultMs = Math.max(this.lastFaultMs, sim.nowMs);
      sim.after(1000, () => sim.exit(node.index));
    });
  }

  private scheduleLookups(untilMs: number): void {
    const { sim, lookups } = this;
    if (this.config.lookupsPerSec <= 0) return;
    sim.every(1000 / this.config.lookupsPerSec, untilMs, () => {
      const from = this.randomMember(sim.rng);
      const node = from === undefined ? undefined : sim.nodeByAddr(from.self.addr);
      const asker = node === undefined ? null : this.views[node.index];
      if (asker == null) return;
      const key = sim.ids.randomId(() => sim.rng.next());
      lookups.started++;
      this.measuredKeys.add(key);
      asker.lookup(key, (result: LookupResult) => {
        this.measuredKeys.delete(key);
        if (!result.ok) {
          lookups.failed++;
          return;
        }
        lookups.answered++;
        lookups.hops.push(result.hops);
      });
    });
  }

  // ---- nodes and members -----------------------------------------------------------------------

  private addNode(accessPoint: NodeRef | null): void {
    const { sim, views, protocol } = this;
    const index = sim.nodes.length;
    views.push(null);
    sim.addNode((env) => {
      const reboot = this.reboots.get(index);
      this.reboots.delete(index);
      const view =
        reboot === undefined
          ? protocol.create(env, sim.ids, accessPoint)
          : protocol.create(env, sim.ids, reboot.contact, reboot.disk);
      views[index] = view;
      return view;
    });
    this.lastFaultMs = Math.max(this.lastFaultMs, sim.nowMs);
  }

  private processOf(index: number): RingProcess<M, T> | null {
    return this.sim.isAlive(index) ? (this.views[index] ?? null) : null;
  }

  private liveCount(): number {
    return this.sim.nodes.reduce((n, node) => n + (node.alive && this.views[node.index] != null ? 1 : 0), 0);
  }

  private randomMember(rng: Prng): RingView | undefined {
    const all = this.members.views();
    return all.length === 0 ? undefined : all[rng.int(all.length)];
  }

  private buildRingOf(index: number): number {
    return index % this.buildRings;
  }

  /** A random member of the ring built apart that node `index` goes into. */
  private buildContact(index: number): NodeRef {
    const { sim } = this;
    const ring = this.buildRingOf(index);
    const all = this.members
      .views()
      .filter((v) => this.buildRingOf(sim.nodeByAddr(v.self.addr)?.index ?? -1) === ring);
    return all[sim.rng.int(Math.max(1, all.length))]?.self ?? sim.nodeAt(ring).ref;
  }

  // ---- figures ---------------------------------------------------------------------------------

  private ringMetrics(): RingMetrics {
    const { sim, members, protocol, lookups } = this;
    const hops = [...lookups.hops].sort((a, b) => a - b);
    const live = this.liveViews();
    const perfect = perfectRingProblem(live) === null;
    const shapeNow = ringShape(members.views());
    const shape =
      this.config.connectivity < 1 && this.shapeAtMeasureEnd !== null ? this.shapeAtMeasureEnd : shapeNow;
    const byType: Record<string, number> = {};
    let fdMessages = 0;
    for (const [type, { count }] of sim.stats.sentByType) {
      byType[type] = count;
      if (protocol.isFailureDetectorMessage(type)) fdMessages += count;
    }
    const measureMessages = sim.stats.sent - this.messagesAtMeasureStart;
    const routing = live.map((v) => v.routingTableSize());
    return {
      lookups: lookups.started,
      lookupFailures: lookups.failed,
      availability: lookups.started === 0 ? null : round(1 - lookups.failed / lookups.started, 4),
      inconsistentLookups: lookups.inconsistent,
      maxResponsiblePerKey: this.maxResponsiblePerKey,
      theorem3Overlaps: null,
      hopsMean: hops.length === 0 ? null : round(hops.reduce((a, b) => a + b, 0) / hops.length),
      hopsP50: percentile(hops, 0.5),
      hopsP99: percentile(hops, 0.99),
      routingTableMean:
        routing.length === 0 ? null : round(routing.reduce((a, b) => a + b, 0) / routing.length, 1),
      branches: shape.branches,
      branchSizeMean: shape.branchSizeMean === null ? null : round(shape.branchSizeMean),
      liveNodes: live.length,
      perfect,
      staleSuccLists: perfect ? staleSuccLists(members.views(), protocol.succListSize).length : null,
      i1Holds: i1Problem(members) === null,
      fingersLive: this.fingerCheck.fingersLive,
      fingerAccuracy: this.fingerCheck.fingerAccuracy,
      messages: sim.stats.sent,
      ringMessages: sim.stats.sent - fdMessages,
      messagesPerNodePerSec:
        this.measureLiveNodeSec === 0 ? null : round(measureMessages / this.measureLiveNodeSec),
      convergedAtSec:
        this.perfectSinceMs === null
          ? null
          : round(Math.max(0, this.perfectSinceMs - this.lastFaultMs) / 1000, 1),
      messagesByType: byType,
      powerLosses: this.powerLosses,
    };
  }
}
