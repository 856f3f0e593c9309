// Interval arithmetic with wrap-around (docs/architecture.md §7), property-tested on small m against a
// brute-force reference and on m = 128 against algebraic laws.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { IdSpace } from "../../src/core/id-space.js";

/** The reference: walk clockwise from a, one step at a time. */
function walkOC(n: bigint, x: bigint, a: bigint, b: bigint): boolean {
  let p = a;
  do {
    p = (p + 1n) % n;
    if (p === x) return true;
  } while (p !== b);
  return false;
}

function idArb(space: IdSpace): fc.Arbitrary<bigint> {
  return fc.bigInt({ min: 0n, max: space.mask });
}

describe("IdSpace intervals on small m (brute force)", () => {
  for (const m of [1, 3, 5]) {
    const space = new IdSpace(m);
    it(`(a,b], (a,b), [a,b) and dist agree with walking the ring, m = ${m}`, () => {
      fc.assert(
        fc.property(idArb(space), idArb(space), idArb(space), (x, a, b) => {
          const oc = walkOC(space.size, x, a, b);
          assert.equal(space.inOC(x, a, b), oc);
          assert.equal(space.inOO(x, a, b), oc && x !== b);
          assert.equal(space.inCO(x, a, b), a === b || x === a || (oc && x !== b));
          let steps = 0n;
          for (let p = a; p !== b; p = (p + 1n) % space.size) steps++;
          assert.equal(space.dist(a, b), steps);
        }),
        { numRuns: 2000 },
      );
    });
  }

  it("(a,a] is the whole ring and (a,a) all but a", () => {
    const space = new IdSpace(4);
    for (let a = 0n; a < 16n; a++) {
      for (let x = 0n; x < 16n; x++) {
        assert.equal(space.inOC(x, a, a), true);
        assert.equal(space.inOO(x, a, a), x !== a);
      }
    }
  });
});

describe("IdSpace intervals on m = 128 (laws)", () => {
  const space = new IdSpace(128);
  const id = idArb(space);

  it("for a ≠ b, every x lies in exactly one of (a,b] and (b,a]", () => {
    fc.assert(
      fc.property(id, id, id, (x, a, b) => {
        fc.pre(a !== b);
        assert.notEqual(space.inOC(x, a, b), space.inOC(x, b, a));
      }),
    );
  });

  it("is invariant under rotation of the ring, including through 0", () => {
    fc.assert(
      fc.property(id, id, id, id, (x, a, b, d) => {
        const r = (v: bigint) => space.add(v, d);
        assert.equal(space.inOC(r(x), r(a), r(b)), space.inOC(x, a, b));
        assert.equal(space.inOO(r(x), r(a), r(b)), space.inOO(x, a, b));
        assert.equal(space.dist(r(a), r(b)), space.dist(a, b));
      }),
    );
  });

  it("dist(a,b) + dist(b,a) is 0 or N, and a + dist(a,b) = b", () => {
    fc.assert(
      fc.property(id, id, (a, b) => {
        const sum = space.dist(a, b) + space.dist(b, a);
        assert.ok(sum === 0n || sum === space.size);
        assert.equal(space.add(a, space.dist(a, b)), b);
      }),
    );
  });

  it("matches the two-case definition on the number line", () => {
    fc.assert(
      fc.property(id, id, id, (x, a, b) => {
        const expected = a < b ? a < x && x <= b : a > b ? x > a || x <= b : true;
        assert.equal(space.inOC(x, a, b), expected);
      }),
    );
  });

  it("keeps wrap-around edge cases right", () => {
    const max = space.mask;
    assert.equal(space.inOC(0n, max, 0n), true);
    assert.equal(space.inOC(max, max, 0n), false);
    assert.equal(space.inOO(0n, max - 1n, 1n), true);
    assert.equal(space.dist(max, 0n), 1n);
    assert.equal(space.add(max, 1n), 0n);
  });

  it("parses ids and rejects what is not one", () => {
    assert.equal(space.parse("42"), 42n);
    assert.equal(space.parse("0xff"), 255n);
    assert.throws(() => space.parse("-1"), SyntaxError);
    assert.throws(() => space.parse((1n << 128n).toString()), RangeError);
    assert.throws(() => new IdSpace(0), RangeError);
  });
});
