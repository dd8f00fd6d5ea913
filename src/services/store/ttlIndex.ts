import type { mongo } from 'mongoose';

/** MongoDB's codes for "an index of that name or key exists with other options". */
const OPTIONS_CONFLICT = new Set([85, 86]);

/**
 * A TTL index on `field` that deletes a document `seconds` after the date in it (a document
 * without the field is never deleted). Both a real MongoDB and the embedded store run the
 * deletions themselves (their TTL monitors, about once a minute), so no sweeper of ours is needed.
 * When the retention setting changed, the index is rebuilt with the new value: `collMod`, which
 * would change it in place, is not something the embedded store speaks.
 */
export async function ensureTtlIndex<T extends mongo.Document>(
  collection: mongo.Collection<T>,
  field: string,
  seconds: number,
): Promise<void> {
  const name = `${field}_ttl`;
  const create = (): Promise<string> =>
    collection.createIndex({ [field]: 1 }, { name, expireAfterSeconds: seconds });
  try {
    await create();
  } catch (error) {
    if (!OPTIONS_CONFLICT.has(Number((error as { code?: unknown }).code))) throw error;
    await collection.dropIndex(name);
    await create();
  }
}
