import assert from 'node:assert/strict';
import { deserialize, Long, ObjectId, serialize, type Document } from 'bson';
import { cursorReply, encodeBatch } from '../../../../src/services/store/embedded/cursorReply';

const docs: Document[] = Array.from({ length: 12 }, (_, i) => ({
  _id: new ObjectId(),
  i,
  name: `ticket ${i}`,
  at: new Date(1_700_000_000_000 + i),
  padding: 'p'.repeat(i * 100),
}));

describe('cursor replies', () => {
  it('when a batch is encoded, the reply decodes to the cursor document the driver expects', () => {
    const { batch, next } = encodeBatch(docs, 2, 5, 16 * 1024 * 1024);
    assert.equal(next, 7);
    const reply = cursorReply('firstBatch', batch, 1234567890123n, 'carlinkit.tickets');
    const decoded = deserialize(reply.bytes, { promoteLongs: false });
    assert.deepEqual(Object.keys(decoded), ['cursor', 'ok']);
    assert.equal(decoded.ok, 1);
    const cursor = decoded.cursor as Document;
    assert.deepEqual(Object.keys(cursor), ['firstBatch', 'id', 'ns']);
    assert.ok((cursor.id as Long).equals(Long.fromBigInt(1234567890123n)));
    assert.equal(cursor.ns, 'carlinkit.tickets');
    const returned = cursor.firstBatch as Document[];
    assert.equal(
      Buffer.from(serialize({ d: returned })).toString('hex'),
      Buffer.from(serialize({ d: docs.slice(2, 7) })).toString('hex'),
    );
  });

  it('when the documents would pass the byte limit, the batch stops before it, but always holds one', () => {
    const size = serialize(docs[11]).length;
    const { batch, next } = encodeBatch(docs, 10, 100, size + 10);
    assert.equal(next, 11, 'only the first of two documents fits');
    assert.equal(batch.ends.length, 1);
    const single = encodeBatch(docs, 11, 100, 1);
    assert.equal(single.next, 12, 'a document larger than the limit still goes alone');
  });

  it('when there are more than ten documents, each array key is its index', () => {
    const { batch } = encodeBatch(docs, 0, 100, 16 * 1024 * 1024);
    const decoded = deserialize(cursorReply('nextBatch', batch, 0n, 'db.c').bytes);
    const items = (decoded.cursor as Document).nextBatch as Document[];
    assert.deepEqual(
      items.map((item) => item.i as number),
      docs.map((doc) => doc.i as number),
    );
  });

  it('when a document is larger than the encoding buffer, it is encoded whole', () => {
    const big = { _id: 1, blob: 'x'.repeat(700 * 1024) };
    const { batch } = encodeBatch([docs[0], big], 0, 10, 16 * 1024 * 1024);
    const decoded = deserialize(cursorReply('firstBatch', batch, 0n, 'db.c').bytes);
    const items = (decoded.cursor as Document).firstBatch as Document[];
    assert.equal((items[1].blob as string).length, big.blob.length);
    assert.equal(items[0].name, 'ticket 0');
  });
});
