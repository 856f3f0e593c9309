// The list-append history checker (src/check/tx-history.ts) on hand-made histories, as in the Elle
// paper: serial histories pass; each anomaly (G0, G1a, G1b, G1c, G-single, G2, incompatible order,
// duplicate and lost appends) is found on a minimal history and names its transactions; info
// transactions may have committed or not; histories of a serial store always pass; a stale read is caught;
// the graph search stays within a step budget linear in the history (work is counted, never timed).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import {
  type Anomaly,
  type AnomalyName,
  checkTxHistory,
  type TxCheckResult,
  type TxMicroOp,
  type TxRecord,
  type TxStatus,
} from "../../src/check/tx-history.js";

const append = (key: string, value: number): TxMicroOp => ({ f: "append", key, value });
const read = (key: string, value: readonly number[] | null): TxMicroOp => ({ f: "r", key, value });
const tx = (id: number, ops: readonly TxMicroOp[], status: TxStatus = "ok"): TxRecord => ({
  id,
  process: id,
  ops,
  status,
  callMs: 10 * id,
  returnMs: 10 * id + 5,
});
const finalReads = (entries: Record<string, readonly number[]>): ReadonlyMap<string, readonly number[]> =>
  new Map(Object.entries(entries));

const named = (result: TxCheckResult, name: AnomalyName): Anomaly[] =>
  result.anomalies.filter((anomaly) => anomaly.name === name);
const namesOf = (result: TxCheckResult): AnomalyName[] => result.anomalies.map((anomaly) => anomaly.name);
const sortedTxs = (anomaly: Anomaly | undefined): number[] => [...(anomaly?.txs ?? [])].sort((a, b) => a - b);

describe("list-append history checker", () => {
  it("accepts a serial history", () => {
    const result = checkTxHistory(
      [
        tx(1, [append("x", 1)]),
        tx(2, [read("x", [1]), append("x", 2), append("y", 1)]),
        tx(3, [read("x", [1, 2]), read("y", [1])]),
      ],
      { finalReads: finalReads({ x: [1, 2], y: [1] }) },
    );
    assert.deepEqual(result, { serializable: true, anomalies: [], txsChecked: 3 });
    assert.deepEqual(checkTxHistory([]), { serializable: true, anomalies: [], txsChecked: 0 });
  });

  it("accepts a transaction reading its own appends, and refuses one that does not see them", () => {
    const ownReads = [
      tx(1, [append("x", 1), read("x", [1])]),
      tx(2, [read("x", [1]), append("x", 2), append("x", 3), read("x", [1, 2, 3])]),
    ];
    assert.equal(checkTxHistory(ownReads).serializable, true);
    const blind = checkTxHistory([tx(1, [append("x", 1), read("x", [])])]);
    assert.equal(blind.serializable, false);
    assert.deepEqual(namesOf(blind), ["incompatible-order"]);
    assert.deepEqual(blind.anomalies[0]?.txs, [1]);
  });

  it("finds G0, a write cycle: two transactions' appends interleave in opposite orders on two keys", () => {
    const result = checkTxHistory([
      tx(1, [append("x", 1), append("y", 1)]),
      tx(2, [append("x", 2), append("y", 2)]),
      tx(3, [read("x", [1, 2]), read("y", [2, 1])]),
    ]);
    assert.equal(result.serializable, false);
    assert.deepEqual(namesOf(result), ["G0"]);
    assert.deepEqual(sortedTxs(result.anomalies[0]), [1, 2]);
    assert.deepEqual([...(result.anomalies[0]?.keys ?? [])].sort(), ["x", "y"]);
  });

  it("finds G1a, an aborted read: a committed transaction saw an aborted append", () => {
    const result = checkTxHistory([tx(1, [append("x", 1)], "fail"), tx(2, [read("x", [1])])]);
    assert.equal(result.serializable, false);
    assert.deepEqual(namesOf(result), ["G1a"]);
    assert.deepEqual(result.anomalies[0]?.txs, [1, 2]);
  });

  it("finds G1b, an intermediate read: a transaction saw a value its writer appended after", () => {
    const result = checkTxHistory([tx(1, [append("x", 1), append("x", 2)]), tx(2, [read("x", [1])])]);
    assert.equal(result.serializable, false);
    assert.deepEqual(namesOf(result), ["G1b"]);
    assert.deepEqual(result.anomalies[0]?.txs, [1, 2]);
  });

  it("finds G1c, circular information flow: each transaction read the other's append", () => {
    const result = checkTxHistory([
      tx(1, [append("x", 1), read("y", [1])]),
      tx(2, [append("y", 1), read("x", [1])]),
    ]);
    assert.equal(result.serializable, false);
    assert.deepEqual(namesOf(result), ["G1c"]);
    assert.deepEqual(sortedTxs(result.anomalies[0]), [1, 2]);
  });

  it("finds G-single, read skew: one anti-dependency closes a cycle of dependencies", () => {
    // T2 sees T1's append to y but not its append to x.
    const result = checkTxHistory(
      [tx(1, [append("x", 1), append("y", 1)]), tx(2, [read("x", []), read("y", [1])])],
      {
        finalReads: finalReads({ x: [1], y: [1] }),
      },
    );
    assert.equal(result.serializable, false);
    assert.deepEqual(namesOf(result), ["G-single"]);
    const cycle = result.anomalies[0];
    assert.deepEqual(
      cycle?.txs,
      [2, 1],
      "the cycle starts at the anti-dependency: T2 -rw(x)-> T1 -wr(y)-> T2",
    );
    assert.deepEqual(cycle?.keys, ["x", "y"]);
    assert.match(cycle?.message ?? "", /T2 -rw\(x\)-> T1 -wr\(y\)-> T2/);
  });

  it("finds G2, write skew: two anti-dependencies form the cycle", () => {
    const result = checkTxHistory(
      [tx(1, [read("x", []), append("y", 1)]), tx(2, [read("y", []), append("x", 1)])],
      { finalReads: finalReads({ x: [1], y: [1] }) },
    );
    assert.equal(result.serializable, false);
    assert.deepEqual(namesOf(result), ["G2"]);
    assert.deepEqual(sortedTxs(result.anomalies[0]), [1, 2]);
  });

  it("finds an incompatible order: two reads of a key that are not prefixes of one list", () => {
    const result = checkTxHistory([
      tx(1, [append("x", 1)]),
      tx(2, [append("x", 2)]),
      tx(3, [read("x", [1, 2])]),
      tx(4, [read("x", [2])]),
    ]);
    assert.equal(result.serializable, false);
    assert.deepEqual(namesOf(result), ["incompatible-order"]);
    assert.deepEqual(sortedTxs(result.anomalies[0]), [3, 4]);
    assert.deepEqual(result.anomalies[0]?.keys, ["x"]);
  });

  it("treats a read of a value no transaction appended as an incompatible order", () => {
    const result = checkTxHistory([tx(1, [append("x", 1)]), tx(2, [read("x", [1, 99])])]);
    assert.deepEqual(namesOf(result), ["incompatible-order"]);
    assert.deepEqual(result.anomalies[0]?.txs, [2]);
  });

  it("finds a duplicate append, whether two transactions appended it or a read shows it twice", () => {
    const twice = checkTxHistory([tx(1, [append("x", 1)]), tx(2, [append("x", 1)])]);
    assert.equal(twice.serializable, false);
    assert.deepEqual(namesOf(twice), ["duplicate-append"]);
    assert.deepEqual(twice.anomalies[0]?.txs, [1, 2]);
    const shownTwice = checkTxHistory([tx(1, [append("x", 1)]), tx(2, [read("x", [1, 1])])]);
    assert.deepEqual(namesOf(shownTwice), ["duplicate-append"]);
    assert.deepEqual(shownTwice.anomalies[0]?.txs, [1, 2]);
  });

  it("finds a lost append: a committed append missing from the key's final value", () => {
    const result = checkTxHistory([tx(1, [append("x", 1)]), tx(2, [append("x", 2)])], {
      finalReads: finalReads({ x: [1] }),
    });
    assert.equal(result.serializable, false);
    assert.deepEqual(namesOf(result), ["lost-append"]);
    assert.deepEqual(result.anomalies[0]?.txs, [2]);
    // Without the final value nothing shows the loss.
    assert.equal(checkTxHistory([tx(1, [append("x", 1)]), tx(2, [append("x", 2)])]).serializable, true);
  });

  it("lets an info transaction have committed, or not", () => {
    const unknownAppend = tx(1, [append("x", 1)], "info");
    const committed = checkTxHistory([unknownAppend, tx(2, [read("x", [1])])], {
      finalReads: finalReads({ x: [1] }),
    });
    assert.equal(committed.serializable, true, "it happened");
    const neverHappened = checkTxHistory([unknownAppend, tx(2, [read("x", [])])], {
      finalReads: finalReads({ x: [] }),
    });
    assert.equal(neverHappened.serializable, true, "it never happened");
    // But once a committed read saw it, it took effect, and the final value must keep it.
    const seenThenGone = checkTxHistory([unknownAppend, tx(2, [read("x", [1])])], {
      finalReads: finalReads({ x: [] }),
    });
    assert.deepEqual(namesOf(seenThenGone), ["lost-append"]);
    assert.deepEqual(seenThenGone.anomalies[0]?.txs, [1]);
  });

  it("puts info transactions that took effect in the dependency graph", () => {
    // T1's outcome is unknown, yet T2 saw its y and missed its x: read skew all the same.
    const result = checkTxHistory(
      [tx(1, [append("x", 1), append("y", 1)], "info"), tx(2, [read("x", []), read("y", [1])])],
      { finalReads: finalReads({ x: [1], y: [1] }) },
    );
    assert.deepEqual(namesOf(result), ["G-single"]);
  });

  it("answers unknown when the search exceeds its budget", () => {
    const history = Array.from({ length: 50 }, (_, i) => tx(i + 1, [append("x", i + 1)]));
    assert.equal(checkTxHistory(history, { budget: 10 }).serializable, "unknown");
    assert.equal(checkTxHistory(history).serializable, true);
  });

  it("never calls a cyclic history serializable, whatever the budget: once its SCCs are known it names a cycle", () => {
    const writeSkew = [tx(1, [read("x", []), append("y", 1)]), tx(2, [read("y", []), append("x", 1)])];
    const verdicts = Array.from({ length: 40 }, (_, budget) =>
      checkTxHistory(writeSkew, { finalReads: finalReads({ x: [1], y: [1] }), budget }),
    );
    assert.ok(verdicts.some((result) => result.serializable === "unknown"));
    for (const result of verdicts) {
      assert.notEqual(result.serializable, true);
      if (result.serializable === false) assert.deepEqual(namesOf(result), ["G2"]);
    }
  });

  it("accepts every history of a serial list store, whatever the statuses and record order", () => {
    fc.assert(
      fc.property(serialRuns(), ({ history, store, order }) => {
        const shuffled = order
          .map((i) => history[i])
          .filter((record): record is TxRecord => record !== undefined);
        const result = checkTxHistory(shuffled, { finalReads: store });
        assert.deepEqual(result.anomalies, []);
        assert.equal(result.serializable, true);
        assert.equal(checkTxHistory(history).serializable, true, "and without the final values");
      }),
      { numRuns: 300 },
    );
  });

  it("catches a stale read in a transaction that then appends to the same key (a lost update)", () => {
    fc.assert(
      fc.property(serialRuns(), fc.nat(), fc.nat(), ({ history, store }, pick, cut) => {
        const candidates = history.flatMap((record, txIndex) =>
          record.status === "ok" ? staleableReads(record).map((opIndex) => ({ txIndex, opIndex })) : [],
        );
        fc.pre(candidates.length > 0);
        const chosen = candidates[pick % candidates.length];
        const victim = chosen === undefined ? undefined : history[chosen.txIndex];
        const op = victim?.ops[chosen?.opIndex ?? -1];
        if (chosen === undefined || victim === undefined || op?.f !== "r" || op.value === null) return;
        // Serially it read L (non-empty); make it read a strict prefix of L.
        const stale = read(op.key, op.value.slice(0, cut % op.value.length));
        const ops = victim.ops.map((o, i) => (i === chosen.opIndex ? stale : o));
        const tampered = history.map((record, i) => (i === chosen.txIndex ? { ...record, ops } : record));
        const result = checkTxHistory(tampered, { finalReads: store });
        assert.equal(result.serializable, false);
        const singles = named(result, "G-single");
        assert.ok(
          singles.some((anomaly) => anomaly.txs.includes(victim.id)),
          `expected a G-single through T${victim.id}: ${JSON.stringify(result.anomalies)}`,
        );
      }),
      { numRuns: 300 },
    );
  });

  it("checks 20,000 serial transactions within a step budget linear in their number", () => {
    const keys = 200;
    const store = new Map<string, number[]>();
    const history: TxRecord[] = [];
    for (let i = 0; i < 20_000; i++) {
      const readKey = `k${(i * 7) % keys}`;
      const writeKey = `k${(i * 13) % keys}`;
      const seen = [...(store.get(readKey) ?? [])];
      const written = [...(store.get(writeKey) ?? []), i];
      store.set(writeKey, written);
      history.push(tx(i, [read(readKey, seen), append(writeKey, i), read(writeKey, [...written])]));
    }
    // The graph search's work is metered in steps (TxCheckOptions.budget); 5 per transaction suffice.
    const result = checkTxHistory(history, { finalReads: store, budget: 5 * history.length });
    assert.equal(result.serializable, true, "answered within the budget, not unknown");
    assert.equal(result.txsChecked, 20_000);
    // The meter is real: a budget far below linear runs out and says so.
    const starved = checkTxHistory(history, { finalReads: store, budget: history.length / 10 });
    assert.equal(starved.serializable, "unknown");
    assert.deepEqual(starved.anomalies, []);
  });
});

interface SerialRun {
  readonly history: readonly TxRecord[];
  /** Each key's list after the run. */
  readonly store: ReadonlyMap<string, readonly number[]>;
  /** A permutation of the history's indexes. */
  readonly order: readonly number[];
}

const KEYS = ["a", "b", "c"] as const;

/**
 * Random transactions run one after another against an in-memory list store. fail: run, not applied;
 * info: applied or not at random, its reads unknown (null) as a client that timed out would record.
 */
function serialRuns(): fc.Arbitrary<SerialRun> {
  const plannedOp = fc.record({ isRead: fc.boolean(), key: fc.constantFrom(...KEYS) });
  const plannedTx = fc.record({
    ops: fc.array(plannedOp, { minLength: 1, maxLength: 5 }),
    status: fc.constantFrom<TxStatus>("ok", "ok", "ok", "ok", "fail", "info"),
    infoApplied: fc.boolean(),
    sortKey: fc.nat(),
  });
  return fc.array(plannedTx, { maxLength: 25 }).map((plans) => {
    const store = new Map<string, number[]>();
    let nextValue = 1;
    const history = plans.map((plan, index): TxRecord => {
      const scratch = new Map<string, number[]>(KEYS.map((key) => [key, [...(store.get(key) ?? [])]]));
      const ops = plan.ops.map(({ isRead, key }): TxMicroOp => {
        const list = scratch.get(key) ?? [];
        if (isRead) return read(key, plan.status === "info" ? null : [...list]);
        list.push(nextValue);
        return append(key, nextValue++);
      });
      const applied = plan.status === "ok" || (plan.status === "info" && plan.infoApplied);
      if (applied) for (const [key, list] of scratch) store.set(key, list);
      return tx(index + 1, ops, plan.status);
    });
    const order = plans.map((plan, index) => ({ index, sortKey: plan.sortKey }));
    order.sort((x, y) => x.sortKey - y.sortKey || x.index - y.index);
    return { history, store, order: order.map(({ index }) => index) };
  });
}

/** Indexes of reads that saw a non-empty list, before the transaction's first append to that key, which follows. */
function staleableReads(record: TxRecord): number[] {
  return record.ops.flatMap((op, i) => {
    if (op.f !== "r" || op.value === null || op.value.length === 0) return [];
    const before = record.ops.slice(0, i);
    const after = record.ops.slice(i + 1);
    const appendsBefore = before.some((o) => o.f === "append" && o.key === op.key);
    const appendsAfter = after.some((o) => o.f === "append" && o.key === op.key);
    return !appendsBefore && appendsAfter ? [i] : [];
  });
}
