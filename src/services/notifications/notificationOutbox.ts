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
 * Where the notifications wait (the tickets' outbox). Claims are leases owned by an instance id:
 * the owner renews them while it works; an entry claimed by an instance that then dies is due
 * again at once when that instance restarts (reclaim), or when the lease runs out for any other.
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
  /** Extends the leases the claimer still holds on these notifications (it is alive and still working). */
  renew(notifications: readonly ClaimedNotification[], leaseUntil: Date): Promise<void>;
  /**
   * Makes every notification leased to `owner` due again at once: called by an instance as it
   * starts, for the claims its previous life (same instance id) held when it died. Returns how many.
   */
  reclaim(owner: string, now: Date): Promise<number>;
}
