import { strict as assert } from 'node:assert';
import { SatisfactionRatings } from '../../../src/services/feedback/satisfactionRatings';
import { HandoffService } from '../../../src/services/handoff/handoffService';
import { SupportHours } from '../../../src/services/handoff/supportHours';
import { agentSessionModel } from '../../../src/services/agents/sessionModel';
import { percentile, SupervisorOverview } from '../../../src/services/supervisor/supervisorOverview';
import { FakeClock } from '../../fixtures/tickets';
import { memoryLogger } from '../../support/silentLogger';
import { startTestStore, type TestStore } from '../../support/testStore';
import { mongo } from 'mongoose';

describe('SupervisorOverview (today’s figures from the store)', () => {
  let store: TestStore;
  let clock: FakeClock;
  let handoff: HandoffService;

  before(async () => {
    store = await startTestStore();
    clock = new FakeClock('2026-12-03T08:00:00Z');
    handoff = new HandoffService({
      connection: store.connection,
      settings: {
        hours: SupportHours.alwaysOpen(),
        queueTimeoutMinutes: 10,
        eventPollMs: 1_000,
        instanceId: 't',
      },
      logger: memoryLogger().logger,
      clock,
    });
    await handoff.init();
  });

  after(async () => {
    await handoff.stop();
    await store.close();
  });

  const talk = async (conversationId: string, language?: string, escalate = false) => {
    const reference = { conversation: { id: conversationId } };
    await handoff.recordCustomerMessage(conversationId, { text: 'hi', channel: 'webchat', reference });
    if (escalate)
      await handoff.escalate({
        conversationId,
        channel: 'webchat',
        reason: 'asked',
        context: {},
        reference,
        ...(language ? { language } : {}),
      });
  };

  it('when conversations, handoffs, claims and ratings happened today, it reports counts, waits, rating, load and languages', async () => {
    const sam = { agentId: new mongo.ObjectId().toHexString(), name: 'Sam' };
    // Yesterday's conversation does not count.
    clock.set('2026-12-02T15:00:00Z');
    await talk('old');
    clock.set('2026-12-03T08:00:00Z');
    await talk('bot-only');
    await talk('waits-60', 'en', true);
    await talk('waits-120', 'pt', true);
    await talk('still-queued', 'en', true);
    clock.advance(60_000);
    await handoff.claim('waits-60', sam);
    clock.advance(60_000);
    await handoff.claim('waits-120', sam);
    const ratings = new SatisfactionRatings(store.connection, () => clock.now());
    for (const [key, rating] of [
      ['r1', 4],
      ['r2', 5],
    ] as const)
      await ratings.record({
        idempotencyKey: key,
        conversationId: 'bot-only',
        channel: 'webchat',
        topic: 'handoff',
        rating,
      });
    await agentSessionModel(store.connection).create({
      tokenHash: 'a'.repeat(64),
      agentId: sam.agentId,
      csrfToken: 'c',
      createdAt: clock.now(),
      lastSeenAt: clock.now(),
      absoluteExpiresAt: new Date(clock.now().getTime() + 3_600_000),
      expiresAt: new Date(clock.now().getTime() + 1_800_000),
    });

    const overview = await new SupervisorOverview({
      connection: store.connection,
      agentNames: (ids) => Promise.resolve(new Map(ids.map((id) => [id, id === sam.agentId ? 'Sam' : '?']))),
      clock,
    }).today();

    assert.equal(overview.since, '2026-12-03T00:00:00.000Z');
    assert.deepEqual(overview.conversations, { total: 4, solvedByBot: 1, handedOff: 3, ticketCreated: 0 });
    assert.deepEqual(overview.queueWaitSeconds, { median: 60, p90: 120, waiting: 1 });
    assert.deepEqual(overview.averageRating, { value: 4.5, count: 2 });
    assert.deepEqual(overview.agentsOnline, [{ agentId: sam.agentId, name: 'Sam', load: 2 }]);
    assert.deepEqual(overview.byLanguage, { en: 2, pt: 1 });
  });

  it('percentile: nearest rank, null for no values', () => {
    assert.equal(percentile([], 0.5), null);
    assert.equal(percentile([10], 0.9), 10);
    assert.equal(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.5), 5);
    assert.equal(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.9), 9);
  });
});
