// The component contract (docs/architecture.md §2): protocol code acts only through the Env it is given and
// reacts only to the calls the runtime makes on its Process. Same code, two runtimes: the simulator
// (virtual time, seeded randomness, simulated network) and the live runtime (real timers, TLS sockets).
import type { MessageBase, TimerTagBase, TraceEvent } from "./message.js";
import type { NodeRef } from "./node-ref.js";

export type TimerId = number;

export interface Env<M extends MessageBase, T extends TimerTagBase> {
  /** This incarnation of this node. */
  readonly self: NodeRef;
  /** Milliseconds, virtual in the simulator; only differences are meaningful. */
  now(): number;
  /** Asynchronous, FIFO per link, may be lost; never throws and never calls back synchronously. */
  send(to: NodeRef, msg: M): void;
  /** Calls the process's onTimer(tag) after `afterMs` unless cancelled first. */
  setTimer(afterMs: number, tag: T): TimerId;
  cancelTimer(id: TimerId): void;
  /** Uniform in [0, 1); seeded per node in the simulator. */
  random(): number;
  /**
   * A fault hook (FoundationDB's BUGGIFY): true now and then at a site the seed chose for this run,
   * only in simulation; always false live. Use it to exercise rare paths: `if (env.buggify("x")) ...`.
   */
  buggify(site: string): boolean;
  /** Metrics, traces and the dashboard feed. Never affects protocol state. */
  emit(event: TraceEvent): void;
}

/** What a runtime drives: one node's protocol stack. Handlers run atomically and never await. */
export interface Process<M extends MessageBase, T extends TimerTagBase> {
  /** Called once, after creation, when the node starts (or restarts). */
  start(): void;
  onMessage(from: NodeRef, msg: M): void;
  onTimer(tag: T, id: TimerId): void;
}

/** Builds a node's process on the Env the runtime made for this incarnation. */
export type ProcessFactory<M extends MessageBase, T extends TimerTagBase> = (env: Env<M, T>) => Process<M, T>;
