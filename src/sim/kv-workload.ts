// The kv workload (METRICS.md §2, §4): clients, each attached to a ring member, issue single-key
// operations one at a time — 40% get, 30% put, 15% compare-and-set, 15% increment over 20 keys by
// default — and record every call and answer. At the end: is each key's history linearizable, was any
// acknowledged write lost (read from the stores themselves, not through the system), and which keys
// ever fell below a majority of serving replicas (those are excused from both, and reported).

import { type KvOutput, kvModel } from "../check/kv-model.js";
import { checkLinearizable, type HistoryOp, type Verdict } from "../check/linearizability.js";
import type { NodeMessage, NodeTimer } from "../node/selfman-node.js";
import type { KvOp, KvResult } from "../store/kv-proposer.js";
import { percentile } from "./percentile.js";
import { clientNode, ownerOf, ReplicaTolerance } from "./replica-tolerance.js";
import type { RingRunContext, RingWorkload } from "./ring-harness.js";

export interface KvWorkloadConfig {
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
  const keys = Array.from({ length: config.keys }, (_, i) => `key-${i}`);
  const histories: Entry[][] = keys.map(() => []);
  const tolerance = new ReplicaTolerance(keys, config.replication);
  const beyondTolerance = tolerance.beyond;
  let ops = 0;
  let okOps = 0;
  let failedOps = 0;
  const latencies: number[] = [];

  function start(ctx: Ctx): void {
    const rng = ctx.sim.rng.split("kv-clients");
    const clients: Client[] = Array.from({ length: config.clients }, (_, id) => ({
      id,
      node: null,
      seq: 0,
      inFlight: null,
    }));
    const attach = (client: Client) => clientNode(ctx, rng, client);
    const next = (client: Client) => {
      if (ctx.sim.nowMs > ctx.measureEndMs) return;
      ctx.sim.after(rng.next() * config.thinkMs, () => issue(client));
    };
    const issue = (client: Client) => {
      if (ctx.sim.nowMs > ctx.measureEndMs) return;
      const node = attach(client);
      if (node === null) {
        ctx.sim.after(1000, () => issue(client));
        return;
      }
      const key = rng.int(keys.length);
      const op = chooseOp(rng.next(), client, histories[key] as Entry[]);
      const history = histories[key] as Entry[];
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
      ops++;
      node.submit(keys[key] as string, op, (result: KvResult) => {
        if (client.inFlight !== flight) return; // answered after the client gave up
        client.inFlight = null;
        record(entry, result, ctx.sim.nowMs);
        next(client);
      });
      ctx.sim.after(config.clientTimeoutMs, () => {
        if (client.inFlight !== flight) return;
        client.inFlight = null;
        failedOps++;
        client.node = null; // its node may be gone: attach elsewhere
        next(client);
      });
    };
    for (const client of clients) ctx.sim.after(rng.next() * 100, () => issue(client));
    tolerance.start(ctx);
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

  function record(entry: Entry, result: KvResult, nowMs: number): void {
    if (!result.ok) {
      failedOps++; // outcome unknown: a write may still have reached some replicas
      return;
    }
    okOps++;
    entry.returnMs = nowMs;
    entry.output = { value: result.value, found: result.found, applied: result.applied };
    if (entry.op.kind !== "get" && result.applied) entry.ackedVersion = result.version;
    latencies.push(nowMs - entry.callMs);
  }

  function metrics(ctx: Ctx): KvWorkloadMetrics {
    const majority = Math.floor(config.replication / 2) + 1;
    let lost = 0;
    let linearizable: Verdict = true;
    let opsWithin = 0;
    let okWithin = 0;
    histories.forEach((history, k) => {
      if (beyondTolerance.has(k)) return;
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
    const sorted = [...latencies].sort((a, b) => a - b);
    return {
      ops,
      okOps,
      failedOps,
      lostAcknowledgedWrites: lost,
      linearizable,
      keysBeyondTolerance: beyondTolerance.size,
      availability: opsWithin === 0 ? null : round(okWithin / opsWithin),
      opLatencyP50Ms: percentile(sorted, 0.5),
      opLatencyP99Ms: percentile(sorted, 0.99),
    };
  }

  return { start, metrics, keys, histories: () => histories.map((h) => h.map(toHistoryOp)) };
}

function toHistoryOp(entry: Entry): HistoryOp<KvOp, KvOutput> {
  return { input: entry.op, output: entry.output, callMs: entry.callMs, returnMs: entry.returnMs };
}
