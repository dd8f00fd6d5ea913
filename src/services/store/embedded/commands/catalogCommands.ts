import type { Document } from 'bson';
import { StoreQuery } from '../storeOperators';
import { z } from 'zod';
import { asNumber, encodeKeyValue, formatValue, isPlainObject } from '../bsonValues';
import { ID_INDEX_NAME, type Collection } from '../collection';
import type { IndexSpec } from '../collectionIndex';
import { cursorReply } from '../cursorReply';
import { DEFAULT_FIRST_BATCH, serializeBatch } from '../cursorRegistry';
import { normaliseCollation } from '../bsonSort';
import { checkValidator } from '../documentValidator';
import { MongoCommandError } from '../mongoError';
import { mingoCall } from '../queryEngine';
import { bsonBoolean, bsonDocument, bsonNumber, command, parseCommand } from './commandArgs';
import type { CommandContext, CommandHandler } from './commandContext';

/** Collection options we keep (and return from listCollections); the rest of `create` is driver noise. */
const COLLECTION_OPTIONS = [
  'capped',
  'size',
  'max',
  'validator',
  'validationLevel',
  'validationAction',
  'collation',
  'expireAfterSeconds',
  'changeStreamPreAndPostImages',
  'clusteredIndex',
] as const;

/** Index options that make two specs different (MongoDB compares these). */
const INDEX_OPTIONS = [
  'unique',
  'sparse',
  'partialFilterExpression',
  'expireAfterSeconds',
  'collation',
  'hidden',
] as const;
/** Options accepted and dropped: build hints that mean nothing here. */
const IGNORED_INDEX_OPTIONS = new Set(['background', 'v', 'ns', 'key', 'name']);

const createSchema = command({
  create: z.string(),
  capped: bsonBoolean.optional(),
  size: bsonNumber.optional(),
  max: bsonNumber.optional(),
});

const indexSpecInput = z.looseObject({ key: bsonDocument, name: z.string().min(1) });

const createIndexesSchema = command({ createIndexes: z.string(), indexes: z.array(indexSpecInput) });
const listIndexesSchema = command({
  listIndexes: z.string(),
  cursor: z.looseObject({ batchSize: bsonNumber.optional() }).optional(),
});
const dropIndexesSchema = command({
  dropIndexes: z.string(),
  index: z.union([z.string(), bsonDocument, z.array(z.string())]),
});
const listCollectionsSchema = command({
  filter: bsonDocument.optional(),
  nameOnly: bsonBoolean.optional(),
  cursor: z.looseObject({ batchSize: bsonNumber.optional() }).optional(),
});
const renameSchema = command({
  renameCollection: z.string(),
  to: z.string(),
  dropTarget: bsonBoolean.optional(),
});

export const create: CommandHandler = async (body, context) => {
  const args = parseCommand(createSchema, body, 'create');
  refuseViewsAndTimeSeries(body);
  if (body.collation !== undefined) normaliseCollation(body.collation);
  checkValidator(body.validator);
  if (args.capped && !(args.size && args.size > 0)) {
    throw new MongoCommandError(
      'InvalidOptions',
      'the size field is required when creating a capped collection',
    );
  }
  const options: Document = {};
  for (const name of COLLECTION_OPTIONS) if (body[name] !== undefined) options[name] = body[name] as unknown;
  if (options.clusteredIndex !== undefined)
    options.clusteredIndex = clusteredIndexSpec(options.clusteredIndex);
  const existing = context.engine.collection(context.db, args.create);
  // Since MongoDB 7.0, creating an existing collection with identical options is a successful no-op.
  if (existing && encodeKeyValue(existing.options) === encodeKeyValue(options)) return { ok: 1 };
  context.engine.createCollection(context.db, args.create, options);
  await context.engine.commit();
  return { ok: 1 };
};

/**
 * Views and time series collections are not implemented. The refusal uses CommandNotSupported, which
 * drivers pass through as is (IllegalOperation on a write is rewritten into advice about retryable writes).
 */
function refuseViewsAndTimeSeries(body: Document): void {
  if (body.viewOn !== undefined || body.pipeline !== undefined) {
    throw new MongoCommandError('CommandNotSupported', 'views are not supported by the embedded store');
  }
  if (body.timeseries !== undefined) {
    throw new MongoCommandError(
      'CommandNotSupported',
      'time series collections are not supported by the embedded store',
    );
  }
}

/** A clustered collection is kept, and read, in `_id` order; only MongoDB's `{ _id: 1 }` key exists. */
function clusteredIndexSpec(input: unknown): Document {
  if (
    !isPlainObject(input) ||
    !isPlainObject(input.key) ||
    encodeKeyValue(input.key) !== encodeKeyValue({ _id: 1 })
  ) {
    throw new MongoCommandError('InvalidOptions', 'The clustered index key must be { _id: 1 }');
  }
  if (input.unique !== true) {
    throw new MongoCommandError('InvalidOptions', "The 'clusteredIndex' option must specify 'unique: true'");
  }
  return { v: 2, key: { _id: 1 }, name: typeof input.name === 'string' ? input.name : '_id_', unique: true };
}

const COLL_MOD_OPTIONS = new Set([
  'validator',
  'validationLevel',
  'validationAction',
  'changeStreamPreAndPostImages',
]);
/** Command fields every command may carry, not collMod options. */
const GENERIC_FIELDS = new Set([
  'collMod',
  '$db',
  'lsid',
  '$clusterTime',
  '$readPreference',
  'writeConcern',
  'comment',
  'apiVersion',
  'apiStrict',
  'apiDeprecationErrors',
]);

export const collMod: CommandHandler = async (body, context) => {
  const name = parseCommand(command({ collMod: z.string() }), body, 'collMod').collMod;
  refuseViewsAndTimeSeries(body);
  const collection = requireCollection(context, name);
  const options: Document = { ...collection.options };
  const reply: Document = {};
  for (const [field, value] of Object.entries(body) as Array<[string, unknown]>) {
    if (GENERIC_FIELDS.has(field)) continue;
    if (COLL_MOD_OPTIONS.has(field)) {
      if (field === 'validator') checkValidator(value);
      options[field] = value;
    } else if (field === 'index') {
      Object.assign(reply, modifyIndex(context, collection, value));
    } else {
      throw new MongoCommandError('InvalidOptions', `unknown option to collMod: ${field}`);
    }
  }
  context.engine.setCollectionOptions(collection, options);
  await context.engine.commit();
  return { ...reply, ok: 1 };
};

/** collMod's `index`: hides/unhides an index or changes its TTL (rebuilt with the new spec). */
function modifyIndex(context: CommandContext, collection: Collection, input: unknown): Document {
  if (!isPlainObject(input))
    throw new MongoCommandError('TypeMismatch', "BSON field 'collMod.index' is the wrong type");
  const byName = typeof input.name === 'string' ? input.name : undefined;
  const pattern = isPlainObject(input.keyPattern) ? input.keyPattern : undefined;
  const spec = collection
    .indexSpecs()
    .find((candidate) =>
      byName ? candidate.name === byName : pattern !== undefined && sameKey(candidate.key, pattern),
    );
  if (!spec || spec.name === ID_INDEX_NAME) {
    throw new MongoCommandError(
      'IndexNotFound',
      `cannot find index ${formatValue(byName ?? pattern)} for ns ${collection.namespace}`,
    );
  }
  const next: IndexSpec = { ...spec };
  const reply: Document = {};
  if (input.hidden !== undefined) {
    reply.hidden_old = spec.hidden === true;
    reply.hidden_new = input.hidden === true;
    if (input.hidden === true) next.hidden = true;
    else delete next.hidden;
  }
  if (input.expireAfterSeconds !== undefined) {
    if (spec.expireAfterSeconds === undefined) {
      throw new MongoCommandError('InvalidOptions', 'no expireAfterSeconds field to update');
    }
    reply.expireAfterSeconds_old = spec.expireAfterSeconds as unknown;
    reply.expireAfterSeconds_new = input.expireAfterSeconds as unknown;
    next.expireAfterSeconds = input.expireAfterSeconds as unknown;
  }
  context.engine.dropIndex(collection, spec.name);
  context.engine.createIndex(collection, next);
  return reply;
}

export const drop: CommandHandler = async (body, context) => {
  const name = parseCommand(command({ drop: z.string() }), body, 'drop').drop;
  const collection = context.engine.collection(context.db, name);
  if (!collection) return { ok: 1 };
  const nIndexesWas = collection.indexSpecs().length;
  context.engine.dropCollection(context.db, name);
  await context.engine.commit();
  return { nIndexesWas, ns: collection.namespace, ok: 1 };
};

export const dropDatabase: CommandHandler = async (_body, context) => {
  context.engine.dropDatabase(context.db);
  await context.engine.commit();
  return { dropped: context.db, ok: 1 };
};

export const renameCollection: CommandHandler = async (body, context) => {
  if (context.db !== 'admin')
    throw new MongoCommandError(
      'IllegalOperation',
      'renameCollection may only be run against the admin database.',
    );
  const args = parseCommand(renameSchema, body, 'renameCollection');
  const [fromDb, fromName] = splitNamespace(args.renameCollection);
  const [toDb, toName] = splitNamespace(args.to);
  context.engine.renameCollection(fromDb, fromName, toDb, toName, args.dropTarget ?? false);
  await context.engine.commit();
  return { ok: 1 };
};

function splitNamespace(namespace: string): [string, string] {
  const dot = namespace.indexOf('.');
  if (dot <= 0 || dot === namespace.length - 1)
    throw new MongoCommandError('InvalidNamespace', `Invalid namespace specified '${namespace}'`);
  return [namespace.slice(0, dot), namespace.slice(dot + 1)];
}

function normaliseIndexSpec(input: Document): IndexSpec {
  const key: unknown = input.key;
  if (!isPlainObject(key) || Object.keys(key).length === 0) {
    throw new MongoCommandError('BadValue', 'Index keys cannot be empty.');
  }
  for (const [field, direction] of Object.entries(key)) {
    const valid =
      (asNumber(direction) ?? 0) !== 0 || ['text', 'hashed', '2dsphere', '2d'].includes(String(direction));
    if (!valid || field === '') {
      throw new MongoCommandError(
        'BadValue',
        `Values in the index key pattern can't be 0 or an invalid type: ${formatValue(key)}`,
      );
    }
  }
  const spec: IndexSpec = { v: 2, key, name: String(input.name) };
  for (const [option, value] of Object.entries(input) as Array<[string, unknown]>) {
    if (IGNORED_INDEX_OPTIONS.has(option)) continue;
    // MongoDB doesn't keep false flags in the catalog.
    if ((option === 'unique' || option === 'sparse' || option === 'hidden') && value === false) continue;
    spec[option] = value;
  }
  if (spec.partialFilterExpression !== undefined && !isPlainObject(spec.partialFilterExpression)) {
    throw new MongoCommandError('TypeMismatch', 'partialFilterExpression must be an object');
  }
  return spec;
}

function optionsKey(spec: Document): string {
  return INDEX_OPTIONS.map((option) =>
    encodeKeyValue(spec[option] === false ? undefined : spec[option]),
  ).join('|');
}

function sameKey(a: Document, b: Document): boolean {
  return encodeKeyValue(a) === encodeKeyValue(b);
}

export const createIndexes: CommandHandler = async (body, context) => {
  const args = parseCommand(createIndexesSchema, body, 'createIndexes');
  const { engine, db } = context;
  const existed = engine.collection(db, args.createIndexes);
  const collection = existed ?? engine.ensureCollection(db, args.createIndexes);
  const numIndexesBefore = collection.indexSpecs().length;
  const wanted: IndexSpec[] = [];
  for (const input of args.indexes) {
    const spec = normaliseIndexSpec(input);
    const existing = collection.indexSpecs();
    const byName = existing.find((candidate) => candidate.name === spec.name);
    if (byName) {
      if (!sameKey(byName.key, spec.key)) {
        throw new MongoCommandError(
          'IndexKeySpecsConflict',
          `An existing index has the same name as the requested index. When index names are not specified, they are auto generated and can cause conflicts. Please refer to our documentation. Requested index: ${formatValue(spec)}, existing index: ${formatValue(byName)}`,
        );
      }
      if (spec.name !== ID_INDEX_NAME && optionsKey(byName) !== optionsKey(spec)) {
        throw new MongoCommandError(
          'IndexOptionsConflict',
          `An equivalent index already exists with the same name but different options. Requested index: ${formatValue(spec)}, existing index: ${formatValue(byName)}`,
        );
      }
      continue;
    }
    const byKey = existing.find(
      (candidate) => sameKey(candidate.key, spec.key) && optionsKey(candidate) === optionsKey(spec),
    );
    if (byKey) {
      throw new MongoCommandError(
        'IndexOptionsConflict',
        `Index already exists with a different name: ${byKey.name}`,
      );
    }
    if (wanted.some((other) => other.name === spec.name)) continue;
    wanted.push(spec);
  }
  const built: string[] = [];
  try {
    for (const spec of wanted) {
      engine.createIndex(collection, spec);
      built.push(spec.name);
    }
  } catch (error) {
    // All or nothing, as the server builds a createIndexes batch.
    for (const name of built) engine.dropIndex(collection, name);
    await engine.commit();
    throw error;
  }
  await engine.commit();
  const reply: Document = {
    numIndexesBefore,
    numIndexesAfter: collection.indexSpecs().length,
    createdCollectionAutomatically: !existed,
  };
  if (wanted.length === 0) reply.note = 'all indexes already exist';
  reply.ok = 1;
  return reply;
};

function firstBatchReply(
  context: CommandContext,
  namespace: string,
  docs: Document[],
  batchSize: number | undefined,
) {
  const { batch, next } = serializeBatch(docs, 0, batchSize ?? DEFAULT_FIRST_BATCH);
  if (next >= docs.length) return cursorReply('firstBatch', batch, 0n, namespace);
  return cursorReply(
    'firstBatch',
    batch,
    context.cursors.open(namespace, docs, undefined, next).id,
    namespace,
  );
}

function requireCollection(context: CommandContext, name: string): Collection {
  const collection = context.engine.collection(context.db, name);
  if (!collection)
    throw new MongoCommandError('NamespaceNotFound', `ns does not exist: ${context.db}.${name}`);
  return collection;
}

export const listIndexes: CommandHandler = (body, context) => {
  const args = parseCommand(listIndexesSchema, body, 'listIndexes');
  const collection = requireCollection(context, args.listIndexes);
  const specs: Document[] = collection.indexSpecs();
  if (collection.options.clusteredIndex) specs[0] = { ...specs[0], unique: true, clustered: true };
  return firstBatchReply(context, collection.namespace, specs, args.cursor?.batchSize);
};

export const dropIndexes: CommandHandler = async (body, context) => {
  const args = parseCommand(dropIndexesSchema, body, 'dropIndexes');
  const collection = context.engine.collection(context.db, args.dropIndexes);
  if (!collection)
    throw new MongoCommandError('NamespaceNotFound', `ns not found ${context.db}.${args.dropIndexes}`);
  const nIndexesWas = collection.indexSpecs().length;
  let names: string[];
  if (args.index === '*') {
    names = collection.secondaryIndexNames();
  } else if (typeof args.index === 'string') {
    names = [args.index];
  } else if (Array.isArray(args.index)) {
    names = args.index;
  } else {
    const pattern = args.index;
    const match = collection.indexSpecs().find((spec) => sameKey(spec.key, pattern));
    if (!match)
      throw new MongoCommandError('IndexNotFound', `can't find index with key: ${formatValue(pattern)}`);
    names = [match.name];
  }
  for (const name of names) {
    if (name === ID_INDEX_NAME) throw new MongoCommandError('InvalidOptions', 'cannot drop _id index');
    if (!collection.hasIndex(name))
      throw new MongoCommandError('IndexNotFound', `index not found with name [${name}]`);
  }
  for (const name of names) context.engine.dropIndex(collection, name);
  await context.engine.commit();
  return { nIndexesWas, ok: 1 };
};

export const listCollections: CommandHandler = (body, context) => {
  const args = parseCommand(listCollectionsSchema, body, 'listCollections');
  let entries: Document[] = context.engine.collections(context.db).map((collection) => ({
    name: collection.name,
    type: 'collection',
    options: collection.options,
    info: { readOnly: false, uuid: collection.uuid },
    idIndex: { v: 2, key: { _id: 1 }, name: ID_INDEX_NAME },
  }));
  if (args.filter && Object.keys(args.filter).length > 0) {
    const filter = args.filter;
    entries = mingoCall(() => new StoreQuery(filter).find(entries).all() as Document[]);
  }
  if (args.nameOnly)
    entries = entries.map((entry) => ({ name: entry.name as unknown, type: entry.type as unknown }));
  const namespace = `${context.db}.$cmd.listCollections`;
  return firstBatchReply(context, namespace, entries, args.cursor?.batchSize);
};
