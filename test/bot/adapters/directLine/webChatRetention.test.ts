import assert from 'node:assert/strict';
import mongoose from 'mongoose';
import { z } from 'zod';
import { EmbeddedMongoServer } from '../../../../src/services/store/embedded/embeddedMongoServer';
import { MongoStorage } from '../../../../src/services/store/mongoStorage';
import { TicketService } from '../../../../src/services/tickets/ticketService';
import { ProductCatalogue } from '../../../../src/services/knowledge/productCatalogue';
import { registration } from '../../../fixtures/tickets';
import { memoryLogger } from '../../../support/silentLogger';
import type { TestStore } from '../../../support/testStore';
import {
  multipartBody,
  call,
  say,
  startConversation,
  startHarness,
  waitForActivities,
  PNG_1X1,
  type Harness,
  type StartedConversation,
} from './harness';

const DAY = 24 * 3600_000;

/** The embedded store with its TTL monitor every 50 ms instead of every minute. */
async function storeWithFastTtl(): Promise<TestStore> {
  const server = new EmbeddedMongoServer({ dataDir: null, thread: 'inline', ttlIntervalMs: 50 });
  await server.start();
  const connection = mongoose.createConnection(server.localUri, { dbName: 'retention' });
  await connection.asPromise();
  return {
    uri: server.localUri,
    connection,
    async close() {
      await connection.close();
      await server.close();
    },
  };
}

async function until(check: () => Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe('retention: transcripts, photos and conversation state', () => {
  let harness: Harness;

  afterEach(async () => {
    await harness.close();
  });

  const ttlIndexes = async (collection: string) =>
    z
      .array(
        z.looseObject({ key: z.record(z.string(), z.unknown()), expireAfterSeconds: z.number().optional() }),
      )
      .parse(await harness.store.connection.collection(collection).listIndexes().toArray())
      .filter((index) => index.expireAfterSeconds !== undefined);

  const count = (collection: string, filter: Record<string, unknown>) =>
    harness.store.connection.collection(collection).countDocuments(filter);

  async function uploadPhoto(conversation: StartedConversation): Promise<string> {
    const { body, contentType } = multipartBody([
      { name: 'file', filename: 'led.png', contentType: 'image/png', data: PNG_1X1 },
    ]);
    const result = await call<{ id: string }>(
      harness,
      'POST',
      `/v3/directline/conversations/${conversation.conversationId}/upload`,
      { token: conversation.token, body, headers: { 'Content-Type': contentType } },
    );
    assert.equal(result.status, 200);
    const log = await waitForActivities(harness, conversation, (all) =>
      all.some((a) => a.id === result.body.id),
    );
    const received = harness.bot.received.find((a) => a.id === result.body.id);
    assert.ok(received?.attachments?.[0]?.contentUrl, JSON.stringify(log));
    return received.attachments[0].contentUrl;
  }

  it('when the retention settings are applied, every collection has its TTL index with the configured age, on any MongoDB', async () => {
    harness = await startHarness({
      env: {
        RETENTION_TRANSCRIPT_DAYS: '60',
        RETENTION_PHOTO_DAYS: '10',
        DIRECTLINE_SESSION_MAX_HOURS: '24',
      },
    });
    const storage = new MongoStorage(harness.store.connection, { retentionSeconds: 5 * 86400 });
    await storage.init();

    const ttl = async (collection: string) =>
      (await ttlIndexes(collection)).map((index) => [Object.keys(index.key)[0], index.expireAfterSeconds]);

    assert.deepEqual(await ttl('directline_conversations'), [['createdAt', 60 * 86400 + 24 * 3600]]);
    assert.deepEqual(await ttl('directline_activities'), [['createdAt', 60 * 86400]]);
    assert.deepEqual(await ttl('directline_uploads'), [['unclaimedSince', 10 * 86400]]);
    assert.deepEqual(await ttl('botstate'), [['updatedAt', 5 * 86400]]);
  });

  it('when a setting changes, the next start rebuilds the index with the new age instead of failing', async () => {
    harness = await startHarness({ env: { RETENTION_PHOTO_DAYS: '10' } });
    const store = harness.store;
    await harness.close({ keepStore: true });

    harness = await startHarness({ store, env: { RETENTION_PHOTO_DAYS: '3' } });
    const indexes = await ttlIndexes('directline_uploads');

    assert.deepEqual(
      indexes.map((index) => index.expireAfterSeconds),
      [3 * 86400],
    );
  });

  /** Arrange: as if these records had been written `days` ago (the TTL monitor runs on the wall clock). */
  async function age(collection: string, filter: Record<string, unknown>, field: string, days: number) {
    await harness.store.connection
      .collection(collection)
      .updateMany(
        { ...filter, [field]: { $exists: true } },
        { $set: { [field]: new Date(Date.now() - days * DAY) } },
      );
  }

  it('when a transcript passes RETENTION_TRANSCRIPT_DAYS the embedded store deletes it, and a recent one stays', async () => {
    harness = await startHarness({
      store: await storeWithFastTtl(),
      env: { RETENTION_TRANSCRIPT_DAYS: '90' },
    });
    const old = await startConversation(harness);
    const recent = await startConversation(harness);
    for (const conversation of [old, recent]) {
      await say(harness, conversation, 'a question');
      await waitForActivities(harness, conversation, (all) => all.some((a) => a.text === 'echo: a question'));
    }

    await age('directline_activities', { conversationId: old.conversationId }, 'createdAt', 91);
    await age('directline_conversations', { _id: old.conversationId }, 'createdAt', 92);
    await age('directline_activities', { conversationId: recent.conversationId }, 'createdAt', 89);
    await until(
      async () => (await count('directline_activities', { conversationId: old.conversationId })) === 0,
    );
    await until(async () => (await count('directline_conversations', { _id: old.conversationId })) === 0);

    assert.equal(await count('directline_activities', { conversationId: recent.conversationId }), 3);
    assert.equal(await count('directline_conversations', { _id: recent.conversationId }), 1);
  });

  it('when a photo passes RETENTION_PHOTO_DAYS it is deleted, unless a ticket names it: that one stays with the ticket', async () => {
    harness = await startHarness({ store: await storeWithFastTtl(), env: { RETENTION_PHOTO_DAYS: '30' } });
    const tickets = new TicketService({
      connection: harness.store.connection,
      catalogue: ProductCatalogue.load(),
      logger: memoryLogger().logger,
      repairs: { holidays: [], turnaroundBusinessDays: 14 },
      attachmentKeeper: harness.channel.attachmentKeeper,
    });
    await tickets.init();
    const conversation = await startConversation(harness);
    const onTicket = await uploadPhoto(conversation);
    const notOnTicket = await uploadPhoto(conversation);
    const recent = await uploadPhoto(conversation);
    await tickets.register(
      registration({ attachments: [{ name: 'led.png', contentType: 'image/png', url: onTicket }] }),
      { idempotencyKey: 'retention-ticket-1', actor: 'customer' },
    );

    const id = (url: string) => url.split('/').pop();
    await age('directline_uploads', { _id: { $in: [id(onTicket), id(notOnTicket)] } }, 'unclaimedSince', 31);
    await age('directline_uploads', { _id: id(recent) }, 'unclaimedSince', 29);
    await until(async () => (await count('directline_uploads', { _id: id(notOnTicket) })) === 0);

    assert.equal(await count('directline_uploads', { _id: id(onTicket) }), 1);
    assert.equal(await count('directline_uploads', { _id: id(recent) }), 1);
    const backOffice = await call(harness, 'GET', new URL(onTicket).pathname, {
      token: 'backoffice-token-for-tests-0123456789',
    });
    assert.equal(backOffice.status, 200);
  });

  it('when conversation state is not written for RETENTION_STATE_DAYS it is deleted; state written since stays', async () => {
    harness = await startHarness({ store: await storeWithFastTtl() });
    const storage = new MongoStorage(harness.store.connection, { retentionSeconds: 30 * 86400 });
    await storage.init();
    await storage.write({ 'directline/conversations/abandoned': { step: 'serial' } });
    await storage.write({ 'directline/conversations/active': { step: 'serial' } });
    // Arrange: the abandoned one was last written 31 days ago.
    await harness.store.connection
      .collection('botstate')
      .updateOne({ _id: 'directline/conversations/abandoned' } as Record<string, unknown>, {
        $set: { updatedAt: new Date(Date.now() - 31 * DAY) },
      });

    await until(async () => (await count('botstate', { _id: 'directline/conversations/abandoned' })) === 0);

    assert.equal(await count('botstate', { _id: 'directline/conversations/active' }), 1);
  });
});
