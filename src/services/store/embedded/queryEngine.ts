import type { Document } from 'bson';
import { ProcessingMode } from 'mingo';
import { StoreAggregator, StoreQuery, WHERE_REFUSED } from './storeOperators';
import { splitArrayProjection } from './arrayProjection';
import {
  collationComparer,
  normaliseCollation,
  sortDocuments,
  type CollationSpec,
  type SortSpec,
} from './bsonSort';
import { asNumber, cloneDocument, encodeKeyValue, isPlainObject } from './bsonValues';
import type { Collection } from './collection';
import { MongoCommandError } from './mongoError';
import { MINGO_OPTIONS } from './mingoOptions';
import { compileSimpleFilter, type DocumentPredicate } from './simpleFilter';
import { compileSimpleProjection } from './simpleProjection';
import type { StorageEngine } from './storageEngine';

export interface QuerySpec {
  filter: Document;
  sort?: Document | undefined;
  skip?: number | undefined;
  /** 0 or undefined: no limit. */
  limit?: number | undefined;
  projection?: Document | undefined;
  collation?: Document | undefined;
  /** An index name or key pattern: without a sort, results come in that index's order. */
  hint?: string | Document | undefined;
}

/** Stages that never modify the documents flowing through them, so the stored ones can be passed uncopied. */
const READ_ONLY_STAGES = new Set(['$match', '$sort', '$skip', '$limit', '$count', '$group', '$sortByCount']);

/**
 * Runs filters, sorts, projections and pipelines with mingo over a collection's documents, using
 * the collection's indexes to narrow the candidates first. Mingo works in place, so anything that
 * could modify documents runs on copies: stored documents are never changed here.
 */
export class QueryEngine {
  constructor(private readonly engine: StorageEngine) {}

  /** Matching documents (the stored objects themselves, unless projected). */
  find(collection: Collection | undefined, spec: QuerySpec): Document[] {
    return mingoCall(() => {
      const collation = normaliseCollation(spec.collation ?? collection?.options.collation);
      if (!collection) {
        // Nothing to match, but a bad filter is still an error, as on the server.
        new StoreQuery(spec.filter, { collation });
        return [];
      }
      let source = collection.candidates(spec.filter, !collation) ?? collection.all();
      this.engine.scannedObjects += source.length;
      // { $natural: ±1 } is insertion order (reversed for -1), not a field.
      const { $natural: natural, ...fieldSort } = spec.sort ?? {};
      let sort = normaliseSort(fieldSort);
      const hinted = hintOrder(collection, spec.hint);
      if (asNumber(natural) === -1 || (!sort && hinted === 'reverse')) source = [...source].reverse();
      if (!sort && isPlainObject(hinted)) sort = hinted;
      // A clustered collection is stored, and so scanned, in _id order.
      if (!sort && collection.options.clusteredIndex) sort = { _id: asNumber(natural) === -1 ? -1 : 1 };
      const simple = collation ? null : compileSimpleFilter(spec.filter);
      if (simple && !sort) {
        return this.project(
          scan(source, simple, spec.skip ?? 0, spec.limit ?? 0),
          spec.projection,
          spec.filter,
        );
      }
      // `new StoreQuery(…).find()`, not mingo's `find()`, which rebuilds its operator tables on every call.
      let docs = new StoreQuery(spec.filter, this.options(collection.dbName, collation))
        .find(source)
        .all() as Document[];
      if (sort) docs = sortDocuments(docs, sort, collation && collationComparer(collation));
      if (spec.skip || spec.limit) {
        const start = spec.skip ?? 0;
        docs = docs.slice(start, spec.limit ? start + spec.limit : undefined);
      }
      return this.project(docs, spec.projection, spec.filter);
    });
  }

  /** Applies a find-style projection: new objects (copies, or sharing the stored values when simple). */
  project(docs: Document[], projection: Document | undefined, filter: Document = {}): Document[] {
    if (!projection || Object.keys(projection).length === 0) return docs;
    const simple = compileSimpleProjection(projection);
    if (simple) return docs.map(simple);
    const split = mingoCall(() => splitArrayProjection(projection));
    if (split) {
      const projected =
        Object.keys(split.rest).length === 0
          ? docs.map((doc) => ({ ...doc }))
          : this.project(docs, split.rest, filter);
      projected.forEach((out, i) => {
        for (const apply of split.apply) apply(docs[i], out);
      });
      return projected;
    }
    return mingoCall(() => {
      // The positional `$` projection needs the query to know which element matched.
      const positional = Object.keys(projection).some((key) => key.endsWith('.$'));
      const projected = new StoreQuery(positional ? filter : {})
        .find(docs.map(cloneDocument), projection)
        .all() as Document[];
      return projected.map(idFirst);
    });
  }

  /** Runs an aggregation pipeline over a collection (or nothing, for `aggregate: 1`). */
  aggregate(
    db: string,
    collection: Collection | undefined,
    pipeline: Document[],
    collation?: Document,
  ): Document[] {
    return mingoCall(() => {
      const effective = normaliseCollation(collation ?? collection?.options.collation);
      let source: Document[] = collection?.all() ?? [];
      const first = pipeline[0];
      if (collection && first && isPlainObject(first.$match) && !effective) {
        source = collection.candidates(first.$match, true) ?? source;
      }
      this.engine.scannedObjects += source.length;
      const readOnly = pipeline.every((stage) =>
        Object.keys(stage).every((name) => READ_ONLY_STAGES.has(name)),
      );
      const options = {
        ...this.options(db, effective),
        processingMode: readOnly ? ProcessingMode.CLONE_OFF : ProcessingMode.CLONE_INPUT,
      };
      return new StoreAggregator(pipeline, options).run<Document>(source);
    });
  }

  /** Runs a pipeline over documents built for this request (they may be changed freely). */
  aggregateOver(db: string, docs: Document[], pipeline: Document[], collation?: Document): Document[] {
    if (pipeline.length === 0) return docs;
    return mingoCall(() =>
      new StoreAggregator(pipeline, this.options(db, normaliseCollation(collation))).run<Document>(docs),
    );
  }

  /** Evaluates a pipeline-style update (`u: [ {$set: …} ]`) on one document copy. */
  applyPipeline(db: string, doc: Document, pipeline: Document[]): Document {
    return mingoCall(() => {
      const [result] = new StoreAggregator(pipeline, {
        ...this.options(db),
        processingMode: ProcessingMode.CLONE_INPUT,
      }).run<Document>([doc]);
      if (!result) throw new MongoCommandError('BadValue', 'the update pipeline produced no document');
      return result;
    });
  }

  private options(db: string, collation?: CollationSpec) {
    return {
      ...MINGO_OPTIONS,
      collation,
      // $lookup/$graphLookup read other collections; give them copies so nothing can alter the originals.
      collectionResolver: (name: string): Document[] =>
        (this.engine.collection(db, name)?.all() ?? []).map(cloneDocument),
    };
  }
}

/** Filters in natural order, stopping as soon as skip + limit documents have matched. */
function scan(
  source: readonly Document[],
  matches: DocumentPredicate,
  skip: number,
  limit: number,
): Document[] {
  const out: Document[] = [];
  let skipped = 0;
  for (const doc of source) {
    if (!matches(doc)) continue;
    if (skipped < skip) {
      skipped += 1;
      continue;
    }
    out.push(doc);
    if (limit > 0 && out.length >= limit) break;
  }
  return out;
}

/** Puts `_id` first, as the server returns it, when a projection reordered fields. */
function idFirst(doc: Document): Document {
  if (!('_id' in doc) || Object.keys(doc)[0] === '_id') return doc;
  const { _id, ...rest } = doc;
  return { _id: _id as unknown, ...rest };
}

/**
 * The order a hint gives results when there is no sort: its index's key pattern (sorted on,
 * as a scan of that index would return them), or 'reverse' for `{ $natural: -1 }`.
 */
function hintOrder(
  collection: Collection,
  hint: string | Document | undefined,
): SortSpec | 'reverse' | undefined {
  if (hint === undefined || (isPlainObject(hint) && Object.keys(hint).length === 0)) return undefined;
  if (isPlainObject(hint) && '$natural' in hint)
    return asNumber(hint.$natural) === -1 ? 'reverse' : undefined;
  const index = collection
    .indexSpecs()
    .find((spec) =>
      typeof hint === 'string' ? spec.name === hint : encodeKeyValue(spec.key) === encodeKeyValue(hint),
    );
  if (!index) {
    throw new MongoCommandError(
      'BadValue',
      `error processing query: ns=${collection.namespace} planner returned error :: caused by :: hint provided does not correspond to an existing index`,
    );
  }
  const order: SortSpec = {};
  for (const [field, direction] of Object.entries(index.key)) {
    const n = asNumber(direction);
    if (n === undefined) return undefined;
    order[field] = n < 0 ? -1 : 1;
  }
  return order;
}

function normaliseSort(sort: Document | undefined): Record<string, 1 | -1> | undefined {
  if (!sort) return undefined;
  const out: Record<string, 1 | -1> = {};
  for (const [field, direction] of Object.entries(sort)) {
    const n = asNumber(direction);
    if (n === 1 || n === -1) out[field] = n;
    else if (isPlainObject(direction) && '$meta' in direction) continue;
    else
      throw new MongoCommandError(
        'BadValue',
        `$sort key ordering must be 1 (for ascending) or -1 (for descending)`,
      );
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

/** Query operators the store does not implement, with the reason the client sees. */
const UNSUPPORTED_QUERY_OPERATORS: ReadonlyMap<string, string> = new Map([
  ['$text', 'is not supported by the embedded store (it has no text indexes); use $regex'],
  ['$near', 'is not supported by the embedded store (it has no geospatial indexes)'],
  ['$nearSphere', 'is not supported by the embedded store (it has no geospatial indexes)'],
  ['$geoWithin', 'is not supported by the embedded store (it has no geospatial queries)'],
  ['$geoIntersects', 'is not supported by the embedded store (it has no geospatial queries)'],
  ['$within', 'is not supported by the embedded store (it has no geospatial queries)'],
]);

/** Turns mingo's errors into the server errors a client would see for the same mistake. */
export function mingoCall<T>(run: () => T): T {
  try {
    return run();
  } catch (error) {
    if (error instanceof MongoCommandError || !(error instanceof Error)) throw error;
    // mingo's error class isn't reachable through this project's module resolution; its name is.
    if (error.constructor.name !== 'MingoError' && !(error instanceof TypeError)) throw error;
    throw translateMingoError(error);
  }
}

export function translateMingoError(error: Error): MongoCommandError {
  const message = error.message;
  if (message.includes('$where')) return new MongoCommandError('BadValue', WHERE_REFUSED);
  if (message.includes('jsonSchemaValidator')) {
    return new MongoCommandError(
      'BadValue',
      '$jsonSchema is not supported by the embedded store (queries and validators alike); use query operators',
    );
  }
  let match = /unknown (?:top level |query )?operator:? (\$\w+)/.exec(message);
  if (match && UNSUPPORTED_QUERY_OPERATORS.has(match[1])) {
    return new MongoCommandError('BadValue', `${match[1]} ${UNSUPPORTED_QUERY_OPERATORS.get(match[1])}`);
  }
  match = /unregistered pipeline operator (\$\w+)/.exec(message);
  if (match) {
    if (match[1] === '$changeStream') {
      return new MongoCommandError(
        'Location40573',
        'The $changeStream stage is only supported on replica sets',
      );
    }
    return new MongoCommandError('Location40324', `Unrecognized pipeline stage name: '${match[1]}'`);
  }
  if ((match = /unknown (?:top level|query) operator:? (\$\w+)/.exec(message))) {
    return new MongoCommandError('BadValue', `unknown operator: ${match[1]}`);
  }
  if (message.startsWith('Unknown update operator')) {
    const name = /'(\$\w+)'/.exec(message)?.[1] ?? '';
    return new MongoCommandError(
      'FailedToParse',
      `Unknown modifier: ${name}. Expected a valid update modifier or pipeline-style update specified as an array`,
    );
  }
  if (message.includes('would create a conflict')) {
    return new MongoCommandError('ConflictingUpdateOperators', message.replace(/^u/, 'U'));
  }
  if (message.includes("immutable field '_id'")) return new MongoCommandError('ImmutableField', message);
  return new MongoCommandError('BadValue', message);
}
