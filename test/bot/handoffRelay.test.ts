import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createApp, type App } from '../../src/app';
import { loadConfig } from '../../src/config';
import {
  activities,
  say,
  startConversation,
  waitForActivities,
  type DirectLineActivityJson,
  type StartedConversation,
} from './adapters/directLine/harness';
import { FakeClock } from '../fixtures/tickets';
import { FakeTwilioApi } from '../support/fakeTwilio';
import { memoryLogger } from '../support/silentLogger';
import { startTestStore, type TestStore } from '../support/testStore';
import { messageSid, postSignedTwilioForm } from '../support/twilioWebhook';

const ACCOUNT_SID = `AC${'7'.repeat(32)}`;
const AUTH_TOKEN = 'handoff-test-auth-token';
const FROM_NUMBER = '+14155550199';
const PUBLIC_BASE_URL = 'https://bot.example.test';
const SMS_CUSTOMER = '+61412345678';
const SAM = { agentId: 'agent-sam', name: 'Sam' };
const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

/** Polls `check` until it returns a value (the relay runs in turns after the HTTP answer). */
async function eventually<T>(
  check: () => Promise<T | undefined>,
  what: string,
  timeoutMs = 8_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe('Agent takeover relay in the assembled app (web chat and SMS)', () => {
  let store: TestStore;
  let fake: FakeTwilioApi;
  let app: App;
  let dataDir: string;
  let base: string;
  let clock: FakeClock;

  const start = async (env: Record<string, string> = {}): Promise<void> => {
    const config = loadConfig({
      NODE_ENV: 'test',
      LOG_LEVEL: 'silent',
      DATA_DIR: dataDir,
      MONGODB_URI: store.uri,
      PUBLIC_BASE_URL,
      TWILIO_ACCOUNT_SID: ACCOUNT_SID,
      TWILIO_AUTH_TOKEN: AUTH_TOKEN,
      TWILIO_FROM_NUMBER: FROM_NUMBER,
      TWILIO_API_BASE_URL: fake.baseUrl,
      HANDOFF_EVENT_POLL_MS: '20',
      ...env,
    });
    app = await createApp(config, { logger: memoryLogger().logger, now: () => clock.now() });
    const address = await app.listen(0, '127.0.0.1');
    base = `http://127.0.0.1:${address.port}`;
  };

  beforeEach(async () => {
    clock = new FakeClock(new Date());
    store = await startTestStore();
    fake = await FakeTwilioApi.start({ accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN });
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'handoff-relay-'));
  });

  afterEach(async () => {
    await app.stop();
    await fake.close();
    await store.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  const botTexts = (log: DirectLineActivityJson[]): string[] =>
    log.filter((a) => a.from.role === 'bot' && a.type === 'message').map((a) => a.text ?? '');

  const openChat = async (): Promise<StartedConversation> => {
    const conversation = await startConversation({ base });
    await waitForActivities({ base }, conversation, (all) => botTexts(all).length > 0, 10_000);
    return conversation;
  };

  const waitForBot = (
    conversation: StartedConversation,
    pattern: RegExp,
  ): Promise<DirectLineActivityJson[]> =>
    waitForActivities(
      { base },
      conversation,
      (all) => botTexts(all).some((text) => pattern.test(text)),
      10_000,
    );

  const sayAndRecord = async (conversation: StartedConversation, text: string): Promise<void> => {
    assert.equal((await say({ base }, conversation, text)).status, 200);
    await eventually(async () => {
      const view = await app.handoff.get(conversation.conversationId).catch(() => undefined);
      return view?.transcript.some((entry) => entry.from === 'customer' && entry.text === text)
        ? true
        : undefined;
    }, `"${text}" in the transcript`);
  };

  const text = (body: string, media: Record<string, string> = { NumMedia: '0' }): Promise<Response> =>
    postSignedTwilioForm({
      localBaseUrl: base,
      publicBaseUrl: PUBLIC_BASE_URL,
      path: '/api/sms',
      authToken: AUTH_TOKEN,
      params: {
        MessageSid: messageSid(),
        AccountSid: ACCOUNT_SID,
        From: SMS_CUSTOMER,
        To: FROM_NUMBER,
        Body: body,
        ...media,
      },
    });

  it('when a web chat customer asks for a person, they are queued; their next message goes to the agent, not the bot, and the agent’s reply reaches web chat', async () => {
    await start();
    const chat = await openChat();
    await say({ base }, chat, 'agent');
    await waitForBot(chat, /You're next in the queue/);
    const [queued] = await app.handoff.queue();
    assert.equal(queued?.conversationId, chat.conversationId);
    assert.equal(queued?.channel, 'webchat');
    assert.equal(queued?.reason, 'asked');

    await sayAndRecord(chat, 'my screen stays black');
    await app.handoff.claim(chat.conversationId, SAM);
    await app.handoff.reply(chat.conversationId, SAM, 'Hi, I can help. Which car is it?');
    const log = await waitForBot(chat, /Which car is it\?/);
    const afterMessage = log.slice(log.findIndex((a) => a.text === 'my screen stays black') + 1);
    assert.deepEqual(botTexts(afterMessage), [
      'Sam from support joined the chat.',
      'Sam: Hi, I can help. Which car is it?',
    ]);
    const transcript = (await app.handoff.get(chat.conversationId)).transcript.map((entry) => entry.from);
    assert.deepEqual(transcript.slice(-3), ['customer', 'system', 'agent']);
    assert.ok(transcript.includes('bot'), 'the bot’s part of the conversation is in the transcript too');
  });

  it('when the agent hands back, the customer is told, the bot resumes and asks for a rating, and the rating is stored', async () => {
    await start();
    const chat = await openChat();
    await say({ base }, chat, 'talk to a person');
    await waitForBot(chat, /in the queue/);
    await app.handoff.claim(chat.conversationId, SAM);
    await app.handoff.handBack(chat.conversationId, SAM);
    await waitForBot(chat, /How would you rate the help you got today/);
    const log = await activities({ base }, chat);
    assert.ok(botTexts(log.activities).includes("Sam left; you're back with the assistant."));
    assert.equal(await app.handoff.isHandedOff(chat.conversationId), false);

    await say({ base }, chat, '5');
    await waitForBot(chat, /Thank you for your feedback/);
    const rating = await app.database.connection
      .collection('satisfactionratings')
      .findOne({ topic: 'handoff:agent' });
    assert.equal(rating?.rating, 5);
    assert.equal(rating?.conversationId, chat.conversationId);
  });

  it('when a waiting customer says "never mind", they leave the queue and the bot answers them again', async () => {
    await start();
    const chat = await openChat();
    await say({ base }, chat, 'agent');
    await waitForBot(chat, /in the queue/);
    await say({ base }, chat, 'never mind');
    await waitForBot(chat, /no longer waiting for a person/);
    assert.equal(await app.handoff.isHandedOff(chat.conversationId), false);
    assert.deepEqual(await app.handoff.queue(), []);
    await say({ base }, chat, 'How much does shipping cost?');
    await waitForBot(chat, /shipping/i);
  });

  it('when an agent takes over a live bot conversation mid-flow, the customer’s next message goes to the agent and the bot stays quiet', async () => {
    await start();
    const chat = await openChat();
    await say({ base }, chat, 'I want to register a repair');
    await waitForBot(chat, /register the repair/i);
    const live = await app.handoff.liveConversations();
    assert.ok(live.some((one) => one.conversationId === chat.conversationId && one.channel === 'webchat'));
    await app.handoff.takeOver(chat.conversationId, SAM);
    await waitForBot(chat, /Sam from support joined the chat\./);
    await sayAndRecord(chat, 'CarlinKit 4.0');
    await app.handoff.reply(chat.conversationId, SAM, 'Thanks, I see you are registering a repair.');
    const log = await waitForBot(chat, /I see you are registering/);
    const afterMessage = log.slice(log.findIndex((a) => a.text === 'CarlinKit 4.0') + 1);
    assert.deepEqual(botTexts(afterMessage), ['Sam: Thanks, I see you are registering a repair.']);
    const history = (await app.handoff.get(chat.conversationId)).history;
    assert.deepEqual(
      history.map((action) => [action.kind, action.agent.name]),
      [
        ['took_over', 'Sam'],
        ['replied', 'Sam'],
      ],
    );
  });

  it('when the bot does not understand twice in a row, a person is asked for', async () => {
    await start();
    const chat = await openChat();
    await say({ base }, chat, 'zxqv plorb');
    await waitForBot(chat, /didn't quite get that/);
    await say({ base }, chat, 'blorft quazzle');
    await waitForBot(chat, /Let me get a person from our team/);
    const [queued] = await app.handoff.queue();
    assert.equal(queued?.reason, 'repeated_failures');
  });

  it('when the team is away, the customer is told when it is back and the message waits in the queue', async () => {
    const day = DAYS[(clock.now().getUTCDay() + 2) % 7] ?? 'Mon';
    await start({ SUPPORT_HOURS: `${day} 09:00-17:00`, SUPPORT_TIMEZONE: 'UTC' });
    const chat = await openChat();
    await say({ base }, chat, 'agent');
    await waitForBot(chat, /Our team is away right now; they're back \w+day 09:00 \(UTC\)/);
    await sayAndRecord(chat, 'please call me back about my adapter');
    const [queued] = await app.handoff.queue();
    assert.equal(queued?.afterHours, true);
  });

  it('when nobody answers within the queue timeout, the customer is offered to carry on with the bot or leave a message', async () => {
    await start({ HANDOFF_QUEUE_TIMEOUT_MINUTES: '5' });
    const chat = await openChat();
    await say({ base }, chat, 'agent');
    await waitForBot(chat, /in the queue/);
    clock.advance(6 * 60_000);
    assert.equal(await app.handoff.sweep(), 1);
    await waitForBot(chat, /Our team is still busy.*Leave a message here.*never mind/);
  });

  it('when an SMS customer asks for a person, the agent’s reply reaches them by SMS through Twilio, and the bot stays silent meanwhile', async () => {
    await start();
    await text('agent');
    const [queuedSms] = await fake.waitForMessages(1, 10_000);
    assert.match(queuedSms?.body ?? '', /next in the queue/);
    await text('It still does not connect');
    const conversationId = await eventually(async () => {
      const [handoff] = await app.handoff.queue();
      if (!handoff) return undefined;
      const view = await app.handoff.get(handoff.conversationId);
      return view.transcript.some((entry) => entry.text === 'It still does not connect')
        ? handoff.conversationId
        : undefined;
    }, 'the SMS in the transcript');
    await app.handoff.claim(conversationId, SAM);
    await app.handoff.reply(conversationId, SAM, 'Please try a different USB port.');
    const messages = await fake.waitForMessages(3, 10_000);
    assert.deepEqual(
      messages.slice(1).map((message) => [message.to, message.body]),
      [
        [SMS_CUSTOMER, 'Sam from support joined the chat.'],
        [SMS_CUSTOMER, 'Sam: Please try a different USB port.'],
      ],
    );
    const view = await app.handoff.get(conversationId);
    assert.ok(view.handoff?.context.maskedPhone?.endsWith('5678'));
    assert.ok(!view.handoff?.context.maskedPhone?.includes('412345'), 'the number is masked');
  });

  it('when an SMS customer texts STOP during a handoff, the agent’s reply is not texted and is marked undelivered', async () => {
    await start();
    await text('agent');
    await fake.waitForMessages(1, 10_000);
    const [handoff] = await eventually(async () => {
      const queue = await app.handoff.queue();
      return queue.length > 0 ? queue : undefined;
    }, 'the queue');
    assert.ok(handoff);
    await app.handoff.claim(handoff.conversationId, SAM);
    await fake.waitForMessages(2, 10_000);
    await text('STOP');
    await fake.waitForMessages(3, 10_000); // the opt-out confirmation
    const sent = fake.messages.length;
    const reply = await app.handoff.reply(handoff.conversationId, SAM, 'Are you still there?');
    const entry = await eventually(async () => {
      const view = await app.handoff.get(handoff.conversationId);
      return view.transcript.find((one) => one.messageId === reply.messageId && one.undelivered);
    }, 'the undelivered mark');
    assert.equal(entry.undelivered, 'opted_out');
    assert.equal(fake.messages.length, sent);
  });

  it('when an SMS customer picks "Talk to a person" from the menu and then sends a photo, the photo goes to the agent', async () => {
    await start();
    await text('hi');
    const [menu] = await fake.waitForMessages(1, 10_000);
    assert.match(menu?.body ?? '', /5\. Talk to a person/);
    await text('5');
    const replies = await fake.waitForMessages(2, 10_000);
    assert.match(replies[1]?.body ?? '', /next in the queue/);
    const photoUrl = `https://api.twilio.com/2010-04-01/Accounts/${ACCOUNT_SID}/Messages/MM1/Media/ME0001`;
    await text('', { NumMedia: '1', MediaUrl0: photoUrl, MediaContentType0: 'image/jpeg' });
    const photo = await eventually(async () => {
      const [handoff] = await app.handoff.queue();
      if (!handoff) return undefined;
      const view = await app.handoff.get(handoff.conversationId);
      return view.transcript.find((entry) => entry.from === 'customer' && entry.attachments?.length);
    }, 'the photo in the transcript');
    assert.deepEqual(
      photo.attachments?.map((attachment) => attachment.contentType),
      ['image/jpeg'],
    );
    assert.equal(fake.messages.length, 2, 'the bot did not answer the photo');
  });
});
