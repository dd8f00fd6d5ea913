import assert from 'node:assert/strict';
import { MongoServerError, type Collection, type Db } from 'mongodb';
import { Schema } from 'mongoose';
import { startTestStore, type TestStore } from '../support/testStore';

interface IndexInfo {
  name: string;
  key: Record<string, unknown>;
  unique?: boolean;
  sparse?: boolean;
}

async function indexesOf(collection: Collection): Promise<IndexInfo[]> {
  return (await collection.listIndexes().toArray()) as IndexInfo[];
}

function isDuplicate(keyPattern: object, keyValue: object) {
  return (error: unknown): boolean => {
    assert.ok(error instanceof MongoServerError, `expected a MongoServerError, got ${String(error)}`);
    assert.equal(error.code, 11000);
    assert.match(error.message, /^E11000 duplicate key error collection: \S+ index: \S+ dup key: \{ .* \}$/);
    assert.deepEqual(error.keyPattern, keyPattern);
    assert.deepEqual(error.keyValue, keyValue);
    return true;
  };
}

describe('store contract: indexes', () => {
  let store: TestStore;
  let db: Db;

  before(async () => {
    store = await startTestStore();
    db = store.connection.db!;
  });

  after(async () => {
    await store.close();
  });

  it('when a unique index exists, a duplicate insert fails with 11000, keyPattern and keyValue, and is not stored', async () => {
    const users = db.collection('users');
    await users.createIndex({ email: 1 }, { unique: true });
    await users.insertOne({ email: 'a@example.com' });
    await assert.rejects(
      users.insertOne({ email: 'a@example.com', extra: 1 }),
      isDuplicate({ email: 1 }, { email: 'a@example.com' }),
    );
    assert.equal(await users.countDocuments({ email: 'a@example.com' }), 1);
  });

  it('when an update would create a duplicate, it fails with 11000 and the document keeps its old value', async () => {
    const users = db.collection('users2');
    await users.createIndex({ email: 1 }, { unique: true });
    await users.insertMany([
      { _id: 1 as never, email: 'a@x.y', n: 0 },
      { _id: 2 as never, email: 'b@x.y', n: 0 },
    ]);
    await assert.rejects(
      users.updateOne({ _id: 2 as never }, { $set: { email: 'a@x.y', n: 1 } }),
      isDuplicate({ email: 1 }, { email: 'a@x.y' }),
    );
    assert.deepEqual(await users.findOne({ _id: 2 as never }), { _id: 2, email: 'b@x.y', n: 0 });
    assert.equal(await users.countDocuments({ email: 'a@x.y' }), 1);
    await assert.rejects(
      users.findOneAndUpdate({ _id: 2 as never }, { $set: { email: 'a@x.y' } }),
      isDuplicate({ email: 1 }, { email: 'a@x.y' }),
    );
  });

  it('when a compound unique index exists, only the full combination must be unique', async () => {
    const slots = db.collection('slots');
    await slots.createIndex({ day: 1, hour: -1 }, { unique: true, name: 'day_hour' });
    await slots.insertMany([
      { day: 'mon', hour: 9 },
      { day: 'mon', hour: 10 },
      { day: 'tue', hour: 9 },
    ]);
    await assert.rejects(
      slots.insertOne({ day: 'mon', hour: 9 }),
      isDuplicate({ day: 1, hour: -1 }, { day: 'mon', hour: 9 }),
    );
    assert.equal(await slots.countDocuments(), 3);
  });

  it('when a duplicate _id is inserted, it fails with 11000 on the _id_ index', async () => {
    const things = db.collection('things');
    await things.insertOne({ _id: 'same' as never });
    await assert.rejects(
      things.insertOne({ _id: 'same' as never }),
      isDuplicate({ _id: 1 }, { _id: 'same' }),
    );
  });

  it('when insertMany is ordered it stops at the first duplicate; unordered it inserts all the others', async () => {
    const ordered = db.collection('ordered');
    await ordered.createIndex({ k: 1 }, { unique: true });
    await assert.rejects(
      ordered.insertMany([{ k: 1 }, { k: 1 }, { k: 2 }]),
      (error: { code?: number; insertedCount?: number }) => error.code === 11000,
    );
    assert.equal(await ordered.countDocuments(), 1);
    const unordered = db.collection('unordered');
    await unordered.createIndex({ k: 1 }, { unique: true });
    await assert.rejects(unordered.insertMany([{ k: 1 }, { k: 1 }, { k: 2 }], { ordered: false }));
    assert.equal(await unordered.countDocuments(), 2);
  });

  it('when a unique index is created over existing duplicates, it fails with 11000 and no index is left', async () => {
    const dupes = db.collection('dupes');
    await dupes.insertMany([{ k: 1 }, { k: 1 }]);
    await assert.rejects(
      dupes.createIndex({ k: 1 }, { unique: true }),
      (error: { code?: number }) => error.code === 11000,
    );
    const names = (await indexesOf(dupes)).map((index) => index.name);
    assert.deepEqual(names, ['_id_']);
  });

  it('when indexes are listed, each shows its key, name and options; creating the same one again is a no-op', async () => {
    const coll = db.collection('listed');
    await coll.createIndex({ a: 1 }, { unique: true });
    await coll.createIndex({ b: -1, c: 1 }, { name: 'b_c', sparse: true });
    await coll.createIndex({ a: 1 }, { unique: true });
    const indexes = await indexesOf(coll);
    assert.deepEqual(
      indexes.map((index) => ({
        name: index.name,
        key: index.key,
        unique: index.unique,
        sparse: index.sparse,
      })),
      [
        { name: '_id_', key: { _id: 1 }, unique: undefined, sparse: undefined },
        { name: 'a_1', key: { a: 1 }, unique: true, sparse: undefined },
        { name: 'b_c', key: { b: -1, c: 1 }, unique: undefined, sparse: true },
      ],
    );
  });

  it('when an index name is reused for different keys or options, it fails with the conflict codes', async () => {
    const coll = db.collection('conflicts');
    await coll.createIndex({ a: 1 }, { name: 'idx' });
    await assert.rejects(
      coll.createIndex({ b: 1 }, { name: 'idx' }),
      (error: { code?: number }) => error.code === 86,
    );
    await assert.rejects(
      coll.createIndex({ a: 1 }, { name: 'idx', unique: true }),
      (error: { code?: number }) => error.code === 85,
    );
  });

  it('when indexes are dropped, they are gone and uniqueness no longer applies; _id_ cannot be dropped', async () => {
    const coll = db.collection('dropping');
    await coll.createIndex({ k: 1 }, { unique: true });
    await coll.dropIndex('k_1');
    await coll.insertMany([{ k: 1 }, { k: 1 }]);
    assert.deepEqual(
      (await indexesOf(coll)).map((index) => index.name),
      ['_id_'],
    );
    await assert.rejects(coll.dropIndex('_id_'), (error: { code?: number }) => error.code === 72);
    await assert.rejects(coll.dropIndex('nope_1'), (error: { code?: number }) => error.code === 27);
  });

  it('when a unique index is sparse, documents without the field do not collide', async () => {
    const coll = db.collection('sparse');
    await coll.createIndex({ code: 1 }, { unique: true, sparse: true });
    await coll.insertMany([{ n: 1 }, { n: 2 }, { code: 'x' }]);
    await assert.rejects(coll.insertOne({ code: 'x' }), (error: { code?: number }) => error.code === 11000);
  });

  it('when a unique index is partial, only documents matching its filter are constrained', async () => {
    const coll = db.collection('partial');
    await coll.createIndex({ phone: 1 }, { unique: true, partialFilterExpression: { active: true } });
    await coll.insertMany([
      { phone: '1', active: false },
      { phone: '1', active: false },
      { phone: '1', active: true },
    ]);
    await assert.rejects(
      coll.insertOne({ phone: '1', active: true }),
      (error: { code?: number }) => error.code === 11000,
    );
  });

  it('when an indexed field holds an array, each element is a unique key (multikey)', async () => {
    const coll = db.collection('multikey');
    await coll.createIndex({ serials: 1 }, { unique: true });
    await coll.insertOne({ serials: ['A1', 'A2'] });
    await assert.rejects(
      coll.insertOne({ serials: ['B1', 'A2'] }),
      isDuplicate({ serials: 1 }, { serials: 'A2' }),
    );
    assert.deepEqual(await coll.findOne({ serials: 'A2' }, { projection: { _id: 0 } }), {
      serials: ['A1', 'A2'],
    });
  });

  it('when the mongoose schema declares unique and compound indexes, init builds them and saves respect them', async () => {
    const schema = new Schema({ orderNo: { type: String, unique: true }, shop: String, sku: String });
    schema.index({ shop: 1, sku: 1 }, { unique: true });
    const Order = store.connection.model('ContractOrder', schema);
    await Order.init();
    const names = (await Order.listIndexes()).map((index: { name?: string }) => index.name);
    assert.deepEqual(names.sort(), ['_id_', 'orderNo_1', 'shop_1_sku_1']);
    await Order.create({ orderNo: '1', shop: 'amazon', sku: 'U2W' });
    await assert.rejects(
      Order.create({ orderNo: '2', shop: 'amazon', sku: 'U2W' }),
      isDuplicate({ shop: 1, sku: 1 }, { shop: 'amazon', sku: 'U2W' }),
    );
    await assert.rejects(
      Order.create({ orderNo: '1', shop: 'ebay', sku: 'U2W' }),
      isDuplicate({ orderNo: 1 }, { orderNo: '1' }),
    );
  });

  it('when many documents are indexed, lookups by the unique field find the right one', async () => {
    const coll = db.collection('lookup');
    await coll.createIndex({ email: 1 }, { unique: true });
    await coll.insertMany(Array.from({ length: 2000 }, (_, i) => ({ email: `user${i}@example.com`, i })));
    for (const i of [0, 999, 1999])
      assert.equal((await coll.findOne({ email: `user${i}@example.com` }))?.i, i);
    assert.equal(await coll.findOne({ email: 'nobody@example.com' }), null);
    assert.equal(
      await coll.countDocuments({ email: { $in: ['user1@example.com', 'user2@example.com', 'x'] } }),
      2,
    );
  });
});
