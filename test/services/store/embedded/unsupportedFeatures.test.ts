import assert from 'node:assert/strict';
import { Code, MongoClient, type Db } from 'mongodb';
import { EmbeddedMongoServer } from '../../../../src/services/store/embedded/embeddedMongoServer';

/**
 * What the embedded store does not implement (README, "Known differences from MongoDB") is refused
 * with the store's own message and a code the driver passes through unchanged, and each refusal
 * sits next to a positive control showing the same request shape works without the feature.
 */
describe('embedded store: unsupported MongoDB features are refused clearly', () => {
  let server: EmbeddedMongoServer;
  let client: MongoClient;
  let db: Db;

  before(async () => {
    server = new EmbeddedMongoServer({ dataDir: null, thread: 'inline' });
    await server.start();
    client = await MongoClient.connect(server.localUri);
    db = client.db('unsupported');
    await db.collection('tickets').insertMany([
      { _id: 1 as never, subject: 'screen flickers', total: 3 },
      { _id: 2 as never, subject: 'no sound', total: 1 },
    ]);
  });

  after(async () => {
    await client.close();
    await server.close();
  });

  const refused =
    (code: number, text: RegExp) =>
    (error: { code?: number; message: string }): boolean =>
      error.code === code && text.test(error.message);

  it('when a view or a time series collection is created, it fails with CommandNotSupported (115) and the store says why', async () => {
    await assert.rejects(
      db.createCollection('openTickets', { viewOn: 'tickets', pipeline: [{ $match: { total: 3 } }] }),
      refused(115, /views are not supported by the embedded store/),
    );
    await assert.rejects(
      db.createCollection('readings', { timeseries: { timeField: 'at' } }),
      refused(115, /time series collections are not supported by the embedded store/),
    );
    await db.createCollection('plain');
    assert.ok((await db.listCollections({ name: 'plain' }).toArray()).length === 1);
  });

  it('when a filter uses $where (string or Code), it is refused: the store runs no server-side JavaScript', async () => {
    const tickets = db.collection('tickets');
    await assert.rejects(
      tickets.find({ $where: 'this.total > 2' }).toArray(),
      refused(2, /\$where is not supported by the embedded store/),
    );
    await assert.rejects(
      tickets.find({ $where: new Code('this.total > 2') as never }).toArray(),
      refused(2, /\$where is not supported by the embedded store/),
    );
    const viaExpr = await tickets.find({ $expr: { $gt: ['$total', 2] } }).toArray();
    assert.deepEqual(
      viaExpr.map((doc) => doc._id),
      [1],
    );
  });

  it('when a filter uses $text, $jsonSchema or a geospatial operator, it is refused with the reason', async () => {
    const tickets = db.collection('tickets');
    await assert.rejects(
      tickets.find({ $text: { $search: 'sound' } }).toArray(),
      refused(2, /\$text is not supported by the embedded store/),
    );
    await assert.rejects(
      tickets.find({ loc: { $near: [0, 0] } }).toArray(),
      refused(2, /\$near is not supported by the embedded store/),
    );
    await assert.rejects(
      tickets.find({ loc: { $geoWithin: { $center: [[0, 0], 1] } } }).toArray(),
      refused(2, /\$geoWithin is not supported by the embedded store/),
    );
    await assert.rejects(
      tickets.find({ $jsonSchema: { required: ['subject'] } }).toArray(),
      refused(2, /\$jsonSchema is not supported by the embedded store/),
    );
    const viaRegex = await tickets.find({ subject: { $regex: 'sound' } }).toArray();
    assert.deepEqual(
      viaRegex.map((doc) => doc._id),
      [2],
    );
  });

  it('when a pipeline ends in $merge, it fails with CommandNotSupported (115)', async () => {
    const tickets = db.collection('tickets');
    await assert.rejects(
      tickets.aggregate([{ $match: {} }, { $merge: { into: 'copy' } }]).toArray(),
      refused(115, /\$merge is not supported by the embedded store/),
    );
    assert.equal((await tickets.aggregate([{ $match: {} }]).toArray()).length, 2);
  });
});
