// The continuous transaction checks (src/check/tx-invariants.ts) on hand-made worlds: "tx: locks released
// after the decision" judges a lock only once the bound has passed since the decision or the last heal, and
// only while its outcome can still be found — a majority of its acceptors alive, or a live one that knows
// it (docs/transactions.md §7, §8 L1; docs/simulator.md §5).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type LockWorld, lockHeldTooLong, TxDecisions } from "../../src/check/tx-invariants.js";
import type { NodeRef } from "../../src/core/node-ref.js";
import { emptyItem, ROUND_ZERO, type StoredItem } from "../../src/store/item.js";

const BOUND = 60_000;
const TID = "7.1";
const acceptors: NodeRef[] = [0, 1, 2, 3].map((i) => ({ id: BigInt(i), addr: `n${i}`, nonce: 10 + i }));

function locked(): StoredItem {
  const lock = {
    tid: TID,
    kind: "write" as const,
    version: 0,
    round: ROUND_ZERO,
    value: "x",
    tombstone: false,
    acceptors,
  };
  return { ...emptyItem("k", 5n), locks: [lock] };
}

/** A world at `nowMs` where acceptors `alive` live and those of `knowing` know the outcome. */
function world(nowMs: number, alive: readonly number[], knowing: readonly number[] = []): LockWorld {
  const index = (ref: NodeRef) => acceptors.findIndex((a) => a.addr === ref.addr && a.nonce === ref.nonce);
  return {
    nowMs,
    wholeSinceMs: 0,
    isAlive: (ref) => alive.includes(index(ref)),
    knowsOutcome: (ref, tid) => tid === TID && alive.includes(index(ref)) && knowing.includes(index(ref)),
  };
}

function check(w: LockWorld, decidedAtMs = 1000): string | null {
  const decisions = new TxDecisions();
  decisions.record(TID, true, decidedAtMs, "node 0 (txFinal)");
  return lockHeldTooLong(decisions, w, BOUND, 9, [locked()]);
}

describe('"tx: locks released after the decision" (docs/simulator.md §5)', () => {
  it("a lock held past the bound with every acceptor alive is a violation", () => {
    assert.match(check(world(1000 + BOUND + 1, [0, 1, 2, 3])) ?? "", /node 9 holds a write lock of 7\.1/);
  });

  it("a lock within the bound is not", () => {
    assert.equal(check(world(1000 + BOUND, [0, 1, 2, 3])), null);
  });

  it("a majority of acceptors alive, none told the outcome, is judged: a ballot finds it again", () => {
    assert.notEqual(check(world(1000 + BOUND + 1, [1, 2, 3])), null);
  });

  it("one live acceptor that knows the outcome is judged: it answers the ask", () => {
    assert.notEqual(check(world(1000 + BOUND + 1, [2], [2])), null);
  });

  it("a minority of acceptors alive, none of them told, is not judged: nobody can tell the outcome", () => {
    // The decider crashed with its `txDecided` in flight, and another acceptor after it (docs/transactions.md §11).
    assert.equal(check(world(1000 + BOUND + 1, [1, 2], [0, 3])), null);
  });

  it("an undecided transaction's lock is not judged", () => {
    const decisions = new TxDecisions();
    assert.equal(lockHeldTooLong(decisions, world(10 * BOUND, [0, 1, 2, 3]), BOUND, 9, [locked()]), null);
  });
});
