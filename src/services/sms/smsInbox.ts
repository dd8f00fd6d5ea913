import { Schema, type Connection, type Model, type mongo } from 'mongoose';

export interface InboundMedia {
  url: string;
  contentType: string;
}

/** An SMS/MMS as Twilio delivered it to the webhook. */
export interface InboundSms {
  messageSid: string;
  accountSid: string;
  messagingServiceSid?: string;
  /** The customer's E.164 number. */
  from: string;
  /** Our number the customer texted. */
  to: string;
  body: string;
  media: InboundMedia[];
  /** Set when Twilio's Advanced Opt-Out already handled (and answered) a keyword: STOP, START or HELP. */
  optOutType?: string;
  receivedAt: Date;
}

/**
 * received → the turn has not run yet; replying → the turn ran and its replies are stored in
 * `replies` (sending them again is safe: each has its own idempotency key); done / failed → finished.
 */
export type InboxState = 'received' | 'replying' | 'done' | 'failed';

export type InboxOutcome = 'turn' | 'turn_failed' | 'opt_out' | 'opt_in' | 'help' | 'ignored_opted_out';

export interface PlannedReply {
  body: string;
  /** Keyword answers are sent even to an opted-out number (the STOP confirmation). */
  compliance: boolean;
}

export interface InboxEntry extends InboundSms {
  state: InboxState;
  outcome?: InboxOutcome;
  replies: PlannedReply[];
  attempts: number;
  leaseUntil: Date;
}

interface InboxDocument {
  _id: string;
  accountSid: string;
  messagingServiceSid?: string;
  from: string;
  to: string;
  body?: string;
  media?: InboundMedia[];
  optOutType?: string;
  receivedAt: Date;
  state: InboxState;
  outcome?: InboxOutcome;
  replies: PlannedReply[];
  attempts: number;
  leaseUntil: Date;
  updatedAt: Date;
  /** Set when finished: the record (kept so a late Twilio retry is still recognised) is then deleted. */
  expiresAt?: Date;
}

const COLLECTION = 'sms_inbox';
const DUPLICATE_KEY = 11000;
const MAX_INSERT_BATCH = 256;

/**
 * The durable record of every inbound SMS, keyed by Twilio's MessageSid: the webhook answers only
 * once the message is stored here, a replayed MessageSid is recognised, and messages whose turn did
 * not finish (a crash, Twilio down) are picked up again when their lease runs out.
 */
export class SmsInbox {
  private readonly model: Model<InboxDocument>;
  private batch: Array<{
    doc: InboxDocument;
    resolve: (result: 'new' | 'duplicate') => void;
    reject: (error: unknown) => void;
  }> = [];
  private flushScheduled = false;

  /** How long a finished message's record is kept to recognise replays (Twilio retries within hours). */
  private readonly retentionMs: number;

  constructor(connection: Connection, options: { retentionMs?: number } = {}) {
    this.retentionMs = options.retentionMs ?? 30 * 24 * 60 * 60 * 1000;
    const media = new Schema<InboundMedia>(
      { url: { type: String, required: true }, contentType: { type: String, required: true } },
      { _id: false },
    );
    const reply = new Schema<PlannedReply>(
      { body: { type: String, required: true }, compliance: { type: Boolean, required: true } },
      { _id: false },
    );
    const schema = new Schema<InboxDocument>(
      {
        _id: { type: String, required: true },
        accountSid: { type: String, required: true },
        messagingServiceSid: { type: String },
        from: { type: String, required: true },
        to: { type: String, required: true },
        body: { type: String },
        media: { type: [media], default: undefined },
        optOutType: { type: String },
        receivedAt: { type: Date, required: true },
        state: { type: String, required: true },
        outcome: { type: String },
        replies: { type: [reply], default: [] },
        attempts: { type: Number, required: true },
        leaseUntil: { type: Date, required: true },
        updatedAt: { type: Date, required: true },
        expiresAt: { type: Date },
      },
      { collection: COLLECTION, versionKey: false },
    );
    // Equality on state is what the embedded store can serve from an index: scans and counts then
    // touch only the unfinished messages, however many finished ones are kept for replays.
    schema.index({ state: 1 });
    schema.index({ expiresAt: 1 }, { expireAfterSeconds: 0 });
    this.model =
      (connection.models[COLLECTION] as Model<InboxDocument> | undefined) ??
      connection.model<InboxDocument>(COLLECTION, schema);
  }

  /**
   * Stores a new inbound message, leased to this process until `leaseUntil`.
   * Returns 'duplicate' (and changes nothing) when the MessageSid is already known.
   * Messages arriving together are written with one insertMany (unordered), so under load the
   * webhook pays one round trip and one group commit per batch rather than per message.
   */
  record(message: InboundSms, leaseUntil: Date): Promise<'new' | 'duplicate'> {
    const doc: InboxDocument = {
      _id: message.messageSid,
      accountSid: message.accountSid,
      from: message.from,
      to: message.to,
      body: message.body,
      receivedAt: message.receivedAt,
      state: 'received',
      replies: [],
      attempts: 0,
      leaseUntil,
      updatedAt: message.receivedAt,
    };
    if (message.media.length > 0) doc.media = message.media;
    if (message.messagingServiceSid) doc.messagingServiceSid = message.messagingServiceSid;
    if (message.optOutType) doc.optOutType = message.optOutType;
    return new Promise((resolve, reject) => {
      this.batch.push({ doc, resolve, reject });
      if (this.batch.length >= MAX_INSERT_BATCH) this.flush();
      else if (!this.flushScheduled) {
        this.flushScheduled = true;
        // Everything parsed in this turn of the event loop goes into the same insert.
        setImmediate(() => this.flush());
      }
    });
  }

  /** The driver's collection: the per-message writes skip mongoose's casting and middleware. */
  private get collection(): mongo.Collection<InboxDocument> {
    return this.model.collection as unknown as mongo.Collection<InboxDocument>;
  }

  private flush(): void {
    this.flushScheduled = false;
    const batch = this.batch.splice(0);
    if (batch.length === 0) return;
    this.collection
      .insertMany(
        batch.map((item) => item.doc),
        { ordered: false },
      )
      .then(
        () => {
          for (const item of batch) item.resolve('new');
        },
        (error: unknown) => {
          const failed = new Map<number, number | undefined>();
          const writeErrors = (error as { writeErrors?: unknown }).writeErrors;
          if (Array.isArray(writeErrors)) {
            for (const writeError of writeErrors as Array<{ index?: unknown; code?: unknown }>) {
              if (typeof writeError.index === 'number') {
                failed.set(
                  writeError.index,
                  typeof writeError.code === 'number' ? writeError.code : undefined,
                );
              }
            }
          }
          const whole = failed.size === 0;
          batch.forEach((item, index) => {
            if (whole) {
              // One document alone fails without writeErrors on some paths: a plain duplicate key error.
              if (batch.length === 1 && isDuplicateKey(error)) item.resolve('duplicate');
              else item.reject(error);
              return;
            }
            const code = failed.get(index);
            if (!failed.has(index)) item.resolve('new');
            else if (code === DUPLICATE_KEY) item.resolve('duplicate');
            else item.reject(error);
          });
        },
      );
  }

  async get(messageSid: string): Promise<InboxEntry | undefined> {
    const doc = await this.model.findById(messageSid).lean().exec();
    return doc ? toEntry(doc) : undefined;
  }

  /**
   * The turn ran: keep its replies so a crash from here on resends them instead of re-running it.
   * False when the message was no longer waiting for its turn (someone else got there first).
   */
  async planReplies(
    messageSid: string,
    outcome: InboxOutcome,
    replies: PlannedReply[],
    at: Date,
  ): Promise<boolean> {
    const result = await this.collection.updateOne(
      { _id: messageSid, state: 'received' },
      { $set: { state: 'replying', outcome, replies, updatedAt: at } },
    );
    return result.modifiedCount === 1;
  }

  /**
   * Extends our lease, if it is still ours (unchanged since we took it): compare-and-set on the
   * lease time, so of two processes only one goes on with the message.
   */
  async renewLease(messageSid: string, heldUntil: Date, until: Date): Promise<boolean> {
    const result = await this.collection.updateOne(
      { _id: messageSid, leaseUntil: heldUntil },
      { $set: { leaseUntil: until } },
    );
    return result.modifiedCount === 1;
  }

  /**
   * Finished: the message text is dropped (the conversation keeps what it needs); the MessageSid
   * stays, to recognise replays, until the retention period has passed.
   */
  async finish(
    messageSid: string,
    state: 'done' | 'failed',
    at: Date,
    outcome?: InboxOutcome,
  ): Promise<void> {
    const expiresAt = new Date(at.getTime() + this.retentionMs);
    await this.collection.updateOne(
      { _id: messageSid },
      {
        $set: { state, updatedAt: at, expiresAt, ...(outcome ? { outcome } : {}) },
        $unset: { body: '', media: '' },
      },
    );
  }

  /** Not finished yet (the provider is down): try again after `until`. */
  async postpone(messageSid: string, until: Date, at: Date): Promise<void> {
    await this.model
      .updateOne({ _id: messageSid }, { $set: { leaseUntil: until, updatedAt: at }, $inc: { attempts: 1 } })
      .exec();
  }

  /**
   * Claims up to `limit` unfinished messages whose lease has run out, oldest first, leasing each to
   * the caller until `leaseUntil`; another process claiming the same one at the same time loses.
   * `skip` leaves out messages the caller already has in hand.
   */
  async claimDue(
    now: Date,
    leaseUntil: Date,
    limit: number,
    skip: (messageSid: string) => boolean = () => false,
  ): Promise<InboxEntry[]> {
    const due = await this.model
      .find({ state: { $in: ['received', 'replying'] }, leaseUntil: { $lte: now } })
      .sort({ receivedAt: 1, _id: 1 })
      .limit(limit)
      .lean()
      .exec();
    const claimed: InboxEntry[] = [];
    for (const doc of due) {
      if (skip(doc._id)) continue;
      const result = await this.model
        .updateOne(
          { _id: doc._id, leaseUntil: doc.leaseUntil, state: doc.state },
          { $set: { leaseUntil, updatedAt: now }, $inc: { attempts: 1 } },
        )
        .exec();
      if (result.modifiedCount === 1)
        claimed.push(toEntry({ ...doc, leaseUntil, attempts: doc.attempts + 1 }));
    }
    return claimed;
  }

  async countUnfinished(): Promise<number> {
    return this.model.countDocuments({ state: { $in: ['received', 'replying'] } }).exec();
  }
}

function isDuplicateKey(error: unknown): boolean {
  return (error as { code?: unknown }).code === DUPLICATE_KEY;
}

function toEntry(doc: InboxDocument): InboxEntry {
  const entry: InboxEntry = {
    messageSid: doc._id,
    accountSid: doc.accountSid,
    from: doc.from,
    to: doc.to,
    body: doc.body ?? '',
    media: (doc.media ?? []).map((item) => ({ url: item.url, contentType: item.contentType })),
    receivedAt: doc.receivedAt,
    state: doc.state,
    replies: doc.replies.map((item) => ({ body: item.body, compliance: item.compliance })),
    attempts: doc.attempts,
    leaseUntil: doc.leaseUntil,
  };
  if (doc.messagingServiceSid) entry.messagingServiceSid = doc.messagingServiceSid;
  if (doc.optOutType) entry.optOutType = doc.optOutType;
  if (doc.outcome) entry.outcome = doc.outcome;
  return entry;
}
