import type { Activity } from 'botbuilder';
import { Schema, type Connection, type Model } from 'mongoose';
import { UnavailableError } from '../../../services/errors';
import { ensureTtlIndex } from '../../../services/store/ttlIndex';

/** An activity as kept in a conversation's log: JSON text, because channelData keys may hold "." or "$". */
export type DirectLineActivity = Omit<Partial<Activity>, 'id' | 'type' | 'timestamp' | 'localTimestamp'> & {
  id: string;
  type: string;
  timestamp: string;
  localTimestamp?: string;
};

export interface StoredActivity {
  readonly seq: number;
  readonly activity: DirectLineActivity;
}

export interface ConversationRecord {
  readonly id: string;
  readonly userId: string;
  readonly createdAt: Date;
  /** Set when the customer ended the chat: its tokens are refused from then on. */
  readonly endedAt?: Date;
}

/** How long each kind of record is kept (seconds after it was written). */
export interface DirectLineRetention {
  readonly conversationSeconds: number;
  readonly activitySeconds: number;
  /** Photos not attached to a ticket; those attached stay as long as the ticket. */
  readonly uploadSeconds: number;
}

/** Per-conversation limits on what the customer may store. */
export interface ConversationQuota {
  readonly maxMessages: number;
  readonly maxPhotos: number;
  readonly maxUploadBytes: number;
}

/** Why the customer's write was not counted in: the chat ended, or a limit was reached. */
export type QuotaVerdict = 'ok' | 'missing' | 'ended' | 'messages' | 'photos' | 'bytes';

export interface UploadRecord {
  readonly id: string;
  readonly conversationId: string;
  readonly name: string;
  readonly contentType: string;
  readonly size: number;
  readonly sha256: string;
  readonly createdAt: Date;
}

interface ConversationDocument {
  _id: string;
  userId: string;
  createdAt: Date;
  endedAt?: Date;
  // What the customer has stored so far (absent on conversations from before the quotas: 0).
  messages?: number;
  photos?: number;
  uploadBytes?: number;
}

interface ActivityDocument {
  _id: string;
  conversationId: string;
  seq: number;
  json: string;
  createdAt: Date;
}

interface UploadDocument {
  _id: string;
  conversationId: string;
  name: string;
  contentType: string;
  size: number;
  sha256: string;
  data: Buffer;
  createdAt: Date;
  /** The TTL date: createdAt until a ticket claims the photo, then removed (kept as long as the ticket). */
  unclaimedSince?: Date;
}

const DUPLICATE_KEY = 11000;

/** Another writer took that log position first (another instance on the same store). */
export class LogPositionTakenError extends Error {
  constructor(conversationId: string, seq: number) {
    super(`Position ${seq} of conversation ${conversationId} is already taken`);
    this.name = 'LogPositionTakenError';
  }
}

/** `conv|0000042`: Direct Line's id shape, and it sorts in log order. */
export function activityIdFor(conversationId: string, seq: number): string {
  return `${conversationId}|${String(seq).padStart(7, '0')}`;
}

/** The log position an activity id names in this conversation (undefined: not a log id, e.g. the welcome's). */
export function logPositionOf(conversationId: string, activityId: string): number | undefined {
  const match = /^(.+)\|(\d{7})$/.exec(activityId);
  if (!match || match[1] !== conversationId) return undefined;
  const seq = Number(match[2]);
  return seq >= 1 ? seq : undefined;
}

/**
 * The local Direct Line's durable state on the project's MongoDB store: conversations, each with an
 * ordered activity log (the watermark is the log position), and uploaded photos. Everything a page
 * needs to resume after a reload or a server restart.
 */
export class DirectLineStore {
  private readonly conversations: Model<ConversationDocument>;
  private readonly activities: Model<ActivityDocument>;
  private readonly uploads: Model<UploadDocument>;

  constructor(
    connection: Connection,
    private readonly now: () => Date = () => new Date(),
    private readonly retention?: DirectLineRetention,
  ) {
    this.conversations = model(
      connection,
      'DirectLineConversation',
      new Schema<ConversationDocument>(
        {
          _id: { type: String, required: true },
          userId: { type: String, required: true },
          createdAt: { type: Date, required: true },
          endedAt: { type: Date },
          messages: { type: Number },
          photos: { type: Number },
          uploadBytes: { type: Number },
        },
        { collection: 'directline_conversations', versionKey: false },
      ),
    );
    const activitySchema = new Schema<ActivityDocument>(
      {
        _id: { type: String, required: true },
        conversationId: { type: String, required: true },
        seq: { type: Number, required: true },
        json: { type: String, required: true },
        createdAt: { type: Date, required: true },
      },
      { collection: 'directline_activities', versionKey: false },
    );
    activitySchema.index({ conversationId: 1, seq: 1 }, { unique: true });
    this.activities = model(connection, 'DirectLineActivity', activitySchema);
    const uploadSchema = new Schema<UploadDocument>(
      {
        _id: { type: String, required: true },
        conversationId: { type: String, required: true },
        name: { type: String, required: true },
        contentType: { type: String, required: true },
        size: { type: Number, required: true },
        sha256: { type: String, required: true },
        data: { type: Buffer, required: true },
        createdAt: { type: Date, required: true },
        unclaimedSince: { type: Date },
      },
      { collection: 'directline_uploads', versionKey: false },
    );
    uploadSchema.index({ conversationId: 1 });
    this.uploads = model(connection, 'DirectLineUpload', uploadSchema);
  }

  /** Creates the indexes (idempotent); call once before serving. */
  async init(): Promise<void> {
    await Promise.all([this.conversations.init(), this.activities.init(), this.uploads.init()]);
    const retention = this.retention;
    if (!retention) return;
    await Promise.all([
      ensureTtlIndex(this.conversations.collection, 'createdAt', retention.conversationSeconds),
      ensureTtlIndex(this.activities.collection, 'createdAt', retention.activitySeconds),
      ensureTtlIndex(this.uploads.collection, 'unclaimedSince', retention.uploadSeconds),
    ]);
  }

  /** Creates the conversation, or returns the existing one (created: false) when the id is taken. */
  async createConversation(
    id: string,
    userId: string,
  ): Promise<{ conversation: ConversationRecord; created: boolean }> {
    const at = this.now();
    try {
      await this.conversations.create({
        _id: id,
        userId,
        createdAt: at,
        messages: 0,
        photos: 0,
        uploadBytes: 0,
      });
      return { conversation: { id, userId, createdAt: at }, created: true };
    } catch (error) {
      if ((error as { code?: unknown }).code !== DUPLICATE_KEY) throw error;
      const existing = await this.getConversation(id);
      if (!existing) throw error;
      return { conversation: existing, created: false };
    }
  }

  async getConversation(id: string): Promise<ConversationRecord | undefined> {
    const doc = await this.conversations.findById(id, { userId: 1, createdAt: 1, endedAt: 1 }).lean().exec();
    if (!doc) return undefined;
    return {
      id: doc._id,
      userId: doc.userId,
      createdAt: doc.createdAt,
      ...(doc.endedAt ? { endedAt: doc.endedAt } : {}),
    };
  }

  /** Marks the conversation ended (its tokens are refused from then on); false when there is none. */
  async endConversation(id: string): Promise<boolean> {
    const result = await this.conversations.updateOne({ _id: id }, { $set: { endedAt: this.now() } }).exec();
    return result.matchedCount > 0;
  }

  /** What the customer has stored so far (undefined when there is no such conversation). */
  async usage(id: string): Promise<{ messages: number; photos: number; uploadBytes: number } | undefined> {
    const doc = await this.conversations
      .findById(id, { messages: 1, photos: 1, uploadBytes: 1 })
      .lean()
      .exec();
    if (!doc) return undefined;
    return { messages: doc.messages ?? 0, photos: doc.photos ?? 0, uploadBytes: doc.uploadBytes ?? 0 };
  }

  /**
   * Counts one more customer message in, and `files` photos of `bytes` bytes, in one conditional
   * write: nothing is counted (and the verdict says why) when the conversation ended or a limit
   * would be passed. Atomic in the store, so instances sharing it share the limits.
   */
  async countIn(
    id: string,
    quota: ConversationQuota,
    upload: { files: number; bytes: number } = { files: 0, bytes: 0 },
    attempt = 0,
  ): Promise<QuotaVerdict> {
    const below = (field: string, limit: number) => ({
      $or: [{ [field]: { $exists: false } }, { [field]: { $lte: limit } }],
    });
    const result = await this.conversations.collection.updateOne(
      {
        _id: id,
        endedAt: { $exists: false },
        $and: [
          below('messages', quota.maxMessages - 1),
          below('photos', quota.maxPhotos - upload.files),
          below('uploadBytes', quota.maxUploadBytes - upload.bytes),
        ],
      } as Record<string, unknown>,
      { $inc: { messages: 1, photos: upload.files, uploadBytes: upload.bytes } },
    );
    if (result.matchedCount > 0) return 'ok';
    const doc = await this.conversations.findById(id).lean().exec();
    if (!doc) return 'missing';
    if (doc.endedAt) return 'ended';
    if ((doc.messages ?? 0) >= quota.maxMessages) return 'messages';
    if ((doc.photos ?? 0) + upload.files > quota.maxPhotos) return 'photos';
    if ((doc.uploadBytes ?? 0) + upload.bytes > quota.maxUploadBytes) return 'bytes';
    // Another write got in between (the counts now allow it): try again, a bounded number of times.
    if (attempt < 3) return this.countIn(id, quota, upload, attempt + 1);
    throw new UnavailableError('The chat is busy; please try again.');
  }

  /** The last position used in the conversation's log (0 when empty). */
  async lastSeq(conversationId: string): Promise<number> {
    const last = await this.activities
      .findOne({ conversationId }, { seq: 1 })
      .sort({ seq: -1 })
      .lean()
      .exec();
    return last?.seq ?? 0;
  }

  /**
   * Stores the activity at log position `seq` (one write). The unique (conversationId, seq) index
   * makes a position usable once: LogPositionTakenError if someone else wrote it first.
   */
  async insertAt(conversationId: string, seq: number, activity: DirectLineActivity): Promise<StoredActivity> {
    try {
      await this.activities.create({
        _id: activity.id,
        conversationId,
        seq,
        json: JSON.stringify(activity),
        createdAt: this.now(),
      });
    } catch (error) {
      if ((error as { code?: unknown }).code === DUPLICATE_KEY)
        throw new LogPositionTakenError(conversationId, seq);
      throw error;
    }
    return { seq, activity };
  }

  /** The log after `watermark`, oldest first. */
  async activitiesAfter(conversationId: string, watermark: number, limit: number): Promise<StoredActivity[]> {
    const docs = await this.activities
      .find({ conversationId, seq: { $gt: watermark } })
      .sort({ seq: 1 })
      .limit(limit)
      .lean()
      .exec();
    return docs.map((doc) => ({ seq: doc.seq, activity: JSON.parse(doc.json) as DirectLineActivity }));
  }

  async saveUpload(upload: UploadRecord, data: Buffer): Promise<void> {
    await this.uploads.create({
      _id: upload.id,
      ...withoutId(upload),
      data,
      unclaimedSince: upload.createdAt,
    });
  }

  /** The photos are on a ticket: they stay as long as it does (out of the photos' retention). */
  async keepUploads(uploads: ReadonlyArray<{ conversationId: string; uploadId: string }>): Promise<void> {
    if (uploads.length === 0) return;
    await this.uploads.collection.updateMany(
      {
        $or: uploads.map((upload) => ({ _id: upload.uploadId, conversationId: upload.conversationId })),
      } as Record<string, unknown>,
      { $unset: { unclaimedSince: '' } },
    );
  }

  /** The upload with its bytes, only if it belongs to that conversation. */
  async getUpload(
    conversationId: string,
    id: string,
  ): Promise<{ upload: UploadRecord; data: Buffer } | undefined> {
    const doc = await this.uploads.findOne({ _id: id, conversationId }).lean().exec();
    if (!doc) return undefined;
    const { _id, data, unclaimedSince: _unclaimedSince, ...rest } = doc;
    return { upload: { id: _id, ...rest }, data: toBuffer(data) };
  }
}

function model<T>(connection: Connection, name: string, schema: Schema<T>): Model<T> {
  return (connection.models[name] as Model<T> | undefined) ?? connection.model<T>(name, schema);
}

function withoutId(upload: UploadRecord): Omit<UploadRecord, 'id'> {
  const { id: _id, ...rest } = upload;
  return rest;
}

/** lean() hands back BSON Binary for Buffer fields. */
function toBuffer(value: unknown): Buffer {
  if (Buffer.isBuffer(value)) return value;
  const binary = value as { buffer?: unknown; value?: (asRaw: boolean) => unknown };
  if (binary.buffer instanceof Uint8Array) return Buffer.from(binary.buffer);
  throw new Error('Unexpected stored upload data');
}
