// The live event feed behind GET /v1/events (docs/api.md §7): every interval it reads the status of
// each node this process hosts and turns what changed into events — joins and leaves of its
// neighbours, suspicions, ring merges, hand-overs, repairs — plus what the host reports (a node
// started, killed or shut down) and the transaction outcomes the API counted. Events carry increasing
// ids; the last EVENT_HISTORY are kept so that a client reconnecting with Last-Event-ID misses none.
import type { NodeStatus } from "../runtime/node-status.js";

export type EventKind =
  | "node-up"
  | "node-down"
  | "crash"
  | "join"
  | "leave"
  | "suspect"
  | "unsuspect"
  | "merge"
  | "handover"
  | "repair"
  | "tx"
  | "control";

export interface FeedEvent {
  readonly id: number;
  readonly kind: EventKind;
  readonly atMs: number;
  /** The hosted node that saw it. */
  readonly node: string;
  readonly data: Readonly<Record<string, unknown>>;
}

export const EVENT_HISTORY = 1000;

type Listener = (event: FeedEvent) => void;

export interface TxCounts {
  committed: number;
  aborted: number;
  failed: number;
}

/** Whether `a` is nearer to `self` than `b` going clockwise (succ) or anticlockwise (pred). */
function closerThan(self: bigint, a: bigint, b: bigint, role: "succ" | "pred"): boolean {
  const distance = (x: bigint) => (role === "succ" ? x - self : self - x);
  const span = (x: bigint) => {
    const d = distance(x);
    return d <= 0n ? d + (1n << 256n) : d;
  };
  return span(a) < span(b);
}

export class EventFeed {
  private nextId = 1;
  private readonly history: FeedEvent[] = [];
  private readonly listeners = new Set<Listener>();
  private readonly last = new Map<string, NodeStatus>();
  private lastTx: TxCounts = { committed: 0, aborted: 0, failed: 0 };

  /** Adds an event (the host's, or one a diff found) and hands it to every listener. */
  publish(kind: EventKind, node: string, data: Readonly<Record<string, unknown>> = {}): void {
    const event: FeedEvent = { id: this.nextId++, kind, atMs: Date.now(), node, data };
    this.history.push(event);
    if (this.history.length > EVENT_HISTORY) this.history.shift();
    for (const listener of this.listeners) listener(event);
  }

  /** Events after `afterId` still held, then every new one; returns the unsubscribe. */
  subscribe(listener: Listener, afterId = 0): () => void {
    for (const event of this.history) if (event.id > afterId) listener(event);
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get subscribers(): number {
    return this.listeners.size;
  }

  /** Compares each node's status with the previous sample and publishes the differences. */
  sample(statuses: readonly NodeStatus[], tx: TxCounts): void {
    for (const now of statuses) {
      const before = this.last.get(now.name);
      this.last.set(now.name, now);
      if (before !== undefined) this.diff(before, now);
    }
    const names = new Set(statuses.map((s) => s.name));
    for (const name of this.last.keys()) if (!names.has(name)) this.last.delete(name);
    const delta = {
      committed: tx.committed - this.lastTx.committed,
      aborted: tx.aborted - this.lastTx.aborted,
      failed: tx.failed - this.lastTx.failed,
    };
    if (delta.committed + delta.aborted + delta.failed > 0)
      this.publish("tx", statuses[0]?.name ?? "", delta);
    this.lastTx = { ...tx };
  }

  private diff(before: NodeStatus, now: NodeStatus): void {
    const node = now.name;
    if (!before.member && now.member) this.publish("join", node, { id: now.id, addr: now.addr });
    const neighbour = (role: "succ" | "pred") => {
      const from = before[role];
      const to = now[role];
      if (from?.id === to?.id) return;
      // a new neighbour closer than the old one joined between them; a farther one means the old one went
      const closer =
        from === null || (to !== null && closerThan(BigInt(now.id), BigInt(to.id), BigInt(from.id), role));
      this.publish(closer ? "join" : "leave", node, { role, from, to });
    };
    neighbour("succ");
    neighbour("pred");
    const was = new Set(before.suspected.map((r) => r.addr));
    const is = new Set(now.suspected.map((r) => r.addr));
    for (const r of now.suspected) if (!was.has(r.addr)) this.publish("suspect", node, { peer: r });
    for (const r of before.suspected) if (!is.has(r.addr)) this.publish("unsuspect", node, { peer: r });
    if (before.ring !== null && now.ring !== null && before.ring.uid !== now.ring.uid)
      this.publish("merge", node, { from: before.ring, to: now.ring });
    const grew = (name: string) => (now.store[name] ?? 0) - (before.store[name] ?? 0);
    if (grew("handoversSent") > 0)
      this.publish("handover", node, { sent: grew("handoversSent"), items: grew("handoverItems") });
    if (grew("repairsDone") > 0 || grew("repairsStarted") > 0)
      this.publish("repair", node, { started: grew("repairsStarted"), done: grew("repairsDone") });
  }
}
