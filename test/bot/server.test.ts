import assert from 'node:assert/strict';
import { ActivityHandler, CloudAdapter, ConfigurationBotFrameworkAuthentication } from 'botbuilder';
import { loadConfig } from '../../src/config';
import { closeServer, makeServer, type SupportServer } from '../../src/bot/server';
import { memoryLogger } from '../support/silentLogger';

interface Running {
  base: string;
  turns: string[];
  /** The server's log lines (JSON); the logger logs at debug unless a test lowers it. */
  log: ReturnType<typeof memoryLogger>;
  close(): Promise<void>;
  support: SupportServer;
}

async function startServer(env: Record<string, string> = {}, ready = true): Promise<Running> {
  const config = loadConfig({ BODY_LIMIT_BYTES: '2048', ...env });
  const turns: string[] = [];
  const bot = new ActivityHandler();
  bot.onMessage(async (context, next) => {
    turns.push(context.activity.text ?? '');
    if (context.activity.text === 'fail') throw new Error('internal detail: connection string xyz');
    if (context.activity.deliveryMode === 'expectReplies') {
      const timestamp = context.activity.timestamp as unknown;
      await context.sendActivity(
        `you said ${context.activity.text ?? ''}${timestamp instanceof Date ? ` at ${timestamp.toISOString()}` : ''}`,
      );
    }
    await next();
  });
  const auth = new ConfigurationBotFrameworkAuthentication({ ...config.botAuth });
  const adapter = new CloudAdapter(auth);
  const log = memoryLogger();
  const support = makeServer({
    config,
    logger: log.logger,
    adapter,
    bot,
    readiness: () => Promise.resolve({ ready, checks: { store: ready } }),
  });
  await new Promise<void>((resolve) => {
    support.server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = support.server.address();
  return {
    base: `http://127.0.0.1:${port}`,
    turns,
    log,
    support,
    close: () =>
      new Promise<void>((resolve) => {
        support.server.close(() => resolve());
      }),
  };
}

const activity = (text: string): Record<string, unknown> => ({
  type: 'message',
  text,
  channelId: 'emulator',
  serviceUrl: 'http://127.0.0.1:9/never-called',
  from: { id: 'user-1' },
  recipient: { id: 'bot' },
  conversation: { id: 'conv-1' },
  deliveryMode: 'expectReplies',
});

describe('HTTP server', () => {
  let running: Running;
  afterEach(async () => running?.close());

  describe("POST /api/messages with the app's CloudAdapter", () => {
    it('when an activity arrives with expectReplies, it runs the turn with Date timestamps and returns the replies', async () => {
      running = await startServer({}, true);
      const res = await fetch(`${running.base}/api/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ ...activity('hello'), timestamp: '2026-03-12T02:00:00.000Z' }),
      });
      assert.equal(res.status, 200);
      const body = (await res.json()) as { activities: Array<{ text: string }> };
      assert.deepEqual(
        body.activities.map((reply) => reply.text),
        ['you said hello at 2026-03-12T02:00:00.000Z'],
      );
      assert.deepEqual(running.turns, ['hello']);
    });

    it('when an activity arrives for normal delivery, it runs the turn and answers 200 with no body', async () => {
      running = await startServer({}, true);
      const res = await fetch(`${running.base}/api/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ ...activity('hello'), deliveryMode: 'normal' }),
      });
      assert.equal(res.status, 200);
      assert.equal(await res.text(), '');
      assert.deepEqual(running.turns, ['hello']);
    });

    it('when logging at info, a turn answered 200 writes no request line; a refused one does', async () => {
      running = await startServer({}, true);
      running.log.logger.level = 'info';
      const post = (body: string): Promise<Response> =>
        fetch(`${running.base}/api/messages`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body,
        });
      assert.equal((await post(JSON.stringify(activity('hello')))).status, 200);
      assert.equal((await post('{"type": "message",')).status, 400);
      await new Promise((resolve) => setImmediate(resolve));
      const requests = running.log.lines
        .map((line) => JSON.parse(line) as { msg?: string; level?: string; status?: number })
        .filter((line) => line.msg === 'request');
      assert.deepEqual(
        requests.map((line) => [line.level, line.status]),
        [['info', 400]],
      );
    });

    it('when a turn fails and no turn-error handler catches it, it answers 500 with a generic JSON error, never the internal message', async () => {
      running = await startServer({}, true);
      const post = (text: string): Promise<Response> =>
        fetch(`${running.base}/api/messages`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(activity(text)),
        });
      assert.equal((await post('hello')).status, 200, 'the same request shape works when the turn succeeds');
      const res = await post('fail');
      assert.equal(res.status, 500);
      const text = await res.text();
      assert.doesNotMatch(text, /internal detail|xyz/);
      assert.deepEqual(JSON.parse(text), {
        error: { code: 'internal', message: 'Something went wrong on our side.' },
      });
      assert.deepEqual(running.turns, ['hello', 'fail']);
    });

    it('when a MicrosoftAppId is configured and the request has no valid token, it answers 401 with a JSON error and runs no turn', async () => {
      running = await startServer(
        {
          MicrosoftAppId: '00000000-0000-0000-0000-000000000001',
          MicrosoftAppPassword: 'not-a-real-password',
        },
        true,
      );
      for (const authorization of [undefined, 'Bearer not-a-jwt']) {
        const res = await fetch(`${running.base}/api/messages`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
          body: JSON.stringify({ ...activity('hi'), channelId: 'msteams' }),
        });
        assert.equal(res.status, 401, `with authorization ${String(authorization)}`);
        const body = (await res.json()) as { error: { code: string } };
        assert.equal(body.error.code, 'unauthorized');
      }
      assert.deepEqual(running.turns, []);
    });
  });

  it('when asked /healthz, it answers 200 while the process is up', async () => {
    running = await startServer();
    const res = await fetch(`${running.base}/healthz`);
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { status: 'ok' });
  });

  it('when the store is reachable, /readyz answers 200; when it is not, 503', async () => {
    running = await startServer({}, true);
    assert.equal((await fetch(`${running.base}/readyz`)).status, 200);
    await running.close();
    running = await startServer({}, false);
    const res = await fetch(`${running.base}/readyz`);
    assert.equal(res.status, 503);
    assert.deepEqual(await res.json(), { status: 'not_ready', checks: { store: false } });
  });

  it('when an activity arrives with expectReplies, it runs the turn and returns the replies', async () => {
    running = await startServer();
    const res = await fetch(`${running.base}/api/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(activity('hello')),
    });
    assert.equal(res.status, 200);
    const body = (await res.json()) as { activities: Array<{ text: string }> };
    assert.deepEqual(
      body.activities.map((reply) => reply.text),
      ['you said hello'],
    );
    assert.deepEqual(running.turns, ['hello']);
  });

  it('when the body is malformed JSON, it answers 400 with a message and runs no turn', async () => {
    running = await startServer();
    const res = await fetch(`${running.base}/api/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"type": "message",',
    });
    assert.equal(res.status, 400);
    const body = (await res.json()) as { error: { code: string; message: string } };
    assert.equal(body.error.code, 'invalid_request');
    assert.ok(body.error.message.length > 0);
    assert.deepEqual(running.turns, []);
  });

  it('when the body is JSON but not an activity, it answers 400 naming what is missing', async () => {
    running = await startServer();
    const res = await fetch(`${running.base}/api/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ text: 'no type' }),
    });
    assert.equal(res.status, 400);
    const body = (await res.json()) as { error: { message: string } };
    assert.match(body.error.message, /type/);
    assert.deepEqual(running.turns, []);
  });

  it('when the body is not JSON, it answers 415 with a JSON error and runs no turn', async () => {
    running = await startServer();
    const res = await fetch(`${running.base}/api/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'type=message&text=hi',
    });
    assert.equal(res.status, 415);
    const body = (await res.json()) as { error: { code: string } };
    assert.equal(body.error.code, 'invalid_request');
    assert.deepEqual(running.turns, []);
  });

  it('when the body is larger than the limit, it answers 413 and runs no turn', async () => {
    running = await startServer();
    const res = await fetch(`${running.base}/api/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(activity('x'.repeat(4096))),
    });
    assert.equal(res.status, 413);
    const body = (await res.json()) as { error: { code: string } };
    assert.equal(body.error.code, 'payload_too_large');
    assert.deepEqual(running.turns, []);
  });

  it('when the route is unknown, it answers 404 with a JSON error', async () => {
    running = await startServer();
    const res = await fetch(`${running.base}/nope`);
    assert.equal(res.status, 404);
    const body = (await res.json()) as { error: { code: string; message: string } };
    assert.deepEqual(body.error, { code: 'not_found', message: 'No route for GET /nope' });
  });

  it('when a MicrosoftAppId is configured and the request has no valid token, it answers 401 and runs no turn', async () => {
    running = await startServer({
      MicrosoftAppId: '00000000-0000-0000-0000-000000000001',
      MicrosoftAppPassword: 'not-a-real-password',
    });
    for (const authorization of [undefined, 'Bearer not-a-jwt']) {
      const res = await fetch(`${running.base}/api/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
        body: JSON.stringify({ ...activity('hi'), channelId: 'msteams' }),
      });
      assert.equal(res.status, 401, `with authorization ${String(authorization)}`);
    }
    assert.deepEqual(running.turns, []);
  });
});

describe('graceful close', () => {
  it('when a request is in flight, close waits for it to finish and refuses new connections meanwhile', async () => {
    const config = loadConfig({});
    const { logger } = memoryLogger();
    let release: () => void = () => undefined;
    const support = makeServer({
      config,
      logger,
      adapter: new CloudAdapter(new ConfigurationBotFrameworkAuthentication({})),
      bot: new ActivityHandler(),
      readiness: () => Promise.resolve({ ready: true, checks: {} }),
      registrars: [
        (server) =>
          server.get('/slow', (_req, res, next) => {
            release = () => {
              res.send(200, { done: true });
              next();
            };
          }),
      ],
    });
    await new Promise<void>((resolve) => {
      support.server.listen(0, '127.0.0.1', resolve);
    });
    const { port } = support.server.address();
    const slow = fetch(`http://127.0.0.1:${port}/slow`);
    while (support.inFlight.size === 0) await new Promise((resolve) => setTimeout(resolve, 5));

    const closing = closeServer(support, 5_000, logger);
    await assert.rejects(fetch(`http://127.0.0.1:${port}/healthz`));
    release();
    const res = await slow;
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { done: true });
    assert.equal(await closing, true);
  });

  it('when a request outlives the timeout, close gives up on it and says so', async () => {
    const config = loadConfig({});
    const { logger, lines } = memoryLogger();
    const support = makeServer({
      config,
      logger,
      adapter: new CloudAdapter(new ConfigurationBotFrameworkAuthentication({})),
      bot: new ActivityHandler(),
      readiness: () => Promise.resolve({ ready: true, checks: {} }),
      registrars: [(server) => server.get('/hang', (_req, _res, _next) => undefined)],
    });
    await new Promise<void>((resolve) => {
      support.server.listen(0, '127.0.0.1', resolve);
    });
    const { port } = support.server.address();
    const hanging = fetch(`http://127.0.0.1:${port}/hang`).catch((error: unknown) => error);
    while (support.inFlight.size === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    assert.equal(await closeServer(support, 50, logger), false);
    assert.ok(lines.some((line) => line.includes('still in flight')));
    assert.ok((await hanging) instanceof Error);
  });
});
