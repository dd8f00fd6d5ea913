import { strict as assert } from 'node:assert';
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createApp, type App } from '../../src/app';
import { ConfigError, loadConfig } from '../../src/config';
import { BotEndpointGuard, isLoopbackAddress } from '../../src/bot/botEndpointGuard';
import { ForbiddenError } from '../../src/services/errors';
import { FakeTwilioApi } from '../support/fakeTwilio';
import { memoryLogger } from '../support/silentLogger';
import { messageSid, postSignedTwilioForm } from '../support/twilioWebhook';
import { say, startConversation, waitForActivities } from '../bot/adapters/directLine/harness';

const ACCOUNT_SID = `AC${'7'.repeat(32)}`;
const AUTH_TOKEN = 'bot-endpoint-test-auth-token';
const FROM_NUMBER = '+14155550177';
const PUBLIC_BASE_URL = 'https://bot.example.test';
const CUSTOMER = '+61412345678';

/** A host that is not loopback but reaches this machine: the first external interface's address. */
function externalAddress(): string {
  for (const addresses of Object.values(os.networkInterfaces())) {
    for (const address of addresses ?? []) {
      if (address.family === 'IPv4' && !address.internal) return address.address;
    }
  }
  throw new Error('these tests need a non-loopback IPv4 interface');
}

/** An HTTP listener that records every request it gets: where a refused serviceUrl would be called. */
class OutboundListener {
  private constructor(
    private readonly server: Server,
    readonly requests: Array<{ method: string; url: string }>,
  ) {}

  static async start(host: string, status = 200): Promise<OutboundListener> {
    const requests: OutboundListener['requests'] = [];
    const server = createServer((req: IncomingMessage, res) => {
      requests.push({ method: req.method ?? '', url: req.url ?? '' });
      req.resume();
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(status < 300 ? { id: 'sent' } : { error: { code: 'Unauthorized' } }));
    });
    await new Promise<void>((resolve) => server.listen(0, host, resolve));
    return new OutboundListener(server, requests);
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.closeAllConnections();
      this.server.close(() => resolve());
    });
  }
}

const settle = (ms = 300): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('POST /api/messages is for Bot Framework channels only', () => {
  let dataDir: string;
  let fake: FakeTwilioApi;
  let app: App;
  let base: string;
  let port: number;

  beforeEach(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'bot-endpoint-'));
    fake = await FakeTwilioApi.start({ accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN });
    const config = loadConfig({
      NODE_ENV: 'test',
      LOG_LEVEL: 'silent',
      DATA_DIR: dataDir,
      PUBLIC_BASE_URL,
      TWILIO_ACCOUNT_SID: ACCOUNT_SID,
      TWILIO_AUTH_TOKEN: AUTH_TOKEN,
      TWILIO_FROM_NUMBER: FROM_NUMBER,
      TWILIO_API_BASE_URL: fake.baseUrl,
    });
    app = await createApp(config, { logger: memoryLogger().logger });
    // Every interface, so a request can also come from a non-loopback address.
    const address = await app.listen(0, '0.0.0.0');
    port = address.port;
    base = `http://127.0.0.1:${port}`;
  });

  afterEach(async () => {
    await app.stop();
    await fake.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  const states = () => app.database.connection.collection<{ _id: string }>('botstate');
  const snapshot = async (): Promise<string> =>
    JSON.stringify(await states().find({}).sort({ _id: 1 }).toArray());

  const postActivity = (activity: Record<string, unknown>, host = '127.0.0.1'): Promise<Response> =>
    fetch(`http://${host}:${port}/api/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(activity),
    });

  const textAsCustomer = (body: string): Promise<Response> =>
    postSignedTwilioForm({
      localBaseUrl: base,
      publicBaseUrl: PUBLIC_BASE_URL,
      path: '/api/sms',
      authToken: AUTH_TOKEN,
      params: {
        MessageSid: messageSid(),
        AccountSid: ACCOUNT_SID,
        From: CUSTOMER,
        To: FROM_NUMBER,
        Body: body,
        NumMedia: '0',
      },
    });

  it("when an activity claims channelId sms with a customer's number and conversation id, it answers 403: no turn, no SMS, no state change", async () => {
    assert.equal((await textAsCustomer('I want to register a repair')).status, 200);
    await fake.waitForMessages(1, 10_000);
    await settle();
    const before = await snapshot();
    const sent = fake.messages.length;
    // The attack: anyone can compute sms- + SHA-256 of a number.
    const forged = {
      type: 'message',
      channelId: 'sms',
      serviceUrl: 'https://sms.channel.invalid/',
      from: { id: CUSTOMER },
      recipient: { id: FROM_NUMBER },
      conversation: { id: `sms-${createHash('sha256').update(CUSTOMER).digest('hex').slice(0, 32)}` },
      text: 'repair status',
    };
    for (const variant of [{ ...forged, deliveryMode: 'expectReplies' }, forged]) {
      const res = await postActivity(variant);
      assert.equal(res.status, 403);
      const body = (await res.json()) as { error: { code: string; message: string } };
      assert.equal(body.error.code, 'forbidden');
      assert.match(body.error.message, /Twilio webhook/);
      assert.doesNotMatch(JSON.stringify(body), /CK-|\+614/);
    }
    await settle();
    assert.equal(fake.messages.length, sent, 'no SMS sent');
    assert.equal(await snapshot(), before, 'no state changed');

    // Positive control: the customer's own signed SMS still runs a turn and is answered.
    assert.equal((await textAsCustomer('menu')).status, 200);
    await fake.waitForMessages(sent + 1, 10_000);
  });

  it("when an activity claims channelId directline with a web chat customer's conversation id, it answers 403 and the customer's state is untouched", async () => {
    const conversation = await startConversation({ base });
    await waitForActivities({ base }, conversation, (all) =>
      all.some((activity) => /CarlinKit support assistant/.test(activity.text ?? '')),
    );
    await say({ base }, conversation, 'I want to register a repair');
    await waitForActivities({ base }, conversation, (all) =>
      all.some((activity) => /register the repair/i.test(activity.text ?? '')),
    );
    await settle();
    const before = await snapshot();
    assert.match(before, new RegExp(conversation.conversationId.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
    const outsider = await OutboundListener.start('127.0.0.1', 401);
    try {
      for (const serviceUrl of [base, `http://127.0.0.1:${outsider.port}`]) {
        const res = await postActivity({
          type: 'message',
          channelId: 'directline',
          serviceUrl,
          from: { id: conversation.userId },
          recipient: { id: 'bot' },
          conversation: { id: conversation.conversationId },
          text: 'cancel',
        });
        assert.equal(res.status, 403);
      }
      await settle();
      assert.equal(await snapshot(), before, "the customer's dialog state is unchanged");
      assert.equal(outsider.requests.length, 0, 'no reply was attempted');
    } finally {
      await outsider.close();
    }
  });

  it('when the serviceUrl is not on loopback, it answers 403 and the bot makes no outbound request; on loopback the Emulator is answered', async () => {
    const host = externalAddress();
    const listener = await OutboundListener.start('0.0.0.0');
    try {
      const activity = (serviceUrl: string) => ({
        type: 'message',
        id: 'act-1',
        channelId: 'emulator',
        serviceUrl,
        from: { id: 'user-1' },
        recipient: { id: 'bot' },
        conversation: { id: 'emulator-conv-1' },
        text: 'hi',
      });
      const refused = await postActivity(activity(`http://${host}:${listener.port}/any/path`));
      assert.equal(refused.status, 403);
      assert.match(((await refused.json()) as { error: { message: string } }).error.message, /loopback/);
      await settle();
      assert.equal(listener.requests.length, 0, 'no request left the bot');
      assert.equal(await states().countDocuments({ _id: /emulator-conv-1/ }), 0, 'no turn ran');

      // Positive control: the same request with the Emulator's loopback serviceUrl runs and replies there.
      const accepted = await postActivity(activity(`http://127.0.0.1:${listener.port}`));
      assert.equal(accepted.status, 200);
      const deadline = Date.now() + 5_000;
      while (listener.requests.length === 0 && Date.now() < deadline) await settle(50);
      assert.ok(listener.requests.length > 0, 'the reply reached the loopback serviceUrl');
      assert.match(listener.requests[0]?.url ?? '', /^\/v3\/conversations\/emulator-conv-1\/activities/);
    } finally {
      await listener.close();
    }
  });

  it('when the request does not come from loopback (or came through a proxy), the Emulator shape is refused with 403', async () => {
    const activity = {
      type: 'message',
      channelId: 'emulator',
      serviceUrl: 'http://127.0.0.1:9',
      from: { id: 'user-1' },
      recipient: { id: 'bot' },
      conversation: { id: 'emulator-conv-2' },
      deliveryMode: 'expectReplies',
      text: 'hi',
    };
    assert.equal((await postActivity(activity, externalAddress())).status, 403);
    const proxied = await fetch(`${base}/api/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': '203.0.113.9' },
      body: JSON.stringify(activity),
    });
    assert.equal(proxied.status, 403);
    assert.equal(await states().countDocuments({ _id: /emulator-conv-2/ }), 0, 'no turn ran');
    // Positive control: from loopback, directly, it runs and the replies come back.
    const res = await postActivity(activity);
    assert.equal(res.status, 200);
    const body = (await res.json()) as { activities: Array<{ text?: string }> };
    assert.ok(body.activities.length > 0);
  });

  it('when a turn’s replies cannot be delivered, the conversation’s state is kept (not reset by the turn-error handler)', async () => {
    const refusing = await OutboundListener.start('127.0.0.1', 401);
    try {
      const activity = (text: string, extra: Record<string, unknown>) => ({
        type: 'message',
        channelId: 'emulator',
        from: { id: 'user-3' },
        recipient: { id: 'bot' },
        conversation: { id: 'emulator-conv-3' },
        text,
        ...extra,
      });
      const first = await postActivity(
        activity('I want to register a repair', {
          serviceUrl: 'http://127.0.0.1:9',
          deliveryMode: 'expectReplies',
        }),
      );
      assert.equal(first.status, 200);
      await settle();
      const before = await snapshot();
      assert.match(before, /emulator-conv-3/);

      const second = await postActivity(
        activity('cancel', { serviceUrl: `http://127.0.0.1:${refusing.port}`, id: 'act-2' }),
      );
      assert.equal(second.status, 200);
      const deadline = Date.now() + 5_000;
      while (refusing.requests.length === 0 && Date.now() < deadline) await settle(50);
      assert.ok(refusing.requests.length > 0, 'the turn ran and its reply was refused');
      await settle();
      assert.equal(await snapshot(), before, 'the conversation state survived the failed reply');
    } finally {
      await refusing.close();
    }
  });
});

describe('/api/messages in production', () => {
  it('when NODE_ENV is production without MicrosoftAppId, the config is refused unless BOT_ENDPOINT=off', () => {
    assert.throws(
      () => loadConfig({ NODE_ENV: 'production' }),
      (error: unknown) =>
        error instanceof ConfigError &&
        error.problems.some((problem) => /^MicrosoftAppId: .*BOT_ENDPOINT=off/.test(problem)),
    );
    assert.equal(loadConfig({ NODE_ENV: 'production', BOT_ENDPOINT: 'off' }).botEndpoint.enabled, false);
    const withAppId = loadConfig({
      NODE_ENV: 'production',
      MicrosoftAppId: '00000000-0000-0000-0000-000000000001',
      MicrosoftAppPassword: 'a-password',
    });
    assert.equal(withAppId.botEndpoint.enabled, true);
  });

  it('when BOT_ENDPOINT is off, the route does not exist (404) while the rest of the app runs', async () => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'bot-endpoint-off-'));
    const app = await createApp(
      loadConfig({ NODE_ENV: 'production', BOT_ENDPOINT: 'off', LOG_LEVEL: 'silent', DATA_DIR: dataDir }),
      { logger: memoryLogger().logger },
    );
    try {
      const { port } = await app.listen(0, '127.0.0.1');
      const res = await fetch(`http://127.0.0.1:${port}/api/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          type: 'message',
          channelId: 'emulator',
          serviceUrl: 'http://127.0.0.1:9',
          from: { id: 'u' },
          conversation: { id: 'c' },
          deliveryMode: 'expectReplies',
          text: 'hi',
        }),
      });
      assert.equal(res.status, 404);
      assert.equal((await fetch(`http://127.0.0.1:${port}/healthz`)).status, 200);
    } finally {
      await app.stop();
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it('with MicrosoftAppId, sms is still refused; directline only when web chat is Azure Direct Line; other channels go on to token checks', () => {
    const request = (channelId: string) => ({
      activity: { channelId, serviceUrl: 'https://smba.trafficmanager.net/emea/' },
      remoteAddress: '203.0.113.5',
      headers: {},
    });
    const local = new BotEndpointGuard({ appIdConfigured: true, azureDirectLine: false });
    const azure = new BotEndpointGuard({ appIdConfigured: true, azureDirectLine: true });
    for (const guard of [local, azure]) assert.throws(() => guard.check(request('SMS ')), ForbiddenError);
    assert.throws(() => local.check(request('directline')), ForbiddenError);
    assert.doesNotThrow(() => azure.check(request('directline')));
    assert.doesNotThrow(() => local.check(request('msteams')));
    // Without an app id, Azure Direct Line is no excuse: nobody vouches for the activity.
    assert.throws(
      () =>
        new BotEndpointGuard({ appIdConfigured: false, azureDirectLine: true }).check(request('directline')),
      ForbiddenError,
    );
  });

  it('loopback means 127.0.0.0/8 and ::1 (also IPv4-mapped), nothing else', () => {
    for (const address of ['127.0.0.1', '127.8.9.10', '::1', '::ffff:127.0.0.1', '[::1]'])
      assert.equal(isLoopbackAddress(address), true, address);
    for (const address of [
      '192.0.2.2',
      '10.0.0.1',
      '::ffff:10.0.0.1',
      'fd00::2',
      '',
      undefined,
      'localhost.evil',
    ])
      assert.equal(isLoopbackAddress(address), false, String(address));
  });
});
