import assert from 'node:assert/strict';
import type { Collection, Db } from 'mongodb';
import { Schema, type Model } from 'mongoose';
import { startTestStore, type TestStore } from '../support/testStore';

interface Part {
  sku: string;
  name: string;
  price: number;
  stock: number;
  tags: string[];
  dims?: { w: number; h: number };
}

describe('store contract: CRUD and queries', () => {
  let store: TestStore;
  let db: Db;
  let parts: Collection<Part>;

  before(async () => {
    store = await startTestStore();
    db = store.connection.db!;
  });

  after(async () => {
    await store.close();
  });

  beforeEach(async () => {
    parts = db.collection<Part>(`parts_${Math.random().toString(36).slice(2, 8)}`);
    await parts.insertMany([
      {
        sku: 'U2W',
        name: 'U2W Plus',
        price: 79,
        stock: 12,
        tags: ['carplay', 'wireless'],
        dims: { w: 5, h: 2 },
      },
      { sku: 'U2AIR', name: 'U2AIR', price: 59, stock: 0, tags: ['carplay', 'wireless', 'android-auto'] },
      { sku: 'TBOX', name: 'Tbox Ambient', price: 199, stock: 4, tags: ['ai-box', 'android'] },
      { sku: 'MINI2', name: 'Mini 2', price: 69, stock: 30, tags: ['carplay'] },
      { sku: 'HDMI', name: 'HDMI Adapter', price: 39, stock: 7, tags: [] },
    ]);
  });

  it('when documents are inserted without _id, each gets an ObjectId that it is found by', async () => {
    const result = await parts.insertOne({ sku: 'NEW', name: 'New', price: 1, stock: 1, tags: [] });
    const found = await parts.findOne({ _id: result.insertedId });
    assert.equal(found?.sku, 'NEW');
    assert.equal(found?._id.toHexString(), result.insertedId.toHexString());
  });

  it('when a document is read back, _id comes first whatever order it was sent in', async () => {
    await db.collection('ordered').insertOne({ b: 1, _id: 'key' as never, a: 2 });
    const doc = await db.collection('ordered').findOne({ _id: 'key' as never });
    assert.deepEqual(Object.keys(doc!), ['_id', 'b', 'a']);
  });

  it('when filtering with comparison, logical, element, array and regex operators, it returns exactly the matches', async () => {
    const skus = async (filter: object): Promise<string[]> =>
      (await parts.find(filter).sort({ sku: 1 }).toArray()).map((part) => part.sku);
    assert.deepEqual(await skus({ price: { $gte: 69, $lt: 199 } }), ['MINI2', 'U2W']);
    assert.deepEqual(await skus({ $or: [{ stock: 0 }, { price: { $gt: 150 } }] }), ['TBOX', 'U2AIR']);
    assert.deepEqual(await skus({ tags: 'carplay', stock: { $ne: 0 } }), ['MINI2', 'U2W']);
    assert.deepEqual(await skus({ tags: { $all: ['carplay', 'wireless'] } }), ['U2AIR', 'U2W']);
    assert.deepEqual(await skus({ tags: { $size: 0 } }), ['HDMI']);
    assert.deepEqual(await skus({ dims: { $exists: true } }), ['U2W']);
    assert.deepEqual(await skus({ 'dims.w': 5 }), ['U2W']);
    assert.deepEqual(await skus({ name: /^u2/i }), ['U2AIR', 'U2W']);
    assert.deepEqual(await skus({ sku: { $in: ['TBOX', 'NOPE', 'HDMI'] } }), ['HDMI', 'TBOX']);
    assert.deepEqual(await skus({ sku: { $nin: ['TBOX', 'HDMI', 'U2W'] } }), ['MINI2', 'U2AIR']);
    assert.deepEqual(await skus({ $nor: [{ price: { $lt: 100 } }] }), ['TBOX']);
    assert.deepEqual(await skus({ $expr: { $gt: ['$stock', 10] } }), ['MINI2', 'U2W']);
    assert.deepEqual(await skus({ missing: null }), ['HDMI', 'MINI2', 'TBOX', 'U2AIR', 'U2W']);
  });

  it('when projecting, it includes or excludes fields and keeps _id unless told not to', async () => {
    const included = await parts.findOne({ sku: 'U2W' }, { projection: { name: 1, 'dims.w': 1 } });
    assert.deepEqual(Object.keys(included!).sort(), ['_id', 'dims', 'name']);
    assert.deepEqual(included!.dims, { w: 5 });
    const excluded = await parts.findOne({ sku: 'U2W' }, { projection: { _id: 0, tags: 0, dims: 0 } });
    assert.deepEqual(excluded, { sku: 'U2W', name: 'U2W Plus', price: 79, stock: 12 });
    const sliced = await parts.findOne({ sku: 'U2AIR' }, { projection: { _id: 0, tags: { $slice: 1 } } });
    assert.deepEqual(sliced!.tags, ['carplay']);
  });

  it('when a projection excludes nested fields, the stored document is unchanged', async () => {
    await parts.findOne({ sku: 'U2W' }, { projection: { 'dims.h': 0 } });
    const full = await parts.findOne({ sku: 'U2W' });
    assert.deepEqual(full!.dims, { w: 5, h: 2 });
  });

  it('when sorting, skipping and limiting, it pages in the requested order', async () => {
    const byPriceDesc = await parts
      .find({}, { projection: { _id: 0, sku: 1 } })
      .sort({ price: -1 })
      .toArray();
    assert.deepEqual(
      byPriceDesc.map((part) => part.sku),
      ['TBOX', 'U2W', 'MINI2', 'U2AIR', 'HDMI'],
    );
    const page = await parts.find({}).sort({ price: 1 }).skip(1).limit(2).toArray();
    assert.deepEqual(
      page.map((part) => part.sku),
      ['U2AIR', 'MINI2'],
    );
    const compound = await parts.find({}).sort({ stock: -1, sku: 1 }).limit(1).toArray();
    assert.equal(compound[0].sku, 'MINI2');
  });

  it('when sorting by $natural, documents come in insertion order, or reversed for -1', async () => {
    const forward = await parts.find({}).sort({ $natural: 1 }).toArray();
    const backward = await parts.find({}).sort({ $natural: -1 }).toArray();
    assert.deepEqual(
      forward.map((part) => part.sku),
      ['U2W', 'U2AIR', 'TBOX', 'MINI2', 'HDMI'],
    );
    assert.deepEqual(
      backward.map((part) => part.sku),
      ['HDMI', 'MINI2', 'TBOX', 'U2AIR', 'U2W'],
    );
  });

  it('when results exceed the batch size, the cursor fetches the rest with getMore, in order', async () => {
    const many = db.collection<{ i: number }>('many');
    await many.insertMany(Array.from({ length: 250 }, (_, i) => ({ i })));
    const cursor = many.find({}, { batchSize: 20 }).sort({ i: 1 });
    assert.equal(await cursor.hasNext(), true);
    assert.notEqual(cursor.id?.toString(), '0', 'a server cursor stays open after the first batch');
    assert.equal(cursor.bufferedCount(), 20);
    const seen: number[] = [];
    for await (const doc of cursor) seen.push(doc.i);
    assert.deepEqual(
      seen,
      Array.from({ length: 250 }, (_, i) => i),
    );
    assert.equal(cursor.id?.toString(), '0');
  });

  it('when a cursor is closed early, killCursors frees it and a later getMore on that id fails with CursorNotFound', async () => {
    const many = db.collection<{ i: number }>('killed');
    await many.insertMany(Array.from({ length: 50 }, (_, i) => ({ i })));
    const cursor = many.find({}, { batchSize: 5 });
    await cursor.next();
    const id = cursor.id!;
    await cursor.close();
    await assert.rejects(
      db.command({ getMore: id, collection: 'killed', batchSize: 5 }),
      (error: { code?: number; codeName?: string }) =>
        error.code === 43 && error.codeName === 'CursorNotFound',
    );
  });

  it('when limit is smaller than the batch size, exactly limit documents come back and no cursor stays open', async () => {
    const cursor = parts.find({}).sort({ sku: 1 }).limit(2).batchSize(10);
    const docs = await cursor.toArray();
    assert.equal(docs.length, 2);
    assert.equal(cursor.id?.toString() ?? '0', '0');
  });

  it('when deleting one or many, only the matches go and the counts say so', async () => {
    assert.equal((await parts.deleteOne({ tags: 'carplay' })).deletedCount, 1);
    assert.equal((await parts.deleteMany({ tags: 'carplay' })).deletedCount, 2);
    assert.equal((await parts.deleteMany({ sku: 'NOPE' })).deletedCount, 0);
    assert.deepEqual(
      (await parts.find().sort({ sku: 1 }).toArray()).map((part) => part.sku),
      ['HDMI', 'TBOX'],
    );
  });

  it('when reading a collection that does not exist, it finds nothing rather than failing', async () => {
    assert.deepEqual(await db.collection('never_created').find({}).toArray(), []);
    assert.equal(await db.collection('never_created').countDocuments(), 0);
  });

  describe('through mongoose models', () => {
    interface ContractTicket {
      number: string;
      status: string;
      notes: string[];
      customer?: { name?: string; phone?: string };
    }
    let Ticket: Model<ContractTicket>;

    before(async () => {
      const schema = new Schema<ContractTicket>(
        {
          number: { type: String, required: true, unique: true },
          status: { type: String, default: 'open' },
          notes: [String],
          customer: { name: String, phone: String },
        },
        { timestamps: true },
      );
      Ticket = store.connection.model<ContractTicket>('ContractTicket', schema);
      await Ticket.init();
    });

    it('when a document is created, found, changed and saved, each step is visible to the next', async () => {
      const created = await Ticket.create({ number: 'RMA-1', customer: { name: 'Li', phone: '+100' } });
      const loaded = await Ticket.findById(created._id);
      assert.equal(loaded?.status, 'open');
      loaded.status = 'received';
      loaded.notes.push('box arrived');
      await loaded.save();
      const again = await Ticket.findOne({ number: 'RMA-1' }).lean();
      assert.equal(again?.status, 'received');
      assert.deepEqual(again?.notes, ['box arrived']);
      assert.ok(again && 'updatedAt' in again);
    });

    it('when lean queries filter on nested fields and sort, they return plain objects in order', async () => {
      await Ticket.create([
        { number: 'RMA-10', customer: { name: 'Ana', phone: '1' } },
        { number: 'RMA-11', customer: { name: 'Bo', phone: '2' }, status: 'closed' },
      ]);
      const open = await Ticket.find({ status: 'open', 'customer.name': { $in: ['Ana', 'Bo'] } })
        .sort({ number: -1 })
        .lean();
      assert.deepEqual(
        open.map((ticket) => ticket.number),
        ['RMA-10'],
      );
    });
  });
});
