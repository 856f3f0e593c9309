// The owner cache (src/store/owner-cache.ts, docs/register.md §5): what a proposer remembers of who owns
// which replica ids, learned from register replies (each names the replier's predecessor).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { OwnerCache } from "../../src/store/owner-cache.js";
import { ids, ref } from "./rig.js";

describe("owner cache", () => {
  it("finds the owner whose range (pred, owner] holds the id, and nothing outside every range", () => {
    const cache = new OwnerCache(ids);
    cache.learn(ref(100), 40n);
    cache.learn(ref(200), 150n);
    assert.equal(cache.find(41n)?.addr, "n100");
    assert.equal(cache.find(100n)?.addr, "n100");
    assert.equal(cache.find(40n), null, "the pred's own id is not in the range");
    assert.equal(cache.find(120n), null, "between two known ranges");
    assert.equal(cache.find(151n)?.addr, "n200");
  });

  it("a range that wraps past zero holds the ids on both sides", () => {
    const cache = new OwnerCache(ids);
    cache.learn(ref(10), 240n);
    assert.equal(cache.find(250n)?.addr, "n10");
    assert.equal(cache.find(5n)?.addr, "n10");
    assert.equal(cache.find(11n), null);
  });

  it("learning a node's range replaces what was known of it and every range that overlaps", () => {
    const cache = new OwnerCache(ids);
    cache.learn(ref(100), 40n);
    cache.learn(ref(100), 60n);
    assert.equal(cache.find(50n), null, "the node's old range is gone");
    cache.learn(ref(80), 60n);
    assert.equal(cache.find(70n)?.addr, "n80", "a joiner took part of the range");
    assert.equal(cache.find(90n), null, "the overlapping old owner is dropped, not guessed");
  });

  it("forgetting a node drops its range", () => {
    const cache = new OwnerCache(ids);
    cache.learn(ref(100), 40n);
    cache.forget(ref(100));
    assert.equal(cache.find(50n), null);
  });

  it("holds at most its limit of owners, dropping the first", () => {
    const cache = new OwnerCache(ids, 2);
    cache.learn(ref(10), 0n);
    cache.learn(ref(20), 10n);
    cache.learn(ref(30), 20n);
    assert.equal(cache.find(5n), null);
    assert.equal(cache.find(25n)?.addr, "n30");
  });

  it("for any learned disjoint ranges, find answers exactly the owner of each id", () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.nat(255), { minLength: 1, maxLength: 12 }), (points) => {
        const sorted = [...points].sort((a, b) => a - b);
        const cache = new OwnerCache(ids);
        sorted.forEach((p, i) => {
          const pred = sorted[(i + sorted.length - 1) % sorted.length] ?? p;
          cache.learn(ref(p), BigInt(pred));
        });
        for (let id = 0; id < 256; id++) {
          const owner = sorted.find((p) => p >= id) ?? sorted[0];
          assert.equal(cache.find(BigInt(id))?.addr, `n${owner}`, `id ${id}`);
        }
      }),
    );
  });
});
