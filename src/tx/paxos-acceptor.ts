// One acceptor of one transaction's Paxos Commit instances (docs/transactions.md §2, §8), as pure
// functions on plain state: ballot 0 belongs to each TP (its vote is phase 2a of its own instance);
// a leader with ballot b > 0 promises over every instance at once, then proposes a vote per instance.
// An acceptor never accepts below its promise, and accepts ballot 0 of an instance only once.
import { invariant } from "../core/invariant.js";
import type { Vote } from "./tx-lock.js";
import type { AcceptedVote } from "./tx-messages.js";

export interface AcceptorState {
  /** The highest ballot promised (phase 1b) for every instance of the transaction; 0 at first. */
  readonly promised: number;
  /** Instance → what was accepted there, with the highest ballot. */
  readonly accepted: ReadonlyMap<number, { readonly ballot: number; readonly vote: Vote }>;
}

export const FRESH_ACCEPTOR: AcceptorState = { promised: 0, accepted: new Map() };

/** A TP's vote (ballot 0): accepted unless a leader's ballot was promised or the instance holds a value. */
export function acceptFast(state: AcceptorState, instance: number, vote: Vote): AcceptorState | null {
  if (state.promised > 0 || state.accepted.has(instance)) return null;
  const accepted = new Map(state.accepted);
  accepted.set(instance, { ballot: 0, vote });
  return { promised: state.promised, accepted };
}

/** Phase 1: promise `ballot` if it is above every promise made. */
export function promise(state: AcceptorState, ballot: number): AcceptorState | null {
  return ballot > state.promised ? { promised: ballot, accepted: state.accepted } : null;
}

/** Phase 2 of a leader: accept its votes unless a higher ballot was promised. */
export function acceptBallot(
  state: AcceptorState,
  ballot: number,
  votes: readonly AcceptedVote[],
): AcceptorState | null {
  if (ballot < state.promised) return null;
  const accepted = new Map(state.accepted);
  for (const v of votes) accepted.set(v.instance, { ballot, vote: v.vote });
  return { promised: ballot, accepted };
}

export function acceptedVotes(state: AcceptorState): AcceptedVote[] {
  return [...state.accepted].map(([instance, a]) => ({ instance, ballot: a.ballot, vote: a.vote }));
}

/**
 * What a leader proposes once a majority promised (docs/transactions.md §8): per instance, the vote accepted
 * with the highest ballot among the promises, else abort.
 */
export function proposal(instances: number, promises: readonly (readonly AcceptedVote[])[]): AcceptedVote[] {
  const best = new Map<number, AcceptedVote>();
  for (const accepted of promises)
    for (const a of accepted) {
      const held = best.get(a.instance);
      if (held === undefined || a.ballot > held.ballot) best.set(a.instance, a);
    }
  return Array.from({ length: instances }, (_, instance) => ({
    instance,
    ballot: 0,
    vote: best.get(instance)?.vote ?? "abort",
  }));
}

/**
 * The ballots of acceptor `index` among f (docs/transactions.md §8, Scalaris's proposer):
 * index + 1 + k·(f + 1), the smallest above `seen`.
 */
export function nextBallot(index: number, replication: number, seen: number): number {
  const base = index + 1;
  const step = replication + 1;
  if (seen < base) return base;
  return base + (Math.floor((seen - base) / step) + 1) * step;
}

/**
 * The rules every acceptor step keeps (docs/transactions.md §8), checked where a host stores the step:
 * the promise never decreases; a value is accepted only at a ballot at or above the promise made
 * before it; an instance's accepted ballot never goes back, and one ballot carries one value.
 * `changed`: the instances the step may have accepted (the checks cost what the step did).
 */
export function checkAcceptorStep(
  before: AcceptorState,
  after: AcceptorState,
  changed: readonly number[],
  where: string,
): void {
  invariant(
    after.promised >= before.promised,
    "acceptor: promise never decreases",
    () => `${where}: promise ${before.promised} -> ${after.promised}`,
  );
  for (const instance of changed) {
    const now = after.accepted.get(instance);
    const was = before.accepted.get(instance);
    if (now === undefined || was === now) continue;
    invariant(
      now.ballot >= before.promised,
      "acceptor: no accept below promise",
      () =>
        `${where}: instance ${instance} accepted at ballot ${now.ballot} below promise ${before.promised}`,
    );
    invariant(
      was === undefined || now.ballot > was.ballot || (now.ballot === was.ballot && now.vote === was.vote),
      "acceptor: one value per ballot",
      () =>
        `${where}: instance ${instance} held ${was?.vote} at ballot ${was?.ballot}, now ${now.vote} at ${now.ballot}`,
    );
  }
}
