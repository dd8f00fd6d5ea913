import assert from 'node:assert/strict';
import type { Db } from 'mongodb';
import { startTestStore, type TestStore } from '../support/testStore';

describe('store contract: counting, distinct and aggregation', () => {
  let store: TestStore;
  let db: Db;

  before(async () => {
    store = await startTestStore();
    db = store.connection.db!;
    await db.collection('tickets').insertMany([
      { number: 'T1', product: 'U2W', status: 'open', cost: 0, tags: ['wifi'] },
      { number: 'T2', product: 'U2W', status: 'closed', cost: 25, tags: ['wifi', 'audio'] },
      { number: 'T3', product: 'TBOX', status: 'open', cost: 40, tags: [] },
      { number: 'T4', product: 'MINI2', status: 'open', cost: 0, tags: ['audio'] },
      { number: 'T5', product: 'TBOX', status: 'closed', cost: 60, tags: ['boot'] },
    ]);
    await db.collection('products').insertMany([
      { sku: 'U2W', name: 'U2W Plus' },
      { sku: 'TBOX', name: 'Tbox Ambient' },
      { sku: 'MINI2', name: 'Mini 2' },
    ]);
  });

  after(async () => {
    await store.close();
  });

  it('countDocuments counts matches (with skip and limit); estimatedDocumentCount counts everything', async () => {
    const tickets = db.collection('tickets');
    assert.equal(await tickets.countDocuments(), 5);
    assert.equal(await tickets.countDocuments({ status: 'open' }), 3);
    assert.equal(await tickets.countDocuments({ status: 'open' }, { skip: 1, limit: 1 }), 1);
    assert.equal(await tickets.estimatedDocumentCount(), 5);
    assert.equal(await db.collection('absent').estimatedDocumentCount(), 0);
  });

  it('distinct returns each value once, unwinding arrays and honouring the filter', async () => {
    const tickets = db.collection('tickets');
    assert.deepEqual((await tickets.distinct('product')).sort(), ['MINI2', 'TBOX', 'U2W']);
    assert.deepEqual((await tickets.distinct('tags')).sort(), ['audio', 'boot', 'wifi']);
    assert.deepEqual(await tickets.distinct('product', { status: 'closed', cost: { $gt: 30 } }), ['TBOX']);
  });

  it('aggregate groups, sums, sorts and projects', async () => {
    const rows = await db
      .collection('tickets')
      .aggregate([
        { $match: { cost: { $gte: 0 } } },
        { $group: { _id: '$product', tickets: { $sum: 1 }, total: { $sum: '$cost' } } },
        { $sort: { total: -1, _id: 1 } },
        { $project: { _id: 0, product: '$_id', tickets: 1, total: 1 } },
      ])
      .toArray();
    assert.deepEqual(rows, [
      { tickets: 2, total: 100, product: 'TBOX' },
      { tickets: 2, total: 25, product: 'U2W' },
      { tickets: 1, total: 0, product: 'MINI2' },
    ]);
  });

  it('aggregate joins with $lookup and unwinds arrays', async () => {
    const rows = await db
      .collection('tickets')
      .aggregate([
        { $match: { status: 'open' } },
        { $lookup: { from: 'products', localField: 'product', foreignField: 'sku', as: 'productDoc' } },
        { $unwind: '$productDoc' },
        { $sort: { number: 1 } },
        { $project: { _id: 0, number: 1, name: '$productDoc.name' } },
      ])
      .toArray();
    assert.deepEqual(rows, [
      { number: 'T1', name: 'U2W Plus' },
      { number: 'T3', name: 'Tbox Ambient' },
      { number: 'T4', name: 'Mini 2' },
    ]);
    // The join must not have written anything into the stored products.
    assert.deepEqual(await db.collection('products').findOne({ sku: 'U2W' }, { projection: { _id: 0 } }), {
      sku: 'U2W',
      name: 'U2W Plus',
    });
  });

  it('aggregate stages that reshape documents leave the stored documents untouched', async () => {
    await db
      .collection('tickets')
      .aggregate([{ $set: { status: 'changed' } }, { $unset: 'number' }])
      .toArray();
    assert.equal(await db.collection('tickets').countDocuments({ status: 'changed' }), 0);
    assert.equal(await db.collection('tickets').countDocuments({ number: { $exists: true } }), 5);
  });

  it('aggregate results larger than a batch come back through getMore', async () => {
    const coll = db.collection('series');
    await coll.insertMany(Array.from({ length: 300 }, (_, i) => ({ i, even: i % 2 === 0 })));
    const rows = await coll
      .aggregate([{ $match: { even: true } }, { $sort: { i: -1 } }], { batchSize: 25 })
      .toArray();
    assert.equal(rows.length, 150);
    assert.equal(rows[0].i, 298);
    assert.equal(rows[149].i, 0);
  });

  it('an unknown pipeline stage fails with the server error code', async () => {
    await assert.rejects(
      db
        .collection('tickets')
        .aggregate([{ $notAStage: {} }])
        .toArray(),
      (error: { code?: number }) => error.code === 40324,
    );
  });
});
