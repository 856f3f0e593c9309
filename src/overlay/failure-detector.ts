// The eventually perfect failure detector ◇P (algorithms.md §4): ping rounds to the monitored peers,
// a suspicion when no pong arrives within the timeout, `alive` when a suspected peer answers again —
// and then the timeout grows by Δ (capped at Tmax), which is what makes it eventually accurate.
// Suspicions are per link: a cut link looks exactly like a crash. Sans-I/O: it owns no timer; its
// node calls round() and check() on its own timers and passes pongs in.
import type { NodeRef } from "../core/node-ref.js";
import type { FailureDetectorConfig } from "./config.js";

export interface FailureDetectorEvents {
  crash(peer: NodeRef): void;
  alive(peer: NodeRef): void;
  /** Send a ping to the peer (the node adds whatever it piggybacks). */
  ping(peer: NodeRef): void;
}

interface Watch {
  peer: NodeRef;
  lastHeardMs: number;
  /** Pinged in the current round (and not heard since the round began). */
  pinged: boolean;
  suspected: boolean;
}

export class FailureDetector {
  private readonly watched = new Map<string, Watch>();
  private readonly config: FailureDetectorConfig;
  private readonly events: FailureDetectorEvents;
  private timeout: number;
  /** Figures for the metrics: suspicions raised, and those that turned out false. */
  suspicions = 0;
  falseSuspicions = 0;

  constructor(config: FailureDetectorConfig, events: FailureDetectorEvents) {
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
    this.watched.set(peer.addr, {
      peer,
      lastHeardMs: Number.NEGATIVE_INFINITY,
      pinged: false,
      suspected: false,
    });
  }

  unmonitor(peer: NodeRef): void {
    const known = this.watched.get(peer.addr);
    if (known !== undefined && known.peer.nonce === peer.nonce) this.watched.delete(peer.addr);
  }

  isMonitored(peer: NodeRef): boolean {
    return this.watched.get(peer.addr)?.peer.nonce === peer.nonce;
  }

  isSuspected(peer: NodeRef): boolean {
    const known = this.watched.get(peer.addr);
    return known !== undefined && known.peer.nonce === peer.nonce && known.suspected;
  }

  get monitoredCount(): number {
    return this.watched.size;
  }

  /** Starts a round: pings every monitored peer not heard lately; if it pinged any, the node calls check() timeoutMs later. */
  round(nowMs: number): boolean {
    const recentMs = this.config.pingPeriodMs / 2;
    let pinged = false;
    for (const watch of this.watched.values()) {
      watch.pinged = watch.suspected || nowMs - watch.lastHeardMs >= recentMs;
      if (watch.pinged) {
        pinged = true;
        this.events.ping(watch.peer);
      }
    }
    return pinged;
  }

  /** Ends a round: every pinged peer that stayed silent, and is not yet suspected, is now suspected. */
  check(): void {
    const silent: NodeRef[] = [];
    for (const watch of this.watched.values()) {
      if (watch.pinged && !watch.suspected) {
        watch.suspected = true;
        silent.push(watch.peer);
      }
    }
    for (const peer of silent) {
      this.suspicions++;
      this.events.crash(peer);
    }
  }

  /** Any message from `peer`. */
  heard(peer: NodeRef, nowMs: number): void {
    const watch = this.watched.get(peer.addr);
    if (watch === undefined) return;
    if (watch.peer.nonce !== peer.nonce) {
      // A new incarnation answers at the old address: the old one is gone for good.
      if (!watch.suspected) {
        watch.suspected = true;
        this.suspicions++;
        this.events.crash(watch.peer);
      }
      return;
    }
    watch.lastHeardMs = nowMs;
    watch.pinged = false;
    if (watch.suspected) {
      watch.suspected = false;
      this.falseSuspicions++;
      this.timeout = Math.min(this.timeout + this.config.timeoutStepMs, this.config.timeoutMaxMs);
      this.events.alive(peer);
    }
  }
}
