import type { Document } from 'bson';
import { bsonTypeOf, sameBson } from './bsonTypes';
import { encodeKeyValue, formatValue, isPlainObject } from './bsonValues';
import { MongoCommandError } from './mongoError';
import { StoreQuery } from './storeOperators';

/** Operators that create the fields on their path (the others do nothing where the path isn't there). */
const CREATING = new Set([
  '$set',
  '$setOnInsert',
  '$inc',
  '$mul',
  '$min',
  '$max',
  '$currentDate',
  '$push',
  '$addToSet',
  '$bit',
]);
const UPDATE_OPERATORS = new Set([...CREATING, '$unset', '$rename', '$pop', '$pull', '$pullAll']);
const ARRAY_OPERATORS = new Set(['$push', '$addToSet', '$pull', '$pullAll', '$pop']);
const NUMERIC_OPERATORS = new Set(['$inc', '$mul']);
const LOGICAL_PULL = new Set(['$and', '$or', '$nor', '$expr', '$where', '$comment']);
const TYPE_NAMES: Readonly<Record<number, string>> = {
  1: 'double',
  2: 'string',
  3: 'object',
  4: 'array',
  5: 'binData',
  6: 'undefined',
  7: 'objectId',
  8: 'bool',
  9: 'date',
  10: 'null',
  11: 'regex',
  13: 'javascript',
  16: 'int',
  17: 'timestamp',
  18: 'long',
  19: 'decimal',
};

export interface PlanContext {
  /** The statement's filter (for the positional `$`); undefined for an upsert's new document. */
  filter: Document | undefined;
  arrayFilters: Document[] | undefined;
  /** True when the update builds a new document (an upsert): `$`-prefixed fields may be created. */
  inserting: boolean;
}

export interface PlannedUpdate {
  /** `$set` assignments the store applies itself, on concrete paths. */
  sets: Array<{ path: string[]; value: unknown }>;
  /** The remaining operators for mingo, on concrete paths (no positional operators left). */
  rest: Document;
}

/**
 * Prepares an operator update the way MongoDB's update driver does before applying it: positional
 * paths (`$`, `$[]`, `$[id]`) resolved to the array elements they select in this document; path
 * conflicts judged on the full paths (so `a.$.x` and `a.$.y` don't clash); an unchanged `_id`
 * dropped; paths that cannot be created (through a scalar, or a field name through an array of
 * documents) refused with PathNotViable; array operators on a non-array refused.
 */
export function planOperatorUpdate(doc: Document, operators: Document, context: PlanContext): PlannedUpdate {
  const usedIdentifiers = new Set<string>();
  const filters = arrayFilterMap(context.arrayFilters);
  const entries: Array<{ operator: string; path: string[]; value: unknown }> = [];
  for (const [operator, argument] of Object.entries(operators)) {
    if (!UPDATE_OPERATORS.has(operator)) {
      throw new MongoCommandError(
        'FailedToParse',
        `Unknown modifier: ${operator}. Expected a valid update modifier or pipeline-style update specified as an array`,
      );
    }
    for (const [dotted, value] of Object.entries(argument as Document)) {
      const path = dotted.split('.');
      if (path.some((part) => part === '')) {
        throw new MongoCommandError(
          'EmptyFieldName',
          `The update path '${dotted}' contains an empty field name, which is not allowed.`,
        );
      }
      if (path[0] === '_id' && path.length === 1 && (operator === '$set' || operator === '$setOnInsert')) {
        if (context.inserting || encodeKeyValue(value) === encodeKeyValue(doc._id)) {
          if (context.inserting) entries.push({ operator, path, value });
          continue;
        }
      }
      if (path[0] === '_id' && !context.inserting) {
        throw new MongoCommandError(
          'ImmutableField',
          `Performing an update on the path '${dotted}' would modify the immutable field '_id'`,
        );
      }
      if (path[0].startsWith('$') && !isPositional(path[0]) && !context.inserting) {
        throw new MongoCommandError(
          'DollarPrefixedFieldName',
          `The dollar ($) prefixed field '${path[0]}' in '${dotted}' is not allowed in the context of an update's replacement document. Consider using an aggregation pipeline with $replaceWith.`,
        );
      }
      const concrete = path.some(isPositional)
        ? resolvePositional(doc, path, context, filters, usedIdentifiers)
        : [path];
      for (const resolved of concrete) entries.push({ operator, path: resolved, value });
    }
  }
  for (const identifier of filters.keys()) {
    if (!usedIdentifiers.has(identifier) && !context.inserting) {
      throw new MongoCommandError(
        'FailedToParse',
        `The array filter for identifier '${identifier}' was not used in the update ${formatValue(operators)}`,
      );
    }
  }
  assertNoConflicts(entries.map((entry) => entry.path.join('.')));
  const sets: PlannedUpdate['sets'] = [];
  const rest: Document = {};
  for (const entry of entries) {
    if (!checkPath(doc, entry.operator, entry.path)) continue;
    if (entry.operator === '$set' || entry.operator === '$setOnInsert') {
      sets.push({ path: entry.path, value: entry.value });
      continue;
    }
    const argument = (rest[entry.operator] ??= {}) as Document;
    argument[entry.path.join('.')] =
      entry.operator === '$pull' ? pullCondition(doc, entry.path, entry.value) : entry.value;
  }
  return { sets, rest };
}

function isPositional(part: string): boolean {
  return part === '$' || (part.startsWith('$[') && part.endsWith(']'));
}

function arrayFilterMap(arrayFilters: Document[] | undefined): Map<string, StoreQuery> {
  const grouped = new Map<string, Document>();
  for (const filter of arrayFilters ?? []) {
    for (const [key, condition] of Object.entries(filter)) {
      const identifier = key.split('.')[0];
      if (!/^[a-z][a-zA-Z0-9]*$/.test(identifier)) {
        throw new MongoCommandError(
          'BadValue',
          `Error parsing array filter :: caused by :: The top-level field name must be an alphanumeric string beginning with a lowercase letter, found '${identifier}'`,
        );
      }
      const group = grouped.get(identifier) ?? {};
      group[key] = condition as unknown;
      grouped.set(identifier, group);
    }
  }
  return new Map([...grouped].map(([identifier, group]) => [identifier, new StoreQuery(group)]));
}

/** Expands one path's positional parts into the concrete paths of the elements they select. */
function resolvePositional(
  doc: Document,
  path: readonly string[],
  context: PlanContext,
  filters: ReadonlyMap<string, StoreQuery>,
  used: Set<string>,
): string[][] {
  const out: string[][] = [];
  const walk = (node: unknown, i: number, prefix: string[]): void => {
    if (i === path.length) {
      out.push(prefix);
      return;
    }
    const part = path[i];
    if (!isPositional(part)) {
      let child: unknown;
      if (isPlainObject(node)) child = node[part];
      else if (Array.isArray(node) && /^\d+$/.test(part)) child = (node as unknown[])[Number(part)];
      walk(child, i + 1, [...prefix, part]);
      return;
    }
    const arrayPath = prefix.join('.');
    if (part === '$') {
      const index = positionalIndex(node, arrayPath, context.filter);
      walk((node as unknown[])[index], i + 1, [...prefix, String(index)]);
      return;
    }
    const identifier = part.slice(2, -1);
    let query: StoreQuery | undefined;
    if (identifier !== '') {
      query = filters.get(identifier);
      if (!query) {
        throw new MongoCommandError(
          'BadValue',
          `No array filter found for identifier '${identifier}' in path '${path.join('.')}'`,
        );
      }
      used.add(identifier);
    }
    if (node === undefined) {
      if (context.inserting) return;
      throw new MongoCommandError(
        'BadValue',
        `The path '${arrayPath}' must exist in the document in order to apply array updates.`,
      );
    }
    if (!Array.isArray(node)) {
      throw new MongoCommandError(
        'BadValue',
        `Cannot apply array updates to non-array element ${path[i - 1]}: ${formatValue(node)}`,
      );
    }
    (node as unknown[]).forEach((element, index) => {
      if (query && !query.test({ [identifier]: element })) return;
      walk(element, i + 1, [...prefix, String(index)]);
    });
  };
  walk(doc, 0, []);
  return out;
}

/** The element the positional `$` stands for: the first one the filter's condition on this array matched. */
function positionalIndex(node: unknown, arrayPath: string, filter: Document | undefined): number {
  const notFound = new MongoCommandError(
    'BadValue',
    'The positional operator did not find the match needed from the query.',
  );
  if (!Array.isArray(node) || !filter) throw notFound;
  const conditions = collectConditions(filter).filter(
    ([key]) => key === arrayPath || key.startsWith(`${arrayPath}.`),
  );
  if (conditions.length === 0) throw notFound;
  const query = new StoreQuery(Object.fromEntries(conditions.map(([key, value]) => [key, value])));
  const index = (node as unknown[]).findIndex((element) => query.test({ [arrayPath]: [element] }));
  if (index < 0) throw notFound;
  return index;
}

/** A filter's field conditions, looking through top-level `$and`. */
function collectConditions(filter: Document, out: Array<[string, unknown]> = []): Array<[string, unknown]> {
  for (const [key, value] of Object.entries(filter)) {
    if (key === '$and' && Array.isArray(value)) {
      for (const clause of value as unknown[]) if (isPlainObject(clause)) collectConditions(clause, out);
    } else if (!key.startsWith('$')) {
      out.push([key, value]);
    }
  }
  return out;
}

function assertNoConflicts(paths: readonly string[]): void {
  const sorted = [...paths].sort();
  for (let i = 1; i < sorted.length; i += 1) {
    const before = sorted[i - 1];
    const path = sorted[i];
    if (path === before || path.startsWith(`${before}.`)) {
      throw new MongoCommandError(
        'ConflictingUpdateOperators',
        `Updating the path '${path}' would create a conflict at '${before}'`,
      );
    }
  }
}

/**
 * Checks the path can take this operator in this document; false when the operator does nothing
 * here (a non-creating operator whose path isn't there).
 */
function checkPath(doc: Document, operator: string, path: readonly string[]): boolean {
  let node: unknown = doc;
  let nodeName = '';
  for (let i = 0; i < path.length; i += 1) {
    const part = path[i];
    let child: unknown;
    let viable: boolean;
    if (isPlainObject(node)) {
      viable = true;
      child = Object.prototype.hasOwnProperty.call(node, part) ? node[part] : undefined;
    } else if (Array.isArray(node)) {
      viable = /^\d+$/.test(part);
      child = viable ? (node as unknown[])[Number(part)] : undefined;
    } else {
      viable = false;
    }
    if (!viable) {
      if (!CREATING.has(operator)) return false;
      throw new MongoCommandError(
        'PathNotViable',
        `Cannot create field '${part}' in element {${nodeName}: ${formatValue(node)}}`,
      );
    }
    if (child === undefined) return CREATING.has(operator);
    node = child;
    nodeName = part;
  }
  const field = path.join('.');
  const type = TYPE_NAMES[bsonTypeOf(node)] ?? 'object';
  if (ARRAY_OPERATORS.has(operator) && !Array.isArray(node)) {
    switch (operator) {
      case '$push':
        throw new MongoCommandError(
          'BadValue',
          `The field '${field}' must be an array but is of type ${type} in document {_id: ${formatValue(doc._id)}}`,
        );
      case '$addToSet':
        throw new MongoCommandError(
          'BadValue',
          `Cannot apply $addToSet to non-array field. Field named '${path[path.length - 1]}' has non-array type ${type}`,
        );
      case '$pop':
        throw new MongoCommandError(
          'TypeMismatch',
          `Path '${field}' contains an element of non-array type '${type}'`,
        );
      default:
        throw new MongoCommandError('BadValue', `Cannot apply ${operator} to a non-array value`);
    }
  }
  if (NUMERIC_OPERATORS.has(operator) && ![1, 16, 18, 19].includes(bsonTypeOf(node))) {
    throw new MongoCommandError(
      'TypeMismatch',
      `Cannot apply ${operator} to a value of non-numeric type. {_id: ${formatValue(doc._id)}} has the field '${path[path.length - 1]}' of non-numeric type ${type}`,
    );
  }
  return true;
}

/**
 * A `$pull` condition mingo applies as MongoDB does. A condition led by a logical operator
 * (`{ $or: […] }`) is a query on each element as a document, which mingo would read as a value
 * operator: those elements are picked here and pulled by value.
 */
function pullCondition(doc: Document, path: readonly string[], condition: unknown): unknown {
  if (!isPlainObject(condition)) return condition;
  const keys = Object.keys(condition);
  if (keys.length === 0 || !keys.every((key) => LOGICAL_PULL.has(key))) return condition;
  let node: unknown = doc;
  for (const part of path)
    node = isPlainObject(node)
      ? node[part]
      : Array.isArray(node)
        ? (node as unknown[])[Number(part)]
        : undefined;
  if (!Array.isArray(node)) return condition;
  const query = new StoreQuery(condition);
  const pulled = (node as unknown[]).filter((element) => isPlainObject(element) && query.test(element));
  return { $in: pulled };
}

/** Applies planned `$set`s in place on a copy: a value equal in BSON (same types and bytes) is no change. */
export function applySets(target: Document, sets: PlannedUpdate['sets']): boolean {
  let modified = false;
  for (const { path, value } of sets) {
    let node: Document | unknown[] = target;
    for (let i = 0; i < path.length - 1; i += 1) {
      const part = path[i];
      const child: unknown = Array.isArray(node) ? node[Number(part)] : node[part];
      if (child === undefined || child === null) {
        const created: Document = {};
        setOwn(node, part, created);
        node = created;
      } else {
        node = child;
      }
    }
    const leaf = path[path.length - 1];
    const current: unknown = Array.isArray(node) ? node[Number(leaf)] : node[leaf];
    const present = Array.isArray(node)
      ? Number(leaf) < node.length
      : Object.prototype.hasOwnProperty.call(node, leaf);
    if (present && sameBson(current, value)) continue;
    setOwn(node, leaf, value);
    modified = true;
  }
  return modified;
}

/** Sets a field as an own property, even one named `__proto__`; pads arrays with null as MongoDB does. */
function setOwn(node: Document | unknown[], key: string, value: unknown): void {
  if (Array.isArray(node)) {
    const index = Number(key);
    while (node.length < index) node.push(null);
    node[index] = value;
    return;
  }
  Object.defineProperty(node, key, { value, enumerable: true, writable: true, configurable: true });
}
