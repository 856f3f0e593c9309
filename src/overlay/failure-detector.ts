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

/**
 * No ping outstanding. Times are never negative; a number rather than null keeps the field a plain
 * double, so a round stores no boxed number.
 */
const NOT_PINGED = -1;

interface Watch {
  peer: NodeRef;
  lastHeardMs: number;
  /** When the unanswered ping went out, or NOT_PINGED if none is outstanding. */
  pingedAtMs: number;
  suspected: boolean;
}

export class FailureDetector {
  private readonly watched = new Map<string, Watch>();
  /** The same watches in the Map's order, for the rounds: an array walk allocates no iterator. */
  private readonly inOrder: Watch[] = [];
  private readonly config: FailureDetectorConfig;
  private readonly events: FailureDetectorEvents;
  private timeout: number;
  /** How many watched peers are suspected now: at 0 (nearly always) isSuspected needs no lookup. */
  private suspectedNow = 0;
  /**
   * The watches last looked up, matched by ref identity: nearly every message a node gets comes from
   * its succ or pred, and a ref object held by both sides (as in the simulator) then needs no hash
   * lookup. Cleared whenever a watch is replaced or dropped.
   */
  private recent: Watch | null = null;
  private previous: Watch | null = null;
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
    const known = this.watched.get(peer.addr);
    if (known !== undefined && known.peer.nonce === peer.nonce) return;
    if (known?.suspected === true) this.suspectedNow--;
    this.forgetRecent();
    const watch: Watch = {
      peer,
      lastHeardMs: Number.NEGATIVE_INFINITY,
      pingedAtMs: NOT_PINGED,
      suspected: false,
    };
    this.watched.set(peer.addr, watch);
    // A Map keeps a replaced entry where it was: so does the array.
    if (known === undefined) this.inOrder.push(watch);
    else this.inOrder[this.inOrder.indexOf(known)] = watch;
  }

  unmonitor(peer: NodeRef): void {
    const known = this.watched.get(peer.addr);
    if (known === undefined || known.peer.nonce !== peer.nonce) return;
    if (known.suspected) this.suspectedNow--;
    this.forgetRecent();
    this.watched.delete(peer.addr);
    this.inOrder.splice(this.inOrder.indexOf(known), 1);
  }

  isMonitored(peer: NodeRef): boolean {
    return this.find(peer)?.peer.nonce === peer.nonce;
  }

  /** No watched peer is suspected now: isSuspected is false for every peer. */
  get suspectsNone(): boolean {
    return this.suspectedNow === 0;
  }

  isSuspected(peer: NodeRef): boolean {
    if (this.suspectedNow === 0) return false;
    const known = this.find(peer);
    return known !== undefined && known.peer.nonce === peer.nonce && known.suspected;
  }

  /** The watch at `peer`'s address (of whichever incarnation), if any. */
  private find(peer: NodeRef): Watch | undefined {
    const recent = this.recent;
    if (recent !== null && recent.peer === peer) return recent;
    const previous = this.previous;
    if (previous !== null && previous.peer === peer) return previous;
    const watch = this.watched.get(peer.addr);
    if (watch !== undefined) {
      this.previous = recent;
      this.recent = watch;
    }
    return watch;
  }

  private forgetRecent(): void {
    this.recent = null;
    this.previous = null;
  }

  get monitoredCount(): number {
    return this.watched.size;
  }

  /**
   * One round: every peer whose ping has gone unanswered for the timeout is now suspected; then every
   * peer without an outstanding ping and not heard lately (RECENT_FRACTION of a period) is pinged.
   */
  round(nowMs: number): void {
    let silent: NodeRef[] | null = null;
    const recentMs = this.config.pingPeriodMs * RECENT_FRACTION;
    const watches = this.inOrder;
    for (let i = 0; i < watches.length; i++) {
      const watch = watches[i] as Watch;
      const pingedAt = watch.pingedAtMs;
      const pinged = pingedAt !== NOT_PINGED;
      if (pinged && nowMs - pingedAt >= this.timeout && !watch.suspected) {
        watch.suspected = true;
        this.suspectedNow++;
        silent ??= [];
        silent.push(watch.peer);
      }
      const due = !pinged || watch.suspected ? nowMs - watch.lastHeardMs >= recentMs : false;
      if (due) {
        watch.pingedAtMs = pinged ? pingedAt : nowMs;
        this.events.ping(watch.peer);
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
    const watch = this.find(peer);
    if (watch === undefined) return;
    if (watch.peer.nonce !== peer.nonce) {
      // A new incarnation answers at the old address: the old one is gone for good.
      if (!watch.suspected) {
        watch.suspected = true;
        this.suspectedNow++;
        this.suspicions++;
        this.events.crash(watch.peer);
      }
      return;
    }
    watch.lastHeardMs = nowMs;
    watch.pingedAtMs = NOT_PINGED;
    if (watch.suspected) {
      watch.suspected = false;
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
