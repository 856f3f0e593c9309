// A test process that sends only when a test tells it to, and records what it receives.
import type { Env, Process } from "../../src/core/env.js";
import type { Msg } from "../../src/core/message.js";
import type { NodeRef } from "../../src/core/node-ref.js";
import type { NetworkConfig } from "../../src/sim/engine/network.js";
import { Simulator } from "../../src/sim/engine/simulator.js";

export type ProbeMessage = Msg<"probe", { n: number; sentAt: number }>;
export type ProbeTimer = Msg<"tick">;

export class Probe implements Process<ProbeMessage, ProbeTimer> {
  readonly env: Env<ProbeMessage, ProbeTimer>;
  readonly received: { from: NodeRef; msg: ProbeMessage; at: number }[] = [];

  constructor(env: Env<ProbeMessage, ProbeTimer>) {
    this.env = env;
  }

  start(): void {}

  onTimer(): void {}

  onMessage(from: NodeRef, msg: ProbeMessage): void {
    this.received.push({ from, msg, at: this.env.now() });
  }
}

export type ProbeSim = Simulator<ProbeMessage, ProbeTimer>;

/** A simulator with `n` probes; returns the probes of the current incarnations by index. */
export function probeSim(
  seed: number,
  n: number,
  network: Partial<NetworkConfig> = {},
): { sim: ProbeSim; probe(i: number): Probe } {
  const sim: ProbeSim = new Simulator({ seed, network });
  for (let i = 0; i < n; i++) sim.addNode((env) => new Probe(env));
  return {
    sim,
    probe(i) {
      const p = sim.nodeAt(i).process;
      if (!(p instanceof Probe)) throw new Error(`node ${i} runs no probe (crashed?)`);
      return p;
    },
  };
}

/** Makes node `from` send `count` probes to node `to`, one per `gapMs`, starting now. */
export function sendProbes(
  ctx: ReturnType<typeof probeSim>,
  from: number,
  to: number,
  count: number,
  gapMs = 1,
): void {
  const { sim } = ctx;
  for (let n = 0; n < count; n++) {
    sim.after(n * gapMs, () => {
      if (!sim.nodeAt(from).alive) return;
      ctx.probe(from).env.send(sim.nodeAt(to).ref, { type: "probe", n, sentAt: sim.nowMs });
    });
  }
}
