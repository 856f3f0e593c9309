// A relaxed-ring node (algorithms.md §2–§4): two-step join, graceful leave, crash recovery with
// fix/redirect, predList and branches, branch closing by hints, successor-list propagation and the
// neighbour check; routing and fingers are in router.ts, ring merge (§5) in ring-merger.ts, and the
// ring identity settles here after a merge (§5.6: the smaller uid, spread by pings and pongs). Lookup consistency rests on rules that must
// not be weakened: pred changes only to a joiner or fixer inside (pred, self] — which shrinks my range —
// or, once pred has been suspected for predTakeoverMs, to a fixer behind it with no live predList
// member in between (I3); and only the node that is itself responsible answers a lookup (§2.4).
// Differences from the paper's text are listed in docs/protocols.md.
import type { Env, Process } from "../core/env.js";
import type { IdSpace, RingId } from "../core/id-space.js";
import { type NodeRef, incarnationKey as refKey, samePeer as same } from "../core/node-ref.js";
import { Backoff } from "./backoff.js";
import type { OverlayConfig } from "./config.js";
import { FailureDetector } from "./failure-detector.js";
import { FingerTable } from "./finger-table.js";
import { type LoopCheckPosition, LoopDetector } from "./loop-detector.js";
import {
  NEIGHBOURS_SHARED,
  type Neighbours,
  type PingPayload,
  type RingMessage,
  type RingRef,
  type RingTimer,
} from "./messages.js";
import { type MergePosition, RingMerger } from "./ring-merger.js";
import type { LookupCallback, RingNodeApi } from "./ring-view.js";
import { ROUTER_MESSAGES, ROUTER_TIMERS, Router, type RoutingPosition } from "./router.js";

type RingEnv = Env<RingMessage, RingTimer>;

/**
 * Why the predecessor changed, for the layers above that keep data per range (§6.3): `first` — the
 * ring's first node owns it all; `joined` — this node joined (its successor hands it its range);
 * `joiner` — it took a joiner (its range shrank); `fix` — it took a fixer (shrank, or grew behind a
 * lost pred); `leave` — its pred left gracefully (grew; the leaver hands over); `alone` — it owns
 * the whole ring again; `unknown` — its pred is unknown (responsible for nothing).
 */
export type PredChangeCause = "first" | "joined" | "joiner" | "fix" | "leave" | "alone" | "unknown";

export interface RingHooks {
  /** Called after every change of pred, before the handler goes on. */
  onPredChange?(old: NodeRef | null, pred: NodeRef | null, cause: PredChangeCause): void;
}

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
  "trymerge",
  "mlookupAsk",
]);

/** The failure detector's round timer, once a second on every node: one tag object for all. */
const FD_ROUND: RingTimer = { type: "fdRound" };

/** The merge detections from local marks back off to at most 2^this of their base period. */
const BACKOFF_DOUBLINGS_MAX = 8;

/** After this many unanswered join attempts through one contact, the node says so (`join-stalled`). */
const JOIN_ATTEMPTS_PER_CONTACT = 3;

type MessageOf<T extends RingMessage["type"]> = Extract<RingMessage, { type: T }>;

export class RelaxedRingNode
  implements Process<RingMessage, RingTimer>, RingNodeApi, RoutingPosition, MergePosition, LoopCheckPosition
{
  readonly self: NodeRef;
  pred: NodeRef | null = null;
  /** The ring this node is in (null until it joins one). */
  ringRef: RingRef | null = null;
  /** The ring it asked to join (null: whichever ring its contact is in). */
  private readonly wishedRing: RingRef | null;
  succ: NodeRef | null = null;
  succList: NodeRef[] = [];
  /** The list my successor last gave me (before I left out peers I suspect), for checkSuccList. */
  private succListGiven: readonly NodeRef[] = [];
  /** Peers that may have me as successor: pred, un-acked old preds, branch members (§2.1). */
  private readonly predList = new Map<string, NodeRef>();
  private readonly fingers: FingerTable;
  private readonly fd: FailureDetector;
  private readonly env: RingEnv;
  private readonly ids: IdSpace;
  private readonly config: OverlayConfig;
  /** Where joins go; a caller may replace it with join(contact) when it stops answering. */
  private accessPoint: NodeRef | null;
  private readonly router: Router;
  private readonly merger: RingMerger;
  private readonly loops: LoopDetector;
  private readonly hooks: RingHooks;
  private joinAttempts = 0;
  private joinTimer = 0;
  /** The old pred the latest joiner was given, so its repeated join gets the same joinOk. */
  private joinOkGiven: { readonly joiner: NodeRef; readonly pred: NodeRef } | null = null;
  private recovering = false;
  /** When my current pred became suspected, or null. */
  private predSuspectedAtMs: number | null = null;
  /** My predecessor's trusted predecessor, from its pings: offered as `alt` in redirects. */
  private predPred: NodeRef | null = null;
  private left = false;
  private lastRingCheck = Number.NEGATIVE_INFINITY;
  /** Back-offs of the two merge detections from local marks (checkPredSucc, orphanCheck). */
  private readonly predSuccBackoff: Backoff;
  private readonly orphanBackoff: Backoff;
  /** When my successor last told me its neighbours (a ping or pong), for the neighbour check. */
  private succHeardAtMs = Number.NEGATIVE_INFINITY;

  constructor(
    env: RingEnv,
    config: OverlayConfig,
    ids: IdSpace,
    accessPoint: NodeRef | null,
    wishedRing: RingRef | null = null,
    hooks: RingHooks = {},
  ) {
    this.wishedRing = wishedRing;
    this.hooks = hooks;
    this.env = env;
    this.self = env.self;
    this.config = config;
    this.ids = ids;
    this.accessPoint = accessPoint;
    this.fingers = new FingerTable(ids, env.self.id, config.k);
    this.fd = new FailureDetector(config.fd, {
      crash: (p) => this.onCrash(p),
      alive: (p) => this.onAlive(p),
      ping: (p) => env.send(p, { type: "ping", ...this.pingPayload(p) }),
    });
    this.router = new Router(env, config, ids, this.fingers, this.fd, this);
    this.merger = new RingMerger(env, config, ids, this.fd, this);
    this.loops = new LoopDetector(env, config, this);
    this.predSuccBackoff = new Backoff(config.ringCheckMs, BACKOFF_DOUBLINGS_MAX);
    this.orphanBackoff = new Backoff(config.hintPeriodMs, BACKOFF_DOUBLINGS_MAX);
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

  // ---- what the router reads (RoutingPosition) -----------------------------------------------

  get joinContact(): NodeRef | null {
    return this.accessPoint;
  }

  predListMembers(): Iterable<NodeRef> {
    return this.predList.values();
  }

  /** Whether `id` lies in my range (pred, self] now (a member with a known pred). */
  owns(id: RingId): boolean {
    const pred = this.pred;
    return pred !== null && this.succ !== null && !this.left && this.ids.inOC(id, pred.id, this.self.id);
  }

  lookup(key: RingId, onDone: LookupCallback): void {
    if (this.left) {
      onDone({ ok: false, reason: "left" });
      return;
    }
    this.router.lookup(key, onDone);
  }

  /** Joins (again) through `contact`, e.g. after `join-stalled`; a member ignores it. */
  join(contact: NodeRef): void {
    if (this.succ !== null || this.left || same(contact, this.self)) return;
    this.accessPoint = contact;
    this.sendJoin();
  }

  /**
   * `contact` may be in another ring (an operator, a directory or a rendezvous knows): try to merge
   * with it (§5.2's external kick-start). A false detection ends within a few messages.
   */
  mergeWith(contact: NodeRef): void {
    if (this.left) return;
    this.merger.detected(contact);
  }

  /**
   * Sets my neighbours outright, with a predList of just my pred: for the simulator to build a
   * pathological ring (a loopy one, sim/loopy-ring.ts) that no sequence of messages would make.
   * Protocol code never calls this; it bypasses every acceptance rule.
   */
  forceNeighbours(pred: NodeRef, succ: NodeRef, succList: readonly NodeRef[]): void {
    this.pred = pred;
    this.predList.clear();
    this.predList.set(pred.addr, pred);
    this.fd.monitor(pred);
    this.succ = succ;
    this.fd.monitor(succ);
    this.succList = [...succList];
    this.succListGiven = succList.slice(1);
  }

  /** The merger's view of its detections (for tests and /status). */
  get mergeState(): { readonly passive: readonly NodeRef[]; readonly detections: readonly NodeRef[] } {
    return { passive: this.merger.passivePeers, detections: this.merger.pendingDetections };
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
      this.hooks.onPredChange?.(null, this.self, "first");
      this.becameMember();
      return;
    }
    this.sendJoin();
  }

  onTimer(tag: RingTimer): void {
    if (this.left) return;
    if (ROUTER_TIMERS.has(tag.type)) {
      this.router.onTimer(tag);
      return;
    }
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
        if (this.orphaned()) this.orphanCheck();
        this.env.setTimer(this.config.hintPeriodMs, { type: "hint" });
        return;
      case "fixTimeout":
        this.onFixTimeout(tag.to, tag.fallback, tag.alt);
        return;
      case "mergeRound":
      case "passiveRound":
        this.merger.onTimer(tag);
        return;
      case "loopCheck":
        this.loops.onTimer();
        return;
    }
  }

  onMessage(from: NodeRef, msg: RingMessage): void {
    if (this.left) return;
    this.fd.heard(from, this.env.now());
    // Only joinOk makes a ring member: until then, ring maintenance is not for me.
    if (this.succ === null && MEMBERS_ONLY.has(msg.type)) return;
    if (ROUTER_MESSAGES.has(msg.type)) {
      this.router.onMessage(from, msg);
      return;
    }
    switch (msg.type) {
      case "ping":
        this.env.send(from, { type: "pong", ...this.pingPayload(from) });
        this.adoptSmallerRing(msg.ring);
        this.checkNeighbours(from, msg);
        return;
      case "pong": {
        this.adoptSmallerRing(msg.ring);
        this.checkNeighbours(from, msg);
        return;
      }
      case "joinOk": {
        this.onJoinOk(from, msg);
        return;
      }
      case "badRingRef":
        this.env.emit({ type: "bad-ring-ref", theirs: msg.ring, wished: this.wishedRing });
        if (this.isMember) this.merger.detected(from); // a member hears of another ring (§5.2)
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
      case "passivePing":
        this.merger.onPassivePing(from);
        return;
      case "passivePong":
        this.merger.onHeardAgain(from);
        return;
      case "trymerge":
        this.merger.onTryMerge(from, msg.cpred, msg.csucc);
        return;
      case "mlookupAsk":
        this.merger.onMergeLookupAsk(msg.target);
        return;
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
  onJoinRequest(joiner: NodeRef, wished: RingRef | null): void {
    if (same(joiner, this.self)) return;
    const ring = this.ringRef;
    if (wished !== null && ring !== null && (wished.uid !== ring.uid || wished.name !== ring.name)) {
      this.env.send(joiner, { type: "badRingRef", ring }); // another ring: also a merge trigger (§5.2)
      this.merger.detected(joiner);
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
    this.setPred(joiner, "joiner");
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
      this.setPred(msg.pred, "joined");
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
    this.router.startMaintenance();
    this.loops.start();
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
  private setPred(pred: NodeRef | null, cause: PredChangeCause): void {
    if (pred === null ? this.pred === null : same(pred, this.pred)) return;
    this.predSuspectedAtMs = null;
    const old = this.pred;
    this.pred = pred;
    if (pred !== null && !same(pred, this.self)) {
      this.predList.set(pred.addr, pred);
      this.fd.monitor(pred);
      this.fingers.offer(pred);
      // Handed a pred my FD already suspects (it reports a crash only once): start the takeover clock.
      if (this.fd.isSuspected(pred)) this.predSuspected(pred);
    }
    this.hooks.onPredChange?.(old, pred, cause);
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
    this.succListGiven = same(succ, offered) ? theirSuccList : fresh.slice(1);
    this.recovering = false;
    this.offerNewSuccessors(fresh, this.succList);
    this.succList = fresh;
    if (!same(succ, this.self)) {
      this.fd.monitor(succ);
      this.fingers.offer(succ);
    }
    if (!same(succ, old)) {
      if (old !== null) this.release(old);
      if (!same(succ, offered) && !same(succ, this.self)) this.env.send(succ, { type: "fix" });
      this.propagateSuccList();
    }
  }

  /**
   * [succ, ...its list], without suspected peers, up to L entries — and up to me: in a ring of L nodes
   * or fewer, what follows me in my successor's list is my own list again, and stopping there keeps a
   * crashed node that nobody watches from circling the lists for ever.
   */
  private freshSuccList(succ: NodeRef, theirs: readonly NodeRef[]): NodeRef[] {
    const list: NodeRef[] = [];
    for (const p of [succ, ...theirs]) {
      if (list.length >= this.config.succListSize || p.addr === this.self.addr) break;
      if (this.fd.isSuspected(p) || list.some((q) => q.addr === p.addr)) continue;
      list.push(p);
    }
    return list;
  }

  /** Offers the fingers what a new successor list adds to the old (§3: opportunistic learning). */
  private offerNewSuccessors(fresh: readonly NodeRef[], old: readonly NodeRef[]): void {
    for (const p of fresh) if (!old.some((q) => same(p, q))) this.fingers.offer(p);
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
    this.succListGiven = msg.succList;
    const fresh = this.freshSuccList(from, msg.succList);
    if (samePeers(fresh, this.succList)) return;
    this.offerNewSuccessors(fresh, this.succList);
    this.succList = fresh;
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
    this.merger.onSuspected(peer);
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
      if (this.pred === null || this.fd.isSuspected(this.pred)) this.setPred(this.self, "alone");
      return;
    }
    this.linkTowards(candidate);
  }

  /** Takes `candidate` as successor for now and asks it, by fix, to take me as its predecessor. */
  private linkTowards(candidate: NodeRef): void {
    // A lone node owns the whole ring; one that links up again must not keep claiming it.
    if (same(this.pred, this.self)) this.setPred(null, "unknown");
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
      if (!this.router.usable(p)) continue;
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
    if (live.length === 0 && same(this.succ, this.self)) this.setPred(this.self, "alone");
    else if (live.length === 0) this.orphanCheck();
  }

  /**
   * My pred is abandoned and no live peer in my predList could take its place: whoever should fix me
   * does not know me. In one ring that does not last (my pred's pred finds me in its succList); after
   * a crash in the middle of a merge it does, because that node's successor list holds the other
   * ring's nodes (§5.3's zip ended there, and the rest of both rings is not zipped).
   */
  private orphaned(): boolean {
    if (!this.predAbandoned() || same(this.succ, this.self)) return false;
    for (const p of this.predList.values()) if (!same(p, this.pred) && !this.fd.isSuspected(p)) return false;
    return true;
  }

  /**
   * So I run two lookups. One for my own id from my successor (the loop check, §5.5): another node
   * of the other chain answering is a detection, and the merger zips from here. One for my
   * abandoned pred's id, which I do not claim, from a random peer I know: the node R that answers
   * holds that position now. If R lies between my pred and me, it should be my pred: a `hint` asks
   * it to take me as its successor. If R lies beyond me, its range holds mine too: a `fix` asks it
   * to take me as its pred, and then its old pred, and R itself, see the mark of a stopped zip
   * (their successor's pred, their pred's successor, between them) and the zip goes on. Both obey
   * the usual acceptance rules. Either lookup alone left runs unmerged (8192 nodes, 1% churn,
   * simple: seed 3 without the second; 2048, seeds 1 and 3, without the first). Backed off per
   * abandoned pred: where pairs cannot talk a node stays orphaned for good.
   */
  private orphanCheck(): void {
    const pred = this.pred;
    if (pred === null || !this.orphanBackoff.tryNow(refKey(pred), this.env.now())) return;
    this.loops.checkNow();
    const peers = [...this.fingers.refs(), ...this.succList].filter((p) => !same(p, this.self));
    const first = peers[Math.floor(this.env.random() * peers.length)];
    if (first === undefined) return;
    this.router.lookupFrom(first, pred.id, (result) => {
      if (!result.ok || same(result.responsible, this.self)) return;
      const holder = result.responsible;
      if (this.ids.inOO(holder.id, pred.id, this.self.id))
        this.env.send(holder, { type: "hint", candidate: this.self });
      else this.env.send(holder, { type: "fix" });
    });
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
    this.merger.onHeardAgain(peer);
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
    this.setPred(from, "fix");
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
    if (this.fd.isSuspected(to) || !this.router.usable(to)) {
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
    this.router.markUnreachable(to);
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
      this.router.usable(alt) &&
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
    if (succ === null || same(fallback, succ) || !this.router.usable(fallback)) return;
    if (!this.ids.inOO(fallback.id, this.self.id, succ.id)) return;
    const rest = this.succList.filter((p) => this.ids.inOO(p.id, fallback.id, this.self.id));
    this.setSucc(fallback, rest);
  }

  private onLeaving(from: NodeRef, msg: MessageOf<"leaving">): void {
    if (same(from, this.pred)) {
      this.predList.delete(from.addr);
      this.fingers.remove(from);
      this.setPred(msg.pred === null || same(msg.pred, from) ? null : msg.pred, "leave");
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
    if (this.pred === null && same(this.succ, this.self)) this.setPred(this.self, "alone"); // alone now
  }

  // ---- ring check, piggybacked on the FD's pongs, and hints (§2.7) --------------------------------

  private trustedPred(): NodeRef | null {
    return this.pred !== null && !this.fd.isSuspected(this.pred) ? this.pred : null;
  }

  /** What my pings and pongs to `peer` say (the digest: the list `peer` should hold after me). */
  private pingPayload(peer: NodeRef): PingPayload {
    const digest = succListDigest(this.upTo(this.succList, peer));
    return { pred: this.trustedPred(), succ: this.succ, ring: this.ringRef, succListDigest: digest };
  }

  neighbours(): Neighbours {
    return { pred: this.trustedPred(), succ: this.succ, next: this.succList.slice(1, NEIGHBOURS_SHARED) };
  }

  /**
   * The neighbour check, on every ping or pong (no extra messages): a node that believed itself
   * alone links to whoever pings it; from my pred, a successor of its between us is a merge mark
   * (checkPredSucc); from my successor, a recovery whose fix was lost is retried, and every
   * ringCheckMs, if its trusted predecessor is not me, I send fix to whichever of us should be
   * linked — the peer between us, or my successor when nobody (or somebody before me) is its
   * predecessor — and if it is me, my successor list is checked against its digest. This is what
   * closes the ring again after lost messages, which the paper's purely event-driven protocol does
   * not survive.
   */
  private checkNeighbours(from: NodeRef, msg: PingPayload): void {
    // What my succ and pred say of their own neighbours, my succList and predList already hold.
    if (!same(from, this.succ) && !same(from, this.pred))
      this.fingers.learnNeighbours(from, msg.pred, msg.succ, null);
    // A peer with no successor is no ring member (a joiner whose join failed): it cannot have me as
    // its successor, and fixers must not be redirected to it.
    if (msg.succ === null && !same(from, this.pred)) this.dropPredListMember(from);
    if (same(this.succ, this.self) && !same(from, this.self) && msg.succ !== null) {
      // I thought I was alone (every successor suspected), but a ring member watches me: link up again.
      this.linkTowards(from);
      return;
    }
    if (same(from, this.pred)) {
      this.predPred = msg.pred;
      this.checkPredSucc(msg.succ);
    }
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
    if (same(theirPred, this.self)) {
      this.checkSuccList(succ, msg.succListDigest, now);
      return;
    }
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
   * My successor and I are linked; is my list still [succ, ...its list]? Its pings carry a digest of
   * the list it would give me. If the list it gave me last differs, a change did not reach me (lost,
   * or made before I was its pred), and I ask again: `fix`, whose `fixOk` brings the list. If it is
   * the same, I rebuild mine from it, which takes back peers I had left out while I suspected them
   * (the other side of a partition, before the heal).
   */
  private checkSuccList(succ: NodeRef, theirDigest: number, now: number): void {
    if (theirDigest !== succListDigest(this.upTo(this.succListGiven, this.self))) {
      this.lastRingCheck = now;
      this.env.send(succ, { type: "fix" });
      return;
    }
    const fresh = this.freshSuccList(succ, this.succListGiven);
    if (samePeers(fresh, this.succList)) return;
    this.offerNewSuccessors(fresh, this.succList);
    this.succList = fresh;
    this.propagateSuccList();
  }

  /** The first L − 1 entries of `list` before `peer` (what a successor's list holds after it, for `peer`). */
  private upTo(list: readonly NodeRef[], peer: NodeRef): NodeRef[] {
    const at = list.findIndex((p) => p.addr === peer.addr);
    return list.slice(0, Math.min(at < 0 ? list.length : at, this.config.succListSize - 1));
  }

  /**
   * My pred's successor lies between my pred and me, yet has not fixed me: another chain of nodes is
   * interleaved here, the mark a ring merge leaves where its zipping front stopped (a front's mlookup
   * was lost, or arrived after the pointers it was routed by had moved on, §5.3). It is a detection:
   * the merger zips from here again. In one ring this state is transient (a join's newSucc on its way)
   * and a false detection ends within a zip step or two.
   */
  private checkPredSucc(theirSucc: NodeRef | null): void {
    const pred = this.pred;
    if (theirSucc === null || pred === null || same(theirSucc, this.self) || same(pred, this.self)) return;
    if (this.fd.isSuspected(theirSucc) || !this.ids.inOO(theirSucc.id, pred.id, this.self.id)) return;
    // The same mark again is detected again only after a doubling wait: with pairs that cannot talk
    // (a branch, connectivity < 1) it may stay for good, and each detection costs a zip's messages.
    if (this.predSuccBackoff.tryNow(`${refKey(pred)}>${refKey(theirSucc)}`, this.env.now()))
      this.merger.detected(theirSucc);
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
    this.env.send(succ, { type: "ping", ...this.pingPayload(succ) });
  }

  // ---- ring merge (§5): routing for the merger, and the ring identity after a merge (§5.6) --------

  routeMergeLookup(target: NodeRef): void {
    this.router.routeFromHere(target.id, { kind: "mlookup", target });
  }

  lookupFrom(first: NodeRef, key: RingId, onDone: LookupCallback): void {
    this.router.lookupFrom(first, key, onDone);
  }

  loopDetected(peer: NodeRef): void {
    this.env.emit({ type: "loop-detected", peer });
    this.merger.detected(peer);
  }

  fingerPeers(): readonly NodeRef[] {
    return this.fingers.refs();
  }

  awaitsTakeoverOf(key: RingId): boolean {
    const pred = this.pred;
    const before = this.predPred;
    if (pred === null || before === null || !this.fd.isSuspected(pred) || same(pred, this.self)) return false;
    return this.ids.inOC(key, before.id, pred.id);
  }

  onMergeLookup(target: NodeRef): void {
    this.merger.onMergeLookupDelivered(target);
  }

  /** After a merge both rings settle on the smaller ringRef uid, spread by pings and pongs (§5.6). */
  private adoptSmallerRing(theirs: RingRef | null): void {
    const mine = this.ringRef;
    if (theirs === null || mine === null || theirs.uid >= mine.uid) return;
    this.ringRef = theirs;
    this.env.emit({ type: "ring-ref-changed", uid: theirs.uid });
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
}

/** The same incarnations in the same order. */
function samePeers(a: readonly NodeRef[], b: readonly NodeRef[]): boolean {
  return a.length === b.length && a.every((p, i) => same(p, b[i]));
}

/** An FNV-1a digest of a successor list (addresses and incarnations, in order). */
function succListDigest(list: readonly NodeRef[]): number {
  let h = 0x811c9dc5;
  for (const p of list) {
    const text = `${refKey(p)};`;
    for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  }
  return h >>> 0;
}
