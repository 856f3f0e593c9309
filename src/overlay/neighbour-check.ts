// The neighbour check of the relaxed ring (docs/relaxed-ring.md §6): piggybacked on the failure
// detector's pings and pongs, a node compares notes with its successor and its predecessor — who is
// whose pred, and a digest of the successor list — and asks with `fix` where they disagree. This is
// what closes the ring again after lost messages; it also spots the mark a stopped ring merge leaves
// (docs/ring-merge.md §2). Must not break: it only asks (fix, merge detections); pred and succ change
// by the usual acceptance rules at the node that is asked.
import type { Env } from "../core/env.js";
import type { IdSpace } from "../core/id-space.js";
import { type NodeRef, incarnationKey as refKey, samePeer as same } from "../core/node-ref.js";
import { Backoff } from "./backoff.js";
import type { OverlayConfig } from "./config.js";
import type { FailureDetector } from "./failure-detector.js";
import type { FingerTable } from "./finger-table.js";
import type { PingPayload, RingMessage, RingRef, RingTimer } from "./messages.js";
import type { NeighbourChanges } from "./neighbour-changes.js";
import type { MergeDetection } from "./ring-join.js";
import { SuccListDigests } from "./succ-list-digest.js";

/** A ping or a pong. */
type Heartbeat = Extract<RingMessage, { type: "ping" | "pong" }>;

/** The merge detections from the pred's-successor mark back off to at most 2^this of ringCheckMs. */
const BACKOFF_DOUBLINGS_MAX = 8;

/** What the neighbour check reads of its ring node. */
export interface NeighbourCheckPosition {
  readonly self: NodeRef;
  readonly pred: NodeRef | null;
  readonly succ: NodeRef | null;
  readonly succList: readonly NodeRef[];
  readonly ringRef: RingRef | null;
  /** The list my successor last gave me (before I left out peers I suspect). */
  readonly succListGiven: readonly NodeRef[];
  readonly recovering: boolean;
}

export class NeighbourCheck {
  // Declared hottest first (the object's first cache lines): what every ping and pong reads.
  private readonly at: NeighbourCheckPosition;
  private readonly fd: FailureDetector;
  private readonly change: NeighbourChanges;
  private readonly env: Env<RingMessage, RingTimer>;
  private readonly config: OverlayConfig;
  /** Digests of my own list's starts (what my pings say) and of the one my successor gave me. */
  private readonly ownDigests = new SuccListDigests();
  private readonly givenDigests = new SuccListDigests();
  /** When my successor last told me its neighbours (a ping or pong). */
  private succHeardAtMs = Number.NEGATIVE_INFINITY;
  private lastRingCheck = Number.NEGATIVE_INFINITY;
  private readonly ids: IdSpace;
  private readonly fingers: FingerTable;
  private readonly merger: MergeDetection;
  /** Back-off of the merge detections from the pred's-successor mark (checkPredSucc). */
  private readonly predSuccBackoff: Backoff;

  constructor(
    env: Env<RingMessage, RingTimer>,
    config: OverlayConfig,
    ids: IdSpace,
    services: {
      readonly fd: FailureDetector;
      readonly fingers: FingerTable;
      readonly merger: MergeDetection;
    },
    at: NeighbourCheckPosition,
    change: NeighbourChanges,
  ) {
    this.env = env;
    this.config = config;
    this.ids = ids;
    this.fd = services.fd;
    this.fingers = services.fingers;
    this.merger = services.merger;
    this.at = at;
    this.change = change;
    this.predSuccBackoff = new Backoff(config.ringCheckMs, BACKOFF_DOUBLINGS_MAX);
  }

  /** My pred, unless I suspect it: what I tell others. */
  trustedPred(): NodeRef | null {
    const pred = this.at.pred;
    return pred !== null && !this.fd.isSuspected(pred) ? pred : null;
  }

  /**
   * My ping or pong to `peer`, with what it says (N1; the digest: the list `peer` should hold after me).
   * Built in one literal, fields in PingPayload's order, for it is sent on every FD round.
   */
  heartbeat(type: "ping" | "pong", peer: NodeRef): Heartbeat {
    const digest = this.ownDigests.before(this.at.succList, peer, this.config.succListSize - 1);
    return {
      type,
      pred: this.trustedPred(),
      succ: this.at.succ,
      ring: this.at.ringRef,
      succListDigest: digest,
    };
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
  onNeighbours(from: NodeRef, msg: PingPayload): void {
    const self = this.at.self;
    // What my succ and pred say of their own neighbours, my succList and predList already hold.
    if (!same(from, this.at.succ) && !same(from, this.at.pred))
      this.fingers.learnNeighbours(from, msg.pred, msg.succ, null);
    // A peer with no successor is no ring member (a joiner whose join failed): it cannot have me as
    // its successor, and fixers must not be redirected to it.
    if (msg.succ === null && !same(from, this.at.pred)) this.change.dropPredListMember(from);
    if (same(this.at.succ, self) && !same(from, self) && msg.succ !== null) {
      // I thought I was alone (every successor suspected), but a ring member watches me: link up again.
      this.change.linkTowards(from);
      return;
    }
    if (same(from, this.at.pred)) {
      this.change.setPredPred(msg.pred);
      this.checkPredSucc(msg.succ);
    }
    const succ = this.at.succ;
    if (succ === null || !same(from, succ)) return;
    this.succHeardAtMs = this.env.now();
    if (this.at.recovering) {
      this.env.send(succ, { type: "fix" });
      return;
    }
    const now = this.env.now();
    if (now - this.lastRingCheck < this.config.ringCheckMs) return;
    const theirPred = msg.pred;
    if (same(theirPred, self)) {
      this.checkSuccList(succ, msg.succListDigest, now);
      return;
    }
    this.lastRingCheck = now;
    if (
      theirPred !== null &&
      this.ids.inOO(theirPred.id, self.id, succ.id) &&
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
    const given = this.givenDigests.before(this.at.succListGiven, this.at.self, this.config.succListSize - 1);
    if (theirDigest !== given) {
      this.lastRingCheck = now;
      this.env.send(succ, { type: "fix" });
      return;
    }
    this.change.rebuildSuccList(succ);
  }

  /**
   * My pred's successor lies between my pred and me, yet has not fixed me: another chain of nodes is
   * interleaved here, the mark a ring merge leaves where its zipping front stopped (a front's mlookup
   * was lost, or arrived after the pointers it was routed by had moved on, docs/ring-merge.md §7, M17). It
   * is a detection: the merger zips from here again. In one ring this state is transient (a join's
   * newSucc on its way) and a false detection ends within a zip step or two.
   */
  private checkPredSucc(theirSucc: NodeRef | null): void {
    const pred = this.at.pred;
    const self = this.at.self;
    if (theirSucc === null || pred === null || same(theirSucc, self) || same(pred, self)) return;
    if (this.fd.isSuspected(theirSucc) || !this.ids.inOO(theirSucc.id, pred.id, self.id)) return;
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
  askSuccForNeighbours(): void {
    const succ = this.at.succ;
    if (succ === null || same(succ, this.at.self) || this.fd.isSuspected(succ)) return;
    if (this.env.now() - this.succHeardAtMs < this.config.ringCheckMs) return;
    this.env.send(succ, this.heartbeat("ping", succ));
  }
}
