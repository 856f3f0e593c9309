// The round-based register's acceptor (docs/register.md §1–§3, after Boichat et al., "Deconstructing
// Paxos"), as pure functions on one stored replica. A read with round r promises to refuse writes
// of lower rounds; a write with round r is accepted iff r ≥ the promise and r > the round of the
// write held. The proposer (kv-proposer.ts) needs a majority of accepts at each phase. Whatever these
// return must be stored before the answer is sent (persist, then send).
import { compareRounds, maxRound, type Round, type StoredItem, type Value } from "./item.js";
import type { ItemState } from "./store-messages.js";

export interface AcceptorAnswer {
  readonly item: StoredItem;
  readonly ok: boolean;
  /** The highest round this replica has seen (a refused proposer retries above it). */
  readonly seen: Round;
  /** Refused because a transaction holds the key (the proposer retries after a back-off, docs/register.md §4). */
  readonly locked: boolean;
}

export function stateOf(item: StoredItem): ItemState {
  return {
    value: item.value,
    version: item.version,
    tombstone: item.tombstone,
    writeRound: item.writeRound,
    writers: item.writers,
  };
}

export function seenRound(item: StoredItem): Round {
  return maxRound(item.readRound, item.writeRound);
}

/**
 * Phase 1: promise `round` if it is at least the promise held and above the write held — and no
 * transaction holds a write lock (its commit is a write with the round promised at prepare time).
 */
export function acceptRead(item: StoredItem, round: Round): AcceptorAnswer {
  if (item.locks.some((l) => l.kind === "write"))
    return { item, ok: false, seen: seenRound(item), locked: true };
  const ok = compareRounds(round, item.readRound) >= 0 && compareRounds(round, item.writeRound) > 0;
  const next = ok && compareRounds(round, item.readRound) > 0 ? { ...item, readRound: round } : item;
  return { item: next, ok, seen: seenRound(next), locked: false };
}

/** Phase 2: take the write of `round` unless a higher round was promised or written, or a transaction holds the key. */
export function acceptWrite(
  item: StoredItem,
  round: Round,
  value: Value,
  version: number,
  tombstone: boolean,
  writers: readonly number[],
): AcceptorAnswer {
  // The same write again (its first answer was lost): accepted already.
  if (compareRounds(round, item.writeRound) === 0 && item.version === version)
    return { item, ok: true, seen: seenRound(item), locked: false };
  if (item.locks.length > 0) return { item, ok: false, seen: seenRound(item), locked: true };
  const ok = compareRounds(round, item.readRound) >= 0 && compareRounds(round, item.writeRound) > 0;
  if (!ok) return { item, ok, seen: seenRound(item), locked: false };
  const next: StoredItem = {
    ...item,
    value,
    version,
    tombstone,
    writers,
    writeRound: round,
    readRound: maxRound(item.readRound, round),
  };
  return { item: next, ok, seen: seenRound(next), locked: false };
}
