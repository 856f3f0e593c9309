// The replica store's bounds (docs/replication.md §3–§5): replication degree, how long a hand-over is
// waited for, how often a repair re-asks, and the anti-entropy period. Must not break: a hand-over is
// resent HANDOVER_ATTEMPTS times within handoverWaitMs, so every resend lands before the receiver's
// wait runs out (when the network delivers it in time).

export interface StoreConfig {
  /** Replication degree f (a power of two). */
  readonly replication: number;
  /** A hand-over that has not arrived after this is given up for a repair. */
  readonly handoverWaitMs: number;
  /** A repair re-asks what has not been answered after this. */
  readonly repairRetryMs: number;
  /** Anti-entropy round period (0: off). */
  readonly antiEntropyMs: number;
}

export const DEFAULT_STORE: StoreConfig = {
  replication: 4,
  handoverWaitMs: 5000,
  repairRetryMs: 3000,
  antiEntropyMs: 30_000,
};

/** A hand-over is sent this many times at most, before the receiver's wait runs out. */
export const HANDOVER_ATTEMPTS = 3;

/** The figures the replica store keeps for the metrics (replica maintenance per membership event). */
export interface StoreCounters {
  handoversSent: number;
  handoverItems: number;
  repairsStarted: number;
  repairsDone: number;
  repairAsks: number;
}

/** Replicas a majority needs: ⌊f/2⌋ + 1 (docs/register.md §1). */
export function majorityOf(f: number): number {
  return Math.floor(f / 2) + 1;
}
