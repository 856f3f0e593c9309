// The deterministic discrete-event simulator (docs/simulator.md §1): a virtual clock, one queue of
// message deliveries, timers and scenario actions ordered by (time, seq), a seeded network model, node
// crash and restart, fault hooks (BUGGIFY), observers and invariant checkers over the whole system.
// One seed decides everything. Never read wall time or Math.random here: a run must replay exactly.
// Hot path: per-node liveness sits in typed arrays, refs carry their node index, and pending events are
// packed records (event-records.ts), because at 10^4 nodes the simulator's speed is bounded by cache
// misses and the garbage collector, not by arithmetic (bench sim-core).
import type { Env, Process, ProcessFactory, TimerId } from "../../core/env.js";
import { IdSpace, type RingId } from "../../core/id-space.js";
import { InvariantViolation } from "../../core/invariant.js";
import type { MessageBase, TimerTagBase, TraceEvent } from "../../core/message.js";
import type { NodeRef } from "../../core/node-ref.js";
import { EventOrder } from "./event-order.js";
import { EventKind, EventRecords } from "./event-records.js";
import { MachineIds } from "./machine-ids.js";
import { type DropReason, MAX_SIM_NODES, Network, type NetworkConfig } from "./network.js";
import { Prng } from "./prng.js";
import { type SimRef, SimRefs } from "./sim-refs.js";
import { TimerTable } from "./timer-table.js";
import { TraceHash } from "./trace-hash.js";

interface BuggifyConfig {
  readonly enabled: boolean;
  /** Probability that a given fault site is active in this run. */
  readonly siteProbability: number;
  /** Probability that an active site fires on a given call. */
  readonly fireProbability: number;
}

/**
 * The default of SimConfig.crashDelivery: a crash is as often a process crash (the kernel still sends
 * what the process wrote) as a machine crash or a connection reset (it is lost).
 */
export const DEFAULT_CRASH_DELIVERY = 0.5;

export interface SimConfig {
  readonly seed: number;
  readonly idBits?: number;
  readonly network?: Partial<NetworkConfig>;
  readonly buggify?: Partial<BuggifyConfig>;
  /**
   * Probability that the messages a crashed incarnation had in flight are still delivered
   * (docs/simulator.md §3). At each crash the simulator's own stream decides, once for all of that
   * incarnation's messages: delivered, as TCP delivers bytes written before a process died, or
   * dropped, as a machine crash or a connection reset loses them. Messages to a crashed incarnation
   * are always dropped. 0 drops them all and draws nothing (the model before this knob existed).
   * Default DEFAULT_CRASH_DELIVERY.
   */
  readonly crashDelivery?: number;
}

/** The key of one incarnation of one node in the set of incarnations whose in-flight messages live on. */
const incarnationKey = (index: number, incarnation: number) => `${index}/${incarnation}`;

/** A simulated machine: a stable address and id, and the incarnation of the process now running. */
export class SimNode<M extends MessageBase, T extends TimerTagBase> {
  readonly index: number;
  readonly addr: string;
  readonly id: RingId;
  readonly factory: ProcessFactory<M, T>;
  /** The current incarnation's ref (a new nonce after each restart). */
  ref: NodeRef;
  private readonly sim: Simulator<M, T>;

  constructor(sim: Simulator<M, T>, index: number, addr: string, id: RingId, factory: ProcessFactory<M, T>) {
    this.sim = sim;
    this.index = index;
    this.addr = addr;
    this.id = id;
    this.factory = factory;
    this.ref = { id, addr: this.addr, nonce: 0 };
  }

  get alive(): boolean {
    return this.sim.isAlive(this.index);
  }

  get incarnation(): number {
    return this.sim.incarnationOf(this.index);
  }

  /** The running process, or null while crashed. */
  get process(): Process<M, T> | null {
    return this.sim.processOf(this.index);
  }
}

interface SimObserver<M extends MessageBase, T extends TimerTagBase> {
  onSend?(from: SimNode<M, T>, to: NodeRef, msg: M): void;
  onDeliver?(from: number, to: SimNode<M, T>, msg: M, sentAtMs: number): void;
  onDrop?(from: number, to: string, msg: M, reason: DropReason): void;
  onTimer?(node: SimNode<M, T>, tag: T): void;
  onStart?(node: SimNode<M, T>): void;
  onCrash?(node: SimNode<M, T>): void;
  onEmit?(node: SimNode<M, T>, event: TraceEvent): void;
  /** After every event that ran a handler (deliveries and timers). */
  afterEvent?(): void;
}

export interface Violation {
  readonly invariant: string;
  readonly atMs: number;
  readonly message: string;
}

type InvariantCheck = () => string | null;

interface SimStats {
  events: number;
  sent: number;
  delivered: number;
  dropped: Record<DropReason, number>;
  duplicated: number;
  timersFired: number;
  crashes: number;
  /** Processes that exited on their own (exit), not counted as crashes. */
  stops: number;
  restarts: number;
  /** Messages sent, by message type (a mutable cell per type: one map lookup per send). */
  readonly sentByType: Map<string, { count: number }>;
}

/**
 * One incarnation's Env. Small on purpose — what every send, timer and clock read touches first —
 * with the rarely used random stream in an object of its own.
 */
class SimEnv<M extends MessageBase, T extends TimerTagBase> implements Env<M, T> {
  private readonly sim: Simulator<M, T>;
  private readonly index: number;
  private readonly incarnation: number;
  readonly self: SimRef;
  private readonly rng: Prng;

  constructor(sim: Simulator<M, T>, self: SimRef, incarnation: number, rng: Prng) {
    this.sim = sim;
    this.index = self.simIndex;
    this.incarnation = incarnation;
    this.self = self;
    this.rng = rng;
  }

  now(): number {
    return this.sim.nowMs;
  }

  send(to: NodeRef, msg: M): void {
    if (this.sim.isCurrent(this.index, this.incarnation)) this.sim.send(this.index, this.self, to, msg);
  }

  setTimer(afterMs: number, tag: T): TimerId {
    return this.sim.isCurrent(this.index, this.incarnation) ? this.sim.setTimer(this.index, afterMs, tag) : 0;
  }

  cancelTimer(id: TimerId): void {
    this.sim.cancelTimer(id);
  }

  random(): number {
    return this.rng.next();
  }

  buggify(site: string): boolean {
    return this.sim.buggify(site);
  }

  emit(event: TraceEvent): void {
    if (this.sim.isCurrent(this.index, this.incarnation)) this.sim.emit(this.index, event);
  }
}

export class Simulator<M extends MessageBase, T extends TimerTagBase> {
  readonly seed: number;
  readonly ids: IdSpace;
  readonly trace = new TraceHash();
  readonly net: Network;
  /** The scenario's own stream: workload, churn and fault choices. */
  readonly rng: Prng;
  readonly nodes: SimNode<M, T>[] = [];
  readonly stats: SimStats = {
    events: 0,
    sent: 0,
    delivered: 0,
    dropped: { loss: 0, cut: 0, partition: 0, filter: 0, "dest-down": 0, "src-down": 0, "unknown-dest": 0 },
    duplicated: 0,
    timersFired: 0,
    crashes: 0,
    stops: 0,
    restarts: 0,
    sentByType: new Map(),
  };
  readonly violations: Violation[] = [];
  nowMs = 0;

  private alive = new Uint8Array(64);
  private incarnations = new Int32Array(64);
  private readonly processes: (Process<M, T> | null)[] = [];
  private readonly root: Prng;
  private readonly nodeRngRoot: Prng;
  private readonly machineIds: MachineIds;
  private readonly refs = new SimRefs();
  private readonly nonceRng: Prng;
  private readonly buggifyRng: Prng;
  private readonly crashRng: Prng;
  private readonly crashDelivery: number;
  /** Crashed incarnations whose in-flight messages are still delivered (incarnationKey). */
  private readonly deliveredAfterCrash = new Set<string>();
  private readonly buggifyConfig: BuggifyConfig;
  private readonly buggifySites = new Map<string, boolean>();
  /** Sites that returned true at least once (docs/simulator.md §4). */
  private readonly firedSites = new Set<string>();
  /** Pending events: their order (handles by time, then scheduling order) and their records. */
  private readonly queue = new EventOrder();
  private readonly events = new EventRecords();
  /** Pending timers' event handles, by TimerId. */
  private readonly timers = new TimerTable<number>();
  private readonly byAddr = new Map<string, number>();
  private readonly observers: SimObserver<M, T>[] = [];
  /** Observers by hook, so the hot paths touch only those that asked (most observe a few hooks). */
  private readonly sendObservers: SimObserver<M, T>[] = [];
  private readonly deliverObservers: SimObserver<M, T>[] = [];
  private readonly timerObservers: SimObserver<M, T>[] = [];
  private readonly emitObservers: SimObserver<M, T>[] = [];
  private readonly afterEventObservers: SimObserver<M, T>[] = [];
  private readonly eventInvariants: { name: string; check: InvariantCheck }[] = [];
  private stopped = false;
  /** True while run() dispatches events (it then catches InvariantViolation itself). */
  private running = false;

  constructor(config: SimConfig) {
    this.seed = config.seed;
    this.ids = new IdSpace(config.idBits);
    this.root = Prng.fromSeed(config.seed, this.trace);
    this.net = new Network(config.network ?? {}, this.root.split("network"));
    this.rng = this.root.split("scenario");
    this.nodeRngRoot = this.root.split("nodes");
    this.machineIds = new MachineIds(this.ids, this.nodeRngRoot, this.trace);
    this.nonceRng = this.root.split("nonces");
    this.buggifyRng = this.root.split("buggify");
    this.buggifyConfig = { enabled: false, siteProbability: 0.25, fireProbability: 0.05, ...config.buggify };
    this.crashRng = this.root.split("crash-delivery");
    this.crashDelivery = config.crashDelivery ?? DEFAULT_CRASH_DELIVERY;
    if (!(this.crashDelivery >= 0 && this.crashDelivery <= 1))
      throw new RangeError(`crashDelivery must be a probability in [0, 1], got ${this.crashDelivery}`);
  }

  // ---- building the system -------------------------------------------------------------------

  /** Adds a machine and starts its process now. Ids are random unless given. */
  addNode(factory: ProcessFactory<M, T>, options: { id?: RingId } = {}): SimNode<M, T> {
    const index = this.nodes.length;
    if (index >= MAX_SIM_NODES) throw new RangeError(`at most ${MAX_SIM_NODES} simulated nodes`);
    const id = options.id ?? this.machineIds.take(index);
    const node = new SimNode(this, index, this.refs.addrOf(index), id, factory);
    this.nodes.push(node);
    this.processes.push(null);
    this.byAddr.set(node.addr, index);
    if (index >= this.alive.length) this.growNodeArrays();
    this.alive[index] = 1;
    this.boot(node);
    return node;
  }

  /**
   * Crash now: the process is gone, its timers die, messages in flight to this incarnation are dropped,
   * and those it sent are still delivered or dropped, all of them, as one draw of the simulator's own
   * stream decides (crashDelivery, docs/simulator.md §3).
   */
  crash(index: number): void {
    this.halt(index, null);
  }

  /**
   * The process exits on its own (after a graceful leave): like a crash, but what it sent before it
   * exited is still delivered — an exiting process's sockets flush — and the seed draws nothing.
   */
  exit(index: number): void {
    this.halt(index, true);
  }

  /** Ends the running incarnation; its in-flight messages are delivered if `deliver`, else as the seed says. */
  private halt(index: number, deliver: boolean | null): void {
    const node = this.nodeAt(index);
    if (!node.alive) return;
    for (const o of this.observers) o.onCrash?.(node);
    const incarnation = this.incarnations[index] as number;
    const delivered = deliver ?? (this.crashDelivery > 0 && this.crashRng.next() < this.crashDelivery);
    if (delivered) this.deliveredAfterCrash.add(incarnationKey(index, incarnation));
    this.alive[index] = 0;
    this.processes[index] = null;
    this.incarnations[index] = (this.incarnations[index] as number) + 1;
    if (deliver === null) this.stats.crashes++;
    else this.stats.stops++;
    this.trace.mix(0xc4a5);
    this.trace.mix(index);
  }

  /** Restarts a crashed machine: same id and address, a new nonce, a fresh process. */
  restart(index: number): void {
    const node = this.nodeAt(index);
    if (node.alive) return;
    this.alive[index] = 1;
    this.incarnations[index] = (this.incarnations[index] as number) + 1;
    this.stats.restarts++;
    this.boot(node);
  }

  nodeAt(index: number): SimNode<M, T> {
    const node = this.nodes[index];
    if (node === undefined) throw new RangeError(`no simulated node ${index}`);
    return node;
  }

  nodeByAddr(addr: string): SimNode<M, T> | undefined {
    const index = this.byAddr.get(addr);
    return index === undefined ? undefined : this.nodes[index];
  }

  isAlive(index: number): boolean {
    return this.alive[index] === 1;
  }

  incarnationOf(index: number): number {
    return this.incarnations[index] ?? 0;
  }

  processOf(index: number): Process<M, T> | null {
    return this.processes[index] ?? null;
  }

  /** True while `incarnation` is the running incarnation of node `index`. */
  isCurrent(index: number, incarnation: number): boolean {
    return this.alive[index] === 1 && this.incarnations[index] === incarnation;
  }

  liveNodes(): SimNode<M, T>[] {
    return this.nodes.filter((n) => this.alive[n.index] === 1);
  }

  /** Splits the nodes into groups (by index); unlisted nodes form one more group. */
  partition(groups: readonly (readonly number[])[]): void {
    this.net.partition(groups, this.nodes.length);
  }

  heal(): void {
    this.net.heal();
  }

  // ---- scenario control -------------------------------------------------------------------------

  /** Runs `action` at virtual time `timeMs` (not before now). */
  at(timeMs: number, action: () => void): void {
    this.queue.push(this.events.alloc(EventKind.action, action), Math.max(timeMs, this.nowMs), this.nowMs);
  }

  after(delayMs: number, action: () => void): void {
    this.at(this.nowMs + delayMs, action);
  }

  /** Runs `action` every `periodMs` from now + periodMs until `untilMs` (inclusive). */
  every(periodMs: number, untilMs: number, action: () => void): void {
    if (!(periodMs > 0)) throw new RangeError(`period must be > 0, got ${periodMs}`);
    const tick = () => {
      action();
      if (this.nowMs + periodMs <= untilMs) this.after(periodMs, tick);
    };
    if (this.nowMs + periodMs <= untilMs) this.after(periodMs, tick);
  }

  observe(observer: SimObserver<M, T>): void {
    this.observers.push(observer);
    if (observer.onSend) this.sendObservers.push(observer);
    if (observer.onDeliver) this.deliverObservers.push(observer);
    if (observer.onTimer) this.timerObservers.push(observer);
    if (observer.onEmit) this.emitObservers.push(observer);
    if (observer.afterEvent) this.afterEventObservers.push(observer);
  }

  /** Checks `check` after every handler (`everyMs` omitted) or periodically; a message stops the run. */
  addInvariant(
    name: string,
    check: InvariantCheck,
    options: { everyMs?: number; untilMs?: number } = {},
  ): void {
    if (options.everyMs === undefined) {
      this.eventInvariants.push({ name, check });
      return;
    }
    this.every(options.everyMs, options.untilMs ?? Number.POSITIVE_INFINITY, () =>
      this.checkInvariant(name, check),
    );
  }

  /** Runs one check now, recording a violation (and stopping) if it fails. */
  checkInvariant(name: string, check: InvariantCheck): boolean {
    const problem = check();
    if (problem === null) return true;
    this.violations.push({ invariant: name, atMs: this.nowMs, message: problem });
    this.stopped = true;
    return false;
  }

  stop(): void {
    this.stopped = true;
  }

  get isStopped(): boolean {
    return this.stopped;
  }

  /**
   * Processes events up to and including `untilMs`; the clock then reads `untilMs` (unless stopped).
   * A protocol assertion that breaks in any handler (delivery, timer, scenario action) is recorded as a
   * violation and stops the run (docs/simulator.md §5); any other exception is a bug and propagates.
   */
  run(untilMs: number, onProgress?: (nowMs: number) => void): void {
    this.running = true;
    try {
      this.loop(untilMs, onProgress);
    } catch (error) {
      if (!(error instanceof InvariantViolation)) throw error;
      this.recordAssertion(error);
    } finally {
      this.running = false;
    }
    if (!this.stopped) this.nowMs = Math.max(this.nowMs, untilMs);
    onProgress?.(this.nowMs);
  }

  private loop(untilMs: number, onProgress?: (nowMs: number) => void): void {
    const queue = this.queue;
    const progressEvery = 1 << 16;
    let sinceProgress = 0;
    const events = this.events;
    while (!this.stopped && queue.peekTime() <= untilMs) {
      this.nowMs = queue.peekTime();
      const handle = queue.pop();
      const kind = events.kind(handle);
      if (kind === EventKind.deliver) this.deliver(handle);
      else if (kind === EventKind.timer) this.fire(handle);
      else {
        const action = events.payload(handle) as () => void;
        events.release(handle);
        action();
      }
      if (onProgress !== undefined && ++sinceProgress >= progressEvery) {
        sinceProgress = 0;
        onProgress(this.nowMs);
      }
    }
  }

  /** A broken protocol assertion: one violation named after its rule, and the run stops. */
  private recordAssertion(error: InvariantViolation): void {
    const prefix = `${error.rule}: `;
    const message = error.message.startsWith(prefix) ? error.message.slice(prefix.length) : error.message;
    this.violations.push({ invariant: error.rule, atMs: this.nowMs, message });
    this.stopped = true;
  }

  get pendingEvents(): number {
    return this.queue.size;
  }

  // ---- called by SimEnv ------------------------------------------------------------------------

  send(from: number, fromRef: NodeRef, to: NodeRef, msg: M): void {
    const stats = this.stats;
    stats.sent++;
    const counter = stats.sentByType.get(msg.type);
    if (counter === undefined) stats.sentByType.set(msg.type, { count: 1 });
    else counter.count++;
    if (this.sendObservers.length !== 0) {
      const node = this.nodes[from] as SimNode<M, T>;
      for (const o of this.sendObservers) o.onSend?.(node, to, msg);
    }
    const dest = (to as Partial<SimRef>).simIndex ?? this.byAddr.get(to.addr);
    if (dest === undefined) {
      this.drop(from, to.addr, msg, "unknown-dest");
      return;
    }
    const net = this.net;
    const blocked = net.blocked(from, dest);
    if (blocked !== null) {
      this.drop(from, to.addr, msg, blocked);
      return;
    }
    if (dest !== from && net.lose()) {
      this.drop(from, to.addr, msg, "loss");
      return;
    }
    const incarnation = this.incarnations[dest] as number;
    this.enqueueDelivery(from, fromRef, dest, incarnation, msg);
    if (dest !== from && net.duplicate()) {
      stats.duplicated++;
      this.enqueueDelivery(from, fromRef, dest, incarnation, msg);
    }
  }

  setTimer(index: number, afterMs: number, tag: T): TimerId {
    const events = this.events;
    const handle = events.alloc(EventKind.timer, tag);
    const id = this.timers.add(handle);
    events.setTimer(handle, index, this.incarnations[index] as number, id);
    this.queue.push(handle, this.nowMs + Math.max(0, afterMs), this.nowMs);
    return id;
  }

  cancelTimer(id: TimerId): void {
    const handle = this.timers.take(id);
    if (handle !== undefined) this.events.cancel(handle);
  }

  /** The fault hook: each site is active for the whole run with siteProbability, decided by the seed. */
  buggify(site: string): boolean {
    const config = this.buggifyConfig;
    if (!config.enabled) return false;
    let active = this.buggifySites.get(site);
    if (active === undefined) {
      active = this.root.split(`buggify:${site}`, null).next() < config.siteProbability;
      this.buggifySites.set(site, active);
    }
    if (!active || this.buggifyRng.next() >= config.fireProbability) return false;
    this.firedSites.add(site);
    return true;
  }

  /** Sites the seed switched on so far (for reports). */
  activeBuggifySites(): string[] {
    return [...this.buggifySites].filter(([, on]) => on).map(([site]) => site);
  }

  /** Sites the seed switched on that actually fired, sorted (docs/simulator.md §4). */
  firedBuggifySites(): string[] {
    return [...this.firedSites].sort();
  }

  emit(index: number, event: TraceEvent): void {
    if (this.emitObservers.length === 0) return;
    const node = this.nodes[index] as SimNode<M, T>;
    for (const o of this.emitObservers) o.onEmit?.(node, event);
  }

  // ---- internals ---------------------------------------------------------------------------

  private boot(node: SimNode<M, T>): void {
    const incarnation = this.incarnations[node.index] as number;
    const ref = this.refs.make(node.id, node.index, this.newNonce());
    node.ref = ref;
    const env = new SimEnv(this, ref, incarnation, this.nodeRngRoot.split(node.index).split(incarnation));
    const started = node.factory(env);
    this.processes[node.index] = started;
    for (const o of this.observers) o.onStart?.(node);
    if (this.running) {
      started.start();
      return;
    }
    // Started by scenario code outside run() (the first nodes of a build): catch here.
    try {
      started.start();
    } catch (error) {
      if (!(error instanceof InvariantViolation)) throw error;
      this.recordAssertion(error);
    }
  }

  private growNodeArrays(): void {
    const alive = new Uint8Array(this.alive.length * 2);
    alive.set(this.alive);
    const incarnations = new Int32Array(this.incarnations.length * 2);
    incarnations.set(this.incarnations);
    this.alive = alive;
    this.incarnations = incarnations;
  }

  private newNonce(): number {
    return this.nonceRng.nextU32() * 0x10000 + (this.nonceRng.nextU32() & 0xffff);
  }

  private enqueueDelivery(from: number, fromRef: NodeRef, dest: number, incarnation: number, msg: M): void {
    const arrival = this.net.arrival(from, dest, this.nowMs);
    const events = this.events;
    const handle = events.alloc(EventKind.deliver, msg);
    const fromIncarnation = this.incarnations[from] as number;
    events.setDelivery(handle, dest, incarnation, from, fromIncarnation, fromRef, this.nowMs);
    this.queue.push(handle, arrival, this.nowMs);
  }

  private drop(from: number, to: string, msg: M, reason: DropReason): void {
    this.stats.dropped[reason]++;
    const trace = this.trace;
    trace.mixNumber(this.nowMs);
    trace.mix(0xd509);
    trace.mix(from);
    trace.mixString(to);
    trace.mixString(reason);
    trace.mixValue(msg);
    for (const o of this.observers) o.onDrop?.(from, to, msg, reason);
  }

  /** A message arrives (its record is freed here, before any handler runs). */
  private deliver(handle: number): void {
    const events = this.events;
    const dest = events.node(handle);
    const incarnation = events.incarnation(handle);
    const from = events.from(handle);
    const fromIncarnation = events.fromIncarnation(handle);
    const fromRef = events.fromRef(handle);
    const sentAt = events.sentAt(handle);
    const msg = events.payload(handle) as M;
    events.release(handle);
    if (this.alive[dest] !== 1 || this.incarnations[dest] !== incarnation) {
      this.drop(from, `sim:${dest}`, msg, "dest-down");
      return;
    }
    if (
      (this.alive[from] !== 1 || this.incarnations[from] !== fromIncarnation) &&
      !this.deliveredAfterCrash.has(incarnationKey(from, fromIncarnation))
    ) {
      this.drop(from, `sim:${dest}`, msg, "src-down");
      return;
    }
    const blocked = this.net.blocked(from, dest);
    if (blocked !== null) {
      this.drop(from, `sim:${dest}`, msg, blocked);
      return;
    }
    this.stats.events++;
    this.stats.delivered++;
    const trace = this.trace;
    trace.mixNumber(this.nowMs);
    trace.mix(from);
    trace.mix(dest);
    trace.mixValue(msg);
    if (this.deliverObservers.length !== 0) {
      const node = this.nodes[dest] as SimNode<M, T>;
      for (const o of this.deliverObservers) o.onDeliver?.(from, node, msg, sentAt);
    }
    (this.processes[dest] as Process<M, T>).onMessage(fromRef, msg);
    this.afterHandler();
  }

  /** A timer is due (its record is freed here, before any handler runs). */
  private fire(handle: number): void {
    const events = this.events;
    const cancelled = events.cancelled(handle);
    const timerId = events.from(handle);
    const index = events.node(handle);
    const incarnation = events.incarnation(handle);
    const tag = events.payload(handle) as T;
    events.release(handle);
    if (cancelled) return;
    this.timers.take(timerId);
    if (this.alive[index] !== 1 || this.incarnations[index] !== incarnation) return;
    this.stats.events++;
    this.stats.timersFired++;
    const trace = this.trace;
    trace.mixNumber(this.nowMs);
    trace.mix(0x7173);
    trace.mix(index);
    trace.mixValue(tag);
    if (this.timerObservers.length !== 0) {
      const node = this.nodes[index] as SimNode<M, T>;
      for (const o of this.timerObservers) o.onTimer?.(node, tag);
    }
    (this.processes[index] as Process<M, T>).onTimer(tag, timerId);
    this.afterHandler();
  }

  private afterHandler(): void {
    if (this.afterEventObservers.length === 0 && this.eventInvariants.length === 0) return;
    for (const o of this.afterEventObservers) o.afterEvent?.();
    for (const { name, check } of this.eventInvariants) {
      if (!this.checkInvariant(name, check)) return;
    }
  }
}
