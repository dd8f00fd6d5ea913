import { randomUUID } from 'node:crypto';
import type { Storage, StoreItems } from 'botbuilder';
import { Schema, type Connection, type Model } from 'mongoose';

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

const DUPLICATE_KEY = 11000;

/**
 * botbuilder Storage on the project's MongoDB store, with MemoryStorage's eTag rules: a write
 * carrying an eTag only succeeds if the stored item still has it; '*' or no eTag overwrites.
 */
export class MongoStorage implements Storage {
  private readonly model: Model<BotStateDocument>;

  constructor(connection: Connection, collectionName = 'botstate') {
    const schema = new Schema<BotStateDocument>(
      {
        _id: { type: String, required: true },
        state: { type: String, required: true },
        eTag: { type: String, required: true },
        updatedAt: { type: Date, required: true },
      },
      { collection: collectionName, versionKey: false },
    );
    this.model =
      (connection.models[collectionName] as Model<BotStateDocument> | undefined) ??
      connection.model<BotStateDocument>(collectionName, schema);
  }

  async read(keys: string[]): Promise<StoreItems> {
    if (keys.length === 0) return {};
    const docs = await this.model
      .find({ _id: { $in: keys } })
      .lean()
      .exec();
    const items: StoreItems = {};
    for (const doc of docs) {
      const state = JSON.parse(doc.state) as Record<string, unknown>;
      items[doc._id] = { ...state, eTag: doc.eTag };
    }
    return items;
  }

  async write(changes: StoreItems): Promise<void> {
    await Promise.all(
      Object.entries(changes).map(([key, item]) => this.writeOne(key, item as Record<string, unknown>)),
    );
  }

  async delete(keys: string[]): Promise<void> {
    if (keys.length === 0) return;
    await this.model.deleteMany({ _id: { $in: keys } }).exec();
  }

  private async writeOne(key: string, item: Record<string, unknown>): Promise<void> {
    const { eTag: expected, ...rest } = item;
    const update = { state: JSON.stringify(rest), eTag: randomUUID(), updatedAt: new Date() };
    if (expected === undefined || expected === null || expected === '*' || expected === '') {
      await this.model.updateOne({ _id: key }, { $set: update }, { upsert: true }).exec();
      return;
    }
    if (typeof expected !== 'string') throw new TypeError(`Storage: the eTag of "${key}" must be a string`);
    const result = await this.model.updateOne({ _id: key, eTag: expected }, { $set: update }).exec();
    if (result.matchedCount === 1) return;
    // No match: either someone else wrote it (conflict) or it was never stored (first write wins).
    try {
      await this.model.create({ _id: key, ...update });
    } catch (error) {
      if ((error as { code?: unknown }).code === DUPLICATE_KEY) throw new ETagConflictError(key);
      throw error;
    }
  }
}
