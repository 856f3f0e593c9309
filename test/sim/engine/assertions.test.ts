// A broken protocol assertion fails the run (docs/simulator.md §5): the simulator catches
// InvariantViolation around every handler — deliveries, timers, scenario actions, a process started
// outside run() — records {invariant: rule, atMs, message}, and stops; the CLI prints the replay
// command, which reproduces the same failure.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { describe, it } from "node:test";
import type { Env, Process } from "../../../src/core/env.js";
import { invariant } from "../../../src/core/invariant.js";
import type { Msg } from "../../../src/core/message.js";
import { Simulator } from "../../../src/sim/engine/simulator.js";

type Ping = Msg<"ping", { n: number }>;
type Tick = Msg<"tick">;

/** Breaks the rule "planted: n below 3" when it receives n = 3, or when its timer fires at breakAtMs. */
class Planted implements Process<Ping, Tick> {
  private readonly env: Env<Ping, Tick>;
  private readonly breakAtMs: number | null;
  private readonly breakOnStart: boolean;

  constructor(env: Env<Ping, Tick>, breakAtMs: number | null, breakOnStart = false) {
    this.env = env;
    this.breakAtMs = breakAtMs;
    this.breakOnStart = breakOnStart;
  }

  start(): void {
    invariant(!this.breakOnStart, "planted: not at start", () => "broke while starting");
    if (this.breakAtMs !== null) this.env.setTimer(this.breakAtMs, { type: "tick" });
  }

  onTimer(): void {
    invariant(false, "planted: timer", () => `fired at ${this.env.now()}`);
  }

  onMessage(_from: unknown, msg: Ping): void {
    invariant(msg.n < 3, "planted: n below 3", () => `got ${msg.n}`);
  }
}

function twoNodes(breakAtMs: number | null) {
  const sim = new Simulator<Ping, Tick>({ seed: 7, network: { latency: { kind: "constant", ms: 10 } } });
  const a = sim.addNode((env) => new Planted(env, null));
  const b = sim.addNode((env) => new Planted(env, breakAtMs));
  return { sim, a, b };
}

describe("a broken assertion fails the run", () => {
  it("in a timer: one violation at the timer's time, and the run stops there", () => {
    const { sim } = twoNodes(1234);
    let after = false;
    sim.at(2000, () => {
      after = true;
    });
    sim.run(10_000);
    assert.deepEqual(sim.violations, [{ invariant: "planted: timer", atMs: 1234, message: "fired at 1234" }]);
    assert.equal(sim.isStopped, true);
    assert.equal(sim.nowMs, 1234, "the clock stops at the violation");
    assert.equal(after, false, "nothing runs after it");
  });

  it("in a scenario action that calls into a process", () => {
    const { sim, a, b } = twoNodes(null);
    sim.at(600, () => (b.process as Process<Ping, Tick>).onMessage(a.ref, { type: "ping", n: 3 }));
    sim.run(10_000);
    assert.deepEqual(sim.violations, [{ invariant: "planted: n below 3", atMs: 600, message: "got 3" }]);
  });

  it("in a message delivery", () => {
    const sim = new Simulator<Ping, Tick>({ seed: 7, network: { latency: { kind: "constant", ms: 10 } } });
    const receiver = sim.addNode((env) => new Planted(env, null));
    sim.addNode((env) => ({
      start: () => env.setTimer(100, { type: "tick" }),
      onTimer: () => env.send(receiver.ref, { type: "ping", n: 5 }),
      onMessage: () => {},
    }));
    sim.run(10_000);
    assert.deepEqual(sim.violations, [{ invariant: "planted: n below 3", atMs: 110, message: "got 5" }]);
  });

  it("while starting a process outside run(), and any other exception still propagates", () => {
    const sim = new Simulator<Ping, Tick>({ seed: 1 });
    sim.addNode((env) => new Planted(env, null, true));
    assert.equal(sim.violations[0]?.invariant, "planted: not at start");
    assert.equal(sim.isStopped, true);

    const other = new Simulator<Ping, Tick>({ seed: 1 });
    other.at(10, () => {
      throw new TypeError("a bug in the scenario");
    });
    assert.throws(() => other.run(100), TypeError);
  });

  it("through the CLI: ok false, exit 1, and the printed replay command reproduces it", () => {
    const args = ["sim", "net-chaos", "--nodes", "12", "--duration", "20", "--seed", "3"];
    const run = spawnSync("./bin/selfman", [...args, "--planted-assert-at", "7.5", "--json"], {
      encoding: "utf8",
    });
    assert.equal(run.status, 1, run.stderr);
    const report = JSON.parse(run.stdout);
    assert.equal(report.ok, false);
    assert.equal(report.violations.length, 1);
    const [violation] = report.violations;
    assert.equal(violation.invariant, "gossip: value never decreases");
    assert.ok(violation.atMs >= 7500 && violation.atMs < 7500 + 750, `at ${violation.atMs}`);
    const replay = /replay with:\n\s+(\.\/bin\/selfman .*)\n/.exec(run.stderr)?.[1];
    assert.ok(replay?.includes("--planted-assert-at 7.5"), run.stderr);
    if (replay === undefined) return;
    const [, ...again] = replay.split(" ");
    const rerun = spawnSync("./bin/selfman", [...again, "--json"], { encoding: "utf8" });
    assert.equal(rerun.status, 1);
    const replayed = JSON.parse(rerun.stdout);
    assert.equal(replayed.traceHash, report.traceHash);
    assert.deepEqual(replayed.violations, report.violations);
    const clean = spawnSync("./bin/selfman", [...args, "--json"], { encoding: "utf8" });
    assert.equal(clean.status, 0, "the same run without the planted process holds");
  });
});
