import type { Document } from 'bson';
import { StoreQuery } from './storeOperators';
import {
  encodeKeyValue,
  formatValue,
  isPlainObject,
  MISSING,
  valuesAtParts,
  valuesAtPath,
} from './bsonValues';
import { MongoCommandError } from './mongoError';

/** The index description as listIndexes shows it: `{ v: 2, key, name, unique?, sparse?, … }`. */
export type IndexSpec = Document & { v: number; key: Document; name: string };

const NONE: readonly string[] = [];

/** A compound key explodes into one entry per combination of array elements; cap it like MongoDB does with parallel arrays. */
const MAX_KEYS_PER_DOCUMENT = 10_000;

/**
 * One secondary index: an in-memory map from the encoded key to the ids of the documents holding it,
 * so equality lookups are O(1) and unique constraints are checked before anything changes.
 */
export class CollectionIndex {
  readonly name: string;
  readonly fields: readonly string[];
  readonly unique: boolean;
  readonly sparse: boolean;
  /** Only 1/-1/hashed keys are equality-searchable; text/2dsphere specs are kept but never used to find. */
  readonly searchable: boolean;
  private readonly partial: StoreQuery | undefined;
  /** The index's field when it is a single top-level one. */
  private readonly topLevelField: string | null;
  /** Each field's path, split once. */
  private readonly paths: ReadonlyArray<readonly string[]>;
  /** Encoded key → the id of the one document holding it (most keys), or a set of them. */
  private readonly entries = new Map<string, string | Set<string>>();
  /**
   * Compound indexes only: the encoded value of the first field → the ids holding it (with how many
   * of their keys do), so an equality on the leading field alone (with a range or nothing on the
   * rest, e.g. `{ conversationId, seq: { $gt } }`) is served without a scan.
   */
  private readonly leading: Map<string, Map<string, number>> | undefined;

  constructor(readonly spec: IndexSpec) {
    this.name = spec.name;
    this.fields = Object.keys(spec.key);
    this.unique = spec.unique === true;
    this.sparse = spec.sparse === true;
    this.searchable = Object.values(spec.key).every(
      (direction) =>
        direction === 1 || direction === -1 || direction === 'hashed' || typeof direction === 'number',
    );
    const partialFilter: unknown = spec.partialFilterExpression;
    this.partial = isPlainObject(partialFilter) ? new StoreQuery(partialFilter) : undefined;
    this.topLevelField = this.fields.length === 1 && !this.fields[0].includes('.') ? this.fields[0] : null;
    this.paths = this.fields.map((field) => field.split('.'));
    this.leading = this.fields.length > 1 ? new Map() : undefined;
  }

  /** True when an equality on the first field alone can narrow a lookup (a compound index). */
  get servesLeadingField(): boolean {
    return this.leading !== undefined;
  }

  /** The ids of the documents whose first field holds `value` (compound indexes; else none). */
  lookupLeading(value: unknown): Iterable<string> {
    return this.leading?.get(encodeKeyValue(value))?.keys() ?? NONE;
  }

  /** How many documents the index holds (a sparse index skips those missing all its fields). */
  get documentCount(): number {
    return this.allIds().size;
  }

  /** Every id the index holds. */
  allIds(): Set<string> {
    const ids = new Set<string>();
    for (const holders of this.entries.values()) {
      if (typeof holders === 'string') ids.add(holders);
      else for (const id of holders) ids.add(id);
    }
    return ids;
  }

  /** True when lookups may use this index for equality on its fields (partial indexes may miss documents). */
  get usableForLookup(): boolean {
    return this.searchable && !this.partial;
  }

  /** The distinct encoded keys a document contributes, or [] when the index skips it (sparse/partial). */
  keysFor(doc: Document): string[] {
    if (this.partial && !this.partial.test(doc)) return [];
    if (this.topLevelField !== null) {
      // The common case, one top-level field holding a non-array: no path walk.
      const field = this.topLevelField;
      const value: unknown = Object.prototype.hasOwnProperty.call(doc, field) ? doc[field] : undefined;
      if (!Array.isArray(value)) {
        if (value === undefined && this.sparse) return [];
        return [encodeKeyValue(value)];
      }
    }
    const perField = this.paths.map((parts) => valuesAtParts(doc, parts));
    if (this.sparse && perField.every((values) => values.every((value) => value === MISSING))) return [];
    if (perField.length === 1) {
      return perField[0].length === 1
        ? [encodeKeyValue(perField[0][0])]
        : [...new Set(perField[0].map(encodeKeyValue))];
    }
    // One value per field (no arrays on the paths): one key, no combinations to build.
    if (perField.every((values) => values.length === 1)) {
      return [JSON.stringify(perField.map((values) => encodeKeyValue(values[0])))];
    }
    let combos: string[][] = [[]];
    for (const values of perField) {
      const encoded = [...new Set(values.map(encodeKeyValue))];
      const next: string[][] = [];
      for (const combo of combos) for (const value of encoded) next.push([...combo, value]);
      if (next.length > MAX_KEYS_PER_DOCUMENT) {
        throw new MongoCommandError('BadValue', `cannot index parallel arrays in index ${this.name}`);
      }
      combos = next;
    }
    return [...new Set(combos.map((combo) => JSON.stringify(combo)))];
  }

  /** Encodes a lookup key from one value per field (already known to be equalities). */
  encodeLookup(values: readonly unknown[]): string {
    const encoded = values.map(encodeKeyValue);
    return encoded.length === 1 ? encoded[0] : JSON.stringify(encoded);
  }

  /** The ids of the documents holding `key` (none: an empty list). */
  lookup(key: string): Iterable<string> {
    const holders = this.entries.get(key);
    if (holders === undefined) return NONE;
    return typeof holders === 'string' ? [holders] : holders;
  }

  /** The first key among `keys` already held by a document other than `selfId`, if unique. */
  findConflict(keys: readonly string[], selfId: string): string | undefined {
    if (!this.unique) return undefined;
    for (const key of keys) {
      const holders = this.entries.get(key);
      if (holders === undefined) continue;
      if (typeof holders === 'string') {
        if (holders !== selfId) return key;
        continue;
      }
      for (const holder of holders) if (holder !== selfId) return key;
    }
    return undefined;
  }

  add(keys: readonly string[], id: string): void {
    if (this.leading) {
      for (const key of keys) {
        const first = (JSON.parse(key) as string[])[0];
        let holders = this.leading.get(first);
        if (!holders) this.leading.set(first, (holders = new Map<string, number>()));
        holders.set(id, (holders.get(id) ?? 0) + 1);
      }
    }
    for (const key of keys) {
      const holders = this.entries.get(key);
      if (holders === undefined) this.entries.set(key, id);
      else if (typeof holders === 'string') {
        if (holders !== id) this.entries.set(key, new Set([holders, id]));
      } else holders.add(id);
    }
  }

  remove(keys: readonly string[], id: string): void {
    if (this.leading) {
      for (const key of keys) {
        const first = (JSON.parse(key) as string[])[0];
        const holders = this.leading.get(first);
        const count = holders?.get(id);
        if (!holders || count === undefined) continue;
        if (count > 1) holders.set(id, count - 1);
        else {
          holders.delete(id);
          if (holders.size === 0) this.leading.delete(first);
        }
      }
    }
    for (const key of keys) {
      const holders = this.entries.get(key);
      if (holders === undefined) continue;
      if (typeof holders === 'string') {
        if (holders === id) this.entries.delete(key);
        continue;
      }
      holders.delete(id);
      if (holders.size === 1) this.entries.set(key, holders.values().next().value as string);
      else if (holders.size === 0) this.entries.delete(key);
    }
  }

  clear(): void {
    this.entries.clear();
    this.leading?.clear();
  }

  /** The E11000 error MongoDB gives, with keyPattern and keyValue for the driver. */
  duplicateError(namespace: string, doc: Document, conflictKey: string): MongoCommandError {
    const keyPattern: Document = { ...this.spec.key };
    const keyValue: Document = {};
    const parts = this.fields.length === 1 ? [conflictKey] : (JSON.parse(conflictKey) as string[]);
    this.fields.forEach((field, i) => {
      // Report the array element that collided, not the whole array, as the server does.
      const values = valuesAtPath(doc, field);
      const value = values.find((candidate) => encodeKeyValue(candidate) === parts[i]) ?? values[0];
      keyValue[field] = value === MISSING || value === undefined ? null : value;
    });
    const printed = formatValue(keyValue);
    const collation: unknown = this.spec.collation;
    const collationNote = isPlainObject(collation) ? ` collation: ${formatValue(collation)}` : '';
    return new MongoCommandError(
      'DuplicateKey',
      `E11000 duplicate key error collection: ${namespace} index: ${this.name}${collationNote} dup key: ${printed}`,
      { keyPattern, keyValue },
    );
  }
}
