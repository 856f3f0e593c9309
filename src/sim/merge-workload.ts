// The partition-and-merge phase of `sim merge` (algorithms.md §5, METRICS.md §5), run on a built ring
// as a RingWorkload: split the nodes into R random groups for a while, check that each group became
// a perfect ring of its own, heal, and time the merge until the live nodes form one perfect ring;
// then count lookup failures in a window after it. With `split: "separate"` the R rings were built
// apart (they never knew each other): the phase checks them, and one node of ring 0 is told
// mergeWith(a member of ring r) for each other ring (§5.2's external kick-start), which is when the
// clock starts; with `loopy` they are instead joined at their wraps into one loop (§5.5), which the
// loop check must find. `churnNodes` crashes or joins (half each, by the seed) spread over the
// first `churnWindowMs` of the merge; mergeTimeSec is the first perfect ring after the heal, and
// settledSec the first one at or after the last churn event (equal without churn). `messages` is
// every protocol message sent from the heal to the first perfect ring; `mergeMessages` the merge
// protocol's own among them: routed mlookup hops, trymerge, the gossip's mlookupAsk, and the
// passive list's pings and pongs (the fix, hint and fixOk they trigger are ring maintenance).
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
  /** Separate rings only: join them into one loopy ring (§5.5) instead of calling mergeWith. */
  readonly loopy: boolean;
  /** The successor-list length, for the successor lists the loop is given. */
  readonly succListSize: number;
  /** Nodes that crash or join during the merge (half each, chosen by the seed). */
  readonly churnNodes: number;
  /** The churn is spread uniformly over this long after the heal. */
  readonly churnWindowMs: number;
  /** The merge must finish within this after the heal. */
  readonly mergeWindowMs: number;
  /** Lookups are counted this long after the ring is perfect again (METRICS.md §5: 30 s). */
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
  const figures: MergeFigures = {
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
  return {
    start: (context) => startPhase(context, config, figures),
    metrics: (context) => mergeMetrics(context, config, figures),
  };
}

function startPhase(context: MergeContext, config: MergePhaseConfig, figures: MergeFigures): void {
  if (config.split === "partition") startPartition(context, config, figures);
  else kickStart(context, config, figures);
}

/**
 * Rings built apart: check each, then one node of ring 0 learns of a member of every other ring — or,
 * with `loopy`, the rings are joined into one loop at their wraps.
 */
function kickStart(context: MergeContext, config: MergePhaseConfig, figures: MergeFigures): void {
  const { sim } = context;
  const groups: number[][] = Array.from({ length: config.rings }, () => []);
  for (const node of sim.liveNodes()) groups[context.buildRingOf(node.index)]?.push(node.index);
  checkSplit(context, groups, figures);
  observeMerge(context, figures);
  if (config.loopy) {
    joinIntoLoop(
      groups.map((g) => ringNodesOf(context, g)),
      config.succListSize,
    );
  } else {
    const starter = sim.rng.pick(groups[0] ?? []);
    figures.kickStartNodes.add(starter);
    for (const group of groups.slice(1)) {
      const contactIndex = sim.rng.pick(group);
      const contact = context.processOf(contactIndex);
      figures.kickStartNodes.add(contactIndex);
      if (contact !== null) context.processOf(starter)?.mergeWith?.(contact.self);
    }
  }
  figures.windingsAtHeal = succCycleWindings(context.members.views());
  healed(context, config, figures);
}

/** The relaxed-ring nodes among these indices (a loop is built from their state). */
function ringNodesOf(context: MergeContext, indices: readonly number[]): RelaxedRingNode[] {
  return context.viewsOf(indices).map((v) => {
    if (!(v instanceof RelaxedRingNode)) throw new TypeError("--loopy needs relaxed-ring nodes");
    return v;
  });
}

/** The clock starts: churn (if asked) during the merge, and the watch for one perfect ring. */
function healed(context: MergeContext, config: MergePhaseConfig, figures: MergeFigures): void {
  const { sim } = context;
  figures.healAtMs = sim.nowMs;
  figures.messagesAtHeal = sim.stats.sent;
  scheduleChurn(context, config, figures);
  watchMerge(context, config, figures);
}

/**
 * `churnNodes` events at uniform random times in the churn window: each crashes a random member or
 * starts a node that joins through one, with probability ½ each.
 */
function scheduleChurn(context: MergeContext, config: MergePhaseConfig, figures: MergeFigures): void {
  const { sim } = context;
  const rng = sim.rng.split("merge-churn");
  for (let i = 0; i < config.churnNodes; i++) {
    const atMs = sim.nowMs + rng.next() * config.churnWindowMs;
    const crash = rng.next() < 0.5;
    figures.lastChurnAtMs = Math.max(figures.lastChurnAtMs ?? atMs, atMs);
    sim.at(atMs, () => {
      if (!crash) {
        context.addNode();
        figures.joins++;
        return;
      }
      const node = churnVictim(context, rng, figures);
      if (node === undefined || context.members.size <= 2) return;
      sim.crash(node.index);
      figures.crashes++;
    });
  }
}

/** A random member to crash, other than the kick-start's nodes before the first perfect ring. */
function churnVictim(
  context: MergeContext,
  rng: Prng,
  figures: MergeFigures,
): SimNode<RingMessage, RingTimer> | undefined {
  const spared = figures.perfectAtMs === null ? figures.kickStartNodes : new Set<number>();
  for (let attempt = 0; attempt < CHURN_VICTIM_ATTEMPTS; attempt++) {
    const victim = context.randomMember(rng);
    const node = victim === undefined ? undefined : context.sim.nodeByAddr(victim.self.addr);
    if (node === undefined || !spared.has(node.index)) return node;
  }
  return undefined;
}

function startPartition(context: MergeContext, config: MergePhaseConfig, figures: MergeFigures): void {
  const { sim } = context;
  const groups = randomGroups(context, config.rings);
  sim.partition(groups);
  observeMerge(context, figures);
  sim.at(sim.nowMs + config.partitionMs, () => {
    checkSplit(context, groups, figures);
    sim.heal();
    figures.mergeMessages = 0;
    healed(context, config, figures);
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

/** Just before the heal, each group must be a perfect ring of its own (else the run says why). */
function checkSplit(context: MergeContext, groups: readonly number[][], figures: MergeFigures): void {
  for (const [g, group] of groups.entries()) {
    const problem = perfectRingProblem(context.viewsOf(group));
    if (problem === null) figures.splitPerfectRings++;
    else figures.splitProblem ??= `group ${g}: ${problem}`;
  }
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

/**
 * Counts the merge protocol's messages until the ring is perfect, and the lookups of the window after
 * it whose answer did not come from the one member responsible for the key (METRICS.md §3; the
 * nodes' own lookups, such as loop checks, are not judged).
 */
function observeMerge(context: MergeContext, figures: MergeFigures): void {
  const { members } = context;
  context.sim.observe({
    onSend(_from, _to, msg) {
      if (figures.perfectAtMs === null && isMergeMessage(msg)) figures.mergeMessages++;
    },
    onEmit(_node, event) {
      if (event.type !== "lookup-answer" || !figures.lookupKeys.has(event.key as RingId)) return;
      if (!members.isSoleOwner(event.key as RingId, event.responsible as NodeRef))
        figures.inconsistentLookups++;
    },
  });
}

function watchMerge(context: MergeContext, config: MergePhaseConfig, figures: MergeFigures): void {
  const { sim, members } = context;
  const deadlineMs = sim.nowMs + config.mergeWindowMs;
  sim.every(PERFECT_CHECK_MS, deadlineMs + config.lookupWindowMs, () => {
    if (figures.uidSettledAtMs === null && oneRingUid(context)) figures.uidSettledAtMs = sim.nowMs;
    if (figures.settledAtMs !== null || sim.nowMs > deadlineMs) return;
    const live = sim.liveNodes().length;
    if (members.size !== live || perfectRingProblem(members.views(), true) !== null) return;
    if (figures.perfectAtMs === null) {
      figures.perfectAtMs = sim.nowMs;
      figures.messagesAtPerfect = sim.stats.sent;
    }
    if (figures.lastChurnAtMs !== null && sim.nowMs < figures.lastChurnAtMs) return;
    figures.settledAtMs = sim.nowMs;
    lookupsAfterMerge(context, config, figures);
  });
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

function lookupsAfterMerge(context: MergeContext, config: MergePhaseConfig, figures: MergeFigures): void {
  const { sim } = context;
  if (config.lookupsPerSec <= 0) return;
  sim.every(1000 / config.lookupsPerSec, sim.nowMs + config.lookupWindowMs, () => {
    const from = context.randomMember(sim.rng);
    const node = from === undefined ? undefined : sim.nodeByAddr(from.self.addr);
    const process = node === undefined ? null : context.processOf(node.index);
    if (process === null) return;
    figures.lookups++;
    const key = sim.ids.randomId(() => sim.rng.next());
    figures.lookupKeys.add(key);
    process.lookup(key, (result: LookupResult) => {
      figures.lookupKeys.delete(key);
      if (!result.ok) figures.lookupFailures++;
    });
  });
}

const seconds = (ms: number) => Number((ms / 1000).toFixed(1));

function mergeMetrics(
  context: MergeContext,
  config: MergePhaseConfig,
  figures: MergeFigures,
): MergePhaseMetrics {
  const heal = figures.healAtMs;
  const mergeMs = heal === null || figures.perfectAtMs === null ? null : figures.perfectAtMs - heal;
  const settledMs = heal === null || figures.settledAtMs === null ? null : figures.settledAtMs - heal;
  const live = context.members.views();
  return {
    splitPerfectRings: figures.splitPerfectRings,
    splitProblem: figures.splitProblem,
    perfect: perfectRingProblem(live, true) === null && live.length === context.sim.liveNodes().length,
    mergeTimeSec: mergeMs === null ? null : seconds(mergeMs),
    mergeRounds: mergeMs === null ? null : Number((mergeMs / config.mergePeriodMs).toFixed(1)),
    settledSec: settledMs === null ? null : seconds(settledMs),
    ringUidSettledSec:
      heal === null || figures.uidSettledAtMs === null ? null : seconds(figures.uidSettledAtMs - heal),
    messages: figures.messagesAtPerfect === null ? null : figures.messagesAtPerfect - figures.messagesAtHeal,
    mergeMessages: figures.mergeMessages,
    lookupsAfter: figures.lookups,
    lookupFailuresAfter: figures.lookupFailures,
    inconsistentLookupsAfter: figures.inconsistentLookups,
    windingsAtHeal: figures.windingsAtHeal,
    windingsAtEnd: succCycleWindings(live),
    staleSuccListsAtEnd: staleSuccLists(live, config.succListSize).length,
    churnCrashes: figures.crashes,
    churnJoins: figures.joins,
  };
}
