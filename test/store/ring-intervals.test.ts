// Ring interval arithmetic (src/store/ring-intervals.ts) against brute force on a small ring: what
// subtract and intersect return holds exactly the ids the definitions say, wrap-around and the whole
// ring (a, a] included.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { IdSpace } from "../../src/core/id-space.js";
import { type Interval, intersect, subtract } from "../../src/store/ring-intervals.js";

const ids = new IdSpace(5);
const all = Array.from({ length: 32 }, (_, i) => BigInt(i));
const iv = fc.tuple(fc.nat(31), fc.nat(31)).map(([a, b]): Interval => ({ from: BigInt(a), to: BigInt(b) }));
const has = (list: Interval[], x: bigint) => list.some((p) => ids.inOC(x, p.from, p.to));

describe("ring intervals", () => {
  it("subtract keeps exactly the ids of the first not in the second", () => {
    fc.assert(
      fc.property(iv, iv, (a, b) => {
        const out = subtract(ids, a, b);
        for (const x of all)
          assert.equal(has(out, x), ids.inOC(x, a.from, a.to) && !ids.inOC(x, b.from, b.to), `id ${x}`);
      }),
    );
  });

  it("intersect keeps exactly the ids in both", () => {
    fc.assert(
      fc.property(iv, iv, (a, b) => {
        const out = intersect(ids, a, b);
        for (const x of all)
          assert.equal(has(out, x), ids.inOC(x, a.from, a.to) && ids.inOC(x, b.from, b.to), `id ${x}`);
      }),
    );
  });

  it("returns pieces that do not overlap", () => {
    fc.assert(
      fc.property(iv, iv, (a, b) => {
        const out = subtract(ids, a, b);
        for (const x of all) assert.ok(out.filter((p) => ids.inOC(x, p.from, p.to)).length <= 1);
      }),
    );
  });
});
