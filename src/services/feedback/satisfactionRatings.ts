import { Schema, type Connection, type Model } from 'mongoose';
import { z } from 'zod';
import { ValidationError } from '../errors';

/**
 * Customers' 1–5 ratings after a problem was solved in chat, one document each, so support can see
 * which troubleshooting trees work. No personal data: the conversation id and the channel only.
 */

export const ratingInputSchema = z.strictObject({
  /**
   * Fixed when the rating is asked for (saved with the dialog state): a rating sent again after its
   * turn was cut off (a crash before the state was saved) is stored once.
   */
  idempotencyKey: z.string().trim().min(1).max(200),
  conversationId: z.string().trim().min(1).max(200),
  channel: z.string().trim().min(1).max(40),
  /** What was rated, e.g. 'troubleshooting:connection'. */
  topic: z
    .string()
    .trim()
    .regex(/^[a-z_]+(:[a-z_]+)?$/, "must look like 'troubleshooting:connection'"),
  productId: z.string().trim().min(1).max(60).optional(),
  rating: z.number().int().min(1).max(5),
});
export type RatingInput = z.input<typeof ratingInputSchema>;

export interface RatingView {
  conversationId: string;
  channel: string;
  topic: string;
  productId?: string;
  rating: number;
  createdAt: string;
}

interface RatingDocument {
  idempotencyKey?: string;
  conversationId: string;
  channel: string;
  topic: string;
  productId?: string;
  rating: number;
  createdAt: Date;
}

export class SatisfactionRatings {
  private readonly model: Model<RatingDocument>;

  constructor(
    connection: Connection,
    private readonly now: () => Date = () => new Date(),
  ) {
    const schema = new Schema<RatingDocument>(
      {
        // Sparse: ratings stored before the key existed have none.
        idempotencyKey: { type: String, unique: true, sparse: true },
        conversationId: { type: String, required: true },
        channel: { type: String, required: true },
        topic: { type: String, required: true, index: true },
        productId: { type: String },
        rating: { type: Number, required: true, min: 1, max: 5 },
        createdAt: { type: Date, required: true },
      },
      { collection: 'satisfactionratings', versionKey: false },
    );
    this.model =
      (connection.models.SatisfactionRating as Model<RatingDocument> | undefined) ??
      connection.model<RatingDocument>('SatisfactionRating', schema);
  }

  async record(input: RatingInput): Promise<void> {
    const parsed = ratingInputSchema.safeParse(input);
    if (!parsed.success) {
      throw new ValidationError(
        `Invalid rating: ${parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ')}`,
      );
    }
    const { idempotencyKey, ...rating } = parsed.data;
    // An upsert on the key: the first write wins, a repeat changes nothing.
    await this.model.collection.updateOne(
      { idempotencyKey },
      { $setOnInsert: { idempotencyKey, ...rating, createdAt: this.now() } },
      { upsert: true },
    );
  }

  /** Ratings for a topic, newest first (for reports and tests). */
  async list(topic?: string, limit = 100): Promise<RatingView[]> {
    const docs = await this.model
      .find(topic ? { topic } : {})
      .sort({ createdAt: -1 })
      .limit(limit)
      .lean()
      .exec();
    return docs.map((doc) => ({
      conversationId: doc.conversationId,
      channel: doc.channel,
      topic: doc.topic,
      ...(doc.productId ? { productId: doc.productId } : {}),
      rating: doc.rating,
      createdAt: doc.createdAt.toISOString(),
    }));
  }
}
