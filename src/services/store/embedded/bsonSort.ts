import type { Document } from 'bson';
import type { CollationSpec } from 'mingo/types/types';
import { compareBson, type StringComparer } from './bsonTypes';
import { asNumber, isPlainObject, MISSING, valuesAtPath } from './bsonValues';
import { MongoCommandError } from './mongoError';

export type SortSpec = Record<string, 1 | -1>;

/**
 * Sorts documents as MongoDB's find does: by each key in turn, in BSON order (numbers across
 * types, BinData by length then subtype then bytes, strings by the collation), an array field by
 * its smallest element ascending and its largest descending; ties keep their input order.
 */
export function sortDocuments(
  docs: readonly Document[],
  sort: SortSpec,
  strings?: StringComparer,
): Document[] {
  const fields = Object.entries(sort);
  const keyed = docs.map((doc, index) => ({
    doc,
    index,
    keys: fields.map(([path, direction]) => sortKey(doc, path, direction, strings)),
  }));
  keyed.sort((a, b) => {
    for (let i = 0; i < fields.length; i += 1) {
      const order = compareBson(a.keys[i], b.keys[i], strings) * fields[i][1];
      if (order !== 0) return order;
    }
    return a.index - b.index;
  });
  return keyed.map((entry) => entry.doc);
}

function sortKey(doc: Document, path: string, direction: 1 | -1, strings?: StringComparer): unknown {
  const values = valuesAtPath(doc, path);
  let best: unknown = MISSING;
  for (const raw of values) {
    const value = raw === MISSING || raw === undefined ? null : raw;
    if (best === MISSING || compareBson(value, best, strings) * direction < 0) best = value;
  }
  return best === MISSING ? null : best;
}

export type { CollationSpec };

/**
 * The collation a client sent, checked and with its locale in the form JavaScript's Intl takes
 * (MongoDB accepts ICU's `en_US`; Intl wants `en-US`). Undefined for none or `simple` (binary).
 */
export function normaliseCollation(collation: unknown): CollationSpec | undefined {
  if (collation === undefined || collation === null) return undefined;
  if (!isPlainObject(collation) || typeof collation.locale !== 'string') {
    throw new MongoCommandError('FailedToParse', "BSON field 'locale' is missing but a required field");
  }
  if (collation.locale === 'simple') return undefined;
  const locale = collation.locale.replace(/_/g, '-');
  try {
    if (Intl.Collator.supportedLocalesOf([locale]).length === 0 && !['root', 'und'].includes(locale)) {
      throw new RangeError(locale);
    }
  } catch {
    throw new MongoCommandError(
      'BadValue',
      `Field 'locale' is invalid in: { locale: "${collation.locale}" }`,
    );
  }
  const strength = asNumber(collation.strength);
  const caseFirst: unknown = collation.caseFirst;
  return {
    locale: locale === 'root' ? 'und' : locale,
    ...(strength !== undefined ? { strength: strength as CollationSpec['strength'] } : {}),
    ...(typeof collation.caseLevel === 'boolean' ? { caseLevel: collation.caseLevel } : {}),
    ...(caseFirst === 'upper' || caseFirst === 'lower' || caseFirst === 'off' ? { caseFirst } : {}),
    ...(typeof collation.numericOrdering === 'boolean' ? { numericOrdering: collation.numericOrdering } : {}),
  };
}

/** A string comparer for a collation (ICU strengths mapped onto Intl's sensitivities). */
export function collationComparer(collation: CollationSpec): StringComparer {
  const strength = collation.strength ?? 3;
  const sensitivity =
    strength === 1 ? (collation.caseLevel ? 'case' : 'base') : strength === 2 ? 'accent' : 'variant';
  const collator = new Intl.Collator(collation.locale, {
    sensitivity,
    numeric: collation.numericOrdering ?? false,
    caseFirst:
      collation.caseFirst === 'upper' || collation.caseFirst === 'lower' ? collation.caseFirst : 'false',
    usage: 'sort',
  });
  return { compare: (a, b) => collator.compare(a, b) };
}
