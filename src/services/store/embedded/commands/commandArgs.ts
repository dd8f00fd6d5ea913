import { Long, type Document } from 'bson';
import { z } from 'zod';
import { asNumber, isPlainObject } from '../bsonValues';
import { MongoCommandError } from '../mongoError';

/** A BSON sub-document (not an array, not a BSON value class). */
export const bsonDocument = z.custom<Document>((value) => isPlainObject(value), 'expected an object');

/** Any BSON numeric type (int32, int64, double, decimal) as a JS number. */
export const bsonNumber = z
  .custom<number>((value) => asNumber(value) !== undefined, 'expected a number')
  .transform((value) => asNumber(value)!);

/** MongoDB accepts numbers as booleans in options (`multi: 1`). */
export const bsonBoolean = z
  .union([z.boolean(), bsonNumber])
  .transform((value) => (typeof value === 'boolean' ? value : value !== 0));

/** Cursor ids: int64 on the wire, bigint here. */
export const cursorId = z
  .custom<Long | number | bigint>(
    (value) => value instanceof Long || typeof value === 'number' || typeof value === 'bigint',
    'expected a cursor id',
  )
  .transform((value) => (value instanceof Long ? value.toBigInt() : BigInt(value)));

/** Commands carry many fields we don't read (lsid, $db, $readPreference, comment…): keep the schema loose. */
export function command<T extends z.ZodRawShape>(shape: T) {
  return z.looseObject(shape);
}

/** Validates a command against its schema, answering like the server: missing field 40414, wrong type 14. */
export function parseCommand<T extends z.ZodType>(
  schema: T,
  body: Document,
  commandName: string,
): z.output<T> {
  const parsed = schema.safeParse(body);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const field = [commandName, ...issue.path.map(String)].join('.');
  const value = valueAt(body, issue.path);
  if (value === undefined) {
    throw new MongoCommandError('Location40414', `BSON field '${field}' is missing but a required field`);
  }
  throw new MongoCommandError('TypeMismatch', `BSON field '${field}' is the wrong type: ${issue.message}`);
}

function valueAt(body: unknown, path: readonly PropertyKey[]): unknown {
  let current = body;
  for (const key of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current;
}
