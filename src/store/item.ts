// A stored replica of one key (docs/register.md §1, §4; docs/replication.md §2): its value, its version (what
// transactions validate against, +1 per write), whether it is a tombstone (a versioned delete), and the
// round-based register's state — the highest round it promised (readRound) and the round of the write it
// holds (writeRound). Plain data: the same record lives in memory or on disk.
import type { RingId } from "../core/id-space.js";
import { invariant } from "../core/invariant.js";
import type { NodeRef } from "../core/node-ref.js";

/** A value a client stores: JSON data. */
export type Value = null | boolean | number | string | readonly Value[] | { readonly [key: string]: Value };

/** A register round: counter first, then the proposer's tie-breaker (unique per incarnation). */
export interface Round {
  readonly counter: number;
  readonly proposer: number;
}

export const ROUND_ZERO: Round = { counter: 0, proposer: 0 };

export function compareRounds(a: Round, b: Round): number {
  return a.counter !== b.counter ? a.counter - b.counter : a.proposer - b.proposer;
}

export function maxRound(a: Round, b: Round): Round {
  return compareRounds(a, b) >= 0 ? a : b;
}

export interface StoredItem {
  readonly key: string;
  readonly replicaId: RingId;
  readonly value: Value;
  /** 0 for a key never written; each write (or delete) adds one. */
  readonly version: number;
  readonly tombstone: boolean;
  readonly readRound: Round;
  readonly writeRound: Round;
  /**
   * The ids of the last writes that produced this value (oldest first, at most WRITERS_KEPT): a
   * proposer that retries a write whose answers were lost finds its id here and does not apply it
   * twice.
   */
  readonly writers: readonly number[];
  /**
   * The transactions prepared on this replica (docs/transactions.md §6): while any is held, register
   * writes are refused, and while a write lock is held register promises are too. Stored with the
   * item, so a lock moves with hand-over and repair and survives a restart.
   */
  readonly locks: readonly TxLock[];
}

/**
 * A transaction's lock on one replica: a read lock pins the version the transaction read; a write
 * lock holds the value the commit will write, at `version + 1`, with the register round `round` the
 * replica promised at prepare time (so a commit is an ordinary register write, docs/register.md §4).
 */
export interface TxLock {
  readonly tid: string;
  readonly kind: "read" | "write";
  /** The version the transaction read. */
  readonly version: number;
  readonly round: Round;
  readonly value: Value;
  readonly tombstone: boolean;
  /** The transaction's acceptors, TM first: whom a lock left behind asks for the outcome. */
  readonly acceptors: readonly NodeRef[];
}

/** How many writer ids an item remembers. */
export const WRITERS_KEPT = 64;

/** The state of a replica that has never seen the key. */
export function emptyItem(key: string, replicaId: RingId): StoredItem {
  return {
    key,
    replicaId,
    value: null,
    version: 0,
    tombstone: false,
    readRound: ROUND_ZERO,
    writeRound: ROUND_ZERO,
    writers: [],
    locks: [],
  };
}

/**
 * Merges what another replica holds into this one (hand-over, repair, anti-entropy): the write with
 * the higher round wins, and the promise is the higher of both — so a replica never forgets a round
 * another already accepted or promised. Locks: a replica keeps its own (another class's locks are
 * that replica's votes, and a lock it released must not come back); a replica that had no copy takes
 * the sender's — the same replica moving (hand-over), or a stand-in for a lost one (repair), which
 * asks the transaction's acceptors how it ended.
 */
export function mergeItems(mine: StoredItem | undefined, theirs: StoredItem): StoredItem {
  if (mine === undefined) return { ...theirs, locks: liveLocks(theirs.locks, theirs.version) };
  invariant(
    mine.key === theirs.key && mine.replicaId === theirs.replicaId,
    "replication: a merge joins two copies of one replica's item",
    () => `${mine.key} at ${mine.replicaId} merged with ${theirs.key} at ${theirs.replicaId}`,
  );
  // The higher write round wins and the promise is the higher of both: neither goes back.
  const newer = compareRounds(theirs.writeRound, mine.writeRound) > 0 ? theirs : mine;
  return {
    ...newer,
    readRound: maxRound(mine.readRound, theirs.readRound),
    locks: liveLocks(mine.locks, newer.version),
  };
}

/**
 * The locks a replica at `version` still honours (docs/transactions.md §6): one whose transaction read an
 * older version can no longer commit here (a later write went through), so it pins nothing.
 */
function liveLocks(locks: readonly TxLock[], version: number): readonly TxLock[] {
  return locks.every((l) => l.version >= version) ? locks : locks.filter((l) => l.version >= version);
}
