import { randomUUID } from 'node:crypto';
import type { Storage, StoreItems } from 'botbuilder';
import type { Connection, mongo } from 'mongoose';
import { UnavailableError } from '../errors';
import { StateCache, type CachedState } from './stateCache';
import { StateWriteBatcher } from './stateWriteBatcher';
import { ensureTtlIndex } from './ttlIndex';

interface BotStateDocument {
  _id: string;
  /** JSON text, exactly as other Bot Framework storages keep state (keys may contain "." or "$"). */
  state: string;
  eTag: string;
  updatedAt: Date;
}

export class ETagConflictError extends Error {
  constructor(key: string) {
    super(`Storage: the item "${key}" was changed by another turn (eTag conflict)`);
    this.name = 'ETagConflictError';
  }
}

/**
 * A Storage that remembers the JSON text (without the eTag) of each item its read() returned, so
 * change detection can compare against it instead of serialising the item again (see JsonBotState).
 */
export interface StoredText {
  storedText(item: object): string | undefined;
}

export function hasStoredText(storage: Storage): storage is Storage & StoredText {
  return typeof (storage as Partial<StoredText>).storedText === 'function';
}

export interface MongoStorageOptions {
  /** Default 'botstate'. */
  collectionName?: string;
  /**
   * Keep what this process wrote last (up to `maxBytes` of state JSON) and serve reads from it.
   * Only when no other process writes these keys: the embedded store (this process owns it), or
   * one instance per conversation. See StateCache.
   */
  cache?: { maxBytes: number };
  /**
   * RETENTION_STATE_DAYS in seconds: state nobody wrote for this long (an abandoned conversation)
   * is deleted by the store's TTL monitor. Applied by init().
   */
  retentionSeconds?: number;
}

/**
 * botbuilder Storage on the project's MongoDB store, with MemoryStorage's eTag rules: a write
 * carrying an eTag only succeeds if the stored item still has it; '*' or no eTag overwrites.
 *
 * A turn reads and writes its state once each, so this talks to the driver's collection directly
 * (one round trip per call, none of mongoose's query building and casting); with the cache on, a
 * conversation whose last turn ran in this process is read from memory.
 */
export class MongoStorage implements Storage, StoredText {
  private readonly collectionName: string;
  private readonly cache: StateCache | undefined;
  private readonly writer: StateWriteBatcher;
  private db: mongo.Db | undefined;
  private collection: mongo.Collection<BotStateDocument> | undefined;
  private readonly texts = new WeakMap<object, string>();

  constructor(
    private readonly connection: Connection,
    private readonly options: MongoStorageOptions = {},
  ) {
    this.collectionName = options.collectionName ?? 'botstate';
    this.cache =
      options.cache && options.cache.maxBytes > 0 ? new StateCache(options.cache.maxBytes) : undefined;
    this.writer = new StateWriteBatcher(() => ({ db: this.database(), name: this.collectionName }));
  }

  /** Creates the retention index (when retentionSeconds is set); call once before serving. */
  async init(): Promise<void> {
    if (this.options.retentionSeconds === undefined) return;
    await ensureTtlIndex(this.states(), 'updatedAt', this.options.retentionSeconds);
  }

  async read(keys: string[]): Promise<StoreItems> {
    const items: StoreItems = {};
    const missing: string[] = [];
    for (const key of keys) {
      const cached = this.cache?.get(key);
      if (cached) items[key] = this.parse(cached);
      else missing.push(key);
    }
    if (missing.length === 0) return items;
    const docs = await this.states()
      .find(missing.length === 1 ? { _id: missing[0] } : { _id: { $in: missing } }, {
        projection: { state: 1, eTag: 1 },
      })
      .toArray();
    for (const doc of docs) items[doc._id] = this.parse({ json: doc.state, eTag: doc.eTag });
    return items;
  }

  storedText(item: object): string | undefined {
    return this.texts.get(item);
  }

  async write(changes: StoreItems): Promise<void> {
    await Promise.all(
      Object.entries(changes).map(([key, item]) => this.writeOne(key, item as Record<string, unknown>)),
    );
  }

  async delete(keys: string[]): Promise<void> {
    if (keys.length === 0) return;
    for (const key of keys) this.cache?.writeStarted(key);
    try {
      await this.states().deleteMany({ _id: { $in: keys } });
    } finally {
      for (const key of keys) this.cache?.writeEnded(key, undefined);
    }
  }

  private async writeOne(key: string, item: Record<string, unknown>): Promise<void> {
    const { eTag: expected, ...rest } = item;
    if (expected !== undefined && expected !== null && typeof expected !== 'string')
      throw new TypeError(`Storage: the eTag of "${key}" must be a string`);
    const written: CachedState = { json: JSON.stringify(rest), eTag: randomUUID() };
    const set: Omit<BotStateDocument, '_id'> = {
      state: written.json,
      eTag: written.eTag,
      updatedAt: new Date(),
    };
    this.cache?.writeStarted(key);
    let succeeded = false;
    try {
      // With an eTag: update only that version; an item never stored is created (first write wins),
      // and one stored with another eTag makes the upsert collide on _id: a concurrent turn won.
      const outcome = await this.writer.write({
        key,
        filter: !expected || expected === '*' ? { _id: key } : { _id: key, eTag: expected },
        set,
        size: written.json.length + key.length,
      });
      if (outcome === 'duplicateKey') throw new ETagConflictError(key);
      succeeded = true;
    } finally {
      this.cache?.writeEnded(key, succeeded ? written : undefined);
    }
  }

  /** A fresh object every time: the turn mutates what it reads. */
  private parse(stored: CachedState): Record<string, unknown> {
    const state = JSON.parse(stored.json) as Record<string, unknown>;
    this.texts.set(state, stored.json);
    state.eTag = stored.eTag;
    return state;
  }

  private database(): mongo.Db {
    const db = this.connection.db;
    if (!db) throw new UnavailableError('The store is not connected');
    return db;
  }

  /** The driver's collection for the connection's current database (reconnects may replace it). */
  private states(): mongo.Collection<BotStateDocument> {
    const db = this.database();
    if (db !== this.db || !this.collection) {
      this.db = db;
      this.collection = db.collection<BotStateDocument>(this.collectionName);
    }
    return this.collection;
  }
}
