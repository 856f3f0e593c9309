// A doubling back-off for a repair step that a node may take again and again on the same evidence
// (the ring merge's detections from local marks, docs/ring-merge.md §7, M19): the first try for a
// key runs at once, each further try for the same key waits twice as long, and a new key starts
// over. Time is passed in (sans-I/O); it remembers one key, the latest.
export class Backoff {
  private readonly baseMs: number;
  private readonly maxDoublings: number;
  private key: string | null = null;
  private tries = 0;
  private nextAtMs = Number.NEGATIVE_INFINITY;

  constructor(baseMs: number, maxDoublings: number) {
    this.baseMs = baseMs;
    this.maxDoublings = maxDoublings;
  }

  /** Whether the step for `key` may run at `nowMs`; if so, the next try for it waits longer. */
  tryNow(key: string, nowMs: number): boolean {
    if (key !== this.key) {
      this.key = key;
      this.tries = 0;
      this.nextAtMs = Number.NEGATIVE_INFINITY;
    }
    if (nowMs < this.nextAtMs) return false;
    this.nextAtMs = nowMs + this.baseMs * 2 ** Math.min(this.tries, this.maxDoublings);
    this.tries++;
    return true;
  }
}
