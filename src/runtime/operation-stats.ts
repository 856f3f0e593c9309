// What a node counts of the operations it coordinates (docs/dashboard.md §4): single-key operations,
// request lists and transactions started here — how many completed and failed, and the latencies of the
// latest ones, from which /v1/status reports p50 and p99. Bounded: the last LATENCIES_KEPT latencies.
const LATENCIES_KEPT = 1024;

export interface OperationFigures {
  readonly completed: number;
  readonly failed: number;
  /** Over the latest LATENCIES_KEPT completed operations; null before the first. */
  readonly latencyP50Ms: number | null;
  readonly latencyP99Ms: number | null;
}

export class OperationStats {
  #completed = 0;
  #failed = 0;
  readonly #latenciesMs = new Float64Array(LATENCIES_KEPT);
  #next = 0;

  record(latencyMs: number, ok: boolean): void {
    if (!ok) {
      this.#failed++;
      return;
    }
    this.#completed++;
    this.#latenciesMs[this.#next] = latencyMs;
    this.#next = (this.#next + 1) % LATENCIES_KEPT;
  }

  figures(): OperationFigures {
    const kept = Math.min(this.#completed, LATENCIES_KEPT);
    const sorted = [...this.#latenciesMs.subarray(0, kept)].sort((a, b) => a - b);
    const at = (p: number) => {
      const v = sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
      return v === undefined ? null : Number(v.toFixed(3));
    };
    return {
      completed: this.#completed,
      failed: this.#failed,
      latencyP50Ms: at(0.5),
      latencyP99Ms: at(0.99),
    };
  }
}
