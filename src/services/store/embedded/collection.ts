import { calculateObjectSize, UUID, type Document } from 'bson';
import { asNumber, detachBinaries, encodeKeyValue, isPlainObject } from './bsonValues';
import { CollectionIndex, type IndexSpec } from './collectionIndex';
import { MongoCommandError } from './mongoError';

export const ID_INDEX_NAME = '_id_';

/** Above this many lookup keys (e.g. a large $in) a scan is as cheap as the lookups. */
const MAX_LOOKUP_KEYS = 1_000;

/** Listeners told after each insert, so tailable cursors can wake up (and later, change relays). */
export type InsertListener = (doc: Document) => void;

/**
 * One collection's documents in natural (insertion) order, keyed by their encoded _id, with its
 * secondary indexes. Every mutation validates first and changes nothing when it throws; stored
 * documents are never mutated in place (updates swap in a new object), so readers holding a
 * reference keep a consistent snapshot.
 */
export class Collection {
  private readonly docs = new Map<string, Document>();
  private readonly indexes = new Map<string, CollectionIndex>();
  private ordered: Document[] | null = null;
  private readonly insertListeners = new Set<InsertListener>();
  /** Capped collections only: the BSON size of each document, to enforce `size`. */
  private readonly sizes = new Map<string, number>();
  private totalSize = 0;
  /** Bumped on every insert; tailable cursors (capped collections) remember where they stopped. */
  private insertCounter = 0;
  private readonly insertSequence = new Map<string, number>();

  readonly uuid: UUID;

  constructor(
    readonly dbName: string,
    readonly name: string,
    /** Replaced as a whole by collMod (never changed in place: snapshots hold the old object). */
    public options: Document,
    uuid?: UUID,
  ) {
    this.uuid = uuid ?? new UUID();
  }

  get namespace(): string {
    return `${this.dbName}.${this.name}`;
  }

  get capped(): boolean {
    return this.options.capped === true;
  }

  get count(): number {
    return this.docs.size;
  }

  get dataSize(): number {
    let total = 0;
    for (const doc of this.docs.values()) total += calculateObjectSize(doc);
    return total;
  }

  /**
   * All documents in natural order, cached until the next change. The array is never changed
   * afterwards (a change makes the next call build a new one), so it is a consistent snapshot.
   */
  all(): Document[] {
    this.ordered ??= [...this.docs.values()];
    return this.ordered;
  }

  /** The insertion counter: tailable cursors remember it and later ask for what came after. */
  get lastSequence(): number {
    return this.insertCounter;
  }

  /** Documents inserted after `sequence`, in insertion order (capped collections: only they keep sequences). */
  insertedAfter(sequence: number): Document[] {
    const out: Document[] = [];
    for (const [idKey, doc] of this.docs) if ((this.insertSequence.get(idKey) ?? 0) > sequence) out.push(doc);
    return out;
  }

  onInsert(listener: InsertListener): () => void {
    this.insertListeners.add(listener);
    return () => this.insertListeners.delete(listener);
  }

  insert(doc: Document): void {
    const idKey = idKeyOf(doc);
    detachBinaries(doc);
    if (this.docs.has(idKey)) throw this.idDuplicate(doc);
    const perIndex = this.checkIndexes(doc, idKey);
    for (const [index, keys] of perIndex) index.add(keys, idKey);
    this.docs.set(idKey, doc);
    this.insertCounter += 1;
    // Only tailable cursors (capped collections) ask what came after a point.
    if (this.capped) this.insertSequence.set(idKey, this.insertCounter);
    this.ordered = null;
    if (this.capped) this.trimCapped(idKey, doc);
    for (const listener of this.insertListeners) listener(doc);
  }

  /** The stored document with this encoded _id. */
  get(idKey: string): Document | undefined {
    return this.docs.get(idKey);
  }

  /** Swaps in a new version of the document with this _id; the _id itself never changes. */
  replace(idKey: string, next: Document): void {
    const previous = this.docs.get(idKey);
    if (!previous) throw new MongoCommandError('InternalError', `no document with _id ${idKey} to replace`);
    if (idKeyOf(next) !== idKey) {
      throw new MongoCommandError(
        'ImmutableField',
        "After applying the update, the (immutable) field '_id' was found to have been altered",
      );
    }
    detachBinaries(next);
    const perIndex = this.checkIndexes(next, idKey);
    for (const [index, keys] of perIndex) {
      const before = index.keysFor(previous);
      // Most updates leave most indexed fields alone: then the entries stay as they are.
      if (sameKeys(before, keys)) continue;
      index.remove(before, idKey);
      index.add(keys, idKey);
    }
    this.docs.set(idKey, next);
    if (this.capped) {
      const size = calculateObjectSize(next);
      this.totalSize += size - (this.sizes.get(idKey) ?? 0);
      this.sizes.set(idKey, size);
    }
    this.ordered = null;
  }

  remove(idKey: string): Document | undefined {
    const doc = this.docs.get(idKey);
    if (!doc) return undefined;
    for (const index of this.indexes.values()) index.remove(index.keysFor(doc), idKey);
    this.docs.delete(idKey);
    this.insertSequence.delete(idKey);
    if (this.capped) {
      this.totalSize -= this.sizes.get(idKey) ?? 0;
      this.sizes.delete(idKey);
    }
    this.ordered = null;
    return doc;
  }

  /** Removes every document (drop keeps nothing; used by dropDatabase/drop through the engine). */
  clear(): void {
    this.docs.clear();
    for (const index of this.indexes.values()) index.clear();
    this.sizes.clear();
    this.insertSequence.clear();
    this.totalSize = 0;
    this.ordered = null;
  }

  indexSpecs(): IndexSpec[] {
    return [
      { v: 2, key: { _id: 1 }, name: ID_INDEX_NAME },
      ...[...this.indexes.values()].map((index) => index.spec),
    ];
  }

  hasIndex(name: string): boolean {
    return name === ID_INDEX_NAME || this.indexes.has(name);
  }

  /** Builds the index over the existing documents; a duplicate under a unique index aborts it. */
  createIndex(spec: IndexSpec): void {
    const index = new CollectionIndex(spec);
    for (const [idKey, doc] of this.docs) {
      const keys = index.keysFor(doc);
      const conflict = index.findConflict(keys, idKey);
      if (conflict !== undefined) throw index.duplicateError(this.namespace, doc, conflict);
      index.add(keys, idKey);
    }
    this.indexes.set(spec.name, index);
  }

  dropIndex(name: string): void {
    this.indexes.delete(name);
  }

  /** Secondary index names (not `_id_`). */
  secondaryIndexNames(): string[] {
    return [...this.indexes.keys()];
  }

  /**
   * Ids that may match a filter no index pins completely, or null (scan everything): from a compound
   * index whose first field has an equality (the rest may be ranges, or absent), or from a sparse
   * index one of whose fields has a range (a document missing all its fields cannot match that).
   * The smallest wins.
   */
  private partialCandidates(filter: Document): Set<string> | null {
    let best: Set<string> | null = null;
    for (const index of this.indexes.values()) {
      if (!index.usableForLookup) continue;
      let found: Set<string> | null = null;
      if (index.servesLeadingField) {
        const values = equalityValues(filter, index.fields[0]);
        if (values && values.length <= MAX_LOOKUP_KEYS && !(index.sparse && values.some((v) => v === null))) {
          found = new Set<string>();
          for (const value of values) for (const idKey of index.lookupLeading(value)) found.add(idKey);
        }
      }
      if (found === null && index.sparse && index.fields.some((field) => hasPresenceRange(filter, field))) {
        found = index.allIds();
      }
      if (found !== null && (best === null || found.size < best.size)) best = found;
    }
    return best;
  }

  /**
   * Candidate documents for a filter, using the _id map or an index when the filter pins every
   * field of one with an equality; null means "scan everything". The caller still runs the full
   * filter over the candidates, so a superset is fine.
   */
  candidates(filter: Document, useIndexes: boolean): Document[] | null {
    if (!useIndexes) return null;
    const ids = equalityValues(filter, '_id');
    if (ids) {
      const out: Document[] = [];
      for (const id of ids) {
        const doc = this.docs.get(encodeKeyValue(id));
        if (doc) out.push(doc);
      }
      return out;
    }
    let best: Set<string> | null = null;
    for (const index of this.indexes.values()) {
      if (!index.usableForLookup) continue;
      const perField: unknown[][] = [];
      for (const field of index.fields) {
        const values = equalityValues(filter, field);
        if (!values) break;
        // A sparse index has no entry for missing fields, which an equality on null also matches.
        if (index.sparse && values.some((value) => value === null)) break;
        perField.push(values);
      }
      if (perField.length !== index.fields.length) continue;
      const combos = cartesian(perField);
      if (!combos) continue;
      const found = new Set<string>();
      for (const combo of combos) {
        for (const idKey of index.lookup(index.encodeLookup(combo)) ?? []) found.add(idKey);
      }
      if (best === null || found.size < best.size) best = found;
      if (index.unique) break;
    }
    if (best === null) best = this.partialCandidates(filter);
    if (best === null) return null;
    const out: Document[] = [];
    // Natural order, as a scan would give, so unsorted results are the same either way.
    if (best.size > 1) {
      for (const [idKey, doc] of this.docs) if (best.has(idKey)) out.push(doc);
      return out;
    }
    for (const idKey of best) {
      const doc = this.docs.get(idKey);
      if (doc) out.push(doc);
    }
    return out;
  }

  private checkIndexes(doc: Document, idKey: string): Array<[CollectionIndex, string[]]> {
    const perIndex: Array<[CollectionIndex, string[]]> = [];
    for (const index of this.indexes.values()) {
      const keys = index.keysFor(doc);
      const conflict = index.findConflict(keys, idKey);
      if (conflict !== undefined) throw index.duplicateError(this.namespace, doc, conflict);
      perIndex.push([index, keys]);
    }
    return perIndex;
  }

  private idDuplicate(doc: Document): MongoCommandError {
    const id: unknown = doc._id;
    const index = new CollectionIndex({ v: 2, key: { _id: 1 }, name: ID_INDEX_NAME, unique: true });
    return index.duplicateError(this.namespace, doc, encodeKeyValue(id));
  }

  /** Capped collections drop their oldest documents past `max` documents or `size` bytes. */
  private trimCapped(idKey: string, doc: Document): void {
    const size = calculateObjectSize(doc);
    this.sizes.set(idKey, size);
    this.totalSize += size;
    const maxDocs = asNumber(this.options.max) ?? 0;
    const maxSize = asNumber(this.options.size) ?? 0;
    for (const oldest of this.docs.keys()) {
      const tooMany = maxDocs > 0 && this.docs.size > maxDocs;
      const tooBig = maxSize > 0 && this.totalSize > maxSize;
      if ((!tooMany && !tooBig) || oldest === idKey) break;
      this.remove(oldest);
    }
  }
}

function sameKeys(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((key, i) => key === b[i]);
}

/** The encoded _id of a document; arrays and regexes can't be _id values, as in MongoDB. */
export function idKeyOf(doc: Document): string {
  const id: unknown = doc._id;
  if (Array.isArray(id))
    throw new MongoCommandError('InvalidIdField', "The '_id' value cannot be of type array");
  if (id instanceof RegExp)
    throw new MongoCommandError('InvalidIdField', "The '_id' value cannot be of type regex");
  return encodeKeyValue(id);
}

/**
 * The values a filter pins `field` to by equality (a plain value, `$eq`, or `$in`), looking through
 * top-level `$and`; undefined when it doesn't. Arrays and regexes are not equalities an index answers.
 */
/** Range operators whose operand, when a Date, number or string, never matches a missing field. */
const RANGE_OPERATORS = new Set(['$gt', '$gte', '$lt', '$lte']);

/**
 * Whether the filter holds, for `field`, only range conditions on a Date, number or string (at the
 * top level or in a top-level `$and`): a document matching it has the field, so a sparse index on
 * the field holds it. (A range on null, MinKey or MaxKey can match missing fields: not counted.)
 */
export function hasPresenceRange(filter: Document, field: string): boolean {
  if (Object.prototype.hasOwnProperty.call(filter, field)) {
    const condition: unknown = filter[field];
    if (isPlainObject(condition)) {
      const entries = Object.entries(condition);
      if (
        entries.length > 0 &&
        entries.every(
          ([operator, operand]) =>
            RANGE_OPERATORS.has(operator) &&
            (operand instanceof Date ||
              typeof operand === 'string' ||
              (typeof operand === 'number' && !Number.isNaN(operand))),
        )
      )
        return true;
    }
  }
  const and: unknown = filter.$and;
  return (
    Array.isArray(and) &&
    (and as unknown[]).some((clause) => isPlainObject(clause) && hasPresenceRange(clause, field))
  );
}

export function equalityValues(filter: Document, field: string): unknown[] | undefined {
  if (Object.prototype.hasOwnProperty.call(filter, field)) {
    const found = equalityOf(filter[field]);
    if (found) return found;
  }
  const and: unknown = filter.$and;
  if (Array.isArray(and)) {
    for (const clause of and as unknown[]) {
      if (isPlainObject(clause)) {
        const found = equalityValues(clause, field);
        if (found) return found;
      }
    }
  }
  return undefined;
}

function equalityOf(condition: unknown): unknown[] | undefined {
  if (condition instanceof RegExp || Array.isArray(condition) || condition === undefined) return undefined;
  if (isPlainObject(condition)) {
    const keys = Object.keys(condition);
    if (keys.length > 0 && keys.every((key) => key.startsWith('$'))) {
      if ('$eq' in condition) return equalityOf(condition.$eq);
      const list: unknown = condition.$in;
      if (Array.isArray(list)) {
        const values = list as unknown[];
        if (values.length > MAX_LOOKUP_KEYS) return undefined;
        if (
          values.some((value) => value instanceof RegExp || Array.isArray(value) || isOperatorObject(value))
        ) {
          return undefined;
        }
        return values;
      }
      return undefined;
    }
    if (keys.some((key) => key.startsWith('$'))) return undefined;
  }
  return [condition];
}

function isOperatorObject(value: unknown): boolean {
  return isPlainObject(value) && Object.keys(value).some((key) => key.startsWith('$'));
}

function cartesian(perField: unknown[][]): unknown[][] | null {
  let combos: unknown[][] = [[]];
  for (const values of perField) {
    const next: unknown[][] = [];
    for (const combo of combos) for (const value of values) next.push([...combo, value]);
    if (next.length > MAX_LOOKUP_KEYS) return null;
    combos = next;
  }
  return combos;
}
