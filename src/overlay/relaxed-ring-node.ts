// A relaxed-ring node (algorithms.md §2–§4): two-step join, graceful leave, crash recovery with
// fix/redirect, predList and branches, branch closing by hints, successor-list propagation, k-ary
// fingers and routing that walks back into branches. Lookup consistency rests on two rules that must
// not be weakened: pred changes only to a joiner or fixer inside (pred, self], or to a peer behind it
// once pred has been suspected for predTakeoverMs (I3); and only the node that is itself responsible
// answers a lookup (§2.4). Differences from the paper's text are listed in docs/protocols.md.
import type { Env, Process } from "../core/env.js";
import type { IdSpace, RingId } from "../core/id-space.js";
import type { NodeRef } from "../core/node-ref.js";
import type { OverlayConfig } from "./config.js";
import { FailureDetector } from "./failure-detector.js";
import { FingerTable } from "./finger-table.js";
import {
  NEIGHBOURS_SHARED,
  type NeighbourPair,
  type Neighbours,
  type RingMessage,
  type RingRef,
  type RingTimer,
  type RoutedPayload,
} from "./messages.js";
import type { LookupCallback, RingNodeApi } from "./ring-view.js";

type RingEnv = Env<RingMessage, RingTimer>;

/** Messages a node ignores until it is a ring member (a lost joinOk must not be bypassed). */
const MEMBERS_ONLY: ReadonlySet<RingMessage["type"]> = new Set([
  "newSucc",
  "predNoMore",
  "updSuccList",
  "fix",
  "fixOk",
  "redirect",
  "hint",
  "leaving",
]);

/** The failure detector's round timer, once a second on every node: one tag object for all. */
const FD_ROUND: RingTimer = { type: "fdRound" };

/** Checks the answers to finger probes. */
const PROBE_CHECK: RingTimer = { type: "probeCheck" };

/** After a routed hop finds a dead finger, the other fingers are audited at most this often. */
const FINGER_AUDIT_GAP_MS = 10_000;
/** An audit probes the fingers that have not answered us for this long. */
const FINGER_QUIET_MS = 30_000;

/** After this many unanswered join attempts through one contact, the node says so (`join-stalled`). */
const JOIN_ATTEMPTS_PER_CONTACT = 3;

/** A routed message that has taken this many hops is dropped: routing is in a loop (a bug or churn). */
const MAX_ROUTE_HOPS = 64;
type MessageOf<T extends RingMessage["type"]> = Extract<RingMessage, { type: T }>;

/** The same incarnation. Nonces first: they differ between peers, so addresses are rarely read. */
const same = (a: NodeRef | null | undefined, b: NodeRef | null | undefined): boolean =>
  a != null && b != null && a.nonce === b.nonce && a.addr === b.addr;

/** A routed hop awaiting its ack; on timeout it is routed again around the silent peer. */
interface PendingHop {
  readonly peer: NodeRef;
  readonly key: RingId;
  readonly origin: NodeRef;
  readonly hops: number;
  readonly payload: RoutedPayload;
  readonly timer: number;
}

/** A peer that failed to acknowledge a hop is avoided for routing this long. */
const UNREACHABLE_MS = 30_000;
/** Past this many avoided peers, expired entries are swept. */
const UNREACHABLE_MAX = 256;

interface PendingLookup {
  readonly onDone: LookupCallback;
  readonly timer: number;
}

export class RelaxedRingNode implements Process<RingMessage, RingTimer>, RingNodeApi {
  readonly self: NodeRef;
  pred: NodeRef | null = null;
  /** The ring this node is in (null until it joins one). */
  ringRef: RingRef | null = null;
  /** The ring it asked to join (null: whichever ring its contact is in). */
  private readonly wishedRing: RingRef | null;
  succ: NodeRef | null = null;
  succList: NodeRef[] = [];
  /** Peers that may have me as successor: pred, un-acked old preds, branch members (§2.1). */
  private readonly predList = new Map<string, NodeRef>();
  private readonly fingers: FingerTable;
  private readonly fd: FailureDetector;
  private readonly env: RingEnv;
  private readonly ids: IdSpace;
  private readonly config: OverlayConfig;
  /** Where joins go; a caller may replace it with join(contact) when it stops answering. */
  private accessPoint: NodeRef | null;
  private joinAttempts = 0;
  private joinTimer = 0;
  private readonly lookups = new Map<number, PendingLookup>();
  private readonly pendingHops = new Map<number, PendingHop>();
  /** Peers that did not acknowledge a routed hop, until when they are avoided. */
  private readonly unreachable = new Map<string, number>();
  private nextHopId = 1;
  /** The old pred the latest joiner was given, so its repeated join gets the same joinOk. */
  private joinOkGiven: { readonly joiner: NodeRef; readonly pred: NodeRef } | null = null;
  private recovering = false;
  /** When my current pred became suspected, or null. */
  private predSuspectedAtMs: number | null = null;
  /** My predecessor's trusted predecessor, from its pings: offered as `alt` in redirects. */
  private predPred: NodeRef | null = null;
  private left = false;
  private nextLookupId = 1;
  private lastRingCheck = Number.NEGATIVE_INFINITY;
  /** When my successor last told me its neighbours (a ping or pong), for the neighbour check. */
  private succHeardAtMs = Number.NEGATIVE_INFINITY;
  private fingerChain: RingId[] = [];
  /** Probes awaiting an answer, by address: a finger silent for hopTimeoutMs is dropped (§3). */
  private readonly probesPending = new Map<string, { readonly peer: NodeRef; readonly sentAtMs: number }>();
  private probeCheckArmed = false;
  private lastFingerAuditMs = Number.NEGATIVE_INFINITY;

  constructor(
    env: RingEnv,
    config: OverlayConfig,
    ids: IdSpace,
    accessPoint: NodeRef | null,
    wishedRing: RingRef | null = null,
  ) {
    this.wishedRing = wishedRing;
    this.env = env;
    this.self = env.self;
    this.config = config;
    this.ids = ids;
    this.accessPoint = accessPoint;
    this.fingers = new FingerTable(ids, env.self.id, config.k);
    this.fd = new FailureDetector(config.fd, {
      crash: (p) => this.onCrash(p),
      alive: (p) => this.onAlive(p),
      ping: (p) => env.send(p, { type: "ping", pred: this.trustedPred(), succ: this.succ }),
    });
  }

  // ---- the node API (RingNodeApi) -----------------------------------------------------------

  get isMember(): boolean {
    return this.succ !== null && !this.left;
  }

  fingerRefs(): readonly NodeRef[] {
    return this.fingers.refs();
  }

  routingTableSize(): number {
    const addrs = this.fingers.peerAddrs();
    for (const p of this.succList) addrs.add(p.addr);
    addrs.delete(this.self.addr);
    return addrs.size;
  }

  suspected(): readonly NodeRef[] {
    return [...this.predList.values(), ...this.succList].filter((p) => this.fd.isSuspected(p));
  }

  get predecessors(): readonly NodeRef[] {
    return [...this.predList.values()];
  }

  get failureDetector(): FailureDetector {
    return this.fd;
  }

  lookup(key: RingId, onDone: LookupCallback): void {
    if (this.left) {
      onDone({ ok: false, reason: "left" });
      return;
    }
    const lookupId = this.nextLookupId++;
    const timer = this.env.setTimer(this.config.lookupTimeoutMs, { type: "lookupTimeout", lookupId });
    this.lookups.set(lookupId, { onDone, timer });
    this.route(key, this.self, 0, false, { kind: "lookup", lookupId });
  }

  /** Joins (again) through `contact`, e.g. after `join-stalled`; a member ignores it. */
  join(contact: NodeRef): void {
    if (this.succ !== null || this.left || same(contact, this.self)) return;
    this.accessPoint = contact;
    this.sendJoin();
  }

  /** Graceful leave: the successor takes over my range, my predecessor links to my successor. */
  leave(): void {
    if (this.left) return;
    const leaving = { type: "leaving", pred: this.pred, succ: this.succ, succList: this.succList } as const;
    if (this.succ !== null && !same(this.succ, this.self)) this.env.send(this.succ, leaving);
    if (this.pred !== null && !same(this.pred, this.self) && !same(this.pred, this.succ))
      this.env.send(this.pred, leaving);
    this.left = true;
    this.changedRange();
  }

  // ---- Process ------------------------------------------------------------------------------

  start(): void {
    this.env.setTimer(this.env.random() * this.config.fd.pingPeriodMs, FD_ROUND);
    if (this.accessPoint === null) {
      this.ringRef = { name: this.config.ringName, uid: Math.floor(this.env.random() * 0x1_0000_0000) };
      this.succ = this.self;
      this.pred = this.self;
      this.succList = [];
      this.becameMember();
      return;
    }
    this.sendJoin();
  }

  onTimer(tag: RingTimer): void {
    if (this.left) return;
    switch (tag.type) {
      case "fdRound":
        this.fd.round(this.env.now());
        this.relinkIfAlone();
        this.askSuccForNeighbours();
        this.env.setTimer(this.config.fd.pingPeriodMs, FD_ROUND);
        return;
      case "joinRetry":
        if (this.succ !== null) return;
        if (++this.joinAttempts % JOIN_ATTEMPTS_PER_CONTACT === 0) this.env.emit({ type: "join-stalled" });
        this.sendJoin();
        return;
      case "predTakeover":
        this.predTakeover(tag.pred);
        return;
      case "hint":
        this.sendHints();
        this.env.setTimer(this.config.hintPeriodMs, { type: "hint" });
        return;
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
      case "fixTimeout":
        this.onFixTimeout(tag.to, tag.fallback, tag.alt);
        return;
      case "hopTimeout":
        this.onHopTimeout(tag.hopId);
        return;
      case "lookupTimeout":
        this.finishLookup(tag.lookupId, { ok: false, reason: "timeout" });
        return;
    }
  }

  onMessage(from: NodeRef, msg: RingMessage): void {
    if (this.left) return;
    this.fd.heard(from, this.env.now());
    // Only joinOk makes a ring member: until then, ring maintenance is not for me.
    if (this.succ === null && MEMBERS_ONLY.has(msg.type)) return;
    switch (msg.type) {
      case "ping":
        this.env.send(from, { type: "pong", pred: this.trustedPred(), succ: this.succ });
        this.checkNeighbours(from, msg);
        return;
      case "probe":
        this.env.send(from, { type: "probeReply", ...this.neighbours() });
        return;
      case "probeReply":
        if (this.probesPending.get(from.addr)?.peer.nonce === from.nonce)
          this.probesPending.delete(from.addr);
        this.fingers.heard(from, this.env.now());
        this.fingers.learnNeighbours(from, msg.pred, msg.succ, msg.next);
        return;
      case "pong": {
        this.checkNeighbours(from, msg);
        return;
      }
      case "route": {
        if (msg.hopId !== 0)
          this.env.send(from, { type: "routeAck", hopId: msg.hopId, ...this.neighbours() });
        this.onRoute(msg);
        return;
      }
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
        {
          this.finishLookup(msg.lookupId, { ok: true, responsible: msg.responsible, hops: msg.hops });
          return;
        }
      case "newFinger": {
        this.onNewFinger(from, msg);
        return;
      }
      case "joinOk": {
        this.onJoinOk(from, msg);
        return;
      }
      case "badRingRef":
        this.env.emit({ type: "bad-ring-ref", theirs: msg.ring, wished: this.wishedRing });
        return;
      case "joinLater":
        this.armJoinTimer();
        return;
      case "newSucc": {
        this.onNewSucc(from, msg);
        return;
      }
      case "predNoMore": {
        this.dropPredListMember(from);
        return;
      }
      case "updSuccList": {
        this.onUpdSuccList(from, msg);
        return;
      }
      case "fix": {
        this.onFix(from);
        return;
      }
      case "fixOk": {
        this.onFixOk(from, msg);
        return;
      }
      case "redirect": {
        this.onRedirect(from, msg.to, msg.alt);
        return;
      }
      case "hint":
        this.onHint(from, msg.candidate);
        return;
      case "leaving": {
        this.onLeaving(from, msg);
        return;
      }
    }
  }

  // ---- join (§2.3) --------------------------------------------------------------------------

  private sendJoin(): void {
    if (this.accessPoint === null) return;
    this.env.send(this.accessPoint, {
      type: "route",
      key: this.self.id,
      origin: this.self,
      hops: 0,
      last: false,
      payload: { kind: "join", ring: this.wishedRing },
      hopId: 0,
    });
    this.armJoinTimer();
  }

  /** One join-retry timer at a time, however many joinLater or retries came. */
  private armJoinTimer(): void {
    this.env.cancelTimer(this.joinTimer);
    this.joinTimer = this.env.setTimer(this.config.joinRetryMs, { type: "joinRetry" });
  }

  /** At the successor candidate, which is responsible for the joiner's id. */
  private onJoin(joiner: NodeRef, wished: RingRef | null): void {
    if (same(joiner, this.self)) return;
    const ring = this.ringRef;
    if (wished !== null && ring !== null && (wished.uid !== ring.uid || wished.name !== ring.name)) {
      this.env.send(joiner, { type: "badRingRef", ring }); // another ring: also a merge trigger (§5)
      return;
    }
    if (this.succ === null || this.recovering) {
      this.env.send(joiner, { type: "joinLater" });
      return;
    }
    if (same(joiner, this.pred)) {
      // A repeated join (its joinOk was lost), or a joiner handed to me by a leaving predecessor:
      // tell it the predecessor it was given, or the closest one I know before it.
      const given = this.joinOkGiven;
      const old =
        given !== null && same(given.joiner, joiner) ? given.pred : this.closestPredListMemberBefore(joiner);
      if (old !== null) this.sendJoinOk(joiner, old);
      return;
    }
    const old = this.pred ?? this.self;
    this.setPred(joiner);
    this.joinOkGiven = { joiner, pred: old };
    this.sendJoinOk(joiner, old);
  }

  private closestPredListMemberBefore(peer: NodeRef): NodeRef | null {
    let best: NodeRef | null = null;
    for (const p of this.predList.values()) {
      if (same(p, peer) || this.fd.isSuspected(p)) continue;
      if (best === null || this.ids.dist(p.id, peer.id) < this.ids.dist(best.id, peer.id)) best = p;
    }
    return best;
  }

  private sendJoinOk(joiner: NodeRef, pred: NodeRef): void {
    const ring = this.ringRef;
    if (ring === null) return;
    this.env.send(joiner, { type: "joinOk", pred, succ: this.self, succList: this.succList, ring });
  }

  private onJoinOk(from: NodeRef, msg: MessageOf<"joinOk">): void {
    if (this.wishedRing !== null && msg.ring.uid !== this.wishedRing.uid) return;
    this.ringRef ??= msg.ring;
    const wasMember = this.succ !== null;
    if (this.succ === null || this.ids.inOO(msg.succ.id, this.self.id, this.succ.id)) {
      this.setSucc(msg.succ, msg.succList);
    }
    if (this.pred === null || this.ids.inOO(msg.pred.id, this.pred.id, this.self.id)) {
      this.setPred(msg.pred);
      if (!same(msg.pred, this.self)) {
        this.env.send(msg.pred, {
          type: "newSucc",
          newSucc: this.self,
          oldSucc: from,
          succList: this.succList,
        });
      }
    }
    if (!wasMember && this.succ !== null) this.becameMember();
  }

  /** At the old predecessor: step 2 closes the ring. */
  private onNewSucc(from: NodeRef, msg: MessageOf<"newSucc">): void {
    if (this.succ === null) return;
    if (!same(this.succ, from) && this.ids.inOO(from.id, this.self.id, this.succ.id)) {
      const old = this.succ;
      this.setSucc(from, msg.succList);
      if (!same(old, this.self)) this.env.send(old, { type: "predNoMore" });
    } else if (same(this.succ, this.self)) {
      this.setSucc(from, msg.succList);
    }
  }

  private becameMember(): void {
    this.env.emit({ type: "joined" });
    this.changedRange();
    this.env.setTimer(this.config.hintPeriodMs * (0.5 + this.env.random()), { type: "hint" });
    this.env.setTimer(this.config.fingerRefreshMs * this.env.random(), { type: "fingerRefresh" });
    this.env.setTimer(this.config.fingerProbeMs * this.env.random(), { type: "fingerProbe" });
    this.startFingerRefresh();
  }

  // ---- neighbours ---------------------------------------------------------------------------

  /**
   * My pred has been suspected for predTakeoverMs (§2.5's takeover delay): only now may a peer from
   * behind it take its place. Sooner, a fixer is redirected to it first: a suspicion may be one broken
   * link, and the fixer may well reach the pred (connectivity < 1 showed ranges overlapping otherwise).
   */
  private predAbandoned(): boolean {
    const pred = this.pred;
    const since = this.predSuspectedAtMs;
    if (pred === null || since === null || !this.fd.isSuspected(pred)) return false;
    return this.env.now() - since >= this.config.predTakeoverMs;
  }

  /** Null: my predecessor is unknown, and I am responsible for nothing until one fixes me. */
  private setPred(pred: NodeRef | null): void {
    if (pred === null ? this.pred === null : same(pred, this.pred)) return;
    this.predSuspectedAtMs = null;
    this.pred = pred;
    if (pred !== null && !same(pred, this.self)) {
      this.predList.set(pred.addr, pred);
      this.fd.monitor(pred);
      this.fingers.offer(pred);
      // Handed a pred my FD already suspects (it reports a crash only once): start the takeover clock.
      if (this.fd.isSuspected(pred)) this.predSuspected(pred);
    }
    this.changedRange();
  }

  private predSuspected(pred: NodeRef): void {
    this.predSuspectedAtMs = this.env.now();
    this.env.setTimer(this.config.predTakeoverMs, { type: "predTakeover", pred });
  }

  /**
   * Takes `offered` (or, if this FD already suspects it, the first unsuspected peer of the list that
   * came with it) as successor. A suspected peer is never adopted: the FD reports a crash only once.
   */
  private setSucc(offered: NodeRef, theirSuccList: readonly NodeRef[]): void {
    const old = this.succ;
    const fresh = this.freshSuccList(offered, theirSuccList);
    const succ =
      same(offered, this.self) || !this.fd.isSuspected(offered) ? offered : (fresh[0] ?? this.self);
    this.succ = succ;
    this.recovering = false;
    this.succList = fresh;
    if (!same(succ, this.self)) {
      this.fd.monitor(succ);
      this.fingers.offer(succ);
    }
    for (const p of this.succList) this.fingers.offer(p);
    if (!same(succ, old)) {
      if (old !== null) this.release(old);
      if (!same(succ, offered) && !same(succ, this.self)) this.env.send(succ, { type: "fix" });
      this.propagateSuccList();
    }
  }

  private freshSuccList(succ: NodeRef, theirs: readonly NodeRef[]): NodeRef[] {
    const list: NodeRef[] = [];
    for (const p of [succ, ...theirs]) {
      if (list.length >= this.config.succListSize) break;
      if (same(p, this.self) || this.fd.isSuspected(p) || list.some((q) => q.addr === p.addr)) continue;
      list.push(p);
    }
    return list;
  }

  private propagateSuccList(): void {
    if (this.pred !== null && !same(this.pred, this.self)) {
      this.env.send(this.pred, {
        type: "updSuccList",
        succList: this.succList,
        ttl: this.config.succListSize,
      });
    }
  }

  private onUpdSuccList(from: NodeRef, msg: MessageOf<"updSuccList">): void {
    if (!same(from, this.succ)) return;
    const fresh = this.freshSuccList(from, msg.succList);
    const changed = fresh.length !== this.succList.length || fresh.some((p, i) => !same(p, this.succList[i]));
    if (!changed) return;
    this.succList = fresh;
    for (const p of fresh) this.fingers.offer(p);
    if (msg.ttl > 0 && this.pred !== null && !same(this.pred, this.self)) {
      this.env.send(this.pred, { type: "updSuccList", succList: fresh, ttl: msg.ttl - 1 });
    }
  }

  private dropPredListMember(peer: NodeRef): void {
    const known = this.predList.get(peer.addr);
    if (known === undefined || same(known, this.pred)) return;
    this.predList.delete(peer.addr);
    this.release(peer);
  }

  /** Stops watching a peer unless it is still a neighbour (succ, pred or in predList). */
  private release(peer: NodeRef): void {
    if (same(peer, this.succ) || same(peer, this.pred) || this.predList.has(peer.addr)) return;
    this.fd.unmonitor(peer);
  }

  private changedRange(): void {
    this.env.emit({ type: "range-changed" });
  }

  // ---- failures (§2.5) ----------------------------------------------------------------------

  private onCrash(peer: NodeRef): void {
    this.fingers.remove(peer);
    this.succList = this.succList.filter((p) => !same(p, peer));
    if (same(peer, this.succ)) this.recoverSucc();
    if (same(peer, this.pred)) {
      this.predSuspected(peer);
    } else if (this.predList.has(peer.addr)) {
      this.predList.delete(peer.addr);
    }
  }

  /** The successor is suspected: try the next alive one in succList, one candidate at a time. */
  private recoverSucc(): void {
    const candidate = this.succList.find((p) => !this.fd.isSuspected(p) && !same(p, this.succ));
    if (candidate === undefined) {
      this.succ = this.self;
      this.succList = [];
      this.recovering = false;
      if (this.pred === null || this.fd.isSuspected(this.pred)) this.setPred(this.self);
      return;
    }
    this.linkTowards(candidate);
  }

  /** Takes `candidate` as successor for now and asks it, by fix, to take me as its predecessor. */
  private linkTowards(candidate: NodeRef): void {
    // A lone node owns the whole ring; one that links up again must not keep claiming it.
    if (same(this.pred, this.self)) this.setPred(null);
    this.succ = candidate;
    this.recovering = true;
    this.fd.monitor(candidate);
    this.env.send(candidate, { type: "fix" });
  }

  /**
   * Every round, a node that believes it is alone (its whole neighbourhood crashed or was suspected)
   * links towards the first finger after it that it can still use and knows to be a ring member (a
   * joiner is offered to the table as soon as it asks, and takes no fix); a redirect walks it to its
   * place.
   */
  private relinkIfAlone(): void {
    if (!same(this.succ, this.self)) return;
    let best: NodeRef | null = null;
    for (const p of this.fingers.knownMembers()) {
      if (!this.usable(p)) continue;
      if (best === null || this.ids.dist(this.self.id, p.id) < this.ids.dist(this.self.id, best.id)) best = p;
    }
    if (best !== null) this.linkTowards(best);
  }

  /**
   * No fix came within predTakeoverMs of my pred's suspicion (§2.5, [D]). Adopting the closest live
   * predList member outright, as Beernet does, overlapped ranges in the simulator: a predList entry
   * may be stale, with live nodes between it and me. So I ask instead: each live member gets a hint
   * naming me, and fixes towards me only if I am its successor (or a better one); onFix then takes
   * the closest fixer, since the pred is now abandoned. The neighbour check retries what is lost.
   */
  private predTakeover(suspectedPred: NodeRef): void {
    if (!same(this.pred, suspectedPred) || !this.fd.isSuspected(suspectedPred)) return;
    this.predList.delete(suspectedPred.addr);
    const live = [...this.predList.values()].filter((p) => !this.fd.isSuspected(p));
    for (const p of live) this.env.send(p, { type: "hint", candidate: this.self });
    if (live.length === 0 && same(this.succ, this.self)) this.setPred(this.self);
  }

  /**
   * `from` suggests I fix towards `candidate` (branch closing, §2.7, or a takeover query). I do only if
   * the candidate would be as close a successor as mine, or mine is gone; otherwise, if `from` is not
   * my successor, I tell it I am not its predecessor, so its predList does not keep stale entries.
   */
  private onHint(from: NodeRef, candidate: NodeRef): void {
    const succ = this.succ;
    if (succ === null) return;
    const closer =
      same(candidate, succ) ||
      same(succ, this.self) ||
      this.fd.isSuspected(succ) ||
      this.ids.inOO(candidate.id, this.self.id, succ.id);
    if (closer && !this.fd.isSuspected(candidate)) this.env.send(candidate, { type: "fix" });
    else if (!same(from, succ)) this.env.send(from, { type: "predNoMore" });
  }

  private onAlive(peer: NodeRef): void {
    if (this.succ !== null && this.ids.inOO(peer.id, this.self.id, this.succ.id))
      this.env.send(peer, { type: "fix" });
  }

  private onFix(from: NodeRef): void {
    if (same(from, this.self) || this.succ === null) return; // only a ring member takes a predecessor
    this.predList.set(from.addr, from);
    this.fd.monitor(from);
    const pred = this.pred;
    // A fixer between my pred and me only shrinks my range, which never makes two owners.
    const shrinks =
      pred === null ||
      same(pred, from) ||
      same(pred, this.self) ||
      this.ids.inOO(from.id, pred.id, this.self.id);
    if (!shrinks) {
      // One from behind my pred grows it: only once the pred is abandoned, and only if no live
      // predList member sits between the fixer and me (it may own part of that range).
      const between = this.predAbandoned() ? this.closestLivePredListMemberAfter(from) : pred;
      if (between !== null) {
        this.env.send(from, {
          type: "redirect",
          to: between,
          alt: same(between, pred) ? this.predPred : null,
        });
        return;
      }
    }
    this.setPred(from);
    if (same(this.succ, this.self)) this.setSucc(from, []);
    this.env.send(from, { type: "fixOk", succList: this.succList });
  }

  /** The live predList member closest after `peer` and before me, if any. */
  private closestLivePredListMemberAfter(peer: NodeRef): NodeRef | null {
    let best: NodeRef | null = null;
    for (const p of this.predList.values()) {
      if (same(p, peer) || this.fd.isSuspected(p) || !this.ids.inOO(p.id, peer.id, this.self.id)) continue;
      if (best === null || this.ids.dist(peer.id, p.id) < this.ids.dist(peer.id, best.id)) best = p;
    }
    return best;
  }

  private onFixOk(from: NodeRef, msg: MessageOf<"fixOk">): void {
    const old = this.succ;
    if (old !== null && !same(old, from) && !same(old, this.self) && !this.fd.isSuspected(old)) {
      if (!this.ids.inOO(from.id, this.self.id, old.id)) return; // a stale answer from farther away
      this.env.send(old, { type: "predNoMore" });
    }
    this.setSucc(from, msg.succList);
    if (same(old, from)) this.propagateSuccList(); // setSucc already told my pred when succ changed
  }

  /**
   * `from` says `to` sits between us: try `to`. If `to` cannot be reached from here (suspected, or no
   * fixOk within hopTimeoutMs), link to `from` instead — it lies between me and my successor, so the
   * change respects I4 — and `to` hangs as a branch on `from` (§2.5, the paper's modified goto).
   */
  private onRedirect(from: NodeRef, to: NodeRef, alt: NodeRef | null): void {
    if (same(to, this.self)) return;
    if (this.fd.isSuspected(to) || !this.usable(to)) {
      this.tryAltOrFallback(from, alt);
      return;
    }
    if (this.succ === null || this.ids.inOO(to.id, this.self.id, this.succ.id) || this.recovering) {
      this.env.send(to, { type: "fix" });
      this.env.setTimer(this.config.hopTimeoutMs, { type: "fixTimeout", to, fallback: from, alt });
    }
  }

  private onFixTimeout(to: NodeRef, fallback: NodeRef, alt: NodeRef | null): void {
    const succ = this.succ;
    if (succ === null || this.ids.inOC(succ.id, this.self.id, to.id)) return; // linked to `to`, or closer
    this.markUnreachable(to);
    this.tryAltOrFallback(fallback, alt);
  }

  /**
   * The peer I was redirected to is out of reach: try the one before it (so a single unreachable
   * node does not push me past every node behind it), else settle for the redirector.
   */
  private tryAltOrFallback(fallback: NodeRef, alt: NodeRef | null): void {
    if (
      alt !== null &&
      !same(alt, this.self) &&
      this.usable(alt) &&
      this.ids.inOO(alt.id, this.self.id, fallback.id)
    ) {
      this.env.send(alt, { type: "fix" });
      this.env.setTimer(this.config.hopTimeoutMs, { type: "fixTimeout", to: alt, fallback, alt: null });
      return;
    }
    this.adoptFallbackSucc(fallback);
  }

  private adoptFallbackSucc(fallback: NodeRef): void {
    this.recovering = false;
    const succ = this.succ;
    if (succ === null || same(fallback, succ) || !this.usable(fallback)) return;
    if (!this.ids.inOO(fallback.id, this.self.id, succ.id)) return;
    const rest = this.succList.filter((p) => this.ids.inOO(p.id, fallback.id, this.self.id));
    this.setSucc(fallback, rest);
  }

  private onLeaving(from: NodeRef, msg: MessageOf<"leaving">): void {
    if (same(from, this.pred)) {
      this.predList.delete(from.addr);
      this.fingers.remove(from);
      this.setPred(msg.pred === null || same(msg.pred, from) ? null : msg.pred);
      this.release(from);
    } else {
      this.dropPredListMember(from);
    }
    if (same(from, this.succ)) {
      this.fingers.remove(from);
      const next = msg.succ === null || same(msg.succ, from) ? this.self : msg.succ;
      this.setSucc(
        next,
        msg.succList.filter((p) => !same(p, from)),
      );
      if (!same(next, this.self)) this.env.send(next, { type: "fix" });
      this.release(from);
    }
    if (this.pred === null && same(this.succ, this.self)) this.setPred(this.self); // alone now
  }

  // ---- ring check, piggybacked on the FD's pongs, and hints (§2.7) --------------------------------

  private trustedPred(): NodeRef | null {
    return this.pred !== null && !this.fd.isSuspected(this.pred) ? this.pred : null;
  }

  private neighbours(): Neighbours {
    return { pred: this.trustedPred(), succ: this.succ, next: this.succList.slice(1, NEIGHBOURS_SHARED) };
  }

  /**
   * The neighbour check, on every ping or pong from my successor (no extra messages): a node that
   * believed itself alone links to whoever pings it; a recovery
   * whose fix was lost is retried; and every ringCheckMs, if my successor's trusted predecessor is
   * not me, I send fix to whichever of us should be linked — the peer between us, or my successor
   * when nobody (or somebody before me) is its predecessor. This is what closes the ring again after
   * lost messages, which the paper's purely event-driven protocol does not survive.
   */
  private checkNeighbours(from: NodeRef, msg: NeighbourPair): void {
    this.fingers.learnNeighbours(from, msg.pred, msg.succ, null);
    // A peer with no successor is no ring member (a joiner whose join failed): it cannot have me as
    // its successor, and fixers must not be redirected to it.
    if (msg.succ === null && !same(from, this.pred)) this.dropPredListMember(from);
    if (same(this.succ, this.self) && !same(from, this.self) && msg.succ !== null) {
      // I thought I was alone (every successor suspected), but a ring member watches me: link up again.
      this.linkTowards(from);
      return;
    }
    if (same(from, this.pred)) this.predPred = msg.pred;
    const succ = this.succ;
    if (succ === null || !same(from, succ)) return;
    this.succHeardAtMs = this.env.now();
    if (this.recovering) {
      this.env.send(succ, { type: "fix" });
      return;
    }
    const now = this.env.now();
    if (now - this.lastRingCheck < this.config.ringCheckMs) return;
    const theirPred = msg.pred;
    if (same(theirPred, this.self)) return;
    this.lastRingCheck = now;
    if (
      theirPred !== null &&
      this.ids.inOO(theirPred.id, this.self.id, succ.id) &&
      !this.fd.isSuspected(theirPred)
    ) {
      this.env.send(theirPred, { type: "fix" }); // someone sits between us: adopt it if it agrees
    } else {
      this.env.send(succ, { type: "fix" }); // my successor does not know me as its pred
    }
  }

  /**
   * The neighbour check needs my successor's view at least every ringCheckMs. The FD skips its pings
   * while other traffic flows between us, so then I ping it myself (in a quiet ring the FD's pings
   * come sooner, and this sends nothing).
   */
  private askSuccForNeighbours(): void {
    const succ = this.succ;
    if (succ === null || same(succ, this.self) || this.fd.isSuspected(succ)) return;
    if (this.env.now() - this.succHeardAtMs < this.config.ringCheckMs) return;
    this.env.send(succ, { type: "ping", pred: this.trustedPred(), succ });
  }

  private sendHints(): void {
    if (this.pred === null || this.predList.size < 2) return;
    const members = [...this.predList.values()].filter((p) => !this.fd.isSuspected(p));
    for (const p of members) {
      if (same(p, this.pred)) continue;
      let candidate: NodeRef | null = null;
      for (const q of members) {
        if (same(q, p) || !this.ids.inOO(q.id, p.id, this.self.id)) continue;
        if (candidate === null || this.ids.dist(p.id, q.id) < this.ids.dist(p.id, candidate.id))
          candidate = q;
      }
      if (candidate !== null) this.env.send(p, { type: "hint", candidate });
    }
  }

  // ---- routing (§2.4) and fingers (§3) --------------------------------------------------------

  private responsibleFor(key: RingId): boolean {
    return this.pred !== null && this.succ !== null && this.ids.inOC(key, this.pred.id, this.self.id);
  }

  private onRoute(msg: MessageOf<"route">): void {
    if (msg.payload.kind === "join") {
      // A joiner is no ring member yet: never a routing candidate, and a repeat gets the same joinOk.
      if (same(msg.origin, this.pred)) {
        this.onJoin(msg.origin, msg.payload.ring);
        return;
      }
    } else {
      this.fingers.offer(msg.origin);
    }
    this.route(msg.key, msg.origin, msg.hops, msg.last, msg.payload);
  }

  private route(key: RingId, origin: NodeRef, hops: number, last: boolean, payload: RoutedPayload): void {
    if (this.responsibleFor(key)) {
      this.deliver(key, origin, hops, payload);
      return;
    }
    if (hops >= MAX_ROUTE_HOPS) {
      this.env.emit({ type: "route-dropped", key, hops });
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

  /** The next hop stayed silent: avoid it for a while and route around it (correction on use, §3). */
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

  /**
   * The next hop for a key that is not mine. `last` marks a message sent to the peer believed to own
   * the key; if that peer is not the owner, the key lies behind it (in a branch, or beyond a stale
   * finger successor), and it walks back through its predList, one closer peer at a time (§2.4).
   */
  private markUnreachable(peer: NodeRef): void {
    const now = this.env.now();
    if (this.unreachable.size >= UNREACHABLE_MAX) {
      for (const [addr, until] of this.unreachable) if (until <= now) this.unreachable.delete(addr);
    }
    this.unreachable.set(peer.addr, now + UNREACHABLE_MS);
  }

  /**
   * A peer to route through: not suspected, and not recently silent on a hop or probe — unless the FD
   * watches it (a neighbour): for neighbours the FD's verdict is newer than any such mark.
   */
  private readonly usable = (p: NodeRef): boolean => {
    if (same(p, this.self) || this.fd.isSuspected(p)) return false;
    const until = this.unreachable.get(p.addr);
    if (until === undefined) return true;
    if (this.fd.isMonitored(p)) return true;
    if (until > this.env.now()) return false;
    this.unreachable.delete(p.addr);
    return true;
  };

  private nextHop(
    key: RingId,
    last: boolean,
    joiner: NodeRef | null,
  ): { peer: NodeRef; last: boolean } | null {
    const usable = joiner === null ? this.usable : (p: NodeRef) => !same(p, joiner) && this.usable(p);
    if (last) {
      let best: NodeRef | null = null;
      for (const p of this.predList.values()) {
        if (!usable(p) || !this.ids.inCO(p.id, key, this.self.id)) continue;
        if (best === null || this.ids.dist(key, p.id) < this.ids.dist(key, best.id)) best = p;
      }
      if (best !== null) return { peer: best, last: true };
    }
    const succ = this.succ;
    if (succ === null) return this.accessPoint === null ? null : { peer: this.accessPoint, last: false };
    if (this.ids.inOC(key, this.self.id, succ.id) && usable(succ)) return { peer: succ, last: true };
    // My successor list (which starts with succ) is contiguous: a key inside it goes straight to its owner.
    let before = this.self;
    for (const s of this.succList) {
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

  private deliver(key: RingId, origin: NodeRef, hops: number, payload: RoutedPayload): void {
    switch (payload.kind) {
      case "join": {
        this.onJoin(origin, payload.ring);
        return;
      }
      case "lookup":
        this.env.emit({ type: "lookup-answer", key, responsible: this.self });
        this.env.send(origin, {
          type: "lookupReply",
          lookupId: payload.lookupId,
          key,
          responsible: this.self,
          hops,
        });
        return;
      case "needFinger":
        this.env.send(origin, { type: "newFinger", key, ...this.neighbours() });
        return;
    }
  }

  private finishLookup(lookupId: number, result: Parameters<LookupCallback>[0]): void {
    const pending = this.lookups.get(lookupId);
    if (pending === undefined) return;
    this.lookups.delete(lookupId);
    this.env.cancelTimer(pending.timer);
    pending.onDone(result);
  }

  /** Refresh as a chain, farthest ideal id first; each answer triggers the next (§3). */
  private startFingerRefresh(): void {
    const succ = this.succ;
    if (!this.isMember || succ === null) return;
    this.fingerChain = this.fingers.idealIds(this.ids.dist(this.self.id, succ.id));
    this.nextFingerLookup();
  }

  private nextFingerLookup(): void {
    const key = this.fingerChain.shift();
    if (key === undefined) return;
    if (this.succ === null || this.ids.inOC(key, this.self.id, this.succ.id)) {
      this.fingerChain = []; // the rest of the chain falls to my successor
      return;
    }
    this.route(key, this.self, 0, false, { kind: "needFinger" });
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
}
