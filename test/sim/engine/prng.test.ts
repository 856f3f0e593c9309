import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { Prng } from "../../../src/sim/engine/prng.js";
import { TraceHash } from "../../../src/sim/engine/trace-hash.js";

const draws = (rng: Prng, n: number) => Array.from({ length: n }, () => rng.nextU32());

describe("Prng", () => {
  it("is a function of the seed", () => {
    fc.assert(
      fc.property(fc.nat(), (seed) =>
        assert.deepEqual(draws(Prng.fromSeed(seed), 8), draws(Prng.fromSeed(seed), 8)),
      ),
    );
  });

  it("gives different streams for different seeds and labels", () => {
    assert.notDeepEqual(draws(Prng.fromSeed(1), 4), draws(Prng.fromSeed(2), 4));
    const root = Prng.fromSeed(1);
    assert.notDeepEqual(draws(root.split("a"), 4), draws(root.split("b"), 4));
    assert.notDeepEqual(draws(root.split(0), 4), draws(root.split(1), 4));
  });

  it("splits by label, independent of the parent's draws", () => {
    const a = Prng.fromSeed(9);
    const b = Prng.fromSeed(9);
    draws(b, 100);
    assert.deepEqual(draws(a.split("node:3"), 8), draws(b.split("node:3"), 8));
  });

  it("draws uniformly (chi-square over 16 buckets, 160k draws)", () => {
    const rng = Prng.fromSeed(42);
    const buckets = new Array<number>(16).fill(0);
    const n = 160_000;
    for (let i = 0; i < n; i++) {
      const b = Math.floor(rng.next() * 16);
      buckets[b] = (buckets[b] ?? 0) + 1;
    }
    const expected = n / 16;
    const chi2 = buckets.reduce((s, c) => s + (c - expected) ** 2 / expected, 0);
    assert.ok(chi2 < 37.7, `chi-square ${chi2.toFixed(1)} ≥ 37.7 (p = 0.001, 15 dof)`);
  });

  it("mixes every draw into the trace hash", () => {
    const h1 = new TraceHash();
    const h2 = new TraceHash();
    const a = Prng.fromSeed(5, h1);
    const b = Prng.fromSeed(5, h2);
    a.next();
    b.next();
    assert.equal(h1.hex(), h2.hex());
    a.next();
    assert.notEqual(h1.hex(), h2.hex());
  });

  it("rejects seeds outside [0, 2^53)", () => {
    assert.throws(() => Prng.fromSeed(-1), RangeError);
    assert.throws(() => Prng.fromSeed(1.5), RangeError);
  });
});
