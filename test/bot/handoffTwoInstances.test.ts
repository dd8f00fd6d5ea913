import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createApp, type App } from '../../src/app';
import { loadConfig } from '../../src/config';
import type { HandoffEvent } from '../../src/services/handoff/types';
import {
  say,
  startConversation,
  waitForActivities,
  type DirectLineActivityJson,
  type StartedConversation,
} from './adapters/directLine/harness';
import { memoryLogger } from '../support/silentLogger';
import { startTestStore, type TestStore } from '../support/testStore';

const SAM = { agentId: 'agent-sam', name: 'Sam' };

describe('Agent takeover across two app instances on one store', () => {
  let store: TestStore;
  const apps: App[] = [];
  const dirs: string[] = [];

  const startInstance = async (name: string): Promise<{ app: App; base: string }> => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), `handoff-${name}-`));
    dirs.push(dataDir);
    const config = loadConfig({
      NODE_ENV: 'test',
      LOG_LEVEL: 'silent',
      DATA_DIR: dataDir,
      MONGODB_URI: store.uri,
      INSTANCE_ID: `instance-${name}`,
      HANDOFF_EVENT_POLL_MS: '20',
    });
    const app = await createApp(config, { logger: memoryLogger().logger });
    apps.push(app);
    const address = await app.listen(0, '127.0.0.1');
    return { app, base: `http://127.0.0.1:${address.port}` };
  };

  before(async () => {
    store = await startTestStore();
  });
  after(async () => {
    for (const app of apps.reverse()) await app.stop();
    await store.close();
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  const botTexts = (log: DirectLineActivityJson[]): string[] =>
    log.filter((a) => a.from.role === 'bot' && a.type === 'message').map((a) => a.text ?? '');

  it('when the agent works on instance A and the customer’s web chat is on instance B, messages pass both ways', async () => {
    const agentSide = await startInstance('a');
    const customerSide = await startInstance('b');
    const web = { base: customerSide.base };
    const chat: StartedConversation = await startConversation(web);
    const waitForBot = (pattern: RegExp) =>
      waitForActivities(web, chat, (all) => botTexts(all).some((text) => pattern.test(text)), 10_000);
    await waitForBot(/CarlinKit support assistant/);

    // Escalated on B, seen on A.
    await say(web, chat, 'agent');
    await waitForBot(/in the queue/);
    const seenOnA: HandoffEvent[] = [];
    const unsubscribe = agentSide.app.handoff.subscribe((event) => seenOnA.push(event));
    try {
      const queue = await agentSide.app.handoff.queue();
      assert.deepEqual(
        queue.map((view) => view.conversationId),
        [chat.conversationId],
      );

      // Customer → agent: written on B, delivered to A's listeners through the bus.
      await say(web, chat, 'Hello, is anyone there?');
      await waitUntil(() =>
        seenOnA.some(
          (event) => event.type === 'customer_message' && event.entry.text === 'Hello, is anyone there?',
        ),
      );

      // Agent → customer: claimed and answered on A, delivered by B (which holds the Direct Line conversation).
      await agentSide.app.handoff.claim(chat.conversationId, SAM);
      await agentSide.app.handoff.reply(chat.conversationId, SAM, 'Yes, Sam here. How can I help?');
      const log = await waitForBot(/Sam here/);
      const texts = botTexts(log);
      assert.equal(
        texts.filter((text) => text === 'Sam: Yes, Sam here. How can I help?').length,
        1,
        'delivered once',
      );
      assert.ok(texts.includes('Sam from support joined the chat.'));

      // Hand-back on A: the bot on B resumes and asks for a rating.
      await agentSide.app.handoff.handBack(chat.conversationId, SAM);
      await waitForBot(/How would you rate the help/);
    } finally {
      unsubscribe();
    }
  });
});

async function waitUntil(check: () => boolean, timeoutMs = 8_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
