import assert from 'node:assert/strict';
import mongoose from 'mongoose';
import { ETagConflictError, MongoStorage } from '../../../src/services/store/mongoStorage';
import { startTestStore, type TestStore } from '../../support/testStore';

type Item = { count: number; eTag: string };

/** A second connection to the test store that counts the commands it sends, by name and collection. */
async function countingConnection(store: TestStore): Promise<{
  connection: mongoose.Connection;
  sent: (command: string) => number;
}> {
  const connection = mongoose.createConnection(store.uri, {
    dbName: store.connection.name,
    monitorCommands: true,
  });
  await connection.asPromise();
  const counts = new Map<string, number>();
  connection.getClient().on('commandStarted', (event) => {
    if ((event.command as Record<string, unknown>)[event.commandName] === 'botstate')
      counts.set(event.commandName, (counts.get(event.commandName) ?? 0) + 1);
  });
  return { connection, sent: (command) => counts.get(command) ?? 0 };
}

describe('MongoStorage (botbuilder Storage on the store)', () => {
  let store: TestStore;
  let storage: MongoStorage;

  beforeEach(async () => {
    store = await startTestStore();
    storage = new MongoStorage(store.connection);
  });
  afterEach(async () => store.close());

  it('when a key was never written, reading it returns nothing for that key', async () => {
    assert.deepEqual(await storage.read(['missing']), {});
  });

  it('when an item is written, it reads back with the same content and a fresh eTag', async () => {
    await storage.write({ 'conv/1': { dialogStack: [{ id: 'main', state: { 'a.b': 1, $odd: true } }] } });
    const items = await storage.read(['conv/1', 'other']);
    const item = items['conv/1'] as { dialogStack: unknown; eTag: string };
    assert.deepEqual(item.dialogStack, [{ id: 'main', state: { 'a.b': 1, $odd: true } }]);
    assert.equal(typeof item.eTag, 'string');
    assert.equal(Object.keys(items).length, 1);
  });

  it('when two turns read the same item and both write it back, the second write fails with an eTag conflict', async () => {
    await storage.write({ key: { count: 0 } });
    const first = (await storage.read(['key'])).key as { count: number; eTag: string };
    const second = (await storage.read(['key'])).key as { count: number; eTag: string };
    await storage.write({ key: { ...first, count: 1 } });
    await assert.rejects(storage.write({ key: { ...second, count: 2 } }), ETagConflictError);
    assert.equal(((await storage.read(['key'])).key as { count: number }).count, 1);
  });

  it("when a write carries eTag '*', it overwrites whatever is stored", async () => {
    await storage.write({ key: { count: 0 } });
    await storage.write({ key: { count: 5, eTag: '*' } });
    assert.equal(((await storage.read(['key'])).key as { count: number }).count, 5);
  });

  it('when an item with an eTag was never stored, the first write creates it', async () => {
    await storage.write({ fresh: { v: 1, eTag: 'from-elsewhere' } });
    assert.equal(((await storage.read(['fresh'])).fresh as { v: number }).v, 1);
  });

  it('when keys are deleted, they read back as missing and other keys stay', async () => {
    await storage.write({ a: { v: 1 }, b: { v: 2 } });
    await storage.delete(['a']);
    const items = await storage.read(['a', 'b']);
    assert.deepEqual(Object.keys(items), ['b']);
  });

  it('when another MongoStorage on the same connection is created, both see the same items', async () => {
    await storage.write({ shared: { v: 1 } });
    const again = new MongoStorage(store.connection);
    assert.equal(((await again.read(['shared'])).shared as { v: number }).v, 1);
  });

  describe('with the cache on (this process is the only writer)', () => {
    let counting: Awaited<ReturnType<typeof countingConnection>>;
    let cached: MongoStorage;
    beforeEach(async () => {
      counting = await countingConnection(store);
      cached = new MongoStorage(counting.connection, { cache: { maxBytes: 1024 * 1024 } });
    });
    afterEach(async () => counting.connection.close());

    it('when an item was written by this process, the next read answers from memory with the new eTag and the store is not asked', async () => {
      await cached.write({ 'conv/1': { count: 1 } });
      const finds = counting.sent('find');
      const first = (await cached.read(['conv/1']))['conv/1'] as Item;
      await cached.write({ 'conv/1': { ...first, count: 2 } });
      const second = (await cached.read(['conv/1']))['conv/1'] as Item;
      assert.equal(second.count, 2);
      assert.notEqual(second.eTag, first.eTag);
      assert.equal(counting.sent('find'), finds, 'no read reached the store');
      // What the store holds is the same: another storage reads it from there.
      assert.deepEqual(await storage.read(['conv/1']), { 'conv/1': second });
    });

    it('when each read is changed by the turn, the next read still gets the stored state, not the changed object', async () => {
      await cached.write({ key: { count: 1 } });
      const read = (await cached.read(['key'])).key as Item;
      read.count = 99;
      assert.equal(((await cached.read(['key'])).key as Item).count, 1);
    });

    it('when another instance changed the item behind the cache, the write with the cached eTag fails with a conflict and the next read sees the other instance’s state', async () => {
      await cached.write({ key: { count: 1 } });
      const stale = (await cached.read(['key'])).key as Item;
      const elsewhere = (await storage.read(['key'])).key as Item;
      await storage.write({ key: { ...elsewhere, count: 7 } });

      await assert.rejects(cached.write({ key: { ...stale, count: 2 } }), ETagConflictError);
      assert.equal(((await cached.read(['key'])).key as Item).count, 7);
    });

    it('when two writes of one key overlap, neither is remembered and the next read asks the store', async () => {
      await Promise.all([cached.write({ key: { count: 1 } }), cached.write({ key: { count: 2 } })]);
      const finds = counting.sent('find');
      assert.equal(((await cached.read(['key'])).key as Item).count, 2);
      assert.equal(counting.sent('find'), finds + 1);
    });

    it('when a key is deleted, it reads back as missing, not from the cache', async () => {
      await cached.write({ key: { count: 1 } });
      await cached.delete(['key']);
      assert.deepEqual(await cached.read(['key']), {});
    });

    it('when the cache is full, the least recently used items are read from the store again', async () => {
      const small = new MongoStorage(counting.connection, { cache: { maxBytes: 700 } });
      const padding = 'x'.repeat(200);
      await small.write({ a: { padding } });
      await small.write({ b: { padding } });
      await small.write({ c: { padding } }); // about 315 bytes each: the three don't fit in 700, so a goes
      const finds = counting.sent('find');
      await small.read(['b']);
      await small.read(['c']);
      assert.equal(counting.sent('find'), finds, 'b and c were in memory');
      assert.equal(((await small.read(['a'])).a as { padding: string }).padding, padding);
      assert.equal(counting.sent('find'), finds + 1, 'a was read from the store');
    });
  });

  describe('writes', () => {
    it('when many turns save at once, their writes share update commands, and a stale eTag fails only its own item', async () => {
      const counting = await countingConnection(store);
      try {
        const writer = new MongoStorage(counting.connection);
        await writer.write({ stale: { count: 0 } });
        const read = (await writer.read(['stale'])).stale as Item;
        await writer.write({ stale: { ...read, count: 1 } });
        const updates = counting.sent('update');

        const results = await Promise.allSettled([
          writer.write({ stale: { ...read, count: 2 } }),
          ...Array.from({ length: 30 }, (_, index) => writer.write({ [`conv/${index}`]: { count: index } })),
        ]);

        assert.ok(results[0]?.status === 'rejected' && results[0].reason instanceof ETagConflictError);
        assert.ok(results.slice(1).every((result) => result.status === 'fulfilled'));
        assert.ok(
          counting.sent('update') - updates <= 2,
          `${counting.sent('update') - updates} update commands`,
        );
        const stored = await storage.read(Array.from({ length: 30 }, (_, index) => `conv/${index}`));
        assert.equal(Object.keys(stored).length, 30);
        assert.equal((stored['conv/29'] as Item).count, 29);
        assert.equal(((await storage.read(['stale'])).stale as Item).count, 1);
      } finally {
        await counting.connection.close();
      }
    });

    it('when the same key is written twice at once, the later write is the one stored', async () => {
      await Promise.all([
        storage.write({ key: { count: 1 } }),
        storage.write({ key: { count: 2 } }),
        storage.write({ key: { count: 3 } }),
      ]);
      assert.equal(((await storage.read(['key'])).key as Item).count, 3);
    });

    it('when the store is not connected, a write fails as unavailable and nothing is kept', async () => {
      const closed = mongoose.createConnection();
      const detached = new MongoStorage(closed, { cache: { maxBytes: 1024 } });
      await assert.rejects(detached.write({ key: { count: 1 } }), /not connected/);
      await assert.rejects(detached.read(['key']), /not connected/);
    });
  });
});
