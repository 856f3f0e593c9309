// One selfman node in a real process (docs/live-runtime.md §4): the SelfmanNode of src/node, unchanged,
// on a LiveEnv and the TLS transport. Every entry into protocol code — a message, a timer, a local
// call — is one LiveEnv turn, so a broken invariant anywhere stops the node (fail-stop.ts), and any
// other error is logged and counted in one place (handlerError). It keeps
// its name and ring id in its data directory (a restart rejoins with the same id and a new nonce),
// records its range changes with wall-clock times (what the live tests check for overlaps), and
// leaves gracefully on request. The admin server and the CLI read it through status() and metrics().
import { randomBytes } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import type { Logger } from "pino";
import { IdSpace, type RingId } from "../core/id-space.js";
import { InvariantViolation } from "../core/invariant.js";
import { hashKey } from "../core/key-hash.js";
import { CheckedRef, type NodeRef, nodeRefSchema, refToJson } from "../core/node-ref.js";
import { type NodeMessage, type NodeTimer, SelfmanNode } from "../node/selfman-node.js";
import { DEFAULT_OVERLAY, type OverlayConfig } from "../overlay/config.js";
import type { RelaxedRingNode } from "../overlay/relaxed-ring-node.js";
import type { LookupResult } from "../overlay/ring-view.js";
import type { StoredItem } from "../store/item.js";
import type { KvOp, KvResult } from "../store/kv-proposer.js";
import { DEFAULT_PROPOSER } from "../store/kv-proposer.js";
import { DEFAULT_STORE } from "../store/replica-store.js";
import type { TxRequest } from "../tx/request-list.js";
import { DEFAULT_TX } from "../tx/tx-coordinator.js";
import type { TxEntry } from "../tx/tx-lock.js";
import { nodeMessageCodec } from "../wire/message-codec.js";
import { DEFAULT_DURABILITY, type Durability } from "./durability.js";
import { DurableOutbox } from "./durable-outbox.js";
import { LiveEnv } from "./live-env.js";
import { LmdbStorePort } from "./lmdb-store.js";
import type { NodeStatus } from "./node-status.js";
import { OperationStats } from "./operation-stats.js";
import {
  type AsyncTx,
  DEFAULT_RETRY,
  type RequestListAnswer,
  type RetryOptions,
  runRequestListWithRetry,
  runTlogStep,
  runTransaction,
  type TxGate,
} from "./transactions.js";
import { DEFAULT_TRANSPORT, type TlsMaterial, Transport } from "./transport.js";
import { DropReason } from "./transport-stats.js";

/** How long `mergeWith` waits for the contact to answer the handshake. */
const MERGE_CONTACT_TIMEOUT_MS = 10_000;

interface LiveNodeOptions {
  readonly name: string;
  /**
   * The name this node says in its handshake, which must be the common name of its certificate
   * (default: `name`). A node hosted beside others in one process may share that process's
   * certificate (node-host.ts): it then speaks under the certificate's name.
   */
  readonly certName?: string;
  readonly host: string;
  readonly port: number;
  /** host:port of a member to join through; null starts a new ring. */
  readonly join: string | null;
  readonly dataDir: string;
  /**
   * The ring id of a node new to its data directory (default: a random one). A node the directory
   * already holds keeps its own id: a restart never moves a node on the ring.
   */
  readonly id?: RingId;
  /** null: plain TCP (--insecure). */
  readonly tls: TlsMaterial | null;
  readonly overlay?: Partial<OverlayConfig>;
  readonly logger: Logger;
  /** Whether a write is on disk before the messages after it leave (default `sync`; durability.ts). */
  readonly durability?: Durability;
  /**
   * Called once the node has stopped on a broken invariant (fail-stop: logged as fatal, that turn's
   * messages dropped, nothing more runs). `selfman node` exits with FAIL_STOP_EXIT_CODE here.
   */
  readonly onFailStop?: (violation: InvariantViolation) => void;
}

/** One change of this node's range, as the range-history endpoint reports it. */
interface RangeChange {
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
async function loadOrCreateIdentity(
  dataDir: string,
  name: string,
  ids: IdSpace,
  fresh: RingId | undefined,
): Promise<RingId> {
  const file = path.join(dataDir, "node.json");
  await mkdir(dataDir, { recursive: true });
  const text = await readFile(file, "utf8").catch(() => null);
  if (text !== null) {
    const identity = JSON.parse(text) as Identity;
    if (identity.name !== name)
      throw new Error(`${file} belongs to node ${identity.name}, not ${name}: use another --data-dir`);
    return ids.parse(identity.id);
  }
  const id = fresh ?? ids.randomId(() => randomBytes(4).readUInt32BE(0) / 2 ** 32);
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
  /** Under `sync` durability: holds each turn's messages until its writes are on disk; else null. */
  private readonly outbox: DurableOutbox<NodeMessage> | null;
  private readonly logger: Logger;
  private readonly startedAtMs = Date.now();
  private readonly ranges: RangeChange[] = [];
  private lookupsAnswered = 0;
  private readonly operations = new OperationStats();
  private stopped = false;
  /** Transactions on this node, each entry into protocol code one turn. */
  private readonly transactions: TxGate = {
    begin: () => this.node.transaction(),
    enter: (call) => this.env.turn("call tx", call),
  };
  /** Test-only (plantViolation): the next message turn breaks a rule after its handler ran. */
  private violationPlanted = false;

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
    this.outbox = this.groupCommit(options.durability ?? DEFAULT_DURABILITY, options.onFailStop);
    const outbox = this.outbox;
    this.env = new LiveEnv<NodeMessage, NodeTimer>(self, {
      send: outbox === null ? (to, msg) => this.transport.send(to, msg) : (to, msg) => outbox.post(to, msg),
      emit: (event) => this.onEvent(event.type),
      onHandlerError: (entry, error) => this.handlerError(entry, error),
      onInvariantViolation: (violation) => this.failStop(violation, options.onFailStop),
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
    const id = await loadOrCreateIdentity(options.dataDir, options.name, ids, options.id);
    // A CheckedRef: the codec sends it as a compact, cached extension (frames.ts).
    const self = new CheckedRef(id, `${options.host}:${options.port}`, randomBytes(6).readUIntBE(0, 6));
    // Messages that arrive before the node exists (nobody should know it yet) are counted and dropped.
    let node: LiveNode | null = null;
    const transport = new Transport<NodeMessage>(
      self,
      options.certName ?? options.name,
      { ...DEFAULT_TRANSPORT, host: options.host, port: options.port, tls: options.tls },
      nodeMessageCodec(ids),
      nodeRefSchema(ids),
      {
        onMessage: (from, msg) => {
          if (node === null) throw new Error("not started yet");
          node.onMessage(from, msg);
        },
        onWarning: (what, detail) => options.logger.warn(detail, what),
      },
    );
    const durability = options.durability ?? DEFAULT_DURABILITY;
    const store = new LmdbStorePort(path.join(options.dataDir, "store"), ids, durability);
    if (store.powerLossSuspected)
      options.logger.warn(
        "the store was last written under --durability process before this machine restarted: its last writes may be lost, so it rejoins unsynced",
      );
    try {
      await transport.start();
      const contact =
        options.join === null ? null : await transport.resolve(options.join, JOIN_CONTACT_TIMEOUT_MS);
      node = new LiveNode(options, ids, self, transport, contact, store);
    } catch (error) {
      await transport.close();
      await store.close();
      throw error;
    }
    const started = node;
    started.env.turn("call start", () => started.node.start());
    options.logger.info({ id: id.toString(), addr: self.addr, join: options.join, durability }, "started");
    return node;
  }

  /**
   * Group commit under `sync` durability (docs/architecture.md §5): the store counts its writes into the
   * outbox, which holds every message sent after an unsynced write until one sync covers it. A failed
   * sync leaves nothing the node could promise: it stops, as on a broken invariant.
   */
  private groupCommit(
    durability: Durability,
    onFailStop: ((violation: InvariantViolation) => void) | undefined,
  ): DurableOutbox<NodeMessage> | null {
    if (durability === "process") return null;
    const outbox = new DurableOutbox<NodeMessage>(
      () => this.store.flushed(),
      (to, msg) => this.transport.send(to, msg),
      (error) => {
        const violation = new InvariantViolation(
          "durability",
          `the store could not sync to disk: ${error instanceof Error ? error.message : String(error)}`,
        );
        this.failStop(violation, onFailStop);
      },
    );
    this.store.onWrite = () => outbox.noteWrite();
    return outbox;
  }

  /** One message from a peer, as one turn. */
  private onMessage(from: NodeRef, msg: NodeMessage): void {
    try {
      this.env.turn(`message ${msg.type}`, () => {
        this.node.onMessage(from, msg);
        if (this.violationPlanted) {
          this.violationPlanted = false;
          throw new InvariantViolation(
            "planted",
            `a test broke the ${msg.type} turn on purpose (plantViolation)`,
          );
        }
      });
    } catch {
      // reported by the turn (handlerError); the sender is not told, the node goes on
    }
  }

  /**
   * Any error but a broken invariant, from a message, a timer or a local call
   * (docs/live-runtime.md §4): logged and counted as `handler-error` (the drop counts of /status and
   * /metrics), and the node goes on. A local call's caller also gets the error.
   */
  private handlerError(entry: string, error: unknown): void {
    this.transport.stats.drop(DropReason.handlerError);
    this.logger.error({ entry, err: error }, "handler threw");
  }

  /**
   * Fail-stop (docs/architecture.md §8): a turn broke an invariant. The env has already dropped that
   * turn's messages and stopped; say which rule, close the node's ports, and tell the owner.
   */
  private failStop(violation: InvariantViolation, onFailStop: LiveNodeOptions["onFailStop"]): void {
    this.logger.fatal(
      { rule: violation.rule, err: violation.message },
      `invariant ${violation.rule} violated: the node stops (fail-stop)`,
    );
    void this.stop();
    onFailStop?.(violation);
  }

  /**
   * Test-only (SELFMAN_TEST_PLANT_VIOLATION, fail-stop.ts): the next message turn throws an
   * InvariantViolation named "planted" after its handler ran — what a real broken rule does.
   */
  plantViolation(): void {
    this.violationPlanted = true;
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
    return new Promise((resolve) => {
      const done = (result: LookupResult) => resolve({ result, latencyMs: performance.now() - started });
      if (!this.env.turn("call lookup", () => this.ring.lookup(id, done)))
        done({ ok: false, reason: "left" });
    });
  }

  /**
   * Ring merge's external kick-start (docs/ring-merge.md §2): `addr` may be a node of another ring (an
   * operator knows both sides of a healed partition). Resolves with the contact's ref once it answered;
   * the merge itself runs in the background (a contact in my own ring ends it within a few messages).
   */
  async mergeWith(addr: string): Promise<NodeRef> {
    const contact = await this.transport.resolve(addr, MERGE_CONTACT_TIMEOUT_MS);
    this.env.turn("call merge", () => this.node.mergeWith(contact));
    return contact;
  }

  /** A single-key operation through the store (linearizable, docs/register.md). */
  kv(key: string, op: KvOp): Promise<KvResult> {
    return this.timed(
      new Promise((resolve) => {
        if (!this.env.turn("call kv", () => this.node.submit(key, op, resolve)))
          resolve({ ok: false, code: "unavailable", message: "the node has stopped" });
      }),
      (result) => result.ok,
    );
  }

  /** Counts an operation this node coordinates in its status (docs/dashboard.md §4) as it settles. */
  private timed<T>(operation: Promise<T>, succeeded: (value: T) => boolean): Promise<T> {
    const started = performance.now();
    return operation.then(
      (value) => {
        this.operations.record(performance.now() - started, succeeded(value));
        return value;
      },
      (error: unknown) => {
        this.operations.record(performance.now() - started, false);
        throw error;
      },
    );
  }

  /**
   * `fn` in a transaction on this node (it is the TM), committed; retried on conflict
   * (docs/transactions.md §6). Rejects with a TxError: `conflict` after every retry, or `unavailable` /
   * `timeout`.
   */
  transaction<T>(fn: (tx: AsyncTx) => Promise<T>, options: RetryOptions = DEFAULT_RETRY) {
    return this.timed(runTransaction(this.transactions, fn, options), () => true);
  }

  /** A request list (Scalaris `req_list`), retried on conflict. */
  requestList(
    requests: readonly TxRequest[],
    options: RetryOptions = DEFAULT_RETRY,
  ): Promise<RequestListAnswer> {
    return this.timed(runRequestListWithRetry(this.transactions, requests, options), (a) => a.kind === "ran");
  }

  /** One step of a client-carried transaction (transactions.ts runTlogStep); no retry. */
  tlogStep(entries: readonly TxEntry[], requests: readonly TxRequest[]) {
    return runTlogStep(this.transactions, entries, requests);
  }

  /**
   * What this node's own store holds of `key` at replica id `replicaId`, read straight from disk: no
   * protocol, no majority — the key inspector's view of one replica (docs/dashboard.md §3).
   */
  heldItem(replicaId: RingId, key: string): StoredItem | undefined {
    return this.store.get(replicaId, key);
  }

  rangeHistory(): readonly RangeChange[] {
    return this.ranges;
  }

  status(): NodeStatus {
    const ring = this.ring;
    const fd = ring.failureDetector;
    const ref = (r: NodeRef | null) => (r === null ? null : refToJson(r));
    return {
      name: this.name,
      ...refToJson(this.self),
      pid: process.pid,
      member: ring.isMember,
      ring: ring.ringRef,
      pred: ref(ring.pred),
      succ: ref(ring.succ),
      succList: ring.succList.map(refToJson),
      predList: ring.predecessors.map(refToJson),
      // A node whose predList holds more than its pred is the root of a branch (docs/relaxed-ring.md §6.1):
      // those others have it as successor but are not its predecessor.
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
      transport: this.transport.stats.snapshot(),
      lookupsAnswered: this.lookupsAnswered,
      operations: this.operations.figures(),
      store: {
        items: this.store.size,
        unsynced: this.node.replicas.unsynced.length,
        operationsInFlight: this.node.kv.inFlight,
        transactionsInFlight: this.node.tm.inFlight,
        ...this.node.replicas.counters,
        ...this.syncFigures(),
      },
    };
  }

  /** Group commit's counters (all 0 under `process` durability). */
  private syncFigures(): { syncs: number; syncMsTotal: number; messagesHeldForSync: number } {
    const figures = this.outbox?.figures();
    return {
      syncs: figures?.syncs ?? 0,
      syncMsTotal: Math.round(figures?.syncMsTotal ?? 0),
      messagesHeldForSync: figures?.heldMessages ?? 0,
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
      "# TYPE selfman_transport_writes_total counter",
      `selfman_transport_writes_total{${node}} ${stats.writesOut}`,
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
    this.env.turn("call leave", () => this.node.leave());
    await this.outbox?.drained();
    await this.transport.flushAll(flushTimeoutMs);
    await this.stop();
  }

  /** Stops at once: no goodbye (what a crash looks like to the others, minus the process exit). */
  stop(): Promise<void> {
    return this.halt("stopped");
  }

  /**
   * Crashes the node inside a process that goes on (node-host.ts kills one of several): no leave, no
   * hand-over, nothing queued is written — its connections are cut, so its peers see what a process
   * death shows them and repair the ring around it. Its data stays on disk, as a crash leaves it.
   */
  crash(): Promise<void> {
    return this.halt("crashed");
  }

  /** Whether the node has stopped (by a leave, a stop, a crash or a fail-stop). */
  get isStopped(): boolean {
    return this.stopped;
  }

  private async halt(how: "stopped" | "crashed"): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.env.stop();
    this.outbox?.stop();
    await this.transport.close();
    await this.store.close();
    this.logger.info(how);
  }
}
