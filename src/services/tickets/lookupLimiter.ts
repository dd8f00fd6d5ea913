import { RateLimitedError } from '../errors';
import { systemClock, type Clock } from './clock';

export interface LookupLimiterOptions {
  /** Failed lookups allowed per caller within the window (default 5). */
  maxFailures?: number;
  /** Default 15 minutes. */
  windowMs?: number;
  /** Callers remembered at most; the oldest are forgotten first (bounds memory under a flood). */
  maxCallers?: number;
  clock?: Clock;
}

/**
 * Limits failed customer lookups (ticket number + phone) per caller, so nobody can walk the ticket
 * numbers: after `maxFailures` misses in `windowMs`, every lookup by that caller is refused until the
 * oldest miss leaves the window, hits included (otherwise a lucky guess would still be answered).
 * A hit costs nothing. In memory: right for one instance; several instances each keep their own
 * count, which multiplies the allowance by the number of instances.
 */
export class LookupLimiter {
  private readonly failures = new Map<string, number[]>();
  private readonly maxFailures: number;
  private readonly windowMs: number;
  private readonly maxCallers: number;
  private readonly clock: Clock;

  constructor(options: LookupLimiterOptions = {}) {
    this.maxFailures = options.maxFailures ?? 5;
    this.windowMs = options.windowMs ?? 15 * 60_000;
    this.maxCallers = options.maxCallers ?? 100_000;
    this.clock = options.clock ?? systemClock;
  }

  /** Throws RateLimitedError when the caller has used up its failed lookups. */
  check(callerKey: string): void {
    const recent = this.recent(callerKey);
    if (recent.length >= this.maxFailures) {
      const retryAfterMs = recent[0] + this.windowMs - this.clock.now().getTime();
      const minutes = Math.max(1, Math.ceil(retryAfterMs / 60_000));
      throw new RateLimitedError(
        `Too many ticket lookups that did not match. Please try again in ${minutes} minute${minutes === 1 ? '' : 's'}.`,
        Math.max(1, Math.ceil(retryAfterMs / 1000)),
      );
    }
  }

  recordFailure(callerKey: string): void {
    const recent = this.recent(callerKey);
    recent.push(this.clock.now().getTime());
    // Re-insert so Map order is least-recently-failed first.
    this.failures.delete(callerKey);
    this.failures.set(callerKey, recent.slice(-this.maxFailures));
    while (this.failures.size > this.maxCallers) {
      const oldest = this.failures.keys().next().value;
      if (oldest === undefined) break;
      this.failures.delete(oldest);
    }
  }

  private recent(callerKey: string): number[] {
    const since = this.clock.now().getTime() - this.windowMs;
    const kept = (this.failures.get(callerKey) ?? []).filter((at) => at > since);
    if (kept.length === 0) this.failures.delete(callerKey);
    else this.failures.set(callerKey, kept);
    return kept;
  }
}
