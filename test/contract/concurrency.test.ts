import assert from 'node:assert/strict';
import { Schema } from 'mongoose';
import { startTestStore, type TestStore } from '../support/testStore';

describe('store contract: concurrent writers', () => {
  let store: TestStore;

  before(async () => {
    store = await startTestStore();
  });

  after(async () => {
    await store.close();
  });

  it('when 50 writers insert concurrently, every acknowledged document is there exactly once', async function () {
    this.timeout(60_000);
    const Message = store.connection.model(
      'ContractMessage',
      new Schema({ writer: Number, seq: Number, text: String }, { timestamps: true }),
    );
    await Message.init();
    await Promise.all(
      Array.from({ length: 50 }, async (_, writer) => {
        for (let seq = 0; seq < 20; seq++)
          await Message.create({ writer, seq, text: `hello ${writer}/${seq}` });
      }),
    );
    assert.equal(await Message.countDocuments(), 1000);
    const perWriter = await Message.aggregate<{ _id: number; n: number }>([
      { $group: { _id: '$writer', n: { $sum: 1 } } },
    ]);
    assert.equal(perWriter.length, 50);
    assert.ok(perWriter.every((row) => row.n === 20));
  });

  it('when many writers race for the same unique key, exactly one wins and the rest get 11000', async () => {
    const Claim = store.connection.model(
      'ContractClaim',
      new Schema({ serial: { type: String, unique: true }, by: Number }),
    );
    await Claim.init();
    const results = await Promise.allSettled(
      Array.from({ length: 30 }, (_, by) => Claim.create({ serial: 'SN-1', by })),
    );
    const won = results.filter((result) => result.status === 'fulfilled');
    const lost = results.filter((result): result is PromiseRejectedResult => result.status === 'rejected');
    assert.equal(won.length, 1);
    assert.ok(lost.every((result) => (result.reason as { code?: number }).code === 11000));
    assert.equal(await Claim.countDocuments({ serial: 'SN-1' }), 1);
  });

  it('when many writers increment one counter, no increment is lost', async () => {
    const counters = store.connection.db!.collection<{ _id: string; n: number }>('counters');
    await Promise.all(
      Array.from({ length: 40 }, () =>
        counters
          .updateOne({ _id: 'tickets' }, { $inc: { n: 1 } }, { upsert: true })
          .catch(async (error: { code?: number }) => {
            // Two racing upserts may collide on _id (as on MongoDB); the loser retries as a plain update.
            if (error.code !== 11000) throw error;
            await counters.updateOne({ _id: 'tickets' }, { $inc: { n: 1 } });
          }),
      ),
    );
    assert.equal((await counters.findOne({ _id: 'tickets' }))!.n, 40);
  });

  it('when optimistic writers retry on version conflicts, all their changes land', async () => {
    const docs = store.connection.db!.collection<{ _id: string; items: number[]; version: number }>(
      'optimistic',
    );
    await docs.insertOne({ _id: 'cart', items: [], version: 0 });
    await Promise.all(
      Array.from({ length: 20 }, async (_, item) => {
        for (;;) {
          const current = (await docs.findOne({ _id: 'cart' }))!;
          const result = await docs.updateOne(
            { _id: 'cart', version: current.version },
            { $set: { items: [...current.items, item], version: current.version + 1 } },
          );
          if (result.modifiedCount === 1) return;
        }
      }),
    );
    const cart = (await docs.findOne({ _id: 'cart' }))!;
    assert.equal(cart.version, 20);
    assert.deepEqual(
      [...cart.items].sort((a, b) => a - b),
      Array.from({ length: 20 }, (_, i) => i),
    );
  });
});
