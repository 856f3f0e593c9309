// The join of the relaxed ring (docs/relaxed-ring.md §3): the joiner routes a join to its own id; the
// node responsible for that id takes it as predecessor at once and answers joinOk{old pred}; the
// joiner then tells the old predecessor (newSucc), which links to it — two steps, each one node's
// own decision. Must not break: a join is answered only by the node responsible for the joiner's id,
// and a repeated join gets the same joinOk (its first one may have been lost).
import type { Env } from "../core/env.js";
import type { IdSpace } from "../core/id-space.js";
import { type NodeRef, samePeer as same } from "../core/node-ref.js";
import type { OverlayConfig } from "./config.js";
import type { RingMessage, RingRef, RingTimer } from "./messages.js";
import type { NeighbourChanges } from "./neighbour-changes.js";

type MessageOf<T extends RingMessage["type"]> = Extract<RingMessage, { type: T }>;

/** After this many unanswered join attempts through one contact, the node says so (`join-stalled`). */
const JOIN_ATTEMPTS_PER_CONTACT = 3;

/** What the join reads of its ring node. */
export interface JoinPosition {
  readonly self: NodeRef;
  readonly pred: NodeRef | null;
  readonly succ: NodeRef | null;
  readonly succList: readonly NodeRef[];
  readonly ringRef: RingRef | null;
  readonly isMember: boolean;
  /** Recovering a successor: a joiner is told to come back later. */
  readonly recovering: boolean;
}

/** Where a join from another ring is reported (docs/ring-merge.md §2: a foreign join is a detection). */
export interface MergeDetection {
  detected(peer: NodeRef): void;
}

export class RingJoin {
  private readonly env: Env<RingMessage, RingTimer>;
  private readonly config: OverlayConfig;
  private readonly ids: IdSpace;
  private readonly at: JoinPosition;
  private readonly change: NeighbourChanges;
  private readonly merger: MergeDetection;
  /** The ring it asked to join (null: whichever ring its contact is in). */
  readonly wishedRing: RingRef | null;
  /** Where joins go; a caller may replace it with join(contact) when it stops answering. */
  private accessPoint: NodeRef | null;
  private attempts = 0;
  private retryTimer = 0;
  /** The old pred the latest joiner was given, so its repeated join gets the same joinOk. */
  private joinOkGiven: { readonly joiner: NodeRef; readonly pred: NodeRef } | null = null;

  constructor(
    env: Env<RingMessage, RingTimer>,
    config: OverlayConfig,
    ids: IdSpace,
    at: JoinPosition,
    change: NeighbourChanges,
    merger: MergeDetection,
    contact: { readonly accessPoint: NodeRef | null; readonly wishedRing: RingRef | null },
  ) {
    this.env = env;
    this.config = config;
    this.ids = ids;
    this.at = at;
    this.change = change;
    this.merger = merger;
    this.accessPoint = contact.accessPoint;
    this.wishedRing = contact.wishedRing;
  }

  /** Where this node sends joins (and, until it is a member, whatever it routes). */
  get contact(): NodeRef | null {
    return this.accessPoint;
  }

  /** Joins (again) through `contact`. */
  rejoinThrough(contact: NodeRef): void {
    this.accessPoint = contact;
    this.sendJoin();
  }

  // ---- at the joiner ------------------------------------------------------------------------

  sendJoin(): void {
    if (this.accessPoint === null) return;
    this.env.send(this.accessPoint, {
      type: "route",
      key: this.at.self.id,
      origin: this.at.self,
      hops: 0,
      last: false,
      payload: { kind: "join", ring: this.wishedRing },
      hopId: 0,
    });
    this.armRetry();
  }

  /** One join-retry timer at a time, however many joinLater or retries came. */
  private armRetry(): void {
    this.env.cancelTimer(this.retryTimer);
    this.retryTimer = this.env.setTimer(this.config.joinRetryMs, { type: "joinRetry" });
  }

  onRetryTimer(): void {
    if (this.at.succ !== null) return;
    if (++this.attempts % JOIN_ATTEMPTS_PER_CONTACT === 0) this.env.emit({ type: "join-stalled" });
    this.sendJoin();
  }

  /** The responsible node is recovering its successor: ask again after joinRetryMs. */
  onJoinLater(): void {
    this.armRetry();
  }

  onBadRingRef(from: NodeRef, msg: MessageOf<"badRingRef">): void {
    this.env.emit({ type: "bad-ring-ref", theirs: msg.ring, wished: this.wishedRing });
    // A member hears of another ring: a merge detection (docs/ring-merge.md §2).
    if (this.at.isMember) this.merger.detected(from);
  }

  onJoinOk(from: NodeRef, msg: MessageOf<"joinOk">): void {
    if (this.wishedRing !== null && msg.ring.uid !== this.wishedRing.uid) return;
    this.change.adoptRing(msg.ring);
    const wasMember = this.at.succ !== null;
    const succ = this.at.succ;
    if (succ === null || this.ids.inOO(msg.succ.id, this.at.self.id, succ.id)) {
      this.change.setSucc(msg.succ, msg.succList, "joined");
    }
    const pred = this.at.pred;
    const given = msg.pred;
    // No pred given: my successor cannot vouch for one, and I own nothing until a fixer comes.
    if (given !== null && (pred === null || this.ids.inOO(given.id, pred.id, this.at.self.id))) {
      this.change.setPred(given, "joined");
      if (!same(given, this.at.self)) {
        const newSucc = {
          type: "newSucc",
          newSucc: this.at.self,
          oldSucc: from,
          succList: this.at.succList,
        } as const;
        this.env.send(given, newSucc);
        // Fault hook: a duplicated newSucc must find the old predecessor linked already.
        if (this.env.buggify("overlay.join.duplicate-newSucc")) this.env.send(given, newSucc);
      }
    }
    if (!wasMember && this.at.succ !== null) this.change.becameMember();
  }

  // ---- at the joiner's successor and predecessor ----------------------------------------------

  /** At the successor candidate, which is responsible for the joiner's id. */
  onJoinRequest(joiner: NodeRef, wished: RingRef | null): void {
    if (same(joiner, this.at.self)) return;
    const ring = this.at.ringRef;
    if (wished !== null && ring !== null && (wished.uid !== ring.uid || wished.name !== ring.name)) {
      this.env.send(joiner, { type: "badRingRef", ring }); // another ring: a merge trigger too
      this.merger.detected(joiner);
      return;
    }
    if (this.at.succ === null || this.at.recovering) {
      this.env.send(joiner, { type: "joinLater" });
      return;
    }
    if (same(joiner, this.at.pred)) {
      // A repeated join (its joinOk was lost): the same answer. Or a joiner whose first joinOk came
      // from another node (which then handed me its range: it left, or a later joiner got it as its
      // pred): I cannot vouch for its pred — a peer of my predList may well have a live node between
      // it and the joiner, and two would own one key — so it gets none, and waits for a fixer.
      const given = this.joinOkGiven;
      this.sendJoinOk(joiner, given !== null && same(given.joiner, joiner) ? given.pred : null);
      return;
    }
    const old = this.at.pred ?? this.at.self;
    this.change.setPred(joiner, "joiner");
    this.joinOkGiven = { joiner, pred: old };
    this.sendJoinOk(joiner, old);
  }

  private sendJoinOk(joiner: NodeRef, pred: NodeRef | null): void {
    const ring = this.at.ringRef;
    if (ring === null) return;
    const joinOk = { type: "joinOk", pred, succ: this.at.self, succList: this.at.succList, ring } as const;
    this.env.send(joiner, joinOk);
    // Fault hook: the network may duplicate it; the joiner must take the second as a no-op.
    if (this.env.buggify("overlay.join.duplicate-joinOk")) this.env.send(joiner, joinOk);
  }

  /** At the old predecessor: step 2 closes the ring. */
  onNewSucc(from: NodeRef, msg: MessageOf<"newSucc">): void {
    const succ = this.at.succ;
    if (succ === null) return;
    if (!same(succ, from) && this.ids.inOO(from.id, this.at.self.id, succ.id)) {
      this.change.setSucc(from, msg.succList, "newSucc");
      if (!same(succ, this.at.self)) this.env.send(succ, { type: "predNoMore" });
    } else if (same(succ, this.at.self)) {
      this.change.setSucc(from, msg.succList, "newSucc");
    }
  }
}
