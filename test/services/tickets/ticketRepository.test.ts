import { strict as assert } from 'node:assert';
import { decide, type RepairRules } from '../../../src/services/tickets/decide';
import type { CachedTicket } from '../../../src/services/tickets/ticketFactsCache';
import { ticketModel, type TicketDoc } from '../../../src/services/tickets/ticketModel';
import { TicketRepository } from '../../../src/services/tickets/ticketRepository';
import { ticketActionSchema, type TicketAction } from '../../../src/services/tickets/types';
import { FakeClock, MAILING_ADDRESS, makeTicketService, registration } from '../../fixtures/tickets';
import { startTestStore } from '../../support/testStore';

type TestStore = Awaited<ReturnType<typeof startTestStore>>;

const RULES: RepairRules = { turnaroundBusinessDays: 14, holidays: new Set() };
const PATH: TicketAction[] = [
  { type: 'review' },
  { type: 'approve', mailingAddress: MAILING_ADDRESS },
  { type: 'receive', inboundTrackingNumber: '1Z999AA10123456784' },
  { type: 'inspect' },
  { type: 'repair', finding: 'Faulty Wi-Fi module' },
  { type: 'ship', outboundTrackingNumber: 'SF1234567890', carrier: 'SF Express' },
  { type: 'close' },
];

/** What a cache entry claims about the ticket, read from the store instead. */
function cachedFieldsOf(doc: TicketDoc): Omit<CachedTicket, 'fixed'> & { history: TicketDoc['history'] } {
  return {
    _id: doc._id,
    ticketNumber: doc.ticketNumber,
    status: doc.status,
    version: doc.version,
    product: doc.product,
    customer: doc.customer,
    warranty: { preliminary: doc.warranty.preliminary },
    history: doc.history,
  };
}

describe('TicketRepository (on the embedded store)', function () {
  let store: TestStore;
  let clock: FakeClock;

  before(async () => {
    store = await startTestStore();
  });

  after(async () => {
    await store.close();
  });

  beforeEach(async () => {
    await ticketModel(store.connection).deleteMany({});
    clock = new FakeClock('2026-11-16T02:00:00Z');
  });

  const stored = async (ticketNumber: string): Promise<TicketDoc> => {
    const doc = await ticketModel(store.connection).findOne({ ticketNumber }).lean<TicketDoc>().exec();
    assert.ok(doc);
    return doc;
  };

  it('when a ticket goes through its lifecycle, the cached entry at each version holds what the store holds at that version', async () => {
    const { service } = makeTicketService(store.connection, { clock });
    await service.init();
    const ticket = await service.register(registration(), {
      idempotencyKey: 'repo-key-1',
      actor: 'customer',
    });
    const repository = new TicketRepository(store.connection);

    for (const action of PATH) {
      const read = await repository.facts(ticket.ticketNumber);
      assert.ok(read);
      const { changes } = decide(
        read.facts,
        { action: ticketActionSchema.parse(action), actor: 'agent:mei' },
        clock.now(),
        RULES,
      );
      assert.ok(await repository.applyIfVersion(read.facts, changes, []));
      const cached = await repository.facts(ticket.ticketNumber);
      assert.ok(cached);
      assert.equal(cached.fresh, false, 'the next change is decided on the cached entry');
      const { fixed, ...facts } = cached.facts;
      assert.ok(fixed);
      const expected = cachedFieldsOf(await stored(ticket.ticketNumber));
      assert.deepEqual(
        { ...facts, product: fixed.product, customer: fixed.customer, history: [...fixed.history] },
        expected,
        `after ${action.type}`,
      );
      clock.advance(60_000);
    }
  });

  it('when another instance changed the ticket, the stale cached entry misses the write, is dropped, and the next read is fresh', async () => {
    const { service: other } = makeTicketService(store.connection, { clock });
    await other.init();
    const ticket = await other.register(registration(), { idempotencyKey: 'repo-key-2', actor: 'customer' });
    const repository = new TicketRepository(store.connection);
    const first = await repository.facts(ticket.ticketNumber);
    assert.ok(first);
    const review = decide(
      first.facts,
      { action: ticketActionSchema.parse({ type: 'review' }), actor: 'agent:mei' },
      clock.now(),
      RULES,
    );
    assert.ok(await repository.applyIfVersion(first.facts, review.changes, []));

    await other.act(
      ticket.ticketNumber,
      { type: 'approve', mailingAddress: MAILING_ADDRESS },
      { actor: 'agent:li' },
    );

    const stale = await repository.facts(ticket.ticketNumber);
    assert.ok(stale);
    assert.equal(stale.fresh, false);
    assert.equal(stale.facts.status, 'under_review', 'the cache is only a hint');
    const rejected = decide(
      stale.facts,
      { action: ticketActionSchema.parse({ type: 'reject', reason: 'x' }), actor: 'agent:mei' },
      clock.now(),
      RULES,
    );
    assert.equal(await repository.applyIfVersion(stale.facts, rejected.changes, []), null);
    assert.equal((await stored(ticket.ticketNumber)).status, 'approved', 'the stale write changed nothing');

    const again = await repository.facts(ticket.ticketNumber);
    assert.ok(again);
    assert.equal(again.fresh, true);
    assert.equal(again.facts.status, 'approved');
    assert.equal(again.facts.version, 3);
  });

  it('when two service instances act in turn on one ticket, every answer equals a fresh read of the store', async () => {
    const { service: a } = makeTicketService(store.connection, { clock });
    const { service: b } = makeTicketService(store.connection, { clock });
    await a.init();
    const ticket = await a.register(registration(), { idempotencyKey: 'repo-key-3', actor: 'customer' });
    for (const [index, action] of PATH.entries()) {
      const answer = await (index % 2 === 0 ? b : a).act(ticket.ticketNumber, action, { actor: 'agent:mei' });
      assert.deepEqual(answer, await a.get(ticket.ticketNumber), `after ${action.type}`);
      clock.advance(60_000);
    }
  });
});
