// The p-th percentile of an ascending list (nearest rank, docs/metrics.md §1), or null when it is empty:
// the one definition every scenario and benchmark uses for p50/p99.
export function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? null;
}
