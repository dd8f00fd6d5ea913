import { Schema, type Connection, type Model, type mongo } from 'mongoose';
import type { OutboxStatus } from '../tickets/ticketModel';
import type { ClaimedNotification, NotificationOutbox, OutboundKind } from './notificationOutbox';

/** A message to send that belongs to no ticket: a reply to an inbound SMS, a proactive message. */
export interface OutboundMessage {
  /** Unique and stable: the idempotency key (e.g. `reply:<MessageSid>:<index>`); enqueuing it again is a no-op. */
  id: string;
  kind: Exclude<OutboundKind, 'ticket'>;
  to: string;
  body: string;
  compliance?: boolean;
  /** Messages with the same key (the recipient) go out in the order they were enqueued. */
  orderKey?: string;
}

/** The entry as stored: the same fields as a ticket's outbox entry (ticketModel's OutboxDoc), own collection. */
interface MessageDoc {
  _id: string;
  kind: Exclude<OutboundKind, 'ticket'>;
  channel: 'sms';
  to: string;
  body: string;
  compliance?: boolean;
  orderKey?: string;
  /** Enqueue order within an orderKey. */
  order: number;
  status: OutboxStatus;
  attempts: number;
  createdAt: Date;
  nextAttemptAt?: Date;
  leaseUntil?: Date;
  leaseOwner?: string;
  /** When the dispatcher next needs to look (pending: nextAttemptAt; sending: leaseUntil); unset when finished. */
  dueAt?: Date;
  providerMessageId?: string;
  sentAt?: Date;
  lastError?: string;
  /** Finished entries are kept a while (their ids are idempotency keys), then deleted. */
  expiresAt?: Date;
}

const COLLECTION = 'outbox';
const DUPLICATE_KEY = 11000;
const UNFINISHED: OutboxStatus[] = ['pending', 'sending'];

/**
 * The outbox for messages that are not a ticket's: the same lease / retry / idempotency states as
 * the tickets' outbox (TicketOutbox), delivered by the same dispatcher. An instance that writes a
 * message it is about to send (a turn's reply) enqueues it already leased to itself and delivers it
 * at once; after a failure or a crash the dispatcher takes it from here.
 */
export class MessageOutbox implements NotificationOutbox {
  readonly name = 'messages';
  private readonly model: Model<MessageDoc>;
  private readonly retentionMs: number;
  private sequence = 0;

  constructor(connection: Connection, options: { retentionMs?: number } = {}) {
    this.retentionMs = options.retentionMs ?? 7 * 24 * 60 * 60 * 1000;
    const schema = new Schema<MessageDoc>(
      {
        _id: { type: String, required: true },
        kind: { type: String, enum: ['reply', 'proactive'], required: true },
        channel: { type: String, enum: ['sms'], required: true },
        to: { type: String, required: true },
        body: { type: String, required: true },
        compliance: Boolean,
        orderKey: String,
        order: { type: Number, required: true },
        status: {
          type: String,
          enum: ['pending', 'sending', 'sent', 'failed', 'suppressed'],
          required: true,
        },
        attempts: { type: Number, required: true },
        createdAt: { type: Date, required: true },
        nextAttemptAt: Date,
        leaseUntil: Date,
        leaseOwner: String,
        dueAt: Date,
        providerMessageId: String,
        sentAt: Date,
        lastError: String,
        expiresAt: Date,
      },
      { collection: COLLECTION, versionKey: false },
    );
    schema.index({ dueAt: 1 }, { sparse: true });
    schema.index({ orderKey: 1, order: 1 });
    schema.index({ expiresAt: 1 }, { expireAfterSeconds: 0 });
    this.model =
      (connection.models[COLLECTION] as Model<MessageDoc> | undefined) ??
      connection.model<MessageDoc>(COLLECTION, schema);
  }

  private get collection(): mongo.Collection<MessageDoc> {
    return this.model.collection as unknown as mongo.Collection<MessageDoc>;
  }

  async init(): Promise<void> {
    await this.model.init();
  }

  /**
   * Stores messages (in order). With `leasedTo`, they are stored already claimed by that owner and
   * returned as claims to deliver now, unless an earlier message to the same `orderKey` is still
   * unfinished (then they are stored pending, behind it); an id already stored is left as it is.
   */
  async enqueue(
    messages: readonly OutboundMessage[],
    options: {
      now: Date;
      leasedTo?: { owner: string; leaseMs: number };
      /** The caller checked the recipient's opt-out moments ago (a turn's replies). */
      fresh?: boolean;
    },
  ): Promise<ClaimedNotification[]> {
    if (messages.length === 0) return [];
    const { now } = options;
    // An earlier message to the same recipient waiting for a retry goes first: then these wait
    // for the dispatcher, which sends them in order, instead of being sent now. (One being sent
    // right now is not waited for: it is about to be recorded, and waiting would delay every
    // message that follows another closely.)
    const orderKey = messages[0]?.orderKey;
    const behind =
      options.leasedTo !== undefined &&
      orderKey !== undefined &&
      (await this.collection.findOne({ orderKey, status: 'pending' }, { projection: { _id: 1 } })) !== null;
    const leasedTo = behind ? undefined : options.leasedTo;
    const leaseUntil = leasedTo ? new Date(now.getTime() + leasedTo.leaseMs) : undefined;
    const base = now.getTime() * 1_000;
    const docs: MessageDoc[] = messages.map((message) => {
      this.sequence = (this.sequence + 1) % 1_000;
      const doc: MessageDoc = {
        _id: message.id,
        kind: message.kind,
        channel: 'sms',
        to: message.to,
        body: message.body,
        order: base + this.sequence,
        status: leasedTo ? 'sending' : 'pending',
        attempts: leasedTo ? 1 : 0,
        createdAt: now,
        dueAt: leaseUntil ?? now,
      };
      if (message.compliance) doc.compliance = true;
      if (message.orderKey) doc.orderKey = message.orderKey;
      if (leasedTo && leaseUntil) {
        doc.leaseOwner = leasedTo.owner;
        doc.leaseUntil = leaseUntil;
      } else doc.nextAttemptAt = now;
      return doc;
    });
    const inserted = new Set<number>(docs.map((_doc, index) => index));
    try {
      await this.collection.insertMany(docs, { ordered: false });
    } catch (error) {
      const writeErrors = (error as { writeErrors?: unknown }).writeErrors;
      const failures = Array.isArray(writeErrors)
        ? (writeErrors as Array<{ index?: unknown; code?: unknown }>)
        : [{ index: 0, code: (error as { code?: unknown }).code }];
      if (
        failures.some((failure) => failure.code !== DUPLICATE_KEY) ||
        (!Array.isArray(writeErrors) && docs.length > 1)
      )
        throw error;
      for (const failure of failures) if (typeof failure.index === 'number') inserted.delete(failure.index);
    }
    if (!leasedTo) return [];
    return docs
      .filter((_doc, index) => inserted.has(index))
      .map((doc) => {
        const { order: _order, ...claim } = this.claimOf(doc, leasedTo.owner);
        return options.fresh ? { ...claim, fresh: true } : claim;
      });
  }

  async claimDue(options: {
    now: Date;
    leaseMs: number;
    owner: string;
    limit: number;
  }): Promise<ClaimedNotification[]> {
    const { now, leaseMs, owner, limit } = options;
    const due = await this.collection
      .find({ dueAt: { $lte: now } })
      .sort({ dueAt: 1 })
      .limit(limit)
      .toArray();
    const leaseUntil = new Date(now.getTime() + leaseMs);
    const claimed: Array<ClaimedNotification & { order: number }> = [];
    for (const doc of due) {
      if (!isDue(doc, now)) continue;
      // Same recipient: an earlier message still on its way goes first.
      if (doc.orderKey && !claimed.some((other) => other.orderKey === doc.orderKey)) {
        const earlier = await this.collection.findOne(
          { orderKey: doc.orderKey, order: { $lt: doc.order }, status: { $in: UNFINISHED } },
          { projection: { _id: 1 } },
        );
        if (earlier && !due.some((other) => other._id === earlier._id)) continue;
      }
      const result = await this.collection.updateOne(
        // Unchanged since read: nobody claimed, renewed or finished it meanwhile.
        { _id: doc._id, status: doc.status, attempts: doc.attempts, dueAt: doc.dueAt },
        {
          $set: { status: 'sending', leaseOwner: owner, leaseUntil, dueAt: leaseUntil },
          $inc: { attempts: 1 },
          $unset: { nextAttemptAt: '' },
        },
      );
      if (result.modifiedCount === 1)
        claimed.push(this.claimOf({ ...doc, attempts: doc.attempts + 1, leaseUntil }, owner));
    }
    return claimed.sort((a, b) => a.order - b.order).map(({ order: _order, ...claim }) => claim);
  }

  async markSent(
    notification: ClaimedNotification,
    result: { providerMessageId: string; at: Date },
  ): Promise<void> {
    // Recorded even if our lease ran out meanwhile: it was delivered, and nobody must send it again.
    await this.collection.updateOne(
      { _id: notification.id, status: { $ne: 'sent' } },
      {
        $set: {
          status: 'sent',
          providerMessageId: result.providerMessageId,
          sentAt: result.at,
          expiresAt: new Date(result.at.getTime() + this.retentionMs),
        },
        $unset: { leaseUntil: '', leaseOwner: '', nextAttemptAt: '', dueAt: '' },
      },
    );
  }

  async markFailed(
    notification: ClaimedNotification,
    result: { at: Date; error: string } & ({ retryAt: Date } | { final: 'failed' | 'suppressed' }),
  ): Promise<void> {
    const mine = { _id: notification.id, status: 'sending' as const, leaseOwner: notification.owner };
    await this.collection.updateOne(
      mine,
      'retryAt' in result
        ? {
            $set: {
              status: 'pending',
              lastError: result.error,
              nextAttemptAt: result.retryAt,
              dueAt: result.retryAt,
            },
            $unset: { leaseUntil: '', leaseOwner: '' },
          }
        : {
            $set: {
              status: result.final,
              lastError: result.error,
              expiresAt: new Date(result.at.getTime() + this.retentionMs),
            },
            $unset: { leaseUntil: '', leaseOwner: '', nextAttemptAt: '', dueAt: '' },
          },
    );
  }

  async release(notification: ClaimedNotification, at: Date): Promise<void> {
    await this.collection.updateOne(
      { _id: notification.id, status: 'sending', leaseOwner: notification.owner },
      {
        $set: { status: 'pending', nextAttemptAt: at, dueAt: at },
        $inc: { attempts: -1 },
        $unset: { leaseUntil: '', leaseOwner: '' },
      },
    );
  }

  async renew(notifications: readonly ClaimedNotification[], leaseUntil: Date): Promise<void> {
    for (const notification of notifications) {
      await this.collection.updateOne(
        { _id: notification.id, status: 'sending', leaseOwner: notification.owner },
        { $set: { leaseUntil, dueAt: leaseUntil } },
      );
    }
  }

  async reclaim(owner: string, now: Date): Promise<number> {
    // The attempt stays counted: it may have reached the provider, whose idempotency key dedupes it.
    const result = await this.collection.updateMany(
      { status: 'sending', leaseOwner: owner },
      {
        $set: { status: 'pending', nextAttemptAt: now, dueAt: now },
        $unset: { leaseUntil: '', leaseOwner: '' },
      },
    );
    return result.modifiedCount;
  }

  /** Whether a message with this id was ever enqueued (and not yet expired). */
  async has(id: string): Promise<boolean> {
    return (await this.collection.findOne({ _id: id }, { projection: { _id: 1 } })) !== null;
  }

  /** How many messages wait to be sent (pending or being sent). */
  async countUnfinished(): Promise<number> {
    return this.collection.countDocuments({ status: { $in: UNFINISHED } });
  }

  private claimOf(doc: MessageDoc, owner: string): ClaimedNotification & { order: number } {
    const claim: ClaimedNotification & { order: number } = {
      id: doc._id,
      store: this.name,
      sourceId: doc._id,
      kind: doc.kind,
      channel: 'sms',
      to: doc.to,
      body: doc.body,
      attempts: doc.attempts,
      owner,
      order: doc.order,
      queuedAt: doc.createdAt,
    };
    if (doc.compliance) claim.compliance = true;
    if (doc.orderKey) claim.orderKey = doc.orderKey;
    return claim;
  }
}

function isDue(doc: MessageDoc, now: Date): boolean {
  if (doc.status === 'pending') return (doc.nextAttemptAt ?? doc.createdAt).getTime() <= now.getTime();
  if (doc.status === 'sending')
    return doc.leaseUntil !== undefined && doc.leaseUntil.getTime() <= now.getTime();
  return false;
}
