import { Binary, Decimal128, Long, ObjectId, Timestamp, type Document } from 'bson';

/** Marks "no value at this path" while walking a document (distinct from an explicit null). */
export const MISSING: unique symbol = Symbol('missing');
export type Missing = typeof MISSING;

export function isPlainObject(value: unknown): value is Document {
  if (value === null || typeof value !== 'object') return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** A numeric command argument, whichever BSON numeric type the client used. */
export function asNumber(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  if (value instanceof Long) return value.toNumber();
  if (value instanceof Decimal128) return Number(value.toString());
  return undefined;
}

/** MongoDB treats 1, true, 'yes' alike for boolean options; only 0/false/null/undefined are false. */
export function asBoolean(value: unknown): boolean {
  if (value === undefined || value === null || value === false) return false;
  const n = asNumber(value);
  return n === undefined ? true : n !== 0;
}

function numberKey(n: number): string {
  return Object.is(n, -0) ? '0' : String(n);
}

/**
 * A canonical string for a value, equal for values MongoDB considers equal in an index
 * (1, 1.0 and Long(1) alike; objects compared field by field in order).
 */
export function encodeKeyValue(value: unknown): string {
  if (value === null || value === undefined || value === MISSING) return 'n';
  switch (typeof value) {
    case 'string':
      return `S${value}`;
    case 'number':
      return `N${numberKey(value)}`;
    case 'boolean':
      return value ? 'B1' : 'B0';
    case 'bigint':
      return `N${Number.isSafeInteger(Number(value)) ? String(Number(value)) : value.toString()}`;
    default:
      break;
  }
  if (value instanceof ObjectId) return `O${value.toHexString()}`;
  if (value instanceof Date) return `D${value.getTime()}`;
  if (value instanceof Timestamp) return `T${value.t}:${value.i}`;
  if (value instanceof Long) {
    const n = value.toNumber();
    return `N${Number.isSafeInteger(n) ? numberKey(n) : value.toString()}`;
  }
  if (value instanceof Decimal128) return `N${numberKey(Number(value.toString()))}`;
  if (value instanceof Binary) return `X${value.sub_type}:${Buffer.from(value.buffer).toString('base64')}`;
  if (value instanceof RegExp) return `R${value.source}/${value.flags}`;
  if (Array.isArray(value)) return `A${JSON.stringify(value.map(encodeKeyValue))}`;
  if (isPlainObject(value)) {
    return `M${JSON.stringify(Object.entries(value).map(([k, v]) => [k, encodeKeyValue(v)]))}`;
  }
  const named = value as { constructor?: { name?: string }; toString(): string };
  return `?${named.constructor?.name ?? 'object'}:${JSON.stringify(named)}`;
}

/**
 * Every value a dotted path reaches, descending into arrays the way MongoDB's multikey indexes do:
 * an array at the end of the path contributes each element (an empty array contributes undefined).
 */
export function valuesAtPath(doc: unknown, path: string): unknown[] {
  return valuesAtParts(doc, path.split('.'));
}

/** valuesAtPath with the path already split at its dots. */
export function valuesAtParts(doc: unknown, parts: readonly string[]): unknown[] {
  const out: unknown[] = [];
  collect(doc, parts, 0, out);
  return out;
}

function collect(value: unknown, parts: readonly string[], i: number, out: unknown[]): void {
  if (i === parts.length) {
    if (Array.isArray(value)) {
      if (value.length === 0) out.push(undefined);
      else out.push(...(value as unknown[]));
    } else {
      out.push(value === undefined ? MISSING : value);
    }
    return;
  }
  const part = parts[i];
  if (Array.isArray(value)) {
    if (/^\d+$/.test(part)) {
      const element: unknown = value[Number(part)];
      collect(element, parts, i + 1, out);
      return;
    }
    let any = false;
    for (const element of value as unknown[]) {
      if (isPlainObject(element)) {
        any = true;
        collect(element[part], parts, i + 1, out);
      }
    }
    if (!any) out.push(MISSING);
    return;
  }
  if (isPlainObject(value) && Object.prototype.hasOwnProperty.call(value, part)) {
    collect(value[part], parts, i + 1, out);
    return;
  }
  out.push(MISSING);
}

/** Renders a value the way the server prints it in E11000 messages: `{ email: "a@b.c" }`. */
export function formatValue(value: unknown): string {
  if (value === null || value === undefined || value === MISSING) return 'null';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint')
    return String(value);
  if (value instanceof ObjectId) return `ObjectId('${value.toHexString()}')`;
  if (value instanceof Date) return `new Date(${value.getTime()})`;
  if (value instanceof Long) return value.toString();
  if (value instanceof Decimal128) return `${value.toString()}`;
  if (Array.isArray(value)) return `[ ${value.map(formatValue).join(', ')} ]`;
  if (isPlainObject(value)) {
    const fields = Object.entries(value).map(([k, v]) => `${k}: ${formatValue(v)}`);
    return fields.length === 0 ? '{}' : `{ ${fields.join(', ')} }`;
  }
  return (value as { toString(): string }).toString();
}

/**
 * Gives every Binary in a document that is about to be stored its own bytes. The BSON decoder makes
 * Binary values views into the buffer they were decoded from — a request's read buffer, or at
 * start-up the whole journal file — so one stored Binary would otherwise keep all of that alive.
 * Changes only Binary objects still pointing into such a buffer (fresh from decoding, owned by the
 * document being stored), never plain values; stored documents are not otherwise touched.
 */
export function detachBinaries(value: unknown): void {
  if (value instanceof Binary) {
    const view = value.buffer;
    if (view.byteLength !== view.buffer.byteLength) {
      value.buffer = Buffer.from(new Uint8Array(view).buffer);
    }
    return;
  }
  if (Array.isArray(value)) {
    for (const element of value as unknown[])
      if (element !== null && typeof element === 'object') detachBinaries(element);
    return;
  }
  if (isPlainObject(value)) {
    for (const key in value) {
      const field: unknown = value[key];
      if (field !== null && typeof field === 'object') detachBinaries(field);
    }
  }
}

/** Deep copy of a document tree; BSON value objects (ObjectId, Long, Binary…) are immutable and shared. */
export function cloneDocument<T>(value: T): T {
  if (Array.isArray(value)) return value.map((element: unknown) => cloneDocument(element)) as T;
  if (value instanceof Date) return new Date(value.getTime()) as T;
  if (isPlainObject(value)) {
    const copy: Document = {};
    for (const key of Object.keys(value)) {
      if (key === '__proto__') {
        // A stored field named __proto__ is data: assigning it would set the copy's prototype instead.
        Object.defineProperty(copy, key, {
          value: cloneDocument<unknown>(value[key]),
          enumerable: true,
          writable: true,
          configurable: true,
        });
      } else {
        copy[key] = cloneDocument<unknown>(value[key]);
      }
    }
    return copy as T;
  }
  return value;
}
