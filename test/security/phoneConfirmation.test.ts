import { strict as assert } from 'node:assert';
import { RegistrationApp, registrationAnswers, settle } from './registrationHarness';

const TYPED_NUMBER = '+14155550188';

describe('The "registered" SMS goes to a typed number only after a one-time code (web chat)', () => {
  let harness: RegistrationApp;
  afterEach(async () => harness?.close());

  /** Web chat: start a registration, answer everything, confirm the summary; returns the reply to "confirm". */
  const registerUpToConfirm = async (phone: string) => {
    const customer = await harness.webChat();
    await customer.ask('I want to register a repair');
    await customer.ask('Register the repair');
    for (const answer of registrationAnswers(phone)) await customer.ask(answer);
    return { customer, reply: await customer.ask('Confirm and submit') };
  };

  it('when the number never texted us, only a code is sent; the right code registers the repair and then the "registered" SMS goes out', async () => {
    harness = await RegistrationApp.start();
    const { customer, reply } = await registerUpToConfirm(TYPED_NUMBER);
    assert.match(reply, /sent a 6-digit code to \+14155550188/);
    await settle();
    const [codeSms, ...others] = harness.sentTo(TYPED_NUMBER);
    assert.equal(others.length, 0, 'nothing but the code was sent');
    const code = /\b(\d{6})\b/.exec(codeSms ?? '')?.[1] ?? '';
    assert.match(code, /^\d{6}$/);
    const wrong = code === '000000' ? '111111' : '000000';
    assert.match(await customer.ask(wrong), /code isn't right/);
    assert.equal(harness.sentTo(TYPED_NUMBER).length, 1, 'a wrong code sends nothing');

    const done = await customer.ask(code);
    assert.match(done, /Your ticket number is (CK-[A-Z0-9]+)/);
    const ticketNumber = /CK-[A-Z0-9]+/.exec(done)?.[0] ?? '';
    await harness.fake.waitForMessages(2, 10_000);
    const [, registered] = harness.sentTo(TYPED_NUMBER);
    assert.match(registered ?? '', new RegExp(ticketNumber));
  });

  it('when the customer skips the code, the repair is registered and no "registered" SMS is sent', async () => {
    harness = await RegistrationApp.start();
    const { customer } = await registerUpToConfirm(TYPED_NUMBER);
    const done = await customer.ask('skip');
    assert.match(done, /Your ticket number is CK-[A-Z0-9]+/);
    assert.match(done, /checks your mobile number with you/);
    await settle(800); // eight polls of the notification dispatcher
    assert.equal(harness.sentTo(TYPED_NUMBER).length, 1, 'only the code, never the "registered" SMS');
  });

  it('when the number has texted us before, no code is needed and the "registered" SMS is sent (positive control)', async () => {
    harness = await RegistrationApp.start();
    await harness.sms(TYPED_NUMBER, 'hi');
    const before = harness.sentTo(TYPED_NUMBER).length;
    const { reply } = await registerUpToConfirm(TYPED_NUMBER);
    assert.match(reply, /Your ticket number is (CK-[A-Z0-9]+)/);
    const ticketNumber = /CK-[A-Z0-9]+/.exec(reply)?.[0] ?? '';
    await harness.fake.waitForMessages(before + 1, 10_000);
    await settle();
    const after = harness.sentTo(TYPED_NUMBER).slice(before);
    assert.equal(after.length, 1);
    assert.match(after[0] ?? '', new RegExp(ticketNumber));
    assert.doesNotMatch(after[0] ?? '', /code/);
  });

  it('when SMS_CONFIRM_NEW_NUMBERS is off, the typed number gets the "registered" SMS straight away', async () => {
    harness = await RegistrationApp.start({ SMS_CONFIRM_NEW_NUMBERS: 'off' });
    const { reply } = await registerUpToConfirm(TYPED_NUMBER);
    assert.match(reply, /Your ticket number is CK-/);
    await harness.fake.waitForMessages(1, 10_000);
    assert.match(harness.sentTo(TYPED_NUMBER)[0] ?? '', /CK-/);
  });
});
