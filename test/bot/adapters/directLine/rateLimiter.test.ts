import assert from 'node:assert/strict';
import { RateLimiter } from '../../../../src/bot/adapters/directLine/rateLimiter';

describe('RateLimiter', () => {
  it('when a key uses its whole minute at once, the next call waits for a token to drip back', () => {
    let now = 0;
    const limiter = new RateLimiter(6, 6, () => now);

    const first = Array.from({ length: 6 }, () => limiter.take('10.0.0.1').allowed);
    const seventh = limiter.take('10.0.0.1');
    now += 10_000;
    const afterTenSeconds = limiter.take('10.0.0.1');

    assert.deepEqual(first, [true, true, true, true, true, true]);
    assert.deepEqual(seventh, { allowed: false, retryAfterSeconds: 10 });
    assert.equal(afterTenSeconds.allowed, true);
  });

  it('when another key asks, it has its own bucket', () => {
    const limiter = new RateLimiter(1, 1, () => 0);

    assert.equal(limiter.take('a').allowed, true);
    assert.equal(limiter.take('a').allowed, false);
    assert.equal(limiter.take('b').allowed, true);
  });

  it('when there are more keys than the cap, idle ones are forgotten', () => {
    let now = 0;
    const limiter = new RateLimiter(60, 60, () => now, 10);
    for (let i = 0; i < 10; i += 1) limiter.take(`k${i}`);
    now += 120_000;

    for (let i = 10; i < 20; i += 1) assert.equal(limiter.take(`k${i}`).allowed, true);
    assert.equal(limiter.take('k0').allowed, true);
  });
});
