import type { NotificationEvent } from '../tickets/types';

/** A notification the dispatcher has leased and must now deliver. */
export interface ClaimedNotification {
  /** Unique per notification; the SMS sender's idempotency key. */
  id: string;
  /** Where it lives (the ticket's document id) and, for logs, the ticket number. */
  sourceId: string;
  ticketNumber: string;
  event: NotificationEvent;
  channel: 'sms';
  to: string;
  body: string;
  /** Delivery attempts including this one. */
  attempts: number;
  owner: string;
}

/**
 * Where the notifications wait (the tickets' outbox). Claims are leases: an entry claimed by a
 * dispatcher that then dies becomes due again when the lease runs out.
 */
export interface NotificationOutbox {
  /** Atomically leases up to `limit` due notifications to `owner` until now + leaseMs. */
  claimDue(options: {
    now: Date;
    leaseMs: number;
    owner: string;
    limit: number;
  }): Promise<ClaimedNotification[]>;
  /** Records the delivery; never undone. */
  markSent(notification: ClaimedNotification, result: { providerMessageId: string; at: Date }): Promise<void>;
  /** Schedules another attempt at `retryAt`, or ends the notification as failed/suppressed. */
  markFailed(
    notification: ClaimedNotification,
    result: { at: Date; error: string } & ({ retryAt: Date } | { final: 'failed' | 'suppressed' }),
  ): Promise<void>;
  /** Gives back a claim that was never tried (shutdown), without counting an attempt. */
  release(notification: ClaimedNotification, at: Date): Promise<void>;
}
