import assert from 'node:assert/strict';
import { Binary, Decimal128, Double, Int32, Long, ObjectId, UUID, type Db } from 'mongodb';
import { Schema, Types } from 'mongoose';
import { startTestStore, type TestStore } from '../support/testStore';

describe('store contract: BSON types and document sizes', () => {
  let store: TestStore;
  let db: Db;

  before(async () => {
    store = await startTestStore();
    db = store.connection.db!;
  });

  after(async () => {
    await store.close();
  });

  it('when ObjectId, Date, Long, Decimal128, Binary, UUID and nested values are stored, they come back identical', async () => {
    const coll = db.collection('typed');
    const doc = {
      _id: new ObjectId(),
      at: new Date('2026-03-01T10:20:30.456Z'),
      big: Long.fromString('9007199254740993'),
      price: Decimal128.fromString('79.90'),
      blob: new Binary(Buffer.from([0, 1, 2, 250]), 0),
      uuid: new UUID('0e6a3c4c-7f1e-4d5b-9a1f-1c2d3e4f5a6b'),
      int: 42,
      fraction: 0.25,
      nested: { list: [1, 'two', { three: [3] }], flag: true, nothing: null },
      text: 'Grüße 🚗',
    };
    await coll.insertOne(doc);
    const back = await coll.findOne({ _id: doc._id }, { promoteLongs: false });
    assert.ok(back);
    assert.equal(back._id.toHexString(), doc._id.toHexString());
    assert.equal((back.at as Date).toISOString(), '2026-03-01T10:20:30.456Z');
    assert.ok(back.big instanceof Long);
    assert.equal(back.big.toString(), '9007199254740993');
    assert.ok(back.price instanceof Decimal128);
    assert.equal(back.price.toString(), '79.90');
    assert.deepEqual(Buffer.from((back.blob as Binary).buffer), Buffer.from([0, 1, 2, 250]));
    assert.equal((back.uuid as Binary).toUUID().toString(), '0e6a3c4c-7f1e-4d5b-9a1f-1c2d3e4f5a6b');
    assert.equal(back.int, 42);
    assert.equal(back.fraction, 0.25);
    assert.deepEqual(back.nested, { list: [1, 'two', { three: [3] }], flag: true, nothing: null });
    assert.equal(back.text, 'Grüße 🚗');
  });

  it('when filtering by ObjectId, Date ranges, Long and Decimal128 values, the right documents match', async () => {
    const coll = db.collection('typedQueries');
    const ids = [new ObjectId(), new ObjectId(), new ObjectId()];
    await coll.insertMany([
      {
        _id: ids[0],
        at: new Date('2026-01-01'),
        serial: Long.fromNumber(100),
        price: Decimal128.fromString('10.5'),
      },
      {
        _id: ids[1],
        at: new Date('2026-02-01'),
        serial: Long.fromNumber(200),
        price: Decimal128.fromString('20.5'),
      },
      {
        _id: ids[2],
        at: new Date('2026-03-01'),
        serial: Long.fromNumber(300),
        price: Decimal128.fromString('30.5'),
      },
    ]);
    assert.equal(await coll.countDocuments({ _id: ids[1] }), 1);
    assert.equal(await coll.countDocuments({ _id: { $in: [ids[0], ids[2]] } }), 2);
    assert.equal(
      await coll.countDocuments({ at: { $gte: new Date('2026-01-15'), $lt: new Date('2026-03-01') } }),
      1,
    );
    assert.equal(await coll.countDocuments({ serial: Long.fromNumber(200) }), 1);
    assert.equal(await coll.countDocuments({ price: Decimal128.fromString('30.5') }), 1);
    const newest = await coll.find({}).sort({ at: -1 }).limit(1).toArray();
    assert.equal(newest[0]._id.toHexString(), ids[2].toHexString());
  });

  it('when numbers are sent as int32, double and int64, numeric equality matches across those types', async () => {
    const coll = db.collection('numbers');
    await coll.insertMany([{ v: new Int32(5) }, { v: new Double(6.5) }]);
    assert.equal(await coll.countDocuments({ v: 5 }), 1);
    assert.equal(await coll.countDocuments({ v: 6.5 }), 1);
    assert.equal(await coll.countDocuments({ v: { $gt: 5 } }), 1);
  });

  it('when a mongoose schema uses Decimal128, ObjectId refs, Maps, subdocuments and dates, they round-trip', async () => {
    interface TypedItem {
      price: Types.Decimal128;
      owner: Types.ObjectId;
      attributes: Map<string, string>;
      shipments: Array<{ carrier: string; sentAt: Date }>;
    }
    const schema = new Schema<TypedItem>({
      price: Schema.Types.Decimal128,
      owner: Schema.Types.ObjectId,
      attributes: { type: Map, of: String },
      shipments: [{ carrier: String, sentAt: Date }],
    });
    const Item = store.connection.model<TypedItem>('ContractTypedItem', schema);
    const owner = new Types.ObjectId();
    const created = await Item.create({
      price: Types.Decimal128.fromString('129.99'),
      owner,
      attributes: new Map([
        ['colour', 'black'],
        ['firmware', '2025.10.1'],
      ]),
      shipments: [{ carrier: 'DHL', sentAt: new Date('2026-04-02T08:00:00Z') }],
    });
    const loaded = await Item.findById(created._id);
    assert.equal(loaded!.price.toString(), '129.99');
    assert.equal(loaded!.owner.toString(), owner.toString());
    assert.equal(loaded!.attributes.get('firmware'), '2025.10.1');
    assert.equal(loaded!.shipments[0].sentAt.toISOString(), '2026-04-02T08:00:00.000Z');
  });

  it('when a document is close to the 16 MB limit, it is stored and read back whole', async function () {
    this.timeout(60_000);
    const coll = db.collection('large');
    const payload = 'x'.repeat(16 * 1024 * 1024 - 1024);
    await coll.insertOne({ _id: 'big' as never, payload });
    const back = await coll.findOne({ _id: 'big' as never });
    assert.equal((back!.payload as string).length, payload.length);
  });

  it('when a document is over 16 MB, it is refused and nothing is stored', async function () {
    this.timeout(60_000);
    const coll = db.collection('tooLarge');
    await assert.rejects(
      coll.insertOne({ _id: 'huge' as never, payload: 'y'.repeat(16 * 1024 * 1024 + 10) }),
    );
    assert.equal(await coll.countDocuments({ _id: 'huge' as never }), 0);
  });

  it('when many large documents are fetched, the batches stay under the reply limit and all arrive', async function () {
    this.timeout(60_000);
    const coll = db.collection('manyLarge');
    const chunk = 'z'.repeat(3 * 1024 * 1024);
    for (let i = 0; i < 8; i++) await coll.insertOne({ i, chunk });
    const all = await coll.find({}).sort({ i: 1 }).toArray();
    assert.deepEqual(
      all.map((doc) => doc.i as number),
      [0, 1, 2, 3, 4, 5, 6, 7],
    );
  });
});
