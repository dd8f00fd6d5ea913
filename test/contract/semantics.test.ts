import assert from 'node:assert/strict';
import { Binary, DBRef, Double, Int32, Long, ObjectId, type Db, type Document } from 'mongodb';
import { startTestStore, type TestStore } from '../support/testStore';

/**
 * MongoDB 7.0 semantics a mongoose user relies on, each written from MongoDB's documentation and
 * server behaviour (results and error codes), so the same test passes against a real server.
 */
describe('store contract: MongoDB semantics', () => {
  let store: TestStore;
  let db: Db;
  const fresh = (prefix: string) =>
    db.collection<Document>(`${prefix}_${Math.random().toString(36).slice(2, 8)}`);
  const codeIs = (code: number) => (error: { code?: number }) => error.code === code;

  before(async () => {
    store = await startTestStore();
    db = store.connection.db!;
  });

  after(async () => {
    await store.close();
  });

  describe('updates', () => {
    it('when $set repeats the unchanged _id, the update is applied (and a changed _id is still refused)', async () => {
      const tickets = fresh('ids');
      await tickets.insertOne({ _id: 'T-1' as never, status: 'open' });
      const result = await tickets.updateOne(
        { _id: 'T-1' as never },
        { $set: { _id: 'T-1', status: 'closed' } },
      );
      assert.equal(result.modifiedCount, 1);
      assert.deepEqual(await tickets.findOne({ _id: 'T-1' as never }), { _id: 'T-1', status: 'closed' });
      await assert.rejects(tickets.updateOne({ _id: 'T-1' as never }, { $set: { _id: 'T-2' } }), codeIs(66));
    });

    it('when two positional paths under one array are set together, both change on the matched element', async () => {
      const repairs = fresh('positional');
      await repairs.insertOne({
        _id: 1 as never,
        steps: [
          { name: 'reboot', ok: false, notes: [] },
          { name: 'reset', ok: false, notes: [] },
        ],
      });
      await repairs.updateOne(
        { _id: 1 as never, 'steps.name': 'reset' },
        { $set: { 'steps.$.ok': true, 'steps.$.by': 'ana' } },
      );
      await repairs.updateOne(
        { _id: 1 as never, 'steps.name': 'reboot' },
        { $set: { 'steps.$.ok': true }, $addToSet: { 'steps.$.notes': 'done twice' } },
      );
      assert.deepEqual((await repairs.findOne({ _id: 1 as never }))!.steps, [
        { name: 'reboot', ok: true, notes: ['done twice'] },
        { name: 'reset', ok: true, notes: [], by: 'ana' },
      ]);
    });

    it('when bulkWrite sets two fields through one $[identifier], only the filtered elements change', async () => {
      const parts = fresh('arrayFilters');
      await parts.insertOne({
        _id: 1 as never,
        items: [
          { sku: 'a', qty: 1 },
          { sku: 'b', qty: 5 },
          { sku: 'c', qty: 7 },
        ],
      });
      const result = await parts.bulkWrite([
        {
          updateOne: {
            filter: { _id: 1 as never },
            update: { $set: { 'items.$[big].qty': 0, 'items.$[big].reordered': true } },
            arrayFilters: [{ 'big.qty': { $gte: 5 } }],
          },
        },
      ]);
      assert.equal(result.modifiedCount, 1);
      assert.deepEqual((await parts.findOne({ _id: 1 as never }))!.items, [
        { sku: 'a', qty: 1 },
        { sku: 'b', qty: 0, reordered: true },
        { sku: 'c', qty: 0, reordered: true },
      ]);
    });

    it('when $pull is given $or / $and, the array elements matching the condition are removed', async () => {
      const carts = fresh('pull');
      await carts.insertOne({
        _id: 1 as never,
        items: [
          { k: 1, v: 'a' },
          { k: 2, v: 'b' },
          { k: 3, v: 'c' },
        ],
      });
      await carts.updateOne(
        { _id: 1 as never },
        { $pull: { items: { $or: [{ k: 1 }, { v: 'c' }] } } as never },
      );
      assert.deepEqual((await carts.findOne({ _id: 1 as never }))!.items, [{ k: 2, v: 'b' }]);
      await carts.updateOne(
        { _id: 1 as never },
        { $pull: { items: { $and: [{ k: 2 }, { v: 'b' }] } } as never },
      );
      assert.deepEqual((await carts.findOne({ _id: 1 as never }))!.items, []);
    });

    it('when $push targets a number, it fails with BadValue (2) and changes nothing', async () => {
      const counters = fresh('push');
      await counters.insertOne({ _id: 1 as never, n: 5 });
      await assert.rejects(counters.updateOne({ _id: 1 as never }, { $push: { n: 1 } as never }), codeIs(2));
      assert.deepEqual(await counters.findOne({ _id: 1 as never }), { _id: 1, n: 5 });
    });

    it('when $set names a field through an array of documents, it fails with PathNotViable (28)', async () => {
      const repairs = fresh('notViable');
      await repairs.insertOne({ _id: 1 as never, steps: [{ name: 'reboot' }] });
      await assert.rejects(
        repairs.updateOne({ _id: 1 as never }, { $set: { 'steps.name': 'x' } }),
        codeIs(28),
      );
      assert.deepEqual((await repairs.findOne({ _id: 1 as never }))!.steps, [{ name: 'reboot' }]);
    });

    it('when BinData is set with the same bytes and another subtype, the document changes', async () => {
      const files = fresh('binSubtype');
      await files.insertOne({ _id: 1 as never, data: new Binary(Buffer.from([1, 2, 3]), 0) });
      const result = await files.updateOne(
        { _id: 1 as never },
        { $set: { data: new Binary(Buffer.from([1, 2, 3]), 128) } },
      );
      assert.equal(result.modifiedCount, 1);
      const stored = (await files.findOne({ _id: 1 as never }))!.data as Binary;
      assert.equal(stored.sub_type, 128);
    });

    it('when fields are $-prefixed, an insert and an upsert store them (allowed since MongoDB 5.0)', async () => {
      const expenses = fresh('dollar');
      await expenses.insertOne({ _id: 1 as never, $price: 50, nested: { $inc: true } });
      assert.deepEqual(await expenses.findOne({ _id: 1 as never }), {
        _id: 1,
        $price: 50,
        nested: { $inc: true },
      });
      await expenses.updateOne(
        { date: '2021-07-07' },
        { $set: { phone: 25, $hotel: 320 } },
        { upsert: true },
      );
      const upserted = await expenses.findOne({ date: '2021-07-07' });
      assert.equal(upserted!.$hotel, 320);
    });

    it('when a document has its own __proto__ field, it is stored, updated and read back as data', async () => {
      const docs = fresh('proto');
      const doc = JSON.parse('{"_id": 1, "__proto__": {"polluted": true}, "tags": []}') as Document;
      await docs.insertOne(doc);
      await docs.updateOne({ _id: 1 as never }, { $addToSet: { tags: 'x' } });
      const found = (await docs.findOne({ _id: 1 as never }))!;
      assert.ok(Object.prototype.hasOwnProperty.call(found, '__proto__'));
      assert.deepEqual(Object.getOwnPropertyDescriptor(found, '__proto__')!.value, { polluted: true });
      assert.deepEqual(found.tags, ['x']);
      assert.equal(({} as { polluted?: boolean }).polluted, undefined);
    });
  });

  describe('queries', () => {
    it('when $type asks for int, double, long, binData, objectId or number, each BSON type matches its own name', async () => {
      const values = fresh('types');
      await values.insertMany([
        { _id: 'int' as never, v: new Int32(3) },
        { _id: 'double' as never, v: new Double(3.5) },
        { _id: 'long' as never, v: Long.fromNumber(7) },
        { _id: 'binData' as never, v: new Binary(Buffer.from('ab')) },
        { _id: 'objectId' as never, v: new ObjectId() },
        { _id: 'string' as never, v: 'text' },
      ]);
      const idsOf = async (type: string) =>
        (
          await values
            .find({ v: { $type: type } })
            .sort({ _id: 1 })
            .toArray()
        ).map((doc) => doc._id);
      for (const type of ['int', 'double', 'long', 'binData', 'objectId', 'string']) {
        assert.deepEqual(await idsOf(type), [type], `$type ${type}`);
      }
      assert.deepEqual(await idsOf('number'), ['double', 'int', 'long']);
      await assert.rejects(values.find({ v: { $type: 'no-such-type' } }).toArray(), codeIs(2));
    });

    it('when $all is applied to a field that is not an array, it matches a field equal to every value', async () => {
      const tickets = fresh('all');
      await tickets.insertMany([
        { _id: 1 as never, status: 'open' },
        { _id: 2 as never, status: 'closed' },
      ]);
      const found = await tickets.find({ status: { $all: ['open'] } }).toArray();
      assert.deepEqual(
        found.map((doc) => doc._id),
        [1],
      );
    });

    it('when $elemMatch names DBRef fields ($id), it matches the referencing documents', async () => {
      const owners = fresh('dbref');
      await owners.insertMany([
        { _id: 1 as never, refs: [new DBRef('devices', 10 as never), new DBRef('devices', 11 as never)] },
        { _id: 2 as never, refs: [new DBRef('devices', 12 as never)] },
      ]);
      const found = await owners.find({ refs: { $elemMatch: { $id: 11 } } } as never).toArray();
      assert.deepEqual(
        found.map((doc) => doc._id),
        [1],
      );
    });

    it('when BinData values are compared, $bitsAllSet reads their bits and sorts go by length, subtype, then bytes', async () => {
      const blobs = fresh('binData');
      await blobs.insertMany([
        { _id: 'long' as never, v: new Binary(Buffer.from([0xff, 0x00, 0x00]), 0) },
        { _id: 'short-5' as never, v: new Binary(Buffer.from([0x01]), 5 + 123) },
        { _id: 'short-0b' as never, v: new Binary(Buffer.from([0x02]), 0) },
        { _id: 'short-0a' as never, v: new Binary(Buffer.from([0x01]), 0) },
      ]);
      const sorted = await blobs.find().sort({ v: 1 }).toArray();
      assert.deepEqual(
        sorted.map((doc) => doc._id),
        ['short-0a', 'short-0b', 'short-5', 'long'],
      );
      const bit0 = await blobs
        .find({ v: { $bitsAllSet: [0] } })
        .sort({ _id: 1 })
        .toArray();
      assert.deepEqual(
        bit0.map((doc) => doc._id),
        ['long', 'short-0a', 'short-5'],
      );
      const byMask = await blobs.find({ v: { $bitsAllSet: new Binary(Buffer.from([0x03])) } }).toArray();
      assert.deepEqual(
        byMask.map((doc) => doc._id),
        ['long'],
      );
    });

    it('when the collection does not exist, find still refuses an unknown query operator (2)', async () => {
      await assert.rejects(
        fresh('missing')
          .find({ status: { $frobnicate: 1 } } as never)
          .toArray(),
        codeIs(2),
      );
      assert.deepEqual(await fresh('missing').find({ status: 'open' }).toArray(), []);
    });

    it('when a hint names an index and there is no sort, results come in that index order', async () => {
      const queue = fresh('hint');
      await queue.insertMany([
        { _id: 3 as never, priority: 1 },
        { _id: 1 as never, priority: 3 },
        { _id: 2 as never, priority: 2 },
      ]);
      await queue.createIndex({ priority: 1 });
      const byPriority = await queue.find({}).hint({ priority: 1 }).toArray();
      assert.deepEqual(
        byPriority.map((doc) => doc._id),
        [3, 2, 1],
      );
      const byId = await queue.find({}).hint({ _id: 1 }).toArray();
      assert.deepEqual(
        byId.map((doc) => doc._id),
        [1, 2, 3],
      );
      await assert.rejects(queue.find({}).hint({ nope: 1 }).toArray(), codeIs(2));
    });
  });

  describe('projections', () => {
    it('when $slice is the only projection, every other field is returned with the array trimmed', async () => {
      const tickets = fresh('slice');
      await tickets.insertOne({ _id: 1 as never, status: 'open', history: [1, 2, 3, 4], notes: ['a'] });
      const first = await tickets.findOne({ _id: 1 as never }, { projection: { history: { $slice: 2 } } });
      assert.deepEqual(first, { _id: 1, status: 'open', history: [1, 2], notes: ['a'] });
      const excluded = await tickets.findOne(
        { _id: 1 as never },
        { projection: { history: { $slice: -1 }, notes: 0 } },
      );
      assert.deepEqual(excluded, { _id: 1, status: 'open', history: [4] });
      const included = await tickets.findOne(
        { _id: 1 as never },
        { projection: { history: { $slice: [1, 2] }, status: 1 } },
      );
      assert.deepEqual(included, { _id: 1, status: 'open', history: [2, 3] });
    });

    it('when $elemMatch projects with an operator-only condition, the first matching element is returned', async () => {
      const readings = fresh('elemMatch');
      await readings.insertOne({ _id: 1 as never, device: 'x', values: [1, 5, 9] });
      const found = await readings.findOne(
        { _id: 1 as never },
        { projection: { values: { $elemMatch: { $gte: 5 } } } },
      );
      assert.deepEqual(found, { _id: 1, values: [5] });
      const none = await readings.findOne(
        { _id: 1 as never },
        { projection: { values: { $elemMatch: { $gt: 9 } } } },
      );
      assert.deepEqual(none, { _id: 1 });
    });
  });

  describe('aggregation', () => {
    it('when a pipeline ends in $out, the target holds exactly the results and keeps its indexes', async () => {
      const tickets = fresh('outSource');
      const summary = fresh('outTarget');
      await tickets.insertMany([
        { status: 'open', total: 2 },
        { status: 'open', total: 3 },
        { status: 'closed', total: 4 },
      ]);
      await summary.insertOne({ _id: 'stale' as never, total: 0 });
      await summary.createIndex({ total: 1 }, { name: 'total_1' });
      const returned = await tickets
        .aggregate([
          { $group: { _id: '$status', total: { $sum: '$total' } } },
          { $out: summary.collectionName },
        ])
        .toArray();
      assert.deepEqual(returned, []);
      assert.deepEqual(await summary.find().sort({ _id: 1 }).toArray(), [
        { _id: 'closed', total: 4 },
        { _id: 'open', total: 5 },
      ]);
      const indexNames = ((await summary.listIndexes().toArray()) as Array<{ name: string }>).map(
        (spec) => spec.name,
      );
      assert.ok(indexNames.includes('total_1'));
    });
  });

  describe('commands and collection options', () => {
    it('when explain is run on a find, it answers with a query plan', async () => {
      const tickets = fresh('explain');
      await tickets.insertMany([{ status: 'open' }, { status: 'closed' }]);
      const plan = await tickets.find({ status: 'open' }).explain('executionStats');
      const { queryPlanner, executionStats } = plan as {
        queryPlanner: { namespace: string; winningPlan?: Document };
        executionStats: { nReturned: number };
      };
      assert.equal(queryPlanner.namespace, tickets.namespace);
      assert.ok(queryPlanner.winningPlan);
      assert.equal(executionStats.nReturned, 1);
    });

    it('when collMod changes the validator and hides an index, listCollections and listIndexes show it', async () => {
      const tickets = fresh('collMod');
      await db.createCollection(tickets.collectionName);
      await tickets.createIndex({ status: 1 }, { name: 'status_1' });
      const reply = await db.command({
        collMod: tickets.collectionName,
        validator: { status: { $exists: true } },
        validationLevel: 'moderate',
        index: { name: 'status_1', hidden: true },
      });
      assert.equal(reply.ok, 1);
      const [info] = await db.listCollections({ name: tickets.collectionName }).toArray();
      assert.deepEqual((info as { options: Document }).options.validator, { status: { $exists: true } });
      assert.equal((info as { options: Document }).options.validationLevel, 'moderate');
      const specs = (await tickets.listIndexes().toArray()) as Array<{ name: string; hidden?: boolean }>;
      assert.equal(specs.find((spec) => spec.name === 'status_1')?.hidden, true);
      await assert.rejects(
        db.command({ collMod: fresh('absent').collectionName, validationLevel: 'off' }),
        codeIs(26),
      );
    });

    it('when a collection has a query validator, writes that break it fail with DocumentValidationFailure (121)', async () => {
      const name = fresh('validated').collectionName;
      await db.createCollection(name, { validator: { status: { $in: ['open', 'closed'] } } });
      const tickets = db.collection<Document>(name);
      await tickets.insertOne({ _id: 1 as never, status: 'open' });
      await assert.rejects(tickets.insertOne({ _id: 2 as never, status: 'lost' }), codeIs(121));
      await assert.rejects(tickets.updateOne({ _id: 1 as never }, { $set: { status: 'lost' } }), codeIs(121));
      assert.deepEqual(await tickets.find().toArray(), [{ _id: 1, status: 'open' }]);
      await db.command({ collMod: name, validationAction: 'warn' });
      await tickets.insertOne({ _id: 3 as never, status: 'lost' });
      assert.equal(await tickets.countDocuments(), 2);
    });

    it('when a collection is created with a collation, later finds and sorts use it', async () => {
      const name = fresh('collation').collectionName;
      await db.createCollection(name, { collation: { locale: 'en', strength: 2 } });
      const people = db.collection<Document>(name);
      await people.insertMany([{ n: 'b' }, { n: 'A' }, { n: 'a' }, { n: 'B' }, { n: 'c' }]);
      assert.equal(await people.countDocuments({ n: 'a' }), 2);
      const found = await people.find({ n: { $in: ['C'] } }, { projection: { _id: 0 } }).toArray();
      assert.deepEqual(found, [{ n: 'c' }]);
      const sorted = await people
        .find({}, { projection: { _id: 0 } })
        .sort({ n: 1 })
        .toArray();
      assert.deepEqual(
        sorted.map((doc) => String(doc.n).toLowerCase()),
        ['a', 'a', 'b', 'b', 'c'],
      );
    });

    it('when a collation locale is spelled en_US, sorts follow it', async () => {
      const words = fresh('enUS');
      await words.insertMany([{ w: 'b' }, { w: 'B' }, { w: 'a' }]);
      const sorted = await words
        .find({}, { projection: { _id: 0 } })
        .sort({ w: 1 })
        .collation({ locale: 'en_US' })
        .toArray();
      assert.deepEqual(
        sorted.map((doc) => String(doc.w)),
        ['a', 'b', 'B'],
      );
    });

    it('when a collection is clustered on _id, it says so and reads come back in _id order', async () => {
      const name = fresh('clustered').collectionName;
      await db.createCollection(name, { clusteredIndex: { key: { _id: 1 }, unique: true } });
      const events = db.collection<Document>(name);
      await events.insertMany([{ _id: 3 as never }, { _id: 1 as never }, { _id: 2 as never }]);
      const [info] = await db.listCollections({ name }).toArray();
      const clustered = (info as { options: Document }).options.clusteredIndex as Document;
      assert.deepEqual(clustered.key, { _id: 1 });
      assert.equal(clustered.unique, true);
      assert.deepEqual(
        (await events.find().toArray()).map((doc) => doc._id),
        [1, 2, 3],
      );
    });
  });
});
