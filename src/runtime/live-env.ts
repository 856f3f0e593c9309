// The Env of a node in a real process (ARCHITECTURE.md §2–§3): real monotonic time, real timers,
// crypto randomness, sending through the live transport. Handlers run one at a time on Node's event
// loop, which is what makes them atomic; a handler that throws is logged and counted, and the node
// goes on (a bug must not take a node down).
import { randomBytes } from "node:crypto";
import type { Env, Process, TimerId } from "../core/env.js";
import type { MessageBase, TimerTagBase, TraceEvent } from "../core/message.js";
import type { NodeRef } from "../core/node-ref.js";

export interface LiveEnvHooks<M extends MessageBase> {
  send(to: NodeRef, msg: M): void;
  emit(event: TraceEvent): void;
  /** A timer handler threw. */
  onTimerError(tag: TimerTagBase, error: unknown): void;
}

export class LiveEnv<M extends MessageBase, T extends TimerTagBase> implements Env<M, T> {
  readonly self: NodeRef;
  private readonly hooks: LiveEnvHooks<M>;
  private readonly timers = new Map<TimerId, NodeJS.Timeout>();
  private nextTimerId = 1;
  private process: Process<M, T> | null = null;
  private stopped = false;
  private randomPool = Buffer.alloc(0);
  private randomAt = 0;

  constructor(self: NodeRef, hooks: LiveEnvHooks<M>) {
    this.self = self;
    this.hooks = hooks;
  }

  /** The process whose onTimer the timers call (set once, right after it is built on this Env). */
  bind(process: Process<M, T>): void {
    this.process = process;
  }

  now(): number {
    return performance.now();
  }

  send(to: NodeRef, msg: M): void {
    if (!this.stopped) this.hooks.send(to, msg);
  }

  setTimer(afterMs: number, tag: T): TimerId {
    if (this.stopped) return 0;
    const id = this.nextTimerId++;
    const handle = setTimeout(
      () => {
        this.timers.delete(id);
        if (this.stopped || this.process === null) return;
        try {
          this.process.onTimer(tag, id);
        } catch (error) {
          this.hooks.onTimerError(tag, error);
        }
      },
      Math.max(0, afterMs),
    );
    this.timers.set(id, handle);
    return id;
  }

  cancelTimer(id: TimerId): void {
    const handle = this.timers.get(id);
    if (handle === undefined) return;
    clearTimeout(handle);
    this.timers.delete(id);
  }

  /** Uniform in [0, 1), 48 random bits, from a pool of OS randomness refilled 4 KiB at a time. */
  random(): number {
    if (this.randomAt + 6 > this.randomPool.length) {
      this.randomPool = randomBytes(4096);
      this.randomAt = 0;
    }
    const value = this.randomPool.readUIntBE(this.randomAt, 6) / 2 ** 48;
    this.randomAt += 6;
    return value;
  }

  buggify(): boolean {
    return false;
  }

  emit(event: TraceEvent): void {
    this.hooks.emit(event);
  }

  /** Cancels every timer; the process gets no more calls. */
  stop(): void {
    this.stopped = true;
    for (const handle of this.timers.values()) clearTimeout(handle);
    this.timers.clear();
  }

  get pendingTimers(): number {
    return this.timers.size;
  }
}
