// Finding a TM's rTMs (docs/transactions.md §2): the owners of replica ids 1..f-1 of the TM's own id, by a
// lookup answered by the node it finds (so it shows that node alive), used for at most rtmFreshMs. A commit
// never starts with rTMs older than that: a transaction whose acceptors were gone could never decide.
import type { Env } from "../core/env.js";
import type { IdSpace } from "../core/id-space.js";
import type { NodeRef } from "../core/node-ref.js";
import type { RingAccess } from "../store/ring-access.js";
import type { TxConfig } from "./tx-config.js";
import type { TxMessage, TxTimer } from "./tx-messages.js";

/**
 * One counter numbers both the TM's tids and its rTM-lookup retries: both appear in messages and
 * timers, so a trace depends on how they are numbered.
 */
export class TxSequence {
  private n = 0;

  /** The number of the next transaction (1, 2, ...). */
  nextTid(): number {
    this.n += 1;
    return this.n;
  }

  /** An id for a retry timer (the counter's value before it moves on). */
  nextRetry(): number {
    const id = this.n;
    this.n += 1;
    return id;
  }
}

interface Retry {
  readonly attempt: number;
  readonly onFound: (rtms: NodeRef[] | null) => void;
}

export class RtmDiscovery {
  private readonly env: Env<TxMessage, TxTimer>;
  private readonly ids: IdSpace;
  private readonly config: TxConfig;
  private readonly ring: RingAccess;
  private readonly sequence: TxSequence;
  /** The owners of my own id's replica ids 1..f-1 (the rTMs), as last looked up, and when. */
  private readonly rtms: (NodeRef | null)[];
  private foundMs = Number.NEGATIVE_INFINITY;
  /** A lookup of the rTMs under way: who waits for it. */
  private lookup: ((ok: boolean) => void)[] | null = null;
  /** Commits waiting to look the rTMs up again after a failed lookup. */
  private readonly retries = new Map<number, Retry>();

  constructor(
    env: Env<TxMessage, TxTimer>,
    ids: IdSpace,
    config: TxConfig,
    ring: RingAccess,
    sequence: TxSequence,
  ) {
    this.env = env;
    this.ids = ids;
    this.config = config;
    this.ring = ring;
    this.sequence = sequence;
    this.rtms = Array.from({ length: config.replication - 1 }, () => null);
  }

  /**
   * Looks the rTMs up unless a fresh lookup is done or under way: a transaction calls this when it
   * starts, so the lookup runs alongside its reads.
   */
  warmUp(): void {
    if (this.lookup !== null || this.env.now() - this.foundMs <= this.config.rtmFreshMs / 2) return;
    this.lookUp();
  }

  /** A transaction went undecided past its voting period: an acceptor may be gone, look them up again. */
  forget(): void {
    this.foundMs = Number.NEGATIVE_INFINITY;
  }

  /** The rTMs, found by a lookup at most rtmFreshMs old; null once setupTimeoutMs of retries failed. */
  find(attempt: number, onFound: (rtms: NodeRef[] | null) => void): void {
    const fresh = this.env.now() - this.foundMs <= this.config.rtmFreshMs;
    const known = this.known();
    if (fresh && known !== null) {
      onFound(known);
      return;
    }
    if (this.lookup === null) this.lookUp();
    this.lookup?.push((ok) => this.afterLookup(ok, attempt, onFound));
  }

  /** The `txRtmRetry` timer: a commit waiting on a failed lookup tries again. */
  onRetry(retry: number): void {
    const waiting = this.retries.get(retry);
    this.retries.delete(retry);
    if (waiting !== undefined) this.find(waiting.attempt, waiting.onFound);
  }

  private afterLookup(ok: boolean, attempt: number, onFound: (rtms: NodeRef[] | null) => void): void {
    if (ok) onFound(this.known());
    else if ((attempt + 1) * this.config.voteTimeoutMs >= this.config.setupTimeoutMs) onFound(null);
    else {
      const retry = this.sequence.nextRetry();
      this.retries.set(retry, { attempt: attempt + 1, onFound });
      this.env.setTimer(this.config.voteTimeoutMs, { type: "txRtmRetry", retry });
    }
  }

  /** Every rTM, if each was found once (a copy), else null. */
  private known(): NodeRef[] | null {
    const out: NodeRef[] = [];
    for (const rtm of this.rtms) {
      if (rtm === null) return null;
      out.push(rtm);
    }
    return out;
  }

  private lookUp(): void {
    const waiting: ((ok: boolean) => void)[] = [];
    this.lookup = waiting;
    const f = this.config.replication;
    const step = this.ids.size / BigInt(f);
    const startedMs = this.env.now();
    let missing = f - 1;
    let failed = false;
    for (let j = 1; j < f; j++) {
      this.ring.lookup(this.ids.add(this.ring.self.id, step * BigInt(j)), (result) => {
        if (result.ok) this.rtms[j - 1] = result.responsible;
        else failed = true;
        if (--missing > 0) return;
        if (!failed) this.foundMs = startedMs;
        this.lookup = null;
        for (const onDone of waiting) onDone(!failed);
      });
    }
  }
}
