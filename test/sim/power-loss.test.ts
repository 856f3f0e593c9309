// The power-loss fault (docs/simulator.md §3): a simulated disk rolled back by a power cut holds exactly
// what was there at its last sync, whatever was written, deleted and claimed since; and the replicated
// store under power cuts (a node syncs before each send, as `--durability sync` does live) stays
// linearizable with no acknowledged write lost, in both durabilities.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { IdSpace } from "../../src/core/id-space.js";
import { JournaledStorePort } from "../../src/sim/journaled-store.js";
import { resolveParams, runScenario } from "../../src/sim/run-scenario.js";
import { kv } from "../../src/sim/scenarios/kv.js";
import { emptyItem, type StoredItem } from "../../src/store/item.js";

const ids = new IdSpace(16);

type Op =
  | { readonly kind: "put"; readonly slot: number; readonly version: number }
  | { readonly kind: "delete"; readonly slot: number }
  | { readonly kind: "claim"; readonly to: number | null }
  | { readonly kind: "sync" };

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant("put" as const), slot: fc.nat(5), version: fc.nat(100) }),
  fc.record({ kind: fc.constant("delete" as const), slot: fc.nat(5) }),
  fc.record({ kind: fc.constant("claim" as const), to: fc.option(fc.nat(1000), { nil: null }) }),
  fc.constant({ kind: "sync" as const }),
);

const itemAt = (slot: number, version: number): StoredItem => ({
  ...emptyItem(`k${slot}`, BigInt(slot * 7)),
  version,
});

/** The disk as a comparable value: items by slot, and the claim. */
function view(disk: { items: readonly StoredItem[]; range: { from: bigint; to: bigint } | null }) {
  return {
    items: [...disk.items].map((i) => `${i.key}@${i.version}`).sort(),
    range: disk.range === null ? null : `${disk.range.from}-${disk.range.to}`,
  };
}

describe("JournaledStorePort", () => {
  it("a power cut leaves exactly the disk of the last sync", () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
        const port = new JournaledStorePort(ids);
        let synced = view(port.afterPowerLoss());
        for (const o of ops) {
          if (o.kind === "put") port.put(itemAt(o.slot, o.version));
          else if (o.kind === "delete") port.delete(BigInt(o.slot * 7), `k${o.slot}`);
          else if (o.kind === "claim")
            port.recordRange(o.to === null ? null : { from: 0n, to: BigInt(o.to) });
          else {
            port.sync();
            synced = view(port.afterPowerLoss());
          }
          assert.deepEqual(view(port.afterPowerLoss()), synced);
        }
      }),
    );
  });

  it("boots from a disk, trusting its claim only if told to", () => {
    const disk = { items: [itemAt(1, 3)], range: { from: 5n, to: 9n } };
    const trusted = new JournaledStorePort(ids, disk, true);
    const untrusted = new JournaledStorePort(ids, disk, false);
    assert.equal(trusted.get(7n, "k1")?.version, 3);
    assert.equal(untrusted.get(7n, "k1")?.version, 3);
    assert.deepEqual(trusted.previousRange, { from: 5n, to: 9n });
    assert.equal(untrusted.previousRange, null);
    assert.equal(untrusted.restored, true);
  });
});

describe("sim kv with power cuts", () => {
  for (const durability of ["sync", "process"] as const) {
    it(`--durability ${durability}: linearizable, no acknowledged write lost`, () => {
      const outcome = runScenario(
        kv,
        resolveParams(kv, { nodes: 16, seed: 7, duration: 90, powerLoss: 0.2, durability }),
      );
      const m = outcome.metrics as {
        powerLosses: number;
        linearizable: boolean;
        lostAcknowledgedWrites: number;
      };
      assert.ok(m.powerLosses > 5, `only ${m.powerLosses} power cuts`);
      assert.equal(m.linearizable, true);
      assert.equal(m.lostAcknowledgedWrites, 0);
      assert.deepEqual(outcome.violations, []);
    });
  }
});
