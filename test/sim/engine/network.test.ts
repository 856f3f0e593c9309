// The network model's promises, checked statistically over seed sweeps (docs/simulator.md §2–§3).
// What a crashed sender had in flight is covered in crash-delivery.test.ts.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { LatencySpec } from "../../../src/sim/engine/latency.js";
import { probeSim, sendProbes } from "../../helpers/probe.js";

const SEEDS = Array.from({ length: 20 }, (_, i) => i + 1);

describe("simulated network", () => {
  it("loses messages at the configured rate (20 seeds, within 4σ)", () => {
    const loss = 0.1;
    const perSeed = 2000;
    let delivered = 0;
    for (const seed of SEEDS) {
      const ctx = probeSim(seed, 2, { loss });
      sendProbes(ctx, 0, 1, perSeed);
      ctx.sim.run(perSeed + 100);
      delivered += ctx.probe(1).received.length;
      assert.equal(ctx.sim.stats.dropped.loss + ctx.probe(1).received.length, perSeed);
    }
    const total = perSeed * SEEDS.length;
    const observed = 1 - delivered / total;
    const sigma = Math.sqrt((loss * (1 - loss)) / total);
    assert.ok(Math.abs(observed - loss) < 4 * sigma, `observed loss ${observed} vs ${loss} (σ ${sigma})`);
  });

  it("delays by the configured distributions: constant, uniform, log-normal", () => {
    const delays = (seed: number, latency: LatencySpec) => {
      const ctx = probeSim(seed, 2, { latency, fifo: false });
      sendProbes(ctx, 0, 1, 1000);
      ctx.sim.run(100_000);
      return ctx.probe(1).received.map((r) => r.at - r.msg.sentAt);
    };
    for (const seed of SEEDS.slice(0, 5)) {
      assert.ok(delays(seed, { kind: "constant", ms: 7 }).every((d) => d === 7));
      const uniform = delays(seed, { kind: "uniform", minMs: 5, maxMs: 15 });
      assert.ok(uniform.every((d) => d >= 5 && d < 15));
      const mean = uniform.reduce((a, b) => a + b, 0) / uniform.length;
      assert.ok(Math.abs(mean - 10) < 0.4, `uniform mean ${mean}`);
      const logn = delays(seed, { kind: "lognormal", medianMs: 20, sigma: 0.5 }).sort((a, b) => a - b);
      const median = logn[logn.length >> 1] ?? 0;
      assert.ok(Math.abs(median - 20) < 1.5, `log-normal median ${median}`);
      const p90 = logn[Math.floor(logn.length * 0.9)] ?? 0;
      assert.ok(Math.abs(p90 - 20 * Math.exp(0.5 * 1.2816)) < 3, `log-normal p90 ${p90}`);
    }
  });

  it("keeps each link FIFO under jitter unless told otherwise", () => {
    for (const seed of SEEDS) {
      const ctx = probeSim(seed, 2, { latency: { kind: "uniform", minMs: 1, maxMs: 50 }, jitterMs: 20 });
      sendProbes(ctx, 0, 1, 300);
      ctx.sim.run(10_000);
      const order = ctx.probe(1).received.map((r) => r.msg.n);
      assert.deepEqual(
        order,
        [...order].sort((a, b) => a - b),
      );
    }
  });

  it("lets no message cross a partition, even one that starts while it is in flight", () => {
    for (const seed of SEEDS) {
      const ctx = probeSim(seed, 6, { latency: { kind: "uniform", minMs: 1, maxMs: 30 } });
      const { sim } = ctx;
      for (let a = 0; a < 6; a++) for (let b = 0; b < 6; b++) if (a !== b) sendProbes(ctx, a, b, 200, 5);
      const sideOf = [0, 0, 0, 1, 1, 1];
      const windows: [number, number][] = [];
      const split = 100 + sim.rng.int(300);
      sim.at(split, () =>
        sim.partition([
          [0, 1, 2],
          [3, 4, 5],
        ]),
      );
      sim.at(split + 400, () => sim.heal());
      windows.push([split, split + 400]);
      sim.run(2000);
      for (let b = 0; b < 6; b++) {
        for (const r of ctx.probe(b).received) {
          const a = sim.nodeByAddr(r.from.addr)?.index ?? -1;
          const inWindow = windows.some(([s, e]) => r.at >= s && r.at < e);
          if (inWindow) assert.equal(sideOf[a], sideOf[b], `seed ${seed}: ${a}→${b} crossed at ${r.at}`);
        }
      }
      assert.ok(sim.stats.dropped.partition > 0, "the partition dropped something");
      assert.ok(sim.stats.delivered > 0);
    }
  });

  it("cuts links one way only (asymmetric)", () => {
    for (const seed of SEEDS) {
      const ctx = probeSim(seed, 2);
      ctx.sim.net.cut(0, 1);
      sendProbes(ctx, 0, 1, 50);
      sendProbes(ctx, 1, 0, 50);
      ctx.sim.run(1000);
      assert.equal(ctx.probe(1).received.length, 0);
      assert.equal(ctx.probe(0).received.length, 50);
      ctx.sim.net.restore(0, 1);
      sendProbes(ctx, 0, 1, 50);
      ctx.sim.run(2000);
      assert.equal(ctx.probe(1).received.length, 50);
    }
  });

  it("lets nothing reach a crashed node nor be sent by it, and a restart gets a new nonce", () => {
    for (const seed of SEEDS) {
      const ctx = probeSim(seed, 3, { latency: { kind: "uniform", minMs: 1, maxMs: 20 } });
      const { sim } = ctx;
      const before = sim.nodeAt(1).ref;
      let crashedAt = -1;
      let restartedAt = -1;
      const bad: string[] = [];
      sim.observe({
        onDeliver(_from, to) {
          if (to.index === 1 && sim.nowMs >= crashedAt && sim.nowMs < restartedAt)
            bad.push(`into 1 at ${sim.nowMs}`);
        },
        onSend(from) {
          if (!from.alive) bad.push(`send by dead ${from.index}`);
        },
      });
      for (const [a, b] of [
        [0, 1],
        [1, 0],
        [2, 1],
        [1, 2],
      ] as const)
        sendProbes(ctx, a, b, 300, 2);
      crashedAt = 100 + sim.rng.int(200);
      restartedAt = crashedAt + 200;
      sim.at(crashedAt, () => sim.crash(1));
      sim.at(restartedAt, () => sim.restart(1));
      sim.run(2000);
      assert.deepEqual(bad, []);
      assert.ok(sim.stats.dropped["dest-down"] > 0);
      const after = sim.nodeAt(1).ref;
      assert.equal(after.id, before.id);
      assert.equal(after.addr, before.addr);
      assert.notEqual(after.nonce, before.nonce);
      assert.ok(
        ctx.probe(1).received.every((r) => r.at >= restartedAt),
        "the new incarnation got only post-restart messages",
      );
    }
  });

  it("duplicates messages at the configured rate", () => {
    const ctx = probeSim(3, 2, { duplicate: 0.2 });
    sendProbes(ctx, 0, 1, 5000);
    ctx.sim.run(10_000);
    const extra = ctx.probe(1).received.length - 5000;
    assert.equal(extra, ctx.sim.stats.duplicated);
    assert.ok(Math.abs(extra / 5000 - 0.2) < 0.03, `duplicate rate ${extra / 5000}`);
  });
});
