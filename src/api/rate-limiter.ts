// Requests per second per client (docs/api.md §6): a token bucket per client key (its token id, or
// its address when the cluster runs without tokens), refilled continuously; a request finding the
// bucket empty gets 429 with Retry-After. Buckets of clients gone quiet are dropped, so memory stays bounded.
const MAX_CLIENTS = 10_000;

export class RateLimiter {
  private readonly ratePerSec: number;
  private readonly burst: number;
  private readonly buckets = new Map<string, { tokens: number; atMs: number }>();

  constructor(ratePerSec: number) {
    this.ratePerSec = ratePerSec;
    this.burst = ratePerSec * 2;
  }

  /** 0 if the request may go, else the seconds to wait. */
  take(client: string, nowMs: number): number {
    const bucket = this.buckets.get(client) ?? { tokens: this.burst, atMs: nowMs };
    bucket.tokens = Math.min(this.burst, bucket.tokens + ((nowMs - bucket.atMs) / 1000) * this.ratePerSec);
    bucket.atMs = nowMs;
    if (!this.buckets.has(client)) {
      if (this.buckets.size >= MAX_CLIENTS) this.evictFull(nowMs);
      this.buckets.set(client, bucket);
    }
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return Math.ceil((1 - bucket.tokens) / this.ratePerSec);
  }

  /** Drops the buckets that have refilled (their clients are idle); all of them if none has. */
  private evictFull(nowMs: number): void {
    for (const [client, b] of this.buckets)
      if (b.tokens + ((nowMs - b.atMs) / 1000) * this.ratePerSec >= this.burst) this.buckets.delete(client);
    if (this.buckets.size >= MAX_CLIENTS) this.buckets.clear();
  }
}
