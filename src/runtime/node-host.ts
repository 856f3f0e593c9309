// A process hosting several ring nodes (docs/live-runtime.md §7, Scalaris's --nodes-per-vm): each a
// LiveNode of its own — own port, own data directory, own ring id — that the API serves through and an
// operator adds, kills (a crash: peers must repair around it) or shuts down (a graceful leave) by name.
// Must not break: a killed node sends nothing more, not even a leave; a node is in live() only while it runs.
import net from "node:net";
import path from "node:path";
import type { Logger } from "pino";
import type { RingId } from "../core/id-space.js";
import type { InvariantViolation } from "../core/invariant.js";
import type { OverlayConfig } from "../overlay/config.js";
import { type HostedTls, NODE_NAME } from "./cluster-certificates.js";
import type { Durability } from "./durability.js";
import { LiveNode } from "./live-node.js";

/** A hosted node must be a ring member within this after it started, or it counts as failed. */
const MEMBER_TIMEOUT_MS = 30_000;
const MEMBER_POLL_MS = 50;
/** Tries at an OS-chosen port before a hosted node's start counts as failed (another took the port). */
const PORT_ATTEMPTS = 3;

export interface NodeHostOptions {
  /** The process's node name: the first hosted node's; the others are `<name>.2`, `<name>.3`, … */
  readonly name: string;
  readonly host: string;
  /** The first node's port; the others listen on OS-chosen ports of the same host. */
  readonly port: number;
  /** host:port of a member to join through; null: the first node starts a new ring. */
  readonly join: string | null;
  /** The first node's data directory; node N's is `<dataDir>/hosted/N`. */
  readonly dataDir: string;
  /** The first node's ring id when its data directory is new (default: random, as the others'). */
  readonly firstId?: RingId;
  /** How many nodes start with the process (at least 1). */
  readonly count: number;
  /** The TLS of the node named so; null: plain TCP (--insecure). */
  readonly tlsFor: (name: string) => Promise<HostedTls | null>;
  readonly logger: Logger;
  readonly overlay?: Partial<OverlayConfig>;
  /** Every hosted node's store durability (default `sync`, durability.ts). */
  readonly durability?: Durability;
  /** A hosted node stopped on a broken invariant (it is already out of live()). */
  readonly onFailStop?: (name: string, violation: InvariantViolation) => void;
}

/** What happened to a hosted node, for whoever reports it (the API's events). */
export interface HostChange {
  readonly kind: "started" | "killed" | "shutdown" | "fail-stop";
  readonly name: string;
}

export type HostListener = (change: HostChange) => void;

/** A free port on `host` as the OS picks it (it may be taken again before we bind: callers retry). */
function osChosenPort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once("error", reject);
    probe.listen(0, host, () => {
      const bound = probe.address();
      const port = bound !== null && typeof bound === "object" ? bound.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

/** Polls until `node` is a ring member, or the deadline passes; whether it became one. */
async function becameMember(node: LiveNode, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!node.ring.isMember) {
    if (node.isStopped || Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, MEMBER_POLL_MS));
  }
  return true;
}

export class NodeHost {
  private readonly options: NodeHostOptions;
  private readonly nodes: LiveNode[] = [];
  private readonly listeners = new Set<HostListener>();
  /** Crashes and leaves still closing their ports: stop() and leave() wait for them. */
  private readonly halting = new Set<Promise<void>>();
  /** The suffix of the next hosted node's name. */
  private nextIndex = 2;
  /** Where member() starts looking next (round-robin). */
  private rotation = 0;

  private constructor(options: NodeHostOptions) {
    this.options = options;
  }

  /**
   * Starts the process's node (with its name, port, data directory and --join), then `count - 1`
   * more joining through it. Rejects if the first does not start; a later one that fails is logged.
   */
  static async start(options: NodeHostOptions): Promise<NodeHost> {
    if (!(Number.isInteger(options.count) && options.count >= 1))
      throw new RangeError(`nodes per process: expected an integer ≥ 1, got ${options.count}`);
    const host = new NodeHost(options);
    const first = await host.startNode(
      options.name,
      options.port,
      options.dataDir,
      options.join,
      options.firstId,
    );
    host.admit(first);
    // the others join through it, so it must be a member first (if it never is, they try --join)
    if (options.count > 1) await becameMember(first, MEMBER_TIMEOUT_MS);
    const { failed } = await host.addNodes(options.count - 1);
    if (failed.length > 0) options.logger.warn({ failed }, "hosted nodes did not start");
    return host;
  }

  /** The nodes running in this process, in the order they started. */
  live(): readonly LiveNode[] {
    return this.nodes;
  }

  names(): string[] {
    return this.nodes.map((node) => node.name);
  }

  /** A running node that is a ring member, a different one each call (round-robin); null if none. */
  member(): LiveNode | null {
    const count = this.nodes.length;
    for (let i = 0; i < count; i++) {
      const node = this.nodes[(this.rotation + i) % count] as LiveNode;
      if (node.ring.isMember) {
        this.rotation = (this.rotation + i + 1) % count;
        return node;
      }
    }
    return null;
  }

  /** The first running node that is a member, else the first running node; null if none runs. */
  lead(): LiveNode | null {
    return this.nodes.find((node) => node.ring.isMember) ?? this.nodes[0] ?? null;
  }

  /** Calls `listener` on every change; returns what removes it. */
  onChange(listener: HostListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Starts `n` more nodes, one after another, each joining through a running member of this process
   * (else through --join) and counted ok once it is a ring member. With no member to join through, a
   * node fails rather than start a ring of its own beside the cluster's.
   */
  async addNodes(n: number): Promise<{ ok: string[]; failed: string[] }> {
    const ok: string[] = [];
    const failed: string[] = [];
    for (let i = 0; i < n; i++) {
      const name = this.nextName();
      const started = await this.addOne(name);
      (started ? ok : failed).push(name);
    }
    return { ok, failed };
  }

  /** Crashes the named node (no leave, no hand-over: as if its process died); false if none runs. */
  kill(name: string): boolean {
    const node = this.remove(name);
    if (node === null) return false;
    this.track(node.crash());
    this.emit({ kind: "killed", name });
    return true;
  }

  /** The named node leaves the ring gracefully (hands its items over); false if none runs. */
  async shutdown(name: string): Promise<boolean> {
    const node = this.remove(name);
    if (node === null) return false;
    const leaving = node.leave();
    this.track(leaving);
    await leaving;
    this.emit({ kind: "shutdown", name });
    return true;
  }

  /**
   * Kills `n` nodes, the latest started first (the process's own node last), and returns their names.
   * The last one may go too: the process then runs with no node, and the API answers unavailable.
   */
  killCount(n: number): string[] {
    const names = this.latestFirst(n);
    for (const name of names) this.kill(name);
    return names;
  }

  /** Shuts `n` nodes down one after another, latest started first; returns their names. */
  async shutdownCount(n: number): Promise<string[]> {
    const names = this.latestFirst(n);
    for (const name of names) await this.shutdown(name);
    return names;
  }

  /** Every node stops in place (no hand-over: the whole cluster is stopping; the data stays). */
  async stop(): Promise<void> {
    const nodes = this.nodes.splice(0);
    await Promise.all([...nodes.map((node) => node.stop()), ...this.halting]);
  }

  /** Every node leaves, one after another (each hands over to a successor that is still there). */
  async leave(): Promise<void> {
    const nodes = this.nodes.splice(0);
    for (const node of nodes) await node.leave();
    await Promise.all(this.halting);
  }

  private nextName(): string {
    return `${this.options.name}.${this.nextIndex++}`;
  }

  /** Starts one more node; whether it became a ring member (else it is stopped again). */
  private async addOne(name: string): Promise<boolean> {
    const contact = this.member()?.self.addr ?? this.options.join;
    if (contact === null || !NODE_NAME.test(name)) {
      this.options.logger.warn({ name, contact }, "cannot start a hosted node: no member or bad name");
      return false;
    }
    const dataDir = path.join(this.options.dataDir, "hosted", name);
    const node = await this.startOnFreePort(name, dataDir, contact).catch((error: unknown) => {
      this.options.logger.warn({ name, err: error }, "hosted node did not start");
      return null;
    });
    if (node === null) return false;
    if (!(await becameMember(node, MEMBER_TIMEOUT_MS))) {
      this.options.logger.warn({ name }, "hosted node did not become a ring member: stopped");
      await node.stop();
      return false;
    }
    this.admit(node);
    return true;
  }

  /** A node on an OS-chosen port, retried if another socket took that port before the node bound it. */
  private async startOnFreePort(name: string, dataDir: string, join: string): Promise<LiveNode> {
    for (let attempt = 1; ; attempt++) {
      const port = await osChosenPort(this.options.host);
      try {
        return await this.startNode(name, port, dataDir, join);
      } catch (error) {
        const inUse = (error as NodeJS.ErrnoException).code === "EADDRINUSE";
        if (!inUse || attempt >= PORT_ATTEMPTS) throw error;
      }
    }
  }

  private async startNode(
    name: string,
    port: number,
    dataDir: string,
    join: string | null,
    id?: RingId,
  ): Promise<LiveNode> {
    const tls = await this.options.tlsFor(name);
    return LiveNode.start({
      ...(id === undefined ? {} : { id }),
      name,
      certName: tls?.certName ?? name,
      host: this.options.host,
      port,
      join,
      dataDir,
      tls: tls?.material ?? null,
      logger: name === this.options.name ? this.options.logger : this.options.logger.child({ hosted: name }),
      overlay: this.options.overlay ?? {},
      ...(this.options.durability === undefined ? {} : { durability: this.options.durability }),
      onFailStop: (violation) => this.onFailStop(name, violation),
    });
  }

  private admit(node: LiveNode): void {
    this.nodes.push(node);
    this.emit({ kind: "started", name: node.name });
  }

  private onFailStop(name: string, violation: InvariantViolation): void {
    this.remove(name);
    this.emit({ kind: "fail-stop", name });
    this.options.onFailStop?.(name, violation);
  }

  /** Takes the named node out of live(); null if it is not running here. */
  private remove(name: string): LiveNode | null {
    const at = this.nodes.findIndex((node) => node.name === name);
    if (at < 0) return null;
    const [node] = this.nodes.splice(at, 1);
    return node ?? null;
  }

  private latestFirst(n: number): string[] {
    return this.names().reverse().slice(0, Math.max(0, n));
  }

  private track(halting: Promise<void>): void {
    const tracked = halting.catch((error: unknown) => {
      this.options.logger.error({ err: error }, "a hosted node did not stop cleanly");
    });
    this.halting.add(tracked);
    void tracked.then(() => this.halting.delete(tracked));
  }

  private emit(change: HostChange): void {
    for (const listener of this.listeners) {
      try {
        listener(change);
      } catch (error) {
        this.options.logger.error({ err: error, change }, "a host listener threw");
      }
    }
  }
}
