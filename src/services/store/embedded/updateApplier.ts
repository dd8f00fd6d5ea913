import { ObjectId, serialize, type Document } from 'bson';
import { update as mingoUpdate } from 'mingo/updater';
import { cloneDocument, encodeKeyValue, formatValue, isPlainObject } from './bsonValues';
import { MINGO_OPTIONS } from './mingoOptions';
import { MongoCommandError } from './mongoError';
import { mingoCall, type QueryEngine } from './queryEngine';
import { applySimpleUpdate } from './simpleUpdate';
import { STORE_CONTEXT } from './storeOperators';
import { applySets, planOperatorUpdate } from './updatePaths';

export type UpdateSpec = Document | Document[];

export interface UpdateOutcome {
  doc: Document;
  modified: boolean;
}

export interface UpdateOptions {
  arrayFilters?: Document[] | undefined;
  /** The statement's filter (the positional `$` operator needs it). */
  filter: Document;
}

type UpdateKind = 'pipeline' | 'operators' | 'replacement';

/**
 * Computes updated documents: simple operator updates directly (applySimpleUpdate), the rest
 * through mingo (plus `$setOnInsert`, which mingo lacks), replacements, and pipeline updates. Never
 * changes the stored document: the result is a new object (sharing unchanged sub-documents), which
 * the caller swaps in only once every check has passed.
 */
export class UpdateApplier {
  constructor(private readonly queries: QueryEngine) {}

  apply(db: string, current: Document, update: UpdateSpec, options: UpdateOptions): UpdateOutcome {
    switch (classify(update)) {
      case 'pipeline': {
        const next = keepId(
          current,
          this.queries.applyPipeline(db, cloneDocument(current), update as Document[]),
        );
        return { doc: next, modified: !sameDocument(current, next) };
      }
      case 'operators': {
        const { $setOnInsert: _ignored, ...operators } = update as Document;
        if (Object.keys(operators).length === 0) return { doc: current, modified: false };
        if (!options.arrayFilters || options.arrayFilters.length === 0) {
          const simple = applySimpleUpdate(current, operators);
          if (simple) return simple;
        }
        const next = cloneDocument(current);
        const changed = this.runOperators(next, operators, options.arrayFilters, options.filter);
        return { doc: next, modified: changed };
      }
      case 'replacement': {
        const next = replacementFor(current._id, update);
        return { doc: next, modified: !sameDocument(current, next) };
      }
    }
  }

  /** The document an upsert inserts: the filter's equality fields, then the update (with `$setOnInsert`). */
  upsertDocument(db: string, filter: Document, update: UpdateSpec, arrayFilters?: Document[]): Document {
    const seed: Document = {};
    collectEqualities(filter, seed);
    let doc: Document;
    switch (classify(update)) {
      case 'pipeline':
        doc = this.queries.applyPipeline(db, seed, update as Document[]);
        break;
      case 'operators': {
        const { $setOnInsert: onInsert, ...operators } = update as Document;
        if (onInsert !== undefined) {
          if (!isPlainObject(onInsert)) throw modifierTypeError('$setOnInsert', onInsert);
          assertNoConflicts(operators, onInsert);
          const set: unknown = operators.$set;
          operators.$set = { ...(isPlainObject(set) ? set : {}), ...onInsert };
        }
        doc = seed;
        if (Object.keys(operators).length > 0) this.runOperators(doc, operators, arrayFilters, undefined);
        break;
      }
      case 'replacement': {
        const replacement = update as Document;
        doc =
          replacement._id === undefined && seed._id !== undefined
            ? { _id: seed._id as unknown, ...replacement }
            : { ...replacement };
        break;
      }
    }
    if (doc._id === undefined) return { _id: new ObjectId(), ...doc };
    if (Object.keys(doc)[0] === '_id') return doc;
    const { _id, ...rest } = doc;
    return { _id: _id as unknown, ...rest };
  }

  /**
   * Applies operators in place: `$set` by the store (exact BSON equality decides "modified"), the
   * rest by mingo, on the concrete paths the plan resolved. A missing `filter` means an upsert's
   * new document is being built.
   */
  private runOperators(
    doc: Document,
    operators: Document,
    arrayFilters: Document[] | undefined,
    filter: Document | undefined,
  ): boolean {
    for (const [operator, argument] of Object.entries(operators)) {
      if (!isPlainObject(argument)) throw modifierTypeError(operator, argument);
    }
    return mingoCall(() => {
      const plan = planOperatorUpdate(doc, operators, { filter, arrayFilters, inserting: !filter });
      let changed = applySets(doc, plan.sets);
      if (Object.keys(plan.rest).length > 0) {
        const fields = mingoUpdate(doc, plan.rest, undefined, undefined, {
          queryOptions: { ...MINGO_OPTIONS, context: STORE_CONTEXT },
        });
        changed = fields.length > 0 || changed;
      }
      return changed;
    });
  }
}

function classify(update: UpdateSpec): UpdateKind {
  if (Array.isArray(update)) return 'pipeline';
  const keys = Object.keys(update);
  const operators = keys.filter((key) => key.startsWith('$')).length;
  if (operators === 0) return 'replacement';
  if (operators === keys.length) return 'operators';
  const field = keys.find((key) => !key.startsWith('$')) ?? '';
  throw new MongoCommandError(
    'FailedToParse',
    `Unknown modifier: ${field}. Expected a valid update modifier or pipeline-style update specified as an array`,
  );
}

function modifierTypeError(operator: string, argument: unknown): MongoCommandError {
  const type = Array.isArray(argument) ? 'array' : argument === null ? 'null' : typeof argument;
  return new MongoCommandError(
    'FailedToParse',
    `Modifiers operate on fields but we found type ${type} instead. For example: {$mod: {<field>: ...}} not {${operator}: ${formatValue(argument)}}`,
  );
}

function replacementFor(id: unknown, replacement: Document): Document {
  const { _id: newId, ...rest } = replacement;
  if (newId !== undefined && encodeKeyValue(newId) !== encodeKeyValue(id)) {
    throw new MongoCommandError(
      'ImmutableField',
      `After applying the update, the (immutable) field '_id' was found to have been altered to _id: ${formatValue(newId)}`,
    );
  }
  return { _id: id, ...rest };
}

function keepId(current: Document, next: Document): Document {
  if (next._id === undefined) return { _id: current._id as unknown, ...next };
  if (encodeKeyValue(next._id) !== encodeKeyValue(current._id)) {
    throw new MongoCommandError(
      'ImmutableField',
      "After applying the update, the (immutable) field '_id' was found to have been altered",
    );
  }
  return next;
}

function sameDocument(a: Document, b: Document): boolean {
  return Buffer.from(serialize(a)).equals(serialize(b));
}

/** Copies the filter's equality conditions (`{a: 1}`, `{a: {$eq: 1}}`, inside `$and`) into `target`. */
function collectEqualities(filter: Document, target: Document): void {
  for (const [key, value] of Object.entries(filter)) {
    if (key === '$and' && Array.isArray(value)) {
      for (const clause of value as unknown[]) if (isPlainObject(clause)) collectEqualities(clause, target);
      continue;
    }
    if (key.startsWith('$') || value instanceof RegExp) continue;
    let equal: unknown = value;
    if (isPlainObject(value) && Object.keys(value).some((name) => name.startsWith('$'))) {
      if (!('$eq' in value) || value.$eq instanceof RegExp) continue;
      equal = value.$eq;
    }
    setPath(target, key, cloneDocument(equal));
  }
}

function setPath(target: Document, path: string, value: unknown): void {
  const parts = path.split('.');
  let current: Document = target;
  for (const part of parts.slice(0, -1)) {
    const next: unknown = current[part];
    if (next === undefined) {
      const created: Document = {};
      current[part] = created;
      current = created;
    } else if (isPlainObject(next)) {
      current = next;
    } else {
      return;
    }
  }
  current[parts[parts.length - 1]] = value;
}

function assertNoConflicts(operators: Document, onInsert: Document): void {
  const paths: string[] = [];
  for (const argument of Object.values(operators))
    if (isPlainObject(argument)) paths.push(...Object.keys(argument));
  for (const path of Object.keys(onInsert)) {
    const clash = paths.find(
      (other) => other === path || other.startsWith(`${path}.`) || path.startsWith(`${other}.`),
    );
    if (clash !== undefined) {
      throw new MongoCommandError(
        'ConflictingUpdateOperators',
        `Updating the path '${path}' would create a conflict at '${clash}'`,
      );
    }
  }
}
