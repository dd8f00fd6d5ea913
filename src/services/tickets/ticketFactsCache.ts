import type { TicketDoc } from './ticketModel';

/** The part of a ticket a lifecycle change reads: all fixed at registration except status and version. */
export type TicketFacts = Pick<TicketDoc, '_id' | 'ticketNumber' | 'status' | 'version'> & {
  product: Pick<TicketDoc['product'], 'model' | 'purchaseDate' | 'warrantyMonths'>;
  customer: Pick<TicketDoc['customer'], 'phone'>;
  warranty: { preliminary: Pick<TicketDoc['warranty']['preliminary'], 'claimDate'> };
};

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

export function factsOf(doc: TicketDoc): TicketFacts {
  return {
    _id: doc._id,
    ticketNumber: doc.ticketNumber,
    status: doc.status,
    version: doc.version,
    product: {
      model: doc.product.model,
      purchaseDate: doc.product.purchaseDate,
      warrantyMonths: doc.product.warrantyMonths,
    },
    customer: { phone: doc.customer.phone },
    warranty: { preliminary: { claimDate: doc.warranty.preliminary.claimDate } },
  };
}

/**
 * The tickets this instance touched last, so a lifecycle change is one round trip instead of two.
 * Only a hint: every write is a compare-and-set on the version, so a stale entry (another instance
 * changed the ticket) makes the write miss, and the service then reads the store and decides again.
 * Nothing is ever refused on the strength of a cached entry alone.
 */
export class TicketFactsCache {
  private readonly entries = new Map<string, TicketFacts>();

  constructor(private readonly capacity = 5_000) {}

  get(ticketNumber: string): TicketFacts | undefined {
    const facts = this.entries.get(ticketNumber);
    if (facts) {
      // Most recently used last.
      this.entries.delete(ticketNumber);
      this.entries.set(ticketNumber, facts);
    }
    return facts;
  }

  set(facts: TicketFacts): void {
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
