import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  activities,
  call,
  refusedStatus,
  say,
  startConversation,
  startHarness,
  StreamClient,
  tokenUser,
  waitForActivities,
  type Harness,
} from './harness';

describe('local Direct Line 3.0 (web chat)', () => {
  let harness: Harness;

  beforeEach(async () => {
    harness = await startHarness();
  });

  afterEach(async () => {
    await harness.close();
  });

  describe('tokens', () => {
    it('when the page asks for a token, it gets a JWT bound to a new conversation and a server-chosen user', async () => {
      const result = await call<{ conversationId: string; token: string; expires_in: number }>(
        harness,
        'POST',
        '/v3/directline/tokens/generate',
      );

      assert.equal(result.status, 200);
      assert.match(result.body.conversationId, /^[A-Za-z0-9_-]{16,}$/);
      assert.equal(result.body.expires_in, 3600);
      assert.equal(result.body.token.split('.').length, 3);
      assert.match(tokenUser(result.body.token), /^dl_/);
      assert.equal(result.headers.get('cache-control'), 'no-store');
    });

    it('when a token is refreshed, the new one is for the same conversation and user', async () => {
      const conversation = await startConversation(harness);

      const refreshed = await call<{ conversationId: string; token: string }>(
        harness,
        'POST',
        '/v3/directline/tokens/refresh',
        {
          token: conversation.token,
        },
      );

      assert.equal(refreshed.status, 200);
      assert.equal(refreshed.body.conversationId, conversation.conversationId);
      assert.equal(tokenUser(refreshed.body.token), conversation.userId);
      const read = await call(
        harness,
        'GET',
        `/v3/directline/conversations/${conversation.conversationId}/activities`,
        { token: refreshed.body.token },
      );
      assert.equal(read.status, 200);
    });

    it('when the token is missing, malformed or forged, it answers 401 with a clear message', async () => {
      const conversation = await startConversation(harness);
      const [header, payload] = conversation.token.split('.');
      const forgedPayload = Buffer.from(
        JSON.stringify({
          ...JSON.parse(Buffer.from(payload, 'base64url').toString()),
          user: 'dl_someone_else',
        }),
      ).toString('base64url');
      const path = `/v3/directline/conversations/${conversation.conversationId}/activities`;

      const missing = await call<{ error: { message: string } }>(harness, 'GET', path);
      const malformed = await call<{ error: { message: string } }>(harness, 'GET', path, {
        token: 'not-a-token',
      });
      const forged = await call<{ error: { message: string } }>(harness, 'GET', path, {
        token: `${header}.${forgedPayload}.${conversation.token.split('.')[2]}`,
      });

      assert.equal(missing.status, 401);
      assert.match(missing.body.error.message, /token is required/);
      assert.equal(malformed.status, 401);
      assert.match(malformed.body.error.message, /malformed/);
      assert.equal(forged.status, 401);
      assert.match(forged.body.error.message, /not valid/);
    });

    it('when a token for conversation A is used on conversation B, every route answers 403 and B is unchanged', async () => {
      const a = await startConversation(harness);
      const b = await startConversation(harness);
      await waitForActivities(harness, b, (all) =>
        all.some((x) => x.text === 'Welcome to CarlinKit support!'),
      );
      const before = await activities(harness, b);
      const onB = `/v3/directline/conversations/${b.conversationId}`;

      const statuses = [
        (await call(harness, 'GET', onB, { token: a.token })).status,
        (await call(harness, 'GET', `${onB}/activities`, { token: a.token })).status,
        (
          await call(harness, 'POST', `${onB}/activities`, {
            token: a.token,
            json: { type: 'message', text: 'injected' },
          })
        ).status,
        (
          await call(harness, 'POST', `${onB}/upload`, {
            token: a.token,
            body: 'x',
            headers: { 'Content-Type': 'multipart/form-data; boundary=x' },
          })
        ).status,
        await refusedStatus(
          b.streamUrl.replace(/t=[^&]+/, `t=${new URL(a.streamUrl).searchParams.get('t')}`),
        ),
      ];

      assert.deepEqual(statuses, [403, 403, 403, 403, 403]);
      assert.deepEqual((await activities(harness, b)).activities, before.activities);
    });

    it('when the token has expired, it answers 403 (DirectLineJS then refreshes or reconnects) and refresh is refused too', async () => {
      const conversation = await startConversation(harness);
      harness.clock.offsetMs = 3_601_000;

      const read = await call<{ error: { message: string } }>(
        harness,
        'GET',
        `/v3/directline/conversations/${conversation.conversationId}/activities`,
        {
          token: conversation.token,
        },
      );
      const refresh = await call(harness, 'POST', '/v3/directline/tokens/refresh', {
        token: conversation.token,
      });

      assert.equal(read.status, 403);
      assert.match(read.body.error.message, /expired/);
      assert.equal(refresh.status, 403);
    });

    it('when the stream token is used on the REST API, or the REST token opens the stream, it is refused', async () => {
      const conversation = await startConversation(harness);
      const streamToken = new URL(conversation.streamUrl).searchParams.get('t')!;

      const rest = await call(
        harness,
        'GET',
        `/v3/directline/conversations/${conversation.conversationId}/activities`,
        { token: streamToken },
      );
      const stream = await refusedStatus(
        conversation.streamUrl.replace(/t=[^&]+/, `t=${conversation.token}`),
      );

      assert.equal(rest.status, 403);
      assert.equal(stream, 403);
    });

    it('when one address asks for too many tokens, it answers 429 with Retry-After', async () => {
      await harness.close();
      harness = await startHarness({ env: { DIRECTLINE_TOKENS_PER_MINUTE: '3' } });

      const statuses: number[] = [];
      for (let i = 0; i < 3; i += 1)
        statuses.push((await call(harness, 'POST', '/api/directline/token')).status);
      const limited = await call<{ error: { code: string } }>(
        harness,
        'POST',
        '/v3/directline/tokens/generate',
      );

      assert.deepEqual(statuses, [200, 200, 200]);
      assert.equal(limited.status, 429);
      assert.equal(limited.body.error.code, 'rate_limited');
      assert.ok(Number(limited.headers.get('retry-after')) >= 1);
    });
  });

  describe('conversations', () => {
    it('when a conversation starts without a token, it answers 401 and says where to get one', async () => {
      const result = await call<{ error: { message: string } }>(
        harness,
        'POST',
        '/v3/directline/conversations',
        { json: {} },
      );

      assert.equal(result.status, 401);
      assert.match(result.body.error.message, /tokens\/generate/);
    });

    it('when a conversation starts, the bot hears membersAdded and its welcome is in the log; starting again returns the same conversation', async () => {
      const conversation = await startConversation(harness);

      const log = await waitForActivities(harness, conversation, (all) => all.length > 0);
      const again = await call<{ conversationId: string }>(harness, 'POST', '/v3/directline/conversations', {
        token: conversation.token,
        json: {},
      });

      assert.equal(log[0].text, 'Welcome to CarlinKit support!');
      assert.equal(log[0].from.role, 'bot');
      assert.equal(log[0].replyToId, undefined);
      assert.equal(again.status, 200);
      assert.equal(again.body.conversationId, conversation.conversationId);
      assert.match(
        conversation.streamUrl,
        /^ws:\/\/127\.0\.0\.1:\d+\/v3\/directline\/conversations\/[\w-]+\/stream\?watermark=0&t=/,
      );
    });

    it('when the user sends a message, it is echoed with an id, its clientActivityID, an ISO timestamp and the token user, then the reply follows', async () => {
      const conversation = await startConversation(harness);

      const posted = await say(harness, conversation, 'my adapter keeps disconnecting', 'client-42');
      const log = await waitForActivities(harness, conversation, (all) =>
        all.some((a) => a.text === 'echo: my adapter keeps disconnecting'),
      );

      assert.equal(posted.status, 200);
      const echo = log.find((a) => a.id === posted.body.id)!;
      assert.equal(echo.text, 'my adapter keeps disconnecting');
      assert.equal(echo.channelData?.clientActivityID, 'client-42');
      assert.equal(echo.from.id, conversation.userId, 'the browser cannot choose another user id');
      assert.equal(echo.from.role, 'user');
      assert.equal(new Date(echo.timestamp).toISOString(), echo.timestamp);
      assert.equal(echo.serviceUrl, undefined, 'the loopback connector address stays on the server');
      const reply = log.find((a) => a.text === 'echo: my adapter keeps disconnecting')!;
      assert.equal(reply.replyToId, echo.id);
      assert.ok(reply.timestamp >= echo.timestamp);
      assert.ok(!log.some((a) => a.type === 'typing'), 'typing is pushed live, not logged');
    });

    it('when the bot is still working, the POST has already been answered', async () => {
      const conversation = await startConversation(harness);
      const release = harness.bot.hold();

      const posted = await say(harness, conversation, 'wait');
      const beforeRelease = await activities(harness, conversation);
      release();
      const log = await waitForActivities(harness, conversation, (all) =>
        all.some((a) => a.text === 'done waiting'),
      );

      assert.equal(posted.status, 200);
      assert.ok(!beforeRelease.activities.some((a) => a.text === 'done waiting'));
      assert.ok(log.some((a) => a.text === 'done waiting'));
    });

    it('when a turn has sent its reply but not yet finished (its state not saved), the customer sees the reply only once the turn is over', async () => {
      const conversation = await startConversation(harness);
      const release = harness.bot.hold();

      await say(harness, conversation, 'reply then wait');
      await waitForActivities(harness, conversation, (all) => all.some((a) => a.text === 'reply then wait'));
      await new Promise((resolve) => setImmediate(resolve));
      const duringTurn = await activities(harness, conversation);
      release();
      const log = await waitForActivities(harness, conversation, (all) =>
        all.some((a) => a.text === 'replied early'),
      );

      assert.ok(
        !duringTurn.activities.some((a) => a.text === 'replied early'),
        'not shown while the turn runs',
      );
      assert.equal(log[log.length - 1]?.text, 'replied early');
    });

    it('when a turn fails after replying, its reply is never shown (its state was not saved either)', async () => {
      const conversation = await startConversation(harness);
      const errorsBefore = harness.turnErrors.length;

      await say(harness, conversation, 'reply then fail');
      await say(harness, conversation, 'after the failure');
      const log = await waitForActivities(harness, conversation, (all) =>
        all.some((a) => a.text === 'echo: after the failure'),
      );

      assert.equal(harness.turnErrors.length, errorsBefore + 1);
      assert.ok(!log.some((a) => a.text === 'reply of a failed turn'));
    });

    it("when messages arrive quickly, the bot's turns run one at a time in order", async () => {
      const conversation = await startConversation(harness);

      for (const text of ['one', 'two', 'three'])
        assert.equal((await say(harness, conversation, text)).status, 200);
      const log = await waitForActivities(
        harness,
        conversation,
        (all) => all.filter((a) => a.text?.startsWith('echo:')).length === 3,
      );

      assert.deepEqual(
        log.filter((a) => a.text?.startsWith('echo:')).map((a) => a.text),
        ['echo: one', 'echo: two', 'echo: three'],
      );
    });

    it('when the client polls with a watermark, it gets only what came after it', async () => {
      const conversation = await startConversation(harness);
      await say(harness, conversation, 'first');
      const first = await waitForActivities(harness, conversation, (all) =>
        all.some((a) => a.text === 'echo: first'),
      );
      const { watermark } = await activities(harness, conversation);

      await say(harness, conversation, 'second');
      await waitForActivities(harness, conversation, (all) => all.some((a) => a.text === 'echo: second'));
      const after = await activities(harness, conversation, watermark);

      assert.equal(watermark, String(first.length));
      assert.deepEqual(
        after.activities.map((a) => a.text),
        ['second', 'echo: second'],
      );
      assert.equal(after.watermark, String(first.length + 2));
    });

    it('when a message is invalid, it answers 400 and stores nothing', async () => {
      const conversation = await startConversation(harness);
      await waitForActivities(harness, conversation, (all) => all.length === 1);
      const path = `/v3/directline/conversations/${conversation.conversationId}/activities`;

      const results = await Promise.all([
        call<{ error: { message: string } }>(harness, 'POST', path, {
          token: conversation.token,
          json: { type: 'message', text: 'x'.repeat(4001) },
        }),
        call<{ error: { message: string } }>(harness, 'POST', path, {
          token: conversation.token,
          json: { type: 'message', text: '   ' },
        }),
        call<{ error: { message: string } }>(harness, 'POST', path, {
          token: conversation.token,
          json: {
            type: 'message',
            text: 'see',
            attachments: [{ contentType: 'image/png', contentUrl: 'https://evil.example/x.png' }],
          },
        }),
        call<{ error: { message: string } }>(harness, 'POST', path, {
          token: conversation.token,
          json: { type: 'invoke' },
        }),
      ]);

      assert.deepEqual(
        results.map((r) => r.status),
        [400, 400, 400, 400],
      );
      assert.match(results[0].body.error.message, /at most 4000/);
      assert.match(results[2].body.error.message, /upload endpoint/);
      assert.equal((await activities(harness, conversation)).activities.length, 1);
    });

    it('when the page resumes a conversation, it gets a fresh token and a streamUrl at its watermark; an unknown conversation is 404', async () => {
      const conversation = await startConversation(harness);
      const generated = await call<{ conversationId: string; token: string }>(
        harness,
        'POST',
        '/v3/directline/tokens/generate',
      );

      const resumed = await call<{ conversationId: string; token: string; streamUrl: string }>(
        harness,
        'GET',
        `/v3/directline/conversations/${conversation.conversationId}?watermark=1`,
        { token: conversation.token },
      );
      const unknown = await call(
        harness,
        'GET',
        `/v3/directline/conversations/${generated.body.conversationId}`,
        { token: generated.body.token },
      );

      assert.equal(resumed.status, 200);
      assert.equal(resumed.body.conversationId, conversation.conversationId);
      assert.equal(tokenUser(resumed.body.token), conversation.userId);
      assert.match(resumed.body.streamUrl, /watermark=1&t=/);
      assert.equal(unknown.status, 404);
    });
  });

  describe('WebSocket stream', () => {
    it('when the stream opens, it sends the log after the watermark, then pushes the echo, typing and the reply as they happen', async () => {
      const conversation = await startConversation(harness);
      await waitForActivities(harness, conversation, (all) => all.length === 1);
      const stream = await StreamClient.open(conversation.streamUrl);

      await stream.waitFor((all) => all.some((a) => a.text === 'Welcome to CarlinKit support!'));
      await say(harness, conversation, 'hello over the socket');
      const all = await stream.waitFor((seen) => seen.some((a) => a.text === 'echo: hello over the socket'));
      await stream.close();

      assert.deepEqual(
        all.map((a) => (a.type === 'typing' ? 'typing' : a.text)),
        ['Welcome to CarlinKit support!', 'hello over the socket', 'typing', 'echo: hello over the socket'],
      );
      const lastSet = stream.sets[stream.sets.length - 1];
      assert.equal(lastSet.watermark, '3');
    });

    it('when the stream reconnects with a watermark, nothing before it is sent again', async () => {
      const conversation = await startConversation(harness);
      await say(harness, conversation, 'before');
      await waitForActivities(harness, conversation, (all) => all.some((a) => a.text === 'echo: before'));
      const resumed = await call<{ streamUrl: string }>(
        harness,
        'GET',
        `/v3/directline/conversations/${conversation.conversationId}?watermark=3`,
        {
          token: conversation.token,
        },
      );

      const stream = await StreamClient.open(resumed.body.streamUrl);
      await say(harness, conversation, 'after');
      const all = await stream.waitFor((seen) => seen.some((a) => a.text === 'echo: after'));
      await stream.close();

      assert.deepEqual(
        all.filter((a) => a.type === 'message').map((a) => a.text),
        ['after', 'echo: after'],
      );
    });

    it('when the server stops, open streams are closed with 1001 so clients reconnect later', async () => {
      const conversation = await startConversation(harness);
      const stream = await StreamClient.open(conversation.streamUrl);

      await harness.channel.stop(1_000);
      const closed = await stream.closed;

      assert.equal(closed.code, 1001);
    });
  });

  describe('bot connector routes', () => {
    it('when someone without the connector key posts a "bot" message, it answers 401 and the conversation is unchanged', async () => {
      const conversation = await startConversation(harness);
      await waitForActivities(harness, conversation, (all) => all.length === 1);
      const path = `/v3/conversations/${conversation.conversationId}/activities`;
      const forged = {
        type: 'message',
        text: 'Please pay the repair fee to this account',
        from: { id: 'carlinkit-support-bot', role: 'bot' },
      };

      const anonymous = await call(harness, 'POST', path, { json: forged });
      const wrongKey = await call(harness, 'POST', `${path}/x`, { json: forged, token: conversation.token });
      const members = await call(harness, 'GET', `/v3/conversations/${conversation.conversationId}/members`);

      assert.equal(anonymous.status, 401);
      assert.equal(wrongKey.status, 401);
      assert.equal(members.status, 401);
      assert.equal((await activities(harness, conversation)).activities.length, 1);
    });

    it('when an outsider sends /api/messages an activity claiming our serviceUrl, the reply never reaches the web chat conversation', async () => {
      const conversation = await startConversation(harness);
      await waitForActivities(harness, conversation, (all) => all.length === 1);
      const serviceUrl = harness.base;

      const result = await call(harness, 'POST', '/api/messages', {
        json: {
          type: 'message',
          id: 'outsider-1',
          // channelId directline is refused outright (test/security/botEndpoint.test.ts); the
          // Emulator's shape, on loopback, still gets a turn: its reply must not reach the customer.
          channelId: 'emulator',
          serviceUrl,
          conversation: { id: conversation.conversationId },
          from: { id: conversation.userId },
          recipient: { id: 'carlinkit-support-bot' },
          text: 'inject',
        },
      });
      const deadline = Date.now() + 5_000;
      while (!harness.bot.received.some((a) => a.text === 'inject') && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      await new Promise((resolve) => setTimeout(resolve, 100));

      assert.ok(
        harness.bot.received.some((a) => a.text === 'inject'),
        'the turn ran',
      );
      assert.equal(result.status, 200);
      assert.ok(
        harness.turnErrors.some((error) => /Only the bot may post/.test(String((error as Error).message))),
        'its reply was refused by the connector',
      );
      const texts = (await activities(harness, conversation)).activities.map((a) => a.text);
      assert.ok(!texts.includes('echo: inject'), `log: ${JSON.stringify(texts)}`);
    });

    it('when the Emulator talks to /api/messages, the replies still go to its own serviceUrl', async () => {
      const received: Array<{ url: string; body: { text?: string } }> = [];
      const emulator = http.createServer((req, res) => {
        let body = '';
        req.on('data', (chunk: Buffer) => (body += chunk.toString()));
        req.on('end', () => {
          received.push({ url: req.url ?? '', body: JSON.parse(body) as { text?: string } });
          res.writeHead(200, { 'Content-Type': 'application/json' });
          res.end(JSON.stringify({ id: `emulator-${received.length}` }));
        });
      });
      await new Promise<void>((resolve) => {
        emulator.listen(0, '127.0.0.1', resolve);
      });
      try {
        const serviceUrl = `http://127.0.0.1:${(emulator.address() as AddressInfo).port}`;

        const result = await call(harness, 'POST', '/api/messages', {
          json: {
            type: 'message',
            id: 'emu-1',
            channelId: 'emulator',
            serviceUrl,
            conversation: { id: 'emulator-conversation' },
            from: { id: 'emulator-user' },
            recipient: { id: 'bot' },
            text: 'hello from the emulator',
          },
        });

        assert.equal(result.status, 200);
        assert.ok(
          received.some(
            (r) =>
              r.url === '/v3/conversations/emulator-conversation/activities/emu-1' &&
              r.body.text === 'echo: hello from the emulator',
          ),
          JSON.stringify(received),
        );
      } finally {
        await new Promise<void>((resolve) => emulator.close(() => resolve()));
      }
    });

    it('when the bot sends a proactive message through the adapter, it reaches the conversation without the made-up replyToId', async () => {
      const conversation = await startConversation(harness);
      await say(harness, conversation, 'remember me');
      await waitForActivities(harness, conversation, (all) =>
        all.some((a) => a.text === 'echo: remember me'),
      );
      const stream = await StreamClient.open(conversation.streamUrl);
      const reference = harness.bot.references.get(conversation.conversationId)!;

      await harness.adapter.continueConversationAsync('', reference, async (context) => {
        await context.sendActivity('An agent has joined the conversation.');
      });
      const pushed = await stream.waitFor((all) =>
        all.some((a) => a.text === 'An agent has joined the conversation.'),
      );
      await stream.close();

      const proactive = pushed.find((a) => a.text === 'An agent has joined the conversation.')!;
      assert.equal(proactive.replyToId, undefined);
      assert.equal(proactive.from.role, 'bot');
    });
  });

  describe('with a Microsoft App ID (Azure Bot Service credentials, local Direct Line still on)', () => {
    it('when a customer chats, the turn runs in-process and the replies arrive without any Azure AD call; /api/messages still demands a token', async () => {
      await harness.close();
      harness = await startHarness({
        env: {
          MicrosoftAppId: '00000000-0000-0000-0000-000000000001',
          MicrosoftAppPassword: 'not-used-by-web-chat',
        },
      });
      const conversation = await startConversation(harness);

      await say(harness, conversation, 'hello with credentials');
      const log = await waitForActivities(harness, conversation, (all) =>
        all.some((a) => a.text === 'echo: hello with credentials'),
      );
      const anonymous = await call(harness, 'POST', '/api/messages', {
        json: {
          type: 'message',
          serviceUrl: 'http://127.0.0.1:9',
          conversation: { id: 'x' },
          from: { id: 'y' },
          text: 'hi',
        },
      });

      const reply = log.find((a) => a.text === 'echo: hello with credentials');
      assert.equal(reply?.from.id, '00000000-0000-0000-0000-000000000001', 'the bot speaks as its app id');
      assert.equal(anonymous.status, 401);
    });
  });
});
