import { Schema, type Connection, type Model, type mongo } from 'mongoose';

/**
 * Our own states ('submitting' before the provider answered, 'rejected' when it refused the message)
 * plus the provider's delivery states as Twilio reports them in status callbacks.
 */
export type OutboundSmsStatus =
  | 'submitting'
  | 'rejected'
  | 'accepted'
  | 'scheduled'
  | 'queued'
  | 'sending'
  | 'sent'
  | 'delivered'
  | 'read'
  | 'undelivered'
  | 'failed'
  | 'partially_delivered'
  | 'canceled';

/** Status callbacks can arrive out of order; a status only replaces one of lower rank. */
const STATUS_RANK: Record<OutboundSmsStatus, number> = {
  submitting: 0,
  accepted: 1,
  scheduled: 1,
  queued: 2,
  sending: 3,
  sent: 4,
  partially_delivered: 5,
  delivered: 6,
  undelivered: 6,
  failed: 6,
  canceled: 6,
  rejected: 6,
  read: 7,
};

export function isOutboundSmsStatus(value: string): value is OutboundSmsStatus {
  return Object.prototype.hasOwnProperty.call(STATUS_RANK, value);
}

export interface OutboundSmsRecord {
  idempotencyKey: string;
  to: string;
  body: string;
  status: OutboundSmsStatus;
  providerMessageId?: string;
  errorCode?: string;
  attempts: number;
  /** Every status callback, in arrival order (out-of-order ones included). */
  history: Array<{ status: OutboundSmsStatus; errorCode?: string; at: Date }>;
  createdAt: Date;
  updatedAt: Date;
}

interface OutboundSmsDocument {
  _id: string;
  to: string;
  body: string;
  status: OutboundSmsStatus;
  statusRank: number;
  providerMessageId?: string;
  errorCode?: string;
  attempts: number;
  /** The earliest attempt whose outcome we never learnt (a crash or timeout while Twilio had it). */
  inDoubtSince?: Date;
  history: Array<{ status: OutboundSmsStatus; errorCode?: string; at: Date }>;
  createdAt: Date;
  updatedAt: Date;
}

const COLLECTION = 'sms_outbound';
const DUPLICATE_KEY = 11000;

export type BeginResult =
  | { kind: 'new' }
  /** The provider already accepted this key: do not send again. */
  | { kind: 'already_sent'; providerMessageId: string }
  /** Every earlier attempt ended with the provider's answer (a temporary failure): send again. */
  | { kind: 'retry' }
  /**
   * An earlier attempt, started at `since` or later, never got the provider's answer (a crash, a
   * timeout): the provider may have accepted it. Look there before sending again.
   */
  | { kind: 'in_doubt'; since: Date };

/** Every SMS we send, keyed by its idempotency key, with the delivery status Twilio reports back. */
export class SmsOutboundLog {
  private readonly model: Model<OutboundSmsDocument>;

  constructor(connection: Connection) {
    const historyEntry = new Schema(
      {
        status: { type: String, required: true },
        errorCode: { type: String },
        at: { type: Date, required: true },
      },
      { _id: false },
    );
    const schema = new Schema<OutboundSmsDocument>(
      {
        _id: { type: String, required: true },
        to: { type: String, required: true },
        body: { type: String, default: '' },
        status: { type: String, required: true },
        statusRank: { type: Number, required: true },
        providerMessageId: { type: String, index: true },
        errorCode: { type: String },
        attempts: { type: Number, required: true },
        inDoubtSince: { type: Date },
        history: { type: [historyEntry], default: [] },
        createdAt: { type: Date, required: true },
        updatedAt: { type: Date, required: true },
      },
      { collection: COLLECTION, versionKey: false },
    );
    this.model =
      (connection.models[COLLECTION] as Model<OutboundSmsDocument> | undefined) ??
      connection.model<OutboundSmsDocument>(COLLECTION, schema);
  }

  /**
   * Records the attempt before calling the provider, so a status callback always finds its record
   * and a crash during the call leaves the attempt in doubt (`inDoubtSince`) rather than unknown.
   */
  async begin(idempotencyKey: string, to: string, body: string, at: Date): Promise<BeginResult> {
    try {
      await this.model.create({
        _id: idempotencyKey,
        to,
        body,
        status: 'submitting',
        statusRank: STATUS_RANK.submitting,
        attempts: 1,
        inDoubtSince: at,
        history: [],
        createdAt: at,
        updatedAt: at,
      });
      return { kind: 'new' };
    } catch (error) {
      if ((error as { code?: unknown }).code !== DUPLICATE_KEY) throw error;
    }
    // The earliest doubt is kept ($min): this attempt is in doubt too until it gets an answer.
    const before = await this.model
      .findOneAndUpdate(
        { _id: idempotencyKey },
        { $inc: { attempts: 1 }, $set: { updatedAt: at }, $min: { inDoubtSince: at } },
        { returnDocument: 'before' },
      )
      .lean()
      .exec();
    if (before?.providerMessageId)
      return { kind: 'already_sent', providerMessageId: before.providerMessageId };
    if (before?.inDoubtSince) return { kind: 'in_doubt', since: before.inDoubtSince };
    return { kind: 'retry' };
  }

  /**
   * The provider answered this attempt with an error: it did not take the message. When an earlier
   * attempt's doubt was cleared first (`doubtCleared`), nothing is left in doubt.
   */
  async attemptFailed(idempotencyKey: string, at: Date): Promise<void> {
    await this.model
      .updateOne({ _id: idempotencyKey }, { $unset: { inDoubtSince: 1 }, $set: { updatedAt: at } })
      .exec();
  }

  /**
   * The provider was asked and holds no message from the attempts in doubt: only the attempt about
   * to start (at `attemptStartedAt`) is in doubt now.
   */
  async doubtCleared(idempotencyKey: string, attemptStartedAt: Date): Promise<void> {
    await this.model
      .updateOne(
        { _id: idempotencyKey },
        { $set: { inDoubtSince: attemptStartedAt, updatedAt: attemptStartedAt } },
      )
      .exec();
  }

  /** Whether a provider message id is already recorded under another idempotency key. */
  async isRecordedElsewhere(providerMessageId: string, idempotencyKey: string): Promise<boolean> {
    const other = await this.model.exists({ providerMessageId, _id: { $ne: idempotencyKey } }).exec();
    return other !== null;
  }

  /**
   * The provider accepted the message. Its status is only set while still 'submitting': a status
   * callback may have got here first with later news. (An equality filter: the store's fast path.)
   */
  async accepted(
    idempotencyKey: string,
    providerMessageId: string,
    status: OutboundSmsStatus,
    at: Date,
  ): Promise<void> {
    const result = await this.model
      .updateOne(
        { _id: idempotencyKey, status: 'submitting' },
        {
          $set: { providerMessageId, status, statusRank: STATUS_RANK[status], updatedAt: at },
          $unset: { inDoubtSince: 1 },
        },
      )
      .exec();
    if (result.matchedCount === 0) {
      await this.model
        .updateOne(
          { _id: idempotencyKey },
          { $set: { providerMessageId, updatedAt: at }, $unset: { inDoubtSince: 1 } },
        )
        .exec();
    }
  }

  /**
   * Records a message the provider accepted on its first attempt, in one write (no 'submitting'
   * record before it). A status callback that got here first has already created the record: then
   * only the message's details are added, its status is kept.
   */
  async recordAccepted(
    message: { idempotencyKey: string; to: string; body: string },
    providerMessageId: string,
    status: OutboundSmsStatus,
    at: Date,
  ): Promise<void> {
    const doc: OutboundSmsDocument = {
      _id: message.idempotencyKey,
      to: message.to,
      body: message.body,
      status,
      statusRank: STATUS_RANK[status],
      providerMessageId,
      attempts: 1,
      history: [],
      createdAt: at,
      updatedAt: at,
    };
    try {
      await (this.model.collection as unknown as mongo.Collection<OutboundSmsDocument>).insertOne(doc);
    } catch (error) {
      if ((error as { code?: unknown }).code !== DUPLICATE_KEY) throw error;
      await this.model
        .updateOne(
          { _id: message.idempotencyKey },
          { $set: { to: message.to, body: message.body, providerMessageId } },
        )
        .exec();
    }
  }

  /** The provider refused the message for good (invalid number, opted out…). */
  async rejected(idempotencyKey: string, errorCode: string | undefined, at: Date): Promise<void> {
    await this.advance({ _id: idempotencyKey }, 'rejected', errorCode, at);
  }

  /**
   * Applies a delivery status from a status callback; found by our key when the callback URL carries
   * it, else by the provider's message id. Returns false when no record matches.
   */
  async recordStatus(
    where: { idempotencyKey?: string; providerMessageId: string; to?: string },
    status: OutboundSmsStatus,
    errorCode: string | undefined,
    at: Date,
  ): Promise<boolean> {
    const filter = where.idempotencyKey
      ? { _id: where.idempotencyKey }
      : { providerMessageId: where.providerMessageId };
    const exists = await this.model.exists(filter).exec();
    if (!exists) {
      if (!where.idempotencyKey) return false;
      // The callback beat our own record of the send (written right after Twilio answered): start it.
      const entry = errorCode === undefined ? { status, at } : { status, errorCode, at };
      try {
        await this.model.create({
          _id: where.idempotencyKey,
          to: where.to || '(unknown)',
          body: '',
          status,
          statusRank: STATUS_RANK[status],
          providerMessageId: where.providerMessageId,
          ...(errorCode === undefined ? {} : { errorCode }),
          attempts: 1,
          history: [entry],
          createdAt: at,
          updatedAt: at,
        });
        return true;
      } catch (error) {
        if ((error as { code?: unknown }).code !== DUPLICATE_KEY) throw error;
      }
    } else if (where.idempotencyKey) {
      // The callback can beat our own "accepted" write; it carries the provider id too.
      await this.model
        .updateOne(
          { _id: where.idempotencyKey, providerMessageId: { $exists: false } },
          { $set: { providerMessageId: where.providerMessageId } },
        )
        .exec();
    }
    await this.advance(filter, status, errorCode, at);
    return true;
  }

  async get(idempotencyKey: string): Promise<OutboundSmsRecord | undefined> {
    const doc = await this.model.findById(idempotencyKey).lean().exec();
    return doc ? toRecord(doc) : undefined;
  }

  private async advance(
    filter: Record<string, unknown>,
    status: OutboundSmsStatus,
    errorCode: string | undefined,
    at: Date,
  ): Promise<void> {
    const rank = STATUS_RANK[status];
    const set: Record<string, unknown> = { status, statusRank: rank, updatedAt: at };
    if (errorCode !== undefined) set.errorCode = errorCode;
    const entry = errorCode === undefined ? { status, at } : { status, errorCode, at };
    const result = await this.model
      .updateOne({ ...filter, statusRank: { $lt: rank } }, { $set: set, $push: { history: entry } })
      .exec();
    if (result.matchedCount === 0) {
      // Older or equal news: keep it in the history only.
      await this.model.updateOne(filter, { $push: { history: entry } }).exec();
    }
  }
}

function toRecord(doc: OutboundSmsDocument): OutboundSmsRecord {
  const record: OutboundSmsRecord = {
    idempotencyKey: doc._id,
    to: doc.to,
    body: doc.body,
    status: doc.status,
    attempts: doc.attempts,
    history: doc.history.map((entry) => ({ ...entry })),
    createdAt: doc.createdAt,
    updatedAt: doc.updatedAt,
  };
  if (doc.providerMessageId !== undefined) record.providerMessageId = doc.providerMessageId;
  if (doc.errorCode !== undefined) record.errorCode = doc.errorCode;
  return record;
}
