import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { call, startHarness, tokenUser, type Harness } from './harness';

interface FakeAzure {
  endpoint: string;
  requests: Array<{ method: string; url: string; authorization: string | undefined; body: string }>;
  respond: { status: number; body: string };
  close(): Promise<void>;
}

/** Azure Direct Line's token endpoint, faked at the HTTP boundary. */
async function startFakeAzure(): Promise<FakeAzure> {
  const fake: FakeAzure = {
    endpoint: '',
    requests: [],
    respond: {
      status: 200,
      body: JSON.stringify({
        conversationId: 'AzureConv123-us',
        token: 'azure.token.value',
        expires_in: 1800,
      }),
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      fake.requests.push({
        method: req.method ?? '',
        url: req.url ?? '',
        authorization: req.headers.authorization,
        body,
      });
      res.writeHead(fake.respond.status, { 'Content-Type': 'application/json' });
      res.end(fake.respond.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  fake.endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return fake;
}

describe('web chat with Azure Direct Line (production)', () => {
  let azure: FakeAzure;
  let harness: Harness;
  const secret = 'azure-directline-secret-never-for-browsers';

  beforeEach(async () => {
    azure = await startFakeAzure();
    harness = await startHarness({
      env: { AZURE_DIRECTLINE_SECRET: secret, AZURE_DIRECTLINE_ENDPOINT: azure.endpoint },
    });
  });

  afterEach(async () => {
    await harness.close();
    await azure.close();
  });

  it('when the page asks for a token, the server exchanges the secret with Azure and returns only the token and the Azure domain', async () => {
    const result = await call<Record<string, unknown>>(harness, 'POST', '/api/directline/token');

    assert.equal(result.status, 200);
    assert.deepEqual(result.body, {
      conversationId: 'AzureConv123-us',
      token: 'azure.token.value',
      expires_in: 1800,
      domain: `${azure.endpoint}/v3/directline`,
    });
    assert.ok(!JSON.stringify(result.body).includes(secret));
    assert.equal(azure.requests.length, 1);
    assert.equal(azure.requests[0].method, 'POST');
    assert.equal(azure.requests[0].url, '/v3/directline/tokens/generate');
    assert.equal(azure.requests[0].authorization, `Bearer ${secret}`);
    assert.match((JSON.parse(azure.requests[0].body) as { user: { id: string } }).user.id, /^dl_/);
  });

  it('when Azure refuses or answers nonsense, the page gets 503 with a message and no detail', async () => {
    azure.respond = { status: 403, body: '{"error":{"code":"BadArgument","message":"secret revoked"}}' };
    const refused = await call<{ error: { message: string } }>(harness, 'POST', '/api/directline/token');
    azure.respond = { status: 200, body: '<html>proxy error</html>' };
    const nonsense = await call<{ error: { message: string } }>(harness, 'POST', '/api/directline/token');

    assert.equal(refused.status, 503);
    assert.doesNotMatch(refused.body.error.message, /revoked/);
    assert.equal(nonsense.status, 503);
  });

  it('when Azure Direct Line is configured, the local endpoint and connector routes are off', async () => {
    const generate = await call(harness, 'POST', '/v3/directline/tokens/generate');
    const connector = await call(harness, 'POST', '/v3/conversations/x/activities', {
      json: { type: 'message' },
    });

    assert.equal(generate.status, 404);
    assert.equal(connector.status, 404);
    assert.equal(harness.channel.mode, 'azure');
  });
});

describe('web chat page token with the local Direct Line', () => {
  it('when the page asks for a token, it gets a local token and the Direct Line domain on the host it called', async () => {
    const harness = await startHarness();
    try {
      const result = await call<{ token: string; domain: string; conversationId: string }>(
        harness,
        'POST',
        '/api/directline/token',
      );

      assert.equal(result.status, 200);
      assert.equal(result.body.domain, `${harness.base}/v3/directline`);
      assert.match(tokenUser(result.body.token), /^dl_/);
    } finally {
      await harness.close();
    }
  });
});
