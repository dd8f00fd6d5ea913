import { calculateObjectSize, ObjectId, type Document } from 'bson';
import { z } from 'zod';
import type { Collection } from '../collection';
import { idKeyOf } from '../collection';
import { MongoCommandError } from '../mongoError';
import { MAX_BSON_OBJECT_SIZE } from '../wireProtocol';
import { bsonBoolean, bsonDocument, bsonNumber, command, parseCommand } from './commandArgs';
import type { CommandContext, CommandHandler } from './commandContext';

const insertSchema = command({
  insert: z.string(),
  documents: z.array(bsonDocument),
  ordered: bsonBoolean.optional(),
});

const updateStatement = z.looseObject({
  q: bsonDocument,
  u: z.union([bsonDocument, z.array(bsonDocument)]),
  multi: bsonBoolean.optional(),
  upsert: bsonBoolean.optional(),
  arrayFilters: z.array(bsonDocument).optional(),
  collation: bsonDocument.optional(),
  sort: bsonDocument.optional(),
});

const updateSchema = command({
  update: z.string(),
  updates: z.array(updateStatement),
  ordered: bsonBoolean.optional(),
});

const deleteSchema = command({
  delete: z.string(),
  deletes: z.array(z.looseObject({ q: bsonDocument, limit: bsonNumber, collation: bsonDocument.optional() })),
  ordered: bsonBoolean.optional(),
});

const findAndModifySchema = command({
  findAndModify: z.string(),
  query: bsonDocument.optional(),
  sort: bsonDocument.optional(),
  remove: bsonBoolean.optional(),
  update: z.union([bsonDocument, z.array(bsonDocument)]).optional(),
  new: bsonBoolean.optional(),
  fields: bsonDocument.optional(),
  upsert: bsonBoolean.optional(),
  arrayFilters: z.array(bsonDocument).optional(),
  collation: bsonDocument.optional(),
});

function asCommandError(error: unknown): MongoCommandError {
  if (error instanceof MongoCommandError) return error;
  throw error;
}

/** `mayBeTooLarge`: the request was big enough to hold a document over the limit (measuring costs a full walk). */
function prepareInsert(doc: Document, mayBeTooLarge: boolean): Document {
  // Since MongoDB 5.0, `$`-prefixed field names are stored like any other on insert.
  // The server stores _id as the first field, whatever order the client sent.
  let prepared = doc;
  if (doc._id === undefined) prepared = { _id: new ObjectId(), ...doc };
  else if (Object.keys(doc)[0] !== '_id') prepared = { _id: doc._id as unknown, ...doc };
  const size = mayBeTooLarge ? calculateObjectSize(prepared) : 0;
  if (size > MAX_BSON_OBJECT_SIZE) {
    throw new MongoCommandError(
      'BadValue',
      `object to insert too large. size in bytes: ${size}, max size: ${MAX_BSON_OBJECT_SIZE}`,
    );
  }
  return prepared;
}

export const insert: CommandHandler = async (body, context) => {
  const args = parseCommand(insertSchema, body, 'insert');
  const ordered = args.ordered ?? true;
  const writeErrors: Document[] = [];
  let n = 0;
  if (args.documents.length > 0) {
    const collection = context.engine.ensureCollection(context.db, args.insert);
    // Documents sent as a document sequence are journaled as the bytes they came in (no re-encoding).
    const sent: unknown = body.documents;
    const raw = Array.isArray(sent) ? context.sequenceBytes?.get('documents') : undefined;
    for (const [index, doc] of args.documents.entries()) {
      try {
        const prepared = prepareInsert(doc, context.requestBytes > MAX_BSON_OBJECT_SIZE - 1024);
        // Only when the stored document is exactly the one decoded from those bytes.
        const bytes = raw && prepared === doc && (sent as unknown[])[index] === doc ? raw[index] : undefined;
        context.engine.insert(collection, prepared, bytes);
        n += 1;
      } catch (error) {
        writeErrors.push(asCommandError(error).toWriteError(index));
        if (ordered) break;
      }
    }
  }
  await context.engine.commit();
  return writeErrors.length > 0 ? { n, writeErrors, ok: 1 } : { n, ok: 1 };
};

interface StatementResult {
  matched: number;
  modified: number;
  upsertedId?: unknown;
}

function runUpdateStatement(
  context: CommandContext,
  name: string,
  statement: z.output<typeof updateStatement>,
): StatementResult {
  const { engine, queries, updates, db } = context;
  const collection = engine.collection(db, name);
  const matches = queries.find(collection, {
    filter: statement.q,
    limit: statement.multi ? 0 : 1,
    collation: statement.collation,
    sort: statement.multi ? undefined : statement.sort,
  });
  if (
    statement.multi &&
    !Array.isArray(statement.u) &&
    !Object.keys(statement.u).every((key) => key.startsWith('$'))
  ) {
    throw new MongoCommandError(
      'FailedToParse',
      'multi update is not supported for replacement-style update',
    );
  }
  if (collection && matches.length > 0) {
    let modified = 0;
    for (const current of matches) {
      const outcome = updates.apply(db, current, statement.u, {
        arrayFilters: statement.arrayFilters,
        filter: statement.q,
      });
      if (!outcome.modified) continue;
      engine.replace(collection, idKeyOf(current), outcome.doc);
      modified += 1;
    }
    return { matched: matches.length, modified };
  }
  if (!statement.upsert) return { matched: 0, modified: 0 };
  const doc = updates.upsertDocument(db, statement.q, statement.u, statement.arrayFilters);
  const target: Collection = collection ?? engine.ensureCollection(db, name);
  engine.insert(target, prepareInsert(doc, true));
  return { matched: 0, modified: 0, upsertedId: doc._id };
}

export const update: CommandHandler = async (body, context) => {
  const args = parseCommand(updateSchema, body, 'update');
  const ordered = args.ordered ?? true;
  const writeErrors: Document[] = [];
  const upserted: Document[] = [];
  let n = 0;
  let nModified = 0;
  for (const [index, statement] of args.updates.entries()) {
    try {
      const result = runUpdateStatement(context, args.update, statement);
      n += result.matched;
      nModified += result.modified;
      if (result.upsertedId !== undefined) {
        n += 1;
        upserted.push({ index, _id: result.upsertedId });
      }
    } catch (error) {
      writeErrors.push(asCommandError(error).toWriteError(index));
      if (ordered) break;
    }
  }
  await context.engine.commit();
  const reply: Document = { n, nModified };
  if (upserted.length > 0) reply.upserted = upserted;
  if (writeErrors.length > 0) reply.writeErrors = writeErrors;
  reply.ok = 1;
  return reply;
};

export const deleteCommand: CommandHandler = async (body, context) => {
  const args = parseCommand(deleteSchema, body, 'delete');
  const ordered = args.ordered ?? true;
  const writeErrors: Document[] = [];
  let n = 0;
  const collection = context.engine.collection(context.db, args.delete);
  for (const [index, statement] of args.deletes.entries()) {
    try {
      if (statement.limit !== 0 && statement.limit !== 1) {
        throw new MongoCommandError('FailedToParse', 'The limit field in delete objects must be 0 or 1');
      }
      const matches = context.queries.find(collection, {
        filter: statement.q,
        limit: statement.limit,
        collation: statement.collation,
      });
      for (const doc of matches) if (collection && context.engine.remove(collection, idKeyOf(doc))) n += 1;
    } catch (error) {
      writeErrors.push(asCommandError(error).toWriteError(index));
      if (ordered) break;
    }
  }
  await context.engine.commit();
  return writeErrors.length > 0 ? { n, writeErrors, ok: 1 } : { n, ok: 1 };
};

export const findAndModify: CommandHandler = async (body, context) => {
  const args = parseCommand(findAndModifySchema, body, 'findAndModify');
  const { engine, queries, updates, db } = context;
  const filter = args.query ?? {};
  if (args.remove && args.update !== undefined) {
    throw new MongoCommandError('FailedToParse', 'Cannot specify both an update and remove=true');
  }
  if (!args.remove && args.update === undefined) {
    throw new MongoCommandError('FailedToParse', 'Either an update or remove=true must be specified');
  }
  if (args.remove && (args.upsert || args.new)) {
    throw new MongoCommandError('FailedToParse', 'Cannot specify both upsert=true and remove=true');
  }
  const collection = engine.collection(db, args.findAndModify);
  const [current] = queries.find(collection, {
    filter,
    sort: args.sort,
    limit: 1,
    collation: args.collation,
  });
  const project = (doc: Document | undefined): Document | null =>
    doc ? queries.project([doc], args.fields, filter)[0] : null;

  let reply: Document;
  if (args.remove) {
    if (collection && current) engine.remove(collection, idKeyOf(current));
    reply = { lastErrorObject: { n: current ? 1 : 0 }, value: project(current), ok: 1 };
  } else if (collection && current) {
    const outcome = updates.apply(db, current, args.update!, { arrayFilters: args.arrayFilters, filter });
    if (outcome.modified) engine.replace(collection, idKeyOf(current), outcome.doc);
    reply = {
      lastErrorObject: { n: 1, updatedExisting: true },
      value: project(args.new ? outcome.doc : current),
      ok: 1,
    };
  } else if (args.upsert) {
    const doc = prepareInsert(updates.upsertDocument(db, filter, args.update!, args.arrayFilters), true);
    engine.insert(collection ?? engine.ensureCollection(db, args.findAndModify), doc);
    reply = {
      lastErrorObject: { n: 1, updatedExisting: false, upserted: doc._id as unknown },
      value: args.new ? project(doc) : null,
      ok: 1,
    };
  } else {
    reply = { lastErrorObject: { n: 0, updatedExisting: false }, value: null, ok: 1 };
  }
  await engine.commit();
  return reply;
};
