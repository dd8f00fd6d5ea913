import { strict as assert } from 'node:assert';
import { randomUUID } from 'node:crypto';
import { MAILING_ADDRESS, registration } from '../fixtures/tickets';
import { BotHarness } from './botHarness';

describe('Cancelling a repair in the chat', () => {
  let harness: BotHarness;
  before(async () => {
    harness = await BotHarness.start();
  });
  after(async () => {
    await harness.close();
  });

  async function registered(phone: string): Promise<string> {
    const ticket = await harness.tickets.register(registration({ customer: { phone } }), {
      idempotencyKey: `cancel-test-${randomUUID()}`,
      actor: 'customer',
    });
    return ticket.ticketNumber;
  }

  it('when the customer asks to cancel their repair by number, it checks the phone, shows the ticket, confirms, and the ticket is cancelled', async () => {
    const ticketNumber = await registered('+14155550131');
    const chat = harness.chat();
    assert.match(
      await chat.say(`I want to cancel my repair ${ticketNumber}, I fixed it myself`),
      /mobile number you gave on the registration/,
    );
    const shown = await chat.say('+1 415 555 0131');
    assert.match(shown, new RegExp(`Repair ${ticketNumber} \\(CarlinKit 4\\.0`));
    assert.match(shown, /Do you want to cancel repair/);
    assert.equal((await harness.tickets.get(ticketNumber)).status, 'submitted', 'nothing happens before yes');
    assert.match(await chat.say('Yes, cancel it'), new RegExp(`repair ${ticketNumber} is cancelled`));
    assert.equal((await harness.tickets.get(ticketNumber)).status, 'cancelled');
  });

  it('when the customer says no at the confirmation, the ticket stays registered and the bot says so', async () => {
    const ticketNumber = await registered('+14155550132');
    const chat = harness.chat();
    await chat.say(`cancel repair ${ticketNumber}`);
    await chat.say('+14155550132');
    assert.match(await chat.say('no'), /stays registered; nothing was changed/);
    assert.equal((await harness.tickets.get(ticketNumber)).status, 'submitted');
  });

  it('when the phone does not match, it says nothing was cancelled and the ticket is untouched', async () => {
    const ticketNumber = await registered('+14155550133');
    const chat = harness.chat();
    await chat.say(`please cancel my repair ticket ${ticketNumber}`);
    const reply = await chat.say('+14155550999');
    assert.match(reply, /nothing was cancelled/);
    assert.doesNotMatch(reply, /is cancelled/);
    assert.equal((await harness.tickets.get(ticketNumber)).status, 'submitted');
  });

  it('when the product has already been received, it says the repair can no longer be cancelled and changes nothing', async () => {
    const ticketNumber = await registered('+14155550134');
    await harness.tickets.act(ticketNumber, { type: 'review' }, { actor: 'agent:ops' });
    await harness.tickets.act(
      ticketNumber,
      { type: 'approve', mailingAddress: MAILING_ADDRESS },
      { actor: 'agent:ops' },
    );
    await harness.tickets.act(ticketNumber, { type: 'receive' }, { actor: 'agent:ops' });
    const chat = harness.chat();
    await chat.say(`cancel my repair ${ticketNumber}`);
    const reply = await chat.say('+14155550134');
    assert.match(reply, /can no longer be cancelled[\s\S]*Nothing was changed/);
    assert.equal((await harness.tickets.get(ticketNumber)).status, 'received');
  });

  it('when the confirming turn is retried after the ticket was cancelled, it tells the truth and cancels nothing twice', async () => {
    const ticketNumber = await registered('+14155550135');
    const chat = harness.chat();
    await chat.say(`cancel my repair ${ticketNumber}`);
    await chat.say('+14155550135');
    // The same ticket cancelled meanwhile (the first attempt of this turn got through).
    await harness.tickets.cancelForCustomer({
      ticketNumber,
      phone: '+14155550135',
      callerKey: 'test:retry',
      reason: 'first attempt',
    });
    assert.match(await chat.say('yes'), new RegExp(`repair ${ticketNumber} is cancelled`));
    const ticket = await harness.tickets.get(ticketNumber);
    assert.equal(ticket.history.filter((entry) => entry.action === 'cancel').length, 1);
  });

  it('when "cancel my repair CK-…" comes in the middle of the repair form, it is about that repair, not "registration cancelled, nothing was submitted"', async () => {
    const ticketNumber = await registered('+14155550136');
    const chat = harness.chat();
    await chat.answers(['Register a repair', 'Register the repair']);
    const reply = await chat.say(`I want to cancel my repair ${ticketNumber}, I fixed it myself`);
    assert.doesNotMatch(reply, /Nothing was submitted/);
    assert.match(reply, /mobile number you gave on the registration/);
  });

  it('when an SMS customer asks to cancel, the signed sender number stands in for the phone and the numbered options work', async () => {
    const ticketNumber = await registered('+14155550137');
    const chat = harness.chat({
      channelId: 'sms',
      userId: '+14155550137',
      channelFacts: { verifiedPhone: '+14155550137' },
    });
    assert.match(await chat.say(`cancel my repair ${ticketNumber}`), /Do you want to cancel repair/);
    assert.match(await chat.say('1'), new RegExp(`repair ${ticketNumber} is cancelled`));
    assert.equal((await harness.tickets.get(ticketNumber)).status, 'cancelled');
  });

  it('when the customer wants to cancel but lost the ticket number, it offers to find it by phone', async () => {
    const chat = harness.chat();
    assert.match(await chat.say('I want to cancel my repair'), /Which repair would you like to cancel/);
    assert.match(await chat.say("I don't have it"), /find it with the mobile number/);
  });

  it('when the customer just says "cancel" in the form, it stops the form (a different intent) and no ticket is touched', async () => {
    const chat = harness.chat();
    await chat.answers(['Register a repair', 'Register the repair']);
    assert.match(await chat.say('cancel'), /cancelled the registration/);
  });
});

describe('Menu options inside a longer message', () => {
  let harness: BotHarness;
  let ticketNumber: string;
  before(async () => {
    harness = await BotHarness.start();
    ticketNumber = (
      await harness.tickets.register(registration({ customer: { phone: '+14155550140' } }), {
        idempotencyKey: `menu-test-${randomUUID()}`,
        actor: 'customer',
      })
    ).ticketNumber;
  });
  after(async () => {
    await harness.close();
  });

  for (const message of ['status of ticket {n}', 'status of repair {n}', 'Repair status {n}']) {
    it(`when the customer writes "${message}", it takes the ticket number and asks only for the phone`, async () => {
      const chat = harness.chat();
      const reply = await chat.say(message.replace('{n}', ticketNumber));
      assert.doesNotMatch(reply, /What's your ticket number/);
      assert.match(reply, /mobile number you gave on the registration/);
    });
  }

  it('when the customer writes just a menu option, it still starts that option', async () => {
    const chat = harness.chat();
    assert.match(await chat.say('status'), /What's your ticket number/);
  });
});
