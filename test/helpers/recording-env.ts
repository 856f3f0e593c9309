// A scripted, recording Env for one-node rule tests: the test is the network and the clock. It records
// every send, timer and trace event; it fires timers only when the test advances time; its random
// stream and its fault hooks are whatever the test scripts. Drive a component through its handlers,
// then assert on what it sent (docs/architecture.md §2: a component acts only through its Env).
import type { Env, Process, TimerId } from "../../src/core/env.js";
import type { MessageBase, TimerTagBase, TraceEvent } from "../../src/core/message.js";
import type { NodeRef } from "../../src/core/node-ref.js";

export interface Sent<M extends MessageBase> {
  readonly to: NodeRef;
  readonly msg: M;
  readonly atMs: number;
}

export interface PendingTimer<T extends TimerTagBase> {
  readonly id: TimerId;
  readonly dueMs: number;
  readonly tag: T;
}

export class RecordingEnv<M extends MessageBase, T extends TimerTagBase> implements Env<M, T> {
  readonly self: NodeRef;
  /** Every message sent so far, oldest first; `drain` empties it. */
  readonly sent: Sent<M>[] = [];
  readonly events: TraceEvent[] = [];
  /** Fault-hook sites that fire on every call (the test's BUGGIFY script). */
  readonly buggifySites = new Set<string>();
  /** Sites asked so far, in order, whether or not they fired. */
  readonly buggifyAsked: string[] = [];
  private clockMs = 0;
  private nextTimerId = 1;
  private readonly timers = new Map<TimerId, PendingTimer<T>>();
  private randomState: number;

  constructor(self: NodeRef, options: { readonly seed?: number; readonly nowMs?: number } = {}) {
    this.self = self;
    this.randomState = (options.seed ?? 1) >>> 0 || 1;
    this.clockMs = options.nowMs ?? 0;
  }

  now(): number {
    return this.clockMs;
  }

  send(to: NodeRef, msg: M): void {
    this.sent.push({ to, msg, atMs: this.clockMs });
  }

  setTimer(afterMs: number, tag: T): TimerId {
    const id = this.nextTimerId++;
    this.timers.set(id, { id, dueMs: this.clockMs + Math.max(0, afterMs), tag });
    return id;
  }

  cancelTimer(id: TimerId): void {
    this.timers.delete(id);
  }

  /** xorshift32: deterministic, and different per seed. */
  random(): number {
    let x = this.randomState;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.randomState = x >>> 0;
    return this.randomState / 0x1_0000_0000;
  }

  buggify(site: string): boolean {
    this.buggifyAsked.push(site);
    return this.buggifySites.has(site);
  }

  emit(event: TraceEvent): void {
    this.events.push(event);
  }

  // ---- what the test uses -----------------------------------------------------------------------

  /** Timers set and not yet fired or cancelled, soonest first. */
  pendingTimers(): PendingTimer<T>[] {
    return [...this.timers.values()].sort((a, b) => a.dueMs - b.dueMs || a.id - b.id);
  }

  /** Pending timers of one type. */
  timersOf<K extends T["type"]>(type: K): PendingTimer<Extract<T, { type: K }>>[] {
    return this.pendingTimers().filter(
      (t): t is PendingTimer<Extract<T, { type: K }>> => t.tag.type === type,
    );
  }

  /**
   * Moves the clock forward by `ms`, firing every timer that falls due on `process`, in due order
   * (timers those handlers set are fired too if they fall within the window).
   */
  advance(ms: number, process: Pick<Process<M, T>, "onTimer">): void {
    const until = this.clockMs + ms;
    for (;;) {
      const next = this.pendingTimers()[0];
      if (next === undefined || next.dueMs > until) break;
      this.timers.delete(next.id);
      this.clockMs = next.dueMs;
      process.onTimer(next.tag, next.id);
    }
    this.clockMs = until;
  }

  /** Fires one pending timer now, whatever its due time (a timer "at the edge of its bound"). */
  fire(timer: PendingTimer<T>, process: Pick<Process<M, T>, "onTimer">): void {
    if (!this.timers.delete(timer.id)) throw new Error(`timer ${timer.id} is not pending`);
    process.onTimer(timer.tag, timer.id);
  }

  /** Returns and forgets everything sent so far. */
  drain(): Sent<M>[] {
    return this.sent.splice(0, this.sent.length);
  }

  /** Messages of one type sent so far (not forgotten). */
  sentOf<K extends M["type"]>(type: K): Sent<Extract<M, { type: K }>>[] {
    return this.sent.filter((s): s is Sent<Extract<M, { type: K }>> => s.msg.type === type);
  }
}
