// The Chord baseline in the simulator: joins one at a time through random members converge to the perfect
// ring, lookups find the true successor of the key, and the ring heals after crashes and graceful leaves.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { RingId } from "../../src/core/id-space.js";
import type { ChordMessage, ChordTimer } from "../../src/overlay/chord/chord-messages.js";
import { ChordNode, DEFAULT_CHORD } from "../../src/overlay/chord/chord-node.js";
import type { LookupResult } from "../../src/overlay/ring-view.js";
import { type SimNode, Simulator } from "../../src/sim/engine/simulator.js";

const SEEDS = [1, 2, 3, 4, 5];
const JOINERS = 60;
const JOIN_GAP_MS = 200;
const SETTLE_MS = 60_000;

type ChordSim = Simulator<ChordMessage, ChordTimer>;

function chordOf(node: SimNode<ChordMessage, ChordTimer>): ChordNode {
  const p = node.process;
  if (!(p instanceof ChordNode)) throw new Error(`node ${node.index} runs no Chord node (crashed?)`);
  return p;
}

function members(sim: ChordSim): SimNode<ChordMessage, ChordTimer>[] {
  return sim.liveNodes().filter((n) => chordOf(n).isMember);
}

/** One node, then JOINERS more, one every JOIN_GAP_MS, each through a random member; then SETTLE_MS. */
function buildRing(seed: number, idBits?: number): ChordSim {
  const sim: ChordSim = new Simulator(idBits === undefined ? { seed } : { seed, idBits });
  sim.addNode((env) => new ChordNode(env, DEFAULT_CHORD, sim.ids, null));
  for (let i = 1; i <= JOINERS; i++) {
    sim.at(i * JOIN_GAP_MS, () => {
      const live = members(sim);
      const access = live[sim.rng.int(live.length)] ?? sim.nodeAt(0);
      sim.addNode((env) => new ChordNode(env, DEFAULT_CHORD, sim.ids, access.ref));
    });
  }
  sim.run(JOINERS * JOIN_GAP_MS + SETTLE_MS);
  return sim;
}

/** Null when every live node is a member whose succ is the next live id and pred the previous one. */
function ringProblem(sim: ChordSim): string | null {
  const live = sim.liveNodes().sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  for (let i = 0; i < live.length; i++) {
    const node = live[i] as SimNode<ChordMessage, ChordTimer>;
    const next = live[(i + 1) % live.length] as SimNode<ChordMessage, ChordTimer>;
    const prev = live[(i - 1 + live.length) % live.length] as SimNode<ChordMessage, ChordTimer>;
    const chord = chordOf(node);
    if (!chord.isMember) return `node ${node.index} is not a member`;
    if (chord.succ?.addr !== next.addr)
      return `node ${node.index}: succ ${chord.succ?.addr}, not ${next.addr}`;
    if (chord.pred?.addr !== prev.addr)
      return `node ${node.index}: pred ${chord.pred?.addr}, not ${prev.addr}`;
  }
  return null;
}

/** The first live node at or clockwise after `key`. */
function trueSuccessor(sim: ChordSim, key: RingId): string {
  let best: SimNode<ChordMessage, ChordTimer> | null = null;
  for (const node of sim.liveNodes()) {
    if (best === null || sim.ids.dist(key, node.id) < sim.ids.dist(key, best.id)) best = node;
  }
  if (best === null) throw new Error("no live node");
  return best.addr;
}

function crashRandom(sim: ChordSim, count: number): void {
  for (let i = 0; i < count; i++) {
    const live = sim.liveNodes();
    const victim = live[sim.rng.int(live.length)];
    if (victim !== undefined) sim.crash(victim.index);
  }
}

describe("Chord baseline", () => {
  it("builds the perfect ring from 61 joins through random members (5 seeds)", () => {
    for (const seed of SEEDS) {
      const sim = buildRing(seed);
      assert.equal(members(sim).length, JOINERS + 1, `seed ${seed}`);
      assert.equal(ringProblem(sim), null, `seed ${seed}`);
    }
  });

  it("answers 200 lookups from random nodes with the true successor of the key (5 seeds)", () => {
    for (const seed of SEEDS) {
      const sim = buildRing(seed, 32);
      const results: { key: RingId; result: LookupResult }[] = [];
      for (let i = 0; i < 200; i++) {
        sim.after(i * 10, () => {
          const live = members(sim);
          const from = live[sim.rng.int(live.length)];
          const key = sim.ids.randomId(() => sim.rng.next());
          if (from !== undefined) chordOf(from).lookup(key, (result) => results.push({ key, result }));
        });
      }
      sim.run(sim.nowMs + 2000 + DEFAULT_CHORD.lookupTimeoutMs);
      assert.equal(results.length, 200, `seed ${seed}`);
      for (const { key, result } of results) {
        assert.ok(result.ok, `seed ${seed}: lookup of ${key} failed`);
        assert.equal(result.responsible.addr, trueSuccessor(sim, key), `seed ${seed}: key ${key}`);
        assert.ok(result.hops >= 0 && result.hops < 20, `seed ${seed}: ${result.hops} hops`);
      }
    }
  });

  it("is the perfect ring again 60 s after 5 random crashes (5 seeds)", () => {
    for (const seed of SEEDS) {
      const sim = buildRing(seed);
      crashRandom(sim, 5);
      sim.run(sim.nowMs + SETTLE_MS);
      assert.equal(sim.liveNodes().length, JOINERS + 1 - 5);
      assert.equal(ringProblem(sim), null, `seed ${seed}`);
    }
  });

  it("is the perfect ring again after 5 graceful leaves (5 seeds)", () => {
    for (const seed of SEEDS) {
      const sim = buildRing(seed);
      for (let i = 0; i < 5; i++) {
        const live = sim.liveNodes();
        const leaver = live[sim.rng.int(live.length)];
        if (leaver === undefined) continue;
        chordOf(leaver).leave();
        sim.after(100, () => sim.crash(leaver.index));
        sim.run(sim.nowMs + 1000);
      }
      sim.run(sim.nowMs + 5000);
      assert.equal(ringProblem(sim), null, `seed ${seed}`);
    }
  });
});
