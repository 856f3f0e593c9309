// Failure recovery of the relaxed ring (docs/relaxed-ring.md §5, §6): a suspected successor is
// replaced by the next live peer of the successor list, asked by `fix`; a fixer is taken as
// predecessor if it lies between my pred and me, else redirected towards it; a suspected pred is
// replaced only after predTakeoverMs; hints close branches, and a lone or orphaned node links up
// again. Must not break: every pred or succ change goes through the ring node's setPred/setSucc, which
// check I3 and I4 — this file only decides what to ask for.
import type { Env } from "../core/env.js";
import type { IdSpace, RingId } from "../core/id-space.js";
import { invariant } from "../core/invariant.js";
import { type NodeRef, incarnationKey as refKey, samePeer as same } from "../core/node-ref.js";
import { Backoff } from "./backoff.js";
import type { OverlayConfig } from "./config.js";
import type { FailureDetector } from "./failure-detector.js";
import type { FingerTable } from "./finger-table.js";
import type { RingMessage, RingTimer } from "./messages.js";
import type { NeighbourChanges } from "./neighbour-changes.js";
import type { LookupCallback } from "./ring-view.js";

type MessageOf<T extends RingMessage["type"]> = Extract<RingMessage, { type: T }>;

/** The orphan check backs off to at most 2^this of its base period (hintPeriodMs). */
const BACKOFF_DOUBLINGS_MAX = 8;

/** What recovery reads of its ring node. */
export interface RecoveryPosition {
  readonly self: NodeRef;
  readonly pred: NodeRef | null;
  readonly succ: NodeRef | null;
  readonly succList: readonly NodeRef[];
  /** My pred's trusted predecessor, from its pings. */
  readonly predPred: NodeRef | null;
  readonly recovering: boolean;
  predListMembers(): Iterable<NodeRef>;
  /** My pred has been suspected for predTakeoverMs: a peer from behind it may take its place. */
  predAbandoned(): boolean;
  /** The live predList member closest after `peer` and before me, if any. */
  closestLivePredListMemberAfter(peer: NodeRef): NodeRef | null;
  /** The live neighbour (predList member, succ or successor-list peer) closest after `peer` and before me. */
  closestLiveNeighbourAfter(peer: NodeRef): NodeRef | null;
}

/** The routing services recovery uses. */
interface RecoveryRouting {
  usable(peer: NodeRef): boolean;
  markUnreachable(peer: NodeRef): void;
  lookupFrom(first: NodeRef, key: RingId, onDone: LookupCallback): void;
}

/** What recovery tells the ring merge (docs/ring-merge.md §2) and the loop detector (§5). */
interface RecoveryMergeHooks {
  onSuspected(peer: NodeRef): void;
  onHeardAgain(peer: NodeRef): void;
  checkLoopNow(): void;
}

export class RingRecovery {
  private readonly env: Env<RingMessage, RingTimer>;
  private readonly config: OverlayConfig;
  private readonly ids: IdSpace;
  private readonly fd: FailureDetector;
  private readonly fingers: FingerTable;
  private readonly router: RecoveryRouting;
  private readonly merge: RecoveryMergeHooks;
  private readonly at: RecoveryPosition;
  private readonly change: NeighbourChanges;
  /** Back-off of the orphan check, per abandoned pred. */
  private readonly orphanBackoff: Backoff;

  constructor(
    env: Env<RingMessage, RingTimer>,
    config: OverlayConfig,
    ids: IdSpace,
    services: {
      readonly fd: FailureDetector;
      readonly fingers: FingerTable;
      readonly router: RecoveryRouting;
      readonly merge: RecoveryMergeHooks;
    },
    at: RecoveryPosition,
    change: NeighbourChanges,
  ) {
    this.env = env;
    this.config = config;
    this.ids = ids;
    this.fd = services.fd;
    this.fingers = services.fingers;
    this.router = services.router;
    this.merge = services.merge;
    this.at = at;
    this.change = change;
    this.orphanBackoff = new Backoff(config.hintPeriodMs, BACKOFF_DOUBLINGS_MAX);
  }

  // ---- what the failure detector reports (docs/failure-detector.md §3) ------------------------

  onCrash(peer: NodeRef): void {
    this.merge.onSuspected(peer);
    this.fingers.remove(peer);
    this.change.dropFromSuccList(peer);
    if (same(peer, this.at.succ)) this.recoverSucc();
    if (same(peer, this.at.pred)) this.change.predSuspected(peer);
    else this.change.forgetPredListMember(peer);
  }

  onAlive(peer: NodeRef): void {
    this.merge.onHeardAgain(peer);
    const succ = this.at.succ;
    if (succ !== null && this.ids.inOO(peer.id, this.at.self.id, succ.id))
      this.env.send(peer, { type: "fix" });
  }

  /** The successor is suspected: try the next alive one in succList, one candidate at a time. */
  private recoverSucc(): void {
    const succ = this.at.succ;
    const candidate = this.at.succList.find((p) => !this.fd.isSuspected(p) && !same(p, succ));
    if (candidate !== undefined) {
      this.change.linkTowards(candidate);
      return;
    }
    this.change.becomeOwnSucc();
    const pred = this.at.pred;
    if (pred === null || this.fd.isSuspected(pred)) this.change.setPred(this.at.self, "alone");
  }

  /**
   * Every round, a node that believes it is alone (its whole neighbourhood crashed or was suspected)
   * links towards the first finger after it that it can still use and knows to be a ring member (a
   * joiner is offered to the table as soon as it asks, and takes no fix); a redirect walks it to its
   * place.
   */
  relinkIfAlone(): void {
    const self = this.at.self;
    if (!same(this.at.succ, self)) return;
    let best: NodeRef | null = null;
    for (const p of this.fingers.knownMembers()) {
      if (!this.router.usable(p)) continue;
      if (best === null || this.ids.dist(self.id, p.id) < this.ids.dist(self.id, best.id)) best = p;
    }
    if (best !== null) this.change.linkTowards(best);
  }

  // ---- a suspected predecessor (docs/relaxed-ring.md §5) ----------------------------------------

  /**
   * No fix came within predTakeoverMs of my pred's suspicion. Adopting the closest live predList
   * member outright, as Beernet does, overlapped ranges in the simulator: a predList entry may be
   * stale, with live nodes between it and me. So I ask instead: each live member gets a hint naming
   * me, and fixes towards me only if I am its successor (or a better one); onFix then takes the
   * closest fixer, since the pred is now abandoned. The neighbour check retries what is lost.
   */
  predTakeover(suspectedPred: NodeRef): void {
    if (!same(this.at.pred, suspectedPred) || !this.fd.isSuspected(suspectedPred)) return;
    this.change.forgetPredListMember(suspectedPred);
    const live = [...this.at.predListMembers()].filter((p) => !this.fd.isSuspected(p));
    for (const p of live) this.env.send(p, { type: "hint", candidate: this.at.self });
    if (live.length === 0 && same(this.at.succ, this.at.self)) this.change.setPred(this.at.self, "alone");
    else if (live.length === 0) this.orphanCheck();
  }

  /** The hint round (docs/relaxed-ring.md §6): hints to branch members, and the orphan check. */
  onHintRound(): void {
    this.sendHints();
    if (this.orphaned()) this.orphanCheck();
    this.env.setTimer(this.config.hintPeriodMs, { type: "hint" });
  }

  /**
   * My pred is abandoned and no live peer in my predList could take its place: whoever should fix me
   * does not know me. In one ring that does not last (my pred's pred finds me in its succList); after
   * a crash in the middle of a merge it does, because that node's successor list holds the other
   * ring's nodes (docs/ring-merge.md §7, M18: the zip ended there, and the rest of both rings is not
   * zipped).
   */
  private orphaned(): boolean {
    if (!this.at.predAbandoned() || same(this.at.succ, this.at.self)) return false;
    for (const p of this.at.predListMembers())
      if (!same(p, this.at.pred) && !this.fd.isSuspected(p)) return false;
    return true;
  }

  /**
   * So I run two lookups. One for my own id from my successor (the loop check,
   * docs/ring-merge.md §5): another node of the other chain answering is a detection, and the
   * merger zips from here.
   * One for my abandoned pred's id, which I do not claim, from a random peer I know: the node R that
   * answers holds that position now. If R lies between my pred and me, it should be my pred: a `hint`
   * asks it to take me as its successor. If R lies beyond me, its range holds mine too: a `fix` asks
   * it to take me as its pred, and then its old pred, and R itself, see the mark of a stopped zip
   * (their successor's pred, their pred's successor, between them) and the zip goes on. Both obey
   * the usual acceptance rules. Either lookup alone left runs unmerged (8192 nodes, 1% churn,
   * simple: seed 3 without the second; 2048, seeds 1 and 3, without the first). Backed off per
   * abandoned pred: where pairs cannot talk a node stays orphaned for good.
   */
  private orphanCheck(): void {
    const pred = this.at.pred;
    const self = this.at.self;
    if (pred === null || !this.orphanBackoff.tryNow(refKey(pred), this.env.now())) return;
    this.merge.checkLoopNow();
    const peers = [...this.fingers.refs(), ...this.at.succList].filter((p) => !same(p, self));
    const first = peers[Math.floor(this.env.random() * peers.length)];
    if (first === undefined) return;
    this.router.lookupFrom(first, pred.id, (result) => {
      if (!result.ok || same(result.responsible, self)) return;
      const holder = result.responsible;
      if (this.ids.inOO(holder.id, pred.id, self.id))
        this.env.send(holder, { type: "hint", candidate: self });
      else this.env.send(holder, { type: "fix" });
    });
  }

  // ---- branches and hints (docs/relaxed-ring.md §6) ---------------------------------------------

  private sendHints(): void {
    const pred = this.at.pred;
    const members = [...this.at.predListMembers()];
    if (pred === null || members.length < 2) return;
    const live = members.filter((p) => !this.fd.isSuspected(p));
    for (const p of live) {
      if (same(p, pred)) continue;
      let candidate: NodeRef | null = null;
      for (const q of live) {
        if (same(q, p) || !this.ids.inOO(q.id, p.id, this.at.self.id)) continue;
        if (candidate === null || this.ids.dist(p.id, q.id) < this.ids.dist(p.id, candidate.id))
          candidate = q;
      }
      if (candidate === null) continue;
      this.env.send(p, { type: "hint", candidate });
      // Fault hook: a hint twice (duplicated, or the next round's before this one's answer).
      if (this.env.buggify("overlay.hint.duplicate")) this.env.send(p, { type: "hint", candidate });
    }
  }

  /**
   * `from` suggests I fix towards `candidate` (branch closing, or a takeover query). I do only if the
   * candidate would be as close a successor as mine, or mine is gone; otherwise, if `from` is not my
   * successor, I tell it I am not its predecessor, so its predList does not keep stale entries.
   */
  onHint(from: NodeRef, candidate: NodeRef): void {
    const succ = this.at.succ;
    if (succ === null) return;
    const closer =
      same(candidate, succ) ||
      same(succ, this.at.self) ||
      this.fd.isSuspected(succ) ||
      this.ids.inOO(candidate.id, this.at.self.id, succ.id);
    if (closer && !this.fd.isSuspected(candidate)) this.env.send(candidate, { type: "fix" });
    else if (!same(from, succ)) this.env.send(from, { type: "predNoMore" });
  }

  // ---- fix, fixOk, redirect (docs/relaxed-ring.md §5) -------------------------------------------

  onFix(from: NodeRef): void {
    if (same(from, this.at.self) || this.at.succ === null) return; // only a ring member takes a predecessor
    this.change.addPredListMember(from);
    const pred = this.at.pred;
    // A fixer between my pred and me only shrinks my range, which never makes two owners.
    const shrinks =
      same(pred, from) ||
      same(pred, this.at.self) ||
      (pred !== null && this.ids.inOO(from.id, pred.id, this.at.self.id));
    if (!shrinks) {
      // One from behind my pred grows it: only once the pred is abandoned, and only if no live
      // predList member sits between the fixer and me (it may own part of that range). With no pred
      // (J13, L2, R12) my range grows from nothing to (fixer, self]: no live neighbour I know may sit
      // in it, a predList member behind me or a successor-list peer the fixer would wrap over (R15).
      const between =
        pred === null
          ? this.at.closestLiveNeighbourAfter(from)
          : this.at.predAbandoned()
            ? this.at.closestLivePredListMemberAfter(from)
            : pred;
      if (between !== null) {
        invariant(
          !same(between, from) && !same(between, this.at.self),
          "redirect",
          () => "to the fixer or to me",
        );
        this.env.send(from, {
          type: "redirect",
          to: between,
          alt: same(between, pred) ? this.at.predPred : null,
        });
        return;
      }
    }
    this.change.setPred(from, "fix");
    if (same(this.at.succ, this.at.self)) this.change.setSucc(from, [], "fixer");
    const fixOk = { type: "fixOk", succList: this.at.succList } as const;
    this.env.send(from, fixOk);
    // Fault hook: a duplicated fixOk reaches a fixer that is linked to me already.
    if (this.env.buggify("overlay.recovery.duplicate-fixOk")) this.env.send(from, fixOk);
  }

  onFixOk(from: NodeRef, msg: MessageOf<"fixOk">): void {
    const old = this.at.succ;
    if (old !== null && !same(old, from) && !same(old, this.at.self) && !this.fd.isSuspected(old)) {
      if (!this.ids.inOO(from.id, this.at.self.id, old.id)) return; // a stale answer from farther away
      this.env.send(old, { type: "predNoMore" });
    }
    this.change.setSucc(from, msg.succList, "fixOk");
    if (same(old, from)) this.change.propagateSuccList(); // setSucc already told my pred when succ changed
  }

  /**
   * `from` says `to` sits between us: try `to`. If `to` cannot be reached from here (suspected, or no
   * fixOk within hopTimeoutMs), link to `from` instead — it lies between me and my successor, so the
   * change respects I4 — and `to` hangs as a branch on `from` (the paper's modified goto).
   */
  onRedirect(from: NodeRef, to: NodeRef, alt: NodeRef | null): void {
    if (same(to, this.at.self)) return;
    if (this.fd.isSuspected(to) || !this.router.usable(to)) {
      this.tryAltOrFallback(from, alt);
      return;
    }
    const succ = this.at.succ;
    if (succ === null || this.ids.inOO(to.id, this.at.self.id, succ.id) || this.at.recovering) {
      this.env.send(to, { type: "fix" });
      this.env.setTimer(this.config.hopTimeoutMs, { type: "fixTimeout", to, fallback: from, alt });
    }
  }

  onFixTimeout(to: NodeRef, fallback: NodeRef, alt: NodeRef | null): void {
    const succ = this.at.succ;
    if (succ === null || this.ids.inOC(succ.id, this.at.self.id, to.id)) return; // linked to `to`, or closer
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
      !same(alt, this.at.self) &&
      this.router.usable(alt) &&
      this.ids.inOO(alt.id, this.at.self.id, fallback.id)
    ) {
      this.env.send(alt, { type: "fix" });
      this.env.setTimer(this.config.hopTimeoutMs, { type: "fixTimeout", to: alt, fallback, alt: null });
      return;
    }
    this.adoptFallbackSucc(fallback);
  }

  private adoptFallbackSucc(fallback: NodeRef): void {
    this.change.endRecovery();
    const succ = this.at.succ;
    if (succ === null || same(fallback, succ) || !this.router.usable(fallback)) return;
    if (!this.ids.inOO(fallback.id, this.at.self.id, succ.id)) return;
    const rest = this.at.succList.filter((p) => this.ids.inOO(p.id, fallback.id, this.at.self.id));
    this.change.setSucc(fallback, rest, "fallback");
  }
}
