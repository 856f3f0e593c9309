// One selfman node in a real process (issue 4): the relaxed-ring node of src/overlay, unchanged, on a
// LiveEnv and the TLS transport. It keeps its name and ring id in its data directory (a restart
// rejoins with the same id and a new nonce), records its range changes with wall-clock times (what
// the live tests check for overlaps), and leaves gracefully on request. The admin server and the
// CLI read it through status() and metrics().
import { randomBytes } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import type { Logger } from "pino";
import { IdSpace, type RingId } from "../core/id-space.js";
import { hashKey } from "../core/key-hash.js";
import { CheckedRef, type NodeRef, nodeRefSchema, refToJson } from "../core/node-ref.js";
import { nodeMessageSchema } from "../node/message-schema.js";
import { type NodeMessage, type NodeTimer, SelfmanNode } from "../node/selfman-node.js";
import { DEFAULT_OVERLAY, type OverlayConfig } from "../overlay/config.js";
import type { RelaxedRingNode } from "../overlay/relaxed-ring-node.js";
import type { LookupResult } from "../overlay/ring-view.js";
import type { KvOp, KvResult } from "../store/kv-proposer.js";
import { DEFAULT_PROPOSER } from "../store/kv-proposer.js";
import { DEFAULT_STORE } from "../store/replica-store.js";
import type { TxRequest } from "../tx/request-list.js";
import { DEFAULT_TX } from "../tx/tx-coordinator.js";
import { LiveEnv } from "./live-env.js";
import { LmdbStorePort } from "./lmdb-store.js";
import {
  type AsyncTx,
  DEFAULT_RETRY,
  type RequestListAnswer,
  type RetryOptions,
  runRequestListWithRetry,
  runTransaction,
  TxError,
} from "./transactions.js";
import { DEFAULT_TRANSPORT, type TlsMaterial, Transport } from "./transport.js";

/** How long `mergeWith` waits for the contact to answer the handshake. */
const MERGE_CONTACT_TIMEOUT_MS = 10_000;

export interface LiveNodeOptions {
  readonly name: string;
  readonly host: string;
  readonly port: number;
  /** host:port of a member to join through; null starts a new ring. */
  readonly join: string | null;
  readonly dataDir: string;
  /** null: plain TCP (--insecure). */
  readonly tls: TlsMaterial | null;
  readonly overlay?: Partial<OverlayConfig>;
  readonly logger: Logger;
}

/** One change of this node's range, as the range-history endpoint reports it. */
export interface RangeChange {
  /** Wall-clock milliseconds (Date.now), comparable between processes on one machine. */
  readonly atMs: number;
  /** The range is (pred, self]; null pred: responsible for nothing. */
  readonly pred: string | null;
  readonly member: boolean;
}

interface Identity {
  readonly name: string;
  readonly id: string;
}

const RANGE_HISTORY_MAX = 1000;
const JOIN_CONTACT_TIMEOUT_MS = 30_000;

/** The node's name and ring id, kept in its data directory across restarts. */
async function loadOrCreateIdentity(dataDir: string, name: string, ids: IdSpace): Promise<RingId> {
  const file = path.join(dataDir, "node.json");
  await mkdir(dataDir, { recursive: true });
  const text = await readFile(file, "utf8").catch(() => null);
  if (text !== null) {
    const identity = JSON.parse(text) as Identity;
    if (identity.name !== name)
      throw new Error(`${file} belongs to node ${identity.name}, not ${name}: use another --data-dir`);
    return ids.parse(identity.id);
  }
  const id = ids.randomId(() => randomBytes(4).readUInt32BE(0) / 2 ** 32);
  const identity: Identity = { name, id: id.toString() };
  await writeFile(file, `${JSON.stringify(identity, null, 2)}\n`);
  return id;
}

export class LiveNode {
  readonly name: string;
  readonly ids: IdSpace;
  readonly self: NodeRef;
  readonly node: SelfmanNode;
  readonly ring: RelaxedRingNode;
  readonly transport: Transport<NodeMessage>;
  private readonly env: LiveEnv<NodeMessage, NodeTimer>;
  private readonly store: LmdbStorePort;
  private readonly logger: Logger;
  private readonly startedAtMs = Date.now();
  private readonly ranges: RangeChange[] = [];
  private lookupsAnswered = 0;
  private stopped = false;

  private constructor(
    options: LiveNodeOptions,
    ids: IdSpace,
    self: NodeRef,
    transport: Transport<NodeMessage>,
    contact: NodeRef | null,
    store: LmdbStorePort,
  ) {
    this.name = options.name;
    this.ids = ids;
    this.self = self;
    this.logger = options.logger;
    this.transport = transport;
    this.store = store;
    this.env = new LiveEnv<NodeMessage, NodeTimer>(self, {
      send: (to, msg) => this.transport.send(to, msg),
      emit: (event) => this.onEvent(event.type),
      onTimerError: (tag, error) => this.logger.error({ timer: tag.type, err: error }, "timer handler threw"),
    });
    this.node = new SelfmanNode(
      this.env,
      {
        overlay: { ...DEFAULT_OVERLAY, ...options.overlay },
        store: DEFAULT_STORE,
        proposer: DEFAULT_PROPOSER,
        tx: DEFAULT_TX,
      },
      ids,
      store,
      contact,
    );
    this.ring = this.node.ring;
    this.env.bind(this.node);
  }

  /** Starts a node: binds its port, finds its join contact, joins (or starts a ring). */
  static async start(options: LiveNodeOptions): Promise<LiveNode> {
    const ids = new IdSpace();
    const id = await loadOrCreateIdentity(options.dataDir, options.name, ids);
    // A CheckedRef: the codec sends it as a compact, cached extension (frames.ts).
    const self = new CheckedRef(id, `${options.host}:${options.port}`, randomBytes(6).readUIntBE(0, 6));
    // Messages that arrive before the node exists (nobody should know it yet) are counted and dropped.
    let node: LiveNode | null = null;
    const transport = new Transport<NodeMessage>(
      self,
      options.name,
      { ...DEFAULT_TRANSPORT, host: options.host, port: options.port, tls: options.tls },
      nodeMessageSchema(ids),
      nodeRefSchema(ids),
      {
        onMessage: (from, msg) => {
          if (node === null) throw new Error("not started yet");
          node.node.onMessage(from, msg);
        },
        onWarning: (what, detail) => options.logger.warn(detail, what),
      },
    );
    const store = new LmdbStorePort(path.join(options.dataDir, "store"), ids);
    await transport.start();
    try {
      const contact =
        options.join === null ? null : await transport.resolve(options.join, JOIN_CONTACT_TIMEOUT_MS);
      node = new LiveNode(options, ids, self, transport, contact, store);
    } catch (error) {
      await transport.close();
      await store.close();
      throw error;
    }
    node.node.start();
    options.logger.info({ id: id.toString(), addr: self.addr, join: options.join }, "started");
    return node;
  }

  private onEvent(type: string): void {
    if (type === "range-changed" || type === "joined") {
      const pred = this.ring.pred;
      this.ranges.push({
        atMs: Date.now(),
        pred: pred === null ? null : pred.id.toString(),
        member: this.ring.isMember,
      });
      if (this.ranges.length > RANGE_HISTORY_MAX) this.ranges.shift();
      if (type === "joined") this.logger.info("joined the ring");
    } else if (type === "lookup-answer") {
      this.lookupsAnswered++;
    } else if (type === "join-stalled") {
      this.logger.warn("join attempts unanswered; still trying");
    }
  }

  /** Finds the node responsible for `key` (a user key, hashed like data keys) through the overlay. */
  lookup(key: string): Promise<{ id: RingId; result: LookupResult; latencyMs: number }> {
    const id = hashKey(this.ids, key);
    return this.lookupId(id).then(({ result, latencyMs }) => ({ id, result, latencyMs }));
  }

  lookupId(id: RingId): Promise<{ result: LookupResult; latencyMs: number }> {
    const started = performance.now();
    return new Promise((resolve) =>
      this.ring.lookup(id, (result) => resolve({ result, latencyMs: performance.now() - started })),
    );
  }

  /**
   * `count` lookups of uniformly random ids, `concurrency` at a time, from this node (what
   * `selfman bench lookup` drives): per-lookup latencies in ms, answered or not.
   */
  async benchLookups(
    count: number,
    concurrency: number,
  ): Promise<{ count: number; failed: number; wallMs: number; latenciesMs: number[] }> {
    const latenciesMs: number[] = [];
    let failed = 0;
    let next = 0;
    const started = performance.now();
    const worker = async () => {
      while (next < count) {
        next++;
        const id = this.ids.randomId(() => randomBytes(4).readUInt32BE(0) / 2 ** 32);
        const { result, latencyMs } = await this.lookupId(id);
        if (result.ok) latenciesMs.push(Number(latencyMs.toFixed(3)));
        else failed++;
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
    return { count, failed, wallMs: performance.now() - started, latenciesMs };
  }

  /**
   * Ring merge's external kick-start (algorithms.md §5.2): `addr` may be a node of another ring (an
   * operator knows both sides of a healed partition). Resolves with the contact's ref once it answered;
   * the merge itself runs in the background (a contact in my own ring ends it within a few messages).
   */
  async mergeWith(addr: string): Promise<NodeRef> {
    const contact = await this.transport.resolve(addr, MERGE_CONTACT_TIMEOUT_MS);
    this.node.mergeWith(contact);
    return contact;
  }

  /** A single-key operation through the store (linearizable, §7.10). */
  kv(key: string, op: KvOp): Promise<KvResult> {
    return new Promise((resolve) => this.node.submit(key, op, resolve));
  }

  /**
   * `count` operations of one kind on `keys` keys (key-0 …), `concurrency` at a time, from this node
   * (what `selfman bench kv` drives): per-operation latencies in ms, and how many failed.
   */
  async benchKv(
    workload: "read" | "write" | "incr",
    count: number,
    concurrency: number,
    keys: number,
  ): Promise<{ count: number; failed: number; wallMs: number; latenciesMs: number[] }> {
    const latenciesMs: number[] = [];
    let failed = 0;
    let next = 0;
    const started = performance.now();
    const worker = async () => {
      while (next < count) {
        const i = next++;
        const key = `key-${randomBytes(4).readUInt32BE(0) % keys}`;
        const op: KvOp =
          workload === "read"
            ? { kind: "get" }
            : workload === "write"
              ? { kind: "put", value: i }
              : { kind: "incr", by: 1 };
        const t0 = performance.now();
        const result = await this.kv(key, op);
        if (result.ok) latenciesMs.push(Number((performance.now() - t0).toFixed(3)));
        else failed++;
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
    return { count, failed, wallMs: performance.now() - started, latenciesMs };
  }

  /**
   * `fn` in a transaction on this node (it is the TM), committed; retried on conflict (§7.5).
   * Rejects with a TxError: `conflict` after every retry, or `unavailable` / `timeout`.
   */
  transaction<T>(fn: (tx: AsyncTx) => Promise<T>, options: RetryOptions = DEFAULT_RETRY) {
    return runTransaction(() => this.node.transaction(), fn, options);
  }

  /** A request list (Scalaris `req_list`), retried on conflict. */
  requestList(
    requests: readonly TxRequest[],
    options: RetryOptions = DEFAULT_RETRY,
  ): Promise<RequestListAnswer> {
    return runRequestListWithRetry(() => this.node.transaction(), requests, options);
  }

  /**
   * `count` transactions from this node, `concurrency` at a time (what `selfman bench tx` drives):
   * `increment` adds 1 to one of `keys` counters; `transfer` moves 1 between two of `keys` accounts
   * (if the first has it). Latencies of committed transactions (retries included), and attempts.
   */
  async benchTx(
    workload: "increment" | "transfer",
    count: number,
    concurrency: number,
    keys: number,
  ): Promise<{
    count: number;
    committed: number;
    attempts: number;
    failed: number;
    wallMs: number;
    latenciesMs: number[];
  }> {
    const latenciesMs: number[] = [];
    let failed = 0;
    let attempts = 0;
    let next = 0;
    const pick = () => randomBytes(4).readUInt32BE(0) % keys;
    const started = performance.now();
    const worker = async () => {
      while (next < count) {
        next++;
        const t0 = performance.now();
        try {
          const run =
            workload === "increment"
              ? await this.transaction(async (tx) => {
                  const key = `counter-${pick()}`;
                  const { value } = await tx.read(key);
                  await tx.write(key, (typeof value === "number" ? value : 0) + 1);
                })
              : await this.transaction(async (tx) => {
                  const a = pick();
                  const b = (a + 1 + (pick() % (keys - 1))) % keys;
                  const from = await tx.read(`account-${a}`);
                  const to = await tx.read(`account-${b}`);
                  const balance = typeof from.value === "number" ? from.value : 0;
                  if (balance < 1) return;
                  await tx.write(`account-${a}`, balance - 1);
                  await tx.write(`account-${b}`, (typeof to.value === "number" ? to.value : 0) + 1);
                });
          attempts += run.attempts;
          latenciesMs.push(Number((performance.now() - t0).toFixed(3)));
        } catch (error) {
          failed++;
          attempts += error instanceof TxError && error.code === "conflict" ? DEFAULT_RETRY.attempts : 1;
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
    return {
      count,
      committed: latenciesMs.length,
      attempts,
      failed,
      wallMs: performance.now() - started,
      latenciesMs,
    };
  }

  rangeHistory(): readonly RangeChange[] {
    return this.ranges;
  }

  status(): Record<string, unknown> {
    const ring = this.ring;
    const fd = ring.failureDetector;
    const ref = (r: NodeRef | null) => (r === null ? null : refToJson(r));
    return {
      name: this.name,
      ...refToJson(this.self),
      member: ring.isMember,
      ring: ring.ringRef,
      pred: ref(ring.pred),
      succ: ref(ring.succ),
      succList: ring.succList.map(refToJson),
      predList: ring.predecessors.map(refToJson),
      // A node whose predList holds more than its pred is the root of a branch (§2.1): those others
      // have it as successor but are not its predecessor.
      branch: {
        root: ring.predecessors.some((p) => ring.pred === null || p.addr !== ring.pred.addr),
        members: ring.predecessors
          .filter((p) => ring.pred === null || p.addr !== ring.pred.addr)
          .map(refToJson),
      },
      fingers: ring.fingerRefs().map(refToJson),
      routingTableSize: ring.routingTableSize(),
      suspected: ring.suspected().map(refToJson),
      uptimeSec: Math.round((Date.now() - this.startedAtMs) / 1000),
      failureDetector: {
        timeoutMs: fd.timeoutMs,
        monitored: fd.monitoredCount,
        suspicions: fd.suspicions,
        falseSuspicions: fd.falseSuspicions,
      },
      transport: { ...this.transport.stats, dropped: { ...this.transport.stats.dropped } },
      lookupsAnswered: this.lookupsAnswered,
      store: {
        items: this.store.size,
        unsynced: this.node.replicas.unsynced.length,
        operationsInFlight: this.node.kv.inFlight,
        transactionsInFlight: this.node.tm.inFlight,
        ...this.node.replicas.counters,
      },
    };
  }

  /** Prometheus text exposition of the node's counters. */
  metrics(): string {
    const stats = this.transport.stats;
    const fd = this.ring.failureDetector;
    const node = `node="${this.name}"`;
    const lines = [
      "# TYPE selfman_up gauge",
      `selfman_up{${node}} 1`,
      "# TYPE selfman_uptime_seconds gauge",
      `selfman_uptime_seconds{${node}} ${Math.round((Date.now() - this.startedAtMs) / 1000)}`,
      "# TYPE selfman_ring_member gauge",
      `selfman_ring_member{${node}} ${this.ring.isMember ? 1 : 0}`,
      "# TYPE selfman_routing_table_peers gauge",
      `selfman_routing_table_peers{${node}} ${this.ring.routingTableSize()}`,
      "# TYPE selfman_lookups_answered_total counter",
      `selfman_lookups_answered_total{${node}} ${this.lookupsAnswered}`,
      "# TYPE selfman_fd_suspicions_total counter",
      `selfman_fd_suspicions_total{${node}} ${fd.suspicions}`,
      "# TYPE selfman_fd_false_suspicions_total counter",
      `selfman_fd_false_suspicions_total{${node}} ${fd.falseSuspicions}`,
      "# TYPE selfman_transport_frames_total counter",
      `selfman_transport_frames_total{${node},direction="in"} ${stats.framesIn}`,
      `selfman_transport_frames_total{${node},direction="out"} ${stats.framesOut}`,
      "# TYPE selfman_transport_bytes_total counter",
      `selfman_transport_bytes_total{${node},direction="in"} ${stats.bytesIn}`,
      `selfman_transport_bytes_total{${node},direction="out"} ${stats.bytesOut}`,
      "# TYPE selfman_transport_connections_total counter",
      `selfman_transport_connections_total{${node},direction="in"} ${stats.connectionsIn}`,
      `selfman_transport_connections_total{${node},direction="out"} ${stats.connectionsOut}`,
      "# TYPE selfman_transport_dropped_total counter",
      ...Object.entries(stats.dropped).map(
        ([reason, count]) => `selfman_transport_dropped_total{${node},reason="${reason}"} ${count}`,
      ),
    ];
    return `${lines.join("\n")}\n`;
  }

  /**
   * Graceful leave (SIGTERM): tell the neighbours, give the transport a moment to write it, stop.
   * The successor takes over the range when `leaving` reaches it: one message delay without owner.
   */
  async leave(flushTimeoutMs = 1000): Promise<void> {
    if (this.stopped) return;
    this.node.leave();
    await this.transport.flushAll(flushTimeoutMs);
    await this.stop();
  }

  /** Stops at once: no goodbye (what a crash looks like to the others, minus the process exit). */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.env.stop();
    await this.transport.close();
    await this.store.close();
    this.logger.info("stopped");
  }
}
