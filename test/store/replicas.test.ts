// Replica ids (src/store/replicas.ts, docs/replication.md §1): a key's f replica ids are h + i·N/f, and f
// is checked at every entry point that takes it from a user.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { hashKey } from "../../src/core/key-hash.js";
import { checkReplication, replicaIds, shiftRange } from "../../src/store/replicas.js";
import { ids } from "./rig.js";

describe("replication degree", () => {
  it("f is accepted when it is a power of two in [1, 64]", () => {
    for (const f of [1, 2, 4, 8, 16, 32, 64]) assert.doesNotThrow(() => checkReplication(f), `f = ${f}`);
  });

  it("any other f is refused with an error that says what f may be", () => {
    for (const f of [0, 3, 6, 12, 128, -4, 2.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      assert.throws(
        () => checkReplication(f),
        (e: unknown) =>
          e instanceof RangeError &&
          e.message.includes("f must be a power of two in [1, 64]") &&
          e.message.endsWith(`got ${f}`),
        `f = ${f}`,
      );
    }
  });
});

describe("replica ids", () => {
  it("the f ids of a key are k + i·N/f, replica 0 its hash", () => {
    fc.assert(
      fc.property(fc.string(), fc.constantFrom(1, 2, 4, 8, 16), (key, f) => {
        const rs = replicaIds(ids, f, key);
        assert.equal(rs.length, f);
        assert.equal(rs[0], hashKey(ids, key));
        rs.forEach((r, i) => {
          assert.equal(r, ids.add(hashKey(ids, key), (ids.size / BigInt(f)) * BigInt(i)));
        });
      }),
    );
  });

  it("the ids of a key form a regular polygon: each is N/f after the one before, around the ring", () => {
    for (const key of ["a", "b", "some key"]) {
      const rs = replicaIds(ids, 4, key);
      for (let i = 0; i < 4; i++)
        assert.equal(ids.dist(rs[i] ?? 0n, rs[(i + 1) % 4] ?? 0n), ids.size / 4n, `${key} replica ${i}`);
    }
  });

  it("a range shifted to class i moves both ends by i·N/f, and f shifts come back", () => {
    fc.assert(
      fc.property(fc.nat(255), fc.nat(255), fc.nat(3), (from, to, i) => {
        const s = shiftRange(ids, 4, BigInt(from), BigInt(to), i);
        assert.equal(s.from, ids.add(BigInt(from), 64n * BigInt(i)));
        assert.equal(s.to, ids.add(BigInt(to), 64n * BigInt(i)));
        const back = shiftRange(ids, 4, s.from, s.to, 4 - i);
        assert.deepEqual(back, { from: BigInt(from), to: BigInt(to) });
      }),
    );
  });
});
