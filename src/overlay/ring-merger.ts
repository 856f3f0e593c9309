// Ring merge after a network partition, simple ring unification (docs/ring-merge.md §1–§3, §6).
// Detection: peers dropped on suspicion go to a bounded passive list; one that answers again with the
// same nonce (a partition or a false suspicion, not a restart) is a detection, as are a foreign join
// and mergeWith(contact). Every γ one detection starts an mlookup: routed in my ring to the node
// responsible for the target's id, which sends the target `trymerge{cpred, csucc}` (the pair of my
// ring around it). The target zips on both ways with mlookups in its own ring. Stop rule: an mlookup
// that reaches its target itself ends there, so a false detection costs a few messages.
// Adapted to the relaxed ring (docs/ring-merge.md §3, M9): merge code never writes succ or pred. It
// only asks: `fix` to a closer successor, `hint` naming me to a closer predecessor, and the usual
// acceptance rules (I3, I4) decide. Where it departs from the papers: the "Beyond the papers" notes
// of docs/ring-merge.md §3 (M9, M10).
// Gossip-based unification (docs/ring-merge.md §4, `mergeAlgorithm: "gossip"`): on a detection the
// detected peer is also asked to zip towards me (`mlookupAsk{target: self}`), and each trymerge from m
// asks m to zip towards F random peers of mine (fingers ∪ succList), opening zipping points at random
// positions. Those asks wait in the mqueue, started at most mergeQueueRate per γ.
import type { Env } from "../core/env.js";
import type { IdSpace } from "../core/id-space.js";
import { type NodeRef, samePeer as same } from "../core/node-ref.js";
import type { OverlayConfig } from "./config.js";
import type { FailureDetector } from "./failure-detector.js";
import type { RingMessage, RingTimer } from "./messages.js";

/** What the merger reads of its ring node, and the one routing service it needs. */
export interface MergePosition {
  readonly self: NodeRef;
  readonly pred: NodeRef | null;
  readonly succ: NodeRef | null;
  readonly isMember: boolean;
  readonly succList: readonly NodeRef[];
  /** The peers in my finger table (the gossip variant picks random zipping points among them). */
  fingerPeers(): readonly NodeRef[];
  /** Routes an mlookup for `target` through my ring to the node responsible for `target.id`. */
  routeMergeLookup(target: NodeRef): void;
}

const MERGE_ROUND: RingTimer = { type: "mergeRound" };
const PASSIVE_ROUND: RingTimer = { type: "passiveRound" };

export class RingMerger {
  /** Peers dropped on suspicion, by address, oldest first (insertion order), with their nonce. */
  private readonly passiveList = new Map<string, NodeRef>();
  /** Peers believed to be in another ring, oldest first. */
  private readonly detectionQueue: NodeRef[] = [];
  /**
   * Gossip (docs/ring-merge.md §4, M13): targets other nodes asked me to route an mlookup for, oldest first.
   */
  private readonly mergeQueue: NodeRef[] = [];
  private mergeRoundArmed = false;
  private passiveRoundArmed = false;
  private readonly env: Env<RingMessage, RingTimer>;
  private readonly config: OverlayConfig;
  private readonly ids: IdSpace;
  private readonly fd: FailureDetector;
  private readonly at: MergePosition;

  constructor(
    env: Env<RingMessage, RingTimer>,
    config: OverlayConfig,
    ids: IdSpace,
    fd: FailureDetector,
    at: MergePosition,
  ) {
    this.env = env;
    this.config = config;
    this.ids = ids;
    this.fd = fd;
    this.at = at;
  }

  get passivePeers(): readonly NodeRef[] {
    return [...this.passiveList.values()];
  }

  get pendingDetections(): readonly NodeRef[] {
    return this.detectionQueue;
  }

  // ---- detection (docs/ring-merge.md §2) ---------------------------------------------------------

  /** The FD suspects `peer`: it leaves succList, fingers or pred, and joins the passive list. */
  onSuspected(peer: NodeRef): void {
    if (same(peer, this.at.self)) return;
    this.passiveList.delete(peer.addr);
    this.passiveList.set(peer.addr, peer);
    for (const addr of this.passiveList.keys()) {
      if (this.passiveList.size <= this.config.passiveListSize) break;
      this.passiveList.delete(addr);
    }
    this.armPassiveRound();
  }

  /**
   * `peer` answered again (the FD's alive, or a passivePong). The same incarnation as the one I
   * dropped: a partition or a false suspicion, so it may be in another ring now. A new nonce at that
   * address is a restart: the entry goes, and nothing is detected.
   */
  onHeardAgain(peer: NodeRef): void {
    const known = this.passiveList.get(peer.addr);
    if (known === undefined) return;
    this.passiveList.delete(peer.addr);
    if (known.nonce === peer.nonce) this.detected(peer);
  }

  /** `peer` may be in another ring (passive list, foreign join, or mergeWith): queue it. */
  detected(peer: NodeRef): void {
    if (enqueue(this.detectionQueue, peer, this.at.self, this.config.detectionQueueSize))
      this.armMergeRound();
  }

  /**
   * Gossip (docs/ring-merge.md §4): a peer, maybe in another ring, asks me to zip my ring towards `target`.
   */
  onMergeLookupAsk(target: NodeRef): void {
    if (!this.at.isMember) return;
    if (enqueue(this.mergeQueue, target, this.at.self, this.config.mergeQueueSize)) this.armMergeRound();
  }

  onPassivePing(from: NodeRef): void {
    if (this.at.isMember) this.env.send(from, { type: "passivePong" });
  }

  // ---- timers: armed only while there is work, so a quiet ring runs no merge timer ----------

  onTimer(tag: RingTimer): void {
    if (tag.type === "mergeRound") this.mergeRound();
    else if (tag.type === "passiveRound") this.passiveRound();
  }

  private armMergeRound(): void {
    if (this.mergeRoundArmed) return;
    this.mergeRoundArmed = true;
    this.env.setTimer(this.config.mergePeriodMs, MERGE_ROUND);
  }

  private armPassiveRound(): void {
    if (this.passiveRoundArmed) return;
    this.passiveRoundArmed = true;
    this.env.setTimer(this.config.passivePingMs, PASSIVE_ROUND);
  }

  /**
   * Every γ: one detection starts an mlookup (docs/ring-merge.md §3, M6); with gossip the detected
   * peer is also asked to zip towards me (M11), and up to mergeQueueRate asks from the mqueue are
   * started (M13, docs/ring-merge.md §4).
   */
  private mergeRound(): void {
    this.mergeRoundArmed = false;
    const target = this.detectionQueue.shift();
    if (target !== undefined && this.at.isMember) {
      this.at.routeMergeLookup(target);
      if (this.gossip) this.env.send(target, { type: "mlookupAsk", target: this.at.self });
    }
    for (let i = 0; i < this.config.mergeQueueRate; i++) {
      const asked = this.mergeQueue.shift();
      if (asked === undefined) break;
      if (this.at.isMember) this.at.routeMergeLookup(asked);
    }
    if (this.detectionQueue.length > 0 || this.mergeQueue.length > 0) this.armMergeRound();
  }

  private get gossip(): boolean {
    return this.config.mergeAlgorithm === "gossip";
  }

  /** Every T_passive: ping the passive peers the FD no longer watches (it pings the others itself). */
  private passiveRound(): void {
    this.passiveRoundArmed = false;
    for (const peer of this.passiveList.values()) {
      if (!this.fd.isMonitored(peer)) this.env.send(peer, { type: "passivePing" });
    }
    if (this.passiveList.size > 0) this.armPassiveRound();
  }

  // ---- simple ring unification (docs/ring-merge.md §3) -------------------------------------------

  /**
   * The mlookup for `target` reached me, responsible for `target.id` in my ring. If I am the target,
   * it is in my ring: stop (a false detection, or this pair is linked already). Otherwise it lies in
   * (pred, self), between two adjacent nodes of my ring: tell it.
   */
  onMergeLookupDelivered(target: NodeRef): void {
    const pred = this.at.pred;
    const self = this.at.self;
    if (same(target, self) || pred === null || same(pred, target)) return;
    this.env.send(target, { type: "trymerge", cpred: pred, csucc: self });
    // Fault hook: a duplicated trymerge zips from the same pair twice.
    if (this.env.buggify("overlay.merge.duplicate-trymerge"))
      this.env.send(target, { type: "trymerge", cpred: pred, csucc: self });
  }

  /**
   * `cpred` and `csucc`, adjacent in the sender's ring, enclose me. Zip on both ways in my own ring (mlookups
   * for each of them), and ask each to be my neighbour if it is closer than mine: `fix` to csucc, `hint`
   * (naming me) to cpred, which then fixes towards me if I am its closer successor. With gossip
   * (docs/ring-merge.md §4, M12), also ask the sender `from` to zip towards F random peers of mine.
   */
  onTryMerge(from: NodeRef, cpred: NodeRef, csucc: NodeRef): void {
    if (!this.at.isMember) return;
    if (this.gossip) this.askForRandomZips(from);
    const self = this.at.self;
    if (!same(csucc, self)) {
      this.at.routeMergeLookup(csucc);
      if (this.closerSucc(csucc)) this.env.send(csucc, { type: "fix" });
    }
    if (!same(cpred, self)) {
      this.at.routeMergeLookup(cpred);
      if (this.closerPred(cpred)) this.env.send(cpred, { type: "hint", candidate: self });
    }
  }

  /**
   * Sends `mlookupAsk{r}` to `from` for F distinct random peers r of my fingers ∪ succList
   * (docs/ring-merge.md §4).
   */
  private askForRandomZips(from: NodeRef): void {
    const pool = new Map<string, NodeRef>();
    for (const p of [...this.at.fingerPeers(), ...this.at.succList]) {
      if (!same(p, this.at.self) && !same(p, from) && !this.fd.isSuspected(p)) pool.set(p.addr, p);
    }
    const peers = [...pool.values()];
    for (let i = 0; i < this.config.mergeFanout && peers.length > 0; i++) {
      const [r] = peers.splice(Math.floor(this.env.random() * peers.length), 1);
      if (r !== undefined) this.env.send(from, { type: "mlookupAsk", target: r });
    }
  }

  private closerSucc(peer: NodeRef): boolean {
    const succ = this.at.succ;
    if (succ === null || this.fd.isSuspected(peer)) return false;
    return same(succ, this.at.self) || this.ids.inOO(peer.id, this.at.self.id, succ.id);
  }

  private closerPred(peer: NodeRef): boolean {
    const pred = this.at.pred;
    if (this.fd.isSuspected(peer)) return false;
    return pred === null || same(pred, this.at.self) || this.ids.inOO(peer.id, pred.id, this.at.self.id);
  }
}

/** Appends `peer` to a bounded queue unless it is me or queued already (the oldest entry goes). */
function enqueue(queue: NodeRef[], peer: NodeRef, self: NodeRef, bound: number): boolean {
  if (same(peer, self) || queue.some((p) => same(p, peer))) return false;
  queue.push(peer);
  if (queue.length > bound) queue.shift();
  return true;
}
