// Group commit for a live node under `--durability sync` (docs/architecture.md §5): no message leaves
// before every store write made up to its send is on disk. Writes are counted as they commit; a message
// sent while some are not yet synced waits, and so does everything sent after it (a later message may
// report the same state, and the per-peer order stays the order of the sends). One disk sync covers all
// the writes made before it started, so under load one sync releases many turns' messages.
// Must not break: a message goes out only once `synced` ≥ the write count at its send; order is kept.
import type { NodeRef } from "../core/node-ref.js";

interface Waiting<M> {
  readonly to: NodeRef;
  readonly msg: M;
  /** The store writes that must be on disk before it goes. */
  readonly needsWrites: number;
}

export interface OutboxFigures {
  /** Disk syncs completed. */
  readonly syncs: number;
  /** Messages that waited for a sync (the others went at once). */
  readonly heldMessages: number;
  /** Total milliseconds spent in syncs, for a mean. */
  readonly syncMsTotal: number;
  /** Messages waiting now. */
  readonly waiting: number;
}

export class DurableOutbox<M> {
  private readonly sync: () => Promise<void>;
  private readonly send: (to: NodeRef, msg: M) => void;
  private readonly onSyncError: (error: unknown) => void;
  private readonly now: () => number;
  private waiting: Waiting<M>[] = [];
  private writes = 0;
  private synced = 0;
  private syncing = false;
  private stopped = false;
  private syncs = 0;
  private heldMessages = 0;
  private syncMsTotal = 0;
  private drainedWaiters: (() => void)[] = [];

  /**
   * `sync` resolves once every write committed before the call is durable; `send` hands a message to
   * the transport; `onSyncError` hears a failed sync (the node can promise nothing more: it must stop).
   */
  constructor(
    sync: () => Promise<void>,
    send: (to: NodeRef, msg: M) => void,
    onSyncError: (error: unknown) => void,
    now: () => number = () => performance.now(),
  ) {
    this.sync = sync;
    this.send = send;
    this.onSyncError = onSyncError;
    this.now = now;
  }

  /** A store write has committed (it is visible; it is durable after the next sync). */
  noteWrite(): void {
    this.writes++;
  }

  /** Sends `msg` once the writes made so far are durable: at once if they are and nothing waits. */
  post(to: NodeRef, msg: M): void {
    if (this.stopped) return;
    if (this.waiting.length === 0 && this.synced >= this.writes) {
      this.send(to, msg);
      return;
    }
    this.waiting.push({ to, msg, needsWrites: this.writes });
    this.heldMessages++;
    this.startSync();
  }

  /** Resolves when nothing waits (before a graceful leave's last flush). */
  drained(): Promise<void> {
    if (this.waiting.length === 0 || this.stopped) return Promise.resolve();
    return new Promise((resolve) => this.drainedWaiters.push(resolve));
  }

  /** Drops what waits and sends nothing more (a stop or a crash: unsent messages are lost ones). */
  stop(): void {
    this.stopped = true;
    this.waiting = [];
    this.wakeDrained();
  }

  figures(): OutboxFigures {
    return {
      syncs: this.syncs,
      heldMessages: this.heldMessages,
      syncMsTotal: this.syncMsTotal,
      waiting: this.waiting.length,
    };
  }

  private startSync(): void {
    if (this.syncing || this.stopped) return;
    this.syncing = true;
    const covers = this.writes;
    const startedMs = this.now();
    this.sync().then(
      () => this.onSynced(covers, startedMs),
      (error: unknown) => {
        this.syncing = false;
        this.stop();
        this.onSyncError(error);
      },
    );
  }

  private onSynced(covers: number, startedMs: number): void {
    this.syncing = false;
    if (this.stopped) return;
    this.syncs++;
    this.syncMsTotal += this.now() - startedMs;
    this.synced = Math.max(this.synced, covers);
    let released = 0;
    while (released < this.waiting.length) {
      const next = this.waiting[released] as Waiting<M>;
      if (next.needsWrites > this.synced) break;
      released++;
    }
    const going = this.waiting.slice(0, released);
    this.waiting = this.waiting.slice(released);
    for (const w of going) {
      if (this.stopped) return;
      this.send(w.to, w.msg);
    }
    if (this.waiting.length > 0) this.startSync();
    else this.wakeDrained();
  }

  private wakeDrained(): void {
    const waiters = this.drainedWaiters;
    this.drainedWaiters = [];
    for (const wake of waiters) wake();
  }
}
