import type { Document } from 'bson';
import { asNumber, isPlainObject } from './bsonValues';
import { MongoCommandError } from './mongoError';
import { StoreQuery } from './storeOperators';

type ArrayProjector = (source: Document, out: Document) => void;

export interface SplitProjection {
  /** The projection without `$slice` / `$elemMatch` fields (what the general projection handles). */
  rest: Document;
  /** Applied afterwards, from the source document onto each projected one. */
  apply: ArrayProjector[];
}

const LOGICAL = new Set(['$and', '$or', '$nor', '$expr', '$where', '$comment']);

/**
 * Takes the `$slice` and `$elemMatch` projections out of a find projection, as MongoDB applies
 * them: they neither make a projection an inclusion nor an exclusion (with nothing else, every
 * other field is returned), and each trims one array. Null when the projection has neither.
 */
export function splitArrayProjection(projection: Document): SplitProjection | null {
  const special = Object.entries(projection).filter(
    ([, value]) => isPlainObject(value) && ('$slice' in value || '$elemMatch' in value),
  );
  if (special.length === 0) return null;
  const rest: Document = {};
  for (const [key, value] of Object.entries(projection)) {
    if (!special.some(([name]) => name === key)) rest[key] = value as unknown;
  }
  const fields = Object.entries(rest).filter(([key]) => key !== '_id');
  // `$slice` alone keeps every other field; `$elemMatch` is an inclusion unless fields are excluded.
  const inclusion =
    fields.some(([, value]) => value !== 0 && value !== false) ||
    (fields.length === 0 && special.some(([, spec]) => '$elemMatch' in spec));
  const apply: ArrayProjector[] = [];
  for (const [path, spec] of special as Array<[string, Document]>) {
    if (inclusion) rest[path] = 1;
    if ('$slice' in spec) {
      const slice = sliceOf(spec.$slice);
      apply.push((source, out) => replaceAtPath(source, out, path.split('.'), slice));
    } else {
      if (path.includes('.')) {
        throw new MongoCommandError('BadValue', 'Cannot use $elemMatch projection on a nested field.');
      }
      const matches = elementMatcher(spec.$elemMatch);
      apply.push((source, out) => {
        const array: unknown = source[path];
        delete out[path];
        if (!Array.isArray(array)) return;
        const first = (array as unknown[]).find(matches);
        // MongoDB returns the $elemMatch field after the other fields.
        if (first !== undefined) out[path] = [first];
      });
    }
  }
  return { rest, apply };
}

function sliceOf(spec: unknown): (array: unknown[]) => unknown[] {
  const single = asNumber(spec);
  if (single !== undefined) {
    return single >= 0 ? (array) => array.slice(0, single) : (array) => array.slice(single);
  }
  if (Array.isArray(spec) && spec.length === 2) {
    const skip = asNumber(spec[0]);
    const limit = asNumber(spec[1]);
    if (skip !== undefined && limit !== undefined) {
      if (limit <= 0) throw new MongoCommandError('BadValue', '$slice limit must be positive');
      return (array) => {
        const start = skip >= 0 ? skip : Math.max(array.length + skip, 0);
        return array.slice(start, start + limit);
      };
    }
  }
  throw new MongoCommandError('BadValue', '$slice only supports numbers and [skip, limit] arrays');
}

function elementMatcher(condition: unknown): (element: unknown) => boolean {
  if (!isPlainObject(condition)) {
    throw new MongoCommandError('BadValue', '$elemMatch needs an Object');
  }
  const keys = Object.keys(condition);
  const valueOperators = keys.length > 0 && keys.every((key) => key.startsWith('$') && !LOGICAL.has(key));
  if (valueOperators) {
    // `{ $gte: 5 }`: a condition on the element itself.
    const query = new StoreQuery({ v: condition });
    return (element) => query.test({ v: element });
  }
  const query = new StoreQuery(condition);
  return (element) => isPlainObject(element) && query.test(element);
}

/**
 * Slices the array at `parts` in the projected document, copying the objects on the way (the
 * projected document may share them with the stored one, which must stay unchanged).
 */
function replaceAtPath(
  source: unknown,
  out: Document,
  parts: readonly string[],
  slice: (array: unknown[]) => unknown[],
): void {
  const [head, ...tail] = parts;
  if (!Object.prototype.hasOwnProperty.call(out, head)) return;
  const value: unknown = out[head];
  const original: unknown = isPlainObject(source) ? source[head] : undefined;
  if (tail.length === 0) {
    if (Array.isArray(original)) out[head] = slice(original as unknown[]);
    return;
  }
  if (isPlainObject(value)) {
    const copy = { ...value };
    replaceAtPath(original, copy, tail, slice);
    out[head] = copy;
  } else if (Array.isArray(value)) {
    const originals = Array.isArray(original) ? (original as unknown[]) : [];
    out[head] = (value as unknown[]).map((element, i) => {
      if (!isPlainObject(element)) return element;
      const copy = { ...element };
      replaceAtPath(originals[i], copy, tail, slice);
      return copy;
    });
  }
}
