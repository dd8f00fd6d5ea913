/**
 * A token bucket per key (a client IP): `ratePerMinute` sustained, bursts up to `burst`. Buckets
 * are pruned lazily, so there is no timer to stop.
 */
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; updatedAt: number }>();

  constructor(
    private readonly ratePerMinute: number,
    private readonly burst: number = ratePerMinute,
    private readonly now: () => number = () => Date.now(),
    private readonly maxKeys = 10_000,
  ) {}

  /** Takes one token; when there is none, says how many seconds until there will be. */
  take(key: string): { allowed: true } | { allowed: false; retryAfterSeconds: number } {
    const at = this.now();
    const perMs = this.ratePerMinute / 60_000;
    const bucket = this.buckets.get(key) ?? { tokens: this.burst, updatedAt: at };
    bucket.tokens = Math.min(this.burst, bucket.tokens + (at - bucket.updatedAt) * perMs);
    bucket.updatedAt = at;
    this.buckets.delete(key);
    this.buckets.set(key, bucket); // re-insert: the map stays ordered by last use, oldest first
    if (this.buckets.size > this.maxKeys) this.prune(at, perMs);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return { allowed: true };
    }
    return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - bucket.tokens) / perMs / 1000)) };
  }

  private prune(at: number, perMs: number): void {
    for (const [key, bucket] of this.buckets) {
      const full = bucket.tokens + (at - bucket.updatedAt) * perMs >= this.burst;
      if (full || this.buckets.size > this.maxKeys) this.buckets.delete(key);
      if (this.buckets.size <= this.maxKeys / 2) break;
    }
  }
}
