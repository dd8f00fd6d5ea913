import type { HistoryDoc, TicketDoc } from './ticketModel';
import type { WarrantyAssessment } from './warranty';

/** The part of a ticket a lifecycle change reads: all fixed at registration except status and version. */
export type TicketFacts = Pick<TicketDoc, '_id' | 'ticketNumber' | 'status' | 'version'> & {
  product: Pick<TicketDoc['product'], 'model' | 'purchaseDate' | 'warrantyMonths'>;
  customer: Pick<TicketDoc['customer'], 'phone'>;
  warranty: { preliminary: Pick<TicketDoc['warranty']['preliminary'], 'claimDate'> };
};

/**
 * What registration fixed for good (nothing writes these fields afterwards), plus the history as
 * of the cached version: history only grows, by exactly one entry per version, so at a given
 * version it is known. With these at hand a lifecycle change reads back only what can change.
 * Safe because every lifecycle write is a compare-and-set on `version`: a writer that ever changes
 * one of these fields must bump `version` too, and then the cached entry simply misses.
 */
export interface TicketFixedParts {
  product: TicketDoc['product'];
  customer: TicketDoc['customer'];
  origin: TicketDoc['origin'];
  attachments: TicketDoc['attachments'];
  preliminary: WarrantyAssessment;
  createdAt: Date;
  history: readonly HistoryDoc[];
}

/** A cache entry: the facts, and the fixed parts when this instance has seen the whole ticket. */
export type CachedTicket = TicketFacts & { fixed?: TicketFixedParts };

export const TICKET_FACT_FIELDS = {
  _id: 1,
  ticketNumber: 1,
  status: 1,
  version: 1,
  'product.model': 1,
  'product.purchaseDate': 1,
  'product.warrantyMonths': 1,
  'customer.phone': 1,
  'warranty.preliminary.claimDate': 1,
} as const;

/** The cache entry for a whole ticket as stored at its version. */
export function cachedTicketOf(doc: Omit<TicketDoc, 'idempotencyKey' | 'idempotencyHash'>): CachedTicket {
  // The fixed parts are the facts' product, customer and assessment too: no copies needed.
  return {
    _id: doc._id,
    ticketNumber: doc.ticketNumber,
    status: doc.status,
    version: doc.version,
    product: doc.product,
    customer: doc.customer,
    warranty: { preliminary: doc.warranty.preliminary },
    fixed: {
      product: doc.product,
      customer: doc.customer,
      origin: doc.origin,
      attachments: doc.attachments,
      preliminary: doc.warranty.preliminary,
      createdAt: doc.createdAt,
      history: doc.history,
    },
  };
}

/**
 * The tickets this instance touched last, so a lifecycle change is one round trip instead of two.
 * Only a hint: every write is a compare-and-set on the version, so a stale entry (another instance
 * changed the ticket) makes the write miss, and the service then reads the store and decides again.
 * Nothing is ever refused on the strength of a cached entry alone.
 */
export class TicketFactsCache {
  private readonly entries = new Map<string, CachedTicket>();

  constructor(private readonly capacity = 5_000) {}

  get(ticketNumber: string): CachedTicket | undefined {
    const facts = this.entries.get(ticketNumber);
    if (facts) {
      // Most recently used last.
      this.entries.delete(ticketNumber);
      this.entries.set(ticketNumber, facts);
    }
    return facts;
  }

  set(facts: CachedTicket): void {
    this.entries.delete(facts.ticketNumber);
    this.entries.set(facts.ticketNumber, facts);
    if (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
  }

  delete(ticketNumber: string): void {
    this.entries.delete(ticketNumber);
  }
}
