import { strict as assert } from 'node:assert';
import { RateLimitedError } from '../../../src/services/errors';
import { RegistrationLimits } from '../../../src/services/tickets/registrationLimits';
import { ticketModel } from '../../../src/services/tickets/ticketModel';
import type { TicketService } from '../../../src/services/tickets/ticketService';
import type { RegistrationInput } from '../../../src/services/tickets/types';
import { FakeClock, makeTicketService, registration } from '../../fixtures/tickets';
import { startTestStore, type TestStore } from '../../support/testStore';

describe('RegistrationLimits (customer registrations, on the embedded store)', () => {
  let store: TestStore;
  let clock: FakeClock;
  let service: TicketService;
  let limits: RegistrationLimits;

  before(async () => {
    store = await startTestStore();
  });
  after(async () => {
    await store.close();
  });
  beforeEach(async () => {
    await ticketModel(store.connection).deleteMany({});
    clock = new FakeClock();
    ({ service } = makeTicketService(store.connection, { clock }));
    await service.init();
    limits = new RegistrationLimits({
      connection: store.connection,
      perConversation: 2,
      perPhonePerDay: 3,
      clock,
    });
  });

  /** Registers as the bot does: the caps first, then the ticket service. */
  const register = async (input: RegistrationInput, key = `key-${Math.random()}`) => {
    await limits.check(input, key);
    return service.register(input, { idempotencyKey: key, actor: 'customer' });
  };
  const count = () => ticketModel(store.connection).countDocuments({}).exec();

  it('when one conversation registers past its cap, it is refused and nothing is stored; a retry of an earlier one still answers', async () => {
    const origin = { conversationId: 'conv-flood' };
    const first = registration({ origin, customer: { phone: '+14155550101' } });
    const ticket = await register(first, 'registration-1');
    await register(registration({ origin, customer: { phone: '+14155550102' } }));
    await assert.rejects(
      register(registration({ origin, customer: { phone: '+14155550103' } })),
      (error: unknown) =>
        error instanceof RateLimitedError && /This conversation has registered 2/.test(error.message),
    );
    assert.equal(await count(), 2);
    // The same confirmation retried (its answer was lost) is not a new registration.
    assert.equal((await register(first, 'registration-1')).ticketNumber, ticket.ticketNumber);
    // Positive control: another conversation registers, and this one can again a day later.
    await register(registration({ customer: { phone: '+14155550104' } }));
    clock.advance(24 * 60 * 60_000 + 1);
    await register(registration({ origin, customer: { phone: '+14155550105' } }));
    assert.equal(await count(), 4);
  });

  it('when one mobile number is registered from many conversations in a day, the fourth is refused (however it is written)', async () => {
    for (const phone of ['+44 7700 900123', '0044 7700 900123', '+447700900123'])
      await register(registration({ customer: { phone } }));
    await assert.rejects(
      register(registration({ customer: { phone: '+44 (7700) 900-123' } })),
      (error: unknown) =>
        error instanceof RateLimitedError && /for this mobile number today/.test(error.message),
    );
    assert.equal(await count(), 3);
    // Positive control: another number, and the same number the next day.
    await register(registration({ customer: { phone: '+447700900124' } }));
    clock.advance(24 * 60 * 60_000 + 1);
    await register(registration({ customer: { phone: '+447700900123' } }));
  });
});
