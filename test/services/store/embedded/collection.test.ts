import assert from 'node:assert/strict';
import { Binary, deserialize, serialize, type Document } from 'bson';
import { Collection, idKeyOf } from '../../../../src/services/store/embedded/collection';

/** A document decoded from the middle of a much larger buffer, as the wire parser and journal replay do. */
function decodedFromLargeBuffer(doc: Document): Document {
  const bytes = serialize(doc);
  const large = Buffer.alloc(1024 * 1024);
  large.set(bytes, 4096);
  return deserialize(large.subarray(4096, 4096 + bytes.length), { promoteBuffers: false });
}

describe('Collection', () => {
  it('when a decoded document with binary data is stored, it keeps only its own bytes, not the buffer it came from', () => {
    const collection = new Collection('app', 'files', {});
    const doc = decodedFromLargeBuffer({
      _id: 'f1',
      blob: new Binary(Buffer.from('hello')),
      nested: [{ b: new Binary(Buffer.from('x')) }],
    });
    assert.ok(
      (doc.blob as Binary).buffer.buffer.byteLength > 1000,
      'the decoder returns a view (precondition)',
    );
    collection.insert(doc);
    const stored = collection.all()[0];
    assert.equal((stored.blob as Binary).buffer.buffer.byteLength, 5);
    assert.equal(Buffer.from((stored.blob as Binary).buffer).toString(), 'hello');
    const nested = (stored.nested as Document[])[0].b as Binary;
    assert.equal(nested.buffer.buffer.byteLength, 1);

    const replacement = decodedFromLargeBuffer({ _id: 'f1', blob: new Binary(Buffer.from('again')) });
    collection.replace(idKeyOf(replacement), replacement);
    assert.equal((collection.all()[0].blob as Binary).buffer.buffer.byteLength, 5);
  });

  it('when an update leaves the indexed fields alone, lookups through the index still find the document', () => {
    const collection = new Collection('app', 'tickets', {});
    collection.createIndex({ v: 2, key: { number: 1 }, name: 'number_1', unique: true });
    collection.createIndex({ v: 2, key: { 'customer.phone': 1, status: 1 }, name: 'phone_status' });
    collection.insert({ _id: 't1', number: 'RMA-1', status: 'open', customer: { phone: '+1' } });
    collection.replace(idKeyOf({ _id: 't1' }), {
      _id: 't1',
      number: 'RMA-1',
      status: 'open',
      customer: { phone: '+1' },
      note: 'x',
    });
    assert.equal(collection.candidates({ number: 'RMA-1' }, true)?.[0]?.note, 'x');
    collection.replace(idKeyOf({ _id: 't1' }), {
      _id: 't1',
      number: 'RMA-1',
      status: 'closed',
      customer: { phone: '+1' },
    });
    assert.deepEqual(collection.candidates({ 'customer.phone': '+1', status: 'open' }, true), []);
    assert.equal(collection.candidates({ 'customer.phone': '+1', status: 'closed' }, true)?.length, 1);
    collection.insert({ _id: 't2', number: 'RMA-2', status: 'closed', customer: { phone: '+1' } });
    assert.equal(collection.candidates({ 'customer.phone': '+1', status: 'closed' }, true)?.length, 2);
    collection.remove(idKeyOf({ _id: 't2' }));
    assert.deepEqual(
      collection
        .candidates({ 'customer.phone': '+1', status: 'closed' }, true)
        ?.map((doc) => doc._id as unknown),
      ['t1'],
    );
    assert.throws(() => collection.insert({ _id: 't3', number: 'RMA-1' }), /E11000/);
  });
});
