import { SmsIdentity } from '../../../../src/bot/adapters/twilioSms/smsIdentity';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { CloudAdapter, ConfigurationBotFrameworkAuthentication, type TurnContext } from 'botbuilder';
import { loadConfig, type AppConfig } from '../../../../src/config';
import { makeServer, type TurnRunner } from '../../../../src/bot/server';
import {
  createTwilioSmsChannel,
  type TwilioSmsChannel,
} from '../../../../src/bot/adapters/twilioSms/twilioSmsChannel';
import type { DispatcherOptions } from '../../../../src/services/notifications/notificationDispatcher';
import type { SmsInboxProcessorOptions } from '../../../../src/bot/adapters/twilioSms/smsInboxProcessor';
import { SmsInbox } from '../../../../src/services/sms/smsInbox';
import { SmsOptOutRegistry } from '../../../../src/services/sms/smsOptOutRegistry';
import { SmsOutboundLog } from '../../../../src/services/sms/smsOutboundLog';
import { startTestStore, type TestStore } from '../../../support/testStore';
import { FakeTwilioApi } from '../../../support/fakeTwilio';
import { memoryLogger } from '../../../support/silentLogger';
import { messageSid, postSignedTwilioForm } from '../../../support/twilioWebhook';

export const ACCOUNT_SID = `AC${'1'.repeat(32)}`;
export const AUTH_TOKEN = 'test-auth-token-0123456789abcdef';
export const FROM_NUMBER = '+14155550100';
export const PUBLIC_BASE_URL = 'https://support.example.test';
export const SMS_ID_SECRET = 'test-sms-id-secret-0123456789abcdef0123';

export type BotLogic = (context: TurnContext) => Promise<void>;

export interface SmsHarness {
  base: string;
  fake: FakeTwilioApi;
  store: TestStore;
  config: AppConfig;
  channel: TwilioSmsChannel;
  adapter: CloudAdapter;
  inbox: SmsInbox;
  optOuts: SmsOptOutRegistry;
  outboundLog: SmsOutboundLog;
  /** Texts the bot saw, in order. */
  turns: Array<TurnContext['activity']>;
  logLines: string[];
  /** POSTs a signed incoming-SMS webhook, as Twilio would. */
  text(from: string, body: string, extra?: Record<string, string>): Promise<Response>;
  post(pathAndQuery: string, params: Record<string, string>, signature?: string | null): Promise<Response>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  /** The bot's behaviour; default: echo the text back. */
  bot?: BotLogic;
  env?: Record<string, string>;
  processor?: SmsInboxProcessorOptions;
  /** The outbox dispatcher's options (retry backoff, polling). */
  dispatch?: DispatcherOptions;
  /** Reuse a store (restart scenarios); the harness then leaves it open. */
  store?: TestStore;
  /** Runs before the server starts listening (e.g. seed the inbox). */
  beforeListen?: (store: TestStore) => Promise<void>;
}

/**
 * The SMS channel as the app wires it (CloudAdapter, server, createTwilioSmsChannel, the inbox
 * worker) on a test store, with a scriptable bot and the fake Twilio API behind TWILIO_API_BASE_URL.
 */
export async function startSmsHarness(options: HarnessOptions = {}): Promise<SmsHarness> {
  const fake = await FakeTwilioApi.start({ accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN });
  const ownStore = options.store === undefined;
  const store = options.store ?? (await startTestStore());
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'sms-harness-'));
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
    ...options.env,
  });
  const { logger, lines } = memoryLogger();
  const auth = new ConfigurationBotFrameworkAuthentication({ ...config.botAuth });
  const adapter = new CloudAdapter(auth);
  const turns: Array<TurnContext['activity']> = [];
  const logic: BotLogic =
    options.bot ??
    (async (context) => {
      await context.sendActivity(`you said: ${context.activity.text}`);
    });
  const bot: TurnRunner = {
    run: async (context) => {
      if (context.activity.type === 'message') turns.push(context.activity);
      await logic(context);
    },
  };
  const channel = createTwilioSmsChannel({
    config,
    connection: store.connection,
    adapter,
    auth,
    bot,
    identity: new SmsIdentity(SMS_ID_SECRET),
    logger,
    processor: { scanIntervalMs: 100, ...options.processor },
    dispatch: { pollIntervalMs: 20, backoffBaseMs: 10, backoffMaxMs: 200, ...options.dispatch },
  });
  if (channel.middleware) adapter.use(channel.middleware);
  const { server } = makeServer({
    config,
    logger,
    adapter,
    bot,
    registrars: [channel.registrar],
    readiness: () => Promise.resolve({ ready: true, checks: {} }),
  });
  await options.beforeListen?.(store);
  await new Promise<void>((resolve) => {
    server.listen(0, '127.0.0.1', resolve);
  });
  for (const worker of channel.workers) worker.start();
  const base = `http://127.0.0.1:${server.address().port}`;

  const post = (
    pathAndQuery: string,
    params: Record<string, string>,
    signature?: string | null,
  ): Promise<Response> =>
    postSignedTwilioForm({
      localBaseUrl: base,
      publicBaseUrl: PUBLIC_BASE_URL,
      path: pathAndQuery,
      authToken: AUTH_TOKEN,
      params,
      ...(signature !== undefined ? { signature } : {}),
    });

  return {
    base,
    fake,
    store,
    config,
    channel,
    adapter,
    inbox: new SmsInbox(store.connection),
    optOuts: new SmsOptOutRegistry(store.connection),
    outboundLog: new SmsOutboundLog(store.connection),
    turns,
    logLines: lines,
    text: (from, body, extra = {}) =>
      post('/api/sms', {
        MessageSid: messageSid(),
        SmsSid: '',
        AccountSid: ACCOUNT_SID,
        From: from,
        To: FROM_NUMBER,
        Body: body,
        NumMedia: '0',
        NumSegments: '1',
        ApiVersion: '2010-04-01',
        ...extra,
      }),
    post,
    async close() {
      const closed = new Promise<void>((resolve) => {
        server.close(() => resolve());
      });
      server.server.closeAllConnections();
      await closed;
      for (const worker of [...channel.workers].reverse()) await worker.stop();
      await fake.close();
      if (ownStore) await store.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** Polls until `check` passes or `timeoutMs` elapses (for effects that happen after the webhook answered). */
export async function eventually<T>(check: () => Promise<T> | T, timeoutMs = 5_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
}

/** Lets queued work that should NOT happen get its chance to (wrongly) happen before asserting it did not. */
export function settle(ms = 150): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
