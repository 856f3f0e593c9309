// The Env a simulated node under `sync` durability runs on (docs/architecture.md §5, docs/simulator.md §3):
// the node's disk syncs before each message it sends, as the live node's group commit does — so a power
// cut loses only writes no message has reported. Everything else is the simulator's own Env.
import type { Env, TimerId } from "../core/env.js";
import type { MessageBase, TimerTagBase, TraceEvent } from "../core/message.js";
import type { NodeRef } from "../core/node-ref.js";

export class SyncBeforeSendEnv<M extends MessageBase, T extends TimerTagBase> implements Env<M, T> {
  readonly self: NodeRef;
  private readonly inner: Env<M, T>;
  private readonly sync: () => void;

  constructor(inner: Env<M, T>, sync: () => void) {
    this.inner = inner;
    this.self = inner.self;
    this.sync = sync;
  }

  now(): number {
    return this.inner.now();
  }

  send(to: NodeRef, msg: M): void {
    this.sync();
    this.inner.send(to, msg);
  }

  setTimer(afterMs: number, tag: T): TimerId {
    return this.inner.setTimer(afterMs, tag);
  }

  cancelTimer(id: TimerId): void {
    this.inner.cancelTimer(id);
  }

  random(): number {
    return this.inner.random();
  }

  buggify(site: string): boolean {
    return this.inner.buggify(site);
  }

  emit(event: TraceEvent): void {
    this.inner.emit(event);
  }
}
