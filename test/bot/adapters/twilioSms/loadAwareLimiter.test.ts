import assert from 'node:assert/strict';
import { LoadAwareLimiter } from '../../../../src/bot/adapters/twilioSms/loadAwareLimiter';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('LoadAwareLimiter', () => {
  it('when the event loop keeps up, up to max tasks run at once and all finish', async () => {
    const limiter = new LoadAwareLimiter({ max: 3 });
    limiter.start();
    try {
      let running = 0;
      let peak = 0;
      const results = await Promise.all(
        Array.from({ length: 9 }, (_, index) =>
          limiter.run(async () => {
            running += 1;
            peak = Math.max(peak, running);
            await sleep(20);
            running -= 1;
            return index;
          }),
        ),
      );
      assert.deepEqual(results, [0, 1, 2, 3, 4, 5, 6, 7, 8]);
      assert.equal(peak, 3);
    } finally {
      limiter.stop();
    }
  });

  it('when the event loop is slow, the limit halves towards the minimum, and grows back by one a window once it is quiet', async () => {
    let delayMs = 50; // what the loop-delay monitor reports for each window
    const limiter = new LoadAwareLimiter({
      max: 16,
      min: 1,
      targetDelayMs: 20,
      windowMs: 5,
      loopDelay: () => delayMs,
    });
    limiter.start();
    try {
      const seen: number[] = [];
      while (limiter.currentLimit > 1) {
        await sleep(5);
        if (seen.at(-1) !== limiter.currentLimit) seen.push(limiter.currentLimit);
      }
      // Halving from 16: only powers of two on the way down.
      assert.ok(
        seen.every((limit) => [16, 8, 4, 2, 1].includes(limit)),
        seen.join(', '),
      );
      assert.equal(limiter.currentLimit, 1);

      delayMs = 15; // between half the target and the target: the limit holds
      await sleep(40);
      assert.equal(limiter.currentLimit, 1);

      delayMs = 2; // quiet
      while (limiter.currentLimit < 16) await sleep(5);
      assert.equal(limiter.currentLimit, 16);
    } finally {
      limiter.stop();
    }
  });

  it('when the limit is reached, further tasks wait for a slot and all still finish', async () => {
    const limiter = new LoadAwareLimiter({
      max: 4,
      min: 1,
      targetDelayMs: 20,
      windowMs: 5,
      loopDelay: () => 100,
    });
    limiter.start();
    try {
      while (limiter.currentLimit > 1) await sleep(5);
      let running = 0;
      let peak = 0;
      const results = await Promise.all(
        Array.from({ length: 5 }, (_, index) =>
          limiter.run(async () => {
            running += 1;
            peak = Math.max(peak, running);
            await sleep(5);
            running -= 1;
            return index;
          }),
        ),
      );
      assert.deepEqual(results, [0, 1, 2, 3, 4]);
      assert.equal(peak, 1);
    } finally {
      limiter.stop();
    }
  });

  it('when a task fails, its slot is freed and the error reaches the caller', async () => {
    const limiter = new LoadAwareLimiter({ max: 1 });
    await assert.rejects(
      limiter.run(() => Promise.reject(new Error('boom'))),
      /boom/,
    );
    assert.equal(await limiter.run(() => Promise.resolve('next')), 'next');
  });
});
