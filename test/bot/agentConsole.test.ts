import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createApp, type App } from '../../src/app';
import { loadConfig } from '../../src/config';
import { AgentAccounts } from '../../src/services/agents/agentAccounts';
import { AgentSessions } from '../../src/services/agents/agentSessions';
import { createLogger } from '../../src/services/logging/logger';
import { WebChatCustomer } from '../support/webChatCustomer';

const PASSWORD = 'correct horse battery staple';

/** The console as the app assembles it (createAgentConsole in src/app.ts), through HTTP. */
describe('agent console in the assembled app', function () {
  this.timeout(60_000);
  let app: App;
  let base: string;
  let dataDir: string;

  before(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'agent-console-app-'));
    const config = loadConfig({
      NODE_ENV: 'test',
      LOG_LEVEL: 'silent',
      DATA_DIR: dataDir,
      HANDOFF_EVENT_POLL_MS: '50',
    });
    app = await createApp(config, { logger: createLogger({ level: 'silent' }) });
    const sessions = new AgentSessions({
      connection: app.database.connection,
      settings: config.agentSessions,
    });
    const accounts = new AgentAccounts({ connection: app.database.connection, sessions });
    await accounts.add({ email: 'lee@example.com', name: 'Lee', role: 'supervisor', password: PASSWORD });
    await accounts.add({ email: 'sam@example.com', name: 'Sam', role: 'agent', password: PASSWORD });
    base = `http://127.0.0.1:${(await app.listen(0, '127.0.0.1')).port}`;
  });

  after(async () => {
    await app?.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  async function signIn(email: string): Promise<{ cookie: string; csrf: string }> {
    const response = await fetch(`${base}/agent/api/sign-in`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password: PASSWORD }),
    });
    assert.equal(response.status, 200);
    const body = (await response.json()) as { csrfToken: string };
    return { cookie: (response.headers.get('set-cookie') ?? '').split(';')[0], csrf: body.csrfToken };
  }

  it('when a web chat customer asks for a person, the queue lists it, the quick replies are the FAQ answers, and a supervisor sees it in today’s figures and the unanswered questions, redacted (an agent may not)', async () => {
    const customer = await WebChatCustomer.open(base);
    assert.match(await customer.ask('talk to a person'), /connecting you with a person/);
    const conversationId = customer.conversation.conversationId;
    const sam = await signIn('sam@example.com');

    const queue = (await (
      await fetch(`${base}/agent/api/queue`, { headers: { cookie: sam.cookie } })
    ).json()) as {
      queue: Array<{ conversationId: string; channel: string; state: string }>;
    };
    assert.deepEqual(
      queue.queue.map((handoff) => [handoff.conversationId, handoff.state]),
      [[conversationId, 'queued']],
    );

    const quick = (await (
      await fetch(`${base}/agent/api/quick-replies`, { headers: { cookie: sam.cookie } })
    ).json()) as {
      quickReplies: Array<{ id: string; text: string }>;
    };
    assert.ok(quick.quickReplies.some((reply) => reply.id === 'warranty' && reply.text.length > 10));

    const forbidden = await fetch(`${base}/agent/api/supervisor/overview`, {
      headers: { cookie: sam.cookie },
    });
    assert.equal(forbidden.status, 403);
    await app.unanswered.record({
      text: 'do you ship to the Faroe Islands? call me on +14155550134',
      channel: 'webchat',
      conversationId: 'conversation-with-a-gap',
    });
    const lee = await signIn('lee@example.com');
    const answer = await fetch(`${base}/agent/api/supervisor/overview`, { headers: { cookie: lee.cookie } });
    assert.equal(answer.status, 200);
    const { overview, unansweredQuestions } = (await answer.json()) as {
      overview: {
        conversations: { total: number; handedOff: number; solvedByBot: number };
        queueWaitSeconds: { waiting: number };
        agentsOnline: Array<{ name: string; load: number }>;
      };
      unansweredQuestions: Array<{ text: string; count: number }>;
    };
    assert.equal(overview.conversations.handedOff, 1);
    assert.ok(overview.conversations.total >= 1);
    assert.equal(overview.queueWaitSeconds.waiting, 1);
    assert.deepEqual(overview.agentsOnline.map((agent) => agent.name).sort(), ['Lee', 'Sam']);
    // The bot's gaps reach the supervisor, redacted as they are stored.
    assert.equal(unansweredQuestions.length, 1);
    assert.equal(unansweredQuestions[0]?.count, 1);
    assert.match(unansweredQuestions[0]?.text ?? '', /Faroe Islands/);
    assert.doesNotMatch(unansweredQuestions[0]?.text ?? '', /5550134/);
  });
});
