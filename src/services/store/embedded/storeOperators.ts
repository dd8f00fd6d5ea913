import type { Document } from 'bson';
import { Context } from 'mingo';
import * as accumulatorOperators from 'mingo/operators/accumulator';
import * as expressionOperators from 'mingo/operators/expression';
import * as pipelineOperators from 'mingo/operators/pipeline';
import * as projectionOperators from 'mingo/operators/projection';
import * as queryOperators from 'mingo/operators/query';
import * as windowOperators from 'mingo/operators/window';
import { Aggregator as MingoAggregator } from 'mingo/aggregator';
import { Query as MingoQuery } from 'mingo/query';
import type { Options } from 'mingo/types/types';
import { collationComparer, normaliseCollation } from './bsonSort';
import { isPlainObject } from './bsonValues';
import { bsonTypeOf, matchesBits, parseBitPositions, parseTypeSpec, type BitTest } from './bsonTypes';
import { MINGO_OPTIONS } from './mingoOptions';
import { MongoCommandError } from './mongoError';

type Predicate = (doc: Document) => boolean;
type QueryOperator = (selector: string, value: unknown, options: Options) => Predicate;

/** The values a query path reaches (arrays left whole), as MongoDB's leaf operators see them. */
function leafValues(doc: unknown, parts: readonly string[], i = 0, out: unknown[] = []): unknown[] {
  if (i === parts.length) {
    out.push(doc);
    return out;
  }
  if (Array.isArray(doc)) {
    const part = parts[i];
    if (/^\d+$/.test(part)) leafValues((doc as unknown[])[Number(part)], parts, i + 1, out);
    for (const element of doc as unknown[]) if (isPlainObject(element)) leafValues(element, parts, i, out);
    return out;
  }
  if (isPlainObject(doc) && Object.prototype.hasOwnProperty.call(doc, parts[i])) {
    leafValues(doc[parts[i]], parts, i + 1, out);
  }
  return out;
}

/** A leaf predicate tried on the value and, for an array, on each element (MongoDB's implicit traversal). */
function leafOperator(selector: string, test: (value: unknown) => boolean): Predicate {
  const parts = selector.split('.');
  return (doc) =>
    leafValues(doc, parts).some(
      (value) =>
        test(value) || (Array.isArray(value) && (value as unknown[]).some((element) => test(element))),
    );
}

/** `$type` by BSON type (int32, double, long, binData, objectId…), not JavaScript's typeof. */
function $type(selector: string, value: unknown): Predicate {
  const wanted = parseTypeSpec(value);
  const parts = selector.split('.');
  return (doc) =>
    leafValues(doc, parts).some((found) => {
      if (Array.isArray(found)) {
        // An array matches 'array' itself, and any type one of its elements has.
        return wanted.has(4) || (found as unknown[]).some((element) => matchesType(element, wanted));
      }
      return matchesType(found, wanted);
    });
}

function matchesType(value: unknown, wanted: ReadonlySet<number | 'number'>): boolean {
  const type = bsonTypeOf(value);
  if (wanted.has(type)) return true;
  return wanted.has('number') && (type === 1 || type === 16 || type === 18 || type === 19);
}

/** `$all`: every value is matched as `$eq` would (so a scalar field equal to the only value matches). */
function $all(selector: string, value: unknown, options: Options): Predicate {
  if (!Array.isArray(value)) throw new MongoCommandError('BadValue', '$all needs an array');
  const values = value as unknown[];
  if (values.length === 0) return () => false;
  const clauses = values.map((item) =>
    isPlainObject(item) && '$elemMatch' in item ? { [selector]: item } : { [selector]: { $eq: item } },
  );
  const query = new MingoQuery({ $and: clauses }, options);
  return (doc) => query.test(doc);
}

function bitOperator(name: string, mode: BitTest) {
  return (selector: string, value: unknown): Predicate => {
    const positions = parseBitPositions(name, value);
    return leafOperator(selector, (found) => matchesBits(found, positions, mode));
  };
}

/** DBRef field names are plain fields inside `$elemMatch`, not operators; mingo reads them as operators. */
const DBREF_FIELDS: Readonly<Record<string, string>> = {
  $ref: '\u0000ref',
  $id: '\u0000id',
  $db: '\u0000db',
};

function $elemMatch(selector: string, value: unknown, options: Options): Predicate {
  const first = isPlainObject(value) ? Object.keys(value)[0] : undefined;
  if (!isPlainObject(value) || first === undefined || !(first in DBREF_FIELDS)) {
    return queryOperators.$elemMatch(selector, value as Document, options);
  }
  const renamed: Document = {};
  for (const [key, condition] of Object.entries(value))
    renamed[DBREF_FIELDS[key] ?? key] = condition as unknown;
  const query = new MingoQuery(renamed, options);
  const parts = selector.split('.');
  return (doc) =>
    leafValues(doc, parts).some(
      (found) =>
        Array.isArray(found) &&
        (found as unknown[]).some((element) => query.test(dbRefFields(element) as Document)),
    );
}

/** A DBRef (decoded as bson's DBRef class, or left a plain `{ $ref, $id }`) with its fields renamed. */
function dbRefFields(element: unknown): unknown {
  const ref = element as {
    _bsontype?: string;
    collection?: string;
    oid?: unknown;
    db?: string;
    fields?: Document;
  };
  if (ref?._bsontype === 'DBRef') {
    const out: Document = { '\u0000ref': ref.collection, '\u0000id': ref.oid, ...(ref.fields ?? {}) };
    if (ref.db) out['\u0000db'] = ref.db;
    return out;
  }
  if (!isPlainObject(element)) return element;
  const out: Document = {};
  for (const [key, field] of Object.entries(element)) out[DBREF_FIELDS[key] ?? key] = field as unknown;
  return out;
}

/** Server-side JavaScript is not run by this store (see the README's "Known differences"). */
function $where(): Predicate {
  throw new MongoCommandError('BadValue', WHERE_REFUSED);
}

export const WHERE_REFUSED =
  '$where is not supported by the embedded store (it runs no server-side JavaScript); use $expr instead';

type Comparison = (order: number) => boolean;

/**
 * A comparison that honours the query's collation for strings (mingo compares strings
 * binary in matching); without a collation, or for a non-string value, mingo's own operator.
 */
function collated(name: '$eq' | '$gt' | '$gte' | '$lt' | '$lte', holds: Comparison): QueryOperator {
  return (selector, value, options) => {
    const collation = options.collation?.locale ? normaliseCollation(options.collation) : undefined;
    if (!collation || typeof value !== 'string') {
      return queryOperators[name](selector, value, options);
    }
    const strings = collationComparer(collation);
    return leafOperator(
      selector,
      (found) => typeof found === 'string' && holds(strings.compare(found, value)),
    );
  };
}

const collatedEq = collated('$eq', (order) => order === 0);

function collatedIn(selector: string, value: unknown, options: Options): Predicate {
  const collation = options.collation?.locale ? normaliseCollation(options.collation) : undefined;
  if (!collation || !Array.isArray(value) || !value.some((item) => typeof item === 'string')) {
    return queryOperators.$in(selector, value, options);
  }
  const items = value as unknown[];
  const strings = collationComparer(collation);
  const wanted = items.filter((item): item is string => typeof item === 'string');
  const others = items.filter((item) => typeof item !== 'string');
  const other = others.length > 0 ? queryOperators.$in(selector, others, options) : () => false;
  const collatedMatch = leafOperator(
    selector,
    (found) => typeof found === 'string' && wanted.some((item) => strings.compare(found, item) === 0),
  );
  return (doc) => collatedMatch(doc) || Boolean(other(doc));
}

/** The query operators whose mingo versions differ from MongoDB. */
const STORE_QUERY_OPERATORS: Record<string, QueryOperator> = {
  $type,
  $all,
  $eq: collatedEq,
  $ne: (selector, value, options) => {
    const eq = collatedEq(selector, value, options);
    return (doc) => !eq(doc);
  },
  $in: collatedIn,
  $nin: (selector, value, options) => {
    const inList = collatedIn(selector, value, options);
    return (doc) => !inList(doc);
  },
  $gt: collated('$gt', (order) => order > 0),
  $gte: collated('$gte', (order) => order >= 0),
  $lt: collated('$lt', (order) => order < 0),
  $lte: collated('$lte', (order) => order <= 0),
  $elemMatch,
  $where,
  $bitsAllSet: bitOperator('$bitsAllSet', 'allSet'),
  $bitsAnySet: bitOperator('$bitsAnySet', 'anySet'),
  $bitsAllClear: bitOperator('$bitsAllClear', 'allClear'),
  $bitsAnyClear: bitOperator('$bitsAnyClear', 'anyClear'),
};

/**
 * Every mingo operator, with the store's own versions of the query operators whose semantics
 * differ from MongoDB's in mingo. Built once: contexts are only read by queries.
 */
export const STORE_CONTEXT = Context.init({
  accumulator: accumulatorOperators,
  expression: expressionOperators,
  pipeline: pipelineOperators,
  projection: projectionOperators,
  query: {
    ...queryOperators,
    ...(STORE_QUERY_OPERATORS as unknown as typeof queryOperators),
  },
  window: windowOperators,
});

/** A mingo query with the store's operators (and never server-side JavaScript: MINGO_OPTIONS). */
export class StoreQuery extends MingoQuery {
  constructor(condition: Document, options: Partial<Options> = {}) {
    super(condition, { ...options, ...MINGO_OPTIONS, context: STORE_CONTEXT });
  }
}

/** A mingo pipeline with the store's operators. */
export class StoreAggregator extends MingoAggregator {
  constructor(pipeline: Document[], options: Partial<Options> = {}) {
    super(pipeline, { ...options, ...MINGO_OPTIONS, context: STORE_CONTEXT });
  }
}
