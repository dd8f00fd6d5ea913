import { strict as assert } from 'node:assert';
import { agentModel } from '../../../src/services/agents/agentModel';
import { agentSessionModel } from '../../../src/services/agents/sessionModel';
import { AGENT_REPLY_MAX_CHARS } from '../../../src/bot/routes/agentConsoleRoutes';
import { FakeHandoff } from '../../support/fakeHandoff';
import {
  startConsoleHarness,
  type ConsoleHarness,
  type SignedInAgent,
} from '../../support/agentConsoleHarness';
import { startTestStore, type TestStore } from '../../support/testStore';

const CONVERSATION = 'conv-1';

/** Every state-changing console route, with a body it would accept. */
const ACTIONS: ReadonlyArray<[string, unknown]> = [
  ['claim', {}],
  ['take-over', {}],
  ['reply', { text: 'Hello, Sam here.' }],
  ['typing', {}],
  ['hand-back', {}],
  ['close', {}],
  ['transfer', { toAgentId: '0123456789abcdef01234567' }],
];

/** Every console read. */
const READS = [
  '/agent/api/queue',
  '/agent/api/conversations',
  `/agent/api/conversations/${CONVERSATION}`,
  '/agent/api/quick-replies',
  '/agent/api/colleagues',
  '/agent/api/supervisor/overview',
];

describe('agent console API and live socket: sessions, roles, CSRF (/agent/api)', () => {
  let store: TestStore;
  let handoff: FakeHandoff;
  let harness: ConsoleHarness;
  let sam: SignedInAgent;
  let kim: SignedInAgent;

  before(async () => {
    store = await startTestStore();
  });

  after(async () => {
    await store.close();
  });

  beforeEach(async () => {
    handoff = new FakeHandoff();
    harness = await startConsoleHarness(store, handoff);
    sam = await harness.signIn('sam@example.com');
    kim = await harness.signIn('kim@example.com');
    handoff.escalate(CONVERSATION, 'My adapter keeps disconnecting');
  });

  afterEach(async () => {
    await harness.close();
    await agentSessionModel(store.connection).deleteMany({});
    await agentModel(store.connection).deleteMany({});
  });

  const post = (action: string, agent: SignedInAgent | undefined, body: unknown, csrf?: string) =>
    harness.call('POST', `/agent/api/conversations/${CONVERSATION}/${action}`, {
      body,
      ...(agent ? { cookie: agent.cookie, csrf: csrf ?? agent.csrf } : {}),
    });

  describe('without a session', () => {
    for (const path of READS) {
      it(`when GET ${path} has no session cookie, it answers 401`, async () => {
        const reply = await harness.call('GET', path);
        assert.equal(reply.status, 401);
        assert.equal(reply.body.error?.code, 'unauthorized');
        // Positive control: the same read with a session is not refused for want of one.
        const signedIn = await harness.call('GET', path, {
          cookie: (await harness.signIn('lee@example.com')).cookie,
        });
        assert.equal(signedIn.status, 200, JSON.stringify(signedIn.body));
      });
    }

    for (const [action, body] of ACTIONS) {
      it(`when POST …/${action} has no session cookie, it answers 401 and changes nothing`, async () => {
        const reply = await post(action, undefined, body);
        assert.equal(reply.status, 401);
        assert.deepEqual(handoff.changes, []);
      });

      it(`when POST …/${action} carries a made-up session cookie, it answers 401 and changes nothing`, async () => {
        const reply = await harness.call('POST', `/agent/api/conversations/${CONVERSATION}/${action}`, {
          body,
          cookie: `ck_agent=${'A'.repeat(43)}`,
          csrf: sam.csrf,
        });
        assert.equal(reply.status, 401);
        assert.deepEqual(handoff.changes, []);
      });
    }
  });

  describe('CSRF', () => {
    for (const [action, body] of ACTIONS) {
      it(`when POST …/${action} has no X-CSRF-Token, a forged one, or another session's, it answers 403 and changes nothing`, async () => {
        const missing = await harness.call('POST', `/agent/api/conversations/${CONVERSATION}/${action}`, {
          body,
          cookie: sam.cookie,
        });
        const forged = await post(action, sam, body, 'x'.repeat(43));
        const others = await post(action, sam, body, kim.csrf);
        for (const reply of [missing, forged, others]) {
          assert.equal(reply.status, 403, JSON.stringify(reply.body));
          assert.deepEqual(reply.body.error?.details, { reason: 'csrf' });
        }
        assert.deepEqual(handoff.changes, []);
      });
    }

    it('when the agent signed in again, the old session and its CSRF token are refused (stale), the new ones work', async () => {
      const again = await harness.signIn('sam@example.com');
      const staleCsrf = await post('claim', { ...sam, cookie: again.cookie }, {}, sam.csrf);
      assert.equal(staleCsrf.status, 403);
      assert.deepEqual(handoff.changes, []);
      const fresh = await post('claim', again, {});
      assert.equal(fresh.status, 200, JSON.stringify(fresh.body));
      assert.deepEqual(handoff.changes, [`claim ${CONVERSATION}`]);
    });

    it('when the session was signed out, its cookie gets 401 and nothing changes', async () => {
      const out = await harness.call('POST', '/agent/api/sign-out', {
        body: {},
        cookie: sam.cookie,
        csrf: sam.csrf,
      });
      assert.equal(out.status, 204);
      const reply = await post('claim', sam, {});
      assert.equal(reply.status, 401);
      assert.deepEqual(handoff.changes, []);
    });

    it('when the session has expired (idle too long), it answers 401 with reason expired and changes nothing', async () => {
      harness.clock.advance(31 * 60_000);
      const reply = await post('claim', sam, {});
      assert.equal(reply.status, 401);
      assert.deepEqual(reply.body.error?.details, { reason: 'expired' });
      assert.deepEqual(handoff.changes, []);
    });

    it('when the account is disabled while signed in, it answers 401 and changes nothing', async () => {
      await harness.accounts.disable('sam@example.com');
      const reply = await post('claim', sam, {});
      assert.equal(reply.status, 401);
      assert.deepEqual(handoff.changes, []);
    });
  });

  describe('roles', () => {
    it('when an agent (not a supervisor) asks for the supervisor view, it answers 403; a supervisor gets it', async () => {
      const agent = await harness.call('GET', '/agent/api/supervisor/overview', { cookie: sam.cookie });
      assert.equal(agent.status, 403);
      const lee = await harness.signIn('lee@example.com');
      const supervisor = await harness.call('GET', '/agent/api/supervisor/overview', { cookie: lee.cookie });
      assert.equal(supervisor.status, 200);
      assert.deepEqual(supervisor.body.unansweredQuestions, [], 'no provider → an empty list');
    });
  });

  describe('bad input and conflicts', () => {
    it(`when a reply is longer than ${AGENT_REPLY_MAX_CHARS} characters, it answers 400 and sends nothing`, async () => {
      await post('claim', sam, {});
      const reply = await post('reply', sam, { text: 'x'.repeat(AGENT_REPLY_MAX_CHARS + 1) });
      assert.equal(reply.status, 400);
      assert.match(reply.body.error?.message ?? '', /at most 1500/);
      assert.deepEqual(handoff.changes, [`claim ${CONVERSATION}`]);
      const exact = await post('reply', sam, { text: 'x'.repeat(AGENT_REPLY_MAX_CHARS) });
      assert.equal(exact.status, 200);
    });

    for (const [what, body] of [
      ['no text', {}],
      ['only spaces', { text: '   ' }],
      ['text that is a number', { text: 42 }],
      ['an unknown field', { text: 'hi', html: '<b>hi</b>' }],
    ] as const) {
      it(`when a reply has ${what}, it answers 400 and sends nothing`, async () => {
        await post('claim', sam, {});
        const reply = await post('reply', sam, body);
        assert.equal(reply.status, 400, JSON.stringify(reply.body));
        assert.deepEqual(handoff.changes, [`claim ${CONVERSATION}`]);
      });
    }

    it('when an agent replies to a conversation they do not hold, it answers 403 and sends nothing', async () => {
      await post('claim', kim, {});
      const reply = await post('reply', sam, { text: 'Hi there' });
      assert.equal(reply.status, 403);
      assert.deepEqual(handoff.changes, [`claim ${CONVERSATION}`]);
    });

    it('when a conversation is already claimed, a second claim answers 409 naming who has it', async () => {
      assert.equal((await post('claim', kim, {})).status, 200);
      const reply = await post('claim', sam, {});
      assert.equal(reply.status, 409);
      assert.match(reply.body.error?.message ?? '', /Kim/);
      assert.deepEqual(handoff.changes, [`claim ${CONVERSATION}`]);
    });

    it('when a conversation is closed, a claim answers 409 and changes nothing', async () => {
      await post('claim', sam, {});
      await post('close', sam, {});
      const reply = await post('claim', kim, {});
      assert.equal(reply.status, 409);
      assert.deepEqual(handoff.changes, [`claim ${CONVERSATION}`, `closed ${CONVERSATION}`]);
    });

    it('when the conversation id is unknown, it answers 404', async () => {
      const reply = await harness.call('GET', '/agent/api/conversations/nope', { cookie: sam.cookie });
      assert.equal(reply.status, 404);
    });

    it('when a transfer names no agent id, it answers 400 and changes nothing', async () => {
      await post('claim', sam, {});
      const reply = await post('transfer', sam, { toAgentId: 'kim' });
      assert.equal(reply.status, 400);
      assert.deepEqual(handoff.changes, [`claim ${CONVERSATION}`]);
    });

    it('when the body is a form post (what a cross-site form could send), it answers 415 and changes nothing', async () => {
      const reply = await harness.call('POST', `/agent/api/conversations/${CONVERSATION}/claim`, {
        cookie: sam.cookie,
        csrf: sam.csrf,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      });
      assert.equal(reply.status, 415);
      assert.deepEqual(handoff.changes, []);
    });

    it('when a customer wrote a script tag, the API returns it as plain JSON text (the page renders it as text)', async () => {
      handoff.customerSays(CONVERSATION, '<script>alert(1)</script><img src=x onerror=alert(2)>');
      const reply = await harness.call('GET', `/agent/api/conversations/${CONVERSATION}`, {
        cookie: sam.cookie,
      });
      assert.match(String(reply.headers.get('content-type')), /^application\/json/);
      const transcript = (reply.body.conversation as { transcript: Array<{ text: string }> }).transcript;
      assert.equal(transcript.at(-1)?.text, '<script>alert(1)</script><img src=x onerror=alert(2)>');
    });
  });

  describe('live socket (/agent/api/live)', () => {
    it('when it opens with the session cookie, this origin and the CSRF token, it pushes queue events and messages as they happen', async () => {
      const { socket } = await harness.connect({ cookie: sam.cookie, csrf: sam.csrf });
      assert.ok(socket);
      handoff.escalate('conv-2', 'Screen stays black');
      const queued = await socket.waitFor(
        (e) => e.type === 'queued' && e.conversationId === 'conv-2',
        'queued',
      );
      assert.equal((queued.handoff as { summary: string }).summary, 'Screen stays black');
      handoff.customerSays('conv-2', 'Are you there?');
      const message = await socket.waitFor(
        (e) => e.type === 'customer_message' && (e.entry as { text: string }).text === 'Are you there?',
        'the customer message',
      );
      assert.equal(message.conversationId, 'conv-2');
      socket.close();
    });

    for (const [what, options, status] of [
      ['no session cookie', (a: SignedInAgent) => ({ csrf: a.csrf }), 401],
      [
        'a made-up session',
        (a: SignedInAgent) => ({ cookie: `ck_agent=${'B'.repeat(43)}`, csrf: a.csrf }),
        401,
      ],
      ['no CSRF token', (a: SignedInAgent) => ({ cookie: a.cookie }), 403],
      ['a forged CSRF token', (a: SignedInAgent) => ({ cookie: a.cookie, csrf: 'forged' }), 403],
      [
        'another site as Origin',
        (a: SignedInAgent) => ({ cookie: a.cookie, csrf: a.csrf, origin: 'https://evil.example' }),
        403,
      ],
      ['no Origin', (a: SignedInAgent) => ({ cookie: a.cookie, csrf: a.csrf, origin: '' }), 403],
    ] as const) {
      it(`when it is opened with ${what}, the upgrade is refused with ${status} and no event reaches it`, async () => {
        const result = await harness.connect(options(sam));
        assert.equal(result.status, status);
        assert.equal(result.socket, undefined);
        // Positive control: with everything right it opens.
        const ok = await harness.connect({ cookie: sam.cookie, csrf: sam.csrf });
        assert.ok(ok.socket);
        ok.socket.close();
      });
    }

    it('when the account is disabled while the console is open, the socket is closed with 4401 at the next check', async () => {
      const { socket } = await harness.connect({ cookie: sam.cookie, csrf: sam.csrf });
      assert.ok(socket);
      await harness.accounts.disable('sam@example.com');
      await harness.live.recheckSessions();
      assert.equal(await socket.closed(), 4401);
    });

    it('when a console sends something on the socket, nothing changes (the socket is read-only)', async () => {
      const { socket } = await harness.connect({ cookie: sam.cookie, csrf: sam.csrf });
      assert.ok(socket);
      socket.socket.send(JSON.stringify({ action: 'claim', conversationId: CONVERSATION }));
      await new Promise((resolve) => setTimeout(resolve, 100));
      assert.deepEqual(handoff.changes, []);
      socket.close();
    });
  });

  describe('the /agent page', () => {
    it('when /agent is opened, it is served with a strict CSP (scripts from this site only, never framed)', async () => {
      const response = await fetch(`${harness.base}/agent`);
      const html = await response.text();
      assert.equal(response.status, 200);
      assert.match(html, /<script type="module" src="\/agent\/assets\/console.js">/);
      assert.doesNotMatch(html, /https?:\/\//, 'nothing from another host');
      const csp = response.headers.get('content-security-policy') ?? '';
      for (const directive of [
        "script-src 'self'",
        "frame-ancestors 'none'",
        "default-src 'none'",
        "connect-src 'self'",
      ])
        assert.ok(csp.includes(directive), `${directive} in ${csp}`);
      assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
      for (const script of ['console.js', 'api.js', 'live.js', 'views.js', 'dom.js']) {
        const asset = await fetch(`${harness.base}/agent/assets/${script}`);
        assert.equal(asset.status, 200, script);
        assert.match(String(asset.headers.get('content-type')), /^text\/javascript/);
      }
    });

    it('the console scripts never put text into the page as HTML', async () => {
      for (const script of ['console.js', 'api.js', 'live.js', 'views.js', 'dom.js']) {
        const source = await (await fetch(`${harness.base}/agent/assets/${script}`)).text();
        assert.doesNotMatch(source, /innerHTML|outerHTML|insertAdjacentHTML|document\.write/, script);
      }
    });
  });
});
