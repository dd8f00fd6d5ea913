import { Schema, type Connection, type Model, type mongo } from 'mongoose';

interface OptOutDocument {
  /** The customer's E.164 number. */
  _id: string;
  optedOut: boolean;
  /** What changed it: the keyword texted, or the provider error that told us (e.g. Twilio 21610). */
  source: string;
  changedAt: Date;
}

const COLLECTION = 'sms_opt_outs';

/**
 * Who has texted STOP. Persisted, and checked before every outbound SMS (replies, notifications,
 * agent messages), so an opt-out holds across restarts and instances.
 */
export class SmsOptOutRegistry {
  private readonly model: Model<OptOutDocument>;

  constructor(connection: Connection) {
    const schema = new Schema<OptOutDocument>(
      {
        _id: { type: String, required: true },
        optedOut: { type: Boolean, required: true },
        source: { type: String, required: true },
        changedAt: { type: Date, required: true },
      },
      { collection: COLLECTION, versionKey: false },
    );
    this.model =
      (connection.models[COLLECTION] as Model<OptOutDocument> | undefined) ??
      connection.model<OptOutDocument>(COLLECTION, schema);
  }

  async isOptedOut(phoneNumber: string): Promise<boolean> {
    // Checked before every send: the driver's findOne, without mongoose's query machinery.
    const collection = this.model.collection as unknown as mongo.Collection<OptOutDocument>;
    const doc = await collection.findOne({ _id: phoneNumber }, { projection: { optedOut: 1 } });
    return doc?.optedOut === true;
  }

  async optOut(phoneNumber: string, source: string, at: Date = new Date()): Promise<void> {
    await this.set(phoneNumber, true, source, at);
  }

  async optIn(phoneNumber: string, source: string, at: Date = new Date()): Promise<void> {
    await this.set(phoneNumber, false, source, at);
  }

  private async set(phoneNumber: string, optedOut: boolean, source: string, changedAt: Date): Promise<void> {
    await this.model
      .updateOne({ _id: phoneNumber }, { $set: { optedOut, source, changedAt } }, { upsert: true })
      .exec();
  }
}
