// k-ary fingers (docs/routing.md §3): the table keeps, per ideal slot, the closest known peer; routing
// never overshoots a key except to the key's owner, and owners are found from fingers' neighbours.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { IdSpace } from "../../src/core/id-space.js";
import type { NodeRef } from "../../src/core/node-ref.js";
import { FingerTable } from "../../src/overlay/finger-table.js";

const space = new IdSpace(16);
const ref = (id: bigint): NodeRef => ({ id, addr: `n${id}`, nonce: 1 });

/** A ring of distinct ids, sorted, with `self` its first member. */
const ringArb = fc
  .uniqueArray(fc.bigInt({ min: 0n, max: space.mask }), { minLength: 3, maxLength: 80 })
  .map((ids) => [...ids].sort((a, b) => (a < b ? -1 : 1)));

function successorOf(ids: readonly bigint[], key: bigint): bigint {
  return ids.find((id) => id >= key) ?? (ids[0] as bigint);
}

describe("FingerTable", () => {
  for (const k of [2, 4, 16]) {
    it(`keeps exactly the first peer at or after each ideal id when offered every peer (k = ${k})`, () => {
      fc.assert(
        fc.property(ringArb, fc.nat(), (ids, pick) => {
          const self = ids[pick % ids.length] as bigint;
          const table = new FingerTable(space, self, k);
          for (const id of ids) table.offer(ref(id));
          const others = ids.filter((id) => id !== self);
          const expected = new Set(
            table
              .idealIds()
              .map((ideal) => successorOf(others.length ? others : [self], ideal))
              .filter((id) => id !== self),
          );
          assert.deepEqual(new Set(table.refs().map((r) => r.id)), expected);
        }),
      );
    });
  }

  it("routes to a finger before the key, or straight to the key's owner", () => {
    fc.assert(
      fc.property(ringArb, fc.nat(), fc.bigInt({ min: 0n, max: space.mask }), (ids, pick, key) => {
        const i = pick % ids.length;
        const self = ids[i] as bigint;
        const table = new FingerTable(space, self, 4);
        for (const id of ids) table.offer(ref(id));
        const n = ids.length;
        for (const r of table.refs()) {
          const j = ids.indexOf(r.id);
          table.learnNeighbours(r, ref(ids[(j - 1 + n) % n] as bigint), ref(ids[(j + 1) % n] as bigint), [
            ref(ids[(j + 2) % n] as bigint),
          ]);
        }
        const owner = successorOf(ids, key);
        fc.pre(owner !== self);
        const hop = table.nextHop(key, () => true);
        assert.ok(hop !== null);
        if (hop.owner) assert.equal(hop.peer.id, owner);
        else assert.ok(space.inOO(hop.peer.id, self, key), "a non-owner hop never passes the key");
      }),
    );
  });

  it("drops a removed peer and whatever pointed at it", () => {
    const table = new FingerTable(space, 0n, 2);
    table.offer(ref(100n));
    table.offer(ref(40000n));
    table.remove(ref(100n));
    assert.deepEqual(
      table.refs().map((r) => r.id),
      [40000n],
    );
  });
});
