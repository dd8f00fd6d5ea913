import { strict as assert } from 'node:assert';
import { BotHarness, type Reply, type TestChat } from './botHarness';

interface CardElement {
  type: string;
  id?: string;
  text?: string;
  value?: string;
  color?: string;
}

/** The inputs of the reply's card, with the error shown right after each (if any). */
function inputsOf(reply: Reply): Map<string, { value?: string; error?: string }> {
  const body = (reply.card as { body?: CardElement[] } | undefined)?.body ?? [];
  const inputs = new Map<string, { value?: string; error?: string }>();
  body.forEach((element, index) => {
    if (!element.type.startsWith('Input.') || !element.id) return;
    const next = body[index + 1];
    inputs.set(element.id, {
      ...(element.value ? { value: element.value } : {}),
      ...(next?.type === 'TextBlock' && next.color === 'Attention' && next.text ? { error: next.text } : {}),
    });
  });
  return inputs;
}

async function openForm(chat: TestChat): Promise<Reply> {
  await chat.say('I want to register a repair for my U2W Plus, serial U2WP22C118834');
  const replies = await chat.send('Register the repair');
  const form = replies.find((reply) => reply.card);
  assert.ok(form, 'web chat gets the form as a card');
  return form;
}

const VALID = {
  form: 'registration',
  purchaseDate: '2025-12-01',
  shop: 'Amazon',
  orderNumber: '',
  faultCategory: 'connection',
  faultDescription: 'It disconnects every few minutes since last week',
  name: 'Jane Doe',
  phone: '(415) 555-0134',
  email: 'jane@example.com',
  address: '500 Market Street\nSan Francisco, CA 94105\nUnited States',
};

describe('Repair registration on web chat: one form for what is missing', () => {
  let harness: BotHarness;
  before(async () => {
    harness = await BotHarness.start();
  });
  after(async () => {
    await harness.close();
  });

  it('when the registration starts on web chat, the missing fields come in one card, without what was already said', async () => {
    const chat = harness.chat({ channelId: 'directline' });
    const form = await openForm(chat);
    const inputs = [...inputsOf(form).keys()];
    assert.deepEqual(inputs, [
      'purchaseDate',
      'shop',
      'orderNumber',
      'faultCategory',
      'faultDescription',
      'name',
      'phone',
      'email',
      'address',
    ]);
    assert.match(form.text, /When did you buy it\?[\s\S]*form below/);
  });

  it('when the form is submitted with junk, it is sent again with each problem next to its field and the typed values kept', async () => {
    const chat = harness.chat({ channelId: 'directline' });
    await openForm(chat);
    const replies = await chat.send({
      type: 'message',
      value: {
        ...VALID,
        name: 'I already gave you that above',
        address: '1 Main St, Springfield 62701',
        purchaseDate: '2027-01-01',
      },
    });
    const again = replies.find((reply) => reply.card);
    assert.ok(again, replies.map((reply) => reply.text).join('\n'));
    const inputs = inputsOf(again);
    assert.match(inputs.get('name')?.error ?? '', /full name/);
    assert.match(inputs.get('address')?.error ?? '', /country/);
    assert.match(inputs.get('purchaseDate')?.error ?? '', /future/);
    assert.equal(inputs.get('email')?.error, undefined);
    assert.equal(inputs.get('shop')?.value, 'Amazon');
    assert.equal(inputs.get('name')?.value, 'I already gave you that above');
  });

  it('when the form is valid, the summary follows and one confirmation registers the ticket', async () => {
    const chat = harness.chat({ channelId: 'directline' });
    await openForm(chat);
    const summary = await chat.say({ type: 'message', locale: 'en-US', value: VALID });
    assert.match(summary, /Please check your details/);
    assert.match(summary, /Mobile: \+14155550134/);
    assert.match(summary, /Return address: 500 Market Street, San Francisco, CA, 94105, United States/);
    const done = await chat.say({ type: 'message', value: { choice: 'confirm' } });
    const ticketNumber = /ticket number is (CK-[A-Z0-9]+)/.exec(done)?.[1];
    assert.ok(ticketNumber, done);
    const ticket = (await harness.tickets.list({ q: ticketNumber })).items[0];
    assert.equal(ticket.product.serialNumber, 'U2WP22C118834');
    assert.equal(ticket.product.purchaseDate, '2025-12-01');
    assert.equal(ticket.customer.name, 'Jane Doe');
  });

  it('when the customer ticks "no serial number" in the form, the ticket is flagged for the team', async () => {
    const chat = harness.chat({ channelId: 'directline' });
    await chat.say('Register a repair');
    const form = (await chat.send('Register the repair')).find((reply) => reply.card);
    assert.ok(form);
    assert.ok(inputsOf(form).has('product'));
    assert.ok(inputsOf(form).has('serial'));
    const summary = await chat.say({
      type: 'message',
      value: { ...VALID, product: 'u2w-plus', serial: '', noSerial: 'true' },
    });
    assert.match(summary, /Serial number: not given/);
    const done = await chat.say({ type: 'message', value: { choice: 'confirm' } });
    const ticketNumber = /ticket number is (CK-[A-Z0-9]+)/.exec(done)?.[1];
    const ticket = (await harness.tickets.list({ q: ticketNumber! })).items[0];
    assert.equal(ticket.product.serialMissing, true);
  });
});
