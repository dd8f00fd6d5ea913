import { strict as assert } from 'node:assert';
import { BotHarness, type TestChat } from './botHarness';

const UP_FRONT =
  'I want to register a repair. My U2W Plus keeps disconnecting. Serial U2WP22C118834, bought 4 Sep 2025 on Amazon, ' +
  "order 113-4567890-1234567. I'm Jane Doe, +1 415 555 0100, jane@example.com, " +
  'address: 500 Market Street, Apt 4, San Francisco, CA 94105, United States';

/** Starts a registration and answers product, serial… up to (not including) the question matching `until`. */
async function fillUntil(chat: TestChat, answers: readonly string[]): Promise<string> {
  await chat.say('Register a repair');
  let last = await chat.say('Register the repair');
  for (const answer of answers) last = await chat.say(answer);
  return last;
}

async function ticketOf(harness: BotHarness, reply: string) {
  const ticketNumber = /ticket number is (CK-[A-Z0-9]+)/.exec(reply)?.[1];
  assert.ok(ticketNumber, reply);
  return (await harness.tickets.list({ q: ticketNumber })).items[0];
}

describe('Repair registration: what the customer already said', () => {
  let harness: BotHarness;
  before(async () => {
    harness = await BotHarness.start();
  });
  after(async () => {
    await harness.close();
  });

  it('when everything is in the first message, it says what it understood and goes straight to the summary', async () => {
    const chat = harness.chat();
    await chat.say(UP_FRONT);
    const reply = await chat.say('Register the repair');
    assert.match(
      reply,
      /U2W Plus[\s\S]*serial U2WP22C118834[\s\S]*bought 4 September 2025[\s\S]*from Amazon[\s\S]*got it/,
    );
    assert.match(reply, /Please check your details/);
    assert.match(reply, /Return address: 500 Market Street, Apt 4, San Francisco, CA, 94105, United States/);
    const ticket = await ticketOf(harness, await chat.say('Confirm and submit'));
    assert.equal(ticket.product.serialNumber, 'U2WP22C118834');
    assert.equal(ticket.product.purchaseDate, '2025-09-04');
    assert.equal(ticket.product.faultCategory, 'connection');
    assert.equal(ticket.customer.name, 'Jane Doe');
    assert.equal(ticket.customer.phone, '+14155550100');
  });

  it('when the serial is inside a sentence it is taken, and a sentence is never taken as the serial', async () => {
    const chat = harness.chat();
    const asked = await fillUntil(chat, ['U2W Plus']);
    assert.match(asked, /serial number/);
    const junk = await chat.say('like i said 3 months ago');
    assert.match(junk, /bought 12 December 2025 — got it/);
    assert.match(junk, /serial number/, 'the serial is asked again');
    const taken = await chat.say('ok found it on the bottom, U2WP22C118834');
    assert.match(taken, /Where did you buy it\?/, 'the date is not asked again');
  });

  it('when the customer corrects the product in the middle of the form, the product changes and nothing else is lost', async () => {
    const chat = harness.chat();
    await fillUntil(chat, ['U2W Plus', 'CK4A2025001']);
    const reply = await chat.say("oh wait, it's actually the 2air, not the U2W Plus");
    assert.match(reply, /2air[\s\S]*got it[\s\S]*When did you buy it\?/);
    const summary = await chat.answers([
      '1 December 2025',
      'Amazon',
      'skip',
      'Sound',
      'No sound from the speakers since last week',
      'mike',
      'my name is Mike Ross, not mike',
    ]);
    assert.match(summary, /Mike Ross — got it[\s\S]*mobile number/);
    const last = await chat.answers([
      '+1 415 555 0100',
      'mike@example.com',
      '1 Main St, Springfield 62701, USA',
    ]);
    assert.match(last, /Product: CarlinKit 5\.0 2air[\s\S]*Serial number: CK4A2025001[\s\S]*Name: Mike Ross/);
  });

  it('when a correction is typed at the summary, it is applied and the summary shown again', async () => {
    const chat = harness.chat();
    await chat.say(UP_FRONT);
    await chat.say('Register the repair');
    const changed = await chat.say('no, the e-mail is jane.doe@example.org');
    assert.match(changed, /E-mail: jane\.doe@example\.org/);
    assert.match(changed, /Name: Jane Doe/, 'nothing else is lost');
    const asked = await chat.say('change the address');
    assert.match(asked, /whole address/);
    const summary = await chat.say('Unter den Linden 1\n10117 Berlin\nGermany');
    assert.match(summary, /Please check[\s\S]*Return address: Unter den Linden 1, Berlin, 10117, Germany/);
    const ticket = await ticketOf(harness, await chat.say('confirm'));
    assert.equal(ticket.customer.email, 'jane.doe@example.org');
    assert.equal(ticket.customer.returnAddress.city, 'Berlin');
  });

  it('when the customer has no serial number, it offers the label photo, continues and flags the ticket', async () => {
    const chat = harness.chat();
    await fillUntil(chat, ['U2W Plus']);
    const reply = await chat.say("I don't have a serial number, the label is worn off");
    assert.match(
      reply,
      /send a photo of the label[\s\S]*continue without the serial number[\s\S]*When did you buy it\?/,
    );
    const summary = await chat.answers([
      '1 December 2025',
      'Amazon',
      'skip',
      'Power',
      'It does not switch on at all, no light',
      'Jane Doe',
      '+1 415 555 0100',
      'jane@example.com',
      '1 Main St, Springfield 62701, USA',
    ]);
    assert.match(summary, /Serial number: not given/);
    const ticket = await ticketOf(harness, await chat.say('confirm'));
    assert.equal(ticket.product.serialNumber, undefined);
    assert.equal(ticket.product.serialMissing, true);
  });

  it('when the answer to the name is a sentence, it is refused and the name asked again', async () => {
    const chat = harness.chat();
    await fillUntil(chat, [
      'U2W Plus',
      'CK4A2025001',
      '1 December 2025',
      'Amazon',
      'skip',
      'Sound',
      'No sound from the speakers at all',
    ]);
    const reply = await chat.say('I already gave you that above');
    assert.match(reply, /didn't catch that earlier[\s\S]*full name/);
    assert.doesNotMatch(reply, /mobile number/);
  });

  it('when a US customer writes a national phone number, it is read with the country from the locale', async () => {
    const chat = harness.chat();
    await fillUntil(chat, [
      'U2W Plus',
      'CK4A2025001',
      '1 December 2025',
      'Amazon',
      'skip',
      'Sound',
      'No sound from the speakers at all',
      'Jane Doe',
    ]);
    const reply = await chat.say({ type: 'message', text: '(415) 555-0134', locale: 'en-US' });
    assert.match(reply, /\+14155550134 — got it[\s\S]*e-mail/);
  });

  it('when the address is pasted with junk lines, only the address is kept', async () => {
    const chat = harness.chat();
    await fillUntil(chat, [
      'U2W Plus',
      'CK4A2025001',
      '1 December 2025',
      'Amazon',
      'skip',
      'Sound',
      'No sound from the speakers at all',
      'Jane Doe',
      '+33 6 12 34 56 78',
      'jane@example.com',
    ]);
    const summary = await chat.say(
      '12 rue de la Paix\nalready included above\nParis, Île-de-France, 75002\nFRANCE',
    );
    assert.match(summary, /Return address: 12 rue de la Paix, Paris, Île-de-France, 75002, France\n/);
  });

  it('when troubleshooting comes first, the registration after it reads the details from the first message', async () => {
    const chat = harness.chat();
    let replies = await chat.send(
      'My CarlinKit 4.0 screen goes black after a minute and stays black. Serial CK4B25110042, bought 3 months ago on eBay. ' +
        "I'm Tom Baker, +44 7911 123456, tom.baker@example.co.uk, address: 10 High Street, Oxford OX1 4AB, United Kingdom",
    );
    let text = replies.map((reply) => reply.text).join('\n');
    for (let turn = 0; turn < 12 && !/Let's register the repair/.test(text); turn += 1) {
      const last = replies.at(-1)!;
      const answer = /register a repair\?/.test(last.text)
        ? 'yes'
        : /Did this help\?/.test(last.text)
          ? 'no'
          : /make of car/.test(last.text)
            ? 'skip'
            : (last.buttons[0] ?? 'no');
      replies = await chat.send(answer);
      text = replies.map((reply) => reply.text).join('\n');
    }
    assert.match(text, /Let's register the repair/);
    assert.match(text, /serial CK4B25110042[\s\S]*bought 12 December 2025[\s\S]*Tom Baker[\s\S]*got it/);
    assert.doesNotMatch(text, /What's its serial number\?/);
  });
});
