import assert from 'node:assert/strict';
import type { Collection, Db } from 'mongodb';
import { startTestStore, type TestStore } from '../support/testStore';

interface Repair {
  _id: string;
  status: string;
  attempts: number;
  history: Array<{ step: string; ok: boolean }>;
  parts: string[];
  createdBy?: string;
  version?: number;
  cost?: number;
}

describe('store contract: updates', () => {
  let store: TestStore;
  let db: Db;
  let repairs: Collection<Repair>;

  before(async () => {
    store = await startTestStore();
    db = store.connection.db!;
  });

  after(async () => {
    await store.close();
  });

  beforeEach(async () => {
    repairs = db.collection<Repair>(`repairs_${Math.random().toString(36).slice(2, 8)}`);
    await repairs.insertMany([
      {
        _id: 'r1',
        status: 'open',
        attempts: 0,
        history: [
          { step: 'reboot', ok: false },
          { step: 'reset', ok: false },
        ],
        parts: ['cable'],
      },
      { _id: 'r2', status: 'open', attempts: 2, history: [], parts: [] },
      { _id: 'r3', status: 'closed', attempts: 5, history: [], parts: ['unit', 'cable'] },
    ]);
  });

  it('when update operators are applied, each field changes as MongoDB defines', async () => {
    const result = await repairs.updateOne(
      { _id: 'r1' },
      {
        $set: { status: 'in-progress' },
        $inc: { attempts: 2 },
        $push: { history: { step: 'firmware', ok: true } },
        $addToSet: { parts: { $each: ['cable', 'fuse'] } },
        $currentDate: { updatedAt: true } as never,
      },
    );
    assert.equal(result.matchedCount, 1);
    assert.equal(result.modifiedCount, 1);
    const doc = (await repairs.findOne({ _id: 'r1' })) as Repair & { updatedAt: Date };
    assert.equal(doc.status, 'in-progress');
    assert.equal(doc.attempts, 2);
    assert.equal(doc.history.length, 3);
    assert.deepEqual(doc.parts, ['cable', 'fuse']);
    assert.ok(doc.updatedAt instanceof Date);
    await repairs.updateOne(
      { _id: 'r1' },
      { $unset: { status: '' }, $pull: { parts: 'cable' }, $min: { attempts: 1 } },
    );
    const after = await repairs.findOne({ _id: 'r1' });
    assert.equal('status' in after!, false);
    assert.deepEqual(after!.parts, ['fuse']);
    assert.equal(after!.attempts, 1);
  });

  it('when an update changes nothing, it matches but reports no modification', async () => {
    const result = await repairs.updateOne({ _id: 'r2' }, { $set: { status: 'open' } });
    assert.equal(result.matchedCount, 1);
    assert.equal(result.modifiedCount, 0);
  });

  it('when updating many, every match changes and the counts say so', async () => {
    const result = await repairs.updateMany({ status: 'open' }, { $inc: { attempts: 1 } });
    assert.equal(result.matchedCount, 2);
    assert.equal(result.modifiedCount, 2);
    const attempts = (await repairs.find({}).sort({ _id: 1 }).toArray()).map((repair) => repair.attempts);
    assert.deepEqual(attempts, [1, 3, 5]);
  });

  it('when arrayFilters and the positional operator target array elements, only those elements change', async () => {
    await repairs.updateOne(
      { _id: 'r1' },
      { $set: { 'history.$[failed].ok': true } },
      { arrayFilters: [{ 'failed.step': 'reset' }] },
    );
    let doc = await repairs.findOne({ _id: 'r1' });
    assert.deepEqual(doc!.history, [
      { step: 'reboot', ok: false },
      { step: 'reset', ok: true },
    ]);
    await repairs.updateOne({ _id: 'r1', 'history.step': 'reboot' }, { $set: { 'history.$.ok': true } });
    doc = await repairs.findOne({ _id: 'r1' });
    assert.deepEqual(
      doc!.history.map((entry) => entry.ok),
      [true, true],
    );
  });

  it('when upserting with no match, it inserts the filter equalities plus $set and $setOnInsert', async () => {
    const result = await repairs.updateOne(
      { _id: 'r9', status: 'open' },
      { $set: { attempts: 1 }, $setOnInsert: { createdBy: 'bot', parts: [], history: [] } },
      { upsert: true },
    );
    assert.equal(result.upsertedCount, 1);
    assert.equal(result.upsertedId, 'r9');
    assert.deepEqual(await repairs.findOne({ _id: 'r9' }), {
      _id: 'r9',
      status: 'open',
      attempts: 1,
      createdBy: 'bot',
      parts: [],
      history: [],
    });
  });

  it('when upserting with a match, $setOnInsert is ignored', async () => {
    const result = await repairs.updateOne(
      { _id: 'r2' },
      { $set: { status: 'waiting' }, $setOnInsert: { createdBy: 'bot' } },
      { upsert: true },
    );
    assert.equal(result.upsertedCount, 0);
    assert.equal(result.modifiedCount, 1);
    const doc = await repairs.findOne({ _id: 'r2' });
    assert.equal(doc!.status, 'waiting');
    assert.equal(doc!.createdBy, undefined);
  });

  it('when an upsert has no _id in its filter, the new document gets an ObjectId', async () => {
    const coll = db.collection('counters');
    const result = await coll.updateOne({ name: 'tickets' }, { $inc: { seq: 1 } }, { upsert: true });
    assert.equal(result.upsertedId?.constructor.name, 'ObjectId');
    await coll.updateOne({ name: 'tickets' }, { $inc: { seq: 1 } }, { upsert: true });
    const doc = await coll.findOne({ name: 'tickets' });
    assert.equal(doc!.seq, 2);
  });

  it('when a whole document is replaced, _id stays and the other fields are exactly the replacement', async () => {
    const result = await repairs.replaceOne(
      { _id: 'r3' },
      { status: 'archived', attempts: 0, history: [], parts: [] },
    );
    assert.equal(result.modifiedCount, 1);
    assert.deepEqual(await repairs.findOne({ _id: 'r3' }), {
      _id: 'r3',
      status: 'archived',
      attempts: 0,
      history: [],
      parts: [],
    });
  });

  it('when an update would change _id, it fails with ImmutableField and changes nothing', async () => {
    await assert.rejects(
      repairs.updateOne({ _id: 'r2' }, { $set: { _id: 'other', status: 'x' } }),
      (error: { code?: number }) => error.code === 66,
    );
    assert.equal((await repairs.findOne({ _id: 'r2' }))!.status, 'open');
  });

  it('when an update uses an unknown operator or conflicting paths, it fails with the server error codes', async () => {
    await assert.rejects(
      repairs.updateOne({ _id: 'r2' }, { $frobnicate: { a: 1 } }),
      (error: { code?: number }) => error.code === 9,
    );
    await assert.rejects(
      repairs.updateOne({ _id: 'r2' }, { $set: { attempts: 1 }, $inc: { attempts: 1 } }),
      (error: { code?: number }) => error.code === 40,
    );
  });

  it('when a pipeline update computes fields from others, the result is stored', async () => {
    await repairs.updateOne({ _id: 'r3' }, [{ $set: { cost: { $multiply: ['$attempts', 10] } } }]);
    assert.equal((await repairs.findOne({ _id: 'r3' }))!.cost, 50);
  });

  describe('findOneAndUpdate / findOneAndDelete', () => {
    it('returns the document before the change by default and after it with returnDocument: after', async () => {
      const before = await repairs.findOneAndUpdate({ _id: 'r2' }, { $inc: { attempts: 1 } });
      assert.equal(before!.attempts, 2);
      const after = await repairs.findOneAndUpdate(
        { _id: 'r2' },
        { $inc: { attempts: 1 } },
        { returnDocument: 'after' },
      );
      assert.equal(after!.attempts, 4);
    });

    it('when several documents match, sort decides which one is modified', async () => {
      const modified = await repairs.findOneAndUpdate(
        { status: 'open' },
        { $set: { status: 'picked' } },
        { sort: { attempts: -1 }, returnDocument: 'after' },
      );
      assert.equal(modified!._id, 'r2');
    });

    it('when upserting with returnDocument after, it returns the inserted document; with before, null', async () => {
      const inserted = await repairs.findOneAndUpdate(
        { _id: 'r20' },
        { $set: { status: 'new' }, $setOnInsert: { attempts: 0 } },
        { upsert: true, returnDocument: 'after' },
      );
      assert.deepEqual(inserted, { _id: 'r20', status: 'new', attempts: 0 });
      const none = await repairs.findOneAndUpdate(
        { _id: 'r21' },
        { $set: { status: 'new' } },
        { upsert: true },
      );
      assert.equal(none, null);
      assert.equal((await repairs.findOne({ _id: 'r21' }))!.status, 'new');
    });

    it('with includeResultMetadata, it reports whether it updated an existing document', async () => {
      const result = await repairs.findOneAndUpdate(
        { _id: 'r1' },
        { $set: { status: 'x' } },
        { includeResultMetadata: true, projection: { status: 1 } },
      );
      assert.equal(result.lastErrorObject?.updatedExisting, true);
      assert.deepEqual(result.value, { _id: 'r1', status: 'open' });
    });

    it('when nothing matches and there is no upsert, it returns null and changes nothing', async () => {
      assert.equal(await repairs.findOneAndUpdate({ _id: 'nope' }, { $set: { status: 'x' } }), null);
      assert.equal(await repairs.countDocuments(), 3);
    });

    it('findOneAndDelete removes and returns the first match in sort order', async () => {
      const removed = await repairs.findOneAndDelete({}, { sort: { attempts: -1 } });
      assert.equal(removed!._id, 'r3');
      assert.equal(await repairs.countDocuments(), 2);
    });

    it('findOneAndReplace keeps the _id and swaps the rest', async () => {
      const after = await repairs.findOneAndReplace(
        { _id: 'r2' },
        { status: 'replaced', attempts: 0, history: [], parts: [] },
        { returnDocument: 'after' },
      );
      assert.deepEqual(after, { _id: 'r2', status: 'replaced', attempts: 0, history: [], parts: [] });
    });
  });

  it('when writers use a version filter (optimistic concurrency), only one of two racing updates wins', async () => {
    await repairs.updateOne({ _id: 'r2' }, { $set: { version: 1 } });
    const attempt = (status: string) =>
      repairs.updateOne({ _id: 'r2', version: 1 }, { $set: { status }, $inc: { version: 1 } });
    const [first, second] = await Promise.all([attempt('a'), attempt('b')]);
    assert.equal(first.modifiedCount + second.modifiedCount, 1);
    const doc = await repairs.findOne({ _id: 'r2' });
    assert.equal(doc!.version, 2);
    assert.equal(doc!.status, first.modifiedCount === 1 ? 'a' : 'b');
  });
});
