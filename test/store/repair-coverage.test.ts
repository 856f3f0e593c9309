// Which parts of a repair are settled (src/store/repair-coverage.ts, docs/replication.md §4), against brute
// force on a small ring: an id is settled exactly when at least `needed` classes answered it from trusted
// sources, and the independent recount the repair asserts agrees with the sweep.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import {
  doubtful,
  fewestTrusted,
  type RepairClass,
  settledParts,
  unsettled,
} from "../../src/store/repair-coverage.js";
import { shiftRange } from "../../src/store/replicas.js";
import type { Interval } from "../../src/store/ring-intervals.js";
import { ids } from "./rig.js";

const F = 4;
const within = (x: bigint, parts: readonly Interval[]) => parts.some((p) => ids.inOC(x, p.from, p.to));

/** A repair of (from, from + width] with three classes, each read up to some point and doubted in places. */
const repairArb = fc
  .record({
    from: fc.nat(255),
    width: fc.integer({ min: 2, max: 63 }),
    classes: fc.array(
      fc.record({
        read: fc.nat(100),
        untrusted: fc.array(fc.tuple(fc.nat(63), fc.nat(63)), { maxLength: 3 }),
      }),
      { minLength: 3, maxLength: 3 },
    ),
    needed: fc.integer({ min: 1, max: 3 }),
  })
  .map(({ from, width, classes, needed }) => {
    const range: Interval = { from: BigInt(from), to: ids.add(BigInt(from), BigInt(width)) };
    const built: RepairClass[] = classes.map((c, i) => {
      const shifted = shiftRange(ids, F, range.from, range.to, i + 1);
      const read = BigInt(Math.min(width, Math.round((c.read / 100) * width)));
      return {
        shift: i + 1,
        range: shifted,
        covered: ids.add(shifted.from, read),
        untrusted: c.untrusted.map(([a, b]) => ({
          from: ids.add(range.from, BigInt(Math.min(a, b) % width)),
          to: ids.add(range.from, BigInt((Math.max(a, b) % width) + 1)),
        })),
        ask: null,
      };
    });
    return { range, classes: built, needed, width };
  });

describe("repair coverage", () => {
  it("an id is unsettled exactly when fewer than `needed` classes are trusted there", () => {
    fc.assert(
      fc.property(repairArb, ({ range, classes, needed, width }) => {
        const bad = unsettled(ids, F, range, classes, needed);
        for (let d = 1n; d <= BigInt(width); d++) {
          const id = ids.add(range.from, d);
          const trusted = classes.filter((c) => !within(id, doubtful(ids, F, range, c))).length;
          assert.equal(within(id, bad), trusted < needed, `id ${id}: ${trusted} trusted, ${needed} needed`);
        }
      }),
    );
  });

  it("the recount agrees: every settled part has at least `needed` trusted classes throughout", () => {
    fc.assert(
      fc.property(repairArb, ({ range, classes, needed }) => {
        const settled = settledParts(ids, range, unsettled(ids, F, range, classes, needed));
        for (const part of settled) assert.ok(fewestTrusted(ids, F, range, classes, part) >= needed);
      }),
    );
  });

  it("a class read to its end from trusted sources doubts nothing; an unread class doubts all", () => {
    const range: Interval = { from: 40n, to: 100n };
    const shifted = shiftRange(ids, F, 40n, 100n, 1);
    const done: RepairClass = { shift: 1, range: shifted, covered: shifted.to, untrusted: [], ask: null };
    const unread: RepairClass = { ...done, covered: shifted.from };
    assert.deepEqual(doubtful(ids, F, range, done), []);
    assert.deepEqual(doubtful(ids, F, range, unread), [range]);
  });
});
