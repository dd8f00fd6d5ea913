import type { NotificationEvent } from '../tickets/types';

/**
 * What an outbound message is for: a ticket event's SMS, the reply to an inbound SMS, or a
 * proactive message (an agent's, a follow-up).
 */
export type OutboundKind = 'ticket' | 'reply' | 'proactive';

/** A message the dispatcher has leased and must now deliver. */
export interface ClaimedNotification {
  /** Unique per message; the SMS sender's idempotency key. */
  id: string;
  /** The outbox it lives in (OutboxStore.name) and where in it (the ticket's document id, or the entry's). */
  store: string;
  sourceId: string;
  kind: OutboundKind;
  /** For ticket SMS: the ticket number (for logs) and the event. */
  ticketNumber?: string;
  event?: NotificationEvent;
  channel: 'sms';
  to: string;
  body: string;
  /** A STOP / START / HELP answer: sent even to a number that has just opted out. */
  compliance?: boolean;
  /**
   * Claimed as it was written by the instance that wrote it, moments after checking the recipient
   * (a turn's reply): no earlier attempt exists and the opt-out status is known.
   */
  fresh?: boolean;
  /** Messages with the same key (the recipient of replies) are delivered in order, one at a time. */
  orderKey?: string;
  /** Delivery attempts including this one. */
  attempts: number;
  owner: string;
  /** When the message was queued: no attempt to send it started earlier. */
  queuedAt?: Date;
}

/**
 * Where the notifications wait (the tickets' outbox). Claims are leases owned by an instance id:
 * the owner renews them while it works; an entry claimed by an instance that then dies is due
 * again at once when that instance restarts (reclaim), or when the lease runs out for any other.
 */
export interface NotificationOutbox {
  /** Names the store on its claims (ClaimedNotification.store). */
  readonly name: string;
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
