import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createApp, type App } from '../../src/app';
import { loadConfig } from '../../src/config';
import { FakeTwilioApi } from '../support/fakeTwilio';
import { memoryLogger } from '../support/silentLogger';
import { messageSid, postSignedTwilioForm } from '../support/twilioWebhook';
import { WebChatCustomer } from '../support/webChatCustomer';

const ACCOUNT_SID = `AC${'9'.repeat(32)}`;
const AUTH_TOKEN = 'registration-test-auth-token';
export const SUPPORT_NUMBER = '+14155550166';
const PUBLIC_BASE_URL = 'https://bot.example.test';

/** The details a customer types, in the order the registration asks for them (web chat wording). */
export function registrationAnswers(phone: string): string[] {
  return [
    '2air',
    'C2AIR0001235',
    '10 January 2026',
    'carlinkit.com',
    'skip',
    'Connection',
    'Keeps disconnecting every few minutes on the highway',
    'Sam Lee',
    phone,
    'sam.lee@example.com',
    '1 Market Street',
    'skip',
    'San Francisco',
    'CA',
    '94105',
    'USA',
  ];
}

/** The whole app (web chat + SMS on a fake Twilio API), with its log kept in memory. */
export class RegistrationApp {
  private constructor(
    readonly app: App,
    readonly fake: FakeTwilioApi,
    readonly base: string,
    readonly logLines: string[],
    private readonly dataDir: string,
  ) {}

  static async start(env: Record<string, string> = {}): Promise<RegistrationApp> {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'registration-'));
    const fake = await FakeTwilioApi.start({ accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN });
    const { logger, lines } = memoryLogger();
    const app = await createApp(
      loadConfig({
        NODE_ENV: 'test',
        DATA_DIR: dataDir,
        PUBLIC_BASE_URL,
        TWILIO_ACCOUNT_SID: ACCOUNT_SID,
        TWILIO_AUTH_TOKEN: AUTH_TOKEN,
        TWILIO_FROM_NUMBER: SUPPORT_NUMBER,
        TWILIO_API_BASE_URL: fake.baseUrl,
        NOTIFICATION_POLL_INTERVAL_MS: '100',
        ...env,
      }),
      { logger },
    );
    const { port } = await app.listen(0, '127.0.0.1');
    return new RegistrationApp(app, fake, `http://127.0.0.1:${port}`, lines, dataDir);
  }

  webChat(): Promise<WebChatCustomer> {
    return WebChatCustomer.open(this.base);
  }

  /** A signed incoming SMS, as Twilio posts it. */
  async text(from: string, body: string): Promise<void> {
    const res = await postSignedTwilioForm({
      localBaseUrl: this.base,
      publicBaseUrl: PUBLIC_BASE_URL,
      path: '/api/sms',
      authToken: AUTH_TOKEN,
      params: {
        MessageSid: messageSid(),
        AccountSid: ACCOUNT_SID,
        From: from,
        To: SUPPORT_NUMBER,
        Body: body,
      },
    });
    if (res.status !== 200) throw new Error(`webhook answered ${res.status}`);
  }

  /** Texts `body` from `from` and returns the bot's SMS reply to it. */
  async sms(from: string, body: string): Promise<string> {
    const before = this.fake.messages.length;
    await this.text(from, body);
    const messages = await this.fake.waitForMessages(before + 1, 10_000);
    return messages
      .slice(before)
      .filter((message) => message.to === from)
      .map((message) => message.body)
      .join('\n');
  }

  /** SMS the fake Twilio API received for `to`. */
  sentTo(to: string): string[] {
    return this.fake.messages.filter((message) => message.to === to).map((message) => message.body);
  }

  async close(): Promise<void> {
    await this.app.stop();
    await this.fake.close();
    await rm(this.dataDir, { recursive: true, force: true });
  }
}

export const settle = (ms = 400): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
