import { strict as assert } from 'node:assert';
import { CloudAdapter } from 'botbuilder';
import type { Server } from 'restify';
import type { AppConfig } from '../../../src/config';
import { agentRoutes } from '../../../src/bot/routes/agentRoutes';
import { ticketRoutes } from '../../../src/bot/routes/ticketRoutes';
import { makeServer } from '../../../src/bot/server';
import { AgentAccounts } from '../../../src/services/agents/agentAccounts';
import { agentModel } from '../../../src/services/agents/agentModel';
import { AgentSessions } from '../../../src/services/agents/agentSessions';
import { PasswordHasher } from '../../../src/services/agents/passwordHasher';
import { agentSessionModel } from '../../../src/services/agents/sessionModel';
import { ticketModel } from '../../../src/services/tickets/ticketModel';
import type { TicketService } from '../../../src/services/tickets/ticketService';
import { FakeClock, makeTicketService, registration } from '../../fixtures/tickets';
import { memoryLogger } from '../../support/silentLogger';
import { startTestStore, type TestStore } from '../../support/testStore';

const PASSWORD = 'correct horse battery';
const BACKOFFICE_TOKEN = 'test-backoffice-token-0123456789abcdef';
const LIMITS = { perIpPerMinute: 6, perAccountPerMinute: 3 };
const SESSIONS = { idleMinutes: 30, maxHours: 8 };

function httpConfig(publicBaseUrl: string): AppConfig['http'] {
  return { port: 0, host: '127.0.0.1', publicBaseUrl, bodyLimitBytes: 65_536, shutdownTimeoutMs: 1_000 };
}

interface Reply {
  status: number;
  headers: Headers;
  body: { error?: { code: string; message: string; details?: { reason?: string } } } & Record<
    string,
    unknown
  >;
}

interface Signed {
  cookie: string;
  csrf: string;
  setCookie: string;
}

let ipCounter = 0;
/** Each test signs in from its own client address (TRUSTED_PROXIES=1 here), so per-IP limits don't leak between tests. */
const freshIp = (): string => `203.0.113.${(ipCounter += 1)}`;

describe('agent sign-in, sessions and CSRF over HTTP (/agent/api)', () => {
  let store: TestStore;
  let clock: FakeClock;
  let accounts: AgentAccounts;
  let sessions: AgentSessions;
  let tickets: TicketService;
  const servers: Server[] = [];
  let base: string;
  let ip: string;
  /** Each test starts a day after the last: the in-memory rate limiters refill, as they would. */
  let t0 = Date.parse('2026-12-01T09:00:00Z');

  async function start(publicBaseUrl: string): Promise<string> {
    const { logger } = memoryLogger();
    const http = httpConfig(publicBaseUrl);
    const { server } = makeServer({
      config: { http },
      logger,
      adapter: new CloudAdapter(),
      bot: { run: async () => {} },
      readiness: () => Promise.resolve({ ready: true, checks: {} }),
      registrars: [
        agentRoutes({
          accounts,
          sessions,
          config: { http, trustedProxies: { hops: 1 }, agentSessions: SESSIONS },
          logger,
          signInLimits: LIMITS,
          now: () => clock.now().getTime(),
        }),
        ticketRoutes({
          tickets,
          agentSessions: sessions,
          config: { backoffice: { token: BACKOFFICE_TOKEN }, http },
          logger,
        }),
      ],
    });
    await new Promise<void>((resolve) => {
      server.listen(0, '127.0.0.1', () => resolve());
    });
    servers.push(server);
    return `http://127.0.0.1:${server.address().port}`;
  }

  before(async () => {
    store = await startTestStore();
    clock = new FakeClock('2026-12-01T09:00:00Z');
    sessions = new AgentSessions({ connection: store.connection, settings: SESSIONS, clock });
    accounts = new AgentAccounts({
      connection: store.connection,
      sessions,
      hasher: new PasswordHasher({ N: 2 ** 12, r: 8, p: 1 }),
      clock,
    });
    await sessions.init();
    await accounts.init();
    ({ service: tickets } = makeTicketService(store.connection, { clock }));
    await tickets.init();
    base = await start('http://127.0.0.1');
  });

  after(async () => {
    for (const server of servers) {
      server.server.closeAllConnections();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
      });
    }
    await store.close();
  });

  beforeEach(async () => {
    await agentModel(store.connection).deleteMany({});
    await agentSessionModel(store.connection).deleteMany({});
    await ticketModel(store.connection).deleteMany({});
    t0 += 24 * 3_600_000;
    clock.set(new Date(t0));
    ip = freshIp();
    await accounts.add({ email: 'sam@example.com', name: 'Sam', role: 'agent', password: PASSWORD });
    await accounts.add({ email: 'lee@example.com', name: 'Lee', role: 'supervisor', password: PASSWORD });
  });

  async function call(
    method: string,
    path: string,
    options: {
      body?: unknown;
      raw?: string;
      cookie?: string;
      csrf?: string;
      headers?: Record<string, string>;
      at?: string;
      /** Another server's base URL (default: the suite's). */
      server?: string;
    } = {},
  ): Promise<Reply> {
    const headers: Record<string, string> = { 'x-forwarded-for': options.at ?? ip, ...options.headers };
    if (options.cookie !== undefined) headers.cookie = options.cookie;
    if (options.csrf !== undefined) headers['x-csrf-token'] = options.csrf;
    let payload: string | undefined = options.raw;
    if (options.body !== undefined) payload = JSON.stringify(options.body);
    if (payload !== undefined) headers['content-type'] ??= 'application/json';
    const response = await fetch(`${options.server ?? base}${path}`, {
      method,
      headers,
      body: payload,
    });
    const text = await response.text();
    return {
      status: response.status,
      headers: response.headers,
      body: text ? (JSON.parse(text) as Reply['body']) : {},
    };
  }

  async function signIn(email = 'sam@example.com', password = PASSWORD, at?: string): Promise<Signed> {
    const reply = await call('POST', '/agent/api/sign-in', {
      body: { email, password },
      ...(at ? { at } : {}),
    });
    assert.equal(reply.status, 200, JSON.stringify(reply.body));
    const setCookie = reply.headers.get('set-cookie') ?? '';
    const cookie = setCookie.split(';')[0];
    return { cookie, csrf: String(reply.body.csrfToken), setCookie };
  }

  const sessionCount = (): Promise<number> => agentSessionModel(store.connection).countDocuments({});

  describe('sign-in', () => {
    it('when the password is right, it sets an httpOnly, SameSite=Strict cookie on /agent and answers who and a CSRF token', async () => {
      const reply = await call('POST', '/agent/api/sign-in', {
        body: { email: ' Sam@Example.com', password: PASSWORD },
      });
      assert.equal(reply.status, 200);
      assert.deepEqual(reply.body.agent, {
        email: 'sam@example.com',
        name: 'Sam',
        role: 'agent',
        disabled: false,
        createdAt: new Date(t0).toISOString(),
        lastSignInAt: new Date(t0).toISOString(),
      });
      assert.match(String(reply.body.csrfToken), /^[A-Za-z0-9_-]{43}$/);
      assert.equal(reply.headers.get('cache-control'), 'no-store');
      const setCookie = reply.headers.get('set-cookie') ?? '';
      assert.match(setCookie, /^ck_agent=[A-Za-z0-9_-]{43}; /);
      for (const attribute of ['HttpOnly', 'SameSite=Strict', 'Path=/agent', `Max-Age=${8 * 3600}`])
        assert.ok(setCookie.split('; ').includes(attribute), `${attribute} in ${setCookie}`);
      assert.ok(!/Secure/.test(setCookie), 'no Secure over plain http');
      // Only the SHA-256 of the cookie is in the store.
      const token = setCookie.split(';')[0].split('=')[1];
      const [doc] = await agentSessionModel(store.connection).find({}).lean();
      assert.match(doc.tokenHash, /^[0-9a-f]{64}$/);
      assert.ok(!JSON.stringify(doc).includes(token));
    });

    it('when PUBLIC_BASE_URL is https, the cookie is also Secure', async () => {
      const httpsBase = await start('https://support.example.com');
      const reply = await call('POST', '/agent/api/sign-in', {
        body: { email: 'sam@example.com', password: PASSWORD },
        server: httpsBase,
      });
      assert.equal(reply.status, 200);
      assert.ok((reply.headers.get('set-cookie') ?? '').split('; ').includes('Secure'));
    });

    it('when the email is unknown or the password wrong, both get the same 401 and no session (the right password gets one)', async () => {
      const unknown = await call('POST', '/agent/api/sign-in', {
        body: { email: 'nobody@example.com', password: PASSWORD },
      });
      const wrong = await call('POST', '/agent/api/sign-in', {
        body: { email: 'sam@example.com', password: 'not the password' },
      });
      assert.equal(unknown.status, 401);
      assert.equal(wrong.status, 401);
      assert.deepEqual(unknown.body, wrong.body);
      assert.equal(unknown.headers.get('set-cookie'), null);
      assert.equal(await sessionCount(), 0);
      await signIn();
      assert.equal(await sessionCount(), 1);
    });

    for (const [what, options] of [
      ['no password', { body: { email: 'sam@example.com' } }],
      ['a body that is not an object', { body: ['sam@example.com', PASSWORD] }],
      ['a password of 2,000 characters', { body: { email: 'sam@example.com', password: 'x'.repeat(2000) } }],
      ['JSON that does not parse', { raw: '{"email":' }],
    ] as const) {
      it(`when the body has ${what}, it answers 400 with a message and creates no session`, async () => {
        const reply = await call('POST', '/agent/api/sign-in', options);
        assert.equal(reply.status, 400, JSON.stringify(reply.body));
        assert.equal(reply.body.error?.code, 'invalid_request');
        assert.ok((reply.body.error?.message ?? '').length > 0);
        assert.equal(await sessionCount(), 0);
      });
    }

    it('when the body is a form post (what a cross-site form could send), it answers 415 and creates no session', async () => {
      const reply = await call('POST', '/agent/api/sign-in', {
        raw: `email=sam%40example.com&password=${encodeURIComponent(PASSWORD)}`,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      });
      assert.equal(reply.status, 415);
      assert.equal(await sessionCount(), 0);
    });

    it('when one account gets more attempts a minute than allowed, even the right password answers 429 (another account still signs in)', async () => {
      for (let attempt = 0; attempt < LIMITS.perAccountPerMinute; attempt += 1) {
        const reply = await call('POST', '/agent/api/sign-in', {
          body: { email: 'sam@example.com', password: 'wrong password' },
          at: freshIp(),
        });
        assert.equal(reply.status, 401);
      }
      const limited = await call('POST', '/agent/api/sign-in', {
        body: { email: 'sam@example.com', password: PASSWORD },
        at: freshIp(),
      });
      assert.equal(limited.status, 429);
      assert.equal(limited.body.error?.code, 'rate_limited');
      assert.ok(Number(limited.headers.get('retry-after')) >= 1);
      assert.equal(await sessionCount(), 0);
      await signIn('lee@example.com');
      // A minute later the account may try again.
      clock.advance(60_000);
      await signIn('sam@example.com', PASSWORD, freshIp());
    });

    it('when an unknown email is tried too often, it is limited exactly like a real one', async () => {
      const answers: number[] = [];
      for (let attempt = 0; attempt <= LIMITS.perAccountPerMinute; attempt += 1) {
        const reply = await call('POST', '/agent/api/sign-in', {
          body: { email: 'ghost@example.com', password: 'guess' },
          at: freshIp(),
        });
        answers.push(reply.status);
      }
      assert.deepEqual(answers, [401, 401, 401, 429]);
    });

    it('when one client address tries many accounts, it answers 429 after the per-IP limit (another address still signs in)', async () => {
      for (let attempt = 0; attempt < LIMITS.perIpPerMinute; attempt += 1) {
        const reply = await call('POST', '/agent/api/sign-in', {
          body: { email: `guess${attempt}@example.com`, password: 'guess' },
        });
        assert.equal(reply.status, 401);
      }
      const limited = await call('POST', '/agent/api/sign-in', {
        body: { email: 'sam@example.com', password: PASSWORD },
      });
      assert.equal(limited.status, 429);
      assert.equal(await sessionCount(), 0);
      await signIn('sam@example.com', PASSWORD, freshIp());
    });
  });

  describe('GET /agent/api/session', () => {
    it('when there is no cookie, it answers 401; with the sign-in cookie, who is signed in and the same CSRF token', async () => {
      const anonymous = await call('GET', '/agent/api/session');
      assert.equal(anonymous.status, 401);
      assert.equal(anonymous.body.error?.code, 'unauthorized');
      // Neither the back-office token nor any other bearer token is an agent session.
      const bearer = await call('GET', '/agent/api/session', {
        headers: { authorization: `Bearer ${BACKOFFICE_TOKEN}` },
      });
      assert.equal(bearer.status, 401);
      const { cookie, csrf } = await signIn();
      const reply = await call('GET', '/agent/api/session', { cookie });
      assert.equal(reply.status, 200);
      assert.equal((reply.body.agent as { email: string }).email, 'sam@example.com');
      assert.equal(reply.body.csrfToken, csrf);
    });

    it('when the cookie is forged or malformed, it answers 401', async () => {
      await signIn();
      for (const cookie of ['ck_agent=' + 'A'.repeat(43), 'ck_agent=../../etc', 'ck_agent=']) {
        const reply = await call('GET', '/agent/api/session', { cookie });
        assert.equal(reply.status, 401, cookie);
      }
    });

    it('when the session was idle longer than AGENT_SESSION_IDLE_MINUTES, it answers 401 expired (activity keeps it alive)', async () => {
      const { cookie } = await signIn();
      clock.advance(25 * 60_000);
      assert.equal((await call('GET', '/agent/api/session', { cookie })).status, 200);
      clock.advance(25 * 60_000); // 50 min after sign-in, 25 after the last request
      assert.equal((await call('GET', '/agent/api/session', { cookie })).status, 200);
      clock.advance(31 * 60_000);
      const expired = await call('GET', '/agent/api/session', { cookie });
      assert.equal(expired.status, 401);
      assert.equal(expired.body.error?.details?.reason, 'expired');
      assert.equal(await sessionCount(), 0);
    });

    it('when AGENT_SESSION_MAX_HOURS have passed since sign-in, it answers 401 however active the agent was', async () => {
      const { cookie } = await signIn();
      for (let minutes = 20; minutes < 8 * 60; minutes += 20) {
        clock.set(new Date(t0 + minutes * 60_000));
        assert.equal((await call('GET', '/agent/api/session', { cookie })).status, 200, `at +${minutes} min`);
      }
      clock.set(new Date(t0 + 8 * 3_600_000));
      const expired = await call('GET', '/agent/api/session', { cookie });
      assert.equal(expired.status, 401);
      assert.equal(expired.body.error?.details?.reason, 'expired');
    });

    it('when the account is disabled, its live session answers 401 and sign-in 403 (wrong password: still 401)', async () => {
      const { cookie } = await signIn();
      assert.equal((await call('GET', '/agent/api/session', { cookie })).status, 200);
      await accounts.disable('sam@example.com');
      assert.equal((await call('GET', '/agent/api/session', { cookie })).status, 401);
      const refused = await call('POST', '/agent/api/sign-in', {
        body: { email: 'sam@example.com', password: PASSWORD },
      });
      assert.equal(refused.status, 403);
      assert.match(refused.body.error?.message ?? '', /disabled/);
      const wrong = await call('POST', '/agent/api/sign-in', {
        body: { email: 'sam@example.com', password: 'wrong password' },
      });
      assert.equal(wrong.status, 401);
      assert.equal(await sessionCount(), 0);
    });
  });

  describe('sign-out and CSRF', () => {
    it('when sign-out comes without the CSRF token, it answers 403 and the session lives; with it, 204 and the session is gone', async () => {
      const { cookie, csrf } = await signIn();
      const forged = await call('POST', '/agent/api/sign-out', { cookie });
      assert.equal(forged.status, 403);
      assert.equal(forged.body.error?.details?.reason, 'csrf');
      assert.equal((await call('GET', '/agent/api/session', { cookie })).status, 200);
      const out = await call('POST', '/agent/api/sign-out', { cookie, csrf });
      assert.equal(out.status, 204);
      assert.match(
        out.headers.get('set-cookie') ?? '',
        /^ck_agent=; Path=\/agent; HttpOnly; SameSite=Strict; Max-Age=0/,
      );
      assert.equal((await call('GET', '/agent/api/session', { cookie })).status, 401);
      assert.equal(await sessionCount(), 0);
    });

    it('when the CSRF token is another session’s (stale after a new sign-in), it answers 403', async () => {
      const first = await signIn();
      const second = await signIn('sam@example.com', PASSWORD);
      assert.notEqual(first.csrf, second.csrf);
      assert.equal(
        (await call('POST', '/agent/api/sign-out', { cookie: second.cookie, csrf: first.csrf })).status,
        403,
      );
      assert.equal(
        (await call('POST', '/agent/api/sign-out', { cookie: second.cookie, csrf: second.csrf })).status,
        204,
      );
    });

    it('when two instances share the store, a session from one works on the other, and sign-out on one ends it on both', async () => {
      const other = await start('http://127.0.0.1');
      const { cookie, csrf } = await signIn();
      const there = await call('GET', '/agent/api/session', { cookie, server: other });
      assert.equal(there.status, 200);
      assert.equal(there.body.csrfToken, csrf);
      assert.equal((await call('POST', '/agent/api/sign-out', { cookie, csrf, server: other })).status, 204);
      assert.equal((await call('GET', '/agent/api/session', { cookie })).status, 401);
    });

    it('when a browser signs in again with its old cookie, the old session ends', async () => {
      const first = await signIn();
      const reply = await call('POST', '/agent/api/sign-in', {
        body: { email: 'sam@example.com', password: PASSWORD },
        cookie: first.cookie,
      });
      assert.equal(reply.status, 200);
      assert.equal((await call('GET', '/agent/api/session', { cookie: first.cookie })).status, 401);
      assert.equal(await sessionCount(), 1);
    });
  });

  describe('roles', () => {
    it('when an agent asks for the list of accounts, it answers 403; a supervisor gets it, without password hashes', async () => {
      const agent = await signIn('sam@example.com');
      const forbidden = await call('GET', '/agent/api/agents', { cookie: agent.cookie });
      assert.equal(forbidden.status, 403);
      assert.equal(forbidden.body.error?.code, 'forbidden');
      const supervisor = await signIn('lee@example.com');
      const reply = await call('GET', '/agent/api/agents', { cookie: supervisor.cookie });
      assert.equal(reply.status, 200);
      assert.deepEqual(
        (reply.body.agents as Array<{ email: string }>).map((row) => row.email),
        ['lee@example.com', 'sam@example.com'],
      );
      assert.ok(!JSON.stringify(reply.body).includes('scrypt'));
      assert.equal((await call('GET', '/agent/api/agents')).status, 401);
    });
  });

  describe('back office (/api/tickets and /agent/api/tickets) with an agent session', () => {
    const newTicket = () =>
      tickets.register(registration(), {
        idempotencyKey: `k-${Math.random().toString(36).slice(2)}`,
        actor: 'customer',
      });
    const historyActors = async (ticketNumber: string): Promise<string[]> =>
      ((await ticketModel(store.connection).findOne({ ticketNumber }).lean())?.history ?? []).map(
        (entry) => entry.actor,
      );

    it('when an agent is signed in, it can list tickets under both prefixes; without a session or token, 401', async () => {
      const { cookie } = await signIn();
      await newTicket();
      for (const path of ['/agent/api/tickets', '/api/tickets']) {
        const reply = await call('GET', path, { cookie });
        assert.equal(reply.status, 200, path);
        assert.equal((reply.body.items as unknown[]).length, 1);
        assert.equal((await call('GET', path)).status, 401, `${path} anonymous`);
      }
    });

    it('when an agent acts on a ticket with the CSRF token, the history names the agent’s email, not X-Actor', async () => {
      const { cookie, csrf } = await signIn();
      const ticket = await newTicket();
      const reply = await call('POST', `/agent/api/tickets/${ticket.ticketNumber}/review`, {
        cookie,
        csrf,
        body: {},
        headers: { 'x-actor': 'mallory' },
      });
      assert.equal(reply.status, 200, JSON.stringify(reply.body));
      assert.deepEqual(await historyActors(ticket.ticketNumber), ['customer', 'agent:sam@example.com']);
    });

    it('when an agent acts on a ticket without the CSRF token (or with a forged one), it answers 403 and the ticket is unchanged', async () => {
      const { cookie } = await signIn();
      const ticket = await newTicket();
      for (const csrf of [undefined, 'forged-token']) {
        const reply = await call('POST', `/agent/api/tickets/${ticket.ticketNumber}/review`, {
          cookie,
          body: {},
          ...(csrf ? { csrf } : {}),
        });
        assert.equal(reply.status, 403);
      }
      const created = await call('POST', '/api/tickets', {
        cookie,
        body: registration(),
        headers: { 'idempotency-key': 'csrf-less' },
      });
      assert.equal(created.status, 403);
      assert.equal(await ticketModel(store.connection).countDocuments({}), 1);
      assert.deepEqual(await historyActors(ticket.ticketNumber), ['customer']);
    });

    it('when an agent’s session expired, a ticket action answers 401 and changes nothing', async () => {
      const { cookie, csrf } = await signIn();
      const ticket = await newTicket();
      clock.advance(31 * 60_000);
      const reply = await call('POST', `/agent/api/tickets/${ticket.ticketNumber}/review`, {
        cookie,
        csrf,
        body: {},
      });
      assert.equal(reply.status, 401);
      assert.deepEqual(await historyActors(ticket.ticketNumber), ['customer']);
    });

    it('when the bearer token is sent, it still works with X-Actor as the actor', async () => {
      const ticket = await newTicket();
      const reply = await call('POST', `/api/tickets/${ticket.ticketNumber}/review`, {
        body: {},
        headers: { authorization: `Bearer ${BACKOFFICE_TOKEN}`, 'x-actor': 'mei' },
      });
      assert.equal(reply.status, 200);
      assert.deepEqual(await historyActors(ticket.ticketNumber), ['customer', 'agent:mei']);
    });
  });
});
