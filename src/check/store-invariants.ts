// Continuous checks of the replicated store (docs/register.md §1, docs/simulator.md §5), over data the
// simulator can see: every replica a node holds, and every answer a client gets. Pure bookkeeping: the
// simulator decides when to call them (after each event of a node, on each answer).
// Do not weaken a rule to make a run pass: each is a promise of the register, not a tuning knob.
import { compareRounds, type Round, type StoredItem, type Value } from "../store/item.js";

/** Named as the violations a run reports. */
export const ROUNDS_NEVER_BACK = "replica: rounds never go back";
export const ONE_WRITE_PER_ROUND = "replica: one write per round";
export const ONE_STATE_PER_VERSION = "kv: one state per version";

const showRound = (r: Round) => `${r.counter}.${r.proposer}`;

/**
 * While a node holds a replica of a key, its promise (readRound) and the round of the write it holds
 * (writeRound) never decrease — a promise once given is kept, and a replica never takes a write of a
 * lower round over a higher one (ROUNDS_NEVER_BACK) — and the write it holds changes only together
 * with a higher writeRound: a round writes one state (ONE_WRITE_PER_ROUND). The version alone may go
 * back: a read that finds a newer write on a minority writes the older, chosen one back over it at a
 * higher round (docs/register.md §1–§3; hand-over and repair merge by writeRound). A replica the node
 * stops holding is forgotten: holding it again starts afresh.
 */
export class ReplicaMonotonicity {
  /** Per node: the replicas it held at its last check, by `replicaId/key`. */
  private readonly held = new Map<number, Map<string, StoredItem>>();

  /**
   * Compares `items`, all the replicas `node` holds now, with what it held at its last check: the
   * first broken rule, as [rule, message], or null.
   */
  check(node: number, items: readonly StoredItem[]): readonly [string, string] | null {
    const before = this.held.get(node);
    const now = new Map<string, StoredItem>();
    let problem: readonly [string, string] | null = null;
    for (const item of items) {
      const slot = `${item.replicaId}/${item.key}`;
      now.set(slot, item);
      const was = before?.get(slot);
      if (was === undefined || was === item || problem !== null) continue;
      problem = regression(node, was, item);
    }
    this.held.set(node, now);
    return problem;
  }

  /** The node crashed: what it held is gone with it. */
  forget(node: number): void {
    this.held.delete(node);
  }
}

function regression(node: number, was: StoredItem, now: StoredItem): readonly [string, string] | null {
  const where = `node ${node}, key ${JSON.stringify(now.key)} replica ${now.replicaId}`;
  if (compareRounds(now.readRound, was.readRound) < 0)
    return [
      ROUNDS_NEVER_BACK,
      `${where}: promise (readRound) ${showRound(was.readRound)} -> ${showRound(now.readRound)}`,
    ];
  const byRound = compareRounds(now.writeRound, was.writeRound);
  if (byRound < 0)
    return [
      ROUNDS_NEVER_BACK,
      `${where}: writeRound ${showRound(was.writeRound)} -> ${showRound(now.writeRound)}`,
    ];
  const sameWrite =
    now.version === was.version &&
    now.tombstone === was.tombstone &&
    (now.value === was.value || JSON.stringify(now.value) === JSON.stringify(was.value));
  if (byRound === 0 && !sameWrite)
    return [
      ONE_WRITE_PER_ROUND,
      `${where}: at writeRound ${showRound(now.writeRound)}, version ${was.version} -> ${now.version}`,
    ];
  return null;
}

/** A key's state as an answer reports it. */
export interface AnsweredState {
  readonly version: number;
  readonly found: boolean;
  readonly value: Value;
}

/**
 * Every successful answer reports the key's state at some version (docs/register.md §2–§3): the state
 * after a write, or the state a read or a refused cas saw. A version is written once, by the write
 * that won it, so two answers that name the same version of a key must report the same state.
 */
export class OneStatePerVersion {
  private readonly states = new Map<string, Map<number, { state: AnsweredState; text: string }>>();

  /** Records an answer about `key`; a message when it contradicts an earlier answer. */
  record(key: string, state: AnsweredState): string | null {
    let versions = this.states.get(key);
    if (versions === undefined) {
      versions = new Map();
      this.states.set(key, versions);
    }
    const text = JSON.stringify([state.found, state.value]);
    const earlier = versions.get(state.version);
    if (earlier === undefined) {
      versions.set(state.version, { state, text });
      return null;
    }
    if (earlier.text === text) return null;
    return `key ${JSON.stringify(key)} version ${state.version}: answered as ${earlier.text} and as ${text}`;
  }
}
