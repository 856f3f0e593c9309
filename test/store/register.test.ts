// The register's acceptor (src/store/register.ts, docs/register.md §1): a promise of round r refuses
// every later write of a lower round; a write is taken only above the write held; the same write sent
// twice is taken once; and what a replica reports never goes back to an older write.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { compareRounds, emptyItem, type Round, type StoredItem } from "../../src/store/item.js";
import { acceptRead, acceptWrite } from "../../src/store/register.js";

const round = fc.record({ counter: fc.nat(20), proposer: fc.nat(3) });
const step = fc.oneof(
  fc.record({ kind: fc.constant("read" as const), round }),
  fc.record({ kind: fc.constant("write" as const), round, value: fc.nat(100) }),
);

describe("register acceptor", () => {
  it("never takes a write below a promise or the write it holds, and never goes back", () => {
    fc.assert(
      fc.property(fc.array(step, { maxLength: 40 }), (steps) => {
        let item: StoredItem = emptyItem("k", 7n);
        let promised: Round = { counter: 0, proposer: 0 };
        for (const s of steps) {
          const before = item;
          const answer =
            s.kind === "read"
              ? acceptRead(item, s.round)
              : acceptWrite(item, s.round, s.value, item.version + 1, false, []);
          item = answer.item;
          if (s.kind === "write" && answer.ok && compareRounds(s.round, before.writeRound) !== 0) {
            assert.ok(compareRounds(s.round, promised) >= 0, "a write below a promise was taken");
            assert.ok(
              compareRounds(s.round, before.writeRound) > 0,
              "a write below the held write was taken",
            );
          }
          if (s.kind === "read" && answer.ok && compareRounds(s.round, promised) > 0) promised = s.round;
          assert.ok(compareRounds(item.writeRound, before.writeRound) >= 0, "the held write went back");
          assert.ok(compareRounds(item.readRound, before.readRound) >= 0, "the promise went back");
        }
      }),
    );
  });

  it("takes the same write twice as once", () => {
    const r = { counter: 3, proposer: 1 };
    const once = acceptWrite(emptyItem("k", 7n), r, "v", 1, false, [9]);
    const twice = acceptWrite(once.item, r, "v", 1, false, [9]);
    assert.equal(once.ok, true);
    assert.equal(twice.ok, true);
    assert.deepEqual(twice.item, once.item);
  });
});
