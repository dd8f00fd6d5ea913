import assert from 'node:assert/strict';
import type { Document } from 'bson';
import { MongoClient, type Db } from 'mongodb';
import { EmbeddedMongoServer } from '../../../../src/services/store/embedded/embeddedMongoServer';
import { QueryEngine } from '../../../../src/services/store/embedded/queryEngine';
import { StorageEngine } from '../../../../src/services/store/embedded/storageEngine';
import { UpdateApplier } from '../../../../src/services/store/embedded/updateApplier';

/**
 * The message mingo gives when a script operator meets `scriptEnabled: false`, or the store's own
 * for `$where` (which names the alternative, `$expr`).
 */
const SCRIPTS_DISABLED = /requires 'scriptEnabled'|runs no server-side JavaScript/;

describe('server-side JavaScript in the embedded store', () => {
  describe('through the driver', () => {
    let server: EmbeddedMongoServer;
    let mongo: MongoClient;
    let db: Db;

    before(async () => {
      server = new EmbeddedMongoServer({ dataDir: null, thread: 'inline' });
      await server.start();
      mongo = new MongoClient(server.localUri, { serverSelectionTimeoutMS: 2_000 });
      db = mongo.db('app');
      await db.collection('tickets').insertMany([
        { n: 1, status: 'open' },
        { n: 2, status: 'closed' },
      ]);
    });

    after(async () => {
      await mongo.close();
      await server.close();
    });

    function refusedAsScript(error: unknown): boolean {
      const { code, message } = error as { code?: number; message?: string };
      return code === 2 && SCRIPTS_DISABLED.test(message ?? '');
    }

    it('when a find uses $where, it is refused; the same find without it answers', async () => {
      await assert.rejects(
        db.collection('tickets').find({ $where: 'this.n === 1' }).toArray(),
        refusedAsScript,
      );
      const found = await db.collection('tickets').find({ n: 1 }).toArray();
      assert.deepEqual(
        found.map((doc) => doc.n as number),
        [1],
      );
    });

    it('when a pipeline computes a field with $function, it is refused; the same stage with a plain expression answers', async () => {
      const stage = (value: Document): Document[] => [{ $match: { n: 1 } }, { $addFields: { x: value } }];
      await assert.rejects(
        db
          .collection('tickets')
          .aggregate(stage({ $function: { body: 'function () { return 1; }', args: [], lang: 'js' } }))
          .toArray(),
        refusedAsScript,
      );
      const [doc] = await db
        .collection('tickets')
        .aggregate(stage({ $add: [0, 1] }))
        .toArray();
      assert.equal(doc.x, 1);
    });

    it('when a $group uses $accumulator, it is refused; the same $group with $sum answers', async () => {
      const group = (accumulator: Document): Document[] => [{ $group: { _id: null, total: accumulator } }];
      await assert.rejects(
        db
          .collection('tickets')
          .aggregate(
            group({
              $accumulator: {
                init: 'function () { return 0; }',
                accumulate: 'function (state, n) { return state + n; }',
                accumulateArgs: ['$n'],
                merge: 'function (a, b) { return a + b; }',
                lang: 'js',
              },
            }),
          )
          .toArray(),
        refusedAsScript,
      );
      const [doc] = await db
        .collection('tickets')
        .aggregate(group({ $sum: '$n' }))
        .toArray();
      assert.equal(doc.total, 3);
    });
  });

  describe('in process, where a real function could be passed', () => {
    function engineWithOneDocument(): {
      queries: QueryEngine;
      updates: UpdateApplier;
      engine: StorageEngine;
    } {
      const engine = new StorageEngine(null);
      engine.createCollection('app', 'tickets').insert({ _id: 'a', n: 1 });
      const queries = new QueryEngine(engine);
      return { engine, queries, updates: new UpdateApplier(queries) };
    }

    it('when a filter, a pipeline or an update condition carries a function, the function never runs', () => {
      const { engine, queries, updates } = engineWithOneDocument();
      const collection = engine.collection('app', 'tickets');
      let ran = 0;
      const script = (): boolean => {
        ran += 1;
        return true;
      };
      // Positive control: the same calls run without the script operators.
      assert.equal(queries.find(collection, { filter: { n: 1 } }).length, 1);
      assert.equal(queries.aggregate('app', collection, [{ $addFields: { x: 1 } }]).length, 1);

      assert.throws(() => queries.find(collection, { filter: { $where: script } }), SCRIPTS_DISABLED);
      assert.throws(
        () =>
          queries.aggregate('app', collection, [
            { $addFields: { x: { $function: { body: script, args: [], lang: 'js' } } } },
          ]),
        SCRIPTS_DISABLED,
      );
      assert.throws(
        () =>
          updates.apply(
            'app',
            { _id: 'a', items: [{ n: 1 }] },
            { $set: { 'items.$.n': 2 } },
            { filter: { items: { $elemMatch: { $where: script } } } },
          ),
        SCRIPTS_DISABLED,
      );
      assert.equal(ran, 0);
    });
  });
});
