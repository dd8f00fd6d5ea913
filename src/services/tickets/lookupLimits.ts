import type { Clock } from './clock';
import { LookupLimiter } from './lookupLimiter';

export interface LookupLimitsOptions {
  /** Failed lookups per 15 minutes by one caller (a conversation, an SMS number). Default 5. */
  perCaller?: number;
  /** …against one ticket number, whoever asks (stops guessing the phone for a known ticket). Default 10. */
  perTicket?: number;
  /** …from one client address (new conversations cost nothing; an address does). Default 20. */
  perClientAddress?: number;
  clock?: Clock;
}

/** Who is looking up which ticket. */
export interface LookupAttempt {
  callerKey: string;
  /** The normalised ticket number, when the input was one. */
  ticketNumber?: string;
  /** The client's address as the channel saw it (web chat); absent for SMS. */
  clientAddress?: string;
}

/**
 * The customer lookup's limits, on every key an attacker could otherwise rotate: the caller (free to
 * change: a new web chat conversation, a new caller id), the ticket number, and the client address.
 * A lookup is refused (RateLimitedError) while any of them is used up; a miss counts against all.
 */
export class TicketLookupLimits {
  private readonly limiters: ReadonlyArray<{
    limiter: LookupLimiter;
    keyOf: (attempt: LookupAttempt) => string | undefined;
  }>;

  constructor(options: LookupLimitsOptions = {}) {
    const clock = options.clock ? { clock: options.clock } : {};
    this.limiters = [
      {
        limiter: new LookupLimiter({ maxFailures: options.perCaller ?? 5, ...clock }),
        keyOf: (a) => a.callerKey,
      },
      {
        limiter: new LookupLimiter({ maxFailures: options.perTicket ?? 10, ...clock }),
        keyOf: (a) => a.ticketNumber,
      },
      {
        limiter: new LookupLimiter({ maxFailures: options.perClientAddress ?? 20, ...clock }),
        keyOf: (a) => a.clientAddress,
      },
    ];
  }

  /** Throws RateLimitedError when any of the attempt's keys has used up its failed lookups. */
  check(attempt: LookupAttempt): void {
    for (const { limiter, keyOf } of this.limiters) {
      const key = keyOf(attempt);
      if (key) limiter.check(key);
    }
  }

  recordFailure(attempt: LookupAttempt): void {
    for (const { limiter, keyOf } of this.limiters) {
      const key = keyOf(attempt);
      if (key) limiter.recordFailure(key);
    }
  }
}
