import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createApp, type App } from '../../../../src/app';
import { loadConfig } from '../../../../src/config';
import { FakeTwilioApi } from '../../../support/fakeTwilio';
import { memoryLogger } from '../../../support/silentLogger';
import { startTestStore, type TestStore } from '../../../support/testStore';
import { messageSid, postSignedTwilioForm } from '../../../support/twilioWebhook';

const ACCOUNT_SID = `AC${'5'.repeat(32)}`;
const AUTH_TOKEN = 'app-test-auth-token';
const FROM_NUMBER = '+14155550199';
const PUBLIC_BASE_URL = 'https://bot.example.test';
const CUSTOMER = '+61412345678';

describe('SMS in the assembled app (createApp)', () => {
  let store: TestStore;
  let fake: FakeTwilioApi;
  let app: App;
  let dataDir: string;
  let base: string;

  beforeEach(async () => {
    store = await startTestStore();
    fake = await FakeTwilioApi.start({ accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN });
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'sms-app-'));
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
    });
    app = await createApp(config, { logger: memoryLogger().logger });
    const address = await app.listen(0, '127.0.0.1');
    base = `http://127.0.0.1:${address.port}`;
  });

  afterEach(async () => {
    await app.stop();
    await fake.close();
    await store.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  const text = (
    body: string,
    sid = messageSid(),
    media: Record<string, string> = { NumMedia: '0' },
  ): Promise<Response> =>
    postSignedTwilioForm({
      localBaseUrl: base,
      publicBaseUrl: PUBLIC_BASE_URL,
      path: '/api/sms',
      authToken: AUTH_TOKEN,
      params: {
        MessageSid: sid,
        AccountSid: ACCOUNT_SID,
        From: CUSTOMER,
        To: FROM_NUMBER,
        Body: body,
        ...media,
      },
    });

  it('when a customer texts the support number, the app’s bot answers by SMS through the Twilio API', async () => {
    const res = await text('hi');
    assert.equal(res.status, 200);
    const [reply] = await fake.waitForMessages(1, 10_000);
    assert.equal(reply?.to, CUSTOMER);
    assert.equal(reply?.from, FROM_NUMBER);
    assert.ok((reply?.body.length ?? 0) > 0 && (reply?.body.length ?? 0) <= 1_600);
  });

  it('when the customer answers the menu with a number, the same conversation continues from where it was', async () => {
    await text('hi');
    const [menu] = await fake.waitForMessages(1, 10_000);
    assert.match(menu?.body ?? '', /^1\. /m, 'the SMS menu is numbered');
    await text('2');
    const replies = await fake.waitForMessages(2, 10_000);
    assert.notEqual(replies[1]?.body, menu?.body);
    assert.match(replies[1]?.body ?? '', /register the repair/i);
  });

  it('when a webhook is not signed by Twilio, the app answers 403', async () => {
    const res = await postSignedTwilioForm({
      localBaseUrl: base,
      publicBaseUrl: PUBLIC_BASE_URL,
      path: '/api/sms',
      authToken: 'wrong',
      params: {
        MessageSid: messageSid(),
        AccountSid: ACCOUNT_SID,
        From: CUSTOMER,
        To: FROM_NUMBER,
        Body: 'hi',
      },
    });
    assert.equal(res.status, 403);
  });

  const mms = (contentType: string): Record<string, string> => ({
    NumMedia: '1',
    MediaUrl0: `https://api.twilio.com/2010-04-01/Accounts/${ACCOUNT_SID}/Messages/MM1/Media/ME${messageSid().slice(-8)}`,
    MediaContentType0: contentType,
  });

  it('when an MMS carries a photo (a type the media policy accepts), the reply SMS says it is kept for the repair request', async () => {
    assert.equal((await text('', messageSid(), mms('image/jpg'))).status, 200);
    const [reply] = await fake.waitForMessages(1, 10_000);
    assert.match(
      reply?.body ?? '',
      /^Got your photo, thanks\. If your device needs a repair, I'll attach it/,
    );
    assert.doesNotMatch(reply?.body ?? '', /only attach photos/);
  });

  it('when an MMS carries a video (a type the media policy refuses), the reply SMS says so kindly and keeps nothing', async () => {
    assert.equal((await text('', messageSid(), mms('video/mp4'))).status, 200);
    const [reply] = await fake.waitForMessages(1, 10_000);
    assert.match(
      reply?.body ?? '',
      /^Sorry, I can only attach photos \(JPEG, PNG, HEIC, WebP or GIF\), so I couldn't keep "media-1"\./,
    );
    assert.doesNotMatch(reply?.body ?? '', /Got your/);
  });
});
