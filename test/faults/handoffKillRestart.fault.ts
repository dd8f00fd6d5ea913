import { strict as assert } from 'node:assert';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import mongoose from 'mongoose';
import { HandoffService } from '../../src/services/handoff/handoffService';
import { SupportHours } from '../../src/services/handoff/supportHours';
import {
  say,
  startConversation,
  waitForActivities,
  type DirectLineActivityJson,
  type StartedConversation,
} from '../bot/adapters/directLine/harness';
import { FakeTwilioApi } from '../support/fakeTwilio';
import { memoryLogger } from '../support/silentLogger';
import { startTestStore, type TestStore } from '../support/testStore';
import { ACCOUNT_SID, AUTH_TOKEN, AppProcess, freePort } from './support/appProcess';

const SAM = { agentId: 'agent-sam', name: 'Sam' };

/**
 * kill -9 of the app while a web chat conversation is with an agent. The store is a separate
 * process here (MONGODB_URI, as in a deployment with MongoDB), so the agent's side (a second
 * HandoffService on the same store, as another instance would be) keeps working while the app is
 * down. After the restart the conversation is still with the agent and no message either way is
 * lost or doubled.
 */
describe('Faults: kill -9 while a conversation is with an agent', function () {
  this.timeout(0);
  let store: TestStore;
  let twilio: FakeTwilioApi;
  let app: AppProcess;
  let dataDir: string;
  let connection: mongoose.Connection;
  let agent: HandoffService;

  before(async () => {
    store = await startTestStore();
    twilio = await FakeTwilioApi.start({ accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN });
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'ck-handoff-kill-'));
    app = new AppProcess({
      dataDir,
      port: await freePort(),
      twilioBaseUrl: twilio.baseUrl,
      env: { MONGODB_URI: store.uri, INSTANCE_ID: 'handoff-kill-app', HANDOFF_EVENT_POLL_MS: '50' },
    });
    await app.start();
    // The app's database on that server (MONGODB_URI names none: the driver's default).
    connection = mongoose.createConnection(store.uri);
    await connection.asPromise();
    agent = new HandoffService({
      connection,
      settings: {
        hours: SupportHours.alwaysOpen(),
        queueTimeoutMinutes: 10,
        eventPollMs: 50,
        instanceId: 'agent-console-instance',
      },
      logger: memoryLogger().logger,
    });
    await agent.init();
    agent.start();
  });

  after(async () => {
    await agent.stop();
    await app.stop();
    await connection.close();
    await twilio.close();
    await store.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  const botTexts = (log: DirectLineActivityJson[]): string[] =>
    log.filter((a) => a.from.role === 'bot' && a.type === 'message').map((a) => a.text ?? '');

  it('after a kill -9 and a restart the conversation is still with the agent, and every message arrives once', async () => {
    const web = { base: app.baseUrl };
    const chat: StartedConversation = await startConversation(web);
    const waitForBot = (pattern: RegExp) =>
      waitForActivities(web, chat, (all) => botTexts(all).some((text) => pattern.test(text)), 20_000);
    const inTranscript = async (text: string): Promise<void> => {
      const deadline = Date.now() + 20_000;
      for (;;) {
        const view = await agent.get(chat.conversationId).catch(() => undefined);
        if (view?.transcript.some((entry) => entry.from === 'customer' && entry.text === text)) return;
        if (Date.now() > deadline) throw new Error(`"${text}" never reached the agent`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    };
    await waitForBot(/CarlinKit support assistant/);
    await say(web, chat, 'agent');
    await waitForBot(/in the queue/);

    await agent.claim(chat.conversationId, SAM);
    await agent.reply(chat.conversationId, SAM, 'First reply');
    await waitForBot(/^Sam: First reply$/);
    await say(web, chat, 'before the crash');
    await inTranscript('before the crash');

    await app.kill();
    // Written while the app is down: stored, nobody can deliver it yet.
    await agent.reply(chat.conversationId, SAM, 'While you were away');
    await app.start();

    await waitForBot(/^Sam: While you were away$/);
    const view = await agent.get(chat.conversationId);
    assert.equal(view.handoff?.state, 'with_agent');
    assert.equal(view.handoff?.agent?.name, 'Sam');

    await say(web, chat, 'after the restart');
    await inTranscript('after the restart');
    await agent.reply(chat.conversationId, SAM, 'Welcome back');
    const log = await waitForBot(/^Sam: Welcome back$/);
    const texts = botTexts(log);
    const fromAgent = texts.filter((text) => text.startsWith('Sam'));
    assert.deepEqual(fromAgent, [
      'Sam from support joined the chat.',
      'Sam: First reply',
      'Sam: While you were away',
      'Sam: Welcome back',
    ]);
    // The bot said nothing after the handoff began but the queue notice.
    const queuedAt = texts.findIndex((text) => /in the queue/.test(text));
    assert.deepEqual(texts.slice(queuedAt + 1), fromAgent);
    const customer = (await agent.get(chat.conversationId)).transcript
      .filter((entry) => entry.from === 'customer')
      .map((entry) => entry.text);
    assert.deepEqual(customer.slice(-2), ['before the crash', 'after the restart']);
  });
});
