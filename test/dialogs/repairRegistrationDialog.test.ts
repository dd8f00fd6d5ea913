import { strict as assert } from 'node:assert';
import type { TicketOperations } from '../../src/dialogs/ports';
import { UnavailableError } from '../../src/services/errors';
import { BotHarness, type TestChat } from './botHarness';

/** Every question of the registration, in order, with a valid answer. */
const FIELDS: ReadonlyArray<{ name: string; prompt: RegExp; answer: string }> = [
  { name: 'product', prompt: /Which CarlinKit product is it\?/, answer: 'CPC200-CCPA' },
  { name: 'serial number', prompt: /serial number/, answer: 'CK4A2025001' },
  { name: 'purchase date', prompt: /When did you buy it\?/, answer: '1 December 2025' },
  { name: 'shop', prompt: /Where did you buy it\?/, answer: 'Amazon US' },
  { name: 'order number', prompt: /order number/, answer: '113-4567890-1234567' },
  { name: 'fault category', prompt: /What kind of fault is it\?/, answer: 'Sound' },
  {
    name: 'fault description',
    prompt: /describe the fault/,
    answer: 'No sound from the speakers since last week, music plays on the phone',
  },
  { name: 'name', prompt: /full name/, answer: 'Jane Doe' },
  { name: 'mobile number', prompt: /mobile number, with the country code/, answer: '+1 415 555 0100' },
  { name: 'e-mail', prompt: /e-mail address/, answer: 'jane@example.com' },
  {
    name: 'address',
    prompt: /whole address as you'd write it on a parcel/,
    answer: '500 Market Street\nApt 4\nSan Francisco, CA 94105\nUnited States',
  },
];

async function startRegistration(chat: TestChat): Promise<string> {
  await chat.say('Register a repair');
  return chat.say('Register the repair');
}

/** Answers every question before `field`, returns the prompt for `field`. */
async function answerUpTo(chat: TestChat, field: string): Promise<string> {
  let last = await startRegistration(chat);
  for (const entry of FIELDS) {
    if (entry.name === field) return last;
    last = await chat.say(entry.answer);
  }
  return last;
}

describe('Repair registration dialog', () => {
  let harness: BotHarness;
  before(async () => {
    harness = await BotHarness.start();
  });
  after(async () => {
    await harness.close();
  });

  it('when asked for a repair, it first recommends troubleshooting, as the after-sales page does', async () => {
    const chat = harness.chat();
    const replies = await chat.send('Register a repair');
    assert.match(
      replies.map((reply) => reply.text).join('\n'),
      /check with customer service before sending anything in/,
    );
    assert.deepEqual(replies.at(-1)!.buttons, ['Troubleshoot first', 'Register the repair']);
    assert.match(await chat.say('Troubleshoot first'), /What kind of problem is it\?/);
  });

  it('when every answer is valid, it shows a summary card, creates the ticket and says what happens next', async () => {
    const chat = harness.chat();
    let reply = await startRegistration(chat);
    for (const field of FIELDS.slice(0, -1)) {
      assert.match(reply, field.prompt, `asks for the ${field.name}`);
      reply = await chat.say(field.answer);
    }
    assert.match(reply, /whole address/);
    const summary = (await chat.send(FIELDS.at(-1)!.answer)).at(-1)!;
    const card = summary.card;
    assert.ok(card, 'web chat gets an Adaptive Card');
    assert.match(
      summary.text,
      /Product: CarlinKit 4\.0 \(CPC200-CCPA\)[\s\S]*Serial number: CK4A2025001[\s\S]*Purchase date: 1 December 2025/,
    );
    assert.match(
      summary.text,
      /Problem: Sound: No sound from the speakers[\s\S]*Mobile: \+14155550100[\s\S]*Return address: 500 Market Street, Apt 4, San Francisco, CA, 94105, United States/,
    );
    assert.deepEqual(summary.buttons, ['Confirm and submit', 'Change something', 'Cancel']);

    // Web Chat sends a card button press as a value without text.
    const done = await chat.send({ type: 'message', value: { choice: 'confirm' } });
    const text = done.map((item) => item.text).join('\n');
    const ticketNumber = /ticket number is (CK-[A-Z0-9]+)/.exec(text)?.[1];
    assert.ok(ticketNumber, text);
    assert.match(text, /under warranty until 30 November 2026/);
    assert.match(text, /After the review you'll receive an SMS with the address to mail the product to/);

    const ticket = (await harness.tickets.list({ q: ticketNumber })).items[0];
    assert.equal(ticket.status, 'submitted');
    assert.deepEqual(ticket.product.troubleshootingTried, []);
    assert.equal(ticket.product.orderNumber, '113-4567890-1234567');
    assert.equal(ticket.customer.phone, '+14155550100');
    assert.deepEqual(ticket.customer.returnAddress, {
      line1: '500 Market Street',
      line2: 'Apt 4',
      city: 'San Francisco',
      region: 'CA',
      postalCode: '94105',
      country: 'United States',
    });
    assert.equal(ticket.origin.channel, 'test');
    assert.equal(ticket.origin.conversationId, chat.conversationId);
  });

  const invalid: Array<[string, string, RegExp]> = [
    ['product', 'my phone', /don't recognise that model/],
    ['serial number', 'dunno', /doesn't look like a serial number/],
    ['purchase date', '03/05/2025', /could be read two ways/],
    ['purchase date', '2027-01-01', /in the future/],
    ['shop', '!!', /shop or website/],
    ['order number', 'x', /doesn't look like an order number/],
    ['fault category', 'purple', /choose one of the options/],
    ['fault description', 'bad', /few more words/],
    ['name', '12345', /full name/],
    ['mobile number', '415 555 0100', /add your country code/],
    ['e-mail', 'jane.example.com', /doesn't look like an e-mail address/],
    ['address', '500 Market Street, San Francisco 94105', /couldn't find the country/],
    ['address', '12 rue de la Paix, Paris 123, France', /valid postal code for that country/],
    ['address', 'skip', /write the whole address/],
  ];
  for (const [field, answer, reason] of invalid) {
    it(`when the ${field} answer is "${answer}", it explains what is needed and asks again`, async () => {
      const chat = harness.chat();
      await answerUpTo(chat, field);
      assert.match(await chat.say(answer), reason);
      const entry = FIELDS.find((candidate) => candidate.name === field)!;
      const next = FIELDS[FIELDS.indexOf(entry) + 1];
      const after = await chat.say(entry.answer);
      if (next) assert.match(after, next.prompt, 'a valid answer moves on');
    });
  }

  it('when optional details are skipped, the ticket has none and the summary says so', async () => {
    const chat = harness.chat();
    await answerUpTo(chat, 'order number');
    assert.match(await chat.say('skip'), /What kind of fault/);
    await chat.answers([
      'Power',
      'It does not switch on at all, no light',
      'Jane Doe',
      '+1 415 555 0100',
      'jane@example.com',
    ]);
    const summary = await chat.say('500 Market Street, Springfield 62701, USA');
    assert.match(
      summary,
      /Order number: none[\s\S]*Return address: 500 Market Street, Springfield, 62701, United States/,
    );
  });

  it('when an answer fails three times, it offers a person and still accepts a good answer', async () => {
    const chat = harness.chat();
    await answerUpTo(chat, 'e-mail');
    await chat.say('nope');
    await chat.say('still nope');
    const third = (await chat.send('not telling')).at(-1)!;
    assert.match(third.text, /doesn't look like an e-mail address[\s\S]*a person from our team can help/);
    assert.deepEqual(third.buttons, ['Talk to a person']);
    assert.match(await chat.say('jane@example.com'), /whole address/);
  });

  it('when details are changed at the summary, only those are asked again and the ticket has the new values', async () => {
    const chat = harness.chat();
    await startRegistration(chat);
    for (const field of FIELDS) await chat.say(field.answer);

    const choices = (await chat.send('Change something')).at(-1)!;
    assert.deepEqual(choices.buttons, [
      'Product',
      'Serial number',
      'Purchase date',
      'Where bought',
      'Order number',
      'Problem',
      'Name',
      'Mobile number',
      'E-mail',
      'Return address',
    ]);
    assert.match(await chat.say('Serial number'), /serial number/);
    assert.match(await chat.say('CK4A2025999'), /Serial number: CK4A2025999/);

    await chat.say('edit');
    assert.match(await chat.say('Return address'), /whole address/);
    assert.match(
      await chat.say('Unter den Linden 1\n10117 Berlin\nGermany'),
      /Return address: Unter den Linden 1, Berlin, 10117, Germany/,
    );

    await chat.say('change');
    assert.match(await chat.say('Problem'), /What kind of fault is it\?/);
    await chat.say('Screen');
    assert.match(
      await chat.say('The picture flickers on the car screen every few seconds'),
      /Problem: Screen: The picture flickers/,
    );

    const done = await chat.say('confirm');
    const ticketNumber = /ticket number is (CK-[A-Z0-9]+)/.exec(done)?.[1];
    assert.ok(ticketNumber);
    const ticket = (await harness.tickets.list({ q: ticketNumber })).items[0];
    assert.equal(ticket.product.serialNumber, 'CK4A2025999');
    assert.equal(ticket.product.faultCategory, 'display');
    assert.deepEqual(ticket.customer.returnAddress, {
      line1: 'Unter den Linden 1',
      city: 'Berlin',
      postalCode: '10117',
      country: 'Germany',
    });
  });

  it('when the customer cancels at the summary, nothing is submitted', async () => {
    const chat = harness.chat();
    await startRegistration(chat);
    for (const field of FIELDS) await chat.say({ type: 'message', text: field.answer });
    assert.match(
      await chat.say('Cancel'),
      /cancelled the registration\. Nothing was submitted[\s\S]*anything else/,
    );
    assert.equal(
      (await harness.tickets.list({ q: 'CK4A2025001' })).items.filter(
        (ticket) => ticket.origin.conversationId === chat.conversationId,
      ).length,
      0,
    );
  });

  it('when the confirmation is lost after the ticket was created, confirming again gives the same ticket, not a second one', async () => {
    let calls = 0;
    // The ticket is created, then the answer is lost on the way back (a store or network hiccup).
    const flaky: TicketOperations = {
      register: async (input, options) => {
        calls += 1;
        const ticket = await harness.tickets.register(input, options);
        if (calls === 1) throw new UnavailableError('connection reset');
        return ticket;
      },
      findForCustomer: (query) => harness.tickets.findForCustomer(query),
    };
    const chat = harness.chat({ tickets: flaky });
    await startRegistration(chat);
    for (const field of FIELDS)
      await chat.say(field.name === 'serial number' ? 'CK4AIDEMPOTENT1' : field.answer);

    const failed = await chat.say('Confirm and submit');
    assert.match(
      failed,
      /couldn't submit your registration just now\. Your details are kept[\s\S]*Please check your details/,
    );
    const done = await chat.say('Confirm and submit');
    assert.match(done, /Your repair is registered/);
    assert.equal(calls, 2);
    const tickets = (await harness.tickets.list({ q: 'CK4AIDEMPOTENT1' })).items;
    assert.equal(tickets.length, 1);
    assert.match(done, new RegExp(tickets[0].ticketNumber));
  });
});
