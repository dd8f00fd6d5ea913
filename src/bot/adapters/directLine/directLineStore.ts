import type { Activity } from 'botbuilder';
import { Schema, type Connection, type Model } from 'mongoose';

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
}

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
  ) {
    this.conversations = model(
      connection,
      'DirectLineConversation',
      new Schema<ConversationDocument>(
        {
          _id: { type: String, required: true },
          userId: { type: String, required: true },
          createdAt: { type: Date, required: true },
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
      },
      { collection: 'directline_uploads', versionKey: false },
    );
    uploadSchema.index({ conversationId: 1 });
    this.uploads = model(connection, 'DirectLineUpload', uploadSchema);
  }

  /** Creates the indexes (idempotent); call once before serving. */
  async init(): Promise<void> {
    await Promise.all([this.conversations.init(), this.activities.init(), this.uploads.init()]);
  }

  /** Creates the conversation, or returns the existing one (created: false) when the id is taken. */
  async createConversation(
    id: string,
    userId: string,
  ): Promise<{ conversation: ConversationRecord; created: boolean }> {
    const at = this.now();
    try {
      await this.conversations.create({ _id: id, userId, createdAt: at });
      return { conversation: { id, userId, createdAt: at }, created: true };
    } catch (error) {
      if ((error as { code?: unknown }).code !== DUPLICATE_KEY) throw error;
      const existing = await this.getConversation(id);
      if (!existing) throw error;
      return { conversation: existing, created: false };
    }
  }

  async getConversation(id: string): Promise<ConversationRecord | undefined> {
    const doc = await this.conversations.findById(id).lean().exec();
    return doc ? { id: doc._id, userId: doc.userId, createdAt: doc.createdAt } : undefined;
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
    await this.uploads.create({ _id: upload.id, ...withoutId(upload), data });
  }

  /** The upload with its bytes, only if it belongs to that conversation. */
  async getUpload(
    conversationId: string,
    id: string,
  ): Promise<{ upload: UploadRecord; data: Buffer } | undefined> {
    const doc = await this.uploads.findOne({ _id: id, conversationId }).lean().exec();
    if (!doc) return undefined;
    const { _id, data, ...rest } = doc;
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
