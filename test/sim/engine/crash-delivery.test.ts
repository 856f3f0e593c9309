// What a crash does to messages in flight (docs/simulator.md §3): those to the crashed incarnation are
// dropped; those it sent are all delivered or all dropped, as one draw of the simulator's own stream
// decides at each crash, with probability crashDelivery (TCP delivers what a dead process wrote; a
// machine crash or a connection reset loses it). A run without crashes draws nothing for it, so its
// trace does not depend on the knob.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DEFAULT_CRASH_DELIVERY, Simulator } from "../../../src/sim/engine/simulator.js";
import { Probe, type ProbeMessage, type ProbeTimer, sendProbes } from "../../helpers/probe.js";

const SEEDS = Array.from({ length: 200 }, (_, i) => i + 1);

function world(seed: number, crashDelivery?: number) {
  const sim = new Simulator<ProbeMessage, ProbeTimer>({
    seed,
    network: { latency: { kind: "constant", ms: 100 } },
    ...(crashDelivery === undefined ? {} : { crashDelivery }),
  });
  for (let i = 0; i < 3; i++) sim.addNode((env) => new Probe(env));
  const probe = (i: number) => {
    const p = sim.nodeAt(i).process;
    if (!(p instanceof Probe)) throw new Error(`node ${i} is down`);
    return p;
  };
  return { sim, probe };
}

/** Node 0 sends 20 probes to node 1 and node 2 sends 20 to node 0 in the first 40 ms; 0 crashes at 50 ms. */
function crashWithMessagesInFlight(seed: number, crashDelivery?: number) {
  const ctx = world(seed, crashDelivery);
  sendProbes(ctx, 0, 1, 20, 2);
  sendProbes(ctx, 2, 0, 20, 2);
  ctx.sim.at(50, () => ctx.sim.crash(0));
  ctx.sim.run(1000);
  return { delivered: ctx.probe(1).received.length, sim: ctx.sim };
}

describe("in-flight messages of a crashed incarnation", () => {
  it("are all delivered or all dropped, per crash, about crashDelivery of the time", () => {
    let deliveredRuns = 0;
    for (const seed of SEEDS) {
      const { delivered, sim } = crashWithMessagesInFlight(seed);
      assert.ok(delivered === 0 || delivered === 20, `seed ${seed}: ${delivered} of 20`);
      assert.equal(sim.stats.dropped["src-down"], 20 - delivered, `seed ${seed}`);
      assert.equal(sim.stats.dropped["dest-down"], 20, `seed ${seed}: messages to the dead are lost`);
      if (delivered === 20) deliveredRuns++;
    }
    const p = DEFAULT_CRASH_DELIVERY;
    const sigma = Math.sqrt((p * (1 - p)) / SEEDS.length);
    assert.ok(Math.abs(deliveredRuns / SEEDS.length - p) < 4 * sigma, `${deliveredRuns} of ${SEEDS.length}`);
  });

  it("crashDelivery 0 drops them all and 1 delivers them all; the sender's old ref comes with them", () => {
    for (const seed of SEEDS.slice(0, 20)) {
      assert.equal(crashWithMessagesInFlight(seed, 0).delivered, 0);
      const ctx = world(seed, 1);
      const oldRef = ctx.sim.nodeAt(0).ref;
      sendProbes(ctx, 0, 1, 5, 2);
      ctx.sim.at(50, () => ctx.sim.crash(0));
      ctx.sim.at(60, () => ctx.sim.restart(0));
      ctx.sim.run(1000);
      const got = ctx.probe(1).received;
      assert.equal(got.length, 5);
      assert.ok(
        got.every((r) => r.from.nonce === oldRef.nonce && r.at > 60),
        "from the old incarnation",
      );
    }
  });

  it("is decided by the simulator's stream: a run without crashes has the same trace whatever the knob", () => {
    for (const seed of SEEDS.slice(0, 10)) {
      const hashes = [0, 0.5, 1].map((p) => {
        const ctx = world(seed, p);
        sendProbes(ctx, 0, 1, 50, 1);
        sendProbes(ctx, 1, 2, 50, 1);
        ctx.sim.run(1000);
        return ctx.sim.trace.hex();
      });
      assert.equal(new Set(hashes).size, 1, `seed ${seed}: ${hashes.join(" ")}`);
    }
    assert.throws(() => new Simulator({ seed: 1, crashDelivery: 1.5 }), /crashDelivery/);
  });

  it("a process that exits on its own (after a graceful leave) delivers all it sent, and the seed draws nothing", () => {
    for (const seed of SEEDS.slice(0, 20)) {
      const hashes = [0, 1].map((p) => {
        const ctx = world(seed, p);
        sendProbes(ctx, 0, 1, 20, 2);
        sendProbes(ctx, 2, 0, 20, 2);
        ctx.sim.at(50, () => ctx.sim.exit(0));
        ctx.sim.run(1000);
        assert.equal(ctx.probe(1).received.length, 20, `seed ${seed}: all it sent`);
        assert.equal(ctx.sim.stats.dropped["dest-down"], 20, `seed ${seed}: messages to it are lost`);
        assert.deepEqual([ctx.sim.stats.crashes, ctx.sim.stats.stops], [0, 1]);
        return ctx.sim.trace.hex();
      });
      assert.equal(hashes[0], hashes[1], `seed ${seed}: no draw`);
    }
  });
});
