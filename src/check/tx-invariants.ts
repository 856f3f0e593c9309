// Continuous checks of Paxos Commit (docs/transactions.md §5, §7, §9; docs/simulator.md §5), over
// what the simulator can see: every message that carries a decision, what clients are told, and the
// locks every replica holds. Pure bookkeeping; the simulator decides when to call them.
// Do not weaken a rule to make a run pass: each is a promise of the protocol, not a tuning knob.
import type { NodeRef } from "../core/node-ref.js";
import type { StoredItem } from "../store/item.js";
import { majorityOf } from "../tx/tx-config.js";

/** Named as the violation a run reports. */
export const ONE_DECISION = "tx: one decision per transaction";
export const LOCKS_RELEASED = "tx: locks released after the decision";

interface Decision {
  readonly commit: boolean;
  readonly atMs: number;
  readonly by: string;
}

/**
 * A transaction's decision, once any node knows it, is the same wherever it is known and never
 * changes (docs/transactions.md §7): every `final` and `decided` a node sends, and the outcome its
 * client hears, must name the decision first seen.
 */
export class TxDecisions {
  private readonly decisions = new Map<string, Decision>();

  /** `by` names who claims it (for the message); a message when it contradicts the first decision. */
  record(tid: string, commit: boolean, atMs: number, by: string): string | null {
    const first = this.decisions.get(tid);
    if (first === undefined) {
      this.decisions.set(tid, { commit, atMs, by });
      return null;
    }
    if (first.commit === commit) return null;
    const name = (c: boolean) => (c ? "commit" : "abort");
    return `${tid}: ${first.by} said ${name(first.commit)} at ${first.atMs} ms, ${by} says ${name(commit)}`;
  }

  /** When the decision was first seen, or undefined while none is known. */
  decidedAt(tid: string): number | undefined {
    return this.decisions.get(tid)?.atMs;
  }
}

/** What the lock check needs to know of the world. */
export interface LockWorld {
  readonly nowMs: number;
  /** Since when the network is whole (no partition): a lock cannot be released across a partition. */
  readonly wholeSinceMs: number;
  /** Whether this incarnation of a node is alive (a transaction's acceptors answer lock holders). */
  isAlive(ref: NodeRef): boolean;
  /** Whether this live incarnation knows how transaction `tid` ended (it answers an ask with `final`). */
  knowsOutcome(ref: NodeRef, tid: string): boolean;
}

/**
 * A replica's owner holds no lock of a transaction decided more than `boundMs` ago while its outcome can still
 * be found: the decider sends `final` until it is applied (docs/transactions.md §5, C8), and an owner that
 * still holds an old lock asks the transaction's acceptors (docs/transactions.md §8, L1), which answer with the
 * outcome if one of them knows it, or lead a ballot that finds it again if a majority of them is alive (K5).
 * So a lock is judged only while a majority of its acceptors is alive or a live one knows the outcome: with a
 * majority gone and no survivor told, nobody can tell the outcome, and the lock stays by design
 * (docs/transactions.md §11). It is judged only from the time the network is whole again.
 */
export function lockHeldTooLong(
  decisions: TxDecisions,
  world: LockWorld,
  boundMs: number,
  node: number,
  items: readonly StoredItem[],
): string | null {
  for (const item of items) {
    for (const lock of item.locks) {
      const decidedAt = decisions.decidedAt(lock.tid);
      if (decidedAt === undefined) continue;
      const heldMs = world.nowMs - Math.max(decidedAt, world.wholeSinceMs);
      if (heldMs <= boundMs || !outcomeFindable(world, lock.tid, lock.acceptors)) continue;
      return `node ${node} holds a ${lock.kind} lock of ${lock.tid} on ${JSON.stringify(item.key)} (replica ${item.replicaId}), decided at ${decidedAt} ms`;
    }
  }
  return null;
}

/** A majority of the acceptors alive, or a live one that knows the outcome. */
function outcomeFindable(world: LockWorld, tid: string, acceptors: readonly NodeRef[]): boolean {
  const alive = acceptors.filter((a) => world.isAlive(a));
  return alive.length >= majorityOf(acceptors.length) || alive.some((a) => world.knowsOutcome(a, tid));
}
