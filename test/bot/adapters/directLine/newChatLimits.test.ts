import assert from 'node:assert/strict';
import { call, startHarness, type Harness } from './harness';

/** The page's token request as it arrives through a reverse proxy on loopback. */
function newChat(harness: Harness, forwardedFor?: string) {
  return call<{ error?: { code: string; message: string }; token?: string }>(
    harness,
    'POST',
    '/api/directline/token',
    { headers: forwardedFor ? { 'X-Forwarded-For': forwardedFor } : {} },
  );
}

async function statuses(harness: Harness, forwardedFor: string, count: number): Promise<number[]> {
  const seen: number[] = [];
  for (let i = 0; i < count; i += 1) seen.push((await newChat(harness, forwardedFor)).status);
  return seen;
}

describe('new chat limits: per client address and overall', () => {
  let harness: Harness | undefined;

  afterEach(async () => {
    await harness?.close();
    harness = undefined;
  });

  it('when TRUSTED_PROXIES is unset, a client that makes up a new X-Forwarded-For each time still gets 429', async () => {
    harness = await startHarness({ env: { DIRECTLINE_TOKENS_PER_MINUTE: '2' } });

    const allowed = [
      (await newChat(harness, '198.51.100.1')).status,
      (await newChat(harness, '198.51.100.2')).status,
    ];
    const spoofed = await newChat(harness, '198.51.100.3');

    assert.deepEqual(allowed, [200, 200]);
    assert.equal(spoofed.status, 429);
    assert.equal(spoofed.body.token, undefined);
  });

  it('when behind one trusted proxy, one client over its limit gets 429 and another client behind the same proxy still starts a chat', async () => {
    harness = await startHarness({ env: { DIRECTLINE_TOKENS_PER_MINUTE: '2', TRUSTED_PROXIES: '1' } });

    const greedy = await statuses(harness, '198.51.100.7:50001', 3);
    const other = await newChat(harness, '203.0.113.20:50002');

    assert.deepEqual(greedy, [200, 200, 429]);
    assert.equal(other.status, 200);
    assert.ok(other.body.token);
  });

  it('when the proxies are given as CIDR ranges, the same holds and a client cannot pose as another through the header', async () => {
    harness = await startHarness({
      env: { DIRECTLINE_TOKENS_PER_MINUTE: '2', TRUSTED_PROXIES: '127.0.0.0/8, ::1' },
    });

    const greedy = await statuses(harness, '198.51.100.7', 2);
    // The client writes someone else's address first; the proxy appends the real one.
    const posing = await newChat(harness, '203.0.113.20, 198.51.100.7');
    const other = await newChat(harness, '203.0.113.20');

    assert.deepEqual(greedy, [200, 200]);
    assert.equal(posing.status, 429);
    assert.equal(other.status, 200);
  });

  it('when many addresses together pass DIRECTLINE_TOKENS_PER_MINUTE_GLOBAL, the next new chat gets 429 with Retry-After and no token', async () => {
    harness = await startHarness({
      env: { DIRECTLINE_TOKENS_PER_MINUTE_GLOBAL: '3', TRUSTED_PROXIES: '1' },
    });

    const first = [];
    for (const client of ['198.51.100.1', '198.51.100.2', '198.51.100.3'])
      first.push((await newChat(harness, client)).status);
    const fourth = await call<{ error?: { code: string; message: string }; token?: string }>(
      harness,
      'POST',
      '/v3/directline/tokens/generate',
      { headers: { 'X-Forwarded-For': '198.51.100.4' } },
    );

    assert.deepEqual(first, [200, 200, 200]);
    assert.equal(fourth.status, 429);
    assert.match(fourth.body.error?.message ?? '', /Many customers/);
    assert.ok(Number(fourth.headers.get('retry-after')) >= 1);
    assert.equal(fourth.body.token, undefined);
  });
});
