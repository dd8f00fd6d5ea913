import { serialize, type Document } from 'bson';
import { asNumber, isPlainObject, MISSING } from './bsonValues';
import { MongoCommandError } from './mongoError';

/** BSON type numbers (as `$type` takes them) by their alias. */
const TYPE_ALIASES: Readonly<Record<string, number>> = {
  double: 1,
  string: 2,
  object: 3,
  array: 4,
  binData: 5,
  undefined: 6,
  objectId: 7,
  bool: 8,
  date: 9,
  null: 10,
  regex: 11,
  dbPointer: 12,
  javascript: 13,
  symbol: 14,
  javascriptWithScope: 15,
  int: 16,
  timestamp: 17,
  long: 18,
  decimal: 19,
  minKey: -1,
  maxKey: 127,
};
const TYPE_NUMBERS = new Set(Object.values(TYPE_ALIASES));

interface BsonClass {
  _bsontype?: string;
  sub_type?: number;
  buffer?: Uint8Array;
  scope?: unknown;
}

const INT32_MIN = -2_147_483_648;
const INT32_MAX = 2_147_483_647;

/**
 * The BSON type number a decoded value has on the wire. Numbers are told apart the way the BSON
 * encoder writes them back: integers in int32 range as int, everything else as double; int64
 * values stay Long objects (the store decodes with promoteLongs off).
 */
export function bsonTypeOf(value: unknown): number {
  if (value === null) return 10;
  switch (typeof value) {
    case 'undefined':
      return 6;
    case 'string':
      return 2;
    case 'boolean':
      return 8;
    case 'number':
      return Number.isInteger(value) && value >= INT32_MIN && value <= INT32_MAX && !Object.is(value, -0)
        ? 16
        : 1;
    case 'bigint':
      return 18;
    default:
      break;
  }
  if (Array.isArray(value)) return 4;
  if (value instanceof Date) return 9;
  if (value instanceof RegExp) return 11;
  switch ((value as BsonClass)._bsontype) {
    case 'ObjectId':
      return 7;
    case 'Binary':
      return 5;
    case 'Long':
      return 18;
    case 'Int32':
      return 16;
    case 'Double':
      return 1;
    case 'Decimal128':
      return 19;
    case 'Timestamp':
      return 17;
    case 'BSONRegExp':
      return 11;
    case 'Code':
      return (value as BsonClass).scope ? 15 : 13;
    case 'BSONSymbol':
      return 14;
    case 'MinKey':
      return -1;
    case 'MaxKey':
      return 127;
    case 'DBPointer':
      return 12;
    default:
      return 3;
  }
}

/** The types a `$type` argument names (aliases, numbers, or an array of them); 'number' is any numeric type. */
export function parseTypeSpec(spec: unknown): Set<number | 'number'> {
  const wanted = new Set<number | 'number'>();
  for (const item of Array.isArray(spec) ? (spec as unknown[]) : [spec]) {
    if (typeof item === 'string') {
      if (item === 'number') wanted.add('number');
      else if (item in TYPE_ALIASES) wanted.add(TYPE_ALIASES[item]);
      else throw new MongoCommandError('BadValue', `Unknown type name alias: ${item}`);
      continue;
    }
    const n = asNumber(item);
    if (n === undefined || !Number.isInteger(n) || !TYPE_NUMBERS.has(n)) {
      throw new MongoCommandError('BadValue', `Invalid numerical type code: ${String(item)}`);
    }
    wanted.add(n);
  }
  return wanted;
}

export type BitTest = 'allSet' | 'anySet' | 'allClear' | 'anyClear';

/** The bit positions a `$bits…` argument names: a bitmask number, BinData, or an array of positions. */
export function parseBitPositions(operator: string, spec: unknown): number[] {
  if (Array.isArray(spec)) {
    return (spec as unknown[]).map((item) => {
      const n = asNumber(item);
      if (n === undefined || !Number.isInteger(n) || n < 0) {
        throw new MongoCommandError(
          'BadValue',
          `bit positions must be an integer but got: ${String(item)} (in ${operator})`,
        );
      }
      return n;
    });
  }
  const bytes = binaryBytes(spec);
  if (bytes) return setBits(bytes);
  const n = asNumber(spec);
  if (n === undefined || !Number.isInteger(n) || n < 0) {
    throw new MongoCommandError(
      'BadValue',
      `${operator} takes an Array, a number, or a BinData but received: ${String(spec)}`,
    );
  }
  const positions: number[] = [];
  for (let bit = 0, mask = BigInt(n); mask > 0n; bit += 1, mask >>= 1n) if (mask & 1n) positions.push(bit);
  return positions;
}

function binaryBytes(value: unknown): Uint8Array | undefined {
  const binary = value as BsonClass | null;
  return binary?._bsontype === 'Binary' && binary.buffer ? binary.buffer : undefined;
}

function setBits(bytes: Uint8Array): number[] {
  const positions: number[] = [];
  bytes.forEach((byte, i) => {
    for (let bit = 0; bit < 8; bit += 1) if (byte & (1 << bit)) positions.push(i * 8 + bit);
  });
  return positions;
}

/**
 * MongoDB's bitwise query test on one value: integral numbers as 64-bit two's complement (sign
 * bit extended past bit 63), BinData as little-endian bytes (bits past its end are clear); any
 * other value never matches.
 */
export function matchesBits(value: unknown, positions: readonly number[], mode: BitTest): boolean {
  let bitAt: (position: number) => boolean;
  const bytes = binaryBytes(value);
  if (bytes) {
    bitAt = (position) => position < bytes.length * 8 && (bytes[position >> 3] & (1 << (position & 7))) !== 0;
  } else {
    const integer = integerOf(value);
    if (integer === undefined) return false;
    bitAt = (position) => ((integer >> BigInt(Math.min(position, 63))) & 1n) === 1n;
  }
  switch (mode) {
    case 'allSet':
      return positions.every(bitAt);
    case 'anySet':
      return positions.some(bitAt);
    case 'allClear':
      return positions.every((position) => !bitAt(position));
    case 'anyClear':
      return positions.some((position) => !bitAt(position));
  }
}

function integerOf(value: unknown): bigint | undefined {
  if (typeof value === 'number') return Number.isInteger(value) ? BigInt(value) : undefined;
  if (typeof value === 'bigint') return value;
  const long = value as { _bsontype?: string; toBigInt?: () => bigint; toString(): string } | null;
  if (long?._bsontype === 'Long' && long.toBigInt) return long.toBigInt();
  if (long?._bsontype === 'Decimal128') {
    const n = Number(long.toString());
    return Number.isInteger(n) ? BigInt(n) : undefined;
  }
  return undefined;
}

/** MongoDB's canonical order of BSON types when comparing values of different types. */
function typeRank(value: unknown): number {
  if (value === MISSING || value === null || value === undefined) return 2;
  switch (bsonTypeOf(value)) {
    case -1:
      return 1;
    case 1:
    case 16:
    case 18:
    case 19:
      return 3;
    case 2:
    case 14:
      return 4;
    case 3:
      return 5;
    case 4:
      return 6;
    case 5:
      return 7;
    case 7:
      return 8;
    case 8:
      return 9;
    case 9:
      return 10;
    case 17:
      return 11;
    case 11:
      return 12;
    case 12:
      return 13;
    case 13:
      return 14;
    case 15:
      return 15;
    case 127:
      return 16;
    default:
      return 5;
  }
}

function sign(n: number): number {
  return n < 0 ? -1 : n > 0 ? 1 : 0;
}

function compareNumbers(a: unknown, b: unknown): number {
  const x = integerOf(a);
  const y = integerOf(b);
  if (x !== undefined && y !== undefined) return x < y ? -1 : x > y ? 1 : 0;
  const p = asNumber(a) ?? Number.NaN;
  const q = asNumber(b) ?? Number.NaN;
  // NaN sorts before every other number, as in MongoDB.
  if (Number.isNaN(p) || Number.isNaN(q)) return Number.isNaN(p) ? (Number.isNaN(q) ? 0 : -1) : 1;
  return sign(p - q);
}

export interface StringComparer {
  compare(a: string, b: string): number;
}

/** Strings in UTF-8 byte order (code point order), MongoDB's order without a collation. */
const binaryStrings: StringComparer = {
  compare(a, b) {
    if (a === b) return 0;
    const n = Math.min(a.length, b.length);
    let i = 0;
    while (i < n && a.charCodeAt(i) === b.charCodeAt(i)) i += 1;
    if (i === n) return a.length - b.length;
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    // A surrogate (a code point above U+FFFF) sorts after every other UTF-16 unit in UTF-8 order.
    const surrogateX = x >= 0xd800 && x <= 0xdfff;
    const surrogateY = y >= 0xd800 && y <= 0xdfff;
    if (surrogateX !== surrogateY) return surrogateX ? 1 : -1;
    return x - y;
  },
};

/**
 * Compares two values in MongoDB's sort order: by type class first, then by value — numbers
 * across int/long/double/decimal, strings by the collation (binary without one), BinData by
 * length, then subtype, then bytes, documents and arrays element by element.
 */
export function compareBson(a: unknown, b: unknown, strings: StringComparer = binaryStrings): number {
  // The common cases first: two strings, two plain numbers.
  if (typeof a === 'string' && typeof b === 'string') return sign(strings.compare(a, b));
  if (typeof a === 'number' && typeof b === 'number' && !Number.isNaN(a) && !Number.isNaN(b))
    return sign(a - b);
  const rankA = typeRank(a);
  const rankB = typeRank(b);
  if (rankA !== rankB) return sign(rankA - rankB);
  switch (rankA) {
    case 3:
      return compareNumbers(a, b);
    case 4:
      return sign(strings.compare(String(a), String(b)));
    case 5:
      return compareDocuments(a as Document, b as Document, strings);
    case 6: {
      const x = a as unknown[];
      const y = b as unknown[];
      for (let i = 0; i < Math.min(x.length, y.length); i += 1) {
        const order = compareBson(x[i], y[i], strings);
        if (order !== 0) return order;
      }
      return sign(x.length - y.length);
    }
    case 7: {
      const x = a as BsonClass;
      const y = b as BsonClass;
      const bytesX = x.buffer ?? new Uint8Array();
      const bytesY = y.buffer ?? new Uint8Array();
      if (bytesX.length !== bytesY.length) return sign(bytesX.length - bytesY.length);
      if (x.sub_type !== y.sub_type) return sign((x.sub_type ?? 0) - (y.sub_type ?? 0));
      return sign(Buffer.compare(Buffer.from(bytesX), Buffer.from(bytesY)));
    }
    case 8:
      return sign(String(a).localeCompare(String(b)));
    case 9:
      return sign(Number(a) - Number(b));
    case 10:
      return sign((a as Date).getTime() - (b as Date).getTime());
    case 11: {
      const x = a as { t: number; i: number };
      const y = b as { t: number; i: number };
      return sign(x.t - y.t) || sign(x.i - y.i);
    }
    case 12: {
      const x = a as RegExp;
      const y = b as RegExp;
      return sign(x.source.localeCompare(y.source)) || sign(x.flags.localeCompare(y.flags));
    }
    default:
      return 0;
  }
}

function compareDocuments(a: Document, b: Document, strings: StringComparer): number {
  const x = plainFields(a);
  const y = plainFields(b);
  for (let i = 0; i < Math.min(x.length, y.length); i += 1) {
    const [keyX, valueX] = x[i];
    const [keyY, valueY] = y[i];
    const order =
      sign(typeRank(valueX) - typeRank(valueY)) ||
      binaryStrings.compare(keyX, keyY) ||
      compareBson(valueX, valueY, strings);
    if (order !== 0) return sign(order);
  }
  return sign(x.length - y.length);
}

function plainFields(doc: Document): Array<[string, unknown]> {
  if (isPlainObject(doc)) return Object.entries(doc);
  // A DBRef and similar classes compare as the documents they encode to.
  return Object.entries(doc);
}

/** True when the two values encode to the same BSON (same types, same bytes, same field order). */
export function sameBson(a: unknown, b: unknown): boolean {
  if (a === b) return typeof a !== 'number' || !Object.is(a, -0) === !Object.is(b, -0);
  return Buffer.from(serialize({ v: a })).equals(serialize({ v: b }));
}
