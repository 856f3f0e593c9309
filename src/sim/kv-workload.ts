// The kv workload (docs/metrics.md §2, §4): clients, each attached to a ring member, issue single-key
// operations one at a time — 40% get, 30% put, 15% compare-and-set, 15% increment over 20 keys by
// default — and record every call and answer. At the end: is each key's history linearizable, was any
// acknowledged write lost (read from the stores themselves, not through the system), and which keys
// ever fell below a majority of serving replicas (those are excused from both, and reported).

import { type KvOutput, kvModel } from "../check/kv-model.js";
import { checkLinearizable, type HistoryOp, type Verdict } from "../check/linearizability.js";
import type { AnsweredState } from "../check/store-invariants.js";
import type { NodeMessage, NodeTimer } from "../node/selfman-node.js";
import type { KvOp, KvResult } from "../store/kv-proposer.js";
import { watchAnswers, watchReplicas } from "./continuous-invariants.js";
import type { Prng } from "./engine/prng.js";
import { percentile } from "./percentile.js";
import { clientNode, ownerOf, ReplicaTolerance } from "./replica-tolerance.js";
import type { RingRunContext, RingWorkload } from "./ring-harness.js";

interface KvWorkloadConfig {
  readonly clients: number;
  readonly keys: number;
  /** Replication degree of the store (to find each key's replicas in the global view). */
  readonly replication: number;
  /** A client gives up on an answer after this (its node may have crashed) and moves on. */
  readonly clientTimeoutMs: number;
  /** Pause between a client's operations: uniform in [0, this). */
  readonly thinkMs: number;
}

type Ctx = RingRunContext<NodeMessage, NodeTimer>;

interface Client {
  readonly id: number;
  node: number | null;
  seq: number;
  /** The operation in flight: its history entry's index and its key, or null. */
  inFlight: { key: number; entry: number; timer: boolean } | null;
}

interface Entry {
  readonly op: KvOp;
  readonly callMs: number;
  returnMs: number;
  output: KvOutput | undefined;
  /** The version the write reached, if it was acknowledged. */
  ackedVersion: number | null;
}

const round = (x: number, digits = 4) => Number(x.toFixed(digits));

/** The kv workload's figures (docs/metrics.md §4). */
export type KvWorkloadMetrics = {
  readonly ops: number;
  readonly okOps: number;
  readonly failedOps: number;
  readonly lostAcknowledgedWrites: number;
  readonly linearizable: Verdict;
  readonly keysBeyondTolerance: number;
  readonly availability: number | null;
  readonly opLatencyP50Ms: number | null;
  readonly opLatencyP99Ms: number | null;
};

/** The workload, and the histories it records (for tests and debugging: one list per key). */
export interface KvWorkload extends RingWorkload<NodeMessage, NodeTimer, KvWorkloadMetrics> {
  readonly keys: readonly string[];
  histories(): readonly (readonly HistoryOp<KvOp, KvOutput>[])[];
}

export function kvWorkload(config: KvWorkloadConfig): KvWorkload {
  return new KvClients(config);
}

/** The workload, one method per step: start (measure begins), issue (one operation), final checks. */
class KvClients implements KvWorkload {
  readonly keys: readonly string[];
  private readonly config: KvWorkloadConfig;
  private readonly entries: Entry[][];
  private readonly tolerance: ReplicaTolerance;
  private readonly latencies: number[] = [];
  /** Where each successful answer goes for the "kv: one state per version" check (set at start). */
  private answered: (key: string, state: AnsweredState) => void = () => {};
  private ops = 0;
  private okOps = 0;
  private failedOps = 0;

  constructor(config: KvWorkloadConfig) {
    this.config = config;
    this.keys = Array.from({ length: config.keys }, (_, i) => `key-${i}`);
    this.entries = this.keys.map(() => []);
    this.tolerance = new ReplicaTolerance(this.keys, config.replication);
  }

  start(ctx: Ctx): void {
    const rng = ctx.sim.rng.split("kv-clients");
    const clients: Client[] = Array.from({ length: this.config.clients }, (_, id) => ({
      id,
      node: null,
      seq: 0,
      inFlight: null,
    }));
    for (const client of clients) ctx.sim.after(rng.next() * 100, () => this.issue(ctx, rng, client));
    this.tolerance.start(ctx);
    watchReplicas(ctx);
    this.answered = watchAnswers(ctx);
  }

  histories(): readonly (readonly HistoryOp<KvOp, KvOutput>[])[] {
    return this.entries.map((h) => h.map(toHistoryOp));
  }

  /**
   * Final checks: every key within tolerance must be linearizable, and its newest acknowledged write
   * still held by a majority of its replicas (read from the stores, not through the system).
   */
  metrics(ctx: Ctx): KvWorkloadMetrics {
    const { config, keys, tolerance } = this;
    const majority = Math.floor(config.replication / 2) + 1;
    let lost = 0;
    let linearizable: Verdict = true;
    let opsWithin = 0;
    let okWithin = 0;
    this.entries.forEach((history, k) => {
      if (tolerance.beyond.has(k)) return;
      opsWithin += history.length;
      okWithin += history.filter((e) => e.output !== undefined).length;
      const acked = history.reduce((v, e) => Math.max(v, e.ackedVersion ?? 0), 0);
      if (acked > 0) {
        const holding = tolerance
          .replicaIdsOf(k)
          .filter((id) => (ownerOf(ctx, id)?.port.get(id, keys[k] as string)?.version ?? 0) >= acked).length;
        if (holding < majority) lost++;
      }
      const verdict = checkLinearizable(kvModel, history.map(toHistoryOp));
      if (verdict === false) linearizable = false;
      else if (verdict === "unknown" && linearizable === true) linearizable = "unknown";
    });
    const sorted = [...this.latencies].sort((a, b) => a - b);
    return {
      ops: this.ops,
      okOps: this.okOps,
      failedOps: this.failedOps,
      lostAcknowledgedWrites: lost,
      linearizable,
      keysBeyondTolerance: tolerance.beyond.size,
      availability: opsWithin === 0 ? null : round(okWithin / opsWithin),
      opLatencyP50Ms: percentile(sorted, 0.5),
      opLatencyP99Ms: percentile(sorted, 0.99),
    };
  }

  private next(ctx: Ctx, rng: Prng, client: Client): void {
    if (ctx.sim.nowMs > ctx.measureEndMs) return;
    ctx.sim.after(rng.next() * this.config.thinkMs, () => this.issue(ctx, rng, client));
  }

  /** One operation of `client` on a random key, recorded in that key's history. */
  private issue(ctx: Ctx, rng: Prng, client: Client): void {
    if (ctx.sim.nowMs > ctx.measureEndMs) return;
    const node = clientNode(ctx, rng, client);
    if (node === null) {
      ctx.sim.after(1000, () => this.issue(ctx, rng, client));
      return;
    }
    const key = rng.int(this.keys.length);
    const history = this.entries[key] as Entry[];
    const op = chooseOp(rng.next(), client, history);
    const entry: Entry = {
      op,
      callMs: ctx.sim.nowMs,
      returnMs: Number.POSITIVE_INFINITY,
      output: undefined,
      ackedVersion: null,
    };
    history.push(entry);
    const flight = { key, entry: history.length - 1, timer: true };
    client.inFlight = flight;
    this.ops++;
    node.submit(this.keys[key] as string, op, (result: KvResult) => {
      if (result.ok) this.answered(this.keys[key] as string, result); // late answers are claims too
      if (client.inFlight !== flight) return; // answered after the client gave up
      client.inFlight = null;
      this.record(entry, result, ctx.sim.nowMs);
      this.next(ctx, rng, client);
    });
    ctx.sim.after(this.config.clientTimeoutMs, () => {
      if (client.inFlight !== flight) return;
      client.inFlight = null;
      this.failedOps++;
      client.node = null; // its node may be gone: attach elsewhere
      this.next(ctx, rng, client);
    });
  }

  private record(entry: Entry, result: KvResult, nowMs: number): void {
    if (!result.ok) {
      this.failedOps++; // outcome unknown: a write may still have reached some replicas
      return;
    }
    this.okOps++;
    entry.returnMs = nowMs;
    entry.output = { value: result.value, found: result.found, applied: result.applied };
    if (entry.op.kind !== "get" && result.applied) entry.ackedVersion = result.version;
    this.latencies.push(nowMs - entry.callMs);
  }
}

function chooseOp(draw: number, client: Client, history: readonly Entry[]): KvOp {
  client.seq++;
  const fresh = client.id * 1_000_000 + client.seq; // every written value is distinct
  if (draw < 0.4) return { kind: "get" };
  if (draw < 0.7) return { kind: "put", value: fresh };
  if (draw < 0.85) {
    const seen = [...history].reverse().find((e) => e.output?.found === true)?.output?.value ?? null;
    return { kind: "cas", expected: seen, value: fresh };
  }
  return { kind: "incr", by: 1 };
}

function toHistoryOp(entry: Entry): HistoryOp<KvOp, KvOutput> {
  return { input: entry.op, output: entry.output, callMs: entry.callMs, returnMs: entry.returnMs };
}
