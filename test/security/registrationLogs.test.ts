import { strict as assert } from 'node:assert';
import { RegistrationApp, registrationAnswers, settle } from './registrationHarness';

const SMS_CUSTOMER = '+14155550142';
const WEB_CUSTOMER = '+14155550143';

const INFO_AND_ABOVE = new Set(['info', 'warn', 'error', 'fatal']);

/** Lines at info or above, as an operator's log would hold them. */
function infoLines(lines: readonly string[]): string[] {
  return lines.filter((line) => INFO_AND_ABOVE.has(String((JSON.parse(line) as { level?: unknown }).level)));
}

/** What must never be in the info log: contact details and addresses typed by the customers. */
const PERSONAL = [
  /\+?1?\s*\(?415\)?[\s.-]*555[\s.-]*014[23]/,
  /sam\.lee@example\.com/i,
  /Market Street/i,
  /San Francisco/i,
  /94105/,
  /Sam Lee/,
];

describe('The info log of whole registrations (SMS and web chat) holds no personal data and no ticket/conversation pairs', () => {
  let harness: RegistrationApp;
  after(async () => harness?.close());

  it('when a customer registers by SMS and another by web chat, no info line has a phone, e-mail, address, or a ticket number next to a conversation id', async () => {
    harness = await RegistrationApp.start();

    // SMS: the sender's number is offered; no code is needed for it.
    for (const answer of ['2', '2', ...registrationAnswers(SMS_CUSTOMER).slice(0, 8)])
      await harness.sms(SMS_CUSTOMER, answer);
    await harness.sms(SMS_CUSTOMER, '1'); // "Yes, use this number"
    for (const answer of registrationAnswers(SMS_CUSTOMER).slice(9)) await harness.sms(SMS_CUSTOMER, answer);
    const smsDone = await harness.sms(SMS_CUSTOMER, '1');
    const smsTicket = /CK-[A-Z0-9]+/.exec(smsDone)?.[0];
    assert.ok(smsTicket, smsDone);

    // Web chat, with a number confirmed by its one-time code.
    const customer = await harness.webChat();
    await customer.ask('I want to register a repair');
    await customer.ask('Register the repair');
    for (const answer of registrationAnswers(WEB_CUSTOMER)) await customer.ask(answer);
    assert.match(await customer.ask('Confirm and submit'), /6-digit code/);
    await settle();
    const code = /\b(\d{6})\b/.exec(harness.sentTo(WEB_CUSTOMER)[0] ?? '')?.[1] ?? '';
    const webDone = await customer.ask(code);
    const webTicket = /CK-[A-Z0-9]+/.exec(webDone)?.[0];
    assert.ok(webTicket, webDone);
    // Both "registered" SMS went out (their log lines are part of what is checked).
    const deadline = Date.now() + 10_000;
    while (harness.sentTo(WEB_CUSTOMER).length < 2 && Date.now() < deadline) await settle(100);
    assert.ok(harness.sentTo(SMS_CUSTOMER).some((body) => body.includes(smsTicket)));
    assert.ok(harness.sentTo(WEB_CUSTOMER).some((body) => body.includes(webTicket)));
    await settle();

    const lines = infoLines(harness.logLines);
    // Positive control: the registrations are in the log (by ticket number), so the checks look at something.
    assert.ok(lines.some((line) => line.includes(smsTicket)));
    assert.ok(lines.some((line) => line.includes(webTicket)));
    for (const line of lines) {
      for (const pattern of PERSONAL) assert.doesNotMatch(line, pattern, `personal data in: ${line}`);
      if (/CK-[A-Z0-9]{8}/.test(line)) {
        assert.doesNotMatch(
          line,
          /conversationId|sms-[0-9a-f]{16}|smsu-/,
          `ticket next to a conversation: ${line}`,
        );
        assert.ok(
          !line.includes(customer.conversation.conversationId),
          `ticket next to a conversation: ${line}`,
        );
      }
      assert.ok(
        !line.includes(customer.conversation.conversationId),
        `web chat conversation id at info: ${line}`,
      );
    }
  });
});
