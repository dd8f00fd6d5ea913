import assert from 'node:assert/strict';
import { ETagConflictError, MongoStorage } from '../../../src/services/store/mongoStorage';
import { startTestStore, type TestStore } from '../../support/testStore';

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
});
