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
 * Compiles the most common filter shape — top-level equalities on strings, numbers, booleans,
 * ObjectIds and dates (`{ email: 'a@b.c', status: 'open' }`) — into a direct predicate, so lookups by
 * key don't pay for building a general query. Returns null for anything else (mingo handles it).
 * Matching follows MongoDB: the field equals the value, or is an array containing it; numbers
 * compare by value across int32/int64/double.
 */
export function compileSimpleFilter(filter: Document): DocumentPredicate | null {
  const checks: Array<{ path: string; key: string }> = [];
  for (const [path, condition] of Object.entries(filter)) {
    if (path === '' || path.startsWith('$')) return null;
    let value: unknown = condition;
    if (isPlainObject(condition)) {
      const operators = Object.keys(condition);
      if (operators.length !== 1 || operators[0] !== '$eq') return null;
      value = condition.$eq;
    }
    if (!isSimpleScalar(value)) return null;
    checks.push({ path, key: encodeKeyValue(value) });
  }
  if (checks.length === 0) return () => true;
  return (doc) =>
    checks.every(({ path, key }) => {
      if (!path.includes('.')) {
        const direct: unknown = doc[path];
        if (!Array.isArray(direct)) return direct !== undefined && encodeKeyValue(direct) === key;
      }
      return valuesAtPath(doc, path).some((found) => found !== MISSING && encodeKeyValue(found) === key);
    });
}
