// A relaxed-ring node (docs/relaxed-ring.md §1): it holds one node's neighbour state — pred, succ,
// succList, predList, ringRef — and is the one place that changes it. Its roles decide what to ask
// for: the join (ring-join.ts), failure recovery and hints (ring-recovery.ts), the neighbour check
// (neighbour-check.ts), routing and fingers (router.ts), ring merge (ring-merger.ts) and the loop
// check (loop-detector.ts); graceful leave (docs/relaxed-ring.md §4) stays here. Must not break: pred
// changes only as setPred allows (I3) and succ only as setSucc allows (I4, docs/relaxed-ring.md §7);
// only the node that is itself responsible answers a lookup (docs/routing.md §1).
import type { Env, Process } from "../core/env.js";
import type { IdSpace, RingId } from "../core/id-space.js";
import { invariant } from "../core/invariant.js";
import { type NodeRef, incarnationKey as refKey, samePeer as same } from "../core/node-ref.js";
import type { OverlayConfig } from "./config.js";
import { FailureDetector, type FailureDetectorEvents } from "./failure-detector.js";
import { FingerTable } from "./finger-table.js";
import { type LoopCheckPosition, LoopDetector } from "./loop-detector.js";
import {
  NEIGHBOURS_SHARED,
  type Neighbours,
  type RingMessage,
  type RingRef,
  type RingTimer,
} from "./messages.js";
import type { NeighbourChanges, SuccChangeCause } from "./neighbour-changes.js";
import { NeighbourCheck, type NeighbourCheckPosition } from "./neighbour-check.js";
import { type NeighbourFacts, predChangeAllowed, succChangeAllowed } from "./neighbour-rules.js";
import type { PredChangeCause, RingHooks } from "./ring-hooks.js";
import { type JoinPosition, RingJoin } from "./ring-join.js";
import { type MergePosition, RingMerger } from "./ring-merger.js";
import { type RecoveryPosition, RingRecovery } from "./ring-recovery.js";
import type { LookupCallback, RingNodeApi } from "./ring-view.js";
import { ROUTER_MESSAGES, ROUTER_TIMERS, Router, type RoutingPosition } from "./router.js";

type RingEnv = Env<RingMessage, RingTimer>;
type MessageOf<T extends RingMessage["type"]> = Extract<RingMessage, { type: T }>;

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

/** A rebuild of the successor list that found it unchanged, by the identities of what it read. */
interface UnchangedRebuild {
  readonly succ: NodeRef | null;
  readonly given: readonly NodeRef[] | null;
  readonly list: readonly NodeRef[] | null;
}

const NO_REBUILD: UnchangedRebuild = { succ: null, given: null, list: null };

/** The neighbours a pathological ring gives a node (rewireForSimulation). */
interface ForcedNeighbours {
  readonly pred: NodeRef;
  readonly succ: NodeRef;
  readonly succList: readonly NodeRef[];
  readonly ring: RingRef | null;
}

export class RelaxedRingNode
  implements
    Process<RingMessage, RingTimer>,
    RingNodeApi,
    RoutingPosition,
    MergePosition,
    LoopCheckPosition,
    JoinPosition,
    RecoveryPosition,
    NeighbourCheckPosition
{
  // Fields are declared (and so laid out) hottest first: what every message, ping and round reads
  // sits in the object's first cache lines, which at 10^4 simulated nodes are cache misses.
  private left = false;
  private successor: NodeRef | null = null;
  private predecessor: NodeRef | null = null;
  private readonly fd: FailureDetector;
  private readonly env: RingEnv;
  private readonly check: NeighbourCheck;
  private readonly router: Router;
  private readonly recovery: RingRecovery;
  readonly self: NodeRef;
  private successors: readonly NodeRef[] = [];
  /** The list my successor last gave me (before I left out peers I suspect), for the neighbour check. */
  private givenSuccList: readonly NodeRef[] = [];
  /** The ring this node is in (null until it joins one). */
  private ring: RingRef | null = null;
  /** My predecessor's trusted predecessor, from its pings: offered as `alt` in redirects. */
  private predOfPred: NodeRef | null = null;
  /** Linked towards a successor candidate by fix, no fixOk yet. */
  private recoveringSucc = false;
  /**
   * The last rebuild that changed nothing (the neighbour check asks for one on nearly every message from
   * my successor): the succ, the given list and my list it was made with.
   */
  private unchangedRebuild: UnchangedRebuild = NO_REBUILD;
  private readonly config: OverlayConfig;
  private readonly ids: IdSpace;
  /** What nextShared() gave for the successor list sharedNextOf (lists are replaced, never changed). */
  private sharedNext: readonly NodeRef[] = [];
  private sharedNextOf: readonly NodeRef[] | null = null;
  private readonly fingers: FingerTable;
  /**
   * I became a member with no pred (my successor could not vouch for one: joinOk{pred: null}, J13):
   * the first pred I take is told to the layers above as `joined`, for my successor handed me my range.
   */
  private joinedWithoutPred = false;
  /** Peers that may have me as successor: pred, un-acked old preds, branch members. */
  private readonly predList = new Map<string, NodeRef>();
  /** When my current pred became suspected, or null. */
  private predSuspectedAtMs: number | null = null;
  private readonly hooks: RingHooks;
  private readonly merger: RingMerger;
  private readonly loops: LoopDetector;
  private readonly joining: RingJoin;
  /** What the I3 and I4 checks read of me (neighbour-rules.ts). */
  private readonly facts: NeighbourFacts;

  constructor(
    env: RingEnv,
    config: OverlayConfig,
    ids: IdSpace,
    accessPoint: NodeRef | null,
    wishedRing: RingRef | null = null,
    hooks: RingHooks = {},
  ) {
    this.hooks = hooks;
    this.env = env;
    this.self = env.self;
    this.config = config;
    this.ids = ids;
    this.fingers = new FingerTable(ids, env.self.id, config.k);
    this.fd = new FailureDetector(config.fd, new RelaxedRingNode.FdEvents(this));
    this.router = new Router(env, config, ids, this.fingers, this.fd, this);
    this.merger = new RingMerger(env, config, ids, this.fd, this);
    this.loops = new LoopDetector(env, config, this);
    const change = new RelaxedRingNode.Changes(this);
    this.joining = new RingJoin(env, config, ids, this, change, this.merger, {
      accessPoint,
      wishedRing,
    });
    const merge = {
      onSuspected: (p: NodeRef) => this.merger.onSuspected(p),
      onHeardAgain: (p: NodeRef) => this.merger.onHeardAgain(p),
      checkLoopNow: () => this.loops.checkNow(),
    };
    const services = { fd: this.fd, fingers: this.fingers, router: this.router, merge };
    this.recovery = new RingRecovery(env, config, ids, services, this, change);
    this.check = new NeighbourCheck(env, config, ids, { ...services, merger: this.merger }, this, change);
    this.facts = this.neighbourFacts();
  }

  private neighbourFacts(): NeighbourFacts {
    const node = this;
    return {
      self: this.self,
      ids: this.ids,
      get succ() {
        return node.successor;
      },
      isSuspected: (peer) => this.fd.isSuspected(peer),
      predAbandoned: () => this.predAbandoned(),
      closestLivePredListMemberAfter: (peer) => this.closestLivePredListMemberAfter(peer),
      closestLiveNeighbourAfter: (peer) => this.closestLiveNeighbourAfter(peer),
    };
  }

  /**
   * Simulation only: sets `node`'s neighbours outright, with a predList of just its pred, to build a
   * pathological ring (a loopy one, sim/loopy-ring.ts) that no sequence of messages would make. It
   * bypasses every acceptance rule but the successor list's own (the list is cut where it would pass
   * the node); protocol code never calls it, and a test checks that nothing outside the simulator does.
   */
  static rewireForSimulation(node: RelaxedRingNode, wiring: ForcedNeighbours): void {
    const { pred, succ, succList } = wiring;
    node.predecessor = pred;
    node.predList.clear();
    node.predList.set(pred.addr, pred);
    node.fd.monitor(pred);
    node.successor = succ;
    node.fd.monitor(succ);
    node.setSuccList(node.onceRound(succList));
    node.givenSuccList = succList.slice(1);
    const ring = wiring.ring;
    if (ring !== null && ring.uid !== node.ring?.uid) node.setRing(ring);
  }

  /**
   * The changes the roles may ask for (NeighbourChanges): each goes through the one method of the node
   * that checks its rule. One small object per node rather than a closure per change: the neighbour
   * check calls it on nearly every ping and pong, and at 10^4 simulated nodes each object it reads is a
   * cache miss.
   */
  private static readonly Changes = class NodeChanges implements NeighbourChanges {
    private readonly node: RelaxedRingNode;

    constructor(node: RelaxedRingNode) {
      this.node = node;
    }

    setPred(pred: NodeRef | null, cause: PredChangeCause): void {
      this.node.setPred(pred, cause);
    }

    setSucc(offered: NodeRef, theirSuccList: readonly NodeRef[], cause: SuccChangeCause): void {
      this.node.setSucc(offered, theirSuccList, cause);
    }

    linkTowards(candidate: NodeRef): void {
      this.node.linkTowards(candidate);
    }

    becomeOwnSucc(): void {
      this.node.becomeOwnSucc();
    }

    dropFromSuccList(peer: NodeRef): void {
      this.node.setSuccList(this.node.successors.filter((p) => !same(p, peer)));
    }

    rebuildSuccList(succ: NodeRef): void {
      this.node.rebuildSuccList(succ);
    }

    propagateSuccList(): void {
      this.node.propagateSuccList();
    }

    addPredListMember(peer: NodeRef): void {
      this.node.addPredListMember(peer);
    }

    dropPredListMember(peer: NodeRef): void {
      this.node.dropPredListMember(peer);
    }

    forgetPredListMember(peer: NodeRef): void {
      this.node.predList.delete(peer.addr);
    }

    setPredPred(peer: NodeRef | null): void {
      this.node.predOfPred = peer;
    }

    predSuspected(pred: NodeRef): void {
      this.node.predSuspected(pred);
    }

    endRecovery(): void {
      this.node.recoveringSucc = false;
    }

    adoptRing(ring: RingRef): void {
      if (this.node.ring === null) this.node.setRing(ring);
    }

    becameMember(): void {
      this.node.becameMember();
    }
  };

  /** What the failure detector reports to me: crashes and recoveries to recovery, pings to send. */
  private static readonly FdEvents = class NodeFdEvents implements FailureDetectorEvents {
    private readonly node: RelaxedRingNode;

    constructor(node: RelaxedRingNode) {
      this.node = node;
    }

    crash(peer: NodeRef): void {
      this.node.recovery.onCrash(peer);
    }

    alive(peer: NodeRef): void {
      this.node.recovery.onAlive(peer);
    }

    ping(peer: NodeRef): void {
      this.node.env.send(peer, this.node.check.heartbeat("ping", peer));
    }
  };

  // ---- what others read (RingView, and the roles' positions) ---------------------------------------

  get pred(): NodeRef | null {
    return this.predecessor;
  }

  get succ(): NodeRef | null {
    return this.successor;
  }

  get succList(): readonly NodeRef[] {
    return this.successors;
  }

  get ringRef(): RingRef | null {
    return this.ring;
  }

  get succListGiven(): readonly NodeRef[] {
    return this.givenSuccList;
  }

  get recovering(): boolean {
    return this.recoveringSucc;
  }

  get predPred(): NodeRef | null {
    return this.predOfPred;
  }

  get isMember(): boolean {
    return this.successor !== null && !this.left;
  }

  fingerRefs(): readonly NodeRef[] {
    return this.fingers.refs();
  }

  routingTableSize(): number {
    const addrs = this.fingers.peerAddrs();
    for (const p of this.successors) addrs.add(p.addr);
    addrs.delete(this.self.addr);
    return addrs.size;
  }

  suspected(): readonly NodeRef[] {
    return [...this.predList.values(), ...this.successors].filter((p) => this.fd.isSuspected(p));
  }

  get predecessors(): readonly NodeRef[] {
    return [...this.predList.values()];
  }

  get failureDetector(): FailureDetector {
    return this.fd;
  }

  get joinContact(): NodeRef | null {
    return this.joining.contact;
  }

  predListMembers(): Iterable<NodeRef> {
    return this.predList.values();
  }

  /** Whether `id` lies in my range (pred, self] now (a member with a known pred). */
  owns(id: RingId): boolean {
    const pred = this.predecessor;
    return pred !== null && this.successor !== null && !this.left && this.ids.inOC(id, pred.id, this.self.id);
  }

  neighbours(): Neighbours {
    return { pred: this.check.trustedPred(), succ: this.successor, next: this.nextShared() };
  }

  /** My successors after succ that I share (NEIGHBOURS_SHARED − 1), one array per successor list. */
  private nextShared(): readonly NodeRef[] {
    if (this.sharedNextOf !== this.successors) {
      this.sharedNextOf = this.successors;
      this.sharedNext = this.successors.slice(1, NEIGHBOURS_SHARED);
    }
    return this.sharedNext;
  }

  /**
   * My pred has been suspected for predTakeoverMs (the takeover delay, docs/relaxed-ring.md §5):
   * only now may a peer from behind it take its place. Sooner, a fixer is redirected to it first: a
   * suspicion may be one broken link, and the fixer may well reach the pred (connectivity < 1 showed
   * ranges overlapping otherwise).
   */
  predAbandoned(): boolean {
    const pred = this.predecessor;
    const since = this.predSuspectedAtMs;
    if (pred === null || since === null || !this.fd.isSuspected(pred)) return false;
    return this.env.now() - since >= this.config.predTakeoverMs;
  }

  closestLivePredListMemberAfter(peer: NodeRef): NodeRef | null {
    let best: NodeRef | null = null;
    for (const p of this.predList.values()) {
      if (same(p, peer) || this.fd.isSuspected(p) || !this.ids.inOO(p.id, peer.id, this.self.id)) continue;
      if (best === null || this.ids.dist(peer.id, p.id) < this.ids.dist(peer.id, best.id)) best = p;
    }
    return best;
  }

  /**
   * The live peer I know as a neighbour — a predList member, my succ, or a successor-list peer —
   * closest after `peer` and before me: a node with no pred must not take a fixer from behind it
   * (docs/relaxed-ring.md §5.6, R15), since that peer owns part of the range the fixer would give me.
   */
  closestLiveNeighbourAfter(peer: NodeRef): NodeRef | null {
    const succ = this.successor;
    const known = [...this.predList.values(), ...this.successors, ...(succ === null ? [] : [succ])];
    let best: NodeRef | null = null;
    for (const p of known) {
      if (same(p, peer) || same(p, this.self) || this.fd.isSuspected(p)) continue;
      if (!this.ids.inOO(p.id, peer.id, this.self.id)) continue;
      if (best === null || this.ids.dist(peer.id, p.id) < this.ids.dist(peer.id, best.id)) best = p;
    }
    return best;
  }

  /** The merger's view of its detections (for tests and /status). */
  get mergeState(): { readonly passive: readonly NodeRef[]; readonly detections: readonly NodeRef[] } {
    return { passive: this.merger.passivePeers, detections: this.merger.pendingDetections };
  }

  // ---- the node API (RingNodeApi) -------------------------------------------------------------------

  lookup(key: RingId, onDone: LookupCallback): void {
    if (this.left) {
      onDone({ ok: false, reason: "left" });
      return;
    }
    this.router.lookup(key, onDone);
  }

  /** Joins (again) through `contact`, e.g. after `join-stalled`; a member ignores it. */
  join(contact: NodeRef): void {
    if (this.successor !== null || this.left || same(contact, this.self)) return;
    this.joining.rejoinThrough(contact);
  }

  /**
   * `contact` may be in another ring (an operator, a directory or a rendezvous knows): try to merge
   * with it (docs/ring-merge.md §2's external kick-start). A false detection ends within a few messages.
   */
  mergeWith(contact: NodeRef): void {
    if (this.left) return;
    this.merger.detected(contact);
  }

  /**
   * Graceful leave (docs/relaxed-ring.md §4): the successor takes over my range, my predecessor links
   * to my successor.
   */
  leave(): void {
    if (this.left) return;
    const pred = this.predecessor;
    const succ = this.successor;
    const leaving = { type: "leaving", pred, succ, succList: this.successors } as const;
    if (succ !== null && !same(succ, this.self)) this.env.send(succ, leaving);
    if (pred !== null && !same(pred, this.self) && !same(pred, succ)) this.env.send(pred, leaving);
    this.left = true;
    this.changedRange();
  }

  // ---- Process --------------------------------------------------------------------------------------

  start(): void {
    this.env.setTimer(this.env.random() * this.config.fd.pingPeriodMs, FD_ROUND);
    if (this.joining.contact === null) this.startRing();
    else this.joining.sendJoin();
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
        this.recovery.relinkIfAlone();
        this.check.askSuccForNeighbours();
        this.env.setTimer(this.config.fd.pingPeriodMs, FD_ROUND);
        return;
      case "joinRetry":
        this.joining.onRetryTimer();
        return;
      case "predTakeover":
        this.recovery.predTakeover(tag.pred);
        return;
      case "hint":
        this.recovery.onHintRound();
        return;
      case "fixTimeout":
        this.recovery.onFixTimeout(tag.to, tag.fallback, tag.alt);
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
    if (this.successor === null && MEMBERS_ONLY.has(msg.type)) return;
    if (ROUTER_MESSAGES.has(msg.type)) {
      this.router.onMessage(from, msg);
      return;
    }
    switch (msg.type) {
      case "ping":
        this.env.send(from, this.check.heartbeat("pong", from));
        this.adoptSmallerRing(msg.ring);
        this.check.onNeighbours(from, msg);
        return;
      case "pong":
        this.adoptSmallerRing(msg.ring);
        this.check.onNeighbours(from, msg);
        return;
      case "joinOk":
        this.joining.onJoinOk(from, msg);
        return;
      case "badRingRef":
        this.joining.onBadRingRef(from, msg);
        return;
      case "joinLater":
        this.joining.onJoinLater();
        return;
      case "newSucc":
        this.joining.onNewSucc(from, msg);
        return;
      case "predNoMore":
        this.dropPredListMember(from);
        return;
      case "updSuccList":
        this.onUpdSuccList(from, msg);
        return;
      case "fix":
        this.recovery.onFix(from);
        return;
      case "fixOk":
        this.recovery.onFixOk(from, msg);
        return;
      case "redirect":
        this.recovery.onRedirect(from, msg.to, msg.alt);
        return;
      case "hint":
        this.recovery.onHint(from, msg.candidate);
        return;
      case "leaving":
        this.onLeaving(from, msg);
        return;
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

  // ---- what the router, merger and loop detector ask of the node -------------------------------------

  onJoinRequest(joiner: NodeRef, ring: RingRef | null): void {
    this.joining.onJoinRequest(joiner, ring);
  }

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
    const pred = this.predecessor;
    const before = this.predOfPred;
    if (pred === null || before === null || !this.fd.isSuspected(pred) || same(pred, this.self)) return false;
    return this.ids.inOC(key, before.id, pred.id);
  }

  onMergeLookup(target: NodeRef): void {
    this.merger.onMergeLookupDelivered(target);
  }

  // ---- the one place the neighbour state changes -----------------------------------------------------

  /** The first node of a ring: it names the ring and owns every key. */
  private startRing(): void {
    this.setRing({ name: this.config.ringName, uid: Math.floor(this.env.random() * 0x1_0000_0000) });
    this.setSucc(this.self, [], "first");
    this.setPred(this.self, "first");
    this.becameMember();
  }

  private becameMember(): void {
    this.joinedWithoutPred = this.predecessor === null;
    this.env.emit({ type: "joined" });
    this.changedRange();
    this.env.setTimer(this.config.hintPeriodMs * (0.5 + this.env.random()), { type: "hint" });
    this.router.startMaintenance();
    this.loops.start();
  }

  /** The ring identity only moves to a smaller uid once set (docs/ring-merge.md §6). */
  private setRing(ring: RingRef): void {
    const old = this.ring;
    invariant(
      old === null || ring.uid < old.uid,
      "ring identity",
      () => `uid ${old?.uid} -> ${ring.uid}, not smaller`,
    );
    this.ring = ring;
  }

  /** After a merge both rings settle on the smaller uid, spread by pings (docs/ring-merge.md §6). */
  private adoptSmallerRing(theirs: RingRef | null): void {
    const mine = this.ring;
    if (theirs === null || mine === null || theirs.uid >= mine.uid) return;
    this.setRing(theirs);
    this.env.emit({ type: "ring-ref-changed", uid: theirs.uid });
  }

  /** Null: my predecessor is unknown, and I am responsible for nothing until one fixes me. */
  private setPred(pred: NodeRef | null, cause: PredChangeCause): void {
    if (pred === null ? this.predecessor === null : same(pred, this.predecessor)) return;
    const old = this.predecessor;
    invariant(
      predChangeAllowed(this.facts, old, pred, cause),
      "I3",
      () => `pred ${show(old)} -> ${show(pred)} (${cause})`,
    );
    this.predSuspectedAtMs = null;
    this.predecessor = pred;
    const told =
      this.joinedWithoutPred && old === null && pred !== null && cause === "fix" ? "joined" : cause;
    this.joinedWithoutPred = false;
    if (pred !== null && !same(pred, this.self)) {
      this.predList.set(pred.addr, pred);
      this.fd.monitor(pred);
      this.fingers.offer(pred);
      // Handed a pred my FD already suspects (it reports a crash only once): start the takeover clock.
      if (this.fd.isSuspected(pred)) this.predSuspected(pred);
    }
    this.hooks.onPredChange?.(old, pred, told);
    // The first node's range is announced once it is a member (becameMember).
    if (cause !== "first") this.changedRange();
  }

  private predSuspected(pred: NodeRef): void {
    this.predSuspectedAtMs = this.env.now();
    this.env.setTimer(this.config.predTakeoverMs, { type: "predTakeover", pred });
  }

  /**
   * Takes `offered` (or, if this FD already suspects it, the first unsuspected peer of the list that
   * came with it) as successor. A suspected peer is never adopted: the FD reports a crash only once.
   */
  private setSucc(offered: NodeRef, theirSuccList: readonly NodeRef[], cause: SuccChangeCause): void {
    const old = this.successor;
    invariant(
      succChangeAllowed(this.facts, old, offered, cause),
      "I4",
      () => `succ ${show(old)} -> ${show(offered)} (${cause})`,
    );
    const fresh = this.freshSuccList(offered, theirSuccList);
    const succ =
      same(offered, this.self) || !this.fd.isSuspected(offered) ? offered : (fresh[0] ?? this.self);
    invariant(
      same(succ, this.self) || !this.fd.isSuspected(succ),
      "I4",
      () => `adopted suspected ${show(succ)}`,
    );
    this.successor = succ;
    this.givenSuccList = same(succ, offered) ? theirSuccList : fresh.slice(1);
    this.recoveringSucc = false;
    this.offerNewSuccessors(fresh, this.successors);
    this.setSuccList(fresh);
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

  /** Takes `candidate` as successor for now and asks it, by fix, to take me as its predecessor. */
  private linkTowards(candidate: NodeRef): void {
    const old = this.successor;
    invariant(
      (same(old, this.self) || (old !== null && this.fd.isSuspected(old))) && !this.fd.isSuspected(candidate),
      "I4",
      () => `link ${show(old)} -> ${show(candidate)}: only alone or with a suspected succ, to a live peer`,
    );
    // A lone node owns the whole ring; one that links up again must not keep claiming it.
    if (same(this.predecessor, this.self)) this.setPred(null, "unknown");
    this.successor = candidate;
    this.recoveringSucc = true;
    this.fd.monitor(candidate);
    this.env.send(candidate, { type: "fix" });
  }

  private becomeOwnSucc(): void {
    const old = this.successor;
    invariant(
      old !== null && this.fd.isSuspected(old),
      "I4",
      () => `alone while succ ${show(old)} is trusted`,
    );
    this.successor = this.self;
    this.setSuccList([]);
    this.recoveringSucc = false;
  }

  /**
   * My successor list (docs/relaxed-ring.md §1): at most L peers, each address once, never me, in
   * clockwise order from me — it goes round once and stops before it would pass me.
   */
  private setSuccList(list: readonly NodeRef[]): void {
    const self = this.self;
    invariant(
      list.length <= this.config.succListSize,
      "succList",
      () => `${list.length} entries, more than L`,
    );
    const addrs = new Set<string>();
    let before = self;
    for (const p of list) {
      invariant(p.addr !== self.addr, "succList", () => `holds me (${refKey(p)})`);
      invariant(!addrs.has(p.addr), "succList", () => `holds ${p.addr} twice`);
      invariant(
        this.ids.inOO(p.id, before.id, self.id),
        "succList",
        () => `${show(p)} comes back before ${show(before)}`,
      );
      addrs.add(p.addr);
      before = p;
    }
    this.successors = list;
  }

  /**
   * [succ, ...its list], without suspected peers, up to L entries — and up to me: in a ring of L nodes
   * or fewer, what follows me in my successor's list is my own list again, and stopping there keeps a
   * crashed node that nobody watches from circling the lists for ever. It also stops where the list
   * would pass me without naming me (my successor's list came round a small ring to a peer between me
   * and it, which my succ does not know as mine): the router reads the list as contiguous ranges.
   */
  private freshSuccList(succ: NodeRef, theirs: readonly NodeRef[]): NodeRef[] {
    const list: NodeRef[] = [];
    for (let i = -1; i < theirs.length; i++) {
      const p = i < 0 ? succ : (theirs[i] as NodeRef);
      if (list.length >= this.config.succListSize || p.addr === this.self.addr) break;
      if (this.fd.isSuspected(p) || holdsAddr(list, p.addr)) continue;
      const last = list[list.length - 1];
      if (last !== undefined && !this.ids.inOO(p.id, last.id, this.self.id)) break;
      list.push(p);
    }
    return list;
  }

  /** The start of `list` that goes once round from me (what freshSuccList keeps of a list, unfiltered). */
  private onceRound(list: readonly NodeRef[]): NodeRef[] {
    const kept: NodeRef[] = [];
    let before = this.self;
    for (const p of list) {
      if (!this.ids.inOO(p.id, before.id, this.self.id)) break;
      kept.push(p);
      before = p;
    }
    return kept;
  }

  /** Offers the fingers what a new successor list adds to the old (docs/routing.md §3). */
  private offerNewSuccessors(fresh: readonly NodeRef[], old: readonly NodeRef[]): void {
    for (const p of fresh) if (!old.some((q) => same(p, q))) this.fingers.offer(p);
  }

  private rebuildSuccList(succ: NodeRef): void {
    const unchanged = this.unchangedRebuild;
    if (
      succ === unchanged.succ &&
      this.givenSuccList === unchanged.given &&
      this.successors === unchanged.list &&
      this.fd.suspectsNone
    )
      return;
    const fresh = this.freshSuccList(succ, this.givenSuccList);
    if (samePeers(fresh, this.successors)) {
      // With no peer suspected, freshSuccList depends on its two lists alone: the same ones give the same.
      if (this.fd.suspectsNone)
        this.unchangedRebuild = { succ, given: this.givenSuccList, list: this.successors };
      return;
    }
    this.offerNewSuccessors(fresh, this.successors);
    this.setSuccList(fresh);
    this.propagateSuccList();
  }

  private propagateSuccList(): void {
    const pred = this.predecessor;
    if (pred === null || same(pred, this.self)) return;
    const update = { type: "updSuccList", succList: this.successors, ttl: this.config.succListSize } as const;
    this.env.send(pred, update);
    // Fault hook: a duplicated update must not travel further than the first.
    if (this.env.buggify("overlay.succlist.duplicate-update")) this.env.send(pred, update);
  }

  private onUpdSuccList(from: NodeRef, msg: MessageOf<"updSuccList">): void {
    if (!same(from, this.successor)) return;
    this.givenSuccList = msg.succList;
    const fresh = this.freshSuccList(from, msg.succList);
    if (samePeers(fresh, this.successors)) return;
    this.offerNewSuccessors(fresh, this.successors);
    this.setSuccList(fresh);
    const pred = this.predecessor;
    if (msg.ttl > 0 && pred !== null && !same(pred, this.self)) {
      this.env.send(pred, { type: "updSuccList", succList: fresh, ttl: msg.ttl - 1 });
    }
  }

  private addPredListMember(peer: NodeRef): void {
    invariant(!same(peer, this.self), "predList", () => "a node is never its own predList member");
    this.predList.set(peer.addr, peer);
    this.fd.monitor(peer);
  }

  private dropPredListMember(peer: NodeRef): void {
    const known = this.predList.get(peer.addr);
    if (known === undefined || same(known, this.predecessor)) return;
    this.predList.delete(peer.addr);
    this.release(peer);
  }

  /** Stops watching a peer unless it is still a neighbour (succ, pred or in predList). */
  private release(peer: NodeRef): void {
    if (same(peer, this.successor) || same(peer, this.predecessor) || this.predList.has(peer.addr)) return;
    this.fd.unmonitor(peer);
  }

  private changedRange(): void {
    this.env.emit({ type: "range-changed" });
  }

  /** My pred or my successor leaves gracefully: it named its own neighbours. */
  private onLeaving(from: NodeRef, msg: MessageOf<"leaving">): void {
    if (same(from, this.predecessor)) {
      this.predList.delete(from.addr);
      this.fingers.remove(from);
      this.setPred(msg.pred === null || same(msg.pred, from) ? null : msg.pred, "leave");
      this.release(from);
    } else {
      this.dropPredListMember(from);
    }
    if (same(from, this.successor)) {
      this.fingers.remove(from);
      const next = msg.succ === null || same(msg.succ, from) ? this.self : msg.succ;
      this.setSucc(
        next,
        msg.succList.filter((p) => !same(p, from)),
        "leave",
      );
      if (!same(next, this.self)) this.env.send(next, { type: "fix" });
      this.release(from);
    }
    if (this.predecessor === null && same(this.successor, this.self)) this.setPred(this.self, "alone");
  }
}

/** The same incarnations in the same order. */
function samePeers(a: readonly NodeRef[], b: readonly NodeRef[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!same(a[i], b[i])) return false;
  return true;
}

/** Whether `list` holds a ref at `addr`. */
function holdsAddr(list: readonly NodeRef[], addr: string): boolean {
  for (const q of list) if (q.addr === addr) return true;
  return false;
}

/** A ref for an invariant's message. */
function show(ref: NodeRef | null): string {
  return ref === null ? "null" : `${ref.addr}#${ref.nonce}@${ref.id}`;
}
