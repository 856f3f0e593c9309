// The transaction workload (docs/metrics.md §2): clients, each attached to a ring member, run transactions
// one at a time over `keys` list-valued keys — each touches 1–3 keys, reading each and appending a unique
// number to about half of them (read, then write the longer list). Every transaction is recorded with its
// outcome: committed (ok), aborted (fail: it did not happen), or unknown (info: a timeout, or its TM
// crashed). At the end the history is checked (Elle-style, src/check/tx-history.ts) against the final lists
// read from the stores themselves; a committed append missing there is a lost commit. Keys that ever fell
// beyond the store's tolerance (a majority of their replicas not served) are reported, and anomalies that
// involve only such keys are excused (replica-tolerance.ts). Optional faults: TM crashes at a random point of
// the commit, and network partitions (long enough, by default, for each side to become a ring of its own and
// merge back, docs/ring-merge.md §6.3).
import {
  type Anomaly,
  checkTxHistory,
  type TxMicroOp,
  type TxRecord,
  type TxStatus,
} from "../check/tx-history.js";
import type { NodeMessage, NodeTimer, SelfmanNode } from "../node/selfman-node.js";
import { perfectRingProblem } from "../overlay/ring-shape.js";
import type { StoredItem, Value } from "../store/item.js";
import type { Transaction, TxReadResult } from "../tx/transaction.js";
import { DEFAULT_TX, type TxOutcome } from "../tx/tx-coordinator.js";
import { type TxWatch, watchReplicas, watchTransactions } from "./continuous-invariants.js";
import type { Prng } from "./engine/prng.js";
import { percentile } from "./percentile.js";
import { clientNode, ownerOf, ReplicaTolerance } from "./replica-tolerance.js";
import type { RingRunContext, RingWorkload } from "./ring-harness.js";

interface TxWorkloadConfig {
  readonly clients: number;
  readonly keys: number;
  readonly replication: number;
  /** A client gives up on a transaction after this (its node may have crashed) and moves on. */
  readonly clientTimeoutMs: number;
  /** Pause between a client's transactions: uniform in [0, this). */
  readonly thinkMs: number;
  /** Probability that a transaction's TM crashes at a random point of its commit. */
  readonly tmCrash: number;
  /** The window the TM crash is drawn from, after the commit starts (covers every phase). */
  readonly tmCrashWindowMs: number;
  /** Seconds between network partitions during measure (0: none); each lasts partitionMs. */
  readonly partitionEverySec: number;
  readonly partitionMs: number;
  /** The one-way latency when it is constant (commit delays are counted in it), else null. */
  readonly constantLatencyMs: number | null;
  /**
   * "tx: locks released after the decision" fails a run when an owner holds a decided transaction's
   * lock longer than this (default LOCK_RELEASE_BOUND_MS).
   */
  readonly lockReleaseBoundMs?: number;
}

/**
 * An owner asks a transaction's acceptors about a lock at most lockAgeMs + lockCheckMs after it first
 * sees it, and again every lockCheckMs (docs/transactions.md §8, L1); four such periods leave room for a
 * lost answer and a hand-over that moves the lock in between.
 */
const LOCK_RELEASE_BOUND_MS = 4 * (DEFAULT_TX.lockAgeMs + DEFAULT_TX.lockCheckMs);

type Ctx = RingRunContext<NodeMessage, NodeTimer>;

interface Client {
  readonly id: number;
  node: number | null;
  seq: number;
  /** The transaction in flight (its record index), or null. */
  inFlight: number | null;
}

interface Recorded {
  readonly process: number;
  readonly ops: TxMicroOp[];
  status: TxStatus;
  readonly callMs: number;
  returnMs: number;
  commitStartMs: number | null;
  /** The transaction id its TM gave it (for debugging a run), once it committed or aborted. */
  tid: string | null;
}

const round = (x: number, digits = 4) => Number(x.toFixed(digits));

/** The transaction workload's figures (docs/metrics.md §4). */
export type TxWorkloadMetrics = {
  readonly txs: number;
  readonly committed: number;
  readonly aborted: number;
  readonly failed: number;
  readonly serializable: boolean | "unknown";
  readonly anomalies: number;
  /** The anomaly names, comma-separated, or null when there are none. */
  readonly anomalyKinds: string | null;
  readonly lostCommits: number;
  readonly keysBeyondTolerance: number;
  readonly excusedAnomalies: number;
  readonly locksLeft: number;
  readonly commitDelays: number | null;
  readonly commitLatencyP50Ms: number | null;
  readonly commitLatencyP99Ms: number | null;
  readonly abortRate: number | null;
  readonly tmCrashes: number;
  readonly partitions: number;
  readonly partitionsSplitRings: number;
};

export interface TxWorkload extends RingWorkload<NodeMessage, NodeTimer, TxWorkloadMetrics> {
  readonly keys: readonly string[];
  history(): readonly TxRecord[];
  /** The TM's id of transaction `id` of the history (null if it never got an outcome). */
  tidOf(id: number): string | null;
}

export function txWorkload(config: TxWorkloadConfig): TxWorkload {
  return new TxClients(config);
}

/**
 * The workload, one method per step: start (measure begins: clients and partitions), issue and commit
 * (one client's transaction), schedulePartitions (faults), and the final checks (finalReads, metrics).
 */
class TxClients implements TxWorkload {
  readonly keys: readonly string[];
  private readonly config: TxWorkloadConfig;
  private readonly records: Recorded[] = [];
  private readonly commitLatencies: number[] = [];
  private readonly tolerance: ReplicaTolerance;
  private committed = 0;
  private aborted = 0;
  private failed = 0;
  private tmCrashes = 0;
  private partitions = 0;
  /** Partitions at whose end each side was a perfect ring of its own (the merge had real work). */
  private partitionsSplitRings = 0;
  /** Where clients' outcomes go for the "tx: one decision per transaction" check (set at start). */
  private watch: TxWatch = { outcome: () => {} };

  constructor(config: TxWorkloadConfig) {
    this.config = config;
    this.keys = Array.from({ length: config.keys }, (_, i) => `list-${i}`);
    this.tolerance = new ReplicaTolerance(this.keys, config.replication);
  }

  start(ctx: Ctx): void {
    const rng = ctx.sim.rng.split("tx-clients");
    const clients: Client[] = Array.from({ length: this.config.clients }, (_, id) => ({
      id,
      node: null,
      seq: 0,
      inFlight: null,
    }));
    for (const client of clients) ctx.sim.after(rng.next() * 100, () => this.issue(ctx, rng, client));
    this.schedulePartitions(ctx, rng);
    this.tolerance.start(ctx);
    watchReplicas(ctx);
    this.watch = watchTransactions(ctx, this.config.lockReleaseBoundMs ?? LOCK_RELEASE_BOUND_MS);
  }

  history(): TxRecord[] {
    return this.records.map((r, id) => ({
      id,
      process: r.process,
      ops: r.ops,
      status: r.status,
      callMs: r.callMs,
      returnMs: r.returnMs,
    }));
  }

  tidOf(id: number): string | null {
    return this.records[id]?.tid ?? null;
  }

  metrics(ctx: Ctx): TxWorkloadMetrics {
    const { config, keys, committed, aborted } = this;
    const { reads, locksLeft } = this.finalReads(ctx);
    const checked = checkTxHistory(this.history(), { finalReads: reads });
    const beyond = new Set([...this.tolerance.beyond].map((k) => keys[k] as string));
    const excused = (a: Anomaly) => a.keys.length > 0 && a.keys.every((key) => beyond.has(key));
    const anomalies = checked.anomalies.filter((a) => !excused(a));
    const lostCommits = anomalies.filter((a) => a.name === "lost-append").length;
    const serializable = anomalies.length > 0 ? false : checked.serializable === "unknown" ? "unknown" : true;
    const latencies = [...this.commitLatencies].sort((a, b) => a - b);
    const fastest = latencies[0];
    return {
      txs: this.records.length,
      committed,
      aborted,
      failed: this.failed,
      serializable,
      anomalies: anomalies.length,
      anomalyKinds: [...new Set(anomalies.map((a) => a.name))].join(",") || null,
      lostCommits,
      keysBeyondTolerance: beyond.size,
      excusedAnomalies: checked.anomalies.length - anomalies.length,
      locksLeft,
      commitDelays:
        config.constantLatencyMs === null || fastest === undefined
          ? null
          : round(fastest / config.constantLatencyMs, 2),
      commitLatencyP50Ms: percentile(latencies, 0.5),
      commitLatencyP99Ms: percentile(latencies, 0.99),
      abortRate: committed + aborted === 0 ? null : round(aborted / (committed + aborted)),
      tmCrashes: this.tmCrashes,
      partitions: this.partitions,
      partitionsSplitRings: this.partitionsSplitRings,
    };
  }

  private next(ctx: Ctx, rng: Prng, client: Client): void {
    if (ctx.sim.nowMs > ctx.measureEndMs) return;
    ctx.sim.after(rng.next() * this.config.thinkMs, () => this.issue(ctx, rng, client));
  }

  /** One transaction of `client`: read each planned key, append to about half, then commit. */
  private issue(ctx: Ctx, rng: Prng, client: Client): void {
    if (ctx.sim.nowMs > ctx.measureEndMs) return;
    const { keys, records } = this;
    const node = clientNode(ctx, rng, client);
    if (node === null) {
      ctx.sim.after(1000, () => this.issue(ctx, rng, client));
      return;
    }
    const touched = rng.shuffle([...keys.keys()]).slice(0, 1 + rng.int(3));
    const plan = touched.map((k) => ({ key: keys[k] as string, append: rng.next() < 0.5 }));
    const record: Recorded = {
      process: client.id,
      ops: [],
      status: "info",
      callMs: ctx.sim.nowMs,
      returnMs: Number.POSITIVE_INFINITY,
      commitStartMs: null,
      tid: null,
    };
    records.push(record);
    const index = records.length - 1;
    client.inFlight = index;
    const tx = node.transaction();
    const finish = (status: TxStatus | null) => {
      if (client.inFlight !== index) return; // the client gave up on it already
      client.inFlight = null;
      // null: it never reached commit, so nothing of it happened
      record.status = status ?? "fail";
      record.returnMs = ctx.sim.nowMs;
      this.next(ctx, rng, client);
    };
    const step = (i: number) => {
      const item = plan[i];
      if (item === undefined) {
        this.commit(ctx, rng, node, tx, record, finish);
        return;
      }
      tx.read(item.key, (r: TxReadResult) => {
        if (!r.ok || (r.found && !Array.isArray(r.value))) {
          if (client.inFlight === index) this.failed++; // else counted when the client gave up
          finish(null); // nothing was committed: it did not happen
          return;
        }
        const list = (r.found ? (r.value as readonly number[]) : []) as readonly number[];
        record.ops.push({ f: "r", key: item.key, value: [...list] });
        if (!item.append) {
          step(i + 1);
          return;
        }
        client.seq++;
        const value = client.id * 1_000_000 + client.seq;
        record.ops.push({ f: "append", key: item.key, value });
        tx.write(item.key, [...list, value] as Value, () => step(i + 1));
      });
    };
    step(0);
    ctx.sim.after(this.config.clientTimeoutMs, () => {
      if (client.inFlight !== index) return;
      this.failed++;
      client.node = null; // its node may be gone: attach elsewhere
      finish(record.commitStartMs === null ? null : "info");
    });
  }

  /** Commits, and with probability tmCrash crashes the TM at a random point of its commit. */
  private commit(
    ctx: Ctx,
    rng: Prng,
    node: SelfmanNode,
    tx: Transaction,
    record: Recorded,
    finish: (status: TxStatus | null) => void,
  ): void {
    record.commitStartMs = ctx.sim.nowMs;
    tx.commit((outcome: TxOutcome) => {
      if (outcome.ok) this.watch.outcome(outcome.tid, outcome.committed);
      if (!outcome.ok) {
        if (record.returnMs === Number.POSITIVE_INFINITY) this.failed++; // else counted when the client gave up
        finish("info");
        return;
      }
      record.tid = outcome.tid;
      if (outcome.committed) {
        this.committed++;
        this.commitLatencies.push(ctx.sim.nowMs - (record.commitStartMs as number));
      } else this.aborted++;
      finish(outcome.committed ? "ok" : "fail");
    });
    if (this.config.tmCrash > 0 && rng.next() < this.config.tmCrash) {
      const victim = ctx.sim.nodeByAddr(node.self.addr)?.index;
      if (victim === undefined) return;
      ctx.sim.after(rng.next() * this.config.tmCrashWindowMs, () => {
        if (!ctx.sim.isAlive(victim) || ctx.members.size <= 8) return;
        this.tmCrashes++;
        ctx.sim.crash(victim);
        ctx.addNode(); // keep the ring's size
      });
    }
  }

  private schedulePartitions(ctx: Ctx, rng: Prng): void {
    const { config } = this;
    if (config.partitionEverySec <= 0) return;
    ctx.sim.every(config.partitionEverySec * 1000, ctx.measureEndMs - config.partitionMs, () => {
      const n = ctx.sim.nodes.length;
      const order = rng.shuffle([...Array(n).keys()]);
      const size = Math.floor(n / 4) + rng.int(Math.floor(n / 2) + 1);
      const groups = [order.slice(0, size), order.slice(size)];
      ctx.sim.partition(groups);
      this.partitions++;
      ctx.sim.after(config.partitionMs, () => {
        if (groups.every((g) => perfectRingProblem(ctx.viewsOf(g)) === null)) this.partitionsSplitRings++;
        ctx.sim.heal();
      });
    });
  }

  /** Each key's list as the stores hold it: the newest version among the live owners of its replicas. */
  private finalReads(ctx: Ctx): { reads: Map<string, readonly number[]>; locksLeft: number } {
    const reads = new Map<string, readonly number[]>();
    let locksLeft = 0;
    this.keys.forEach((key, k) => {
      let newest: StoredItem | null = null;
      for (const id of this.tolerance.replicaIdsOf(k)) {
        const item = ownerOf(ctx, id)?.port.get(id, key);
        if (item === undefined) continue;
        locksLeft += item.locks.length;
        if (newest === null || item.version > newest.version) newest = item;
      }
      const value = newest === null || newest.tombstone ? [] : newest.value;
      reads.set(key, Array.isArray(value) ? (value as number[]) : []);
    });
    return { reads, locksLeft };
  }
}
