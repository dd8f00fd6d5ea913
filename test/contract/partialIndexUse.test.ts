import assert from 'node:assert/strict';
import type { Db, Document } from 'mongodb';
import { startTestStore, type TestStore } from '../support/testStore';

/**
 * Filters that pin only the leading field of a compound index (the rest a range, or nothing), and
 * ranges over a sparse index: the results are MongoDB's, and the documents a query examines
 * (explain's totalDocsExamined) stay near what it returns instead of growing with the collection.
 */
describe('store contract: ranges and leading-field filters served by indexes', () => {
  let store: TestStore;
  let db: Db;

  before(async () => {
    store = await startTestStore();
    db = store.connection.db!;
  });

  after(async () => {
    await store.close();
  });

  const examined = async (collection: string, filter: Document, sort?: Document): Promise<number> => {
    const explained = await db.command({
      explain: { find: collection, filter, ...(sort ? { sort } : {}) },
      verbosity: 'executionStats',
    });
    return (explained.executionStats as { totalDocsExamined: number }).totalDocsExamined;
  };

  it('when a filter pins the leading field of a compound index and ranges over the next, results are exact and few documents are examined', async () => {
    const activities = db.collection('contract_partial_activities');
    await activities.createIndex({ conversationId: 1, seq: 1 }, { unique: true });
    const docs: Document[] = [];
    for (let conversation = 0; conversation < 40; conversation += 1)
      for (let seq = 1; seq <= 10; seq += 1)
        docs.push({ conversationId: `c${conversation}`, seq, text: `m${seq}` });
    docs.push(
      { seq: 1, text: 'no conversation' },
      { conversationId: null, seq: 2, text: 'null conversation' },
    );
    docs.push({ conversationId: ['c1', 'c2'], seq: 99, text: 'array conversation' });
    await activities.insertMany(docs);

    const after7 = await activities
      .find({ conversationId: 'c3', seq: { $gt: 7 } }, { projection: { _id: 0, seq: 1 } })
      .sort({ seq: 1 })
      .toArray();
    assert.deepEqual(after7, [{ seq: 8 }, { seq: 9 }, { seq: 10 }]);

    const last = await activities.findOne(
      { conversationId: 'c1' },
      { sort: { seq: -1 }, projection: { _id: 0, seq: 1 } },
    );
    assert.deepEqual(last, { seq: 99 }, 'an array on the leading field is matched by its element');

    const missingOrNull = await activities
      .find({ conversationId: null }, { projection: { _id: 0, text: 1 } })
      .sort({ seq: 1 })
      .toArray();
    assert.deepEqual(missingOrNull, [{ text: 'no conversation' }, { text: 'null conversation' }]);

    const inList = await activities.countDocuments({
      conversationId: { $in: ['c5', 'c6'] },
      seq: { $lte: 2 },
    });
    assert.equal(inList, 4);

    assert.ok(
      (await examined('contract_partial_activities', { conversationId: 'c3', seq: { $gt: 7 } })) <= 10,
    );
    assert.ok((await examined('contract_partial_activities', { conversationId: 'c1' }, { seq: -1 })) <= 11);
  });

  it('when a filter ranges over a sparse index, documents without the field are neither returned nor examined', async () => {
    const outbox = db.collection('contract_partial_outbox');
    await outbox.createIndex({ dueAt: 1 }, { sparse: true });
    const base = new Date('2026-12-01T00:00:00Z').getTime();
    const docs: Document[] = [];
    for (let index = 0; index < 300; index += 1) docs.push({ status: 'sent', n: index });
    for (let index = 0; index < 5; index += 1)
      docs.push({ status: 'pending', dueAt: new Date(base + index * 1_000), n: 1_000 + index });
    docs.push({ status: 'odd', dueAt: null, n: 2_000 }, { status: 'odd', dueAt: [new Date(base)], n: 2_001 });
    await outbox.insertMany(docs);

    const due = await outbox
      .find({ dueAt: { $lte: new Date(base + 2_000) } }, { projection: { _id: 0, n: 1 } })
      .sort({ n: 1 })
      .toArray();
    assert.deepEqual(due, [{ n: 1_000 }, { n: 1_001 }, { n: 1_002 }, { n: 2_001 }]);
    assert.equal(
      await outbox.countDocuments({ $and: [{ dueAt: { $gt: new Date(base) } }, { status: 'pending' }] }),
      4,
    );

    assert.ok((await examined('contract_partial_outbox', { dueAt: { $lte: new Date(base + 2_000) } })) <= 7);
  });
});
