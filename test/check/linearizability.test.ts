// The linearizability checker (src/check/linearizability.ts) on hand-made histories of one key:
// it accepts what a register may do, refuses what it may not (a stale read after a completed write,
// a read of a value never written, a lost increment, a cas that saw the wrong value), lets operations
// with unknown outcome take effect or not, and answers "unknown" when the budget runs out.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { type KvOutput, kvModel } from "../../src/check/kv-model.js";
import { checkLinearizable, type HistoryOp } from "../../src/check/linearizability.js";
import type { KvOp } from "../../src/store/kv-proposer.js";

type Op = HistoryOp<KvOp, KvOutput>;
const found = (value: unknown): KvOutput => ({
  value: value as KvOutput["value"],
  found: true,
  applied: true,
});
const absent: KvOutput = { value: null, found: false, applied: true };
const put = (v: number, call: number, ret: number): Op => ({
  input: { kind: "put", value: v },
  output: found(v),
  callMs: call,
  returnMs: ret,
});
const get = (out: KvOutput, call: number, ret: number): Op => ({
  input: { kind: "get" },
  output: out,
  callMs: call,
  returnMs: ret,
});
const check = (ops: Op[]) => checkLinearizable(kvModel, ops);

describe("linearizability checker", () => {
  it("accepts sequential and overlapping histories a register can produce", () => {
    assert.equal(check([get(absent, 0, 1), put(1, 2, 3), get(found(1), 4, 5)]), true);
    // a read overlapping a write may see either value
    assert.equal(check([put(1, 0, 10), get(absent, 1, 2), get(found(1), 3, 4)]), true);
    assert.equal(check([put(1, 0, 1), put(2, 2, 10), get(found(1), 3, 4), get(found(2), 5, 6)]), true);
  });

  it("refuses a stale read after a completed write", () => {
    assert.equal(check([put(1, 0, 1), put(2, 2, 3), get(found(1), 4, 5)]), false);
  });

  it("refuses reads that go back in time, and values never written", () => {
    assert.equal(check([put(1, 0, 10), get(found(1), 1, 2), get(absent, 3, 4)]), false);
    assert.equal(check([put(1, 0, 1), get(found(7), 2, 3)]), false);
  });

  it("refuses a lost increment and a cas that saw the wrong value", () => {
    const incr = (v: number, call: number, ret: number): Op => ({
      input: { kind: "incr", by: 1 },
      output: found(v),
      callMs: call,
      returnMs: ret,
    });
    assert.equal(check([incr(1, 0, 5), incr(2, 1, 6)]), true);
    assert.equal(check([incr(1, 0, 5), incr(1, 1, 6)]), false, "two increments both answered 1");
    const cas: Op = {
      input: { kind: "cas", expected: 5, value: 6 },
      output: { value: 6, found: true, applied: true },
      callMs: 2,
      returnMs: 3,
    };
    assert.equal(check([put(1, 0, 1), cas]), false, "the value was 1, not 5");
  });

  it("lets an operation of unknown outcome take effect after its call, or never", () => {
    const lost: Op = {
      input: { kind: "put", value: 9 },
      output: undefined,
      callMs: 0,
      returnMs: Number.POSITIVE_INFINITY,
    };
    assert.equal(check([lost, get(absent, 5, 6)]), true, "it never happened");
    assert.equal(check([lost, get(found(9), 5, 6)]), true, "it happened");
    assert.equal(check([get(found(9), 0, 1), { ...lost, callMs: 2 }]), false, "not before its call");
  });

  it("answers unknown when the search exceeds its budget", () => {
    const ops: Op[] = Array.from({ length: 12 }, (_, i) => put(i, 0, 100));
    ops.push(get(found(99), 101, 102));
    assert.equal(checkLinearizable(kvModel, ops, 500), "unknown");
  });

  it("accepts every history of a sequentially applied register, however the calls overlap", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(3), fc.nat(20), fc.nat(20)), { maxLength: 14 }), (plan) => {
        // Apply the operations in plan order at instants 10, 20, …; each op's interval covers its instant.
        let state: number | undefined;
        const ops: Op[] = plan.map(([kind, before, after], i) => {
          const at = 10 * (i + 1);
          const span = { callMs: at - (before % 10) - 0.5, returnMs: at + (after % 10) + 0.5 };
          if (kind === 0) return { ...get(state === undefined ? absent : found(state), 0, 0), ...span };
          state = kind === 1 ? i : (state ?? 0) + 1;
          if (kind === 1) return { ...put(i, 0, 0), ...span };
          return { input: { kind: "incr", by: 1 }, output: found(state), ...span };
        });
        assert.equal(check(ops), true);
      }),
    );
  });
});
