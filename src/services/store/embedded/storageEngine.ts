import { UUID, type Document } from 'bson';
import { isPlainObject } from './bsonValues';
import { Collection, idKeyOf } from './collection';
import type { IndexSpec } from './collectionIndex';
import { assertValid } from './documentValidator';
import type { Journal } from './journal';
import { MongoCommandError } from './mongoError';

type Record =
  | { op: 'create'; db: string; coll: string; options: Document; uuid: UUID }
  | { op: 'drop'; db: string; coll: string }
  | { op: 'dropDatabase'; db: string }
  | { op: 'insert'; db: string; coll: string; doc: Document }
  | { op: 'replace'; db: string; coll: string; doc: Document }
  | { op: 'delete'; db: string; coll: string; id: unknown }
  | { op: 'createIndex'; db: string; coll: string; spec: IndexSpec }
  | { op: 'dropIndex'; db: string; coll: string; name: string }
  | { op: 'rename'; db: string; coll: string; toDb: string; toColl: string }
  | { op: 'collMod'; db: string; coll: string; options: Document };

/**
 * All databases and collections in memory, and the one place that changes them: every mutation is
 * validated, applied and journaled in the same synchronous step; `commit()` then waits for the
 * journal's group fsync before the command replies.
 */
export class StorageEngine {
  private readonly databases = new Map<string, Map<string, Collection>>();
  /** Documents the query engine has looked at (serverStatus metrics.queryExecutor.scannedObjects). */
  scannedObjects = 0;

  constructor(private readonly journal: Journal | null) {}

  get durable(): boolean {
    return this.journal !== null;
  }

  databaseNames(): string[] {
    return [...this.databases.entries()]
      .filter(([, collections]) => collections.size > 0)
      .map(([name]) => name);
  }

  collections(db: string): Collection[] {
    return [...(this.databases.get(db)?.values() ?? [])];
  }

  /** Documents held, across every collection. */
  documentCount(): number {
    let total = 0;
    for (const collections of this.databases.values()) {
      for (const collection of collections.values()) total += collection.count;
    }
    return total;
  }

  collection(db: string, name: string): Collection | undefined {
    return this.databases.get(db)?.get(name);
  }

  /** Explicit `create`: fails with NamespaceExists if it is already there. */
  createCollection(db: string, name: string, options: Document = {}): Collection {
    this.assertWritable();
    validateNamespace(db, name);
    if (this.collection(db, name)) {
      throw new MongoCommandError('NamespaceExists', `Collection ${db}.${name} already exists.`);
    }
    const collection = new Collection(db, name, options);
    this.register(collection);
    this.record({ op: 'create', db, coll: name, options, uuid: collection.uuid });
    return collection;
  }

  /** Writes create collections implicitly, as MongoDB does. */
  ensureCollection(db: string, name: string): Collection {
    return this.collection(db, name) ?? this.createCollection(db, name);
  }

  dropCollection(db: string, name: string): boolean {
    this.assertWritable();
    const collections = this.databases.get(db);
    const collection = collections?.get(name);
    if (!collections || !collection) return false;
    collection.clear();
    collections.delete(name);
    this.record({ op: 'drop', db, coll: name });
    return true;
  }

  dropDatabase(db: string): void {
    this.assertWritable();
    const collections = this.databases.get(db);
    if (!collections) return;
    for (const collection of collections.values()) collection.clear();
    this.databases.delete(db);
    this.record({ op: 'dropDatabase', db });
  }

  renameCollection(db: string, name: string, toDb: string, toName: string, dropTarget: boolean): void {
    this.assertWritable();
    validateNamespace(toDb, toName);
    const source = this.collection(db, name);
    if (!source) throw new MongoCommandError('NamespaceNotFound', 'Source collection does not exist');
    if (this.collection(toDb, toName)) {
      if (!dropTarget) throw new MongoCommandError('NamespaceExists', 'Target namespace exists');
      this.dropCollection(toDb, toName);
    }
    this.moveCollection(source, toDb, toName);
    this.record({ op: 'rename', db, coll: name, toDb, toColl: toName });
  }

  /** `bytes`, when given, is the BSON `doc` was decoded from: the journal takes it as is. */
  insert(collection: Collection, doc: Document, bytes?: Uint8Array): void {
    this.assertWritable();
    assertValid(collection, doc);
    collection.insert(doc);
    if (bytes && this.journal) {
      this.journal.appendWithDocument(
        { op: 'insert', db: collection.dbName, coll: collection.name },
        'doc',
        bytes,
      );
      return;
    }
    this.record({ op: 'insert', db: collection.dbName, coll: collection.name, doc });
  }

  replace(collection: Collection, idKey: string, doc: Document): void {
    this.assertWritable();
    assertValid(collection, doc, collection.get(idKey));
    collection.replace(idKey, doc);
    this.record({ op: 'replace', db: collection.dbName, coll: collection.name, doc });
  }

  remove(collection: Collection, idKey: string): Document | undefined {
    this.assertWritable();
    const removed = collection.remove(idKey);
    if (removed) this.record({ op: 'delete', db: collection.dbName, coll: collection.name, id: removed._id });
    return removed;
  }

  /** `collMod`: the collection's options (validator and the like) replaced as a whole. */
  setCollectionOptions(collection: Collection, options: Document): void {
    this.assertWritable();
    collection.options = options;
    this.record({ op: 'collMod', db: collection.dbName, coll: collection.name, options });
  }

  createIndex(collection: Collection, spec: IndexSpec): void {
    this.assertWritable();
    collection.createIndex(spec);
    this.record({ op: 'createIndex', db: collection.dbName, coll: collection.name, spec });
  }

  dropIndex(collection: Collection, name: string): void {
    this.assertWritable();
    collection.dropIndex(name);
    this.record({ op: 'dropIndex', db: collection.dbName, coll: collection.name, name });
  }

  /** Waits until every change made so far is on disk (no-op in memory mode). */
  commit(): Promise<void> {
    return this.journal ? this.journal.sync() : Promise.resolve();
  }

  /** Replays one journal record (start-up). */
  apply(raw: Document): void {
    const record = raw as Record;
    switch (record.op) {
      case 'create': {
        const options = isPlainObject(record.options) ? record.options : {};
        this.register(new Collection(record.db, record.coll, options, record.uuid));
        return;
      }
      case 'drop':
        this.databases.get(record.db)?.delete(record.coll);
        return;
      case 'dropDatabase':
        this.databases.delete(record.db);
        return;
      case 'insert':
        this.replayTarget(record).insert(record.doc);
        return;
      case 'replace': {
        this.replayTarget(record).replace(idKeyOf(record.doc), record.doc);
        return;
      }
      case 'delete':
        this.replayTarget(record).remove(idKeyOf({ _id: record.id }));
        return;
      case 'createIndex':
        this.replayTarget(record).createIndex(record.spec);
        return;
      case 'dropIndex':
        this.replayTarget(record).dropIndex(record.name);
        return;
      case 'rename':
        this.moveCollection(this.replayTarget(record), record.toDb, record.toColl);
        return;
      case 'collMod':
        this.replayTarget(record).options = isPlainObject(record.options) ? record.options : {};
        return;
      default:
        throw new Error(`unknown journal record ${JSON.stringify(raw)}`);
    }
  }

  /**
   * The live state as journal records (what compaction writes), captured now and read later: each
   * collection's document list is an immutable array of immutable documents, so nothing is copied.
   */
  snapshot(): Iterable<Document> {
    const captured = [...this.databases.values()].flatMap((collections) =>
      [...collections.values()].map((collection) => ({
        db: collection.dbName,
        coll: collection.name,
        options: collection.options,
        uuid: collection.uuid,
        specs: collection.indexSpecs().slice(1),
        docs: collection.all(),
      })),
    );
    return (function* records(): Generator<Document> {
      for (const { db, coll, options, uuid, specs, docs } of captured) {
        yield { op: 'create', db, coll, options, uuid };
        for (const spec of specs) yield { op: 'createIndex', db, coll, spec };
        for (const doc of docs) yield { op: 'insert', db, coll, doc };
      }
    })();
  }

  private replayTarget(record: { db: string; coll: string }): Collection {
    const collection = this.collection(record.db, record.coll);
    if (!collection) throw new Error(`journal refers to missing collection ${record.db}.${record.coll}`);
    return collection;
  }

  private register(collection: Collection): void {
    let collections = this.databases.get(collection.dbName);
    if (!collections) {
      collections = new Map();
      this.databases.set(collection.dbName, collections);
    }
    collections.set(collection.name, collection);
  }

  private moveCollection(source: Collection, toDb: string, toName: string): void {
    this.databases.get(source.dbName)?.delete(source.name);
    const target = new Collection(toDb, toName, source.options, source.uuid);
    for (const spec of source.indexSpecs().slice(1)) target.createIndex(spec);
    for (const doc of source.all()) target.insert(doc);
    this.register(target);
  }

  /** Refuses any change once the journal has failed, so memory never runs ahead of the disk. */
  private assertWritable(): void {
    try {
      this.journal?.assertHealthy();
    } catch (error) {
      throw new MongoCommandError(
        'InternalError',
        `the store's journal is unavailable, writes are refused: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }

  private record(record: Record): void {
    this.journal?.append(record);
  }
}

const INVALID_DB_CHARS = /[/\\. "$\0]/;

export function validateNamespace(db: string, name: string): void {
  if (db === '' || INVALID_DB_CHARS.test(db) || db.length > 64) {
    throw new MongoCommandError('InvalidNamespace', `Invalid database name: '${db}'`);
  }
  if (name === '' || name.includes('\0') || name.startsWith('.') || name.includes('$')) {
    throw new MongoCommandError('InvalidNamespace', `Invalid collection name: ${name}`);
  }
}
