// Routing and finger maintenance for a relaxed-ring node (docs/routing.md §1–§4): greedy routing over
// k-ary fingers with a walk back into branches, hop acknowledgements and rerouting around silent
// peers, lookups, the finger-refresh chain and probes that drop dead fingers; it also carries the
// ring merge's mlookups (docs/ring-merge.md §3) to the node responsible for their target. The rule a
// reader must not break: only the node that is itself responsible delivers (answers a lookup, takes a
// joiner); everyone else forwards (docs/routing.md §1.4, RT1). Where it departs from the paper: the
// "Beyond the paper" notes of docs/routing.md §1.4, §3.4 and §4.
import type { Env } from "../core/env.js";
import type { IdSpace, RingId } from "../core/id-space.js";
import { type NodeRef, samePeer as same } from "../core/node-ref.js";
import type { OverlayConfig } from "./config.js";
import type { FailureDetector } from "./failure-detector.js";
import type { FingerTable } from "./finger-table.js";
import type { Neighbours, RingMessage, RingRef, RingTimer, RoutedPayload } from "./messages.js";
import type { LookupCallback, LookupResult } from "./ring-view.js";

type MessageOf<T extends RingMessage["type"]> = Extract<RingMessage, { type: T }>;

/** What the router reads of the ring node it routes for. */
export interface RoutingPosition {
  readonly self: NodeRef;
  readonly pred: NodeRef | null;
  readonly succ: NodeRef | null;
  readonly succList: readonly NodeRef[];
  readonly isMember: boolean;
  /** Where a node that is no member yet sends what it routes (its join contact). */
  readonly joinContact: NodeRef | null;
  /** Peers that may have me as successor (docs/relaxed-ring.md §1.1). */
  predListMembers(): Iterable<NodeRef>;
  /** What I tell a peer about my neighbours (pred only while I trust it). */
  neighbours(): Neighbours;
  /** A join reached me as the joiner's successor: accept it, or answer its repeat. */
  onJoinRequest(joiner: NodeRef, ring: RingRef | null): void;
  /**
   * Whether `key` lies in the range of my suspected pred, which I am to take over: nobody owns it
   * until then, and a message for it should wait here rather than walk back round the ring
   * (docs/routing.md §1.4, RT7).
   */
  awaitsTakeoverOf(key: RingId): boolean;
  /** A merge lookup (docs/ring-merge.md §3) reached me, responsible for `target.id`. */
  onMergeLookup(target: NodeRef): void;
}

/** The routing messages and timers; the node hands these to the router. */
export const ROUTER_MESSAGES: ReadonlySet<RingMessage["type"]> = new Set([
  "probe",
  "probeReply",
  "route",
  "routeAck",
  "lookupReply",
  "newFinger",
]);
export const ROUTER_TIMERS: ReadonlySet<RingTimer["type"]> = new Set([
  "fingerProbe",
  "fingerRefresh",
  "probeCheck",
  "hopTimeout",
  "lookupTimeout",
  "routeRetry",
]);

/** Checks the answers to finger probes. */
const PROBE_CHECK: RingTimer = { type: "probeCheck" };
/** After a routed hop finds a dead finger, the other fingers are audited at most this often. */
const FINGER_AUDIT_GAP_MS = 10_000;
/** An audit probes the fingers that have not answered us for this long. */
const FINGER_QUIET_MS = 30_000;
/** A routed message that has taken this many hops is dropped: routing is in a loop (a bug or churn). */
const MAX_ROUTE_HOPS = 64;
/** A message waits for a takeover this many hop timeouts at most, then is routed on. */
const ROUTE_WAITS_MAX = 10;
/** A peer that failed to acknowledge a hop is avoided for routing this long. */
const UNREACHABLE_MS = 30_000;
/** Past this many avoided peers, expired entries are swept. */
const UNREACHABLE_MAX = 256;

/** A routed hop awaiting its ack; on timeout it is routed again around the silent peer. */
interface PendingHop {
  readonly peer: NodeRef;
  readonly key: RingId;
  readonly origin: NodeRef;
  readonly hops: number;
  readonly payload: RoutedPayload;
  readonly timer: number;
}

interface PendingLookup {
  readonly onDone: LookupCallback;
  readonly timer: number;
}

export class Router {
  private readonly env: Env<RingMessage, RingTimer>;
  private readonly config: OverlayConfig;
  private readonly ids: IdSpace;
  private readonly fingers: FingerTable;
  private readonly fd: FailureDetector;
  private readonly at: RoutingPosition;
  private readonly lookups = new Map<number, PendingLookup>();
  private nextLookupId = 1;
  private readonly pendingHops = new Map<number, PendingHop>();
  /** Routed messages waiting here for my pred's takeover (awaitsTakeoverOf), by park id. */
  private readonly parked = new Map<
    number,
    { key: RingId; origin: NodeRef; hops: number; payload: RoutedPayload; waited: number }
  >();
  private nextHopId = 1;
  /** Peers that did not acknowledge a routed hop or answer a probe, until when they are avoided. */
  private readonly unreachable = new Map<string, number>();
  /** Ideal ids the running refresh chain has still to look up, farthest first. */
  private fingerChain: RingId[] = [];
  /**
   * Probes awaiting an answer, by address: a finger silent for hopTimeoutMs is dropped (docs/routing.md §3.4,
   * F5).
   */
  private readonly probesPending = new Map<string, { readonly peer: NodeRef; readonly sentAtMs: number }>();
  private probeCheckArmed = false;
  private lastFingerAuditMs = Number.NEGATIVE_INFINITY;

  constructor(
    env: Env<RingMessage, RingTimer>,
    config: OverlayConfig,
    ids: IdSpace,
    fingers: FingerTable,
    fd: FailureDetector,
    at: RoutingPosition,
  ) {
    this.env = env;
    this.config = config;
    this.ids = ids;
    this.fingers = fingers;
    this.fd = fd;
    this.at = at;
  }

  /** Starts the periodic finger maintenance, once the node is a ring member. */
  startMaintenance(): void {
    this.env.setTimer(this.config.fingerRefreshMs * this.env.random(), { type: "fingerRefresh" });
    this.env.setTimer(this.config.fingerProbeMs * this.env.random(), { type: "fingerProbe" });
    this.startFingerRefresh();
  }

  lookup(key: RingId, onDone: LookupCallback): void {
    const lookupId = this.nextLookupId++;
    const timer = this.env.setTimer(this.config.lookupTimeoutMs, { type: "lookupTimeout", lookupId });
    this.lookups.set(lookupId, { onDone, timer });
    this.route(key, this.at.self, 0, false, { kind: "lookup", lookupId });
  }

  /**
   * A lookup whose first hop is `first`, whatever this node holds (the loop check, docs/ring-merge.md §5).
   */
  lookupFrom(first: NodeRef, key: RingId, onDone: LookupCallback): void {
    const lookupId = this.nextLookupId++;
    const timer = this.env.setTimer(this.config.lookupTimeoutMs, { type: "lookupTimeout", lookupId });
    this.lookups.set(lookupId, { onDone, timer });
    const payload: RoutedPayload = { kind: "lookup", lookupId };
    this.env.send(first, {
      type: "route",
      key,
      origin: this.at.self,
      hops: 1,
      last: false,
      payload,
      hopId: 0,
    });
  }

  /** Routes `payload` from this node to the node responsible for `key` (maybe this one). */
  routeFromHere(key: RingId, payload: RoutedPayload): void {
    this.route(key, this.at.self, 0, false, payload);
  }

  onMessage(from: NodeRef, msg: RingMessage): void {
    switch (msg.type) {
      case "probe":
        this.env.send(from, { type: "probeReply", ...this.at.neighbours() });
        return;
      case "probeReply":
        if (this.probesPending.get(from.addr)?.peer.nonce === from.nonce)
          this.probesPending.delete(from.addr);
        this.fingers.heard(from, this.env.now());
        this.fingers.learnNeighbours(from, msg.pred, msg.succ, msg.next);
        return;
      case "route":
        // Fault hook: the ack is lost, so the sender routes the message again around me (a duplicate).
        if (msg.hopId !== 0 && !this.env.buggify("overlay.route.ack-lost"))
          this.env.send(from, { type: "routeAck", hopId: msg.hopId, ...this.at.neighbours() });
        this.onRoute(msg);
        return;
      case "routeAck": {
        const pending = this.pendingHops.get(msg.hopId);
        if (pending !== undefined) {
          this.pendingHops.delete(msg.hopId);
          this.env.cancelTimer(pending.timer);
        }
        this.fingers.heard(from, this.env.now());
        this.fingers.learnNeighbours(from, msg.pred, msg.succ, msg.next);
        return;
      }
      case "lookupReply":
        this.fingers.offer(msg.responsible);
        this.finishLookup(msg.lookupId, { ok: true, responsible: msg.responsible, hops: msg.hops });
        return;
      case "newFinger":
        this.onNewFinger(from, msg);
        return;
    }
  }

  onTimer(tag: RingTimer): void {
    switch (tag.type) {
      case "fingerProbe":
        this.probe(this.fingers.refs());
        this.env.setTimer(this.config.fingerProbeMs, { type: "fingerProbe" });
        return;
      case "fingerRefresh":
        this.startFingerRefresh();
        this.env.setTimer(this.config.fingerRefreshMs, { type: "fingerRefresh" });
        return;
      case "probeCheck":
        this.checkProbes();
        return;
      case "hopTimeout":
        this.onHopTimeout(tag.hopId);
        return;
      case "lookupTimeout":
        this.finishLookup(tag.lookupId, { ok: false, reason: "timeout" });
        return;
      case "routeRetry": {
        const parked = this.parked.get(tag.parkId);
        this.parked.delete(tag.parkId);
        if (parked !== undefined)
          this.route(parked.key, parked.origin, parked.hops, true, parked.payload, parked.waited);
        return;
      }
    }
  }

  /**
   * A peer to route through: not suspected, and not recently silent on a hop or probe — unless the FD
   * watches it (a neighbour): for neighbours the FD's verdict is newer than any such mark.
   */
  readonly usable = (p: NodeRef): boolean => {
    if (same(p, this.at.self) || this.fd.isSuspected(p)) return false;
    const until = this.unreachable.get(p.addr);
    if (until === undefined) return true;
    if (this.fd.isMonitored(p)) return true;
    if (until > this.env.now()) return false;
    this.unreachable.delete(p.addr);
    return true;
  };

  /** Avoids `peer` for routing for a while (it did not answer). */
  markUnreachable(peer: NodeRef): void {
    const now = this.env.now();
    if (this.unreachable.size >= UNREACHABLE_MAX) {
      for (const [addr, until] of this.unreachable) if (until <= now) this.unreachable.delete(addr);
    }
    this.unreachable.set(peer.addr, now + UNREACHABLE_MS);
  }

  // ---- routing (docs/routing.md §1, §2) ----------------------------------------------------------

  private responsibleFor(key: RingId): boolean {
    const pred = this.at.pred;
    return pred !== null && this.at.succ !== null && this.ids.inOC(key, pred.id, this.at.self.id);
  }

  private onRoute(msg: MessageOf<"route">): void {
    if (msg.payload.kind === "join") {
      // A join travels to its joiner's own id; any other key is bad input (docs/architecture.md §6).
      if (msg.key !== msg.origin.id) return;
      // A joiner is no ring member yet: never a routing candidate, and a repeat gets the same joinOk.
      if (same(msg.origin, this.at.pred)) {
        this.at.onJoinRequest(msg.origin, msg.payload.ring);
        return;
      }
    } else {
      this.fingers.offer(msg.origin);
    }
    this.route(msg.key, msg.origin, msg.hops, msg.last, msg.payload);
  }

  private route(
    key: RingId,
    origin: NodeRef,
    hops: number,
    last: boolean,
    payload: RoutedPayload,
    waited = 0,
  ): void {
    if (this.responsibleFor(key)) {
      this.deliver(key, origin, hops, payload);
      return;
    }
    if (hops >= MAX_ROUTE_HOPS) {
      this.env.emit({ type: "route-dropped", key, hops });
      return;
    }
    if (last && waited < ROUTE_WAITS_MAX && this.at.awaitsTakeoverOf(key)) {
      const parkId = this.nextHopId++;
      this.parked.set(parkId, { key, origin, hops, payload, waited: waited + 1 });
      this.env.setTimer(this.config.hopTimeoutMs, { type: "routeRetry", parkId });
      return;
    }
    // A joiner is no ring member yet: its own join must never be routed to it.
    const next = this.nextHop(key, last, payload.kind === "join" ? origin : null);
    if (next === null) return; // lost: the origin's timer reports it
    // Hops to a neighbour the FD watches need no ack: its crash is detected anyway.
    let hopId = 0;
    if (!this.fd.isMonitored(next.peer)) {
      hopId = this.nextHopId++;
      const timer = this.env.setTimer(this.config.hopTimeoutMs, { type: "hopTimeout", hopId });
      this.pendingHops.set(hopId, { peer: next.peer, key, origin, hops, payload, timer });
    }
    this.env.send(next.peer, { type: "route", key, origin, hops: hops + 1, last: next.last, payload, hopId });
  }

  /** The next hop stayed silent: avoid it for a while and route around it (docs/routing.md §4, A3). */
  private onHopTimeout(hopId: number): void {
    const pending = this.pendingHops.get(hopId);
    if (pending === undefined) return;
    this.pendingHops.delete(hopId);
    this.markUnreachable(pending.peer);
    this.fingers.remove(pending.peer);
    this.auditFingers();
    this.route(pending.key, pending.origin, pending.hops, false, pending.payload);
  }

  /**
   * The next hop for a key that is not mine. `last` marks a message sent to the peer believed to own the key;
   * if that peer is not the owner, the key lies behind it (in a branch, or beyond a stale finger successor),
   * and it walks back through its predList, one closer peer at a time (docs/routing.md §2, RT9).
   */
  private nextHop(
    key: RingId,
    last: boolean,
    joiner: NodeRef | null,
  ): { peer: NodeRef; last: boolean } | null {
    const usable = joiner === null ? this.usable : (p: NodeRef) => !same(p, joiner) && this.usable(p);
    const self = this.at.self;
    if (last) {
      let best: NodeRef | null = null;
      for (const p of this.at.predListMembers()) {
        if (!usable(p) || !this.ids.inCO(p.id, key, self.id)) continue;
        if (best === null || this.ids.dist(key, p.id) < this.ids.dist(key, best.id)) best = p;
      }
      if (best !== null) return { peer: best, last: true };
    }
    const succ = this.at.succ;
    if (succ === null) {
      const contact = this.at.joinContact;
      return contact === null ? null : { peer: contact, last: false };
    }
    if (this.ids.inOC(key, self.id, succ.id) && usable(succ)) return { peer: succ, last: true };
    // My successor list (which starts with succ) is contiguous: a key inside it goes straight to its owner.
    let before = self;
    for (const s of this.at.succList) {
      if (this.ids.inOC(key, before.id, s.id)) {
        if (usable(s)) return { peer: s, last: true };
        break;
      }
      before = s;
    }
    const hop = this.fingers.nextHop(key, usable);
    if (hop !== null) return { peer: hop.peer, last: hop.owner };
    return usable(succ) ? { peer: succ, last: false } : null;
  }

  /** Only route() calls it, for a key in my (pred, self] (I2, docs/relaxed-ring.md §7.1). */
  private deliver(key: RingId, origin: NodeRef, hops: number, payload: RoutedPayload): void {
    const self = this.at.self;
    switch (payload.kind) {
      case "join":
        this.at.onJoinRequest(origin, payload.ring);
        return;
      case "lookup":
        this.env.emit({ type: "lookup-answer", key, responsible: self });
        this.env.send(origin, {
          type: "lookupReply",
          lookupId: payload.lookupId,
          key,
          responsible: self,
          hops,
        });
        return;
      case "needFinger":
        this.env.send(origin, { type: "newFinger", key, ...this.at.neighbours() });
        return;
      case "mlookup":
        this.at.onMergeLookup(payload.target);
        return;
    }
  }

  private finishLookup(lookupId: number, result: LookupResult): void {
    const pending = this.lookups.get(lookupId);
    if (pending === undefined) return;
    this.lookups.delete(lookupId);
    this.env.cancelTimer(pending.timer);
    pending.onDone(result);
  }

  // ---- fingers (docs/routing.md §3) --------------------------------------------------------------

  /**
   * Refresh as a chain, farthest ideal id first; each answer triggers the next (docs/routing.md §3.4, F4).
   */
  private startFingerRefresh(): void {
    const succ = this.at.succ;
    if (!this.at.isMember || succ === null) return;
    this.fingerChain = this.fingers.idealIds(this.ids.dist(this.at.self.id, succ.id));
    this.nextFingerLookup();
  }

  private nextFingerLookup(): void {
    const key = this.fingerChain.shift();
    if (key === undefined) return;
    const succ = this.at.succ;
    if (succ === null || this.ids.inOC(key, this.at.self.id, succ.id)) {
      this.fingerChain = []; // the rest of the chain falls to my successor
      return;
    }
    this.route(key, this.at.self, 0, false, { kind: "needFinger" });
  }

  private onNewFinger(from: NodeRef, msg: MessageOf<"newFinger">): void {
    this.fingers.offer(from);
    this.fingers.heard(from, this.env.now());
    this.fingers.learnNeighbours(from, msg.pred, msg.succ, msg.next);
    // Skip the ideal ids this finger is also the answer for (they lie in its range), then the next.
    const pred = msg.pred;
    while (pred !== null && this.fingerChain.length > 0) {
      const next = this.fingerChain[0] as RingId;
      if (!this.ids.inOC(next, pred.id, from.id)) break;
      this.fingerChain.shift();
    }
    this.nextFingerLookup();
  }

  /**
   * A finger was found dead on use: where there is one there are often more (churn), and each costs a
   * routed message a hop timeout. Probe the fingers that have been quiet, so the table is clean
   * before the next attempt (at most every FINGER_AUDIT_GAP_MS).
   */
  private auditFingers(): void {
    const now = this.env.now();
    if (now - this.lastFingerAuditMs < FINGER_AUDIT_GAP_MS) return;
    this.lastFingerAuditMs = now;
    this.probe(this.fingers.unheardSince(now - FINGER_QUIET_MS));
  }

  /** Asks each peer for its neighbours; one that does not answer within hopTimeoutMs is dropped. */
  private probe(peers: readonly NodeRef[]): void {
    const now = this.env.now();
    for (const peer of peers) {
      // The FD watches neighbours; a probe already out will be judged by its own deadline.
      if (this.fd.isMonitored(peer) || this.probesPending.has(peer.addr)) continue;
      this.probesPending.set(peer.addr, { peer, sentAtMs: now });
      this.env.send(peer, { type: "probe" });
    }
    this.armProbeCheck(this.config.hopTimeoutMs);
  }

  private armProbeCheck(afterMs: number): void {
    if (this.probeCheckArmed || this.probesPending.size === 0) return;
    this.probeCheckArmed = true;
    this.env.setTimer(afterMs, PROBE_CHECK);
  }

  private checkProbes(): void {
    this.probeCheckArmed = false;
    const now = this.env.now();
    let nextDueMs = Number.POSITIVE_INFINITY;
    for (const [addr, { peer, sentAtMs }] of this.probesPending) {
      const dueMs = sentAtMs + this.config.hopTimeoutMs;
      if (dueMs > now) {
        nextDueMs = Math.min(nextDueMs, dueMs);
        continue;
      }
      this.probesPending.delete(addr);
      this.markUnreachable(peer);
      this.fingers.remove(peer);
    }
    if (nextDueMs !== Number.POSITIVE_INFINITY) this.armProbeCheck(nextDueMs - now);
  }
}
