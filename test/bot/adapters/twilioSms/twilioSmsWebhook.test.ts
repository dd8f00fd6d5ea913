import { createHash } from 'node:crypto';
import { SmsIdentity } from '../../../../src/bot/adapters/twilioSms/smsIdentity';
import assert from 'node:assert/strict';
import { CardFactory, MessageFactory, TurnContext } from 'botbuilder';
import {
  ACCOUNT_SID,
  AUTH_TOKEN,
  FROM_NUMBER,
  PUBLIC_BASE_URL,
  SMS_ID_SECRET,
  eventually,
  settle,
  startSmsHarness,
  type SmsHarness,
} from './smsHarness';
import { messageSid, postSignedTwilioForm } from '../../../support/twilioWebhook';
import { startTestStore } from '../../../support/testStore';
import { SmsInbox } from '../../../../src/services/sms/smsInbox';
import { MessageOutbox } from '../../../../src/services/notifications/messageOutbox';
import { makeServer } from '../../../../src/bot/server';
import { createTwilioSmsChannel } from '../../../../src/bot/adapters/twilioSms/twilioSmsChannel';
import { loadConfig } from '../../../../src/config';
import { ActivityHandler, CloudAdapter, ConfigurationBotFrameworkAuthentication } from 'botbuilder';
import { memoryLogger } from '../../../support/silentLogger';
import { SmsSendError } from '../../../../src/services/notifications/smsSender';

const CUSTOMER = '+8613800138000';
const OTHER = '+447700900123';

function inboundParams(from: string, body: string, sid = messageSid()): Record<string, string> {
  return { MessageSid: sid, AccountSid: ACCOUNT_SID, From: from, To: FROM_NUMBER, Body: body, NumMedia: '0' };
}

describe('SMS over Twilio', () => {
  let harness: SmsHarness | undefined;
  afterEach(async () => {
    await harness?.close();
    harness = undefined;
  });

  describe('webhook', () => {
    it('when a signed message arrives, it answers an empty TwiML at once and the bot reply reaches Twilio from our number', async () => {
      harness = await startSmsHarness();
      const res = await harness.text(CUSTOMER, 'my carplay keeps disconnecting');
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type') ?? '', /^text\/xml/);
      assert.equal(await res.text(), '<?xml version="1.0" encoding="UTF-8"?><Response/>');

      const [sent] = await harness.fake.waitForMessages(1);
      assert.equal(sent?.to, CUSTOMER);
      assert.equal(sent?.from, FROM_NUMBER);
      assert.equal(sent?.body, 'you said: my carplay keeps disconnecting');
      assert.equal(sent?.accountSid, ACCOUNT_SID);
      assert.match(sent?.statusCallback ?? '', /^https:\/\/support\.example\.test\/api\/sms\/status\?key=/);
      const turn = harness.turns[0];
      assert.equal(turn?.channelId, 'sms');
      assert.equal(turn?.recipient.id, FROM_NUMBER);
      // Keyed ids: no number in them, and not the plain hash anyone could compute from the number.
      const identity = new SmsIdentity(SMS_ID_SECRET);
      assert.equal(turn?.from.id, identity.userId(CUSTOMER));
      assert.equal(turn?.conversation.id, identity.conversationId(CUSTOMER));
      assert.deepEqual(turn?.from.properties, { phone: CUSTOMER });
      const plainHash = createHash('sha256').update(CUSTOMER).digest('hex').slice(0, 32);
      for (const id of [turn?.conversation.id ?? '', turn?.from.id ?? '']) {
        assert.ok(!id.includes(CUSTOMER.slice(1)), 'no phone number in the id');
        assert.ok(!id.includes(plainHash), 'not the unkeyed hash of the number');
      }
      assert.notEqual(
        new SmsIdentity(`${SMS_ID_SECRET}-other`).conversationId(CUSTOMER),
        turn?.conversation.id,
      );
    });

    it('when the same number texts again, the turn has the same conversation id; another number gets another one', async () => {
      harness = await startSmsHarness();
      await harness.text(CUSTOMER, 'one');
      await harness.text(CUSTOMER, 'two');
      await harness.text(OTHER, 'three');
      await harness.fake.waitForMessages(3);
      const idsOf = (number: string): string[] =>
        harness!.turns
          .filter((turn) => (turn.from.properties as { phone?: string } | undefined)?.phone === number)
          .map((turn) => turn.conversation.id);
      const [first, second] = idsOf(CUSTOMER);
      assert.equal(first, second);
      assert.notEqual(first, idsOf(OTHER)[0]);
    });

    it('when the signature is missing, it answers 403 and runs no turn', async () => {
      harness = await startSmsHarness();
      const res = await harness.post('/api/sms', inboundParams(CUSTOMER, 'hello'), null);
      assert.equal(res.status, 403);
      await settle();
      assert.equal(harness.turns.length, 0);
      assert.equal(harness.fake.requests, 0);
    });

    it('when the signature is wrong (other token, other URL or tampered body), it answers 403 and stores nothing', async () => {
      harness = await startSmsHarness();
      const params = inboundParams(CUSTOMER, 'hello');
      const wrongToken = await postSignedTwilioForm({
        localBaseUrl: harness.base,
        publicBaseUrl: PUBLIC_BASE_URL,
        path: '/api/sms',
        authToken: 'someone-elses-token',
        params,
      });
      // Signed over the address it was sent to instead of the public URL Twilio was given.
      const wrongUrl = await postSignedTwilioForm({
        localBaseUrl: harness.base,
        publicBaseUrl: harness.base,
        path: '/api/sms',
        authToken: AUTH_TOKEN,
        params,
      });
      const good = (await import('twilio')).default.getExpectedTwilioSignature(
        AUTH_TOKEN,
        `${PUBLIC_BASE_URL}/api/sms`,
        params,
      );
      const tampered = await harness.post('/api/sms', { ...params, Body: 'send me a refund' }, good);
      for (const res of [wrongToken, wrongUrl, tampered]) {
        assert.equal(res.status, 403);
        const body = (await res.json()) as { error: { code: string } };
        assert.equal(body.error.code, 'forbidden');
      }
      await settle();
      assert.equal(harness.turns.length, 0);
      assert.equal(await harness.inbox.get(params.MessageSid), undefined);
      assert.equal(harness.fake.requests, 0);
    });

    it('when Twilio replays a MessageSid, it answers 200 again and the turn runs only once', async () => {
      harness = await startSmsHarness();
      const params = inboundParams(CUSTOMER, 'is my adapter under warranty?');
      const first = await harness.post('/api/sms', params);
      const second = await harness.post('/api/sms', params);
      await harness.fake.waitForMessages(1);
      const third = await harness.post('/api/sms', params);
      assert.deepEqual([first.status, second.status, third.status], [200, 200, 200]);
      await settle(300);
      assert.equal(harness.turns.length, 1);
      assert.equal(harness.fake.messages.length, 1);
    });

    it('when the payload is signed but not a message webhook, it answers 400 and runs no turn', async () => {
      harness = await startSmsHarness();
      const res = await harness.post('/api/sms', { AccountSid: ACCOUNT_SID, From: CUSTOMER, Body: 'no sid' });
      assert.equal(res.status, 400);
      const notForm = await fetch(`${harness.base}/api/sms`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'X-Twilio-Signature': 'x' },
        body: JSON.stringify(inboundParams(CUSTOMER, 'hi')),
      });
      assert.equal(notForm.status, 400);
      await settle();
      assert.equal(harness.turns.length, 0);
    });

    it('when the message is for another Twilio account, it answers 403', async () => {
      harness = await startSmsHarness();
      const res = await harness.post('/api/sms', {
        ...inboundParams(CUSTOMER, 'hi'),
        AccountSid: `AC${'2'.repeat(32)}`,
      });
      assert.equal(res.status, 403);
    });

    it('when an MMS arrives, its MediaUrlN become attachments the bot sees, with their content types', async () => {
      harness = await startSmsHarness();
      const media0 = `https://api.twilio.com/2010-04-01/Accounts/${ACCOUNT_SID}/Messages/MM1/Media/ME1`;
      const media1 = `https://api.twilio.com/2010-04-01/Accounts/${ACCOUNT_SID}/Messages/MM1/Media/ME2`;
      const res = await harness.text(CUSTOMER, 'photo of the error', {
        NumMedia: '2',
        MediaUrl0: media0,
        MediaContentType0: 'image/jpeg',
        MediaUrl1: media1,
        MediaContentType1: 'video/mp4',
      });
      assert.equal(res.status, 200);
      await harness.fake.waitForMessages(1);
      const attachments = harness.turns[0]?.attachments ?? [];
      assert.deepEqual(
        attachments.map((attachment) => [attachment.contentType, attachment.contentUrl]),
        [
          ['image/jpeg', media0],
          ['video/mp4', media1],
        ],
      );
      assert.equal(harness.turns[0]?.text, 'photo of the error');
    });

    it('when one customer sends several texts at once, the bot sees them one at a time in order and the replies go out in order', async () => {
      let running = 0;
      let overlapped = false;
      harness = await startSmsHarness({
        bot: async (context) => {
          running += 1;
          if (running > 1) overlapped = true;
          await new Promise((resolve) => setTimeout(resolve, 15));
          running -= 1;
          await context.sendActivity(`ack ${context.activity.text}`);
        },
      });
      for (const word of ['a', 'b', 'c', 'd', 'e']) await harness.text(CUSTOMER, word);
      const sent = await harness.fake.waitForMessages(5);
      assert.deepEqual(
        harness.turns.map((turn) => turn.text),
        ['a', 'b', 'c', 'd', 'e'],
      );
      assert.deepEqual(
        sent.map((message) => message.body),
        ['ack a', 'ack b', 'ack c', 'ack d', 'ack e'],
      );
      assert.equal(overlapped, false);
    });
  });

  describe('replies', () => {
    it('when the bot sends a reply longer than 1,600 characters, it arrives as several messages of at most 1,600, in order, nothing lost', async () => {
      const paragraphs = Array.from(
        { length: 8 },
        (_, index) => `Step ${index + 1}. ${'Unplug the adapter and wait. '.repeat(18).trim()}`,
      );
      const long = paragraphs.join('\n\n');
      assert.ok(long.length > 3_200);
      harness = await startSmsHarness({ bot: async (context) => void (await context.sendActivity(long)) });
      await harness.text(CUSTOMER, 'how do I reset it?');
      await eventually(() => assert.ok(harness!.fake.messages.length >= 3));
      await settle();
      const bodies = harness.fake.messages.map((message) => message.body);
      for (const body of bodies) assert.ok(body.length <= 1_600, `a body of ${body.length} characters`);
      assert.equal(bodies.join(' ').replace(/\s+/g, ' '), long.replace(/\s+/g, ' '));
    });

    it('when the bot sends a card with buttons and suggested actions, the customer gets text with numbered choices', async () => {
      harness = await startSmsHarness({
        bot: async (context) => {
          await context.sendActivity(
            MessageFactory.attachment(
              CardFactory.heroCard('Repair request', 'We can open a repair ticket for you.', undefined, [
                { type: 'imBack', title: 'Open a ticket', value: 'open' },
                { type: 'openUrl', title: 'Warranty terms', value: 'https://www.carlinkit.com/warranty' },
              ]),
            ),
          );
          await context.sendActivity(
            MessageFactory.suggestedActions(['Yes', 'No'], 'Is the adapter under one year old?'),
          );
        },
      });
      await harness.text(CUSTOMER, 'repair');
      const [sent] = await harness.fake.waitForMessages(1);
      assert.equal(
        sent?.body,
        'Repair request\nWe can open a repair ticket for you.\nWarranty terms: https://www.carlinkit.com/warranty\n1. Open a ticket\n\n' +
          'Is the adapter under one year old?\n\n1. Yes\n2. No',
      );
      await settle();
      assert.equal(harness.fake.messages.length, 1, 'one turn’s replies go out as one SMS when they fit');
    });

    it('when the bot throws, the customer still gets an apology', async () => {
      harness = await startSmsHarness({
        bot: () => Promise.reject(new Error('dialog bug')),
      });
      await harness.text(CUSTOMER, 'hello');
      const [sent] = await harness.fake.waitForMessages(1);
      assert.match(sent?.body ?? '', /something went wrong on our side/);
    });

    it('when Twilio fails with 500 for a while, the reply is retried and arrives once', async () => {
      harness = await startSmsHarness();
      harness.fake.failNext({ status: 500, code: 20500, message: 'Internal Server Error' }, 2);
      await harness.text(CUSTOMER, 'hello');
      await harness.fake.waitForMessages(1);
      await settle();
      assert.equal(harness.fake.messages.length, 1);
      assert.equal(harness.fake.requests, 3);
    });

    it('when Twilio stays down beyond the quick retries, the reply is postponed and sent by a later scan', async () => {
      harness = await startSmsHarness({
        dispatch: { pollIntervalMs: 20, backoffBaseMs: 5, backoffMaxMs: 100 },
      });
      harness.fake.failNext({ status: 503, code: 20503, message: 'Service Unavailable' }, 4);
      await harness.text(CUSTOMER, 'hello');
      const [sent] = await harness.fake.waitForMessages(1, 8_000);
      assert.equal(sent?.body, 'you said: hello');
      await settle();
      assert.equal(harness.turns.length, 1, 'the turn is not run again, only its reply resent');
      assert.equal(harness.fake.messages.length, 1);
    });
  });

  describe('opt-out compliance', () => {
    it('when a customer texts STOP, the opt-out is stored, one confirmation is sent, and no turn runs', async () => {
      harness = await startSmsHarness();
      const res = await harness.text(CUSTOMER, 'STOP');
      assert.equal(res.status, 200);
      const [confirmation] = await harness.fake.waitForMessages(1);
      assert.match(confirmation?.body ?? '', /unsubscribed/);
      assert.equal(confirmation?.to, CUSTOMER);
      assert.equal(await harness.optOuts.isOptedOut(CUSTOMER), true);
      await settle();
      assert.equal(harness.turns.length, 0);
      assert.equal(harness.fake.messages.length, 1);
    });

    for (const keyword of ['stop', ' Stop. ', 'STOPALL', 'unsubscribe', 'cancel', 'END', 'quit']) {
      it(`when a customer texts "${keyword}", it is an opt-out (not the bot's cancel)`, async () => {
        harness = await startSmsHarness();
        await harness.text(CUSTOMER, keyword);
        await harness.fake.waitForMessages(1);
        assert.equal(await harness.optOuts.isOptedOut(CUSTOMER), true);
        assert.equal(harness.turns.length, 0);
      });
    }

    it('when an opted-out customer texts, nothing is sent back and no turn runs; a notification to them is refused as opted_out', async () => {
      harness = await startSmsHarness();
      await harness.text(CUSTOMER, 'STOP');
      await harness.fake.waitForMessages(1);
      const ignored = messageSid();
      await harness.text(CUSTOMER, 'hello?', { MessageSid: ignored });
      await eventually(async () =>
        assert.equal((await harness!.inbox.get(ignored))?.outcome, 'ignored_opted_out'),
      );
      await settle();
      assert.equal(harness.turns.length, 0);
      assert.equal(harness.fake.messages.length, 1);

      const notification = harness.channel.sender.send({
        to: CUSTOMER,
        body: 'CarlinKit: your repair RMA-1001 has shipped.',
        idempotencyKey: 'notification-1',
      });
      await assert.rejects(
        notification,
        (error: unknown) => error instanceof SmsSendError && error.reason === 'opted_out' && !error.retryable,
      );
      assert.equal(harness.fake.messages.length, 1, 'Twilio was not asked to send');
    });

    it('when an opted-out customer texts START, they are opted back in, get a confirmation, and later texts reach the bot', async () => {
      harness = await startSmsHarness();
      await harness.text(CUSTOMER, 'STOP');
      await harness.fake.waitForMessages(1);
      await harness.text(CUSTOMER, 'start');
      const sent = await harness.fake.waitForMessages(2);
      assert.match(sent[1]?.body ?? '', /resubscribed/);
      assert.equal(await harness.optOuts.isOptedOut(CUSTOMER), false);
      await harness.text(CUSTOMER, 'hello again');
      const all = await harness.fake.waitForMessages(3);
      assert.equal(all[2]?.body, 'you said: hello again');
      assert.deepEqual(
        harness.turns.map((turn) => turn.text),
        ['hello again'],
      );
    });

    it('when a subscribed customer answers YES, it reaches the bot; from an opted-out number YES opts back in', async () => {
      harness = await startSmsHarness();
      await harness.text(CUSTOMER, 'yes');
      await harness.fake.waitForMessages(1);
      assert.deepEqual(
        harness.turns.map((turn) => turn.text),
        ['yes'],
      );
      await harness.text(OTHER, 'STOP');
      await harness.fake.waitForMessages(2);
      await harness.text(OTHER, 'YES');
      const sent = await harness.fake.waitForMessages(3);
      assert.match(sent[2]?.body ?? '', /resubscribed/);
      assert.equal(harness.turns.length, 1);
    });

    it('when a customer texts HELP, they get the help text and no turn runs', async () => {
      harness = await startSmsHarness();
      await harness.text(CUSTOMER, 'help');
      const [sent] = await harness.fake.waitForMessages(1);
      assert.match(sent?.body ?? '', /CarlinKit Support/);
      assert.match(sent?.body ?? '', /STOP/);
      await settle();
      assert.equal(harness.turns.length, 0);
    });

    it('when STOP is only part of a sentence, it is an ordinary message for the bot', async () => {
      harness = await startSmsHarness();
      await harness.text(CUSTOMER, 'the screen will not stop flickering');
      await harness.fake.waitForMessages(1);
      assert.equal(harness.turns.length, 1);
      assert.equal(await harness.optOuts.isOptedOut(CUSTOMER), false);
    });

    it('when Twilio’s Advanced Opt-Out already answered the keyword (OptOutType), the opt-out is stored and no second confirmation is sent', async () => {
      harness = await startSmsHarness();
      await harness.text(CUSTOMER, 'STOP', { OptOutType: 'STOP' });
      await eventually(async () => assert.equal(await harness!.optOuts.isOptedOut(CUSTOMER), true));
      await settle();
      assert.equal(harness.fake.requests, 0);
      assert.equal(harness.turns.length, 0);
    });

    it('when Twilio refuses a reply because the recipient unsubscribed (21610), the opt-out is recorded', async () => {
      harness = await startSmsHarness();
      harness.fake.failNext({
        status: 400,
        code: 21610,
        message: 'Attempt to send to unsubscribed recipient',
      });
      await harness.text(CUSTOMER, 'hello');
      await eventually(async () => assert.equal(await harness!.optOuts.isOptedOut(CUSTOMER), true));
      assert.equal(harness.fake.messages.length, 0);
    });
  });

  describe('status callback (POST /api/sms/status)', () => {
    it('when Twilio reports delivery, it is recorded on the outbound message; a late "sent" does not overwrite "delivered"', async () => {
      harness = await startSmsHarness();
      await harness.text(CUSTOMER, 'hello');
      const [sent] = await harness.fake.waitForMessages(1);
      const callback = new URL(sent.statusCallback!);
      const pathAndQuery = `${callback.pathname}${callback.search}`;
      const key = callback.searchParams.get('key')!;
      const report = (status: string, extra: Record<string, string> = {}): Promise<Response> =>
        harness!.post(pathAndQuery, {
          MessageSid: sent.sid,
          SmsSid: sent.sid,
          AccountSid: ACCOUNT_SID,
          MessageStatus: status,
          SmsStatus: status,
          To: CUSTOMER,
          From: FROM_NUMBER,
          ApiVersion: '2010-04-01',
          ...extra,
        });
      await eventually(async () => assert.equal((await harness!.outboundLog.get(key))?.status, 'queued'));
      assert.equal((await report('delivered')).status, 204);
      assert.equal((await report('sent')).status, 204);
      const record = await harness.outboundLog.get(key);
      assert.equal(record?.status, 'delivered');
      assert.equal(record?.providerMessageId, sent?.sid);
      assert.deepEqual(
        record?.history.map((entry) => entry.status),
        ['delivered', 'sent'],
      );
    });

    it('when a delivery fails with an error code, the status and code are recorded; 21610 also opts the number out', async () => {
      harness = await startSmsHarness();
      await harness.text(CUSTOMER, 'hello');
      const [sent] = await harness.fake.waitForMessages(1);
      const callback = new URL(sent.statusCallback!);
      const key = callback.searchParams.get('key')!;
      await eventually(async () => assert.equal((await harness!.outboundLog.get(key))?.status, 'queued'));
      const res = await harness.post(`${callback.pathname}${callback.search}`, {
        MessageSid: sent.sid,
        AccountSid: ACCOUNT_SID,
        MessageStatus: 'undelivered',
        ErrorCode: '21610',
        To: CUSTOMER,
      });
      assert.equal(res.status, 204);
      const record = await harness.outboundLog.get(key);
      assert.equal(record?.status, 'undelivered');
      assert.equal(record?.errorCode, '21610');
      assert.equal(await harness.optOuts.isOptedOut(CUSTOMER), true);
    });

    it('when a status callback is not signed correctly, it answers 403 and records nothing', async () => {
      harness = await startSmsHarness();
      await harness.text(CUSTOMER, 'hello');
      const [sent] = await harness.fake.waitForMessages(1);
      const callback = new URL(sent.statusCallback!);
      const key = callback.searchParams.get('key')!;
      await eventually(async () => assert.equal((await harness!.outboundLog.get(key))?.status, 'queued'));
      const res = await harness.post(
        `${callback.pathname}${callback.search}`,
        { MessageSid: sent.sid, AccountSid: ACCOUNT_SID, MessageStatus: 'failed' },
        'bm90IGEgc2lnbmF0dXJl',
      );
      assert.equal(res.status, 403);
      assert.equal((await harness.outboundLog.get(key))?.status, 'queued');
    });
  });

  describe('durability', () => {
    it('when a message was stored but the process stopped before its turn, the next start processes it', async () => {
      const store = await startTestStore();
      try {
        const sid = messageSid();
        harness = await startSmsHarness({
          store,
          beforeListen: async (seeded) => {
            // As the webhook left it just before a crash: acknowledged, stored, lease since expired.
            const receivedAt = new Date(Date.now() - 120_000);
            await new SmsInbox(seeded.connection).record(
              {
                messageSid: sid,
                accountSid: ACCOUNT_SID,
                from: CUSTOMER,
                to: FROM_NUMBER,
                body: 'are you there?',
                media: [],
                receivedAt,
              },
              new Date(receivedAt.getTime() + 60_000),
            );
          },
        });
        const [sent] = await harness.fake.waitForMessages(1);
        assert.equal(sent?.body, 'you said: are you there?');
        await eventually(async () => assert.equal((await harness!.inbox.get(sid))?.state, 'done'));
        assert.equal(harness.turns.length, 1);
      } finally {
        await harness?.close();
        harness = undefined;
        await store.close();
      }
    });

    it('when replies were planned but not all sent before a stop, the next start sends the rest without running the turn again', async () => {
      const store = await startTestStore();
      try {
        const sid = messageSid();
        harness = await startSmsHarness({
          store,
          beforeListen: async (seeded) => {
            const inbox = new SmsInbox(seeded.connection);
            const receivedAt = new Date(Date.now() - 120_000);
            await inbox.record(
              {
                messageSid: sid,
                accountSid: ACCOUNT_SID,
                from: CUSTOMER,
                to: FROM_NUMBER,
                body: 'x',
                media: [],
                receivedAt,
              },
              new Date(receivedAt.getTime() + 60_000),
            );
            await inbox.planReplies(
              sid,
              'turn',
              [
                { body: 'first part', compliance: false },
                { body: 'second part', compliance: false },
              ],
              receivedAt,
            );
          },
        });
        const sent = await harness.fake.waitForMessages(2);
        assert.deepEqual(
          sent.map((message) => message.body),
          ['first part', 'second part'],
        );
        assert.equal(harness.turns.length, 0);
      } finally {
        await harness?.close();
        harness = undefined;
        await store.close();
      }
    });
  });

  describe('the one outbox', () => {
    it('when the process died after handing a turn’s replies to the outbox but before finishing the message, the next start sends them once and does not run the turn again', async () => {
      const store = await startTestStore();
      try {
        const sid = messageSid();
        harness = await startSmsHarness({
          store,
          beforeListen: async (seeded) => {
            const receivedAt = new Date(Date.now() - 120_000);
            await new SmsInbox(seeded.connection).record(
              {
                messageSid: sid,
                accountSid: ACCOUNT_SID,
                from: CUSTOMER,
                to: FROM_NUMBER,
                body: 'x',
                media: [],
                receivedAt,
              },
              new Date(receivedAt.getTime() + 60_000),
            );
            // As a crashed instance left it: its reply stored, leased to it, never sent.
            await new MessageOutbox(seeded.connection).enqueue(
              [
                {
                  id: `reply:${sid}:0`,
                  kind: 'reply',
                  to: CUSTOMER,
                  body: 'you said: x',
                  orderKey: CUSTOMER,
                },
              ],
              { now: receivedAt, leasedTo: { owner: 'crashed-instance', leaseMs: 30_000 } },
            );
          },
        });
        const [sent] = await harness.fake.waitForMessages(1);
        assert.equal(sent?.body, 'you said: x');
        await eventually(async () => assert.equal((await harness!.inbox.get(sid))?.state, 'done'));
        await settle();
        assert.equal(harness.turns.length, 0, 'the turn is not run again');
        assert.equal(harness.fake.messages.length, 1);
      } finally {
        await harness?.close();
        harness = undefined;
        await store.close();
      }
    });

    it('when Twilio is down as an agent’s proactive message goes out, it is kept in the outbox and sent once Twilio is back', async () => {
      harness = await startSmsHarness();
      await harness.text(CUSTOMER, 'agent please');
      await harness.fake.waitForMessages(1);
      const reference = TurnContext.getConversationReference(harness.turns[0]);
      harness.fake.failNext({ status: 503, code: 20503, message: 'Service Unavailable' }, 2);

      await harness.adapter.continueConversationAsync('', reference, async (context) => {
        await context.sendActivity('Hi, this is Lena from CarlinKit support.');
      });

      const sent = await harness.fake.waitForMessages(2);
      assert.equal(sent[1]?.body, 'Hi, this is Lena from CarlinKit support.');
      await settle();
      assert.equal(harness.fake.messages.length, 2, 'sent once');
      assert.equal(await harness.channel.messages.countUnfinished(), 0);
    });
  });

  describe('backlog', () => {
    it('when messages wait in the queue longer than their lease while scans run, each turn still runs exactly once', async () => {
      harness = await startSmsHarness({
        processor: { leaseMs: 80, scanIntervalMs: 15, maxConcurrent: 2 },
        bot: async (context) => {
          await new Promise((resolve) => setTimeout(resolve, 5));
          await context.sendActivity(`ack ${context.activity.text}`);
        },
      });
      const numbers = Array.from({ length: 6 }, (_, index) => `+1555000000${index}`);
      await Promise.all(
        Array.from({ length: 40 }, (_, index) => harness!.text(numbers[index % 6], `m${index}`)),
      );
      await harness.fake.waitForMessages(40, 15_000);
      await settle(400);
      assert.equal(harness.turns.length, 40);
      assert.equal(harness.fake.messages.length, 40);
      const texts = harness.turns.map((turn) => turn.text);
      assert.equal(new Set(texts).size, 40, 'no message had two turns');
    });
  });

  describe('when Twilio is not configured', () => {
    it('POST /api/sms answers 503 with a message naming the settings; notifications are held as not_configured', async () => {
      const store = await startTestStore();
      const config = loadConfig({ NODE_ENV: 'test', MONGODB_URI: store.uri });
      const { logger } = memoryLogger();
      const auth = new ConfigurationBotFrameworkAuthentication({ ...config.botAuth });
      const adapter = new CloudAdapter(auth);
      const bot = new ActivityHandler();
      const channel = createTwilioSmsChannel({
        config,
        connection: store.connection,
        adapter,
        auth,
        bot,
        identity: new SmsIdentity('test-sms-id-secret-0123456789abcdef0123'),
        logger,
      });
      const { server } = makeServer({
        config,
        logger,
        adapter,
        bot,
        registrars: [channel.registrar],
        readiness: () => Promise.resolve({ ready: true, checks: {} }),
      });
      await new Promise<void>((resolve) => {
        server.listen(0, '127.0.0.1', resolve);
      });
      try {
        const res = await fetch(`http://127.0.0.1:${server.address().port}/api/sms`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams(inboundParams(CUSTOMER, 'hi')).toString(),
        });
        assert.equal(res.status, 503);
        const body = (await res.json()) as { error: { message: string } };
        assert.match(body.error.message, /TWILIO_ACCOUNT_SID/);
        await assert.rejects(
          channel.sender.send({ to: CUSTOMER, body: 'x', idempotencyKey: 'k' }),
          (error: unknown) =>
            error instanceof SmsSendError && error.reason === 'not_configured' && error.retryable,
        );
      } finally {
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
        });
        await store.close();
      }
    });
  });
});

describe('SMS proactive messages', () => {
  let harness: SmsHarness | undefined;
  afterEach(async () => {
    await harness?.close();
    harness = undefined;
  });

  it('when the bot continues an SMS conversation later (agent reply), the message goes out as SMS; to an opted-out number it is refused', async () => {
    harness = await startSmsHarness();
    await harness.text(CUSTOMER, 'agent please');
    await harness.fake.waitForMessages(1);
    const reference = TurnContext.getConversationReference(harness.turns[0]);

    await harness.adapter.continueConversationAsync('', reference, async (context) => {
      await context.sendActivity('Hi, this is Lena from CarlinKit support.');
    });
    const sent = await harness.fake.waitForMessages(2);
    assert.equal(sent[1]?.to, CUSTOMER);
    assert.equal(sent[1]?.body, 'Hi, this is Lena from CarlinKit support.');

    await harness.optOuts.optOut(CUSTOMER, 'keyword');
    await assert.rejects(
      harness.adapter.continueConversationAsync('', reference, async (context) => {
        await context.sendActivity('Are you still there?');
      }),
      (error: unknown) => error instanceof SmsSendError && error.reason === 'opted_out',
    );
    assert.equal(harness.fake.messages.length, 2);
  });
});
