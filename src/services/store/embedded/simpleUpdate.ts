import type { Document } from 'bson';
import { cloneDocument, isPlainObject } from './bsonValues';

/** The operators applied here; anything else (and every unusual shape) goes to mingo. */
const OPERATORS = new Set(['$set', '$unset', '$inc', '$push']);
/** `$push` modifiers change how values are added: mingo handles them. */
const PUSH_MODIFIERS = ['$each', '$slice', '$sort', '$position'];
const UNSAFE_SEGMENTS = new Set(['__proto__', 'constructor', 'prototype']);

interface Change {
  operator: string;
  path: string[];
  value: unknown;
}

/**
 * Applies the update shapes mongoose and the services send on every write — `$set`, `$unset`,
 * `$inc` and `$push` of plain values on field paths through sub-documents — without mingo, copying
 * only the objects on the changed paths (the stored document is shared, never mutated). Returns
 * null when the update has anything else (other operators, positional or array-index paths,
 * arrays or non-documents along a path, `$push` modifiers, non-number `$inc`, conflicting paths,
 * `_id`), and the caller runs the general path, so results and errors are exactly as before.
 * Semantics follow mingo's (which the general path uses): a `$set` to an equal value and an
 * `$unset` of a missing field change nothing; new fields are appended in operator order.
 */
export function applySimpleUpdate(
  current: Document,
  operators: Document,
): { doc: Document; modified: boolean } | null {
  const changes = planChanges(operators);
  if (!changes) return null;
  // Each object on a changed path is copied once, then changed in place.
  const copies = new Map<Document, Document>();
  const copyOf = (original: Document): Document => {
    let copy = copies.get(original);
    if (!copy) {
      copy = { ...original };
      copies.set(original, copy);
      copies.set(copy, copy);
    }
    return copy;
  };
  // First check every path can be applied here, before copying anything.
  for (const change of changes) if (!applicable(current, change)) return null;
  const root = copyOf(current);
  let modified = false;
  for (const { operator, path, value } of changes) {
    const leaf = path[path.length - 1];
    if (operator === '$unset' && !reachable(root, path)) continue;
    // Walk down, copying the parents (each exists and is a document, or is created: checked above).
    let parent = root;
    for (let i = 0; i < path.length - 1; i += 1) {
      const child: unknown = parent[path[i]];
      let next: Document;
      if (child === undefined) {
        next = {};
        copies.set(next, next);
      } else {
        next = copyOf(child as Document);
      }
      parent[path[i]] = next;
      parent = next;
    }
    const previous: unknown = parent[leaf];
    switch (operator) {
      case '$set':
        if (isEqual(previous, value)) continue;
        parent[leaf] = cloneDocument(value);
        break;
      case '$unset':
        delete parent[leaf];
        break;
      case '$inc': {
        const next = ((previous as number | undefined) || 0) + (value as number);
        parent[leaf] = next;
        if (next === previous) continue;
        break;
      }
      case '$push':
        parent[leaf] =
          previous === undefined
            ? [cloneDocument(value)]
            : [...(previous as unknown[]), cloneDocument(value)];
        break;
    }
    modified = true;
  }
  // Parents created or copied for an unchanged leaf still hold equal content; the original stays as it was.
  return modified ? { doc: root, modified } : { doc: current, modified: false };
}

/** The changes in order, or null when the update's shape isn't one this module handles. */
function planChanges(operators: Document): Change[] | null {
  const changes: Change[] = [];
  const paths: string[] = [];
  for (const operator of Object.keys(operators)) {
    if (!OPERATORS.has(operator)) return null;
    const argument: unknown = operators[operator];
    if (!isPlainObject(argument)) return null;
    for (const dotted of Object.keys(argument)) {
      const value: unknown = argument[dotted];
      if (value === undefined) return null;
      const path = dotted.split('.');
      if (!path.every(plainSegment) || path[0] === '_id') return null;
      if (operator === '$inc' && (typeof value !== 'number' || Number.isNaN(value))) return null;
      if (operator === '$push' && isPlainObject(value) && PUSH_MODIFIERS.some((name) => name in value)) {
        return null;
      }
      // Two paths where one is (a prefix of) the other conflict: mingo reports it.
      for (const other of paths) {
        if (other === dotted || other.startsWith(`${dotted}.`) || dotted.startsWith(`${other}.`)) return null;
      }
      paths.push(dotted);
      changes.push({ operator, path, value });
    }
  }
  return changes;
}

/** A field name the fast path takes: not empty, no `$` (positional, operators), not an array index. */
function plainSegment(segment: string): boolean {
  return segment !== '' && !segment.includes('$') && !/^\d+$/.test(segment) && !UNSAFE_SEGMENTS.has(segment);
}

/** For `$unset`: the leaf is an own field (holding a value) of documents all along the path. */
function reachable(doc: Document, path: readonly string[]): boolean {
  let node: Document = doc;
  for (let i = 0; i < path.length - 1; i += 1) {
    const child: unknown = node[path[i]];
    if (!isPlainObject(child)) return false;
    node = child;
  }
  const leaf = path[path.length - 1];
  return Object.prototype.hasOwnProperty.call(node, leaf) && node[leaf] !== undefined;
}

/** Every parent on the path is a sub-document or missing, and the leaf holds what the operator needs. */
function applicable(doc: Document, { operator, path }: Change): boolean {
  // An `$unset` whose path doesn't reach a field changes nothing (as in mingo): see reachable().
  if (operator === '$unset') return true;
  let node: Document = doc;
  for (let i = 0; i < path.length - 1; i += 1) {
    const child: unknown = node[path[i]];
    if (child === undefined) return true; // created (or, for $unset, nothing to do)
    if (!isPlainObject(child)) return false;
    node = child;
  }
  const leaf: unknown = node[path[path.length - 1]];
  switch (operator) {
    case '$inc':
      return leaf === undefined || (typeof leaf === 'number' && !Number.isNaN(leaf));
    case '$push':
      return leaf === undefined || Array.isArray(leaf);
    default:
      return true;
  }
}

/** mingo's equality (what the general path uses to decide "modified"): deep, by constructor and value. */
export function isEqual(a: unknown, b: unknown): boolean {
  if (a === b || Object.is(a, b)) return true;
  if (a === null || b === null || typeof a !== typeof b || typeof a !== 'object') return false;
  const left = a as Document;
  const right = b as Document;
  if (left.constructor !== right.constructor) return false;
  if (a instanceof Date) return b instanceof Date && a.getTime() === b.getTime();
  if (a instanceof RegExp) return b instanceof RegExp && a.source === b.source && a.flags === b.flags;
  // BinData with the same bytes and another subtype is another value (mingo compares bytes only).
  if ((left as { _bsontype?: unknown })._bsontype === 'Binary' && left.sub_type !== right.sub_type)
    return false;
  if (Array.isArray(a)) {
    const other = b as unknown[];
    return a.length === other.length && a.every((value: unknown, i) => isEqual(value, other[i]));
  }
  // BSON values (ObjectId, Long, Decimal128…) compare by their own string form, as mingo does.
  const leftString = customString(left);
  if (left.constructor !== Object && leftString !== undefined) return leftString === customString(right);
  const keys = Object.keys(left);
  if (keys.length !== Object.keys(right).length) return false;
  return keys.every(
    (key) => Object.prototype.hasOwnProperty.call(right, key) && isEqual(left[key], right[key]),
  );
}

/** The value's own toString() result, when it has one other than Object's. */
function customString(value: object): string | undefined {
  const toString: unknown = (value as { toString?: unknown }).toString;
  if (typeof toString !== 'function' || toString === Object.prototype.toString) return undefined;
  return String((toString as () => unknown).call(value));
}
