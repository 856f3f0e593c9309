// The eventually perfect failure detector ◇P (docs/failure-detector.md §1, §2): ping rounds to the
// monitored peers, a suspicion when no answer comes within the timeout, `alive` when a suspected peer
// answers again — and then the timeout grows by Δ (capped at Tmax), which is what makes it eventually
// accurate. Suspicions are per link: a cut link looks exactly like a crash. Two economies
// (docs/failure-detector.md §2.4, D4 and D7): any message counts as a sign of life, so a peer heard
// within most of the last period is not pinged; and a round first judges the pings of earlier
// rounds, so one timer per period drives everything.
// Sans-I/O: it owns no timer; its node calls round() every pingPeriodMs and passes what it hears in.
import { invariant } from "../core/invariant.js";
import type { NodeRef } from "../core/node-ref.js";
import type { FailureDetectorConfig } from "./config.js";

/**
 * A peer heard within this fraction of a period is not pinged. Close to 1, the two ends of a link
 * settle into one ping–pong per period between them; detection stays within Tmax + period.
 */
const RECENT_FRACTION = 0.9;

export interface FailureDetectorEvents {
  crash(peer: NodeRef): void;
  alive(peer: NodeRef): void;
  /** Send a ping to the peer (the node adds whatever it piggybacks). */
  ping(peer: NodeRef): void;
}

/** No ping outstanding. Times are never negative. */
const NOT_PINGED = -1;

/**
 * A watch's numbers, STRIDE per watched peer in `state`: when it was last heard, when the unanswered
 * ping went out (NOT_PINGED: none) and whether it is suspected (1) or not (0).
 */
const HEARD = 0;
const PINGED = 1;
const SUSPECTED = 2;
const STRIDE = 3;

export class FailureDetector {
  // Declared hottest first (the object's first cache lines): what every message and round reads.
  /**
   * The watched refs last looked up and their places, matched by identity: nearly every message a node
   * gets comes from its succ or pred, and a ref object held by both sides (as in the simulator) then
   * needs no hash lookup, and is the watched incarnation itself. Cleared whenever a place changes.
   */
  private recentPeer: NodeRef | null = null;
  private recentSlot = -1;
  /**
   * The watched peers, in the order they were first watched (a newer incarnation at an address takes
   * the older one's place), and their numbers in the same order: a round reads one small array of
   * numbers, not an object per peer (at 10^4 simulated nodes, each a cache miss).
   */
  private state = new Float64Array(STRIDE * 4);
  private readonly peers: NodeRef[] = [];
  private previousPeer: NodeRef | null = null;
  private previousSlot = -1;
  /** How many watched peers are suspected now: at 0 (nearly always) isSuspected needs no lookup. */
  private suspectedNow = 0;
  private timeout: number;
  private readonly config: FailureDetectorConfig;
  private readonly events: FailureDetectorEvents;
  /** Each watched address's place in peers. */
  private readonly slots = new Map<string, number>();
  /** Figures for the metrics: suspicions raised, and those that turned out false. */
  suspicions = 0;
  falseSuspicions = 0;

  /** Throws a RangeError for a configuration outside D2's bounds (docs/failure-detector.md §2.4). */
  constructor(config: FailureDetectorConfig, events: FailureDetectorEvents) {
    validateFailureDetectorConfig(config);
    this.config = config;
    this.events = events;
    this.timeout = config.timeoutMs;
  }

  get timeoutMs(): number {
    return this.timeout;
  }

  /** Starts watching `peer` (a newer incarnation at the same address replaces the older one). */
  monitor(peer: NodeRef): void {
    const known = this.slots.get(peer.addr);
    if (known !== undefined && (this.peers[known] as NodeRef).nonce === peer.nonce) return;
    if (known !== undefined && this.suspectedAt(known)) this.suspectedNow--;
    this.forgetRecent();
    const slot = known ?? this.appendSlot(peer.addr);
    this.peers[slot] = peer;
    const at = STRIDE * slot;
    this.state[at + HEARD] = Number.NEGATIVE_INFINITY;
    this.state[at + PINGED] = NOT_PINGED;
    this.state[at + SUSPECTED] = 0;
  }

  unmonitor(peer: NodeRef): void {
    const slot = this.slots.get(peer.addr);
    if (slot === undefined || (this.peers[slot] as NodeRef).nonce !== peer.nonce) return;
    if (this.suspectedAt(slot)) this.suspectedNow--;
    this.forgetRecent();
    this.slots.delete(peer.addr);
    // Close the gap, keeping the order of the others.
    this.peers.splice(slot, 1);
    this.state.copyWithin(STRIDE * slot, STRIDE * (slot + 1), STRIDE * (this.peers.length + 1));
    for (let i = slot; i < this.peers.length; i++) this.slots.set((this.peers[i] as NodeRef).addr, i);
  }

  isMonitored(peer: NodeRef): boolean {
    const slot = this.find(peer);
    return slot >= 0 && (this.peers[slot] as NodeRef).nonce === peer.nonce;
  }

  /** No watched peer is suspected now: isSuspected is false for every peer. */
  get suspectsNone(): boolean {
    return this.suspectedNow === 0;
  }

  isSuspected(peer: NodeRef): boolean {
    if (this.suspectedNow === 0) return false;
    const slot = this.find(peer);
    return slot >= 0 && (this.peers[slot] as NodeRef).nonce === peer.nonce && this.suspectedAt(slot);
  }

  /** The place of the watch at `peer`'s address (of whichever incarnation), or −1. */
  private find(peer: NodeRef): number {
    if (peer === this.recentPeer) return this.recentSlot;
    if (peer === this.previousPeer) return this.previousSlot;
    const slot = this.slots.get(peer.addr);
    if (slot === undefined) return -1;
    this.previousPeer = this.recentPeer;
    this.previousSlot = this.recentSlot;
    this.recentPeer = this.peers[slot] as NodeRef;
    this.recentSlot = slot;
    return slot;
  }

  private forgetRecent(): void {
    this.recentPeer = null;
    this.recentSlot = -1;
    this.previousPeer = null;
    this.previousSlot = -1;
  }

  /** A new place at the end, for `addr`. */
  private appendSlot(addr: string): number {
    const slot = this.peers.length;
    if (STRIDE * (slot + 1) > this.state.length) {
      const grown = new Float64Array(2 * this.state.length);
      grown.set(this.state);
      this.state = grown;
    }
    this.slots.set(addr, slot);
    return slot;
  }

  private suspectedAt(slot: number): boolean {
    return this.state[STRIDE * slot + SUSPECTED] === 1;
  }

  get monitoredCount(): number {
    return this.peers.length;
  }

  /**
   * One round: every peer whose ping has gone unanswered for the timeout is now suspected; then every
   * peer without an outstanding ping and not heard lately (RECENT_FRACTION of a period) is pinged.
   */
  round(nowMs: number): void {
    let silent: NodeRef[] | null = null;
    const recentMs = this.config.pingPeriodMs * RECENT_FRACTION;
    const state = this.state;
    const count = this.peers.length;
    for (let slot = 0; slot < count; slot++) {
      const at = STRIDE * slot;
      const pingedAt = state[at + PINGED] as number;
      const pinged = pingedAt !== NOT_PINGED;
      if (pinged && nowMs - pingedAt >= this.timeout && state[at + SUSPECTED] === 0) {
        state[at + SUSPECTED] = 1;
        this.suspectedNow++;
        silent ??= [];
        silent.push(this.peers[slot] as NodeRef);
      }
      const due =
        !pinged || state[at + SUSPECTED] === 1 ? nowMs - (state[at + HEARD] as number) >= recentMs : false;
      if (due) {
        state[at + PINGED] = pinged ? pingedAt : nowMs;
        this.events.ping(this.peers[slot] as NodeRef);
      }
    }
    if (silent === null) return;
    for (const peer of silent) {
      this.suspicions++;
      this.events.crash(peer);
    }
  }

  /** Any message from `peer`. */
  heard(peer: NodeRef, nowMs: number): void {
    const slot = this.find(peer);
    if (slot < 0) return;
    // A ref find() matched by identity is the watched one: its array need not be read.
    const known =
      peer === this.recentPeer || peer === this.previousPeer ? peer : (this.peers[slot] as NodeRef);
    const at = STRIDE * slot;
    const state = this.state;
    if (known.nonce !== peer.nonce) {
      // A new incarnation answers at the old address: the old one is gone for good.
      if (state[at + SUSPECTED] === 0) {
        state[at + SUSPECTED] = 1;
        this.suspectedNow++;
        this.suspicions++;
        this.events.crash(known);
      }
      return;
    }
    state[at + HEARD] = nowMs;
    state[at + PINGED] = NOT_PINGED;
    if (state[at + SUSPECTED] === 1) {
      state[at + SUSPECTED] = 0;
      this.suspectedNow--;
      invariant(this.suspectedNow >= 0, "FD", () => "more suspicions lifted than raised");
      this.falseSuspicions++;
      // Stays in [T0, Tmax] (D2): the constructor checked T0 <= Tmax and Δ >= 0.
      this.timeout = Math.min(this.timeout + this.config.timeoutStepMs, this.config.timeoutMaxMs);
      this.events.alive(peer);
    }
  }
}

/**
 * D2's bounds on a configuration: a positive period and T0, Δ >= 0 and T0 <= Tmax, so the timeout
 * starts at T0 and only grows towards Tmax. Checked once, at construction, instead of at each raise.
 */
function validateFailureDetectorConfig(config: FailureDetectorConfig): void {
  const { pingPeriodMs, timeoutMs, timeoutStepMs, timeoutMaxMs } = config;
  const bad = (what: string): never => {
    throw new RangeError(
      `failure detector: ${what} (period ${pingPeriodMs} ms, T0 ${timeoutMs} ms, Δ ${timeoutStepMs} ms, Tmax ${timeoutMaxMs} ms)`,
    );
  };
  if (!(Number.isFinite(pingPeriodMs) && pingPeriodMs > 0)) bad("the ping period must be a positive number");
  if (!(Number.isFinite(timeoutMs) && timeoutMs > 0)) bad("T0 must be a positive number");
  if (!(Number.isFinite(timeoutStepMs) && timeoutStepMs >= 0)) bad("Δ must be 0 or more");
  if (!(Number.isFinite(timeoutMaxMs) && timeoutMaxMs >= timeoutMs)) bad("Tmax must be at least T0");
}
