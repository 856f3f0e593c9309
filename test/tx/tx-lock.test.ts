// OCC validation as pure functions on a stored item (docs/transactions.md §6): a property that the vote
// equals a small model of the rules for any versions, locks and rounds, and the rules of commit and
// abort that only a pure test reaches (an outdated commit).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import type { Round, StoredItem, TxLock } from "../../src/store/item.js";
import { abort, commit, prepare, type TxEntry, type Vote } from "../../src/tx/tx-lock.js";
import { acceptorsOf, itemAt, lockOf, ROUND, write } from "./fixtures.js";

/** The rules of docs/transactions.md §6, written out on their own. */
function modelVote(item: StoredItem, tid: string, entry: TxEntry, round: Round): Vote {
  if (item.locks.some((l) => l.tid === tid)) return "prepared"; // a prepare sent again
  const writeLock = item.locks.some((l) => l.kind === "write");
  const readLock = item.locks.some((l) => l.kind === "read");
  if (entry.kind === "read") return entry.version >= item.version && !writeLock ? "prepared" : "abort";
  const current = entry.version > item.version || (entry.version === item.version && !readLock);
  const atMost = (a: Round, b: Round) =>
    a.counter < b.counter || (a.counter === b.counter && a.proposer <= b.proposer);
  const roundOk = atMost(item.readRound, round) && !atMost(round, item.writeRound);
  return current && !writeLock && roundOk ? "prepared" : "abort";
}

const roundArb: fc.Arbitrary<Round> = fc.record({ counter: fc.nat(4), proposer: fc.nat(2) });
const lockArb: fc.Arbitrary<TxLock> = fc
  .record({
    tid: fc.constantFrom("t1", "t2", "t3"),
    kind: fc.constantFrom<"read" | "write">("read", "write"),
    version: fc.nat(4),
  })
  .map(({ tid, kind, version }) => lockOf(tid, kind, version));
const itemArb: fc.Arbitrary<StoredItem> = fc
  .record({
    version: fc.nat(4),
    locks: fc.uniqueArray(lockArb, { maxLength: 3, selector: (l) => l.tid }),
    readRound: roundArb,
    writeRound: roundArb,
  })
  .map(({ version, locks, readRound, writeRound }) => ({
    ...itemAt("k", version, locks),
    readRound,
    writeRound,
  }));
const entryArb: fc.Arbitrary<TxEntry> = fc.record({
  key: fc.constant("k"),
  kind: fc.constantFrom<"read" | "write">("read", "write"),
  version: fc.nat(5),
  value: fc.constant("new"),
  tombstone: fc.constant(false),
});

describe("OCC validation (docs/transactions.md §6)", () => {
  it("for any versions, locks and rounds, the TP's vote equals the model's, and a prepared vote takes exactly its lock", () => {
    fc.assert(
      fc.property(itemArb, fc.constantFrom("t0", "t1"), entryArb, roundArb, (item, tid, entry, round) => {
        const got = prepare(item, tid, entry, round, acceptorsOf(0));
        assert.equal(got.vote, modelVote(item, tid, entry, round));
        assert.equal(got.reason === "", got.vote === "prepared");
        const mine = (i: StoredItem) => i.locks.filter((l) => l.tid === tid).length;
        if (got.vote === "abort") assert.equal(got.item, item, "an abort vote changes nothing");
        else assert.equal(mine(got.item), 1, "one lock of its own");
        assert.equal(
          got.item.locks.length - mine(got.item),
          item.locks.length - mine(item),
          "others' locks kept",
        );
      }),
      { numRuns: 2000 },
    );
  });

  it("a commit that finds a newer version is outdated: its lock goes, the value stays", () => {
    const item = { ...itemAt("k", 3, [lockOf("t1", "write", 1), lockOf("t2", "read", 3)]), value: "three" };
    const after = commit(item, "t1");
    assert.equal(after.value, "three");
    assert.equal(after.version, 3);
    assert.deepEqual(
      after.locks.map((l) => l.tid),
      ["t2"],
    );
  });

  it("commit and abort are idempotent and touch nothing for a transaction with no lock here", () => {
    const prepared = prepare(itemAt("k", 0), "t1", write("k", 0, "x"), ROUND, acceptorsOf(0)).item;
    const once = commit(prepared, "t1");
    assert.deepEqual(commit(once, "t1"), once);
    assert.equal(abort(once, "t1"), once);
    assert.equal(commit(prepared, "t9"), prepared);
  });
});
