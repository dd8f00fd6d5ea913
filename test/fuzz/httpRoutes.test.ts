import { strict as assert } from 'node:assert';
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import twilio from 'twilio';
import { createApp, type App } from '../../src/app';
import { loadConfig } from '../../src/config';
import { registration } from '../fixtures/tickets';
import { FakeTwilioApi } from '../support/fakeTwilio';
import { recordFigures } from '../faults/support/report';
import { memoryLogger } from '../support/silentLogger';
import { startTestStore, type TestStore } from '../support/testStore';

const ACCOUNT_SID = `AC${'a'.repeat(32)}`;
const AUTH_TOKEN = 'fuzz-auth-token-0123456789abcdef';
const FROM_NUMBER = '+15005550006';
const BACKOFFICE_TOKEN = 'fuzz-backoffice-token-0123456789';
/** Seeded and bounded: the same cases on every run, quick enough for npm test. */
const SEED = Number(process.env.FUZZ_SEED ?? 1414);
const RUNS = Number(process.env.FUZZ_RUNS ?? 25);

/** Values that reach queries, templates and parsers: operators, markup, odd Unicode, wrong types. */
const nasty = fc.oneof(
  fc.constantFrom(
    { $ne: null },
    { $gt: '' },
    { $where: 'sleep(1000)' },
    { $regex: '.*' },
    ['$ne', 1],
    '<script>alert(1)</script>',
    '"><img src=x onerror=alert(1)>',
    '\u0000',
    '\uD800',
    '\u202E\u0645\u0631\u062D\u0628\u0627',
    'Z\u0351\u0352\u0357\u0358\u0359\u035A\u035B',
    '👩‍👩‍👧‍👦'.repeat(50),
    '$set',
    '__proto__',
    'constructor',
    'CK-AAAAAAAA',
    -1,
    1e308,
    Number.NaN,
    true,
    null,
    '',
    'x'.repeat(70_000),
  ),
  fc.string({ unit: 'binary', maxLength: 60 }),
  fc.integer(),
  fc.jsonValue({ maxDepth: 3 }),
);
const nastyObject = fc.dictionary(
  fc.oneof(
    fc.string({ maxLength: 12 }),
    fc.constantFrom(
      '$where',
      '$set',
      '__proto__',
      'type',
      'text',
      'from',
      'conversation',
      'channelId',
      'serviceUrl',
    ),
  ),
  nasty,
  { maxKeys: 8 },
);

interface Snapshot {
  [collection: string]: string;
}

describe('Fuzzing the HTTP routes with hostile input (fast-check, seeded)', function () {
  this.timeout(120_000);
  let store: TestStore;
  let fake: FakeTwilioApi;
  let app: App;
  let dataDir: string;
  let base: string;
  let logLines: string[];
  let dlToken: string;
  let dlConversation: string;
  let ticketNumber: string;
  const figures = { requests: 0, byStatus: new Map<number, number>() };

  /** Every collection's documents, hashed: compared around requests that must not write. */
  async function snapshot(): Promise<Snapshot> {
    const db = store.connection.db!;
    const result: Snapshot = {};
    for (const { name } of await db.listCollections().toArray()) {
      const docs = await db.collection(name).find({}).sort({ _id: 1 }).toArray();
      result[name] = createHash('sha256').update(JSON.stringify(docs)).digest('hex');
    }
    return result;
  }

  async function send(
    method: string,
    pathname: string,
    options: { body?: string; headers?: Record<string, string> } = {},
  ): Promise<{ status: number; text: string }> {
    const before = await snapshot();
    const res = await fetch(`${base}${pathname}`, {
      method,
      headers: options.headers ?? {},
      ...(options.body !== undefined ? { body: options.body } : {}),
    });
    const text = await res.text();
    figures.requests += 1;
    figures.byStatus.set(res.status, (figures.byStatus.get(res.status) ?? 0) + 1);
    assert.ok(
      res.status < 500,
      `${method} ${pathname.slice(0, 120)} answered ${res.status}: ${text.slice(0, 300)}`,
    );
    if (res.status >= 400) {
      assert.match(text, /"message"|^$/, 'a 4xx says why');
      assert.deepEqual(
        await snapshot(),
        before,
        `${method} ${pathname.slice(0, 120)} → ${res.status} wrote to the store`,
      );
    }
    return { status: res.status, text };
  }

  const json = (value: unknown): string => {
    try {
      return JSON.stringify(value) ?? 'null';
    } catch {
      return '{}';
    }
  };

  before(async () => {
    store = await startTestStore();
    fake = await FakeTwilioApi.start({ accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN });
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'fuzz-'));
    const logger = memoryLogger();
    logLines = logger.lines;
    app = await createApp(
      loadConfig({
        NODE_ENV: 'test',
        LOG_LEVEL: 'silent',
        DATA_DIR: dataDir,
        MONGODB_URI: store.uri,
        PUBLIC_BASE_URL: 'https://bot.example.com',
        TWILIO_ACCOUNT_SID: ACCOUNT_SID,
        TWILIO_AUTH_TOKEN: AUTH_TOKEN,
        TWILIO_FROM_NUMBER: FROM_NUMBER,
        TWILIO_API_BASE_URL: fake.baseUrl,
        BACKOFFICE_TOKEN,
        DIRECTLINE_TOKENS_PER_MINUTE: '100000',
        DIRECTLINE_TOKENS_PER_MINUTE_GLOBAL: '100000',
        WEBCHAT_MAX_MESSAGES: '100000',
      }),
      { logger: logger.logger },
    );
    const address = await app.listen(0, '127.0.0.1');
    base = `http://127.0.0.1:${address.port}`;
    const generated = (await (
      await fetch(`${base}/v3/directline/tokens/generate`, { method: 'POST' })
    ).json()) as {
      token: string;
    };
    const started = (await (
      await fetch(`${base}/v3/directline/conversations`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${generated.token}` },
      })
    ).json()) as { conversationId: string; token: string };
    dlToken = started.token;
    dlConversation = started.conversationId;
    const created = await fetch(`${base}/api/tickets`, {
      method: 'POST',
      headers: {
        Authorization: `Bearer ${BACKOFFICE_TOKEN}`,
        'Content-Type': 'application/json',
        'Idempotency-Key': 'fuzz-seed-ticket',
        'X-Actor': 'fuzz',
      },
      body: JSON.stringify(registration()),
    });
    ticketNumber = ((await created.json()) as { ticketNumber: string }).ticketNumber;
  });

  after(async () => {
    const statuses = [...figures.byStatus.entries()].sort(([a], [b]) => a - b);
    process.stdout.write(
      `      ${figures.requests} hostile requests (seed ${SEED}); statuses ${statuses.map(([status, count]) => `${status}×${count}`).join(', ')}\n`,
    );
    // Only when asked (npm run test:fuzz): a plain npm test leaves the working tree alone.
    if (process.env.RELIABILITY_REPORT) {
      recordFigures('fuzz', 'httpRoutes', {
        seed: SEED,
        requests: figures.requests,
        statuses: Object.fromEntries(statuses),
        serverErrors: statuses.filter(([status]) => status >= 500).reduce((sum, [, count]) => sum + count, 0),
      });
    }
    await app.stop();
    await fake.close();
    await store.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  afterEach(() => {
    const failures = logLines.filter((line) => /"level":(50|60)/.test(line));
    assert.deepEqual(failures, [], 'nothing logged at error level (no 500, no crash)');
  });

  it('when /api/messages gets any JSON (wrong types, operators, markup), it never answers 5xx and a refusal writes nothing', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(nasty, nastyObject), async (body) => {
        await send('POST', '/api/messages', {
          body: json(body),
          headers: { 'Content-Type': 'application/json' },
        });
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it('when /api/sms gets forms with any fields, unsigned or signed, it never answers 5xx and a refusal writes nothing', async () => {
    const field = fc.oneof(
      fc.string({ maxLength: 40 }),
      fc.constantFrom('$ne', '[$ne]=1', '<script>', '\u0000', 'x'.repeat(5000)),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.dictionary(
          fc.constantFrom(
            'MessageSid',
            'AccountSid',
            'From',
            'To',
            'Body',
            'NumMedia',
            'MediaUrl0',
            'MediaContentType0',
            'OptOutType',
            'From[$ne]',
            'x',
          ),
          field,
        ),
        fc.boolean(),
        async (params, signed) => {
          const headers: Record<string, string> = { 'Content-Type': 'application/x-www-form-urlencoded' };
          if (signed)
            headers['X-Twilio-Signature'] = twilio.getExpectedTwilioSignature(
              AUTH_TOKEN,
              'https://bot.example.com/api/sms',
              params,
            );
          const { status } = await send('POST', '/api/sms', {
            body: new URLSearchParams(params).toString(),
            headers,
          });
          if (!signed) assert.equal(status, 403);
        },
      ),
      { seed: SEED, numRuns: RUNS * 2 },
    );
  });

  it('when the Direct Line routes get hostile bodies, tokens and watermarks, they never answer 5xx and a refusal writes nothing', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(nasty, nastyObject),
        fc.oneof(fc.constant(dlToken), fc.string({ maxLength: 80 }), fc.constant(`${dlToken}x`)),
        fc.oneof(
          fc.string({ maxLength: 20 }),
          fc.constantFrom('-1', '1e309', '[$ne]', '99999999999999999999'),
        ),
        async (body, token, watermark) => {
          const auth = { Authorization: `Bearer ${token}` };
          await send('POST', `/v3/directline/conversations/${dlConversation}/activities`, {
            body: json(body),
            headers: { ...auth, 'Content-Type': 'application/json' },
          });
          await send(
            'GET',
            `/v3/directline/conversations/${dlConversation}/activities?watermark=${encodeURIComponent(watermark)}`,
            { headers: auth },
          );
          await send(
            'GET',
            `/v3/directline/conversations/${encodeURIComponent(String(watermark))}?watermark=${encodeURIComponent(watermark)}`,
            { headers: auth },
          );
        },
      ),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it('when the back office gets hostile queries and bodies ($ operators in every field), it never answers 5xx and a refusal writes nothing', async () => {
    const auth = {
      Authorization: `Bearer ${BACKOFFICE_TOKEN}`,
      'X-Actor': 'fuzz',
      'Content-Type': 'application/json',
    };
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(
          'q',
          'status',
          'phone',
          'page',
          'pageSize',
          'q[$ne]',
          'status[$in][]',
          'phone[$regex]',
          '__proto__[x]',
        ),
        fc.oneof(fc.string({ maxLength: 40 }), fc.constantFrom('.*', '$ne', '(a+)+$', 'submitted,$ne')),
        fc.oneof(nasty, nastyObject),
        fc.constantFrom('review', 'approve', 'reject', 'receive', 'quote', 'ship', 'cancel', 'close'),
        async (key, value, body, action) => {
          await send(
            'GET',
            `/api/tickets?${encodeURIComponent(key).replace(/%5B/g, '[').replace(/%5D/g, ']')}=${encodeURIComponent(value)}`,
            { headers: auth },
          );
          await send('GET', `/api/tickets/${encodeURIComponent(value)}`, { headers: auth });
          await send('POST', '/api/tickets', {
            body: json(body),
            headers: { ...auth, 'Idempotency-Key': `fuzz-${value}` },
          });
          await send('POST', `/api/tickets/${ticketNumber}/${action}`, { body: json(body), headers: auth });
        },
      ),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it('when bodies are huge, deeply nested, not JSON or truncated multipart, it answers 4xx and writes nothing', async () => {
    const dlAuth = { Authorization: `Bearer ${dlToken}` };
    const deep = `${'['.repeat(20_000)}${']'.repeat(20_000)}`;
    const deepObject = `${'{"a":'.repeat(5_000)}1${'}'.repeat(5_000)}`;
    const cases: Array<[string, string, string, Record<string, string>]> = [
      ['POST', '/api/messages', 'x'.repeat(3 * 1024 * 1024), { 'Content-Type': 'application/json' }],
      ['POST', '/api/messages', deep, { 'Content-Type': 'application/json' }],
      ['POST', '/api/messages', deepObject, { 'Content-Type': 'application/json' }],
      ['POST', '/api/messages', '{"type":"message",', { 'Content-Type': 'application/json' }],
      [
        'POST',
        `/v3/directline/conversations/${dlConversation}/activities`,
        deepObject,
        { ...dlAuth, 'Content-Type': 'application/json' },
      ],
      [
        'POST',
        '/api/tickets',
        deep,
        {
          Authorization: `Bearer ${BACKOFFICE_TOKEN}`,
          'X-Actor': 'fuzz',
          'Idempotency-Key': 'deep',
          'Content-Type': 'application/json',
        },
      ],
      [
        'POST',
        '/api/sms',
        `Body=${'%'.repeat(10)}&From=${'+1'.repeat(20_000)}`,
        { 'Content-Type': 'application/x-www-form-urlencoded', 'X-Twilio-Signature': 'x' },
      ],
      [
        'POST',
        `/v3/directline/conversations/${dlConversation}/upload?userId=u`,
        '--b\r\nContent-Disposition: form-data; name="file"; filename="a.jpg"\r\nContent-Type: image/jpeg\r\n\r\n\xff\xd8\xff\xe0',
        { ...dlAuth, 'Content-Type': 'multipart/form-data; boundary=b' },
      ],
      [
        'POST',
        `/v3/directline/conversations/${dlConversation}/upload?userId=u`,
        '--b\r\nContent-Disp',
        { ...dlAuth, 'Content-Type': 'multipart/form-data; boundary=b' },
      ],
      [
        'POST',
        `/v3/directline/conversations/${dlConversation}/upload?userId=u`,
        'not multipart',
        { ...dlAuth, 'Content-Type': 'multipart/form-data' },
      ],
    ];
    for (const [method, pathname, body, headers] of cases) {
      const { status } = await send(method, pathname, { body, headers });
      assert.ok(status >= 400, `${pathname}: a malformed body is refused (got ${status})`);
    }
    // Positive control: the same routes accept a well-formed request.
    const ok = await send('POST', `/v3/directline/conversations/${dlConversation}/activities`, {
      body: JSON.stringify({ type: 'message', text: 'how long does a repair take?' }),
      headers: { ...dlAuth, 'Content-Type': 'application/json' },
    });
    assert.equal(ok.status, 200);
  });
});
