/**
 * What the notification dispatcher needs from an SMS provider. The Twilio implementation lives with
 * the SMS channel; tests use a fake. Implementations check the recipient's opt-out (STOP) themselves
 * and answer it with a permanent SmsSendError('opted_out').
 */
export interface SmsMessage {
  /** E.164, e.g. +8613800138000. */
  to: string;
  body: string;
  /**
   * Stable per notification (the outbox entry id): the same key may arrive again after a crash
   * between "sent" and "recorded as sent"; an implementation that can deduplicate should.
   */
  idempotencyKey: string;
  /**
   * Send without looking at the opt-out list: a STOP / START / HELP answer (compliance requires it
   * even to a number that has just opted out), or a turn's reply whose sender was checked moments ago.
   */
  skipOptOutCheck?: boolean;
  /** No earlier attempt used this idempotency key: the sender may skip recording the attempt before it. */
  firstAttempt?: boolean;
  /**
   * Attempts of this message before this one (0 or unset: none). An earlier attempt that left no
   * record (a crash in the middle of it) may still have reached the provider.
   */
  priorAttempts?: number;
  /** No attempt of this message started before this time (when it was queued). */
  notBefore?: Date;
}

export interface SmsSender {
  send(message: SmsMessage): Promise<{ providerMessageId: string }>;
}

/**
 * Why a send failed. Permanent reasons are never retried: 'opted_out' marks the notification
 * suppressed; 'invalid_number' and 'rejected' mark it failed. Temporary ones are retried with backoff.
 */
export type SmsFailureReason =
  | 'opted_out'
  | 'invalid_number'
  | 'rejected'
  | 'rate_limited'
  | 'provider_unavailable'
  | 'network'
  | 'timeout'
  | 'not_configured'
  | 'unknown';

export class SmsSendError extends Error {
  constructor(
    message: string,
    readonly reason: SmsFailureReason,
    readonly retryable: boolean,
    /** Provider's own error code (e.g. Twilio 21610), for logs. */
    readonly providerCode?: string | number,
    /** The provider asked to wait this long before trying again (Retry-After). */
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = 'SmsSendError';
  }
}
