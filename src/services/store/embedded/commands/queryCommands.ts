import { Long, ObjectId, type Document } from 'bson';
import { StoreQuery } from '../storeOperators';
import { z } from 'zod';
import { asNumber, cloneDocument, encodeKeyValue, isPlainObject, MISSING, valuesAtPath } from '../bsonValues';
import { cursorReply, EMPTY_BATCH, type RawReply } from '../cursorReply';
import { DEFAULT_FIRST_BATCH, serializeBatch, type ServerCursor, type TailState } from '../cursorRegistry';
import { idKeyOf, type Collection } from '../collection';
import { MongoCommandError } from '../mongoError';
import { mingoCall } from '../queryEngine';
import { bsonBoolean, bsonDocument, bsonNumber, command, cursorId, parseCommand } from './commandArgs';
import type { CommandContext, CommandHandler } from './commandContext';

/** How long an awaitData getMore waits for new documents when the client gives no maxTimeMS. */
const DEFAULT_AWAIT_MS = 1_000;

const findSchema = command({
  find: z.string(),
  filter: bsonDocument.optional(),
  sort: bsonDocument.optional(),
  projection: bsonDocument.optional(),
  skip: bsonNumber.optional(),
  limit: bsonNumber.optional(),
  batchSize: bsonNumber.optional(),
  singleBatch: bsonBoolean.optional(),
  tailable: bsonBoolean.optional(),
  awaitData: bsonBoolean.optional(),
  collation: bsonDocument.optional(),
  hint: z.union([z.string(), bsonDocument]).optional(),
});

const getMoreSchema = command({
  getMore: cursorId,
  collection: z.string(),
  batchSize: bsonNumber.optional(),
  maxTimeMS: bsonNumber.optional(),
});

const killCursorsSchema = command({ killCursors: z.string(), cursors: z.array(cursorId) });

const countSchema = command({
  count: z.string(),
  query: bsonDocument.nullish(),
  skip: bsonNumber.optional(),
  limit: bsonNumber.optional(),
  collation: bsonDocument.optional(),
});

const distinctSchema = command({
  distinct: z.string(),
  key: z.string(),
  query: bsonDocument.nullish(),
  collation: bsonDocument.optional(),
});

const aggregateSchema = command({
  aggregate: z.union([z.string(), bsonNumber]),
  pipeline: z.array(bsonDocument),
  cursor: z.looseObject({ batchSize: bsonNumber.optional() }).optional(),
  explain: bsonBoolean.optional(),
  collation: bsonDocument.optional(),
});

function nonNegative(value: number | undefined, field: string): number | undefined {
  if (value !== undefined && value < 0)
    throw new MongoCommandError('BadValue', `${field} must be non-negative`);
  return value;
}

/** First batch + server cursor for the rest (cursor id 0 when everything fit or singleBatch). */
function openCursor(
  context: CommandContext,
  namespace: string,
  docs: Document[],
  batchSize: number,
  singleBatch: boolean,
  tail?: TailState,
): RawReply {
  const { batch, next } = serializeBatch(docs, 0, batchSize);
  // Most queries fit in one batch: no server cursor to register or reap.
  if (singleBatch || (next >= docs.length && !tail)) return cursorReply('firstBatch', batch, 0n, namespace);
  const cursor = context.cursors.open(namespace, docs, tail, next);
  return cursorReply('firstBatch', batch, cursor.id, namespace);
}

export const find: CommandHandler = (body, context) => {
  const args = parseCommand(findSchema, body, 'find');
  const namespace = `${context.db}.${args.find}`;
  const collection = context.engine.collection(context.db, args.find);
  const filter = args.filter ?? {};
  let limit = args.limit ?? 0;
  let singleBatch = args.singleBatch ?? false;
  if (limit < 0) {
    // Legacy negative limit: that many documents, one batch.
    limit = -limit;
    singleBatch = true;
  }
  const skip = nonNegative(args.skip, 'skip');
  const batchSize = nonNegative(args.batchSize, 'batchSize') ?? DEFAULT_FIRST_BATCH;
  const docs = context.queries.find(collection, {
    filter,
    sort: args.sort,
    skip,
    limit,
    projection: args.projection,
    collation: args.collation,
    hint: args.hint,
  });
  let tail: TailState | undefined;
  if (args.tailable) {
    if (!collection?.capped) {
      throw new MongoCommandError(
        'BadValue',
        `error processing query: ns=${namespace} tailable cursor requested on non capped collection`,
      );
    }
    const query = mingoCall(() => new StoreQuery(filter));
    const projection = args.projection;
    tail = {
      collection,
      query,
      lastSequence: collection.lastSequence,
      awaitData: args.awaitData ?? false,
      project: (fresh) => context.queries.project(fresh, projection, filter),
    };
  }
  const firstBatch = limit > 0 ? Math.min(batchSize, limit) : batchSize;
  return openCursor(context, namespace, docs, firstBatch, singleBatch, tail);
};

function waitForInsert(cursor: ServerCursor, timeoutMs: number, shutdown: AbortSignal): Promise<void> {
  const tail = cursor.tail!;
  return new Promise((resolve) => {
    let unsubscribe: () => void = () => undefined;
    const finish = (): void => {
      clearTimeout(timer);
      unsubscribe();
      shutdown.removeEventListener('abort', finish);
      resolve();
    };
    const timer = setTimeout(finish, timeoutMs);
    unsubscribe = tail.collection.onInsert((doc) => {
      if (tail.query.test(doc)) finish();
    });
    shutdown.addEventListener('abort', finish);
  });
}

export const getMore: CommandHandler = async (body, context) => {
  const args = parseCommand(getMoreSchema, body, 'getMore');
  const namespace = `${context.db}.${args.collection}`;
  const cursor = context.cursors.get(args.getMore);
  if (!cursor || cursor.namespace !== namespace) {
    throw new MongoCommandError('CursorNotFound', `cursor id ${args.getMore.toString()} not found`);
  }
  const limit = args.batchSize && args.batchSize > 0 ? args.batchSize : Number.MAX_SAFE_INTEGER;
  if (cursor.tail) {
    cursor.refill();
    if (cursor.buffered === 0 && cursor.tail.awaitData && !context.shutdown.aborted) {
      await waitForInsert(cursor, args.maxTimeMS ?? DEFAULT_AWAIT_MS, context.shutdown);
      cursor.refill();
    }
    // A dropped collection ends a tailable cursor.
    if (
      context.engine.collection(cursor.tail.collection.dbName, cursor.tail.collection.name) !==
      cursor.tail.collection
    ) {
      context.cursors.kill(cursor.id);
      return cursorReply('nextBatch', EMPTY_BATCH, 0n, namespace);
    }
  }
  const batch = cursor.nextBatch(limit);
  if (cursor.exhausted) {
    context.cursors.kill(cursor.id);
    return cursorReply('nextBatch', batch, 0n, namespace);
  }
  return cursorReply('nextBatch', batch, cursor.id, namespace);
};

export const killCursors: CommandHandler = (body, context) => {
  const args = parseCommand(killCursorsSchema, body, 'killCursors');
  const killed: Long[] = [];
  const notFound: Long[] = [];
  for (const id of args.cursors) {
    (context.cursors.kill(id) ? killed : notFound).push(Long.fromBigInt(id));
  }
  return { cursorsKilled: killed, cursorsNotFound: notFound, cursorsAlive: [], cursorsUnknown: [], ok: 1 };
};

export const count: CommandHandler = (body, context) => {
  const args = parseCommand(countSchema, body, 'count');
  const collection = context.engine.collection(context.db, args.count);
  const filter = args.query ?? {};
  if (Object.keys(filter).length === 0 && !args.skip && !args.limit)
    return { n: collection?.count ?? 0, ok: 1 };
  const docs = context.queries.find(collection, {
    filter,
    skip: nonNegative(args.skip, 'skip'),
    limit: Math.abs(args.limit ?? 0),
    collation: args.collation,
  });
  return { n: docs.length, ok: 1 };
};

export const distinct: CommandHandler = (body, context) => {
  const args = parseCommand(distinctSchema, body, 'distinct');
  const collection = context.engine.collection(context.db, args.distinct);
  const docs = context.queries.find(collection, { filter: args.query ?? {}, collation: args.collation });
  const seen = new Set<string>();
  const values: unknown[] = [];
  for (const doc of docs) {
    for (const value of valuesAtPath(doc, args.key)) {
      if (value === MISSING || value === undefined) continue;
      const key = encodeKeyValue(value);
      if (seen.has(key)) continue;
      seen.add(key);
      values.push(value);
    }
  }
  // The server answers in BSON order (it collects into an ordered set).
  const sorted = mingoCall(() =>
    new StoreQuery({})
      .find(values.map((value) => ({ value })))
      .sort({ value: 1 })
      .all(),
  );
  return { values: sorted.map((entry) => (entry as { value: unknown }).value), ok: 1 };
};

/**
 * `$collStats` / `$indexStats` as first stage (Compass asks for them): documents describing the
 * collection, which the rest of the pipeline then processes. Undefined for any other stage.
 */
function statsStage(
  stage: Document,
  db: string,
  name: string,
  collection: Collection | undefined,
): Document[] | undefined {
  if (stage.$indexStats !== undefined) {
    const since = new Date();
    return (collection?.indexSpecs() ?? []).map((spec) => ({
      name: spec.name,
      key: spec.key,
      host: 'embedded',
      accesses: { ops: 0, since },
      spec,
    }));
  }
  if (stage.$collStats === undefined) return undefined;
  const count = collection?.count ?? 0;
  const size = collection?.dataSize ?? 0;
  const specs = collection?.indexSpecs() ?? [];
  return [
    {
      ns: `${db}.${name}`,
      host: 'embedded',
      localTime: new Date(),
      storageStats: {
        size,
        count,
        avgObjSize: count > 0 ? size / count : 0,
        storageSize: size,
        freeStorageSize: 0,
        capped: collection?.capped ?? false,
        nindexes: specs.length,
        totalIndexSize: 0,
        totalSize: size,
        indexSizes: Object.fromEntries(specs.map((spec) => [spec.name, 0])),
      },
      count: { count },
    },
  ];
}

export const aggregate: CommandHandler = async (body, context) => {
  const args = parseCommand(aggregateSchema, body, 'aggregate');
  if (!args.cursor && !args.explain) {
    throw new MongoCommandError(
      'FailedToParse',
      "The 'cursor' option is required, except for aggregate with the explain argument",
    );
  }
  const out = outTarget(context.db, args.pipeline[args.pipeline.length - 1]);
  const pipeline = out ? args.pipeline.slice(0, -1) : args.pipeline;
  for (const stage of pipeline) {
    const name = Object.keys(stage)[0];
    if (name === '$merge') {
      throw new MongoCommandError(
        'CommandNotSupported',
        '$merge is not supported by the embedded store; use $out',
      );
    }
    if (name === '$out') {
      throw new MongoCommandError('Location40601', '$out can only be the final stage in the pipeline');
    }
  }
  const collectionName = typeof args.aggregate === 'string' ? args.aggregate : undefined;
  const collection = collectionName ? context.engine.collection(context.db, collectionName) : undefined;
  const [first, ...rest] = pipeline;
  const stats =
    first && collectionName ? statsStage(first, context.db, collectionName, collection) : undefined;
  const docs = stats
    ? context.queries.aggregateOver(context.db, stats, rest, args.collation)
    : context.queries.aggregate(context.db, collection, pipeline, args.collation);
  if (args.explain) {
    return { explainVersion: '1', stages: args.pipeline, note: 'embedded store: no query planner', ok: 1 };
  }
  if (out) {
    await replaceContents(context, out.db, out.coll, docs);
    return cursorReply('firstBatch', EMPTY_BATCH, 0n, `${context.db}.${collectionName ?? '$cmd.aggregate'}`);
  }
  const namespace = `${context.db}.${collectionName ?? '$cmd.aggregate'}`;
  const batchSize = nonNegative(args.cursor?.batchSize, 'batchSize') ?? DEFAULT_FIRST_BATCH;
  return openCursor(context, namespace, docs, batchSize, false);
};

/** The `$out` stage's target, when the pipeline ends in one. */
function outTarget(db: string, stage: Document | undefined): { db: string; coll: string } | undefined {
  if (!stage || !('$out' in stage)) return undefined;
  const spec: unknown = stage.$out;
  if (typeof spec === 'string') return { db, coll: spec };
  if (isPlainObject(spec) && typeof spec.coll === 'string') {
    return { db: typeof spec.db === 'string' ? spec.db : db, coll: spec.coll };
  }
  throw new MongoCommandError('Location16990', '$out only supports a string or object argument');
}

/**
 * `$out`: the target collection's documents become the pipeline's results (its options and indexes
 * stay), all or nothing: a failure (a duplicate key) puts the previous documents back.
 */
async function replaceContents(
  context: CommandContext,
  db: string,
  name: string,
  docs: Document[],
): Promise<void> {
  const { engine } = context;
  const existing = engine.collection(db, name);
  if (existing?.capped) {
    throw new MongoCommandError(
      'Location17152',
      `namespace '${db}.${name}' is capped so it can't be used for $out`,
    );
  }
  const target = existing ?? engine.createCollection(db, name, {});
  const previous = [...target.all()];
  const inserted: string[] = [];
  try {
    for (const doc of previous) engine.remove(target, idKeyOf(doc));
    for (const result of docs) {
      const doc = cloneDocument(result);
      const stored = doc._id === undefined ? { _id: new ObjectId(), ...doc } : doc;
      engine.insert(target, stored);
      inserted.push(idKeyOf(stored));
    }
  } catch (error) {
    for (const idKey of inserted) engine.remove(target, idKey);
    if (existing) for (const doc of previous) engine.insert(target, doc);
    else engine.dropCollection(db, name);
    await engine.commit();
    throw error;
  }
  await engine.commit();
}

const explainSchema = command({ explain: bsonDocument, verbosity: z.string().optional() });
/** Commands `explain` describes; the writes are planned, never run. */
const EXPLAINABLE = new Set(['find', 'count', 'distinct', 'aggregate', 'update', 'delete', 'findAndModify']);

/**
 * `explain`: the embedded store has no query planner, so the plan is always a collection scan (or
 * an _id lookup); with executionStats, a read is run to report how many documents it returns.
 */
export const explain: CommandHandler = (body, context) => {
  const args = parseCommand(explainSchema, body, 'explain');
  const inner = args.explain;
  const name = Object.keys(inner)[0] ?? '';
  if (!EXPLAINABLE.has(name)) {
    throw new MongoCommandError('CommandNotFound', `Explain failed due to unknown command: ${name}`);
  }
  const collectionName = typeof inner[name] === 'string' ? inner[name] : '';
  const namespace = `${context.db}.${collectionName}`;
  const filter = explainFilter(name, inner);
  mingoCall(() => new StoreQuery(filter));
  const verbosity = args.verbosity ?? 'allPlansExecution';
  const stage = Object.keys(filter).length === 1 && '_id' in filter ? 'IDHACK' : 'COLLSCAN';
  const reply: Document = {
    explainVersion: '1',
    queryPlanner: {
      namespace,
      indexFilterSet: false,
      parsedQuery: filter,
      winningPlan: { stage, filter, direction: 'forward' },
      rejectedPlans: [],
    },
  };
  if (verbosity !== 'queryPlanner') {
    const returned = mingoCall(() => explainedReturns(context, name, inner, collectionName, filter));
    const explained = context.engine.collection(context.db, collectionName);
    const docsExamined = explained
      ? (explained.candidates(filter, inner.collation === undefined)?.length ?? explained.count)
      : 0;
    reply.executionStats = {
      executionSuccess: true,
      nReturned: returned,
      executionTimeMillis: 0,
      totalKeysExamined: 0,
      totalDocsExamined: docsExamined,
      executionStages: { stage, nReturned: returned, docsExamined },
    };
  }
  reply.command = inner;
  reply.serverInfo = { host: 'embedded', port: 0, version: '7.0.0' };
  reply.ok = 1;
  return reply;
};

function explainFilter(name: string, inner: Document): Document {
  const pick = (value: unknown): Document => (isPlainObject(value) ? value : {});
  switch (name) {
    case 'find':
      return pick(inner.filter);
    case 'count':
    case 'distinct':
    case 'findAndModify':
      return pick(inner.query);
    case 'aggregate': {
      const first: unknown = Array.isArray(inner.pipeline) ? (inner.pipeline as unknown[])[0] : undefined;
      return isPlainObject(first) ? pick(first.$match) : {};
    }
    default: {
      const statements: unknown = inner.updates ?? inner.deletes;
      const first: unknown = Array.isArray(statements) ? (statements as unknown[])[0] : undefined;
      return isPlainObject(first) ? pick(first.q) : {};
    }
  }
}

/** How many documents the explained read returns (writes are not run: 0). */
function explainedReturns(
  context: CommandContext,
  name: string,
  inner: Document,
  collectionName: string,
  filter: Document,
): number {
  const collection = context.engine.collection(context.db, collectionName);
  const optionalDocument = (value: unknown): Document | undefined =>
    isPlainObject(value) ? value : undefined;
  switch (name) {
    case 'find':
    case 'count':
    case 'distinct':
      return context.queries.find(collection, {
        filter,
        sort: optionalDocument(inner.sort),
        skip: asNumber(inner.skip),
        limit: Math.abs(asNumber(inner.limit) ?? 0),
        collation: optionalDocument(inner.collation),
      }).length;
    case 'aggregate': {
      const pipeline = Array.isArray(inner.pipeline)
        ? (inner.pipeline as unknown[]).filter(isPlainObject)
        : [];
      const reads = pipeline.filter((stage) => !('$out' in stage) && !('$merge' in stage));
      return context.queries.aggregate(context.db, collection, reads, optionalDocument(inner.collation))
        .length;
    }
    default:
      return 0;
  }
}
