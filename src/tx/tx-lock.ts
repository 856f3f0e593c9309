// A transaction participant's validation on one replica (docs/transactions.md §6), as pure functions on the
// stored item: prepare takes a read or write lock or votes abort, never waits; commit applies a write
// lock's value as a register write with the round promised at prepare (docs/register.md §4);
// abort drops the transaction's locks. Whatever these return is stored before the vote is sent.
import { invariant } from "../core/invariant.js";
import type { NodeRef } from "../core/node-ref.js";
import { compareRounds, maxRound, type Round, type StoredItem, type Value } from "../store/item.js";

/** One key of a transaction's log, as the TM sends it to the key's replicas. */
export interface TxEntry {
  readonly key: string;
  readonly kind: "read" | "write";
  /** The version the read phase saw (0: absent). */
  readonly version: number;
  /** write: the new value (null and tombstone for a delete). */
  readonly value: Value;
  readonly tombstone: boolean;
}

export type Vote = "prepared" | "abort";

interface Prepared {
  readonly item: StoredItem;
  readonly vote: Vote;
  /** Why the vote is abort (for the client's error), "" when prepared. */
  readonly reason: string;
}

/**
 * Validates `entry` of transaction `tid` against this replica (docs/transactions.md §6): a read is prepared
 * iff the version read is still the newest here and nobody holds a write lock; a write iff the version read
 * is current and nobody holds a read lock (or this replica lags behind it), nobody holds a write lock, and
 * the commit round may still be written here (at least the promise, above the write held).
 */
export function prepare(
  item: StoredItem,
  tid: string,
  entry: TxEntry,
  round: Round,
  acceptors: readonly NodeRef[],
): Prepared {
  if (item.locks.some((l) => l.tid === tid)) return { item, vote: "prepared", reason: "" };
  const reason = entry.kind === "read" ? readConflict(item, entry) : writeConflict(item, entry, round);
  if (reason !== "") return { item, vote: "abort", reason };
  noConflictingLock(item, tid, entry);
  const lock = { tid, kind: entry.kind, version: entry.version, round, acceptors };
  const held =
    entry.kind === "write"
      ? { ...lock, value: entry.value, tombstone: entry.tombstone }
      : { ...lock, value: null, tombstone: false };
  return { item: { ...item, locks: [...item.locks, held] }, vote: "prepared", reason: "" };
}

/**
 * What a prepared vote promises (docs/transactions.md §6): no other transaction holds a write lock here, and
 * a write finds no other read lock unless this replica lags behind the version it read.
 */
function noConflictingLock(item: StoredItem, tid: string, entry: TxEntry): void {
  const others = item.locks.filter((l) => l.tid !== tid);
  const blocking = others.filter(
    (l) => l.kind === "write" || (entry.kind === "write" && entry.version <= item.version),
  );
  invariant(
    blocking.length === 0,
    "TP: no prepared vote against a conflicting lock",
    () =>
      `${item.key}: ${entry.kind} of ${tid} prepared while ${blocking.map((l) => `${l.kind} ${l.tid}`)} held`,
  );
}

function readConflict(item: StoredItem, entry: TxEntry): string {
  if (entry.version < item.version) return "read a stale version";
  if (item.locks.some((l) => l.kind === "write")) return "a concurrent transaction writes it";
  return "";
}

function writeConflict(item: StoredItem, entry: TxEntry, round: Round): string {
  if (entry.version < item.version) return "read a stale version";
  if (entry.version === item.version && item.locks.some((l) => l.kind === "read"))
    return "a concurrent transaction reads it";
  if (item.locks.some((l) => l.kind === "write")) return "a concurrent transaction writes it";
  if (compareRounds(round, item.readRound) < 0 || compareRounds(round, item.writeRound) <= 0)
    return "a concurrent single-key operation holds a higher round";
  return "";
}

/**
 * The commit of `tid` on this replica: its write lock's value becomes the item's, at the version
 * after the one read, with the round promised at prepare — unless a newer version got here first
 * (then the commit is outdated). Its locks go. Idempotent.
 */
export function commit(item: StoredItem, tid: string): StoredItem {
  const mine = item.locks.filter((l) => l.tid === tid);
  if (mine.length === 0) return item;
  const locks = item.locks.filter((l) => l.tid !== tid);
  const write = mine.find((l) => l.kind === "write");
  if (write === undefined || item.version > write.version) return { ...item, locks };
  return {
    ...item,
    value: write.value,
    tombstone: write.tombstone,
    version: write.version + 1,
    writeRound: maxRound(item.writeRound, write.round),
    readRound: maxRound(item.readRound, write.round),
    locks,
  };
}

/** The abort of `tid` on this replica: its locks go, nothing else changes. Idempotent. */
export function abort(item: StoredItem, tid: string): StoredItem {
  return item.locks.some((l) => l.tid === tid)
    ? { ...item, locks: item.locks.filter((l) => l.tid !== tid) }
    : item;
}
