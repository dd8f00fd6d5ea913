import { strict as assert } from 'node:assert';
import { MemoryStorage, type Storage, type StoreItems } from 'botbuilder';
import { BotHarness } from './botHarness';

const ANSWERS = [
  'Register a repair',
  'Register the repair',
  'CPC200-CCPA',
  'CK4ACRASH0001',
  '1 December 2025',
  'Amazon US',
  'skip',
  'Sound',
  'No sound from the speakers since last week',
  'Jane Doe',
  '+1 415 555 0100',
  'jane@example.com',
  '500 Market Street, San Francisco, CA 94105, United States',
];

/**
 * The state storage as a process sees it that is killed (kill -9) once `dead` is set: it still read
 * the turn's state, but nothing it writes or deletes from then on reaches the store.
 */
class DyingStorage implements Storage {
  dead = false;
  constructor(private readonly inner: Storage) {}
  read(keys: string[]): Promise<StoreItems> {
    return this.inner.read(keys);
  }
  async write(changes: StoreItems): Promise<void> {
    if (this.dead) throw new Error('process killed');
    await this.inner.write(changes);
  }
  async delete(keys: string[]): Promise<void> {
    if (this.dead) throw new Error('process killed');
    await this.inner.delete(keys);
  }
}

describe('Side effects of a turn across a crash (kill -9 mid-turn, then the same message again)', () => {
  let harness: BotHarness;
  before(async () => {
    harness = await BotHarness.start();
  });
  after(async () => {
    await harness.close();
  });

  it('when the confirmation turn dies after the ticket was written, confirming again gives the same ticket', async () => {
    const store = new MemoryStorage();
    const storage = new DyingStorage(store);
    const conversationId = 'conv-crash-1';
    const first = harness.chat({ storage, conversationId, userId: 'u1' });
    for (const answer of ANSWERS) await first.say(answer);
    storage.dead = true;
    await first.say('Confirm and submit');
    const afterCrash = (await harness.tickets.list({ q: 'CK4ACRASH0001' })).items;
    assert.equal(afterCrash.length, 1, 'the ticket was written before the crash');

    const restarted = harness.chat({ storage: store, conversationId, userId: 'u1' });
    const done = await restarted.say('Confirm and submit');
    const tickets = (await harness.tickets.list({ q: 'CK4ACRASH0001' })).items;
    assert.equal(tickets.length, 1, done);
    assert.match(done, new RegExp(tickets[0].ticketNumber));
  });

  it('when the rating turn dies after the rating was stored, rating again stores it once', async () => {
    const store = new MemoryStorage();
    const storage = new DyingStorage(store);
    const conversationId = 'conv-crash-rating';
    const first = harness.chat({ storage, conversationId, userId: 'u2' });
    await first.answers(['My wireless adapter keeps disconnecting', 'U2W Plus', 'skip']);
    assert.match(await first.say('yes'), /rate my help today/);
    storage.dead = true;
    await first.say('4');
    const mine = async () =>
      (await harness.ratings.list('troubleshooting:connection')).filter(
        (rating) => rating.conversationId === conversationId,
      );
    assert.equal((await mine()).length, 1, 'the rating was stored before the crash');

    const restarted = harness.chat({ storage: store, conversationId, userId: 'u2' });
    assert.match(await restarted.say('4'), /Thank you for your feedback!/);
    assert.deepEqual(
      (await mine()).map((rating) => rating.rating),
      [4],
    );
  });
});
