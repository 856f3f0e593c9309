// The Env of a node in a real process (docs/architecture.md §2, docs/live-runtime.md §4): real
// monotonic time, real timers, crypto randomness, sending through the live transport. Handlers run one
// at a time on Node's event loop, which is what makes them atomic. Every entry into protocol code is
// one turn (turn()): its sends and trace events are held until the handler returns — after its store
// writes, which are synchronous (docs/architecture.md §5) — and then released in order. A turn that
// breaks an invariant sends and emits nothing: the env stops and says so (fail-stop,
// docs/architecture.md §8); any other error is reported once through onHandlerError, whatever the entry
// (docs/live-runtime.md §4), and the node goes on.
import { randomBytes } from "node:crypto";
import type { Env, Process, TimerId } from "../core/env.js";
import { InvariantViolation } from "../core/invariant.js";
import type { MessageBase, TimerTagBase, TraceEvent } from "../core/message.js";
import type { NodeRef } from "../core/node-ref.js";

interface LiveEnvHooks<M extends MessageBase> {
  send(to: NodeRef, msg: M): void;
  /** A trace event, released with the turn's sends (never one of a turn that broke an invariant). */
  emit(event: TraceEvent): void;
  /**
   * A turn threw something other than an InvariantViolation — a message, a timer or a local call
   * alike: the one place such errors are logged and counted. What the turn sent before it went out.
   */
  onHandlerError(entry: string, error: unknown): void;
  /**
   * A turn broke an invariant: its messages were dropped and the env has stopped (no timer fires, no
   * send goes out, no turn runs). The node must stop.
   */
  onInvariantViolation(violation: InvariantViolation): void;
}

function clearHandle(handle: NodeJS.Timeout | NodeJS.Immediate): void {
  if ("refresh" in handle) clearTimeout(handle);
  else clearImmediate(handle);
}

/** What a turn sends and emits, held until it returns, in the order it happened. */
type Held<M> =
  | { readonly kind: "send"; readonly to: NodeRef; readonly msg: M }
  | { readonly kind: "emit"; readonly event: TraceEvent };

export class LiveEnv<M extends MessageBase, T extends TimerTagBase> implements Env<M, T> {
  readonly self: NodeRef;
  private readonly hooks: LiveEnvHooks<M>;
  /** Pending timers: a zero delay is an immediate (Node's setTimeout would wait at least 1 ms). */
  private readonly timers = new Map<TimerId, NodeJS.Timeout | NodeJS.Immediate>();
  private nextTimerId = 1;
  private process: Process<M, T> | null = null;
  private stopped = false;
  /** The sends and events of the turn that runs now; null between turns (they then go at once). */
  private outbox: Held<M>[] | null = null;
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

  /**
   * Runs `handler` as one turn of protocol code, `entry` naming it for the logs ("message ping",
   * "timer fd-tick", "call kv"). Its sends and trace events are held until it returns, then released
   * in order. If it throws an InvariantViolation, nothing it sent or emitted goes out, the env stops
   * and onInvariantViolation is called (turn() then returns normally). Any other error: what it sent
   * and emitted before throwing goes out, onHandlerError is called, and the error is rethrown so a
   * caller waiting on the call can fail it. A turn inside a turn (protocol code calling back into a
   * caller that enters again) is part of the outer one. After a stop, nothing runs. Returns whether
   * the handler ran without breaking an invariant.
   */
  turn(entry: string, handler: () => void): boolean {
    if (this.stopped) return false;
    if (this.outbox !== null) {
      handler();
      return true;
    }
    const outbox: Held<M>[] = [];
    this.outbox = outbox;
    try {
      handler();
    } catch (error) {
      this.outbox = null;
      if (error instanceof InvariantViolation) {
        this.stop();
        this.hooks.onInvariantViolation(error);
        return false;
      }
      this.release(outbox);
      this.hooks.onHandlerError(entry, error);
      throw error;
    }
    this.outbox = null;
    this.release(outbox);
    return true;
  }

  private release(outbox: readonly Held<M>[]): void {
    for (const held of outbox) {
      if (this.stopped) return;
      if (held.kind === "send") this.hooks.send(held.to, held.msg);
      else this.hooks.emit(held.event);
    }
  }

  now(): number {
    return performance.now();
  }

  send(to: NodeRef, msg: M): void {
    if (this.stopped) return;
    if (this.outbox !== null) this.outbox.push({ kind: "send", to, msg });
    else this.hooks.send(to, msg);
  }

  setTimer(afterMs: number, tag: T): TimerId {
    if (this.stopped) return 0;
    const id = this.nextTimerId++;
    const fire = () => {
      this.timers.delete(id);
      const process = this.process;
      if (this.stopped || process === null) return;
      try {
        this.turn(`timer ${tag.type}`, () => process.onTimer(tag, id));
      } catch {
        // reported by the turn (onHandlerError); a timer has no caller to tell
      }
    };
    // A zero delay ("as soon as what has arrived is handled", e.g. an acceptor's bundle) runs after the
    // I/O already read, not a millisecond later.
    this.timers.set(id, afterMs > 0 ? setTimeout(fire, afterMs) : setImmediate(fire));
    return id;
  }

  cancelTimer(id: TimerId): void {
    const handle = this.timers.get(id);
    if (handle === undefined) return;
    clearHandle(handle);
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
    if (this.stopped) return;
    if (this.outbox !== null) this.outbox.push({ kind: "emit", event });
    else this.hooks.emit(event);
  }

  /** Cancels every timer; the process gets no more calls and nothing more is sent. */
  stop(): void {
    this.stopped = true;
    this.outbox = null;
    for (const handle of this.timers.values()) clearHandle(handle);
    this.timers.clear();
  }

  get isStopped(): boolean {
    return this.stopped;
  }

  get pendingTimers(): number {
    return this.timers.size;
  }
}
