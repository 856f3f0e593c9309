// Self-stabilisation of the relaxed ring (docs/relaxed-ring.md §7.3): over 200 seeds mixing joins,
// graceful leaves, crashes, message loss, jittered latency and link flaps (false suspicions), once the
// faults stop every run reaches a perfect ring, with no branch and no node left out and every successor
// list exact, and lookups are answered by the one responsible node. Crashes follow the simulator's
// default model (docs/simulator.md §3): each crashed node's in-flight messages are delivered or lost
// as the seed decides, so the sweep covers both.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { RingMembers } from "../../src/check/ring-members.js";
import { DEFAULT_OVERLAY } from "../../src/overlay/config.js";
import { perfectRingProblem, ringShape, staleSuccLists } from "../../src/overlay/ring-shape.js";
import type { LookupResult } from "../../src/overlay/ring-view.js";
import { runRing } from "../../src/sim/ring-harness.js";
import { relaxedRing } from "../../src/sim/ring-protocol.js";

const SEEDS = Array.from({ length: 200 }, (_, i) => i + 1);

function converge(seed: number) {
  const nodes = 12 + (seed % 13);
  const run = runRing(
    relaxedRing(),
    {
      seed,
      network: { latency: { kind: "lognormal", medianMs: 10, sigma: 0.9 }, loss: 0.01, duplicate: 0.005 },
    },
    {
      nodes,
      buildJoinGapMs: 50,
      settleMs: 5000,
      measureMs: 30_000,
      quietMs: 60_000,
      churn: { joins: 0.4, crashes: 0.25, leaves: 0.25 },
      lookupsPerSec: 5,
      connectivity: 1,
      linkFlapsPerSec: 0.3,
    },
  );
  return run;
}

describe("relaxed ring convergence", () => {
  it("reaches a perfect ring once faults stop, on every one of 200 seeds", () => {
    const failures: string[] = [];
    let flapsAndCrashes = 0;
    for (const seed of SEEDS) {
      const run = converge(seed);
      const live = run.liveViews();
      const problem = perfectRingProblem(live);
      const shape = ringShape(live.filter((v) => v.isMember));
      const staleLists = staleSuccLists(run.members.views(), DEFAULT_OVERLAY.succListSize);
      // A broken assertion or I1 stops the run and is recorded, not thrown (docs/simulator.md §5).
      if (run.sim.violations.length > 0) failures.push(`seed ${seed}: ${JSON.stringify(run.sim.violations)}`);
      else if (problem !== null) failures.push(`seed ${seed}: ${problem}`);
      else if (shape.branches !== 0 || shape.detached !== 0)
        failures.push(`seed ${seed}: ${JSON.stringify(shape)}`);
      else if (staleLists.length > 0)
        failures.push(`seed ${seed}: successor lists of ${staleLists.map((v) => v.self.addr).join(", ")}`);
      flapsAndCrashes += run.sim.stats.crashes;
    }
    assert.deepEqual(failures, []);
    assert.ok(flapsAndCrashes > 200, "the sweep injected crashes");
  });

  it("answers lookups consistently after convergence", () => {
    for (const seed of SEEDS.slice(0, 20)) {
      const run = converge(seed);
      const members = new RingMembers(run.sim.ids);
      for (const v of run.liveViews()) members.update(v, true);
      const results: (LookupResult | undefined)[] = [];
      const keys: bigint[] = [];
      for (let i = 0; i < 20; i++) {
        const from = run.sim.rng.pick(run.liveProcesses());
        const key = run.sim.ids.randomId(() => run.sim.rng.next());
        keys.push(key);
        run.sim.after(i * 10, () => from.lookup(key, (r) => (results[i] = r)));
      }
      run.sim.run(run.sim.nowMs + 15_000);
      assert.equal(results.filter((r) => r !== undefined).length, 20, `seed ${seed}`);
      results.forEach((r, i) => {
        assert.ok(r?.ok, `seed ${seed}: lookup ${i} failed`);
        const owners = members.responsibleFor(keys[i] as bigint);
        assert.equal(owners.length, 1);
        assert.equal(r.responsible.addr, owners[0]?.self.addr, `seed ${seed}: wrong owner`);
      });
    }
  });
});
