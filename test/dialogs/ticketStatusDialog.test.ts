import { strict as assert } from 'node:assert';
import { randomUUID } from 'node:crypto';
import { MAILING_ADDRESS, registration } from '../fixtures/tickets';
import { BotHarness } from './botHarness';

describe('Ticket status dialog', () => {
  let harness: BotHarness;
  let ticketNumber: string;
  before(async () => {
    harness = await BotHarness.start();
    const ticket = await harness.tickets.register(registration({ customer: { phone: '+14155550123' } }), {
      idempotencyKey: `status-test-${randomUUID()}`,
      actor: 'customer',
    });
    ticketNumber = ticket.ticketNumber;
  });
  after(async () => {
    await harness.close();
  });

  it('when the ticket number and mobile number match, it gives the status and the next step', async () => {
    const chat = harness.chat();
    assert.match(await chat.say('Repair status'), /ticket number\? It starts with CK-/);
    assert.match(await chat.say(ticketNumber.toLowerCase()), /mobile number you gave on the registration/);
    const answer = await chat.say('+1 415 555 0123');
    assert.match(answer, new RegExp(`Repair ${ticketNumber} \\(CarlinKit 4\\.0 \\(CPC200-CCPA\\)\\): `));
    assert.match(answer, /Next step: /);
    assert.match(answer, /anything else/);
  });

  it('when the ticket number is in the question, it only asks for the mobile number', async () => {
    const chat = harness.chat();
    assert.match(await chat.say(`what is the status of ${ticketNumber}`), /mobile number you gave/);
  });

  it('when the product has been received, it gives the expected completion date', async () => {
    const ticket = await harness.tickets.register(registration({ customer: { phone: '+14155550124' } }), {
      idempotencyKey: `status-test-${randomUUID()}`,
      actor: 'customer',
    });
    await harness.tickets.act(ticket.ticketNumber, { type: 'review' }, { actor: 'agent:ops' });
    await harness.tickets.act(
      ticket.ticketNumber,
      { type: 'approve', mailingAddress: MAILING_ADDRESS },
      { actor: 'agent:ops' },
    );
    await harness.tickets.act(ticket.ticketNumber, { type: 'receive' }, { actor: 'agent:ops' });
    const chat = harness.chat();
    await chat.say('Repair status');
    await chat.say(ticket.ticketNumber);
    // The date is said once: in the next step when it names it, otherwise on its own line.
    const answer = await chat.say('+14155550124');
    assert.match(answer, /(Expected completion: |expect to finish by )\d{1,2} [A-Z][a-z]+ 2026/);
    assert.equal(answer.match(/\d{1,2} [A-Z][a-z]+ 2026/g)?.length, 1);
  });

  it('when the pair does not match, it says so without telling which half is wrong, and after three misses points to a person', async () => {
    const chat = harness.chat();
    await chat.say('Repair status');
    await chat.say(ticketNumber);
    assert.match(
      await chat.say('+1 415 555 0999'),
      /couldn't find a repair with that ticket number and mobile number[\s\S]*ticket number\?/,
    );
    await chat.say('CK-23456789');
    assert.match(await chat.say('+1 415 555 0123'), /couldn't find/);
    await chat.say(ticketNumber);
    assert.match(
      await chat.say('+44 7700 900123'),
      /still can't find[\s\S]*say 'agent' here[\s\S]*anything else/,
    );
  });

  it('when a caller misses too often, lookups are refused for a while', async () => {
    const chat = harness.chat();
    for (let miss = 0; miss < 5; miss += 1) {
      await chat.say('Repair status');
      await chat.say('CK-23456789');
      await chat.say('+1 415 555 0999');
    }
    await chat.say('Repair status');
    await chat.say(ticketNumber);
    assert.match(
      await chat.say('+1 415 555 0123'),
      /too many status checks just now\. Please try again in \d+ minutes?/,
    );
  });

  it('when the customer registered in this conversation, the ticket number is offered as a button', async () => {
    const chat = harness.chat();
    await chat.say('Register a repair');
    await chat.say('Register the repair');
    await chat.answers([
      'A2A',
      'A2A20250001',
      '2026-01-10',
      'AliExpress',
      'skip',
      'Connection',
      'Android Auto never starts wirelessly in my Kia',
      'Min-jun Kim',
      '+82 10 1234 5678',
      'minjun@example.com',
      '12 Gangnam-daero',
      'skip',
      'Seoul',
      'skip',
      '06236',
      'South Korea',
    ]);
    const done = await chat.say('confirm');
    const registered = /ticket number is (CK-[A-Z0-9]+)/.exec(done)?.[1];
    assert.ok(registered);
    const prompt = (await chat.send('Repair status')).at(-1)!;
    assert.deepEqual(prompt.buttons, [registered, 'I lost my ticket number']);
    await chat.say(registered);
    assert.match(await chat.say('+82 10 1234 5678'), new RegExp(`Repair ${registered}`));
  });
});
