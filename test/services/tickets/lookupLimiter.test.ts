import { strict as assert } from 'node:assert';
import { RateLimitedError } from '../../../src/services/errors';
import { LookupLimiter } from '../../../src/services/tickets/lookupLimiter';

function fakeClock(start = '2026-11-16T02:00:00Z') {
  let now = new Date(start).getTime();
  return { now: () => new Date(now), advance: (ms: number) => (now += ms) };
}

describe('LookupLimiter', () => {
  it('when a caller has missed 5 times within 15 minutes, the next lookup is refused with the wait in seconds', () => {
    const clock = fakeClock();
    const limiter = new LookupLimiter({ clock });
    for (let miss = 0; miss < 5; miss += 1) {
      limiter.check('conv-1');
      limiter.recordFailure('conv-1');
      clock.advance(60_000);
    }
    assert.throws(
      () => limiter.check('conv-1'),
      (error: unknown) => {
        assert.ok(error instanceof RateLimitedError);
        // The first miss was 5 minutes ago: 10 minutes to go.
        assert.equal(error.retryAfterSeconds, 600);
        assert.match(error.message, /10 minutes/);
        return true;
      },
    );
    // Other callers are not affected.
    limiter.check('conv-2');
  });

  it('when the oldest miss leaves the window, the caller may try again', () => {
    const clock = fakeClock();
    const limiter = new LookupLimiter({ clock, maxFailures: 2, windowMs: 60_000 });
    limiter.recordFailure('c');
    clock.advance(10_000);
    limiter.recordFailure('c');
    assert.throws(() => limiter.check('c'), RateLimitedError);
    clock.advance(50_001);
    limiter.check('c');
  });

  it('when more callers than the cap have missed, the oldest are forgotten', () => {
    const limiter = new LookupLimiter({ clock: fakeClock(), maxFailures: 1, maxCallers: 2 });
    limiter.recordFailure('a');
    limiter.recordFailure('b');
    limiter.recordFailure('c');
    limiter.check('a');
    assert.throws(() => limiter.check('b'), RateLimitedError);
    assert.throws(() => limiter.check('c'), RateLimitedError);
  });
});
