// The partition-and-merge phase of `sim merge` (docs/ring-merge.md §8, docs/metrics.md §5), run on a built
// ring as a RingWorkload: split the nodes into R random groups for a while, check that each group became a
// perfect ring of its own, heal, and time the merge until the live nodes form one perfect ring; then count
// lookup failures in a window after it. With `split: "separate"` the R rings were built apart (they never
// knew each other): the phase checks them, and one node of ring 0 is told mergeWith(a member of ring r) for
// each other ring (the external kick-start, docs/ring-merge.md §2), which is when the clock starts; with
// `loopy` they are instead joined at their wraps into one loop (docs/ring-merge.md §5), which the loop check
// must find. `churnNodes` crashes or joins (half each, by the seed) spread over the first `churnWindowMs` of
// the merge; mergeTimeSec is the first perfect ring after the heal, and settledSec the first one at or after
// the last churn event (equal without churn). `messages` is every protocol message sent from the heal to the
// first perfect ring; `mergeMessages` the merge protocol's own among them: routed mlookup hops, trymerge, the
// gossip's mlookupAsk, and the passive list's pings and pongs (the fix, hint and fixOk they trigger are ring
// maintenance).
import type { RingId } from "../core/id-space.js";
import type { NodeRef } from "../core/node-ref.js";
import type { RingMessage, RingTimer } from "../overlay/messages.js";
import { RelaxedRingNode } from "../overlay/relaxed-ring-node.js";
import { perfectRingProblem, staleSuccLists, succCycleWindings } from "../overlay/ring-shape.js";
import type { LookupResult } from "../overlay/ring-view.js";
import type { Prng } from "./engine/prng.js";
import type { SimNode } from "./engine/simulator.js";
import { joinIntoLoop } from "./loopy-ring.js";
import type { RingRunContext, RingWorkload } from "./ring-harness.js";

export type MergeSplit = "partition" | "separate";

export interface MergePhaseConfig {
  readonly rings: number;
  /** One ring split by a partition, or rings built apart (the harness's buildRings). */
  readonly split: MergeSplit;
  readonly partitionMs: number;
  /**
   * Separate rings only: join them into one loopy ring (docs/ring-merge.md §5) instead of calling mergeWith.
   */
  readonly loopy: boolean;
  /** The successor-list length, for the successor lists the loop is given. */
  readonly succListSize: number;
  /** Nodes that crash or join during the merge (half each, chosen by the seed). */
  readonly churnNodes: number;
  /** The churn is spread uniformly over this long after the heal. */
  readonly churnWindowMs: number;
  /** The merge must finish within this after the heal. */
  readonly mergeWindowMs: number;
  /** Lookups are counted this long after the ring is perfect again (docs/metrics.md §5: 30 s). */
  readonly lookupWindowMs: number;
  readonly lookupsPerSec: number;
  /** γ, for mergeRounds = mergeTimeSec / γ. */
  readonly mergePeriodMs: number;
}

/** The merge phase's figures (docs/metrics.md §5). */
export type MergePhaseMetrics = {
  readonly splitPerfectRings: number;
  readonly splitProblem: string | null;
  readonly perfect: boolean;
  readonly mergeTimeSec: number | null;
  readonly mergeRounds: number | null;
  readonly settledSec: number | null;
  readonly ringUidSettledSec: number | null;
  /** Every protocol message from the heal to the first perfect ring (null when it never formed). */
  readonly messages: number | null;
  readonly mergeMessages: number;
  readonly lookupsAfter: number;
  readonly lookupFailuresAfter: number;
  readonly inconsistentLookupsAfter: number;
  readonly windingsAtHeal: number | null;
  readonly windingsAtEnd: number | null;
  readonly staleSuccListsAtEnd: number;
  readonly churnCrashes: number;
  readonly churnJoins: number;
};

/** How often the perfect-ring checker looks, once the partition has healed. */
const PERFECT_CHECK_MS = 100;
/** Draws for a churn crash that hit a spared node, before the event is skipped. */
const CHURN_VICTIM_ATTEMPTS = 10;

type MergeContext = RingRunContext<RingMessage, RingTimer>;

interface MergeFigures {
  splitPerfectRings: number;
  splitProblem: string | null;
  healAtMs: number | null;
  /** The first time the live nodes formed one perfect ring after the heal (mergeTimeSec). */
  perfectAtMs: number | null;
  /** The first such time at or after the last churn event (the lookup window starts there). */
  settledAtMs: number | null;
  uidSettledAtMs: number | null;
  mergeMessages: number;
  messagesAtHeal: number;
  messagesAtPerfect: number | null;
  lookups: number;
  lookupFailures: number;
  inconsistentLookups: number;
  /** Keys of the lookups after the merge that are still in flight. */
  lookupKeys: Set<RingId>;
  /**
   * Windings of the successor cycle through the smallest id, just after the kick-start: 1 for rings
   * apart or one ring, R for a loop of R rings; null when that node's successors lead into a branch.
   */
  windingsAtHeal: number | null;
  crashes: number;
  joins: number;
  lastChurnAtMs: number | null;
  /**
   * The kick-start's nodes (rings built apart): until the first perfect ring, the churn crashes
   * others. Each other ring is known through one contact only, so its crash would leave nothing to
   * merge with, which no algorithm can mend (an operator would name another contact).
   */
  kickStartNodes: Set<number>;
}

/** The whole phase takes this long from the start of measure. */
export function mergePhaseMs(config: MergePhaseConfig): number {
  return config.partitionMs + config.mergeWindowMs + config.lookupWindowMs;
}

export function mergeWorkload(
  config: MergePhaseConfig,
): RingWorkload<RingMessage, RingTimer, MergePhaseMetrics> {
  return new MergePhase(config);
}

/**
 * The phase, one method per step: start (split, or check the rings built apart and kick-start),
 * healed (the clock starts: churn and the watch), the observers (merge messages, lookups after the
 * merge), and the final figures (metrics).
 */
class MergePhase implements RingWorkload<RingMessage, RingTimer, MergePhaseMetrics> {
  private readonly config: MergePhaseConfig;
  private readonly figures: MergeFigures = {
    splitPerfectRings: 0,
    splitProblem: null,
    healAtMs: null,
    perfectAtMs: null,
    settledAtMs: null,
    uidSettledAtMs: null,
    mergeMessages: 0,
    messagesAtHeal: 0,
    messagesAtPerfect: null,
    lookups: 0,
    lookupFailures: 0,
    inconsistentLookups: 0,
    lookupKeys: new Set(),
    windingsAtHeal: null,
    crashes: 0,
    joins: 0,
    lastChurnAtMs: null,
    kickStartNodes: new Set(),
  };

  constructor(config: MergePhaseConfig) {
    this.config = config;
  }

  start(context: MergeContext): void {
    if (this.config.split === "partition") this.startPartition(context);
    else this.kickStart(context);
  }

  /**
   * Rings built apart: check each, then one node of ring 0 learns of a member of every other ring — or,
   * with `loopy`, the rings are joined into one loop at their wraps.
   */
  private kickStart(context: MergeContext): void {
    const { sim } = context;
    const groups: number[][] = Array.from({ length: this.config.rings }, () => []);
    for (const node of sim.liveNodes()) groups[context.buildRingOf(node.index)]?.push(node.index);
    this.checkSplit(context, groups);
    this.observeMerge(context);
    if (this.config.loopy) {
      joinIntoLoop(
        groups.map((g) => ringNodesOf(context, g)),
        this.config.succListSize,
      );
    } else {
      const starter = sim.rng.pick(groups[0] ?? []);
      this.figures.kickStartNodes.add(starter);
      for (const group of groups.slice(1)) {
        const contactIndex = sim.rng.pick(group);
        const contact = context.processOf(contactIndex);
        this.figures.kickStartNodes.add(contactIndex);
        if (contact !== null) context.processOf(starter)?.mergeWith?.(contact.self);
      }
    }
    this.figures.windingsAtHeal = succCycleWindings(context.members.views());
    this.healed(context);
  }

  /** The clock starts: churn (if asked) during the merge, and the watch for one perfect ring. */
  private healed(context: MergeContext): void {
    const { sim } = context;
    this.figures.healAtMs = sim.nowMs;
    this.figures.messagesAtHeal = sim.stats.sent;
    this.scheduleChurn(context);
    this.watchMerge(context);
  }

  /**
   * `churnNodes` events at uniform random times in the churn window: each crashes a random member or
   * starts a node that joins through one, with probability ½ each.
   */
  private scheduleChurn(context: MergeContext): void {
    const { sim } = context;
    const rng = sim.rng.split("merge-churn");
    for (let i = 0; i < this.config.churnNodes; i++) {
      const atMs = sim.nowMs + rng.next() * this.config.churnWindowMs;
      const crash = rng.next() < 0.5;
      this.figures.lastChurnAtMs = Math.max(this.figures.lastChurnAtMs ?? atMs, atMs);
      sim.at(atMs, () => {
        if (!crash) {
          context.addNode();
          this.figures.joins++;
          return;
        }
        const node = this.churnVictim(context, rng);
        if (node === undefined || context.members.size <= 2) return;
        sim.crash(node.index);
        this.figures.crashes++;
      });
    }
  }

  /** A random member to crash, other than the kick-start's nodes before the first perfect ring. */
  private churnVictim(context: MergeContext, rng: Prng): SimNode<RingMessage, RingTimer> | undefined {
    const spared = this.figures.perfectAtMs === null ? this.figures.kickStartNodes : new Set<number>();
    for (let attempt = 0; attempt < CHURN_VICTIM_ATTEMPTS; attempt++) {
      const victim = context.randomMember(rng);
      const node = victim === undefined ? undefined : context.sim.nodeByAddr(victim.self.addr);
      if (node === undefined || !spared.has(node.index)) return node;
    }
    return undefined;
  }

  private startPartition(context: MergeContext): void {
    const { sim } = context;
    const groups = randomGroups(context, this.config.rings);
    sim.partition(groups);
    this.observeMerge(context);
    sim.at(sim.nowMs + this.config.partitionMs, () => {
      this.checkSplit(context, groups);
      sim.heal();
      this.figures.mergeMessages = 0;
      this.healed(context);
    });
  }

  /** Just before the heal, each group must be a perfect ring of its own (else the run says why). */
  private checkSplit(context: MergeContext, groups: readonly number[][]): void {
    for (const [g, group] of groups.entries()) {
      const problem = perfectRingProblem(context.viewsOf(group));
      if (problem === null) this.figures.splitPerfectRings++;
      else this.figures.splitProblem ??= `group ${g}: ${problem}`;
    }
  }

  /**
   * Counts the merge protocol's messages until the ring is perfect, and the lookups of the window after
   * it whose answer did not come from the one member responsible for the key (docs/metrics.md §3; the
   * nodes' own lookups, such as loop checks, are not judged).
   */
  private observeMerge(context: MergeContext): void {
    const { members } = context;
    context.sim.observe({
      onSend: (_from, _to, msg) => {
        if (this.figures.perfectAtMs === null && isMergeMessage(msg)) this.figures.mergeMessages++;
      },
      onEmit: (_node, event) => {
        if (event.type !== "lookup-answer" || !this.figures.lookupKeys.has(event.key as RingId)) return;
        if (!members.isSoleOwner(event.key as RingId, event.responsible as NodeRef))
          this.figures.inconsistentLookups++;
      },
    });
  }

  private watchMerge(context: MergeContext): void {
    const { sim, members } = context;
    const deadlineMs = sim.nowMs + this.config.mergeWindowMs;
    sim.every(PERFECT_CHECK_MS, deadlineMs + this.config.lookupWindowMs, () => {
      if (this.figures.uidSettledAtMs === null && oneRingUid(context))
        this.figures.uidSettledAtMs = sim.nowMs;
      if (this.figures.settledAtMs !== null || sim.nowMs > deadlineMs) return;
      const live = sim.liveNodes().length;
      if (members.size !== live || perfectRingProblem(members.views(), true) !== null) return;
      if (this.figures.perfectAtMs === null) {
        this.figures.perfectAtMs = sim.nowMs;
        this.figures.messagesAtPerfect = sim.stats.sent;
      }
      if (this.figures.lastChurnAtMs !== null && sim.nowMs < this.figures.lastChurnAtMs) return;
      this.figures.settledAtMs = sim.nowMs;
      this.lookupsAfterMerge(context);
    });
  }

  private lookupsAfterMerge(context: MergeContext): void {
    const { sim } = context;
    if (this.config.lookupsPerSec <= 0) return;
    sim.every(1000 / this.config.lookupsPerSec, sim.nowMs + this.config.lookupWindowMs, () => {
      const from = context.randomMember(sim.rng);
      const node = from === undefined ? undefined : sim.nodeByAddr(from.self.addr);
      const asker = node === undefined ? null : context.processOf(node.index);
      if (asker === null) return;
      this.figures.lookups++;
      const key = sim.ids.randomId(() => sim.rng.next());
      this.figures.lookupKeys.add(key);
      asker.lookup(key, (result: LookupResult) => {
        this.figures.lookupKeys.delete(key);
        if (!result.ok) this.figures.lookupFailures++;
      });
    });
  }

  metrics(context: MergeContext): MergePhaseMetrics {
    const heal = this.figures.healAtMs;
    const mergeMs =
      heal === null || this.figures.perfectAtMs === null ? null : this.figures.perfectAtMs - heal;
    const settledMs =
      heal === null || this.figures.settledAtMs === null ? null : this.figures.settledAtMs - heal;
    const live = context.members.views();
    return {
      splitPerfectRings: this.figures.splitPerfectRings,
      splitProblem: this.figures.splitProblem,
      perfect: perfectRingProblem(live, true) === null && live.length === context.sim.liveNodes().length,
      mergeTimeSec: mergeMs === null ? null : seconds(mergeMs),
      mergeRounds: mergeMs === null ? null : Number((mergeMs / this.config.mergePeriodMs).toFixed(1)),
      settledSec: settledMs === null ? null : seconds(settledMs),
      ringUidSettledSec:
        heal === null || this.figures.uidSettledAtMs === null
          ? null
          : seconds(this.figures.uidSettledAtMs - heal),
      messages:
        this.figures.messagesAtPerfect === null
          ? null
          : this.figures.messagesAtPerfect - this.figures.messagesAtHeal,
      mergeMessages: this.figures.mergeMessages,
      lookupsAfter: this.figures.lookups,
      lookupFailuresAfter: this.figures.lookupFailures,
      inconsistentLookupsAfter: this.figures.inconsistentLookups,
      windingsAtHeal: this.figures.windingsAtHeal,
      windingsAtEnd: succCycleWindings(live),
      staleSuccListsAtEnd: staleSuccLists(live, this.config.succListSize).length,
      churnCrashes: this.figures.crashes,
      churnJoins: this.figures.joins,
    };
  }
}

/** The relaxed-ring nodes among these indices (a loop is built from their state). */
function ringNodesOf(context: MergeContext, indices: readonly number[]): RelaxedRingNode[] {
  return context.viewsOf(indices).map((v) => {
    if (!(v instanceof RelaxedRingNode)) throw new TypeError("--loopy needs relaxed-ring nodes");
    return v;
  });
}

/** The live nodes, shuffled by the seed and dealt into `rings` groups of (nearly) equal size. */
function randomGroups(context: MergeContext, rings: number): number[][] {
  const { sim } = context;
  const live = sim.rng.shuffle(sim.liveNodes().map((n) => n.index));
  const groups: number[][] = Array.from({ length: rings }, () => []);
  for (const [i, index] of live.entries()) groups[i % rings]?.push(index);
  return groups;
}

function isMergeMessage(msg: RingMessage): boolean {
  if (msg.type === "route") return msg.payload.kind === "mlookup";
  return (
    msg.type === "trymerge" ||
    msg.type === "mlookupAsk" ||
    msg.type === "passivePing" ||
    msg.type === "passivePong"
  );
}

function oneRingUid(context: MergeContext): boolean {
  let uid: number | null = null;
  for (const view of context.members.views()) {
    const mine = view.ringRef?.uid ?? null;
    if (uid === null) uid = mine;
    else if (mine !== uid) return false;
  }
  return true;
}

const seconds = (ms: number) => Number((ms / 1000).toFixed(1));
