// The replicated store in the simulator (docs/replication.md §7, docs/register.md §5.1): without faults every
// operation succeeds and every key's history is linearizable; under churn and loss no acknowledged write is
// lost and histories stay linearizable; and when a majority of a key's replicas is gone, operations on it
// fail with a clear error — never a stale answer.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { NodeMessage, NodeTimer, SelfmanNode } from "../../src/node/selfman-node.js";
import { kvWorkload } from "../../src/sim/kv-workload.js";
import { type RingRunConfig, type RingWorkload, runRing } from "../../src/sim/ring-harness.js";
import { selfmanRing } from "../../src/sim/ring-protocol.js";
import type { KvResult } from "../../src/store/kv-proposer.js";
import { replicaIds } from "../../src/store/replicas.js";

const config = (
  nodes: number,
  measureMs: number,
  churn = { joins: 0, crashes: 0, leaves: 0 },
): RingRunConfig => ({
  nodes,
  buildJoinGapMs: 100,
  settleMs: 20_000,
  measureMs,
  quietMs: 30_000,
  churn,
  lookupsPerSec: 0,
  connectivity: 1,
});

const workload = (clients: number) =>
  kvWorkload({ clients, keys: 10, replication: 4, clientTimeoutMs: 15_000, thinkMs: 20 });

describe("replicated store (simulated)", () => {
  it("answers every operation, linearizably, when nothing fails", () => {
    const run = runRing(
      selfmanRing(),
      { seed: 11 },
      config(40, 30_000),
      () => {},
      () => {},
      workload(5),
    );
    const m = run.metrics();
    assert.ok((m.ops as number) > 1000, `ops ${m.ops}`);
    assert.equal(m.failedOps, 0);
    assert.equal(m.okOps, m.ops);
    assert.equal(m.linearizable, true);
    assert.equal(m.keysBeyondTolerance, 0);
    assert.equal(m.lostAcknowledgedWrites, 0);
  });

  it("loses no acknowledged write and stays linearizable under churn and loss", () => {
    for (const seed of [1, 2, 3]) {
      const run = runRing(
        selfmanRing(),
        { seed, network: { loss: 0.01 } },
        config(60, 60_000, { joins: 1, crashes: 0.3, leaves: 0.3 }),
        () => {},
        () => {},
        workload(10),
      );
      const m = run.metrics();
      assert.equal(m.lostAcknowledgedWrites, 0, `seed ${seed}`);
      assert.equal(m.linearizable, true, `seed ${seed}`);
      assert.ok((m.okOps as number) > 0, `seed ${seed}`);
    }
  });

  it("fails with a clear error, never a stale value, once a majority of a key's replicas is gone", () => {
    const results: KvResult[] = [];
    let written = -1;
    const chaos: RingWorkload<NodeMessage, NodeTimer> = {
      start(ctx) {
        const live = () => ctx.members.views() as unknown as SelfmanNode[];
        const client = live()[0] as SelfmanNode;
        client.put("doomed", 1, () => {
          client.put("doomed", 2, (r) => {
            written = r.ok ? 2 : -1;
            // crash the owners of three of its four replicas (not the client's node)
            const ids = replicaIds(ctx.sim.ids, 4, "doomed");
            const owners = ids.slice(1).map((id) => live().find((n) => n.ring.owns(id)));
            for (const owner of owners) {
              const index = owner === undefined ? undefined : ctx.sim.nodeByAddr(owner.self.addr)?.index;
              if (index !== undefined && owner !== client) ctx.sim.crash(index);
            }
            ctx.sim.after(20_000, () => {
              const asker = live().find((n) => n.isMember) as SelfmanNode;
              for (let i = 0; i < 3; i++) asker.get("doomed", (res) => results.push(res));
              asker.put("doomed", 3, (res) => results.push(res));
            });
          });
        });
      },
      metrics: () => ({}),
    };
    runRing(
      selfmanRing(),
      { seed: 5 },
      config(16, 40_000),
      () => {},
      () => {},
      chaos,
    );
    assert.equal(written, 2, "the key was written before the crashes");
    assert.equal(results.length, 4, "every operation was answered");
    for (const r of results) {
      assert.equal(r.ok, false, `answered ${JSON.stringify(r)}`);
      if (!r.ok) assert.ok(r.code === "unavailable" || r.code === "timeout", r.message);
    }
  });
});
