import { Types, type Connection, type mongo } from 'mongoose';
import { ConflictError, NotFoundError } from '../errors';
import type { ClaimedNotification, NotificationOutbox } from '../notifications/notificationOutbox';
import { withoutUndefined } from '../store/withoutUndefined';
import { ticketModel, type OutboxDoc, type TicketDoc } from './ticketModel';
import { outboxUpdate } from './ticketOutboxState';

const MAX_WRITE_ATTEMPTS = 8;

type OutboxFields = Pick<TicketDoc, '_id' | 'ticketNumber' | 'outbox' | 'outboxVersion'>;
const OUTBOX_FIELDS = { ticketNumber: 1, outbox: 1, outboxVersion: 1 } as const;

/**
 * The notification outbox kept inside the ticket documents. Every write is a compare-and-set on
 * `outboxVersion`, so a claim, a delivery record and an agent's status change (which appends to the
 * outbox) never overwrite one another.
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
      if (claimed.length >= limit) break;
      const mine: OutboxDoc[] = [];
      const outbox = doc.outbox.map((entry) => {
        if (claimed.length + mine.length >= limit || !isDue(entry, now)) return entry;
        const leased: OutboxDoc = {
          ...entry,
          status: 'sending',
          attempts: entry.attempts + 1,
          leaseUntil,
          leaseOwner: owner,
        };
        mine.push(leased);
        return leased;
      });
      if (mine.length === 0) continue;
      // Lost the race (another dispatcher, or an agent's change): the next poll sees the new state.
      if (!(await this.write(doc, outbox))) continue;
      for (const entry of mine) {
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
          attempts: entry.attempts,
          owner,
        });
      }
    }
    return claimed;
  }

  async markSent(
    notification: ClaimedNotification,
    result: { providerMessageId: string; at: Date },
  ): Promise<void> {
    // Recorded even if our lease ran out meanwhile: it was delivered, and nobody must send it again.
    await this.modifyClaimed(notification, (entry) =>
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
    await this.modifyClaimed(notification, (entry) => {
      // Someone else owns it now (our lease ran out) or it went through after all.
      if (entry.status !== 'sending' || entry.leaseOwner !== notification.owner) return undefined;
      const base = { ...entry, lastError: result.error, leaseUntil: undefined, leaseOwner: undefined };
      return 'retryAt' in result
        ? { ...base, status: 'pending', nextAttemptAt: result.retryAt }
        : { ...base, status: result.final, nextAttemptAt: undefined };
    });
  }

  async release(notification: ClaimedNotification, at: Date): Promise<void> {
    await this.modifyClaimed(notification, (entry) =>
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
      await this.modifyClaimed(notification, (entry) =>
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
        { projection: { _id: 1, outbox: 1 } },
      )
      .toArray()) as Array<Pick<TicketDoc, '_id' | 'outbox'>>;
    let reclaimed = 0;
    for (const doc of docs) {
      for (const held of doc.outbox.filter(
        (entry) => entry.status === 'sending' && entry.leaseOwner === owner,
      )) {
        let changed = false;
        await this.modify({ _id: doc._id }, held.id, 'ignore', (entry) => {
          changed = entry.status === 'sending' && entry.leaseOwner === owner;
          if (!changed) return undefined;
          // The attempt stays counted: it may have reached the provider, whose idempotency key dedupes it.
          return {
            ...entry,
            status: 'pending',
            nextAttemptAt: now,
            leaseUntil: undefined,
            leaseOwner: undefined,
          };
        });
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
    await this.modify({ ticketNumber }, notificationId, 'refuse', (entry) => {
      if (entry.status !== 'failed')
        throw new ConflictError(
          `Notification ${notificationId} is ${entry.status}; only a failed one can be retried`,
        );
      return { ...entry, status: 'pending', attempts: 0, nextAttemptAt: at };
    });
  }

  private async modifyClaimed(
    notification: ClaimedNotification,
    change: (entry: OutboxDoc) => OutboxDoc | undefined,
  ): Promise<void> {
    await this.modify({ _id: new Types.ObjectId(notification.sourceId) }, notification.id, 'ignore', change);
  }

  /**
   * Re-reads and retries on a lost compare-and-set; `change` returns undefined to leave the entry
   * alone. A missing ticket or entry is ignored (a claim on a deleted ticket) or refused (NotFound).
   */
  private async modify(
    where: { _id: Types.ObjectId } | { ticketNumber: string },
    id: string,
    whenMissing: 'ignore' | 'refuse',
    change: (entry: OutboxDoc) => OutboxDoc | undefined,
  ): Promise<void> {
    const label = 'ticketNumber' in where ? where.ticketNumber : String(where._id);
    for (let attempt = 0; attempt < MAX_WRITE_ATTEMPTS; attempt += 1) {
      const doc = (await this.collection.findOne(where, {
        projection: OUTBOX_FIELDS,
      })) as OutboxFields | null;
      const entry = doc?.outbox.find((candidate) => candidate.id === id);
      if (!doc || !entry) {
        if (whenMissing === 'ignore') return;
        throw new NotFoundError(doc ? `Ticket ${label} has no notification ${id}` : `No ticket ${label}`);
      }
      const changed = change(entry);
      if (!changed) return;
      const outbox = doc.outbox.map((candidate) =>
        candidate.id === id ? withoutUndefined(changed) : candidate,
      );
      if (await this.write(doc, outbox)) return;
    }
    throw new ConflictError(
      `Ticket ${label}: notification ${id} is being changed by others right now; please try again.`,
    );
  }

  private async write(doc: OutboxFields, outbox: OutboxDoc[]): Promise<boolean> {
    const { set, unset } = outboxUpdate(outbox);
    const result = await this.collection.updateOne(
      { _id: doc._id, outboxVersion: doc.outboxVersion },
      {
        $set: set,
        ...(Object.keys(unset).length > 0 ? { $unset: unset } : {}),
        $inc: { outboxVersion: 1 },
      },
    );
    return result.matchedCount === 1;
  }
}

function isDue(entry: OutboxDoc, now: Date): boolean {
  if (entry.status === 'pending') return (entry.nextAttemptAt ?? entry.createdAt).getTime() <= now.getTime();
  if (entry.status === 'sending')
    return entry.leaseUntil !== undefined && entry.leaseUntil.getTime() <= now.getTime();
  return false;
}
