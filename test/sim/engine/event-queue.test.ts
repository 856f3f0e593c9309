import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { EventQueue } from "../../../src/sim/engine/event-queue.js";

describe("EventQueue", () => {
  it("pops in (time, insertion order), like a stable sort, under any interleaving of push and pop", () => {
    const op = fc.oneof(
      fc.record({ push: fc.integer({ min: 0, max: 20 }) }),
      fc.constant({ pop: true as const }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 300 }), (ops) => {
        const queue = new EventQueue<number>();
        const model: { time: number; seq: number }[] = [];
        let seq = 0;
        for (const o of ops) {
          if ("push" in o) {
            queue.push(seq, o.push);
            model.push({ time: o.push, seq: seq++ });
          } else {
            model.sort((a, b) => a.time - b.time || a.seq - b.seq);
            const expected = model.shift();
            assert.equal(queue.pop(), expected?.seq);
          }
          assert.equal(queue.size, model.length);
        }
      }),
      { numRuns: 300 },
    );
  });

  it("reports +∞ when empty and the earliest time otherwise", () => {
    const queue = new EventQueue<string>();
    assert.equal(queue.peekTime(), Number.POSITIVE_INFINITY);
    queue.push("b", 5);
    queue.push("a", 2.5);
    assert.equal(queue.peekTime(), 2.5);
    assert.equal(queue.pop(), "a");
    assert.equal(queue.pop(), "b");
    assert.equal(queue.pop(), undefined);
  });

  it("grows past its initial capacity and reuses handles", () => {
    const queue = new EventQueue<number>();
    for (let round = 0; round < 3; round++) {
      for (let i = 5000; i > 0; i--) queue.push(i, i);
      for (let i = 1; i <= 5000; i++) assert.equal(queue.pop(), i);
    }
    assert.equal(queue.size, 0);
  });
});
