// The simulator's event order (docs/simulator.md §1): whichever heap an event waits in, events come out
// by time, then in the order they were scheduled.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { EventOrder } from "../../../src/sim/engine/event-order.js";

describe("EventOrder", () => {
  it("pops in (time, scheduling order), near and far events alike, under any interleaving", () => {
    const op = fc.oneof(
      fc.record({ after: fc.oneof(fc.integer({ min: 0, max: 30 }), fc.integer({ min: 90, max: 400 })) }),
      fc.constant({ pop: true as const }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 400 }), (ops) => {
        const order = new EventOrder();
        const model: { time: number; seq: number }[] = [];
        let seq = 0;
        let now = 0;
        for (const o of ops) {
          if ("after" in o) {
            order.push(seq, now + o.after, now);
            model.push({ time: now + o.after, seq: seq++ });
          } else {
            model.sort((a, b) => a.time - b.time || a.seq - b.seq);
            const expected = model.shift();
            assert.equal(order.peekTime(), expected?.time ?? Number.POSITIVE_INFINITY);
            assert.equal(order.pop(), expected?.seq ?? -1);
            if (expected !== undefined) now = expected.time;
          }
          assert.equal(order.size, model.length);
        }
      }),
      { numRuns: 300 },
    );
  });
});
