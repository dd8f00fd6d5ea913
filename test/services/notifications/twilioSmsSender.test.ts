import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { SmsSendError } from '../../../src/services/notifications/smsSender';
import { TwilioSmsSender } from '../../../src/services/notifications/twilioSmsSender';
import { SmsOptOutRegistry } from '../../../src/services/sms/smsOptOutRegistry';
import { SmsOutboundLog } from '../../../src/services/sms/smsOutboundLog';
import { createTwilioClient, type TwilioApiClient } from '../../../src/services/sms/twilioClient';
import { FakeTwilioApi } from '../../support/fakeTwilio';
import { memoryLogger } from '../../support/silentLogger';
import { startTestStore, type TestStore } from '../../support/testStore';

const ACCOUNT_SID = `AC${'3'.repeat(32)}`;
const AUTH_TOKEN = 'sender-test-token';
const CUSTOMER = '+8613800138000';
const MESSAGING_SERVICE = `MG${'4'.repeat(32)}`;

describe('TwilioSmsSender', () => {
  let store: TestStore;
  let fake: FakeTwilioApi;
  let api: TwilioApiClient;
  let optOuts: SmsOptOutRegistry;
  let log: SmsOutboundLog;

  /** A sender on a new client; the previous client is closed (its calls in flight cut off, as by a kill). */
  const sender = (
    overrides: { apiBaseUrl?: string; messagingServiceSid?: string; timeoutMs?: number } = {},
  ): TwilioSmsSender => {
    api.close();
    api = createTwilioClient({
      accountSid: ACCOUNT_SID,
      authToken: AUTH_TOKEN,
      apiBaseUrl: overrides.apiBaseUrl ?? fake.baseUrl,
      timeoutMs: overrides.timeoutMs ?? 2_000,
    });
    return new TwilioSmsSender({
      client: api.client,
      sender: overrides.messagingServiceSid
        ? { messagingServiceSid: overrides.messagingServiceSid }
        : { fromNumber: '+14155550100' },
      optOuts,
      log,
      logger: memoryLogger().logger,
      statusCallbackUrl: (key) =>
        `https://support.example.test/api/sms/status?key=${encodeURIComponent(key)}`,
    });
  };

  const rejectsWith = async (
    promise: Promise<unknown>,
    reason: string,
    retryable: boolean,
  ): Promise<void> => {
    await assert.rejects(promise, (error: unknown) => {
      assert.ok(error instanceof SmsSendError, String(error));
      assert.equal(error.reason, reason);
      assert.equal(error.retryable, retryable);
      return true;
    });
  };

  beforeEach(async () => {
    store = await startTestStore();
    fake = await FakeTwilioApi.start({ accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN });
    api = createTwilioClient({ accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN, apiBaseUrl: fake.baseUrl });
    optOuts = new SmsOptOutRegistry(store.connection);
    log = new SmsOutboundLog(store.connection);
  });

  afterEach(async () => {
    api.close();
    await fake.close();
    await store.close();
  });

  it('when a notification is sent, Twilio receives it once with our sender and status callback, and it is recorded as queued', async () => {
    const { providerMessageId } = await sender().send({
      to: CUSTOMER,
      body: 'Your repair has shipped.',
      idempotencyKey: 'n-1',
    });
    assert.equal(fake.messages.length, 1);
    const [message] = fake.messages;
    assert.equal(message?.sid, providerMessageId);
    assert.equal(message?.to, CUSTOMER);
    assert.equal(message?.from, '+14155550100');
    assert.equal(message?.body, 'Your repair has shipped.');
    assert.equal(message?.statusCallback, 'https://support.example.test/api/sms/status?key=n-1');
    const record = await log.get('n-1');
    assert.equal(record?.status, 'queued');
    assert.equal(record?.providerMessageId, providerMessageId);
  });

  it('when a messaging service is configured, messages go out through it', async () => {
    await sender({ messagingServiceSid: MESSAGING_SERVICE }).send({
      to: CUSTOMER,
      body: 'hi',
      idempotencyKey: 'n-ms',
    });
    assert.equal(fake.messages[0]?.messagingServiceSid, MESSAGING_SERVICE);
    assert.equal(fake.messages[0]?.from, undefined);
    assert.equal((await log.get('n-ms'))?.status, 'accepted');
  });

  it('when the same idempotency key is sent again, Twilio is not asked twice and the same id comes back', async () => {
    const smsSender = sender();
    const first = await smsSender.send({ to: CUSTOMER, body: 'Shipped.', idempotencyKey: 'n-2' });
    const second = await smsSender.send({ to: CUSTOMER, body: 'Shipped.', idempotencyKey: 'n-2' });
    assert.equal(second.providerMessageId, first.providerMessageId);
    assert.equal(fake.requests, 1);
  });

  it('when the number has opted out, it refuses with opted_out (permanent) and Twilio is not called', async () => {
    await optOuts.optOut(CUSTOMER, 'keyword');
    await rejectsWith(
      sender().send({ to: CUSTOMER, body: 'Shipped.', idempotencyKey: 'n-3' }),
      'opted_out',
      false,
    );
    assert.equal(fake.requests, 0);
  });

  it('when Twilio answers 21610 (unsubscribed recipient), it refuses with opted_out and records the opt-out', async () => {
    fake.failNext({ status: 400, code: 21610, message: 'Attempt to send to unsubscribed recipient' });
    await rejectsWith(
      sender().send({ to: CUSTOMER, body: 'Shipped.', idempotencyKey: 'n-4' }),
      'opted_out',
      false,
    );
    assert.equal(await optOuts.isOptedOut(CUSTOMER), true);
    assert.equal((await log.get('n-4'))?.status, 'rejected');
  });

  it('when Twilio answers 21211 (invalid To), it is a permanent invalid_number', async () => {
    fake.failNext({ status: 400, code: 21211, message: "The 'To' number is not a valid phone number." });
    await rejectsWith(
      sender().send({ to: CUSTOMER, body: 'x', idempotencyKey: 'n-5' }),
      'invalid_number',
      false,
    );
  });

  it('when Twilio answers another 4xx, it is a permanent rejection', async () => {
    fake.failNext({ status: 400, code: 21617, message: 'body too long' });
    await rejectsWith(sender().send({ to: CUSTOMER, body: 'x', idempotencyKey: 'n-6' }), 'rejected', false);
  });

  it('when Twilio answers 500 or 429, it is temporary, and a later send with the same key goes through', async () => {
    const smsSender = sender();
    fake.failNext({ status: 500, code: 20500 });
    await rejectsWith(
      smsSender.send({ to: CUSTOMER, body: 'x', idempotencyKey: 'n-7' }),
      'provider_unavailable',
      true,
    );
    fake.failNext({ status: 429, code: 20429 });
    await rejectsWith(
      smsSender.send({ to: CUSTOMER, body: 'x', idempotencyKey: 'n-7' }),
      'rate_limited',
      true,
    );
    const sent = await smsSender.send({ to: CUSTOMER, body: 'x', idempotencyKey: 'n-7' });
    assert.equal(fake.messages.length, 1);
    const record = await log.get('n-7');
    assert.equal(record?.providerMessageId, sent.providerMessageId);
    assert.equal(record?.attempts, 3);
  });

  it('when Twilio refuses our credentials, it is temporary (not_configured): an operator can fix the token', async () => {
    fake.failNext({ status: 401, code: 20003, message: 'Authenticate' });
    await rejectsWith(
      sender().send({ to: CUSTOMER, body: 'x', idempotencyKey: 'n-8' }),
      'not_configured',
      true,
    );
  });

  it('when Twilio cannot be reached, it is a temporary network failure', async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    await rejectsWith(
      sender({ apiBaseUrl: `http://127.0.0.1:${port}` }).send({
        to: CUSTOMER,
        body: 'x',
        idempotencyKey: 'n-9',
      }),
      'network',
      true,
    );
  });

  it('when the number or body is malformed, it refuses without calling Twilio', async () => {
    const smsSender = sender();
    await rejectsWith(
      smsSender.send({ to: '13800138000', body: 'x', idempotencyKey: 'n-10' }),
      'invalid_number',
      false,
    );
    await rejectsWith(
      smsSender.send({ to: CUSTOMER, body: 'x'.repeat(1_601), idempotencyKey: 'n-11' }),
      'rejected',
      false,
    );
    await rejectsWith(smsSender.send({ to: CUSTOMER, body: '', idempotencyKey: 'n-12' }), 'rejected', false);
    assert.equal(fake.requests, 0);
  });

  it('when a compliance answer goes to an opted-out number, it is sent (the STOP confirmation)', async () => {
    await optOuts.optOut(CUSTOMER, 'keyword');
    await sender().sendWithoutOptOutCheck({
      to: CUSTOMER,
      body: 'You are unsubscribed.',
      idempotencyKey: 'stop-1',
    });
    assert.equal(fake.messages.length, 1);
  });

  describe('an attempt whose outcome never came back (kill -9, timeout)', () => {
    const cutOff = async (send: Promise<unknown>): Promise<void> => {
      // The process that made this call is gone: whatever its promise does later is not observed.
      send.catch(() => undefined);
      await fake.waitForMessages(fake.messages.length + 1);
    };

    it('when the process was killed after Twilio accepted a ticket SMS, the restarted process finds it in Twilio and does not send it again', async () => {
      fake.acceptWithoutAnswer(1);
      await cutOff(
        sender().send({ to: CUSTOMER, body: 'Your repair CK-1 is approved.', idempotencyKey: 'kill-1' }),
      );

      const restarted = sender();
      const again = await restarted.send({
        to: CUSTOMER,
        body: 'Your repair CK-1 is approved.',
        idempotencyKey: 'kill-1',
        priorAttempts: 1,
      });
      assert.equal(fake.messages.length, 1, 'sent once');
      assert.equal(again.providerMessageId, fake.messages[0]?.sid);
      const record = await log.get('kill-1');
      assert.equal(record?.providerMessageId, fake.messages[0]?.sid);
      assert.ok(fake.listRequests >= 1, 'Twilio was asked');
      // And once recorded, a further attempt asks nobody.
      const listed = fake.listRequests;
      await restarted.send({ to: CUSTOMER, body: 'Your repair CK-1 is approved.', idempotencyKey: 'kill-1' });
      assert.equal(fake.listRequests, listed);
      assert.equal(fake.requests - fake.listRequests, 1);
    });

    it('when the process was killed during a first-attempt reply (nothing recorded before the call), the restarted process does not send it again', async () => {
      const queuedAt = new Date(Date.now() - 1_000);
      fake.acceptWithoutAnswer(1);
      await cutOff(
        sender().sendWithoutOptOutCheck(
          { to: CUSTOMER, body: 'Your ticket is CK-2.', idempotencyKey: 'reply:SM1:0' },
          { firstAttempt: true },
        ),
      );

      const again = await sender().send({
        to: CUSTOMER,
        body: 'Your ticket is CK-2.',
        idempotencyKey: 'reply:SM1:0',
        skipOptOutCheck: true,
        priorAttempts: 1,
        notBefore: queuedAt,
      });
      assert.equal(fake.messages.length, 1, 'sent once');
      assert.equal(again.providerMessageId, fake.messages[0]?.sid);
    });

    it('when Twilio took the message but the answer timed out, the retry finds it (on a later page, past an identical text of another message) and does not send it again', async () => {
      const smsSender = sender({ timeoutMs: 300 });
      const other = await smsSender.send({ to: CUSTOMER, body: 'Thanks!', idempotencyKey: 'other-1' });
      fake.acceptWithoutAnswer(1);
      await rejectsWith(
        smsSender.send({ to: CUSTOMER, body: 'Thanks!', idempotencyKey: 'timeout-1' }),
        'timeout',
        true,
      );
      const taken = fake.messages[1];
      assert.ok(taken);
      // Sixty newer messages to the same number push it onto the second page of the list.
      for (let index = 0; index < 60; index += 1) {
        fake.messages.push({
          ...taken,
          sid: `SMfiller${index}`,
          body: `filler ${index}`,
          receivedAt: new Date(),
        });
      }
      // The other message's identical 'Thanks!' (recorded under its own key) listed as the newest.
      fake.messages.push({ ...taken, sid: other.providerMessageId, receivedAt: new Date() });

      const again = await smsSender.send({ to: CUSTOMER, body: 'Thanks!', idempotencyKey: 'timeout-1' });
      assert.equal(again.providerMessageId, taken.sid);
      assert.notEqual(again.providerMessageId, other.providerMessageId);
      assert.ok(fake.listRequests >= 2, 'paged');
      assert.equal(fake.messages.filter((message) => message.body === 'Thanks!').length, 3, 'no new send');
    });

    it('when an attempt was cut off before Twilio took it, the retry asks Twilio, finds nothing and sends it once', async () => {
      await log.begin('crash-before-call', CUSTOMER, 'Your repair has shipped.', new Date());
      await sender().send({
        to: CUSTOMER,
        body: 'Your repair has shipped.',
        idempotencyKey: 'crash-before-call',
      });
      assert.equal(fake.listRequests, 1);
      assert.equal(fake.messages.length, 1);
    });

    it('when Twilio answered an attempt with 503, it did not take it: the retry sends without asking', async () => {
      const smsSender = sender();
      fake.failNext({ status: 503, code: 20503 });
      await rejectsWith(
        smsSender.send({ to: CUSTOMER, body: 'x', idempotencyKey: 'n-503' }),
        'provider_unavailable',
        true,
      );
      await smsSender.send({ to: CUSTOMER, body: 'x', idempotencyKey: 'n-503' });
      assert.equal(fake.listRequests, 0);
      assert.equal(fake.messages.length, 1);
    });
  });

  it('when Twilio answers 429 with Retry-After, the failure carries how long Twilio asked to wait', async () => {
    fake.failNext({ status: 429, code: 20429, retryAfterSeconds: 120 });
    await assert.rejects(
      sender().send({ to: CUSTOMER, body: 'x', idempotencyKey: 'n-429' }),
      (error: unknown) => {
        assert.ok(error instanceof SmsSendError);
        assert.equal(error.reason, 'rate_limited');
        assert.equal(error.retryAfterMs, 120_000);
        return true;
      },
    );
  });
});
