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

  it('when the event loop is blocked, the limit drops towards the minimum, and recovers once it is quiet', async () => {
    const limiter = new LoadAwareLimiter({ max: 16, min: 1, targetDelayMs: 20, windowMs: 50 });
    limiter.start();
    try {
      const until = Date.now() + 600;
      while (Date.now() < until) {
        const spin = Date.now() + 40;
        while (Date.now() < spin); // block the loop, as a CPU-heavy turn would
        await sleep(1);
      }
      await sleep(60);
      assert.ok(limiter.currentLimit <= 4, `limit ${limiter.currentLimit}`);
      const deadline = Date.now() + 5_000;
      while (limiter.currentLimit < 12 && Date.now() < deadline) await sleep(50);
      assert.ok(limiter.currentLimit >= 12, `limit ${limiter.currentLimit}`);
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
