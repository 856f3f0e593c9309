// Loopy-ring detection (docs/ring-merge.md §5, after Liben-Nowell et al.'s strong stabilization): every
// T_loop a member looks its own id up starting at its successor, so the lookup cannot stop at me early. In a
// ring that circles the id space once, it ends at me; if another node answers, a second loop holds my id:
// that node goes onto the merge's detection queue, and the unification (docs/ring-merge.md §3, §4) zips the
// loops together. Off when loopCheckMs is 0 (the default: a periodic timer on every node would change every
// quiet ring's trace); the ring node also runs one check on demand when nobody replaces its abandoned pred
// (the mark of a zip that a crash ended, docs/ring-merge.md §7, M18).
import type { Env } from "../core/env.js";
import type { RingId } from "../core/id-space.js";
import { type NodeRef, samePeer as same } from "../core/node-ref.js";
import type { OverlayConfig } from "./config.js";
import type { RingMessage, RingTimer } from "./messages.js";
import type { LookupCallback } from "./ring-view.js";

/** What the detector reads of its ring node, and the lookup it needs. */
export interface LoopCheckPosition {
  readonly self: NodeRef;
  readonly succ: NodeRef | null;
  readonly isMember: boolean;
  /** Looks `key` up with the first hop to `first` (not resolved here). */
  lookupFrom(first: NodeRef, key: RingId, onDone: LookupCallback): void;
  /** Another loop holds my id at `peer` (docs/ring-merge.md §5, M14): treat it as a merge detection. */
  loopDetected(peer: NodeRef): void;
}

const LOOP_CHECK: RingTimer = { type: "loopCheck" };

export class LoopDetector {
  private readonly env: Env<RingMessage, RingTimer>;
  private readonly config: OverlayConfig;
  private readonly at: LoopCheckPosition;

  constructor(env: Env<RingMessage, RingTimer>, config: OverlayConfig, at: LoopCheckPosition) {
    this.env = env;
    this.config = config;
    this.at = at;
  }

  /** Once a member: the first check at a random phase, then every T_loop. */
  start(): void {
    if (this.config.loopCheckMs > 0)
      this.env.setTimer(this.config.loopCheckMs * this.env.random(), LOOP_CHECK);
  }

  onTimer(): void {
    this.checkNow();
    this.env.setTimer(this.config.loopCheckMs, LOOP_CHECK);
  }

  /** One check now (also on demand, whatever T_loop: a node whose pred nobody replaces runs one). */
  checkNow(): void {
    const succ = this.at.succ;
    const self = this.at.self;
    if (!this.at.isMember || succ === null || same(succ, self)) return;
    this.at.lookupFrom(succ, self.id, (result) => {
      if (result.ok && !same(result.responsible, self)) this.at.loopDetected(result.responsible);
    });
  }
}
