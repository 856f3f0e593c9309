// One seed decides everything (docs/simulator.md §6): the same seed gives the same trace hash, in this
// process and in a fresh one; different seeds give different hashes. Swept over 20 seeds of a
// scenario with loss, duplication, partitions, cut links and crash/restart, with BUGGIFY on.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { describe, it } from "node:test";
import { resolveParams, runScenario } from "../../../src/sim/run-scenario.js";
import { netChaos } from "../../../src/sim/scenarios/net-chaos.js";

const SEEDS = Array.from({ length: 20 }, (_, i) => 1000 + i * 7919);

function chaosRun(seed: number) {
  return runScenario(netChaos, resolveParams(netChaos, { seed, nodes: 24, duration: 40, buggify: true }));
}

describe("determinism", () => {
  const first = new Map<number, string>();

  it("replays every seed to the same trace hash, and every run holds its invariants", () => {
    for (const seed of SEEDS) {
      const a = chaosRun(seed);
      const b = chaosRun(seed);
      assert.equal(a.traceHash, b.traceHash, `seed ${seed}`);
      assert.deepEqual(a.metrics, b.metrics, `seed ${seed}`);
      assert.ok(a.ok, `seed ${seed}: ${JSON.stringify(a.violations)}`);
      assert.ok(
        (a.metrics.crashes as number) > 0 && (a.metrics.partitions as number) > 0,
        "faults were injected",
      );
      assert.ok((a.metrics.droppedLoss as number) > 0, "messages were lost");
      first.set(seed, a.traceHash);
    }
  });

  it("gives different seeds different hashes", () => {
    assert.equal(new Set(first.values()).size, SEEDS.length);
  });

  it("reproduces the hash in a fresh process, through the CLI", () => {
    const seed = SEEDS[3] as number;
    const out = execFileSync(
      "./bin/selfman",
      [
        "sim",
        "net-chaos",
        "--seed",
        String(seed),
        "--nodes",
        "24",
        "--duration",
        "40",
        "--buggify",
        "--json",
      ],
      { encoding: "utf8" },
    );
    assert.equal(JSON.parse(out).traceHash, first.get(seed));
  });
});
