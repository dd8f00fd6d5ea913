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
  constructor(
    private readonly connection: Connection,
    private readonly keyOf: (phoneNumber: string) => string,
  ) {}

  async remember(phoneNumber: string, at: Date): Promise<void> {
    await this.collection().updateOne(
      { _id: this.keyOf(phoneNumber) },
      { $set: { lastTextedAt: at } },
      { upsert: true },
    );
  }

  async hasTexted(phoneNumber: string): Promise<boolean> {
    const doc = await this.collection().findOne({ _id: this.keyOf(phoneNumber) }, { projection: { _id: 1 } });
    return doc !== null;
  }

  private collection(): mongo.Collection<KnownSenderDocument> {
    return this.connection.collection<KnownSenderDocument>(COLLECTION);
  }
}
