import type { Document } from 'bson';
import { isPlainObject } from './bsonValues';

export type Projector = (doc: Document) => Document;

/** Excluded paths as a tree: `true` drops the field, a subtree drops fields inside it. */
type Exclusions = Map<string, Exclusions | true>;

const UNSAFE_SEGMENTS = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * Compiles the common find projections into a function that builds the projected document without
 * copying the stored one first: top-level fields included (`{ a: 1, b: true }`), or fields excluded
 * at any depth (`{ a: 0, 'outbox.body': 0 }`, through sub-documents and arrays of them), `_id` in
 * or out. Values are shared with the stored document (which is never changed in place; a projected
 * result is only serialised); only the objects on an excluded path are new. Returns null for
 * anything else (dotted inclusions, operators, expressions, array indexes, mixed or colliding
 * paths), which mingo handles. Output is the general path's: `_id` first, then included fields in
 * mingo's order (sorted by name), or the document's fields in their order minus the excluded ones.
 */
export function compileSimpleProjection(projection: Document): Projector | null {
  const included: string[] = [];
  const excluded: Exclusions = new Map();
  let excludes = false;
  let keepId = true;
  let idIncluded = false;
  for (const key of Object.keys(projection)) {
    const value: unknown = projection[key];
    const path = key.split('.');
    if (!path.every((segment, depth) => plainSegment(segment, depth))) return null;
    if (value === false || value === 0) {
      if (key === '_id') {
        keepId = false;
        continue;
      }
      if (path[0] === '_id' || !addExclusion(excluded, path)) return null;
      excludes = true;
    } else if (value === true || (typeof value === 'number' && !Number.isNaN(value))) {
      if (path.length > 1) return null;
      if (key === '_id') idIncluded = true;
      else included.push(key);
    } else {
      return null;
    }
  }
  if ((included.length > 0 || idIncluded) && excludes) return null;
  if (included.length > 0) {
    included.sort();
    return (doc) => {
      const out: Document = {};
      if (keepId && hasField(doc, '_id')) out._id = doc._id as unknown;
      for (const key of included) if (hasField(doc, key)) out[key] = doc[key] as unknown;
      return out;
    };
  }
  // An inclusion projection of `_id` alone keeps just `_id`.
  if (!excludes && keepId) {
    return (doc) => (hasField(doc, '_id') ? { _id: doc._id as unknown } : {});
  }
  return (doc) => {
    const out: Document = {};
    if (keepId && hasField(doc, '_id')) out._id = doc._id as unknown;
    copyExcept(doc, excluded, out, true);
    return out;
  };
}

/** Adds a path to the tree; false when it collides with one already there (`a` and `a.b`). */
function addExclusion(tree: Exclusions, path: readonly string[]): boolean {
  let node = tree;
  for (let i = 0; i < path.length; i += 1) {
    const existing = node.get(path[i]);
    if (i === path.length - 1) {
      if (existing !== undefined) return false;
      node.set(path[i], true);
      return true;
    }
    if (existing === true) return false;
    if (existing === undefined) {
      const child: Exclusions = new Map();
      node.set(path[i], child);
      node = child;
    } else {
      node = existing;
    }
  }
  return true;
}

/** Copies `doc`'s fields into `out` in order, leaving out the excluded ones (and `_id` at the top). */
function copyExcept(doc: Document, excluded: Exclusions, out: Document, top: boolean): Document {
  for (const key of Object.keys(doc)) {
    if (top && key === '_id') continue;
    const rule = excluded.get(key);
    if (rule === true) continue;
    out[key] = rule === undefined ? (doc[key] as unknown) : excludeInside(doc[key], rule);
  }
  return out;
}

/** Applies nested exclusions to a value: into a sub-document, or into each sub-document of an array. */
function excludeInside(value: unknown, excluded: Exclusions): unknown {
  if (Array.isArray(value)) {
    return value.map((element: unknown) =>
      isPlainObject(element) ? copyExcept(element, excluded, {}, false) : element,
    );
  }
  return isPlainObject(value) ? copyExcept(value, excluded, {}, false) : value;
}

/** A field name the fast path takes: not empty, no `$` (operators, positional), not an array index below the top. */
function plainSegment(segment: string, depth: number): boolean {
  return (
    segment !== '' &&
    !segment.includes('$') &&
    !(depth > 0 && /^\d+$/.test(segment)) &&
    !UNSAFE_SEGMENTS.has(segment)
  );
}

function hasField(doc: Document, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(doc, key) && doc[key] !== undefined;
}
