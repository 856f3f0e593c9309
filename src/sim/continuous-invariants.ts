// The store's and the transactions' invariants, checked while a kv or tx run goes on rather than only
// at its end (docs/simulator.md §5): what src/check/store-invariants.ts and tx-invariants.ts state,
// fed from the simulator's global view. A broken one stops the run with its name, its time and the
// replay command. The checks only read state: they draw no random number and change nothing, so
// installing them leaves every trace as it was.
import {
  type AnsweredState,
  ONE_STATE_PER_VERSION,
  ONE_WRITE_PER_ROUND,
  OneStatePerVersion,
  ReplicaMonotonicity,
  ROUNDS_NEVER_BACK,
} from "../check/store-invariants.js";
import { LOCKS_RELEASED, lockHeldTooLong, ONE_DECISION, TxDecisions } from "../check/tx-invariants.js";
import type { NodeRef } from "../core/node-ref.js";
import type { NodeMessage, NodeTimer, SelfmanNode } from "../node/selfman-node.js";
import type { StoredItem } from "../store/item.js";
import type { RingRunContext } from "./ring-harness.js";

type Ctx = RingRunContext<NodeMessage, NodeTimer>;

/** How often the periodic checks look. */
const CHECK_EVERY_MS = 1000;

/** Every replica a running node holds ((0, 0] is the whole ring), or none while it is down. */
function itemsOf(ctx: Ctx, index: number): readonly StoredItem[] {
  const node = ctx.processOf(index) as SelfmanNode | null;
  return node === null ? [] : node.port.range(0n, 0n);
}

/** The first problem a check reported; the invariant reads it after every handler. */
class Finding {
  problem: string | null = null;

  note(problem: string | null): void {
    this.problem ??= problem;
  }
}

/**
 * ROUNDS_NEVER_BACK and ONE_WRITE_PER_ROUND after every event, for the node that handled it (only its
 * replicas can have changed), so a replica dropped and taken again between two checks is never
 * mistaken for one held.
 */
export function watchReplicas(ctx: Ctx): void {
  const { sim } = ctx;
  const history = new ReplicaMonotonicity();
  const rounds = new Finding();
  const writes = new Finding();
  let handling = -1;
  sim.observe({
    onDeliver: (_from, to) => {
      handling = to.index;
    },
    onTimer: (node) => {
      handling = node.index;
    },
    onCrash: (node) => history.forget(node.index),
    afterEvent: () => {
      if (handling < 0) return;
      const problem = history.check(handling, itemsOf(ctx, handling));
      if (problem !== null) (problem[0] === ROUNDS_NEVER_BACK ? rounds : writes).note(problem[1]);
      handling = -1;
    },
  });
  sim.addInvariant(ROUNDS_NEVER_BACK, () => rounds.problem);
  sim.addInvariant(ONE_WRITE_PER_ROUND, () => writes.problem);
}

/** ONE_STATE_PER_VERSION: the kv workload reports each successful answer here. */
export function watchAnswers(ctx: Ctx): (key: string, state: AnsweredState) => void {
  const states = new OneStatePerVersion();
  const finding = new Finding();
  ctx.sim.addInvariant(ONE_STATE_PER_VERSION, () => finding.problem);
  // Answers arrive in handlers (a delivery or a timer of the proposer), so the check after it sees them.
  return (key, state) => finding.note(states.record(key, state));
}

export interface TxWatch {
  /** The outcome a client heard. */
  outcome(tid: string, committed: boolean): void;
}

/**
 * ONE_DECISION on every `txFinal` and `txDecided` sent and every outcome a client hears; and, once a
 * second, LOCKS_RELEASED over the replicas each live member owns.
 */
export function watchTransactions(ctx: Ctx, lockBoundMs: number): TxWatch {
  const { sim } = ctx;
  const decisions = new TxDecisions();
  const finding = new Finding();
  sim.observe({
    onSend: (from, _to, msg) => {
      if (msg.type === "txFinal" || msg.type === "txDecided")
        finding.note(decisions.record(msg.tid, msg.commit, sim.nowMs, `node ${from.index} (${msg.type})`));
    },
  });
  sim.addInvariant(ONE_DECISION, () => finding.problem);
  let wholeSinceMs = 0;
  const world = {
    get nowMs() {
      return sim.nowMs;
    },
    get wholeSinceMs() {
      return wholeSinceMs;
    },
    isAlive: (ref: NodeRef) => {
      const node = sim.nodeByAddr(ref.addr);
      return node?.alive === true && node.ref.nonce === ref.nonce;
    },
    knowsOutcome: (ref: NodeRef, tid: string) => {
      const node = sim.nodeByAddr(ref.addr);
      if (node === undefined || !node.alive || node.ref.nonce !== ref.nonce) return false;
      const running = ctx.processOf(node.index) as SelfmanNode | null;
      return running !== null && running.tm.outcomeOf(tid) !== null;
    },
  };
  sim.addInvariant(
    LOCKS_RELEASED,
    () => {
      if (sim.net.partitioned) wholeSinceMs = sim.nowMs;
      for (const node of sim.nodes) {
        const running = ctx.processOf(node.index) as SelfmanNode | null;
        if (running === null) continue;
        const owned = running.port.range(0n, 0n).filter((item) => running.ring.owns(item.replicaId));
        const problem = lockHeldTooLong(decisions, world, lockBoundMs, node.index, owned);
        if (problem !== null) return problem;
      }
      return null;
    },
    { everyMs: CHECK_EVERY_MS, untilMs: ctx.endMs },
  );
  return {
    outcome: (tid, committed) => finding.note(decisions.record(tid, committed, sim.nowMs, "its client")),
  };
}
