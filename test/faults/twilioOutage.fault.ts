import { strict as assert } from 'node:assert';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { registration } from '../fixtures/tickets';
import { FakeTwilioApi } from '../support/fakeTwilio';
import { ACCOUNT_SID, AUTH_TOKEN, AppProcess, BACKOFFICE_TOKEN, freePort } from './support/appProcess';
import { isTicketSms, SmsChannel } from './support/customers';
import { recordFigures } from './support/report';

const CUSTOMERS = 10;
const FAILURES = 30;

describe('Faults: the Twilio API fails (5xx, 429)', function () {
  this.timeout(0);

  it('when Twilio refuses the first sends, replies and ticket SMS are retried with backoff and each goes out once', async () => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'ck-faults-twilio-'));
    const twilio = await FakeTwilioApi.start({ accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN });
    const app = new AppProcess({ dataDir, port: await freePort(), twilioBaseUrl: twilio.baseUrl });
    try {
      await app.start();
      const statuses = [503, 429, 500];
      for (let index = 0; index < FAILURES; index += 1)
        twilio.failNext({ status: statuses[index % statuses.length], code: 20500 + index });
      const started = performance.now();
      const customers = Array.from(
        { length: CUSTOMERS },
        (_, index) => new SmsChannel(() => app.baseUrl, twilio, `+1415777${String(index).padStart(4, '0')}`),
      );
      for (const customer of customers) assert.ok(await customer.send('how long does a repair take?'));
      const ticketNumbers: string[] = [];
      for (let index = 0; index < CUSTOMERS; index += 1) {
        const res = await fetch(`${app.baseUrl}/api/tickets`, {
          method: 'POST',
          headers: {
            Authorization: `Bearer ${BACKOFFICE_TOKEN}`,
            'Content-Type': 'application/json',
            'Idempotency-Key': `twilio-fault-${index}`,
            'X-Actor': 'faults',
          },
          body: JSON.stringify(
            registration({ customer: { phone: `+1415888${String(index).padStart(4, '0')}` } }),
          ),
        });
        assert.equal(res.status, 201, await res.clone().text());
        ticketNumbers.push(((await res.json()) as { ticketNumber: string }).ticketNumber);
      }

      const replies = new Map<number, string[]>();
      const ticketSms = (number: string) =>
        twilio.messages.filter((message) => isTicketSms(message.body) && message.body.includes(`${number} `));
      const deadline = Date.now() + 180_000;
      for (;;) {
        for (const [index, customer] of customers.entries())
          replies.set(index, [...(replies.get(index) ?? []), ...(await customer.read())]);
        const allReplied = [...replies.values()].every((list) => list.length > 0);
        const allNotified = ticketNumbers.every((number) => ticketSms(number).length > 0);
        if ((allReplied && allNotified) || Date.now() > deadline) break;
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
      const recoveredMs = performance.now() - started;
      await new Promise((resolve) => setTimeout(resolve, 3_000));
      for (const [index, customer] of customers.entries())
        replies.set(index, [...(replies.get(index) ?? []), ...(await customer.read())]);

      const replyCounts = [...replies.values()].map((list) => list.length);
      const notificationCounts = ticketNumbers.map((number) => ticketSms(number).length);
      process.stdout.write(
        `      ${FAILURES} refused requests (503/429/500); all delivered after ${Math.round(recoveredMs)} ms; replies per message ${replyCounts.join(',')}; ticket SMS per ticket ${notificationCounts.join(',')}; Twilio requests ${twilio.requests}\n`,
      );
      recordFigures('faults', 'twilioOutage', {
        refusedRequests: FAILURES,
        messages: CUSTOMERS,
        tickets: CUSTOMERS,
        deliveredAfterMs: Math.round(recoveredMs),
        lost:
          replyCounts.filter((count) => count === 0).length +
          notificationCounts.filter((count) => count === 0).length,
        duplicates:
          replyCounts.filter((count) => count > 1).length +
          notificationCounts.filter((count) => count > 1).length,
        twilioRequests: twilio.requests,
      });
      assert.deepEqual(
        replyCounts,
        replyCounts.map(() => 1),
        'one reply per message: none lost, none twice',
      );
      assert.deepEqual(
        notificationCounts,
        notificationCounts.map(() => 1),
        'one ticket SMS per ticket',
      );
      assert.deepEqual(app.unexpectedExits, []);
    } finally {
      await app.stop();
      await twilio.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
