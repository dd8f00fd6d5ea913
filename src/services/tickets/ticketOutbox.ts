import { Types, type Connection, type mongo } from 'mongoose';
import { ConflictError, NotFoundError } from '../errors';
import type { ClaimedNotification, NotificationOutbox } from '../notifications/notificationOutbox';
import { withoutUndefined } from '../store/withoutUndefined';
import { ticketModel, type OutboxDoc, type TicketDoc } from './ticketModel';
import { outboxDueAt } from './ticketOutboxState';

type OutboxFields = Pick<TicketDoc, '_id' | 'ticketNumber' | 'outbox' | 'outboxDueAt'>;
const OUTBOX_FIELDS = { ticketNumber: 1, outbox: 1, outboxDueAt: 1 } as const;
const MAX_WRITE_ATTEMPTS = 8;

/**
 * The notification outbox kept inside the ticket documents, so a ticket's change and its SMS are
 * one atomic write (the store has no multi-document transactions). Every write here changes one
 * entry, guarded by that entry's state as last read (a compare-and-set on the entry, through the
 * positional operator): a claim, a delivery record, a lease renewal and an agent's status change
 * (which appends an entry and bumps the ticket's `version`) never overwrite one another, and the
 * ticket needs no second counter.
 *
 * `outboxDueAt` is a hint for the poll: never later than the earliest time an entry needs the
 * dispatcher while one is unfinished ($min on every write that makes an entry due); a poll that
 * finds nothing due puts it right (or removes it when nothing waits).
 */
export class TicketOutbox implements NotificationOutbox {
  readonly name = 'tickets';
  private readonly collection: mongo.Collection<TicketDoc>;

  constructor(connection: Connection) {
    this.collection = ticketModel(connection).collection as unknown as mongo.Collection<TicketDoc>;
  }

  async claimDue(options: {
    now: Date;
    leaseMs: number;
    owner: string;
    limit: number;
  }): Promise<ClaimedNotification[]> {
    const { now, leaseMs, owner, limit } = options;
    const docs = (await this.collection
      .find({ outboxDueAt: { $lte: now } }, { projection: OUTBOX_FIELDS })
      .sort({ outboxDueAt: 1 })
      .limit(limit)
      .toArray()) as OutboxFields[];
    const claimed: ClaimedNotification[] = [];
    const leaseUntil = new Date(now.getTime() + leaseMs);
    for (const doc of docs) {
      const outbox = [...doc.outbox];
      for (const [index, entry] of outbox.entries()) {
        if (claimed.length >= limit || !isDue(entry, now)) continue;
        const leased: OutboxDoc = {
          ...entry,
          status: 'sending',
          attempts: entry.attempts + 1,
          leaseUntil,
          leaseOwner: owner,
        };
        // Lost the race (another dispatcher, or a requeue): the next poll sees the new state.
        if (!(await this.replace(doc._id, entry, leased))) continue;
        outbox[index] = leased;
        claimed.push({
          id: entry.id,
          store: this.name,
          sourceId: String(doc._id),
          kind: 'ticket',
          ticketNumber: doc.ticketNumber,
          event: entry.event,
          channel: entry.channel,
          to: entry.to,
          body: entry.body,
          attempts: leased.attempts,
          owner,
          queuedAt: entry.createdAt,
        });
      }
      await this.settleDueAt(doc, outbox);
    }
    return claimed;
  }

  async markSent(
    notification: ClaimedNotification,
    result: { providerMessageId: string; at: Date },
  ): Promise<void> {
    // Recorded even if our lease ran out meanwhile: it was delivered, and nobody must send it again.
    await this.modify(this.idOf(notification), notification.id, (entry) =>
      entry.status === 'sent'
        ? undefined
        : {
            ...entry,
            status: 'sent',
            providerMessageId: result.providerMessageId,
            sentAt: result.at,
            leaseUntil: undefined,
            leaseOwner: undefined,
            nextAttemptAt: undefined,
          },
    );
  }

  async markFailed(
    notification: ClaimedNotification,
    result: { at: Date; error: string } & ({ retryAt: Date } | { final: 'failed' | 'suppressed' }),
  ): Promise<void> {
    await this.modify(this.idOf(notification), notification.id, (entry) => {
      // Someone else owns it now (our lease ran out) or it went through after all.
      if (entry.status !== 'sending' || entry.leaseOwner !== notification.owner) return undefined;
      const base = { ...entry, lastError: result.error, leaseUntil: undefined, leaseOwner: undefined };
      return 'retryAt' in result
        ? { ...base, status: 'pending', nextAttemptAt: result.retryAt }
        : { ...base, status: result.final, nextAttemptAt: undefined };
    });
  }

  async release(notification: ClaimedNotification, at: Date): Promise<void> {
    await this.modify(this.idOf(notification), notification.id, (entry) =>
      entry.status !== 'sending' || entry.leaseOwner !== notification.owner
        ? undefined
        : {
            ...entry,
            status: 'pending',
            attempts: Math.max(0, entry.attempts - 1),
            nextAttemptAt: at,
            leaseUntil: undefined,
            leaseOwner: undefined,
          },
    );
  }

  async renew(notifications: readonly ClaimedNotification[], leaseUntil: Date): Promise<void> {
    for (const notification of notifications) {
      await this.modify(this.idOf(notification), notification.id, (entry) =>
        entry.status !== 'sending' || entry.leaseOwner !== notification.owner
          ? undefined
          : { ...entry, leaseUntil },
      );
    }
  }

  async reclaim(owner: string, now: Date): Promise<number> {
    const docs = (await this.collection
      .find(
        { outboxDueAt: { $exists: true }, outbox: { $elemMatch: { status: 'sending', leaseOwner: owner } } },
        { projection: { _id: 1 } },
      )
      .toArray()) as Array<Pick<TicketDoc, '_id'>>;
    let reclaimed = 0;
    for (const doc of docs) {
      const current =
        (await this.collection.findOne({ _id: doc._id }, { projection: { outbox: 1 } }))?.outbox ?? [];
      for (const held of current) {
        if (held.status !== 'sending' || held.leaseOwner !== owner) continue;
        // The attempt stays counted: it may have reached the provider, whose idempotency key dedupes it.
        const changed = await this.modify(doc._id, held.id, (entry) =>
          entry.status !== 'sending' || entry.leaseOwner !== owner
            ? undefined
            : {
                ...entry,
                status: 'pending',
                nextAttemptAt: now,
                leaseUntil: undefined,
                leaseOwner: undefined,
              },
        );
        if (changed) reclaimed += 1;
      }
    }
    return reclaimed;
  }

  /**
   * Puts a failed notification back in the queue (after fixing the number, or a long outage).
   * NotFoundError when the ticket or the notification does not exist, ConflictError unless it failed.
   */
  async requeue(ticketNumber: string, notificationId: string, at: Date): Promise<void> {
    const doc = (await this.collection.findOne(
      { ticketNumber },
      { projection: { _id: 1, outbox: 1 } },
    )) as Pick<TicketDoc, '_id' | 'outbox'> | null;
    if (!doc) throw new NotFoundError(`No ticket ${ticketNumber}`);
    if (!doc.outbox.some((candidate) => candidate.id === notificationId))
      throw new NotFoundError(`Ticket ${ticketNumber} has no notification ${notificationId}`);
    await this.modify(doc._id, notificationId, (entry) => {
      if (entry.status !== 'failed')
        throw new ConflictError(
          `Notification ${notificationId} is ${entry.status}; only a failed one can be retried`,
        );
      return { ...entry, status: 'pending', attempts: 0, nextAttemptAt: at };
    });
  }

  /**
   * After a poll: `outboxDueAt` as the entries now stand (removed when nothing waits), only if the
   * outbox is still exactly as this poll left it (no entry added or changed meanwhile; a writer
   * that did keeps the hint early enough with $min, and the next poll settles it).
   */
  private async settleDueAt(doc: OutboxFields, outbox: readonly OutboxDoc[]): Promise<void> {
    const due = outboxDueAt(outbox);
    if (due?.getTime() === doc.outboxDueAt?.getTime()) return;
    const unchanged = outbox.map((entry) => ({ outbox: { $elemMatch: guardOf(entry) } }));
    await this.collection.updateOne(
      {
        _id: doc._id,
        outboxDueAt: doc.outboxDueAt,
        outbox: { $size: outbox.length },
        ...(unchanged.length > 0 ? { $and: unchanged } : {}),
      },
      due ? { $set: { outboxDueAt: due } } : { $unset: { outboxDueAt: '' } },
    );
  }

  /**
   * Re-reads the entry and retries when it changed meanwhile; `change` returns undefined to leave
   * it alone. True when this call changed it; false when it (or its ticket) is gone or left alone.
   */
  private async modify(
    ticketId: Types.ObjectId,
    id: string,
    change: (entry: OutboxDoc) => OutboxDoc | undefined,
  ): Promise<boolean> {
    for (let attempt = 0; attempt < MAX_WRITE_ATTEMPTS; attempt += 1) {
      const doc = await this.collection.findOne({ _id: ticketId }, { projection: { outbox: 1 } });
      const entry = doc?.outbox.find((candidate) => candidate.id === id);
      if (!entry) return false;
      const changed = change(entry);
      if (!changed) return false;
      if (await this.replace(ticketId, entry, changed)) return true;
    }
    throw new ConflictError(`Notification ${id} is being changed by others right now; please try again.`);
  }

  /**
   * One entry's compare-and-set: replaces `entry` with `next` if it is still as read (every write
   * to an entry changes its status, attempts or lease), and keeps `outboxDueAt` early enough.
   */
  private async replace(ticketId: Types.ObjectId, entry: OutboxDoc, next: OutboxDoc): Promise<boolean> {
    const guard = guardOf(entry);
    const due = outboxDueAt([next]);
    const result = await this.collection.updateOne(
      { _id: ticketId, outbox: { $elemMatch: guard } },
      {
        $set: { 'outbox.$': withoutUndefined(next) },
        ...(due ? { $min: { outboxDueAt: due } } : {}),
      },
    );
    return result.modifiedCount === 1;
  }

  private idOf(notification: ClaimedNotification): Types.ObjectId {
    return new Types.ObjectId(notification.sourceId);
  }
}

/** An entry as read: every write to an entry changes its status, attempts or lease. */
function guardOf(entry: OutboxDoc): Record<string, unknown> {
  return {
    id: entry.id,
    status: entry.status,
    attempts: entry.attempts,
    leaseUntil: entry.leaseUntil ?? null,
    leaseOwner: entry.leaseOwner ?? null,
  };
}

function isDue(entry: OutboxDoc, now: Date): boolean {
  if (entry.status === 'pending') return (entry.nextAttemptAt ?? entry.createdAt).getTime() <= now.getTime();
  if (entry.status === 'sending')
    return entry.leaseUntil !== undefined && entry.leaseUntil.getTime() <= now.getTime();
  return false;
}
