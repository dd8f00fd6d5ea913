import type { mongo } from 'mongoose';
import { NotFoundError, ValidationError } from '../errors';
import type { TicketLookupLimits } from './lookupLimits';
import { parseInput } from './parseInput';
import type { TicketDoc } from './ticketModel';
import type { TicketRepository } from './ticketRepository';
import { toTicketView } from './ticketView';
import {
  phoneSchema,
  ticketListQuerySchema,
  ticketNumberSchema,
  type TicketListQuery,
  type TicketPage,
  type TicketView,
} from './types';

/** Reading tickets: the customer's lookup and the back office's views. Writes nothing but the limiter's count. */
export class TicketQueries {
  constructor(
    private readonly repository: TicketRepository,
    private readonly limiter: TicketLookupLimits,
  ) {}

  /**
   * The customer's lookup: both the ticket number and the phone number on the ticket must match.
   * null for "no such ticket for this phone", whatever the reason, so the answer never reveals that
   * a number exists for someone else. Throws RateLimitedError after too many misses by `callerKey`
   * (the conversation id or the caller's phone).
   */
  async findForCustomer(query: {
    ticketNumber: string;
    phone: string;
    callerKey: string;
    /** The client's address as the channel saw it (web chat), limited on its own. */
    clientAddress?: string;
  }): Promise<TicketView | null> {
    const callerKey = typeof query.callerKey === 'string' ? query.callerKey.trim() : '';
    if (!callerKey)
      throw new ValidationError('A caller key (conversation id or phone) is required for a ticket lookup');
    const ticketNumber = ticketNumberSchema.safeParse(query.ticketNumber);
    const phone = phoneSchema.safeParse(query.phone);
    const attempt = {
      callerKey,
      ...(ticketNumber.success ? { ticketNumber: ticketNumber.data } : {}),
      ...(query.clientAddress ? { clientAddress: query.clientAddress } : {}),
    };
    this.limiter.check(attempt);
    const doc =
      ticketNumber.success && phone.success
        ? await this.repository.findByNumberAndPhone(ticketNumber.data, phone.data)
        : null;
    if (!doc) {
      this.limiter.recordFailure(attempt);
      return null;
    }
    return toTicketView(doc, 'customer');
  }

  /** The back office's view of one ticket (with notes and notification delivery). */
  async get(ticketNumber: string): Promise<TicketView> {
    const number = parseInput(ticketNumberSchema, ticketNumber, 'ticket number');
    const doc = await this.repository.findByNumber(number);
    if (!doc) throw new NotFoundError(`No ticket ${number}`);
    return toTicketView(doc, 'backoffice');
  }

  /** Newest first, filtered by status, phone and free text (ticket/serial/order number, name, e-mail). */
  async list(query: TicketListQuery = {}): Promise<TicketPage> {
    const { status, phone, q, page, pageSize } = parseInput(ticketListQuerySchema, query, 'ticket query');
    const filter: mongo.Filter<TicketDoc> = {};
    if (status) filter.status = status.length === 1 ? status[0] : { $in: status };
    if (phone) filter['customer.phone'] = phone;
    if (q) {
      const pattern = { $regex: escapeRegex(q), $options: 'i' };
      const normalised = ticketNumberSchema.safeParse(q);
      filter.$or = [
        normalised.success ? { ticketNumber: normalised.data } : { ticketNumber: pattern },
        { 'product.serialNumber': pattern },
        { 'product.orderNumber': pattern },
        { 'customer.name': pattern },
        { 'customer.email': pattern },
      ];
    }
    const { docs, total } = await this.repository.page(filter, (page - 1) * pageSize, pageSize);
    return { items: docs.map((doc) => toTicketView(doc, 'backoffice')), page, pageSize, total };
  }
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
