import type { Connection, mongo } from 'mongoose';
import { withoutUndefined } from '../store/withoutUndefined';
import type { TicketChanges } from './decide';
import {
  TICKET_FACT_FIELDS,
  TicketFactsCache,
  cachedTicketOf,
  type CachedTicket,
  type TicketFacts,
  type TicketFixedParts,
} from './ticketFactsCache';
import {
  ticketModel,
  type HistoryDoc,
  type OutboxDoc,
  type TicketDoc,
  type TicketModel,
} from './ticketModel';
import type { ViewableTicket } from './ticketView';

const DUPLICATE_KEY = 11000;

/** What a back-office view shows: the SMS texts and the idempotency data stay in the store. */
const VIEW_PROJECTION = { idempotencyHash: 0, idempotencyKey: 0, 'outbox.body': 0, 'outbox.to': 0 } as const;

/**
 * The same, less what the cache already holds (TicketFixedParts): the reply to a lifecycle change
 * is most of its CPU cost on both sides of the wire, and these fields are half of it.
 */
const CHANGED_PROJECTION = {
  ...VIEW_PROJECTION,
  product: 0,
  customer: 0,
  origin: 0,
  attachments: 0,
  'warranty.preliminary': 0,
  history: 0,
  createdAt: 0,
} as const;

/** The customer's view never shows the outbox, so it is not even read. */
const CUSTOMER_PROJECTION = { outbox: 0, idempotencyHash: 0, idempotencyKey: 0 } as const;

/** The facts a lifecycle change decides on, and whether they were read from the store just now. */
export interface TicketFactsRead {
  facts: CachedTicket;
  /** false: a cached hint, possibly stale; never refuse an action on it alone. */
  fresh: boolean;
}

/**
 * Where tickets are stored. One persistence API: the model's driver collection (the model owns
 * the schema and the indexes; the input was parsed by zod into typed values before it gets here,
 * and mongoose's casting would only repeat that work at about twice the CPU per operation). One
 * concurrency counter for lifecycle changes: every change is a compare-and-set on `version`.
 *
 * Keeps a cache of the tickets this instance touched last, so a lifecycle change is one round
 * trip instead of two. Its invariant: an entry at version v holds exactly what the store holds at
 * version v for the fields it carries (those registration fixed, the status and the history, which
 * grows by one entry per version). Every lifecycle write is conditional on `version`, so a stale
 * entry (another instance wrote meanwhile) makes the write miss, the entry is dropped, and the
 * caller reads the store and decides again.
 */
export class TicketRepository {
  private readonly model: TicketModel;
  private readonly cache: TicketFactsCache;

  constructor(connection: Connection, options: { cacheCapacity?: number } = {}) {
    this.model = ticketModel(connection);
    this.cache = new TicketFactsCache(options.cacheCapacity);
  }

  private get collection(): mongo.Collection<TicketDoc> {
    return this.model.collection as unknown as mongo.Collection<TicketDoc>;
  }

  /** Builds the indexes (unique ticket number and idempotency key among them); call once before use. */
  async init(): Promise<void> {
    await this.model.init();
    await this.model.createIndexes();
  }

  /** Stores a new ticket; 'duplicate' when its number or idempotency key is taken (nothing written). */
  async insert(doc: TicketDoc): Promise<'inserted' | 'duplicate'> {
    try {
      await this.collection.insertOne(withoutUndefined(doc));
    } catch (error) {
      if (isDuplicateKey(error)) return 'duplicate';
      throw error;
    }
    this.cache.set(cachedTicketOf(doc));
    return 'inserted';
  }

  async findByIdempotencyKey(idempotencyKey: string): Promise<TicketDoc | null> {
    return this.collection.findOne({ idempotencyKey });
  }

  /** The whole ticket as the back office sees it (without SMS texts or idempotency data). */
  async findByNumber(ticketNumber: string): Promise<ViewableTicket | null> {
    return await this.collection.findOne({ ticketNumber }, { projection: VIEW_PROJECTION });
  }

  /** The ticket only if the phone matches too; without its outbox. */
  async findByNumberAndPhone(ticketNumber: string, phone: string): Promise<ViewableTicket | null> {
    return await this.collection.findOne(
      { ticketNumber, 'customer.phone': phone },
      { projection: CUSTOMER_PROJECTION },
    );
  }

  /** A page of tickets, newest first, and how many match in all. */
  async page(
    filter: mongo.Filter<TicketDoc>,
    skip: number,
    limit: number,
  ): Promise<{ docs: ViewableTicket[]; total: number }> {
    const [docs, total] = await Promise.all([
      this.collection
        .find(filter, { projection: VIEW_PROJECTION })
        .sort({ createdAt: -1, _id: -1 })
        .skip(skip)
        .limit(limit)
        .toArray(),
      this.collection.countDocuments(filter),
    ]);
    return { docs: docs, total };
  }

  /** The facts for a lifecycle change: the cached entry when there is one, else read now. */
  async facts(ticketNumber: string, options: { fresh?: boolean } = {}): Promise<TicketFactsRead | null> {
    if (!options.fresh) {
      const cached = this.cache.get(ticketNumber);
      if (cached) return { facts: cached, fresh: false };
    } else {
      this.cache.delete(ticketNumber);
    }
    const doc = (await this.collection.findOne(
      { ticketNumber },
      { projection: TICKET_FACT_FIELDS },
    )) as TicketFacts | null;
    return doc ? { facts: doc, fresh: true } : null;
  }

  /**
   * Writes `changes` (and appends `notifications` to the ticket's outbox in the same write) if
   * the ticket is still at `facts.version`; returns the ticket after the write, or null when
   * another writer got in between (the cached entry is then dropped).
   */
  async applyIfVersion(
    facts: CachedTicket,
    changes: TicketChanges,
    notifications: readonly OutboxDoc[],
  ): Promise<ViewableTicket | null> {
    const fixed = facts.fixed;
    const reply = (await this.collection.findOneAndUpdate(
      { _id: facts._id, version: facts.version },
      withoutUndefined(updateOf(changes, notifications)),
      { returnDocument: 'after', projection: fixed ? CHANGED_PROJECTION : VIEW_PROJECTION },
    )) as ChangedFields | null;
    if (!reply) {
      this.cache.delete(facts.ticketNumber);
      return null;
    }
    // The write matched facts.version, so the cached history is the one it appended to.
    // Without the fixed parts the reply came with VIEW_PROJECTION: the whole viewable ticket.
    const updated = fixed ? withFixedParts(reply, fixed, changes.history) : (reply as ViewableTicket);
    this.cache.set(cachedTicketOf(updated));
    return updated;
  }
}

/** The MongoDB update for a decision: one atomic write of the change, its history entry and its SMS. */
function updateOf(
  changes: TicketChanges,
  notifications: readonly OutboxDoc[],
): mongo.UpdateFilter<TicketDoc> {
  const set: Record<string, unknown> = { status: changes.status, updatedAt: changes.updatedAt };
  if (changes.mailingAddress) set.mailingAddress = changes.mailingAddress;
  if (changes.rejectionReason !== undefined) set.rejectionReason = changes.rejectionReason;
  if (changes.cancellationReason !== undefined) set.cancellationReason = changes.cancellationReason;
  if (changes.receivedAt) set.receivedAt = changes.receivedAt;
  if (changes.expectedCompletion) set.expectedCompletion = changes.expectedCompletion;
  if (changes.inboundTracking) set['tracking.inbound'] = changes.inboundTracking;
  if (changes.outbound) {
    set['tracking.outbound'] = changes.outbound.trackingNumber;
    if (changes.outbound.carrier) set['tracking.outboundCarrier'] = changes.outbound.carrier;
  }
  if (changes.resolution) set.resolution = changes.resolution;
  if (changes.finalWarranty) set['warranty.final'] = changes.finalWarranty;
  if (changes.inspection) set.inspection = changes.inspection;
  if (changes.quote) set.quote = changes.quote;
  if (changes.quoteDecision) {
    set['quote.decision'] = changes.quoteDecision.decision;
    set['quote.decidedAt'] = changes.quoteDecision.decidedAt;
    if (changes.quoteDecision.paymentReference !== undefined)
      set['quote.paymentReference'] = changes.quoteDecision.paymentReference;
  }
  const push: Record<string, unknown> = { history: changes.history };
  const inc: Record<string, number> = { version: 1 };
  if (notifications.length > 0) {
    // Appending never clashes with the dispatcher's changes to existing entries (each guarded by
    // that entry's own state), so the dispatcher needs no counter of its own.
    push.outbox = notifications.length === 1 ? notifications[0] : { $each: [...notifications] };
    // Due now; an earlier due time only makes the dispatcher look a little sooner, which is harmless.
    set.outboxDueAt = changes.updatedAt;
  }
  return { $set: set, $push: push, $inc: inc };
}

/** A lifecycle change's reply under CHANGED_PROJECTION: the ticket less its TicketFixedParts. */
type ChangedFields = Omit<
  ViewableTicket,
  'product' | 'customer' | 'origin' | 'attachments' | 'history' | 'createdAt' | 'warranty'
> & { warranty?: { final?: ViewableTicket['warranty']['final'] } };

/**
 * The whole ticket again: the reply's changeable fields, the cached fixed ones, the history plus
 * `entry`. Filled into the reply (the driver's fresh object, ours alone) rather than copied.
 */
function withFixedParts(reply: ChangedFields, fixed: TicketFixedParts, entry: HistoryDoc): ViewableTicket {
  const final = reply.warranty?.final;
  return Object.assign(reply, {
    product: fixed.product,
    customer: fixed.customer,
    origin: fixed.origin,
    attachments: fixed.attachments,
    warranty: final ? { preliminary: fixed.preliminary, final } : { preliminary: fixed.preliminary },
    history: [...fixed.history, entry],
    createdAt: fixed.createdAt,
  });
}

function isDuplicateKey(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === DUPLICATE_KEY;
}
