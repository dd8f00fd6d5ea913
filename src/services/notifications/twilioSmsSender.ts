import type twilio from 'twilio';
import { z } from 'zod';
import type { Logger } from '../logging/logger';
import { SMS_MAX_BODY_CHARS } from '../sms/splitSmsText';
import type { SmsOptOutRegistry } from '../sms/smsOptOutRegistry';
import { isOutboundSmsStatus, type SmsOutboundLog } from '../sms/smsOutboundLog';
import { SmsSendError, type SmsFailureReason, type SmsMessage, type SmsSender } from './smsSender';

export interface TwilioSender {
  /** Preferred when set: Twilio then picks the sending number (sticky sender, opt-out lists). */
  messagingServiceSid?: string;
  fromNumber?: string;
}

export interface TwilioSmsSenderDeps {
  client: twilio.Twilio;
  sender: TwilioSender;
  optOuts: SmsOptOutRegistry;
  log: SmsOutboundLog;
  logger: Logger;
  /** The status-callback URL for a message; unset → Twilio reports no delivery status. */
  statusCallbackUrl?: (idempotencyKey: string) => string;
  now?: () => Date;
}

const e164 = z.string().regex(/^\+[1-9]\d{6,14}$/);

/** Twilio error codes that mean "this recipient has unsubscribed" (STOP reached Twilio first). */
const UNSUBSCRIBED = new Set([21610]);
/** Twilio error codes that mean the number itself is wrong or unreachable by SMS. */
const INVALID_NUMBER = new Set([21211, 21214, 21217, 21401, 21407, 21408, 21421, 21612, 21614]);

/**
 * SmsSender on Twilio's Messages API. Refuses opted-out numbers before calling Twilio, records every
 * message (keyed by its idempotency key, so a repeated key is not sent twice) and sorts Twilio's
 * errors into temporary (5xx, 429, network) and permanent ones.
 */
export class TwilioSmsSender implements SmsSender {
  private readonly now: () => Date;

  constructor(private readonly deps: TwilioSmsSenderDeps) {
    if (!deps.sender.messagingServiceSid && !deps.sender.fromNumber) {
      throw new TypeError('TwilioSmsSender needs a messaging service SID or a from number');
    }
    this.now = deps.now ?? (() => new Date());
  }

  async send(message: SmsMessage): Promise<{ providerMessageId: string }> {
    this.check(message);
    if (!message.skipOptOutCheck && (await this.deps.optOuts.isOptedOut(message.to))) {
      throw new SmsSendError('The recipient has opted out of SMS (STOP)', 'opted_out', false);
    }
    return this.deliver(message, message.firstAttempt === true);
  }

  /**
   * Sends without looking at the opt-out list: for the answer to a STOP / START / HELP keyword
   * (compliance requires it even to a number that has just opted out), and for a turn's replies
   * whose sender the caller checked moments ago. `firstAttempt` promises that no earlier attempt
   * used this idempotency key, which saves recording the attempt before calling Twilio.
   */
  async sendWithoutOptOutCheck(
    message: SmsMessage,
    options: { firstAttempt?: boolean } = {},
  ): Promise<{ providerMessageId: string }> {
    this.check(message);
    return this.deliver(message, options.firstAttempt === true);
  }

  private check(message: SmsMessage): void {
    if (!e164.safeParse(message.to).success) {
      throw new SmsSendError('The recipient is not an E.164 phone number', 'invalid_number', false);
    }
    if (message.body.length === 0 || message.body.length > SMS_MAX_BODY_CHARS) {
      throw new SmsSendError(`The body must be 1 to ${SMS_MAX_BODY_CHARS} characters`, 'rejected', false);
    }
    if (message.idempotencyKey.length === 0) {
      throw new SmsSendError('The idempotency key is empty', 'rejected', false);
    }
  }

  private async deliver(message: SmsMessage, firstAttempt: boolean): Promise<{ providerMessageId: string }> {
    const { log, logger } = this.deps;
    const startedAt = this.now();
    let inDoubtSince: Date | undefined;
    if (!firstAttempt) {
      const begun = await log.begin(message.idempotencyKey, message.to, message.body, startedAt);
      if (begun.kind === 'already_sent') return { providerMessageId: begun.providerMessageId };
      if (begun.kind === 'in_doubt') inDoubtSince = begun.since;
      // Earlier attempts left no record: one was cut off before it could write it (fast path).
      else if (begun.kind === 'new' && (message.priorAttempts ?? 0) > 0)
        inDoubtSince = message.notBefore ?? new Date(startedAt.getTime() - UNKNOWN_START_LOOKBACK_MS);
    }
    if (inDoubtSince) {
      const found = await this.findAccepted(message, inDoubtSince);
      if (found) {
        const status = isOutboundSmsStatus(found.status) ? found.status : 'queued';
        await log.accepted(message.idempotencyKey, found.sid, status, this.now());
        logger.info(
          { idempotencyKey: message.idempotencyKey, providerMessageId: found.sid },
          'sms send: an attempt cut off earlier had reached Twilio; not sent again',
        );
        return { providerMessageId: found.sid };
      }
      await log.doubtCleared(message.idempotencyKey, startedAt);
    }

    let created: { sid: string; status: string };
    try {
      created = await this.deps.client.messages.create({
        to: message.to,
        body: message.body,
        ...(this.deps.sender.messagingServiceSid
          ? { messagingServiceSid: this.deps.sender.messagingServiceSid }
          : { from: this.deps.sender.fromNumber }),
        ...(this.deps.statusCallbackUrl
          ? { statusCallback: this.deps.statusCallbackUrl(message.idempotencyKey) }
          : {}),
      });
    } catch (error) {
      const failure = classifyTwilioError(error);
      if (failure.reason === 'opted_out') {
        await this.deps.optOuts.optOut(message.to, `twilio:${String(failure.providerCode)}`, this.now());
      }
      // The fast path wrote nothing yet: record the attempt now (in doubt until shown otherwise).
      if (firstAttempt) await log.begin(message.idempotencyKey, message.to, message.body, startedAt);
      if (!failure.retryable) {
        await log.rejected(message.idempotencyKey, failure.providerCode?.toString(), this.now());
      } else if (!IN_DOUBT.has(failure.reason)) {
        // Twilio answered with an error: it did not take this attempt.
        await log.attemptFailed(message.idempotencyKey, this.now());
      }
      logger.warn(
        {
          idempotencyKey: message.idempotencyKey,
          reason: failure.reason,
          retryable: failure.retryable,
          providerCode: failure.providerCode,
        },
        'sms send failed',
      );
      throw failure;
    }
    const status = isOutboundSmsStatus(created.status) ? created.status : 'queued';
    if (firstAttempt) {
      await log.recordAccepted(
        { idempotencyKey: message.idempotencyKey, to: message.to, body: message.body },
        created.sid,
        status,
        this.now(),
      );
    } else {
      await log.accepted(message.idempotencyKey, created.sid, status, this.now());
    }
    return { providerMessageId: created.sid };
  }

  /**
   * Twilio's API has no idempotency key, so an attempt whose outcome we never learnt is settled by
   * asking Twilio: a message to the same number with the same text and sender, created since the
   * attempt began (less some clock skew), that no other of our messages is recorded under. Twilio
   * lists newest first; paging stops at the first page older than that. `DateSent` is not used as a
   * filter: it stays empty while Twilio still queues the message. A failure to ask is a temporary
   * failure of this attempt (nothing is sent, the doubt stays).
   */
  private async findAccepted(
    message: SmsMessage,
    since: Date,
  ): Promise<{ sid: string; status: string } | undefined> {
    const from = since.getTime() - CLOCK_SKEW_MS;
    const { messagingServiceSid, fromNumber } = this.deps.sender;
    try {
      let page: MessageListPage = await this.deps.client.messages.page({
        to: message.to,
        pageSize: LIST_PAGE_SIZE,
      });
      for (let pages = 1; ; pages += 1) {
        let newer = false;
        for (const candidate of page.instances) {
          const created = candidate.dateCreated?.getTime() ?? Number.POSITIVE_INFINITY;
          if (created < from) continue;
          newer = true;
          if (candidate.body !== message.body) continue;
          if (!candidate.direction.startsWith('outbound')) continue;
          if (
            messagingServiceSid &&
            candidate.messagingServiceSid &&
            candidate.messagingServiceSid !== messagingServiceSid
          )
            continue;
          if (!messagingServiceSid && fromNumber && candidate.from && candidate.from !== fromNumber) continue;
          if (await this.deps.log.isRecordedElsewhere(candidate.sid, message.idempotencyKey)) continue;
          return { sid: candidate.sid, status: candidate.status };
        }
        if (!newer || pages >= LIST_MAX_PAGES) return undefined;
        const next = page.nextPage();
        if (!next) return undefined;
        page = await next;
      }
    } catch (error) {
      const failure = classifyTwilioError(error);
      this.deps.logger.warn(
        {
          idempotencyKey: message.idempotencyKey,
          reason: failure.reason,
          providerCode: failure.providerCode,
        },
        'sms send: could not ask Twilio whether an earlier attempt went out; will retry',
      );
      throw failure;
    }
  }
}

/** What the sender reads from a page of Twilio's message list. */
interface MessageListPage {
  instances: Array<{
    sid: string;
    status: string;
    body: string;
    direction: string;
    from: string;
    messagingServiceSid: string;
    dateCreated: Date;
  }>;
  nextPage(): Promise<MessageListPage> | undefined;
}

/** Failures after which Twilio may have taken the message (no answer came back). */
const IN_DOUBT = new Set<SmsFailureReason>(['timeout', 'network', 'unknown']);
/** Twilio's clock and ours may disagree by this much. */
const CLOCK_SKEW_MS = 5 * 60_000;
/** How far back to look when an attempt left no record and the message's queue time is unknown. */
const UNKNOWN_START_LOOKBACK_MS = 24 * 3_600_000;
const LIST_PAGE_SIZE = 50;
const LIST_MAX_PAGES = 20;

const restErrorShape = z.object({
  status: z.number().int(),
  code: z.number().int().optional(),
  message: z.string().optional(),
  /** Set by our request client when Twilio sent Retry-After. */
  retryAfterMs: z.number().nonnegative().optional(),
});
const networkErrorShape = z.object({ code: z.string().optional(), isAxiosError: z.literal(true).optional() });

/** Sorts whatever the twilio client threw into the dispatcher's vocabulary. */
export function classifyTwilioError(error: unknown): SmsSendError {
  const rest = restErrorShape.safeParse(error);
  if (rest.success) {
    const { status, code, retryAfterMs } = rest.data;
    const fail = (text: string, reason: SmsFailureReason, retryable: boolean): SmsSendError =>
      new SmsSendError(
        `Twilio ${status}${code ? ` (${code})` : ''}: ${text}`,
        reason,
        retryable,
        code ?? status,
        retryable ? retryAfterMs : undefined,
      );
    if (code !== undefined && UNSUBSCRIBED.has(code))
      return fail('the recipient has unsubscribed', 'opted_out', false);
    if (code !== undefined && INVALID_NUMBER.has(code))
      return fail('the number cannot receive SMS', 'invalid_number', false);
    if (status === 429) return fail('rate limited', 'rate_limited', true);
    if (status >= 500) return fail('service unavailable', 'provider_unavailable', true);
    // Bad credentials are a configuration fault an operator can fix: keep the message for later.
    if (status === 401 || status === 403) return fail('credentials refused', 'not_configured', true);
    return fail('message refused', 'rejected', false);
  }
  const network = networkErrorShape.safeParse(error);
  if (network.success && typeof network.data.code === 'string') {
    const code = network.data.code;
    if (code === 'ECONNABORTED' || code === 'ETIMEDOUT')
      return new SmsSendError('Twilio did not answer in time', 'timeout', true, code);
    return new SmsSendError(`Twilio unreachable (${code})`, 'network', true, code);
  }
  return new SmsSendError('Unexpected error from the Twilio client', 'unknown', true);
}
