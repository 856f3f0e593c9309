// The Chord baseline (Stoica et al. 2001; docs/relaxed-ring.md §9) as a sans-I/O Process: recursive
// find_successor, stabilize and notify, a successor list, fix_fingers, and the shared ◇P failure detector as
// check_predecessor. Keep it plain Chord (the relaxed ring is measured against it); act only through env, and
// compare ring positions only through ids.inOC/inOO/dist (a plain `<` is wrong where an interval wraps
// through 0).
import type { Env, Process, TimerId } from "../../core/env.js";
import type { IdSpace, RingId } from "../../core/id-space.js";
import { incarnationKey, type NodeRef, sameNode } from "../../core/node-ref.js";
import { DEFAULT_OVERLAY, type OverlayConfig } from "../config.js";
import { FailureDetector } from "../failure-detector.js";
import type { LookupCallback, LookupResult, RingNodeApi } from "../ring-view.js";
import type {
  ChordMessage,
  ChordTimer,
  FindSuccessor,
  LeaveToPred,
  LeaveToSucc,
  PredIs,
} from "./chord-messages.js";

export type ChordConfig = OverlayConfig & {
  /** stabilize (ask succ for its pred and succList, then notify it) every this often. */
  readonly stabilizeMs: number;
  /** One fix_finger every this often, cycling through the m fingers. */
  readonly fixFingerMs: number;
};

/**
 * docs/metrics.md §2: the relaxed ring's succList and failure detector, stabilize 1 s, one fix_finger per 0.5
 * s.
 */
export const DEFAULT_CHORD: ChordConfig = { ...DEFAULT_OVERLAY, stabilizeMs: 1000, fixFingerMs: 500 };

/** What a find_successor started here is for. */
type Purpose =
  | { readonly kind: "lookup"; readonly onDone: LookupCallback }
  | { readonly kind: "join" }
  | { readonly kind: "finger"; readonly index: number };

interface Pending {
  readonly purpose: Purpose;
  /** The timeout, set once the request has left this node (null while it is answered locally). */
  timer: TimerId | null;
}

interface ReadyResult {
  readonly onDone: LookupCallback;
  readonly result: LookupResult;
}

export class ChordNode implements Process<ChordMessage, ChordTimer>, RingNodeApi {
  /** Exposed for the metrics (suspicions, false suspicions); the node drives it. */
  readonly fd: FailureDetector;
  private readonly env: Env<ChordMessage, ChordTimer>;
  private readonly config: ChordConfig;
  private readonly ids: IdSpace;
  private readonly accessPoint: NodeRef | null;
  private predRef: NodeRef | null = null;
  private succRef: NodeRef | null = null;
  /** The successor list, succ first; empty while succ is this node itself. */
  private list: NodeRef[] = [];
  /** finger[i] = successor(self + 2^i), or null while unknown. */
  private readonly fingers: (NodeRef | null)[];
  private nextFinger = 0;
  /** The peers the FD watches: succ and pred. */
  private monitored: NodeRef[] = [];
  private readonly pending = new Map<number, Pending>();
  private readonly ready = new Map<number, ReadyResult>();
  private nextReqId = 1;
  private left = false;

  constructor(
    env: Env<ChordMessage, ChordTimer>,
    config: ChordConfig,
    ids: IdSpace,
    accessPoint: NodeRef | null,
  ) {
    this.env = env;
    this.config = config;
    this.ids = ids;
    this.accessPoint = accessPoint;
    this.fingers = new Array<NodeRef | null>(ids.m).fill(null);
    this.fd = new FailureDetector(config.fd, {
      crash: (peer) => this.onCrash(peer),
      alive: () => {},
      ping: (peer) => this.env.send(peer, { type: "ping" }),
    });
  }

  // ---- RingView ------------------------------------------------------------------------------

  get self(): NodeRef {
    return this.env.self;
  }

  get pred(): NodeRef | null {
    return this.predRef;
  }

  get succ(): NodeRef | null {
    return this.succRef;
  }

  get succList(): readonly NodeRef[] {
    return this.list;
  }

  get isMember(): boolean {
    return this.succRef !== null && !this.left;
  }

  fingerRefs(): readonly NodeRef[] {
    return distinct(this.fingers);
  }

  routingTableSize(): number {
    return distinct([...this.fingers, ...this.list]).length;
  }

  suspected(): readonly NodeRef[] {
    return this.monitored.filter((peer) => this.fd.isSuspected(peer));
  }

  // ---- Process -------------------------------------------------------------------------------

  start(): void {
    if (this.accessPoint === null) {
      this.predRef = this.env.self;
      this.joinRing(this.env.self);
    } else {
      this.sendJoin();
    }
    this.env.setTimer(this.phase(this.config.stabilizeMs), { type: "stabilize" });
    this.env.setTimer(this.phase(this.config.fixFingerMs), { type: "fixFinger" });
    this.env.setTimer(this.phase(this.config.fd.pingPeriodMs), { type: "fdRound" });
  }

  onMessage(from: NodeRef, msg: ChordMessage): void {
    if (this.left) return;
    this.fd.heard(from, this.env.now());
    switch (msg.type) {
      case "findSucc":
        this.route(msg);
        break;
      case "found":
        this.onFound(msg.reqId, msg.responsible, msg.hops, false);
        break;
      case "getPred":
        this.env.send(from, { type: "predIs", pred: this.predRef, succList: this.list });
        break;
      case "predIs":
        this.onPredIs(from, msg);
        break;
      case "notify":
        this.onNotify(from);
        break;
      case "leaveToPred":
        this.onLeaveToPred(from, msg);
        break;
      case "leaveToSucc":
        this.onLeaveToSucc(from, msg);
        break;
      case "ping":
        this.env.send(from, { type: "pong" });
        break;
      case "pong":
        break;
    }
  }

  onTimer(tag: ChordTimer): void {
    if (tag.type === "deliver") {
      this.deliver(tag.reqId);
      return;
    }
    if (this.left) return;
    switch (tag.type) {
      case "stabilize":
        this.stabilize();
        this.env.setTimer(this.config.stabilizeMs, { type: "stabilize" });
        return;
      case "fixFinger":
        this.fixFinger();
        this.env.setTimer(this.config.fixFingerMs, { type: "fixFinger" });
        return;
      case "fdRound":
        this.fd.round(this.env.now());
        this.env.setTimer(this.config.fd.pingPeriodMs, { type: "fdRound" });
        return;
      case "requestTimeout":
        this.onRequestTimeout(tag.reqId);
        return;
    }
  }

  // ---- RingNodeApi ---------------------------------------------------------------------------

  lookup(key: RingId, onDone: LookupCallback): void {
    if (this.left) {
      this.deliverLater(this.nextReqId++, { onDone, result: { ok: false, reason: "left" } });
      return;
    }
    this.request(key, { kind: "lookup", onDone }, this.config.lookupTimeoutMs);
  }

  /** Tells pred its new succ and succ its new pred, then stops; the runtime crashes it afterwards. */
  leave(): void {
    if (this.left) return;
    const { predRef: pred, succRef: succ } = this;
    if (succ !== null && pred !== null && !this.isSelf(pred)) {
      this.env.send(pred, { type: "leaveToPred", succ, succList: this.list });
    }
    if (succ !== null && !this.isSelf(succ)) this.env.send(succ, { type: "leaveToSucc", pred });
    this.left = true;
    for (const peer of this.monitored) this.fd.unmonitor(peer);
    this.monitored = [];
    this.failPending();
    this.env.emit({ type: "range-changed" });
  }

  // ---- find_successor ------------------------------------------------------------------------

  /** Starts a find_successor(key) at this node. */
  private request(key: RingId, purpose: Purpose, timeoutMs: number): void {
    const reqId = this.nextReqId++;
    const pending: Pending = { purpose, timer: null };
    this.pending.set(reqId, pending);
    const lookup = purpose.kind === "lookup";
    this.route({ type: "findSucc", key, origin: this.env.self, reqId, hops: 0, lookup });
    if (this.pending.has(reqId)) {
      pending.timer = this.env.setTimer(timeoutMs, { type: "requestTimeout", reqId });
    }
  }

  /** One step of recursive find_successor: answer if the key is ours or our successor's, else forward. */
  private route(msg: FindSuccessor): void {
    const answer = this.localAnswer(msg.key);
    if (answer !== null) {
      this.answer(msg, answer);
      return;
    }
    const next = this.succRef === null ? this.accessPoint : this.closestPreceding(msg.key);
    if (next !== null) this.env.send(next, { ...msg, hops: msg.hops + 1 });
  }

  /** This node if key ∈ (pred, self]; succ if key ∈ (self, succ]; else null (route on). */
  private localAnswer(key: RingId): NodeRef | null {
    const succ = this.succRef;
    if (succ === null) return null;
    const self = this.env.self;
    if (this.predRef !== null && this.ids.inOC(key, this.predRef.id, self.id)) return self;
    return this.ids.inOC(key, self.id, succ.id) ? succ : null;
  }

  /** The known peer in (self, key) farthest from self (fingers and succList), succ as the fallback. */
  private closestPreceding(key: RingId): NodeRef | null {
    const self = this.env.self.id;
    let best = this.succRef;
    let bestDist = best === null ? 0n : this.ids.dist(self, best.id);
    for (const peer of [...this.fingers, ...this.list]) {
      if (peer === null || !this.ids.inOO(peer.id, self, key) || this.fd.isSuspected(peer)) continue;
      const d = this.ids.dist(self, peer.id);
      if (d > bestDist) {
        best = peer;
        bestDist = d;
      }
    }
    return best;
  }

  /** Sends the answer straight to the origin (or takes it here, if this node is the origin). */
  private answer(msg: FindSuccessor, responsible: NodeRef): void {
    if (msg.lookup) this.env.emit({ type: "lookup-answer", key: msg.key, responsible });
    if (this.isSelf(msg.origin)) {
      this.onFound(msg.reqId, responsible, msg.hops, msg.hops === 0);
      return;
    }
    const found = { type: "found", reqId: msg.reqId, key: msg.key, responsible, hops: msg.hops } as const;
    this.env.send(msg.origin, found);
  }

  /** An answer to a request of ours; `sync` when it was found inside the call that started it. */
  private onFound(reqId: number, responsible: NodeRef, hops: number, sync: boolean): void {
    const pending = this.pending.get(reqId);
    if (pending === undefined) return;
    this.pending.delete(reqId);
    if (pending.timer !== null) this.env.cancelTimer(pending.timer);
    const purpose = pending.purpose;
    if (purpose.kind === "lookup") {
      const ready = { onDone: purpose.onDone, result: { ok: true, responsible, hops } as const };
      if (sync) this.deliverLater(reqId, ready);
      else purpose.onDone(ready.result);
    } else if (purpose.kind === "join") {
      if (!this.isSelf(responsible)) this.joinRing(responsible);
    } else {
      this.fingers[purpose.index] = this.isSelf(responsible) ? null : responsible;
    }
  }

  private onRequestTimeout(reqId: number): void {
    const pending = this.pending.get(reqId);
    if (pending === undefined) return;
    this.pending.delete(reqId);
    const purpose = pending.purpose;
    if (purpose.kind === "lookup") purpose.onDone({ ok: false, reason: "timeout" });
    else if (purpose.kind === "join") this.sendJoin();
  }

  /** Lookup callbacks run inside a later handler, never inside lookup() itself. */
  private deliverLater(reqId: number, ready: ReadyResult): void {
    this.ready.set(reqId, ready);
    this.env.setTimer(0, { type: "deliver", reqId });
  }

  private deliver(reqId: number): void {
    const ready = this.ready.get(reqId);
    if (ready === undefined) return;
    this.ready.delete(reqId);
    ready.onDone(ready.result);
  }

  /** On leave: every lookup still waiting ends now (the runtime may crash this node at once). */
  private failPending(): void {
    for (const [reqId, pending] of this.pending) {
      if (pending.timer !== null) this.env.cancelTimer(pending.timer);
      if (pending.purpose.kind === "lookup") pending.purpose.onDone({ ok: false, reason: "left" });
      this.pending.delete(reqId);
    }
    for (const reqId of [...this.ready.keys()]) this.deliver(reqId);
  }

  // ---- join, stabilize, notify ---------------------------------------------------------------

  private sendJoin(): void {
    if (this.accessPoint === null || this.succRef !== null) return;
    this.request(this.env.self.id, { kind: "join" }, this.config.joinRetryMs);
  }

  /** Becomes a member with this successor (itself, for the first node). */
  private joinRing(succ: NodeRef): void {
    if (this.succRef !== null) return;
    this.setSucc(succ, []);
    this.env.emit({ type: "joined" });
    this.env.emit({ type: "range-changed" });
    this.stabilize();
  }

  private stabilize(): void {
    const succ = this.succRef;
    if (succ === null) return;
    if (!this.isSelf(succ)) {
      this.env.send(succ, { type: "getPred" });
      return;
    }
    // Alone on the ring: succ.pred is our own pred, which (if another node) becomes the successor.
    const pred = this.predRef;
    if (pred !== null && !this.isSelf(pred)) {
      this.setSucc(pred, []);
      this.env.send(pred, { type: "notify" });
    }
  }

  /** succ's answer to stabilize: adopt its pred if that lies between us, copy its list, notify. */
  private onPredIs(from: NodeRef, msg: PredIs): void {
    const succ = this.succRef;
    if (succ === null || !sameNode(from, succ)) return;
    const x = msg.pred;
    const self = this.env.self.id;
    if (x !== null && !this.isSelf(x) && this.ids.inOO(x.id, self, succ.id) && !this.fd.isSuspected(x)) {
      this.setSucc(x, this.list);
      this.env.send(x, { type: "notify" });
      return;
    }
    this.setSucc(succ, msg.succList);
    this.env.send(succ, { type: "notify" });
  }

  private onNotify(from: NodeRef): void {
    const pred = this.predRef;
    if (pred === null || this.isSelf(pred) || this.ids.inOO(from.id, pred.id, this.env.self.id)) {
      this.setPred(from);
    }
  }

  private onLeaveToPred(from: NodeRef, msg: LeaveToPred): void {
    if (this.succRef === null || !sameNode(from, this.succRef)) return;
    this.forget(from);
    this.setSucc(msg.succ, msg.succList);
  }

  private onLeaveToSucc(from: NodeRef, msg: LeaveToSucc): void {
    if (this.predRef === null || !sameNode(from, this.predRef)) return;
    this.forget(from);
    this.setPred(msg.pred);
  }

  // ---- fingers -------------------------------------------------------------------------------

  /** fix_fingers: finger[i] = find_successor(self + 2^i), one i per call, cycling through 0..m-1. */
  private fixFinger(): void {
    if (this.succRef === null) return;
    const index = this.nextFinger;
    this.nextFinger = (index + 1) % this.ids.m;
    const target = this.ids.add(this.env.self.id, 1n << BigInt(index));
    this.request(target, { kind: "finger", index }, this.config.lookupTimeoutMs);
  }

  // ---- failures ------------------------------------------------------------------------------

  /** The FD suspects `peer`: drop it everywhere; a dead pred becomes null, a dead succ the next one. */
  private onCrash(peer: NodeRef): void {
    this.forget(peer);
    if (this.predRef !== null && sameNode(peer, this.predRef)) this.setPred(null);
    if (this.succRef === null || !sameNode(peer, this.succRef)) return;
    const next = this.list.find((p) => !this.fd.isSuspected(p)) ?? this.env.self;
    this.setSucc(next, this.list);
    if (this.isSelf(next) && this.predRef === null) this.setPred(next);
    this.stabilize();
  }

  private forget(peer: NodeRef): void {
    this.list = this.list.filter((p) => !sameNode(p, peer));
    for (let i = 0; i < this.fingers.length; i++) {
      if (sameNode(this.fingers[i], peer)) this.fingers[i] = null;
    }
  }

  // ---- state changes -------------------------------------------------------------------------

  /** succ, and the successor list [succ, ...rest] cut where it wraps back to this node, at most L long. */
  private setSucc(succ: NodeRef, rest: readonly NodeRef[]): void {
    this.succRef = succ;
    const list: NodeRef[] = [];
    for (const peer of [succ, ...rest]) {
      if (this.isSelf(peer) || list.length >= this.config.succListSize) break;
      if (!list.some((p) => p.addr === peer.addr)) list.push(peer);
    }
    this.list = list;
    this.syncMonitors();
  }

  private setPred(pred: NodeRef | null): void {
    if (sameNode(pred, this.predRef)) return;
    this.predRef = pred;
    this.syncMonitors();
    this.env.emit({ type: "range-changed" });
  }

  /** The FD watches exactly succ and pred (check_predecessor, and successor liveness). */
  private syncMonitors(): void {
    const want = [this.succRef, this.predRef].filter((p): p is NodeRef => p !== null && !this.isSelf(p));
    for (const peer of this.monitored) {
      if (!want.some((w) => sameNode(w, peer))) this.fd.unmonitor(peer);
    }
    for (const peer of want) this.fd.monitor(peer);
    this.monitored = want;
  }

  private isSelf(peer: NodeRef): boolean {
    return sameNode(peer, this.env.self);
  }

  /** A random first delay in [0, periodMs), so that nodes' periodic timers do not fire in lockstep. */
  private phase(periodMs: number): number {
    return Math.floor(this.env.random() * periodMs);
  }
}

/** The distinct peers (by incarnation) in a list with gaps. */
function distinct(peers: readonly (NodeRef | null)[]): NodeRef[] {
  const seen = new Set<string>();
  const out: NodeRef[] = [];
  for (const peer of peers) {
    if (peer === null) continue;
    const key = incarnationKey(peer);
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(peer);
  }
  return out;
}
