// `selfman bench sim-core`: the bare scheduler and network model with a trivial ping component.
// Every ping goes through the full network model (latency draw, loss check, partition check); only
// the event loop's wall time counts. The baseline, measured in the same run, is a bare heap loop
// (push/pop of the same number of events, no network, no handlers): docs/metrics.md §6, §7.
import type { Env, Process } from "../src/core/env.js";
import type { Msg } from "../src/core/message.js";
import type { NodeRef } from "../src/core/node-ref.js";
import { EventQueue } from "../src/sim/engine/event-queue.js";
import { Simulator } from "../src/sim/engine/simulator.js";

type PingMessage = Msg<"ping", { seq: number }> | Msg<"pong", { seq: number }>;
type PingTimer = Msg<"watchdog">;

/** A node whose ping or pong was lost pings again after this long without a pong. */
const WATCHDOG_MS = 1000;

export interface SimCoreParams {
  readonly nodes: number;
  readonly events: number;
  readonly seed: number;
  readonly loss: number;
}

export interface SimCoreResult {
  readonly bench: "sim-core";
  readonly params: SimCoreParams & { readonly latency: string };
  readonly eventsPerSec: number;
  readonly metrics: {
    readonly eventsPerSec: number;
    readonly events: number;
    readonly wallMs: number;
    readonly delivered: number;
    readonly dropped: number;
  };
  readonly baseline: { readonly name: "bare-heap-loop"; readonly eventsPerSec: number };
  readonly ratio: number;
  readonly traceHash: string;
}

/** Each node pings a random peer; a pong triggers the next ping. */
class Pinger implements Process<PingMessage, PingTimer> {
  private readonly env: Env<PingMessage, PingTimer>;
  private readonly peers: readonly NodeRef[];
  private seq = 0;
  private pongsSinceWatchdog = 0;

  constructor(env: Env<PingMessage, PingTimer>, peers: readonly NodeRef[]) {
    this.env = env;
    this.peers = peers;
  }

  start(): void {
    this.pingSomeone();
    this.env.setTimer(WATCHDOG_MS, { type: "watchdog" });
  }

  onTimer(): void {
    if (this.pongsSinceWatchdog === 0) this.pingSomeone();
    this.pongsSinceWatchdog = 0;
    this.env.setTimer(WATCHDOG_MS, { type: "watchdog" });
  }

  onMessage(from: NodeRef, msg: PingMessage): void {
    if (msg.type === "ping") {
      this.env.send(from, { type: "pong", seq: msg.seq });
    } else {
      this.pongsSinceWatchdog++;
      this.pingSomeone();
    }
  }

  private pingSomeone(): void {
    const peer = this.peers[Math.floor(this.env.random() * this.peers.length)];
    if (peer !== undefined) this.env.send(peer, { type: "ping", seq: this.seq++ });
  }
}

function measureSimulator(params: SimCoreParams): {
  events: number;
  wallMs: number;
  sim: Simulator<PingMessage, PingTimer>;
} {
  const sim = new Simulator<PingMessage, PingTimer>({ seed: params.seed, network: { loss: params.loss } });
  const peers: NodeRef[] = [];
  for (let i = 0; i < params.nodes; i++) sim.addNode((env) => new Pinger(env, peers));
  for (const node of sim.nodes) peers.push(node.ref);
  sim.run(20); // warm-up: every node's first ping is out
  const startEvents = sim.stats.events;
  const t0 = performance.now();
  let horizon = 20;
  while (sim.stats.events - startEvents < params.events && sim.pendingEvents > 0) {
    horizon += 100;
    sim.run(horizon);
  }
  return { events: sim.stats.events - startEvents, wallMs: performance.now() - t0, sim };
}

function measureBareHeap(events: number, pending: number): number {
  const queue = new EventQueue<{ time: number }>();
  for (let i = 0; i < pending; i++) queue.push({ time: i % 10 }, i % 10);
  const t0 = performance.now();
  for (let i = 0; i < events; i++) {
    const e = queue.pop();
    if (e === undefined) break;
    const time = e.time + 10;
    queue.push({ time }, time);
  }
  return events / ((performance.now() - t0) / 1000);
}

export function benchSimCore(params: SimCoreParams): SimCoreResult {
  const { events, wallMs, sim } = measureSimulator(params);
  const eventsPerSec = Math.round(events / (wallMs / 1000));
  const baselineEps = Math.round(measureBareHeap(events, params.nodes));
  const dropped = Object.values(sim.stats.dropped).reduce((a, b) => a + b, 0);
  return {
    bench: "sim-core",
    params: { ...params, latency: "constant:10ms" },
    eventsPerSec,
    metrics: { eventsPerSec, events, wallMs: Math.round(wallMs), delivered: sim.stats.delivered, dropped },
    baseline: { name: "bare-heap-loop", eventsPerSec: baselineEps },
    ratio: Number((eventsPerSec / baselineEps).toFixed(3)),
    traceHash: sim.trace.hex(),
  };
}
