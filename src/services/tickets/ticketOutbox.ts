import type { Connection } from 'mongoose';
import type { ClaimedNotification, NotificationOutbox } from '../notifications/notificationOutbox';
import { ticketModel, type OutboxDoc, type TicketDoc, type TicketModel } from './ticketModel';
import { outboxUpdate } from './ticketOutboxState';

const MAX_WRITE_ATTEMPTS = 8;

type OutboxFields = Pick<TicketDoc, '_id' | 'ticketNumber' | 'outbox' | 'outboxVersion'>;

/**
 * The notification outbox kept inside the ticket documents. Every write is a compare-and-set on
 * `outboxVersion`, so a claim, a delivery record and an agent's status change (which appends to the
 * outbox) never overwrite one another.
 */
export class TicketOutbox implements NotificationOutbox {
  private readonly model: TicketModel;

  constructor(connection: Connection) {
    this.model = ticketModel(connection);
  }

  async claimDue(options: {
    now: Date;
    leaseMs: number;
    owner: string;
    limit: number;
  }): Promise<ClaimedNotification[]> {
    const { now, leaseMs, owner, limit } = options;
    const docs = await this.model
      .find({ outboxDueAt: { $lte: now } }, { ticketNumber: 1, outbox: 1, outboxVersion: 1 })
      .sort({ outboxDueAt: 1 })
      .limit(limit)
      .lean<OutboxFields[]>()
      .exec();
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
          sourceId: String(doc._id),
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
    await this.modify(notification, (entry) =>
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
    await this.modify(notification, (entry) => {
      // Someone else owns it now (our lease ran out) or it went through after all.
      if (entry.status !== 'sending' || entry.leaseOwner !== notification.owner) return undefined;
      const base = { ...entry, lastError: result.error, leaseUntil: undefined, leaseOwner: undefined };
      return 'retryAt' in result
        ? { ...base, status: 'pending', nextAttemptAt: result.retryAt }
        : { ...base, status: result.final, nextAttemptAt: undefined };
    });
  }

  async release(notification: ClaimedNotification, at: Date): Promise<void> {
    await this.modify(notification, (entry) =>
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

  /** Re-reads and retries on a lost compare-and-set; `change` returns undefined to leave the entry alone. */
  private async modify(
    notification: ClaimedNotification,
    change: (entry: OutboxDoc) => OutboxDoc | undefined,
  ): Promise<void> {
    for (let attempt = 0; attempt < MAX_WRITE_ATTEMPTS; attempt += 1) {
      const doc = await this.model
        .findById(notification.sourceId, { ticketNumber: 1, outbox: 1, outboxVersion: 1 })
        .lean<OutboxFields>()
        .exec();
      const entry = doc?.outbox.find((candidate) => candidate.id === notification.id);
      if (!doc || !entry) return;
      const changed = change(entry);
      if (!changed) return;
      const outbox = doc.outbox.map((candidate) =>
        candidate.id === notification.id ? withoutUndefined(changed) : candidate,
      );
      if (await this.write(doc, outbox)) return;
    }
    throw new Error(
      `Outbox: could not record notification ${notification.id} of ${notification.ticketNumber} after ${MAX_WRITE_ATTEMPTS} attempts`,
    );
  }

  private async write(doc: OutboxFields, outbox: OutboxDoc[]): Promise<boolean> {
    const { set, unset } = outboxUpdate(outbox);
    const result = await this.model
      .updateOne(
        { _id: doc._id, outboxVersion: doc.outboxVersion },
        {
          $set: set,
          ...(Object.keys(unset).length > 0 ? { $unset: unset } : {}),
          $inc: { outboxVersion: 1 },
        },
      )
      .exec();
    return result.matchedCount === 1;
  }
}

function isDue(entry: OutboxDoc, now: Date): boolean {
  if (entry.status === 'pending') return (entry.nextAttemptAt ?? entry.createdAt).getTime() <= now.getTime();
  if (entry.status === 'sending')
    return entry.leaseUntil !== undefined && entry.leaseUntil.getTime() <= now.getTime();
  return false;
}

function withoutUndefined(entry: OutboxDoc): OutboxDoc {
  const copy: Record<string, unknown> = { ...entry };
  for (const key of Object.keys(copy)) if (copy[key] === undefined) delete copy[key];
  return copy as unknown as OutboxDoc;
}
