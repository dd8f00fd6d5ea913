import { randomBytes, randomInt, timingSafeEqual } from 'node:crypto';
import type { Connection, mongo } from 'mongoose';
import { SmsSendError, type SmsSender } from '../notifications/smsSender';
import type { Clock } from '../tickets/clock';
import type { KnownSmsSenders } from './knownSmsSenders';

/** Whether a number must be confirmed first: `code` (the default) or `off` (SMS_CONFIRM_NEW_NUMBERS). */
export type ConfirmationPolicy = 'code' | 'off';

/** not_needed: send to it freely; code_sent: ask for the code; unavailable: no code could be sent. */
export type ConfirmationStart = 'not_needed' | 'code_sent' | 'unavailable';
export type ConfirmationCheck = 'confirmed' | 'wrong' | 'expired' | 'too_many';

interface CodeDocument {
  _id: string;
  /** Keyed digests: of the number, and of conversation + number. */
  phoneKey: string;
  requestKey: string;
  codeDigest: string;
  attempts: number;
  createdAt: Date;
  expiresAt: Date;
  confirmedAt?: Date;
}

export interface PhoneConfirmationDeps {
  connection: Connection;
  /** Sends the code (checks STOP like every other SMS). */
  sender: SmsSender;
  knownSenders: KnownSmsSenders;
  /** A keyed digest (SmsIdentity.digest): numbers and codes are never stored as they are. */
  digest: (purpose: string, value: string) => string;
  policy: ConfirmationPolicy;
  /** False while SMS is not configured: no code can be sent, so none is tried (nor stored). */
  canSend: () => boolean;
  clock: Clock;
}

const COLLECTION = 'sms_confirmation_codes';
const CODE_TTL_MS = 10 * 60_000;
const MAX_ATTEMPTS = 5;
/** Codes one number gets in 24 hours, whoever asks: the code SMS must not become a spam tool itself. */
const MAX_CODES_PER_PHONE_PER_DAY = 3;
const DAY_MS = 24 * 60 * 60_000;

/**
 * One-time codes that prove a typed mobile number is the customer's before the bot texts it (the
 * "registered" SMS): otherwise anyone could make the company's number text a stranger. A number that
 * has texted us needs none (it is already proven); with policy `off` none is ever needed.
 */
export class PhoneConfirmation {
  private indexed: Promise<unknown> | undefined;

  constructor(private readonly deps: PhoneConfirmationDeps) {}

  /**
   * `proveOwner`: the code proves the customer holds the phone (looking their tickets up by it), not
   * only that texting it is welcome: a number that texted us before or SMS_CONFIRM_NEW_NUMBERS=off
   * does not stand in for the code then ('unavailable' when no code can be sent).
   */
  async start(request: {
    phone: string;
    conversationId: string;
    proveOwner?: boolean;
  }): Promise<ConfirmationStart> {
    if (this.deps.policy === 'off') return request.proveOwner ? 'unavailable' : 'not_needed';
    if (!this.deps.canSend()) return 'unavailable';
    if (!request.proveOwner && (await this.deps.knownSenders.hasTexted(request.phone))) return 'not_needed';
    const codes = await this.collection();
    const requestKey = this.requestKey(request);
    const now = this.deps.clock.now();
    if (await codes.findOne({ requestKey, confirmedAt: { $exists: true } }, { projection: { _id: 1 } }))
      return 'not_needed';
    const phoneKey = this.deps.digest('confirm-phone', request.phone);
    const recent = await codes.countDocuments({
      phoneKey,
      createdAt: { $gt: new Date(now.getTime() - DAY_MS) },
    });
    if (recent >= MAX_CODES_PER_PHONE_PER_DAY) return 'unavailable';
    const id = randomBytes(12).toString('base64url');
    const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
    await codes.insertOne({
      _id: id,
      phoneKey,
      requestKey,
      codeDigest: this.codeDigest(id, code),
      attempts: 0,
      createdAt: now,
      expiresAt: new Date(now.getTime() + CODE_TTL_MS),
    });
    try {
      await this.deps.sender.send({
        to: request.phone,
        body: `Your CarlinKit Support code is ${code}. It expires in 10 minutes. If you did not ask for it, ignore this message.`,
        idempotencyKey: `confirm:${id}`,
      });
    } catch (error) {
      if (error instanceof SmsSendError) return 'unavailable';
      throw error;
    }
    return 'code_sent';
  }

  async confirm(request: {
    phone: string;
    conversationId: string;
    code: string;
  }): Promise<ConfirmationCheck> {
    const codes = await this.collection();
    const now = this.deps.clock.now();
    const [latest] = await codes
      .find({ requestKey: this.requestKey(request) })
      .sort({ createdAt: -1 })
      .limit(1)
      .toArray();
    if (!latest) return 'expired';
    if (latest.confirmedAt) return 'confirmed';
    if (latest.expiresAt.getTime() <= now.getTime()) return 'expired';
    if (latest.attempts >= MAX_ATTEMPTS) return 'too_many';
    const given = Buffer.from(this.codeDigest(latest._id, request.code.replace(/\D/g, '')));
    const expected = Buffer.from(latest.codeDigest);
    if (given.length === expected.length && timingSafeEqual(given, expected)) {
      await codes.updateOne({ _id: latest._id }, { $set: { confirmedAt: now } });
      return 'confirmed';
    }
    await codes.updateOne({ _id: latest._id }, { $inc: { attempts: 1 } });
    return latest.attempts + 1 >= MAX_ATTEMPTS ? 'too_many' : 'wrong';
  }

  private requestKey(request: { phone: string; conversationId: string }): string {
    return this.deps.digest('confirm-request', `${request.conversationId}\n${request.phone}`);
  }

  private codeDigest(id: string, code: string): string {
    return this.deps.digest('confirm-code', `${id}:${code}`);
  }

  private async collection(): Promise<mongo.Collection<CodeDocument>> {
    const codes = this.deps.connection.collection<CodeDocument>(
      COLLECTION,
    ) as unknown as mongo.Collection<CodeDocument>;
    // Codes are kept a day after they were made (the per-number count), then the store drops them.
    this.indexed ??= Promise.all([
      codes.createIndex({ createdAt: 1 }, { expireAfterSeconds: 2 * 24 * 60 * 60 }),
      codes.createIndex({ requestKey: 1, createdAt: -1 }),
      codes.createIndex({ phoneKey: 1, createdAt: -1 }),
    ]);
    await this.indexed;
    return codes;
  }
}
