import type { Connection, mongo } from 'mongoose';

interface KnownSenderDocument {
  /** A keyed digest of the number (never the number itself). */
  _id: string;
  lastTextedAt: Date;
}

const COLLECTION = 'sms_known_senders';

/**
 * Numbers that have texted us (through the signed webhook): such a number is the customer's own, so
 * sending it a ticket SMS needs no confirmation. Kept as keyed digests: the collection names no phone.
 */
export class KnownSmsSenders {
  /** Numbers this process has recorded already: a customer's every message need not write again. */
  private readonly recorded = new Set<string>();

  constructor(
    private readonly connection: Connection,
    private readonly keyOf: (phoneNumber: string) => string,
    private readonly maxRemembered = 50_000,
  ) {}

  async remember(phoneNumber: string, at: Date): Promise<void> {
    const key = this.keyOf(phoneNumber);
    if (this.recorded.has(key)) return;
    await this.collection().updateOne({ _id: key }, { $set: { lastTextedAt: at } }, { upsert: true });
    if (this.recorded.size >= this.maxRemembered) this.recorded.clear();
    this.recorded.add(key);
  }

  async hasTexted(phoneNumber: string): Promise<boolean> {
    const key = this.keyOf(phoneNumber);
    if (this.recorded.has(key)) return true;
    const doc = await this.collection().findOne({ _id: key }, { projection: { _id: 1 } });
    return doc !== null;
  }

  private collection(): mongo.Collection<KnownSenderDocument> {
    return this.connection.collection<KnownSenderDocument>(COLLECTION);
  }
}
