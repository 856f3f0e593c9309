// The store's and the transactions' invariants are checked while a kv or tx run goes on
// (docs/simulator.md §5). Each one is made to fire by a fault planted into an otherwise healthy run,
// which then stops with a violation of that name at (or after) the planting time; the same run without
// the plant holds every invariant.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  ONE_STATE_PER_VERSION,
  ONE_WRITE_PER_ROUND,
  ROUNDS_NEVER_BACK,
} from "../../src/check/store-invariants.js";
import { LOCKS_RELEASED, ONE_DECISION } from "../../src/check/tx-invariants.js";
import type { NodeRef } from "../../src/core/node-ref.js";
import type { NodeMessage, NodeTimer, SelfmanNode } from "../../src/node/selfman-node.js";
import type { Violation } from "../../src/sim/engine/simulator.js";
import { kvWorkload } from "../../src/sim/kv-workload.js";
import {
  type RingRunConfig,
  type RingRunContext,
  type RingWorkload,
  runRing,
} from "../../src/sim/ring-harness.js";
import { selfmanRing } from "../../src/sim/ring-protocol.js";
import type { Metrics } from "../../src/sim/scenario.js";
import { txWorkload } from "../../src/sim/tx-workload.js";
import type { StoredItem } from "../../src/store/item.js";
import { replicaIds } from "../../src/store/replicas.js";

type Ctx = RingRunContext<NodeMessage, NodeTimer>;

const ring = (measureMs: number): RingRunConfig => ({
  nodes: 16,
  buildJoinGapMs: 100,
  settleMs: 15_000,
  measureMs,
  quietMs: 10_000,
  churn: { joins: 0, crashes: 0, leaves: 0 },
  lookupsPerSec: 0,
  connectivity: 1,
});

const kv = () => kvWorkload({ clients: 5, keys: 5, replication: 4, clientTimeoutMs: 15_000, thinkMs: 20 });
const tx = (lockReleaseBoundMs = 60_000) =>
  txWorkload({
    clients: 5,
    keys: 8,
    replication: 4,
    clientTimeoutMs: 40_000,
    thinkMs: 20,
    tmCrash: 0,
    tmCrashWindowMs: 80,
    partitionEverySec: 0,
    partitionMs: 0,
    constantLatencyMs: 10,
    lockReleaseBoundMs,
  });

/** `inner`, plus `plant` run `afterMs` into the measure phase. */
function planted<W extends Metrics>(
  inner: RingWorkload<NodeMessage, NodeTimer, W>,
  afterMs: number,
  plant: (ctx: Ctx) => void,
): RingWorkload<NodeMessage, NodeTimer, W> {
  return {
    start(ctx) {
      inner.start(ctx);
      ctx.sim.after(afterMs, () => plant(ctx));
    },
    metrics: (ctx) => inner.metrics(ctx),
  };
}

function run<W extends Metrics>(
  seed: number,
  measureMs: number,
  workload: RingWorkload<NodeMessage, NodeTimer, W>,
  crashDelivery?: number,
) {
  return runRing(
    selfmanRing(),
    crashDelivery === undefined ? { seed } : { seed, crashDelivery },
    ring(measureMs),
    () => {},
    () => {},
    workload,
  );
}

const nodes = (ctx: Ctx) =>
  ctx.sim.nodes.flatMap((n) => (ctx.processOf(n.index) as SelfmanNode | null) ?? []);

/** The owner of `replicaId` and its copy of `key`. */
function ownerCopy(ctx: Ctx, replicaId: bigint, key: string): { node: SelfmanNode; item: StoredItem } | null {
  for (const node of nodes(ctx)) {
    if (!node.ring.owns(replicaId)) continue;
    const item = node.port.get(replicaId, key);
    if (item !== undefined) return { node, item };
  }
  return null;
}

function firstViolation(violations: readonly Violation[], name: string, notBeforeMs: number): Violation {
  const found = violations.find((v) => v.invariant === name);
  assert.ok(found, `expected "${name}", got ${JSON.stringify(violations)}`);
  assert.ok(found.atMs >= notBeforeMs, `at ${found.atMs} ms, planted at ${notBeforeMs} ms`);
  return found;
}

describe("continuous store invariants", () => {
  it("hold on a healthy kv run and a healthy tx run", () => {
    assert.deepEqual(run(3, 20_000, kv()).sim.violations, []);
    assert.deepEqual(run(3, 20_000, tx()).sim.violations, []);
  });

  for (const [name, change, pattern] of [
    [ROUNDS_NEVER_BACK, "forgets its promise", /promise \(readRound\) \d+\.\d+ -> 0\.0/],
    [
      ONE_WRITE_PER_ROUND,
      "changes its write without a new round",
      /at writeRound \d+\.\d+, version \d+ -> \d+/,
    ],
  ] as const) {
    it(`"${name}" fires when a replica ${change}`, () => {
      let plantedAtMs = -1;
      const result = run(
        3,
        20_000,
        planted(kv(), 5000, (ctx) => {
          for (const node of nodes(ctx)) {
            const item = node.port.range(0n, 0n).find((i) => i.version >= 2);
            if (item === undefined) continue;
            const zero = { counter: 0, proposer: 0 };
            node.port.put(
              name === ROUNDS_NEVER_BACK
                ? { ...item, readRound: zero }
                : { ...item, version: item.version - 1 },
            );
            plantedAtMs = ctx.sim.nowMs;
            return;
          }
        }),
      );
      assert.ok(plantedAtMs > 0, "a replica was planted");
      const v = firstViolation(result.sim.violations, name, plantedAtMs);
      assert.match(v.message, pattern);
      assert.equal(result.sim.isStopped, true, "the run stops at the violation");
    });
  }

  it(`"${ONE_STATE_PER_VERSION}" fires when a version is rewritten with another value`, () => {
    let plantedAtMs = -1;
    const result = run(
      4,
      20_000,
      planted(kv(), 5000, (ctx) => {
        // A buggy write that keeps the version: every replica of every key gets a new value, same
        // version. (Every key, so that some key is read before its next write moves it on.)
        for (const key of ["key-0", "key-1", "key-2", "key-3", "key-4"])
          for (const id of replicaIds(ctx.sim.ids, 4, key)) {
            const copy = ownerCopy(ctx, id, key);
            if (copy === null) continue;
            const round = { counter: copy.item.writeRound.counter + 1000, proposer: 0 };
            copy.node.port.put({ ...copy.item, value: -42, writeRound: round, readRound: round });
          }
        plantedAtMs = ctx.sim.nowMs;
      }),
    );
    const v = firstViolation(result.sim.violations, ONE_STATE_PER_VERSION, plantedAtMs);
    assert.match(v.message, /key "key-\d" version \d+: answered as .* and as \[true,-42\]/);
  });
});

describe("continuous transaction invariants", () => {
  it(`"${ONE_DECISION}" fires when a node announces the other decision`, () => {
    let plantedAtMs = -1;
    const result = run(
      5,
      20_000,
      planted(tx(), 0, (ctx) => {
        ctx.sim.observe({
          onSend: (from, to, msg) => {
            if (plantedAtMs >= 0 || msg.type !== "txDecided") return;
            plantedAtMs = ctx.sim.nowMs;
            // The same sender says the opposite a moment later (a planted bug in a decider).
            ctx.sim.after(1, () =>
              ctx.sim.send(from.index, from.ref, to, {
                type: "txDecided",
                tid: msg.tid,
                commit: !msg.commit,
              }),
            );
          },
        });
      }),
    );
    const v = firstViolation(result.sim.violations, ONE_DECISION, plantedAtMs);
    assert.match(v.message, /said (commit|abort) at [\d.]+ ms, node \d+ \(txDecided\) says (abort|commit)/);
  });

  it(`"${LOCKS_RELEASED}" fires when an owner keeps a decided transaction's lock`, () => {
    const boundMs = 15_000;
    let decided: { tid: string; key: string; replicaId: bigint } | null = null;
    let stuckSinceMs = -1;
    const result = run(
      6,
      60_000,
      planted(tx(boundMs), 0, (ctx) => {
        ctx.sim.observe({
          onSend: (_from, _to, msg) => {
            if (decided === null && msg.type === "txFinal" && msg.commit)
              decided = { tid: msg.tid, key: msg.key, replicaId: msg.replicaId };
          },
        });
        // A TP that never lets go: once a second, the owner's copy gets the decided lock back.
        ctx.sim.every(1000, ctx.endMs, () => {
          if (decided === null) return;
          const copy = ownerCopy(ctx, decided.replicaId, decided.key);
          if (copy === null || copy.item.locks.some((l) => l.tid === decided?.tid)) return;
          if (stuckSinceMs < 0) stuckSinceMs = ctx.sim.nowMs;
          const acceptors = nodes(ctx).map((n) => n.self);
          copy.node.port.put({
            ...copy.item,
            locks: [
              ...copy.item.locks,
              {
                tid: decided.tid,
                kind: "read",
                version: copy.item.version,
                round: copy.item.readRound,
                value: null,
                tombstone: false,
                acceptors,
              },
            ],
          });
        });
      }),
    );
    assert.ok(stuckSinceMs > 0, "a lock was planted");
    const v = firstViolation(result.sim.violations, LOCKS_RELEASED, stuckSinceMs + boundMs - 1000);
    assert.match(v.message, /holds a read lock of .* decided at [\d.]+ ms/);
  });

  it(`"${LOCKS_RELEASED}" does not judge a lock whose outcome no live node can tell`, () => {
    // The decider crashes as it decides, its `txDecided` and `txFinal` dying with it, and a second acceptor
    // crashes with it: the two left never heard the outcome and cannot find it (a ballot needs three), so
    // the locks stay by design (docs/transactions.md §11) and the check must not count them.
    const acceptorsOf = new Map<string, readonly NodeRef[]>();
    let blocked: string | null = null;
    const result = run(
      6,
      60_000,
      planted(tx(15_000), 0, (ctx) => {
        ctx.sim.observe({
          onSend: (from, _to, msg) => {
            if (msg.type === "txInit") acceptorsOf.set(msg.tid, msg.acceptors);
            if (blocked !== null || msg.type !== "txFinal" || !msg.commit) return;
            const other = acceptorsOf.get(msg.tid)?.find((a) => a.addr !== from.addr);
            if (other === undefined) return;
            blocked = msg.tid;
            ctx.sim.after(0, () => {
              ctx.sim.crash(from.index);
              const second = ctx.sim.nodeByAddr(other.addr);
              if (second !== undefined) ctx.sim.crash(second.index);
            });
          },
        });
      }),
      0, // a crash drops everything its node had in flight
    );
    assert.ok(blocked !== null, "a decider was crashed");
    const left = result.sim.nodes.flatMap((n) => {
      const node = result.sim.processOf(n.index) as SelfmanNode | null;
      return node === null
        ? []
        : node.port.range(0n, 0n).flatMap((i) => i.locks.filter((l) => l.tid === blocked));
    });
    assert.ok(left.length > 0, "its locks are still held at the end");
    assert.deepEqual(
      result.sim.violations.filter((v) => v.invariant === LOCKS_RELEASED),
      [],
    );
  });
});
