import { createHash, randomBytes } from 'node:crypto';
import type { ActivityTimestamps, ChannelAccount } from 'botbuilder';
import { z } from 'zod';
import {
  ForbiddenError,
  NotFoundError,
  RateLimitedError,
  TooLargeError,
  ValidationError,
} from '../../../services/errors';
import { KeyedSerialQueue } from '../../../services/concurrency/keyedSerialQueue';
import {
  judgeFile,
  MAX_PHOTO_BYTES,
  PHOTO_TYPE_NAMES,
  type PhotoType,
} from '../../../services/media/mediaPolicy';
import type { Logger } from '../../../services/logging/logger';
import type { AttachmentLinks } from './attachmentLinks';
import type { ConversationFeed } from './conversationFeed';
import {
  activityIdFor,
  logPositionOf,
  LogPositionTakenError,
  type ConversationQuota,
  type ConversationRecord,
  type QuotaVerdict,
  type DirectLineActivity,
  type DirectLineStore,
  type StoredActivity,
  type UploadRecord,
} from './directLineStore';
import {
  newConversationId,
  newUserId,
  type DirectLineTokenClaims,
  type DirectLineTokens,
  type IssuedToken,
} from './directLineTokens';
import type { DirectLineTurns, TurnOrigin } from './directLineTurns';
import { LruCache } from './lruCache';
import type { MultipartPart } from './multipart';

export const CHANNEL_ID = 'directline';
export const MAX_UPLOAD_FILES = 5;
/** Most activities one GET returns; DirectLineJS asks again from the new watermark. */
const PAGE_SIZE = 500;
/** Conversations whose facts (user, last log position) are kept in memory. */
const CACHED_CONVERSATIONS = 20_000;

const MAX_TEXT = 4_000;
/** channelData, value and entities: what Web Chat sends fits in a few hundred bytes; the rest is stored for nothing. */
export const MAX_FIELD_BYTES = 8 * 1024;
/** A cached conversation is read again after this long, so an end by another instance is seen. */
const CONVERSATION_RECHECK_MS = 30_000;

const accountSchema = z.object({ id: z.string().max(128).optional(), name: z.string().max(100).optional() });

/** What a browser may post. Unknown fields (conversation, recipient, serviceUrl, id…) are dropped: the server sets them. */
const userActivitySchema = z.object({
  type: z.enum(['message', 'event', 'typing']),
  text: z.string().max(MAX_TEXT, `a message can be at most ${MAX_TEXT} characters`).optional(),
  textFormat: z.enum(['plain', 'markdown', 'xml']).optional(),
  locale: z.string().max(35).optional(),
  localTimestamp: z.string().max(40).optional(),
  localTimezone: z.string().max(64).optional(),
  name: z.string().max(200).optional(),
  value: z.unknown().optional(),
  channelData: z.record(z.string(), z.unknown()).optional(),
  entities: z
    .array(z.object({ type: z.string().max(100) }).loose())
    .max(20)
    .optional(),
  from: accountSchema.optional(),
  attachments: z.array(z.unknown()).optional(),
});

/** What the bot sends through the connector: anything activity-shaped; we own the routing fields. */
const botActivitySchema = z
  .object({
    type: z.string().min(1).max(64),
    from: accountSchema.loose().optional(),
    replyToId: z.string().max(200).optional(),
  })
  .loose();

type UserActivityInput = z.infer<typeof userActivitySchema>;

export interface DirectLineServiceDeps {
  store: DirectLineStore;
  tokens: DirectLineTokens;
  feed: ConversationFeed;
  links: AttachmentLinks;
  turns: DirectLineTurns;
  logger: Logger;
  /** The bot's account in these conversations. */
  bot: { id: string; name: string };
  /** The local connector's serviceUrl, stamped on what the bot receives. */
  serviceUrl: () => string;
  /** What one conversation may store (WEBCHAT_MAX_*). */
  quota: ConversationQuota;
  now?: () => Date;
}

/** A rejected upload: the HTTP status to answer with and the words for the customer. */
export class UploadRejectedError extends ValidationError {
  constructor(
    message: string,
    readonly status: 400 | 413 | 415,
  ) {
    super(message);
  }
}

/**
 * The local Direct Line 3.0 service, apart from HTTP: conversations bound to tokens, the activity
 * log with watermarks, the echo of the user's activities, the bot's replies arriving through the
 * connector, uploads. Every new log entry is pushed to the conversation's open streams.
 */
export class DirectLineService {
  private readonly appends = new KeyedSerialQueue();
  private readonly now: () => Date;
  // A conversation's user never changes, so caching it is safe with any number of instances.
  // Re-read after CONVERSATION_RECHECK_MS: another instance may have ended it.
  private readonly conversations = new LruCache<string, { record: ConversationRecord; readAt: number }>(
    CACHED_CONVERSATIONS,
  );
  // Last log position written by this process; another instance's write shows up as a taken position.
  private readonly lastSeqs = new LruCache<string, number>(CACHED_CONVERSATIONS);

  constructor(private readonly deps: DirectLineServiceDeps) {
    this.now = deps.now ?? (() => new Date());
  }

  get tokens(): DirectLineTokens {
    return this.deps.tokens;
  }

  /** A token for a new conversation and a new user, both chosen here (never by the browser). */
  generateToken(): IssuedToken {
    return this.deps.tokens.issue(newConversationId(), newUserId());
  }

  /** A fresh token for the same conversation and user. */
  refreshToken(claims: DirectLineTokenClaims): IssuedToken {
    return this.deps.tokens.issue(
      claims.conversationId,
      claims.userId,
      'conversation',
      undefined,
      claims.sessionStartedAt,
    );
  }

  streamToken(claims: DirectLineTokenClaims): string {
    // Only opens the WebSocket, and only soon: it travels in a URL.
    return this.deps.tokens.issue(
      claims.conversationId,
      claims.userId,
      'stream',
      300,
      claims.sessionStartedAt,
    ).token;
  }

  /** POST /conversations: creates the conversation the token is bound to and says hello to the bot. */
  async startConversation(claims: DirectLineTokenClaims): Promise<{ created: boolean; token: IssuedToken }> {
    const existing = await this.findConversation(claims.conversationId);
    if (existing) {
      this.assertOpen(existing);
      return { created: false, token: this.refreshToken(claims) };
    }
    this.deps.turns.assertAccepting();
    const { created, conversation } = await this.deps.store.createConversation(
      claims.conversationId,
      claims.userId,
    );
    this.remember(conversation);
    if (created) {
      this.lastSeqs.set(conversation.id, 0);
      // The id stays out of the info log: with it, anyone reading logs could address the conversation.
      this.deps.logger.info('web chat conversation started');
      // The welcome: Web Chat shows nothing until the bot hears that members were added.
      this.deps.turns.enqueue({
        type: 'conversationUpdate',
        id: `${claims.conversationId}|start`,
        channelId: CHANNEL_ID,
        serviceUrl: this.deps.serviceUrl(),
        timestamp: this.now(),
        conversation: { id: claims.conversationId, isGroup: false, conversationType: 'personal', name: '' },
        from: { id: claims.userId, name: '', role: 'user' },
        recipient: this.botAccount(),
        membersAdded: [this.botAccount(), { id: claims.userId, name: '', role: 'user' }],
      });
    }
    return { created, token: this.refreshToken(claims) };
  }

  /** GET /conversations/:id — resume: the conversation must exist. */
  async resume(claims: DirectLineTokenClaims): Promise<IssuedToken> {
    await this.requireConversation(claims.conversationId, { fresh: true });
    return this.refreshToken(claims);
  }

  /** POST /tokens/refresh: a token for a conversation not yet started refreshes; one for an ended chat doesn't. */
  async refresh(claims: DirectLineTokenClaims): Promise<IssuedToken> {
    const conversation = await this.deps.store.getConversation(claims.conversationId);
    if (conversation) this.assertOpen(conversation);
    return this.refreshToken(claims);
  }

  /**
   * The customer's "End chat": the conversation's tokens are refused from now on (on every
   * instance: the mark is in the store), and its open streams close. The transcript stays for the
   * support team, under the transcripts' retention.
   */
  async endConversation(claims: DirectLineTokenClaims): Promise<void> {
    const ended = await this.deps.store.endConversation(claims.conversationId);
    if (!ended) throw new NotFoundError('The conversation does not exist (it may have expired).');
    this.conversations.delete(claims.conversationId);
    this.deps.feed.publish(claims.conversationId, { kind: 'ended' });
    this.deps.logger.info('web chat ended by the customer');
  }

  /** The log after `watermark`, as the page sees it. */
  async activitiesAfter(
    conversationId: string,
    watermark: number,
    limit = PAGE_SIZE,
  ): Promise<{ entries: StoredActivity[]; watermark: number }> {
    await this.requireConversation(conversationId);
    const stored = await this.deps.store.activitiesAfter(conversationId, watermark, limit);
    const entries = stored.map((entry) => this.forClient(entry, conversationId));
    return { entries, watermark: stored.length > 0 ? stored[stored.length - 1].seq : watermark };
  }

  forClient(entry: StoredActivity, conversationId: string): StoredActivity {
    return { seq: entry.seq, activity: this.deps.links.forClient(entry.activity, conversationId) };
  }

  /** POST /conversations/:id/activities: stores and echoes the activity, answers, and runs the turn after. */
  async postFromUser(
    claims: DirectLineTokenClaims,
    body: unknown,
    origin: TurnOrigin = {},
  ): Promise<{ id: string }> {
    const input = parseOrThrow(userActivitySchema, body, 'activity');
    if (input.attachments && input.attachments.length > 0) {
      throw new ValidationError(
        'Files must be sent through the upload endpoint (POST …/upload), not inside an activity.',
      );
    }
    if (input.type === 'message' && !input.text?.trim() && input.value === undefined) {
      throw new ValidationError('A message needs text (or a card value).');
    }
    assertFieldSizes(input);
    this.deps.turns.assertAccepting();
    await this.requireConversation(claims.conversationId);
    if (input.type === 'typing') {
      // Not logged and not worth a turn: the bot does not act on the customer typing.
      return { id: `${claims.conversationId}|typing` };
    }
    this.assertCounted(await this.deps.store.countIn(claims.conversationId, this.deps.quota));
    const entry = await this.appendFromUser(claims, input, [], origin);
    return { id: entry.activity.id };
  }

  /**
   * POST /conversations/:id/upload: photos with an optional activity (text). Each file must be a
   * photo the media policy accepts (by its bytes, within its size); otherwise nothing is stored, the
   * customer is told why in the chat, and the caller gets an UploadRejectedError.
   */
  async postUpload(
    claims: DirectLineTokenClaims,
    parts: MultipartPart[],
    origin: TurnOrigin = {},
  ): Promise<{ id: string }> {
    this.deps.turns.assertAccepting();
    await this.requireConversation(claims.conversationId);
    const files = parts.filter((part) => part.name !== 'activity');
    const activityPart = parts.find((part) => part.name === 'activity');
    let input: UserActivityInput = { type: 'message' };
    if (activityPart) {
      let json: unknown;
      try {
        json = JSON.parse(activityPart.data.toString('utf8'));
      } catch {
        throw new UploadRejectedError('The "activity" part of the upload is not valid JSON.', 400);
      }
      input = parseOrThrow(userActivitySchema, json, 'activity');
      assertFieldSizes(input);
    }
    const problem = this.uploadProblem(files);
    if ('message' in problem) {
      await this.tellCustomer(claims.conversationId, problem.customerText);
      throw new UploadRejectedError(problem.message, problem.status);
    }
    const bytes = files.reduce((sum, file) => sum + file.data.length, 0);
    this.assertCounted(
      await this.deps.store.countIn(claims.conversationId, this.deps.quota, { files: files.length, bytes }),
    );
    const attachments: UploadRecord[] = [];
    for (const [index, file] of files.entries()) {
      const upload: UploadRecord = {
        id: randomBytes(12).toString('base64url'),
        conversationId: claims.conversationId,
        name: safeFileName(file.filename ?? file.name),
        contentType: problem.contentTypes[index],
        size: file.data.length,
        sha256: createHash('sha256').update(file.data).digest('hex'),
        createdAt: this.now(),
      };
      await this.deps.store.saveUpload(upload, file.data);
      attachments.push(upload);
    }
    const entry = await this.appendFromUser(
      claims,
      { ...input, type: 'message', attachments: undefined },
      attachments,
      origin,
    );
    this.deps.logger.info({ files: attachments.length }, 'web chat photos received');
    return { id: entry.activity.id };
  }

  /**
   * Before the upload's body is read: a conversation already at its photo limit, or whose declared
   * body can't fit in what is left of its bytes, is refused without buffering the body.
   */
  async assertUploadRoom(claims: DirectLineTokenClaims, declaredBytes: number | undefined): Promise<void> {
    await this.requireConversation(claims.conversationId);
    const usage = await this.deps.store.usage(claims.conversationId);
    if (!usage) return;
    const { quota } = this.deps;
    if (usage.photos >= quota.maxPhotos) this.assertCounted('photos');
    // The multipart framing and the activity part are small; the files are nearly all of it.
    const framing = 256 * 1024;
    if (usage.uploadBytes >= quota.maxUploadBytes) this.assertCounted('bytes');
    if (declaredBytes !== undefined && declaredBytes - framing > quota.maxUploadBytes - usage.uploadBytes)
      this.assertCounted('bytes');
  }

  /** AttachmentKeeper for the ticket service: a ticket's photos stay as long as the ticket. */
  async keepUploads(urls: readonly string[]): Promise<void> {
    const uploads = urls
      .map((url) => this.deps.links.uploadAt(url))
      .filter((upload): upload is { conversationId: string; uploadId: string } => upload !== undefined);
    await this.deps.store.keepUploads(uploads);
  }

  /**
   * A photo of the conversation. Read with the customer's token (`byCustomer`), the conversation
   * must still be open; the back office and signed links read it whatever became of the chat.
   */
  async readUpload(
    conversationId: string,
    uploadId: string,
    options: { byCustomer?: boolean } = {},
  ): Promise<{ upload: UploadRecord; data: Buffer }> {
    if (options.byCustomer) await this.requireConversation(conversationId);
    const found = await this.deps.store.getUpload(conversationId, uploadId);
    if (!found) throw new NotFoundError('No such attachment in this conversation.');
    return found;
  }

  /** A bot activity arriving through the connector routes (a reply, or a proactive message). */
  async postFromBot(
    conversationId: string,
    body: unknown,
    replyToIdInPath?: string,
  ): Promise<{ id: string }> {
    const input = parseOrThrow(botActivitySchema, body, 'activity');
    // A turn in flight when the customer ended the chat still finishes (nobody reads its reply).
    const conversation = await this.requireConversation(conversationId, { allowEnded: true });
    const replyTo = input.replyToId ?? replyToIdInPath;
    // Proactive messages carry a made-up replyToId; Web Chat would hold them back for 5 s waiting for it.
    const replyToId = replyTo && (await this.isInLog(conversationId, replyTo)) ? replyTo : undefined;
    const from = { ...this.botAccount(), ...(input.from ?? {}), role: 'bot' };
    const recipient = { id: conversation.userId, role: 'user' };
    if (input.type === 'typing') {
      const typing = {
        ...input,
        id: `${conversationId}|typing-${randomBytes(4).toString('hex')}`,
        channelId: CHANNEL_ID,
        conversation: { id: conversationId },
        from,
        recipient,
        replyToId,
        timestamp: this.now().toISOString(),
      } as DirectLineActivity;
      this.deps.feed.publish(conversationId, {
        kind: 'ephemeral',
        activity: this.deps.links.forClient(typing, conversationId),
      });
      return { id: typing.id };
    }
    const entry = await this.append(conversationId, (id) => {
      const activity = {
        ...input,
        id,
        channelId: CHANNEL_ID,
        conversation: { id: conversationId },
        from,
        recipient,
        timestamp: this.now().toISOString(),
      } as DirectLineActivity;
      if (replyToId) activity.replyToId = replyToId;
      else delete activity.replyToId;
      delete activity.serviceUrl;
      return activity;
    });
    return { id: entry.activity.id };
  }

  /**
   * Whether the log holds a bot reply to the customer's activity `activityId` (the turn's replies
   * reached the customer). Reads the entries after it, up to a page.
   */
  async answered(conversationId: string, activityId: string): Promise<boolean> {
    const seq = logPositionOf(conversationId, activityId);
    if (seq === undefined) return false;
    const after = await this.deps.store.activitiesAfter(conversationId, seq, PAGE_SIZE);
    return after.some(
      (entry) => entry.activity.from?.role === 'bot' && entry.activity.replyToId === activityId,
    );
  }

  async members(conversationId: string): Promise<ChannelAccount[]> {
    const conversation = await this.requireConversation(conversationId, { allowEnded: true });
    return [{ id: conversation.userId, name: '', role: 'user' }, this.botAccount()];
  }

  private async appendFromUser(
    claims: DirectLineTokenClaims,
    input: UserActivityInput,
    uploads: UploadRecord[],
    origin: TurnOrigin,
  ): Promise<StoredActivity> {
    const serviceUrl = this.deps.serviceUrl();
    const { from: sentFrom, attachments: _ignored, ...fields } = input;
    const entry = await this.append(claims.conversationId, (id) => {
      const activity: DirectLineActivity = {
        ...fields,
        id,
        channelId: CHANNEL_ID,
        serviceUrl,
        timestamp: this.now().toISOString(),
        conversation: { id: claims.conversationId, isGroup: false, conversationType: 'personal', name: '' },
        // The user id comes from the token, whatever the browser wrote.
        from: { id: claims.userId, name: sentFrom?.name ?? '', role: 'user' },
        recipient: this.botAccount(),
      };
      if (uploads.length > 0) {
        activity.attachments = uploads.map((upload) => ({
          contentType: upload.contentType,
          contentUrl: this.deps.links.canonicalUrl(claims.conversationId, upload.id),
          name: upload.name,
        }));
        // Sizes for the ticket: Bot Framework attachments have no size field.
        activity.channelData = {
          ...(activity.channelData as Record<string, unknown> | undefined),
          uploads: uploads.map((upload) => ({
            name: upload.name,
            contentType: upload.contentType,
            size: upload.size,
            url: this.deps.links.canonicalUrl(claims.conversationId, upload.id),
          })),
        };
      }
      return activity;
    });
    this.deps.turns.enqueue(toBotActivity(entry.activity), origin);
    return entry;
  }

  /**
   * Appends in order per conversation (so the stream sees positions in order) with one write, and
   * pushes to the conversation's streams. Positions are dense: 1…lastSeq all exist.
   */
  private append(
    conversationId: string,
    build: (id: string, seq: number) => DirectLineActivity,
  ): Promise<StoredActivity> {
    return this.appends.run(conversationId, async () => {
      for (let attempt = 0; ; attempt += 1) {
        const seq = (await this.lastSeq(conversationId)) + 1;
        try {
          const stored = await this.deps.store.insertAt(
            conversationId,
            seq,
            build(activityIdFor(conversationId, seq), seq),
          );
          this.lastSeqs.set(conversationId, seq);
          this.deps.feed.publish(conversationId, {
            kind: 'stored',
            entry: this.forClient(stored, conversationId),
          });
          return stored;
        } catch (error) {
          if (!(error instanceof LogPositionTakenError) || attempt >= 5) throw error;
          this.lastSeqs.delete(conversationId);
        }
      }
    });
  }

  private async lastSeq(conversationId: string): Promise<number> {
    const cached = this.lastSeqs.get(conversationId);
    if (cached !== undefined) return cached;
    const last = await this.deps.store.lastSeq(conversationId);
    this.lastSeqs.set(conversationId, last);
    return last;
  }

  /** Whether `activityId` names an activity of this conversation's log (ids are `conversation|position`). */
  private async isInLog(conversationId: string, activityId: string): Promise<boolean> {
    const seq = logPositionOf(conversationId, activityId);
    return seq !== undefined && seq <= (await this.lastSeq(conversationId));
  }

  private async findConversation(
    conversationId: string,
    options: { fresh?: boolean } = {},
  ): Promise<ConversationRecord | undefined> {
    const cached = this.conversations.get(conversationId);
    if (cached && !options.fresh && this.now().getTime() - cached.readAt < CONVERSATION_RECHECK_MS)
      return cached.record;
    const found = await this.deps.store.getConversation(conversationId);
    if (found) this.remember(found);
    else this.conversations.delete(conversationId);
    return found;
  }

  private remember(conversation: ConversationRecord): void {
    this.conversations.set(conversation.id, { record: conversation, readAt: this.now().getTime() });
  }

  private assertOpen(conversation: ConversationRecord): void {
    if (conversation.endedAt) throw new ForbiddenError('This chat has ended; please start a new one.');
  }

  /** Maps the store's verdict on the customer's write to the answer; nothing was stored unless 'ok'. */
  private assertCounted(verdict: QuotaVerdict): void {
    const { quota } = this.deps;
    switch (verdict) {
      case 'ok':
        return;
      case 'missing':
        throw new NotFoundError('The conversation does not exist (it may have expired); start a new one.');
      case 'ended':
        throw new ForbiddenError('This chat has ended; please start a new one.');
      case 'messages':
        // Retrying this conversation will not help; a new chat will.
        throw new RateLimitedError(
          `This chat has reached its limit of ${quota.maxMessages} messages; please start a new chat.`,
          3600,
        );
      case 'photos':
        throw new UploadRejectedError(
          `This chat has reached its limit of ${quota.maxPhotos} photos; no more can be added to it.`,
          413,
        );
      case 'bytes':
        throw new UploadRejectedError(
          `These photos would pass this chat's limit of ${Math.round(quota.maxUploadBytes / 1024 / 1024)} MB of uploads; nothing was stored.`,
          413,
        );
    }
  }

  private async tellCustomer(conversationId: string, text: string): Promise<void> {
    try {
      await this.postFromBot(conversationId, { type: 'message', text, from: this.botAccount() });
    } catch (error) {
      this.deps.logger.warn(
        { err: error, conversationId },
        'could not tell the customer why an upload was refused',
      );
    }
  }

  /** What is wrong with the upload, or each file's type (by its bytes) when nothing is. */
  private uploadProblem(
    files: MultipartPart[],
  ): { message: string; customerText: string; status: 400 | 413 | 415 } | { contentTypes: PhotoType[] } {
    const rules = `I can receive photos (${PHOTO_TYPE_NAMES}) of up to ${MAX_PHOTO_BYTES / 1024 / 1024} MB each, ${MAX_UPLOAD_FILES} at a time.`;
    if (files.length === 0) {
      return {
        message: 'The upload contains no file.',
        customerText: `I didn't receive a file. ${rules}`,
        status: 400,
      };
    }
    if (files.length > MAX_UPLOAD_FILES) {
      return {
        message: `At most ${MAX_UPLOAD_FILES} files can be sent at once.`,
        customerText: `That was ${files.length} files. ${rules} Please send them in smaller groups.`,
        status: 413,
      };
    }
    const contentTypes: PhotoType[] = [];
    for (const file of files) {
      const name = safeFileName(file.filename ?? file.name);
      const verdict = judgeFile(file.data);
      if (verdict.accepted) {
        contentTypes.push(verdict.contentType);
        continue;
      }
      if (verdict.reason === 'too_large') {
        return {
          message: `"${name}" is larger than ${MAX_PHOTO_BYTES} bytes.`,
          customerText: `"${name}" is too large. ${rules} Please send a smaller photo.`,
          status: 413,
        };
      }
      return {
        message: `"${name}" is not a supported image; accepted: ${PHOTO_TYPE_NAMES}.`,
        customerText: `I couldn't accept "${name}". ${rules} A photo of the adapter, its LED or the serial-number label helps most.`,
        status: 415,
      };
    }
    return { contentTypes };
  }

  /** The conversation, which must exist and (unless `ended` is allowed: the bot's replies) be open. */
  private async requireConversation(
    conversationId: string,
    options: { fresh?: boolean; allowEnded?: boolean } = {},
  ): Promise<ConversationRecord> {
    const conversation = await this.findConversation(conversationId, options);
    if (!conversation)
      throw new NotFoundError('The conversation does not exist (it may have expired); start a new one.');
    if (!options.allowEnded) this.assertOpen(conversation);
    return conversation;
  }

  private botAccount(): ChannelAccount {
    return { id: this.deps.bot.id, name: this.deps.bot.name, role: 'bot' };
  }
}

/** channelData, value and entities are stored with the transcript: each at most MAX_FIELD_BYTES as JSON. */
function assertFieldSizes(input: UserActivityInput): void {
  for (const field of ['channelData', 'value', 'entities'] as const) {
    const value = input[field];
    if (value === undefined) continue;
    const bytes = Buffer.byteLength(JSON.stringify(value) ?? '');
    if (bytes > MAX_FIELD_BYTES) {
      throw new TooLargeError(
        `The activity's ${field} is ${bytes} bytes; at most ${MAX_FIELD_BYTES} are accepted.`,
      );
    }
  }
}

function parseOrThrow<T>(schema: z.ZodType<T>, body: unknown, what: string): T {
  const parsed = schema.safeParse(body);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map(
    (issue) => `${issue.path.length > 0 ? issue.path.join('.') : what}: ${issue.message}`,
  );
  throw new ValidationError(`Invalid ${what}: ${problems.join('; ')}`);
}

/** As CloudAdapter hands a JSON activity to the bot: Date timestamps, the raw strings kept alongside. */
function toBotActivity(activity: DirectLineActivity): Partial<ActivityTimestamps> {
  const { timestamp, localTimestamp, ...rest } = activity;
  return {
    ...rest,
    timestamp: new Date(timestamp),
    rawTimestamp: timestamp,
    ...(localTimestamp
      ? { localTimestamp: new Date(localTimestamp), rawLocalTimestamp: localTimestamp }
      : {}),
  };
}

/** File names go into the chat and the ticket: keep them short and printable. */
function safeFileName(name: string): string {
  const cleaned = name
    .replace(/[\\/]/g, '_')
    .replace(/[^\p{L}\p{N} ._()-]/gu, '')
    .trim()
    .slice(0, 100);
  return cleaned || 'photo';
}
