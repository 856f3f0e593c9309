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

  it("keeps what the plain bigint rule keeps under any offers and removals, for any k", () => {
    const spaces = [new IdSpace(8), new IdSpace(16), new IdSpace(61)];
    // Offers near one anchor too: at m = 61 their distances differ below a double's precision.
    const op = fc.oneof(
      fc.record({ offer: fc.bigInt({ min: 0n, max: (1n << 61n) - 1n }) }),
      fc.record({ near: fc.bigInt({ min: 0n, max: 4000n }) }),
      fc.record({ remove: fc.nat() }),
    );
    fc.assert(
      fc.property(
        fc.constantFrom(...spaces),
        fc.integer({ min: 2, max: 40 }),
        fc.bigInt({ min: 0n, max: (1n << 61n) - 1n }),
        fc.bigInt({ min: 0n, max: (1n << 61n) - 1n }),
        fc.array(op, { maxLength: 120 }),
        (ids, k, rawSelf, anchor, ops) => {
          const self = rawSelf & ids.mask;
          const table = new FingerTable(ids, self, k);
          const model = new PlainFingers(ids, self, k);
          for (const o of ops) {
            if ("offer" in o || "near" in o) {
              const peer = ref(("offer" in o ? o.offer : anchor + o.near) & ids.mask);
              table.offer(peer);
              model.offer(peer);
            } else {
              const held = table.refs();
              const victim = held[o.remove % Math.max(1, held.length)];
              if (victim === undefined) continue;
              table.remove(victim);
              model.remove(victim);
            }
            assert.deepEqual(
              table.refs().map((r) => r.id),
              model.refs().map((r) => r.id),
            );
          }
        },
      ),
    );
  });

  it("ends a slot where the coarser level starts when spans are rounded down (k = 3, m = 8)", () => {
    // Spans 85, 28, 9, 3, 1: 84 is in slot [84, 112) of span 28, cut at 85, where the slot of 100 (and 90) starts.
    const ids = new IdSpace(8);
    const table = new FingerTable(ids, 0n, 3);
    const model = new PlainFingers(ids, 0n, 3);
    const held: bigint[][] = [];
    for (const id of [100n, 84n, 90n, 30n]) {
      table.offer(ref(id));
      model.offer(ref(id));
      held.push(table.refs().map((r) => r.id));
      assert.deepEqual(
        table.refs().map((r) => r.id),
        model.refs().map((r) => r.id),
      );
    }
    assert.deepEqual(held, [[100n], [84n, 100n], [84n, 90n], [30n, 84n, 90n]]);
  });

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

/** The offer rule written plainly on bigints (slot starts by division), to check the table against. */
class PlainFingers {
  private readonly ids: IdSpace;
  private readonly self: bigint;
  private readonly spans: bigint[] = [];
  private fingers: { ref: NodeRef; dist: bigint }[] = [];

  constructor(ids: IdSpace, self: bigint, k: number) {
    this.ids = ids;
    this.self = self;
    for (let span = ids.size / BigInt(k); span >= 1n; span /= BigInt(k)) this.spans.push(span);
  }

  private slotOf(d: bigint): bigint {
    for (const span of this.spans) if (d >= span) return (d / span) * span;
    return 0n;
  }

  offer(peer: NodeRef): void {
    const d = this.ids.dist(this.self, peer.id);
    if (d === 0n || this.fingers.some((f) => f.ref.addr === peer.addr)) return;
    const at = this.fingers.findIndex((f) => f.dist >= d);
    const i = at < 0 ? this.fingers.length : at;
    const existing = this.fingers[i];
    if (existing !== undefined && existing.dist === d) {
      this.fingers[i] = { ref: peer, dist: d };
      return;
    }
    const slot = this.slotOf(d);
    const before = this.fingers[i - 1];
    if (before !== undefined && before.dist >= slot) return;
    const after = this.fingers[i];
    const replace = after !== undefined && this.slotOf(after.dist) === slot;
    this.fingers.splice(i, replace ? 1 : 0, { ref: peer, dist: d });
  }

  remove(peer: NodeRef): void {
    this.fingers = this.fingers.filter((f) => f.ref.addr !== peer.addr);
  }

  refs(): NodeRef[] {
    return this.fingers.map((f) => f.ref);
  }
}
