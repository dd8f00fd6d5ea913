import { z } from 'zod';
import type { Connection, mongo } from 'mongoose';
import { ValidationError } from '../errors';
import { redactText } from '../logging/redact';
import { ensureTtlIndex } from '../store/ttlIndex';

/**
 * Questions the bot could not answer, kept so support staff can see which content is missing
 * (`npm run report:unanswered`, the agent console's supervisor view). The text is redacted before it
 * is stored (phones, e-mail addresses, ticket, serial and order numbers masked) and each document
 * expires after the retention (RETENTION_UNANSWERED_DAYS) through a TTL index.
 */

export const UNANSWERED_COLLECTION = 'unanswered_questions';
/** Longer messages are cut: the gist is what support staff need. */
const MAX_TEXT = 300;

const recordSchema = z.strictObject({
  text: z.string().trim().min(1).max(4_000),
  channel: z.string().trim().min(1).max(40),
  conversationId: z.string().trim().min(1).max(200),
  /** Why it went unanswered: 'not_understood' (the default), 'unsure'... */
  reason: z
    .string()
    .trim()
    .regex(/^[a-z_]{1,40}$/)
    .optional(),
});
export type UnansweredInput = z.input<typeof recordSchema>;

interface UnansweredDocument {
  text: string;
  /** The text lower-cased with punctuation and spacing folded: what the report groups by. */
  key: string;
  channel: string;
  conversationId: string;
  reason: string;
  createdAt: Date;
}

export interface UnansweredGap {
  /** The most recent wording of the question (redacted). */
  question: string;
  count: number;
  channels: string[];
  lastAskedAt: string;
}

export interface UnansweredQuestionsOptions {
  retentionDays: number;
  now?: () => Date;
}

const TICKET_NUMBER = /\bck[\s-]?[a-z0-9]{8}\b/gi;
/** Serial and order numbers: runs of 6+ letters/digits/dashes with at least 4 digits. */
const LONG_NUMBER = /\b(?=(?:[A-Za-z-]*\d){4})[A-Za-z0-9-]{6,}\b/g;

/** What is stored of a customer's message: personal data and identifying numbers masked. */
export function redactQuestion(text: string): string {
  const masked = redactText(text).replace(TICKET_NUMBER, '[ticket]').replace(LONG_NUMBER, '[number]');
  return masked.length > MAX_TEXT ? `${masked.slice(0, MAX_TEXT - 1)}…` : masked;
}

function groupingKey(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^\p{L}\p{N}[\]…]+/gu, ' ')
    .trim();
}

export class UnansweredQuestions {
  private readonly now: () => Date;
  private readonly retentionSeconds: number;

  constructor(
    private readonly connection: Connection,
    options: UnansweredQuestionsOptions,
  ) {
    this.now = options.now ?? (() => new Date());
    this.retentionSeconds = Math.round(options.retentionDays * 24 * 3600);
  }

  private collection(): mongo.Collection<UnansweredDocument> {
    return this.connection.collection<UnansweredDocument>(UNANSWERED_COLLECTION);
  }

  /** Creates the retention (TTL) index; call once before use. */
  async init(): Promise<void> {
    await ensureTtlIndex(this.collection(), 'createdAt', this.retentionSeconds);
  }

  async record(input: UnansweredInput): Promise<void> {
    const parsed = recordSchema.safeParse(input);
    if (!parsed.success) {
      throw new ValidationError(
        `Invalid unanswered question: ${parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ')}`,
      );
    }
    const text = redactQuestion(parsed.data.text);
    await this.collection().insertOne({
      text,
      key: groupingKey(text),
      channel: parsed.data.channel,
      conversationId: parsed.data.conversationId,
      reason: parsed.data.reason ?? 'not_understood',
      createdAt: this.now(),
    });
  }

  /** The most frequent gaps first (ties: the most recent first). */
  async report(options: { limit?: number } = {}): Promise<UnansweredGap[]> {
    const limit = Math.min(Math.max(Math.trunc(options.limit ?? 20), 1), 500);
    const docs = await this.collection()
      .find({}, { projection: { _id: 0, text: 1, key: 1, channel: 1, createdAt: 1 } })
      .toArray();
    const groups = new Map<string, { question: string; count: number; channels: Set<string>; last: Date }>();
    for (const doc of docs) {
      const group = groups.get(doc.key);
      if (!group) {
        groups.set(doc.key, {
          question: doc.text,
          count: 1,
          channels: new Set([doc.channel]),
          last: doc.createdAt,
        });
        continue;
      }
      group.count += 1;
      group.channels.add(doc.channel);
      if (doc.createdAt > group.last) {
        group.last = doc.createdAt;
        group.question = doc.text;
      }
    }
    return [...groups.values()]
      .sort((a, b) => b.count - a.count || b.last.getTime() - a.last.getTime())
      .slice(0, limit)
      .map((group) => ({
        question: group.question,
        count: group.count,
        channels: [...group.channels].sort(),
        lastAskedAt: group.last.toISOString(),
      }));
  }
}
