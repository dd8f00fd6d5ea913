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
    if (!firstAttempt) {
      const begun = await log.begin(message.idempotencyKey, message.to, message.body, this.now());
      if (begun.kind === 'already_sent') return { providerMessageId: begun.providerMessageId };
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
      if (!failure.retryable) {
        if (firstAttempt) await log.begin(message.idempotencyKey, message.to, message.body, this.now());
        await log.rejected(message.idempotencyKey, failure.providerCode?.toString(), this.now());
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
}

const restErrorShape = z.object({
  status: z.number().int(),
  code: z.number().int().optional(),
  message: z.string().optional(),
});
const networkErrorShape = z.object({ code: z.string().optional(), isAxiosError: z.literal(true).optional() });

/** Sorts whatever the twilio client threw into the dispatcher's vocabulary. */
export function classifyTwilioError(error: unknown): SmsSendError {
  const rest = restErrorShape.safeParse(error);
  if (rest.success) {
    const { status, code } = rest.data;
    const fail = (text: string, reason: SmsFailureReason, retryable: boolean): SmsSendError =>
      new SmsSendError(
        `Twilio ${status}${code ? ` (${code})` : ''}: ${text}`,
        reason,
        retryable,
        code ?? status,
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
