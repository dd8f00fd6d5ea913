import { strict as assert } from 'node:assert';
import { randomUUID } from 'node:crypto';
import type { PhoneConfirmer } from '../../src/dialogs/ports';
import { registration } from '../fixtures/tickets';
import { BotHarness } from './botHarness';

const CODE = '246810';

/** Sends a fixed code to any phone and remembers what was asked; the real one is PhoneConfirmation. */
class FakeCodes implements PhoneConfirmer {
  readonly sent: Array<{ phone: string; proveOwner: boolean }> = [];
  start(request: { phone: string; conversationId: string; proveOwner?: boolean }) {
    this.sent.push({ phone: request.phone, proveOwner: request.proveOwner === true });
    return Promise.resolve('code_sent' as const);
  }
  confirm(request: { phone: string; conversationId: string; code: string }) {
    return Promise.resolve(request.code === CODE ? ('confirmed' as const) : ('wrong' as const));
  }
}

describe('A lost ticket number', () => {
  let harness: BotHarness;
  let ticketNumber: string;
  before(async () => {
    harness = await BotHarness.start();
    ticketNumber = (
      await harness.tickets.register(registration({ customer: { phone: '+14155550150' } }), {
        idempotencyKey: `lost-test-${randomUUID()}`,
        actor: 'customer',
      })
    ).ticketNumber;
  });
  after(async () => {
    await harness.close();
  });

  it('when the customer lost the ticket number, it is found by the phone on the ticket once the code sent to that phone comes back', async () => {
    const codes = new FakeCodes();
    const chat = harness.chat({ phoneConfirmation: codes });
    assert.match(await chat.say('I lost my ticket number'), /find it with the mobile number/);
    assert.match(await chat.say('+1 415 555 0150'), /sent a 6-digit code to \+14155550150/);
    assert.deepEqual(codes.sent, [{ phone: '+14155550150', proveOwner: true }]);
    const wrong = await chat.say('111111');
    assert.match(wrong, /code isn't right/);
    assert.doesNotMatch(wrong, /CK-/);
    assert.match(await chat.say(CODE), new RegExp(`${ticketNumber}: CarlinKit 4\\.0`));
  });

  it('when asked for the ticket number, "I don\'t have it" takes the same path', async () => {
    const chat = harness.chat({ phoneConfirmation: new FakeCodes() });
    await chat.say('Repair status');
    assert.match(await chat.say("I don't have it"), /find it with the mobile number/);
  });

  it('when no code can be sent, it lists nothing and points to the team', async () => {
    const chat = harness.chat();
    await chat.say('I lost my ticket number');
    const reply = await chat.say('+1 415 555 0150');
    assert.match(reply, /can't send a code/);
    assert.doesNotMatch(reply, /CK-/);
  });
});
