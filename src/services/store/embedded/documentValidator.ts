import type { Document } from 'bson';
import { isPlainObject } from './bsonValues';
import type { Collection } from './collection';
import { MongoCommandError } from './mongoError';
import { mingoCall } from './queryEngine';
import { StoreQuery } from './storeOperators';

/** Compiled validators, per options object (collMod replaces the object, so the cache follows it). */
const compiled = new WeakMap<Document, StoreQuery | null>();

/**
 * The collection's validator as a query, or null when writes are not checked: no validator,
 * `validationLevel: 'off'`, `validationAction: 'warn'` (MongoDB only logs), or a `$jsonSchema`
 * validator (not implemented: see the README).
 */
function validatorOf(options: Document): StoreQuery | null {
  let query = compiled.get(options);
  if (query === undefined) {
    const validator: unknown = options.validator;
    const enforced =
      isPlainObject(validator) &&
      Object.keys(validator).length > 0 &&
      options.validationLevel !== 'off' &&
      options.validationAction !== 'warn' &&
      !usesJsonSchema(validator);
    query = enforced ? mingoCall(() => new StoreQuery(validator)) : null;
    compiled.set(options, query);
  }
  return query;
}

function usesJsonSchema(value: unknown): boolean {
  if (Array.isArray(value)) return (value as unknown[]).some(usesJsonSchema);
  if (!isPlainObject(value)) return false;
  return Object.entries(value).some(([key, inner]) => key === '$jsonSchema' || usesJsonSchema(inner));
}

/** Compiles a validator given to create/collMod, so a bad one is refused there as MongoDB does. */
export function checkValidator(validator: unknown): void {
  if (validator === undefined || usesJsonSchema(validator)) return;
  if (!isPlainObject(validator)) throw new MongoCommandError('TypeMismatch', "'validator' must be an object");
  mingoCall(() => new StoreQuery(validator));
}

/**
 * Refuses a document the collection's validator rejects (121 DocumentValidationFailure). With
 * `validationLevel: 'moderate'`, an update of a document that already failed validation passes.
 */
export function assertValid(collection: Collection, doc: Document, previous?: Document): void {
  if (collection.options.validator === undefined) return;
  const query = validatorOf(collection.options);
  if (!query || query.test(doc)) return;
  if (previous && collection.options.validationLevel === 'moderate' && !query.test(previous)) return;
  throw new MongoCommandError('DocumentValidationFailure', 'Document failed validation', {
    errInfo: {
      failingDocumentId: doc._id as unknown,
      details: { operatorName: '$and', schemaRulesNotSatisfied: [] },
    },
  });
}
