import { ObjectId, type Document } from 'bson';
import { encodeKeyValue, isPlainObject, MISSING, valuesAtPath } from './bsonValues';

export type DocumentPredicate = (doc: Document) => boolean;

/** Values whose equality semantics we reproduce exactly: a field equals one, or an array holds it. */
function isSimpleScalar(value: unknown): boolean {
  return (
    typeof value === 'string' ||
    typeof value === 'boolean' ||
    (typeof value === 'number' && Number.isFinite(value)) ||
    value instanceof ObjectId ||
    value instanceof Date
  );
}

/**
 * Compiles the most common filter shapes — top-level equalities on strings, numbers, booleans,
 * ObjectIds and dates (`{ email: 'a@b.c', status: 'open' }`), and `$in` lists of such values
 * (`{ _id: { $in: keys } }`) — into a direct predicate, so lookups by key don't pay for building a
 * general query. Returns null for anything else (mingo handles it). Matching follows MongoDB: the
 * field equals a value, or is an array containing one; numbers compare by value across
 * int32/int64/double.
 */
export function compileSimpleFilter(filter: Document): DocumentPredicate | null {
  const checks: Array<{ path: string; keys: ReadonlySet<string> }> = [];
  for (const [path, condition] of Object.entries(filter)) {
    if (path === '' || path.startsWith('$')) return null;
    let values: unknown[] = [condition];
    if (isPlainObject(condition)) {
      const operators = Object.keys(condition);
      if (operators.length !== 1) return null;
      if (operators[0] === '$eq') values = [condition.$eq];
      else if (operators[0] === '$in' && Array.isArray(condition.$in)) values = condition.$in as unknown[];
      else return null;
    }
    if (!values.every(isSimpleScalar)) return null;
    checks.push({ path, keys: new Set(values.map(encodeKeyValue)) });
  }
  if (checks.length === 0) return () => true;
  return (doc) =>
    checks.every(({ path, keys }) => {
      if (!path.includes('.')) {
        const direct: unknown = doc[path];
        if (!Array.isArray(direct)) return direct !== undefined && keys.has(encodeKeyValue(direct));
      }
      return valuesAtPath(doc, path).some((found) => found !== MISSING && keys.has(encodeKeyValue(found)));
    });
}
