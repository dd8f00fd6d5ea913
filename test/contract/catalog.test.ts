import assert from 'node:assert/strict';
import { MongoServerError, type Db } from 'mongodb';
import { startTestStore, type TestStore } from '../support/testStore';

describe('store contract: collections, commands and sessions', () => {
  let store: TestStore;
  let db: Db;

  before(async () => {
    store = await startTestStore();
    db = store.connection.db!;
  });

  after(async () => {
    await store.close();
  });

  it('when collections are created explicitly or by a write, listCollections shows them', async () => {
    await db.createCollection('explicit');
    await db.collection('implicit').insertOne({ a: 1 });
    const names = (await db.listCollections().toArray()).map((entry) => entry.name).sort();
    assert.ok(names.includes('explicit') && names.includes('implicit'));
    const filtered = await db.listCollections({ name: 'explicit' }).toArray();
    assert.equal(filtered.length, 1);
    assert.equal(filtered[0].type, 'collection');
    const nameOnly = await db.listCollections({}, { nameOnly: true }).toArray();
    assert.ok(nameOnly.every((entry) => typeof entry.name === 'string'));
  });

  it('when a collection is created again, identical options are a no-op and different ones fail with NamespaceExists (48)', async () => {
    await db.createCollection('twice');
    assert.equal((await db.command({ create: 'twice' })).ok, 1);
    await assert.rejects(
      db.command({ create: 'twice', capped: true, size: 4096 }),
      (error: { code?: number }) => error.code === 48,
    );
  });

  it('when a collection is dropped, its documents and indexes are gone', async () => {
    const coll = db.collection('dropme');
    await coll.createIndex({ k: 1 }, { unique: true });
    await coll.insertOne({ k: 1 });
    assert.equal(await coll.drop(), true);
    assert.equal(await coll.countDocuments(), 0);
    const names = (await db.listCollections().toArray()).map((entry) => entry.name);
    assert.equal(names.includes('dropme'), false);
    await coll.insertOne({ k: 1 });
    await coll.insertOne({ k: 1 });
    assert.equal(await coll.countDocuments({ k: 1 }), 2);
  });

  it('when a collection is renamed, its documents move to the new name', async () => {
    await db.collection('before_rename').insertOne({ a: 1 });
    await db.renameCollection('before_rename', 'after_rename');
    assert.equal(await db.collection('after_rename').countDocuments(), 1);
    assert.equal(await db.collection('before_rename').countDocuments(), 0);
  });

  it('when the server is pinged or asked for buildInfo, it answers ok', async () => {
    assert.equal((await db.admin().ping()).ok, 1);
    const info = await db.admin().buildInfo();
    assert.match(String(info.version), /^\d+\.\d+/);
  });

  it('when an unknown command is sent, it fails with code 59 CommandNotFound', async () => {
    await assert.rejects(db.command({ frobnicate: 1 }), (error: unknown) => {
      assert.ok(error instanceof MongoServerError);
      assert.equal(error.code, 59);
      assert.equal(error.codeName, 'CommandNotFound');
      return true;
    });
  });

  it('when a transaction is attempted on this standalone server, it is refused and nothing is written', async () => {
    const coll = db.collection('txn');
    await coll.insertOne({ seed: true });
    const session = store.connection.getClient().startSession();
    try {
      await assert.rejects(
        session.withTransaction(async () => {
          await coll.insertOne({ inTxn: true }, { session });
        }),
        (error: { code?: number; message: string }) =>
          error.code === 20 ||
          /Transaction numbers are only allowed|does not support retryable writes|replica set/i.test(
            error.message,
          ),
      );
    } finally {
      await session.endSession();
    }
    assert.equal(await coll.countDocuments({ inTxn: true }), 0);
  });

  it('when a session is used without a transaction, its operations work and ending it is fine', async () => {
    const session = store.connection.getClient().startSession();
    try {
      await db.collection('sessions').insertOne({ a: 1 }, { session });
      assert.equal(await db.collection('sessions').countDocuments({}, { session }), 1);
    } finally {
      await session.endSession();
    }
  });

  it('when the database is dropped, its collections are gone', async () => {
    const other = store.connection.getClient().db(`${db.databaseName}_other`);
    await other.collection('x').insertOne({ a: 1 });
    await other.dropDatabase();
    assert.deepEqual(await other.listCollections().toArray(), []);
  });
});
