import { ConflictError, ValidationError } from '../errors';
import type { Product } from '../knowledge/productCatalogue';
import type { TicketMessageFacts } from '../notifications/ticketMessages';
import { addBusinessDays } from './businessDays';
import { SERVICE_TIME_ZONE, addDays, calendarDateOf } from './calendarDate';
import { nextStatus } from './lifecycle';
import type { TicketFacts } from './ticketFactsCache';
import type { HistoryDoc, MailingAddressDoc, TicketDoc } from './ticketModel';
import { formatMoney } from './ticketView';
import type { NotificationEvent, ParsedRegistration, ParsedTicketAction, TicketStatus } from './types';
import { assessWarranty, type WarrantyAssessment } from './warranty';

/** The rules a decision depends on beyond the ticket itself (config.repairs). */
export interface RepairRules {
  turnaroundBusinessDays: number;
  holidays: ReadonlySet<string>;
}

/** What an action changes on the ticket, in domain terms (the repository turns it into a write). */
export interface TicketChanges {
  status: TicketStatus;
  updatedAt: Date;
  history: HistoryDoc;
  mailingAddress?: MailingAddressDoc;
  rejectionReason?: string;
  cancellationReason?: string;
  receivedAt?: Date;
  expectedCompletion?: string;
  inboundTracking?: string;
  outbound?: { trackingNumber: string; carrier?: string };
  resolution?: NonNullable<TicketDoc['resolution']>;
  finalWarranty?: WarrantyAssessment;
  inspection?: NonNullable<TicketDoc['inspection']>;
  quote?: NonNullable<TicketDoc['quote']>;
  quoteDecision?: { decision: 'accepted' | 'declined'; decidedAt: Date; paymentReference?: string };
}

/** Something the customer is told about: the event and the facts its message may use. */
export interface TicketEvent {
  type: NotificationEvent;
  /** The customer's phone on the ticket. */
  to: string;
  facts: TicketMessageFacts;
}

export interface Decision {
  changes: TicketChanges;
  events: TicketEvent[];
}

/** What registering a repair decides: the preliminary warranty, the first history entry, the SMS. */
export interface RegistrationDecision {
  preliminary: WarrantyAssessment;
  history: HistoryDoc;
  events: TicketEvent[];
}

/**
 * Registering a repair (step 1 of the after-sales process), decided without I/O. A purchase date
 * in the future is refused (ValidationError).
 */
export function decideRegistration(
  registration: ParsedRegistration,
  product: Pick<Product, 'model' | 'warrantyMonths'>,
  command: { ticketNumber: string; actor: string },
  now: Date,
): RegistrationDecision {
  const today = calendarDateOf(now, SERVICE_TIME_ZONE);
  const purchaseDate = registration.product.purchaseDate;
  // A day of slack: east of China (Japan, Australia, New Zealand) the customer's today can be our tomorrow.
  if (purchaseDate > addDays(today, 1)) {
    throw new ValidationError(`Invalid registration: product.purchaseDate ${purchaseDate} is in the future`, [
      { path: 'product.purchaseDate', message: 'is in the future' },
    ]);
  }
  const preliminary = assessWarranty({
    purchaseDate,
    warrantyMonths: product.warrantyMonths,
    asOf: purchaseDate > today ? purchaseDate : today,
    productName: product.model,
  });
  return {
    preliminary,
    history: { at: now, actor: command.actor, action: 'register', from: null, to: 'submitted' },
    events: [
      {
        type: 'registered',
        to: registration.customer.phone,
        facts: { ticketNumber: command.ticketNumber, productModel: product.model },
      },
    ],
  };
}

/**
 * One lifecycle action on a ticket, decided without I/O: the state machine (lifecycle.ts), the
 * warranty and cost rules (warranty.ts) and the turnaround (businessDays.ts). An illegal action
 * throws ConflictError and decides nothing.
 */
export function decide(
  ticket: TicketFacts,
  command: { action: ParsedTicketAction; actor: string },
  now: Date,
  rules: RepairRules,
): Decision {
  const { action, actor } = command;
  const to = nextStatus(ticket.status, action.type);
  const note = 'note' in action ? action.note : undefined;
  const changes: TicketChanges = {
    status: to,
    updatedAt: now,
    history: { at: now, actor, action: action.type, from: ticket.status, to, ...(note ? { note } : {}) },
  };
  const facts: TicketMessageFacts = { ticketNumber: ticket.ticketNumber, productModel: ticket.product.model };
  let event: NotificationEvent | undefined;

  switch (action.type) {
    case 'review':
    case 'inspect':
      break;
    case 'approve':
      changes.mailingAddress = action.mailingAddress;
      facts.mailingAddress = action.mailingAddress;
      event = 'approved';
      break;
    case 'reject':
      changes.rejectionReason = action.reason;
      facts.rejectionReason = action.reason;
      event = 'rejected';
      break;
    case 'receive': {
      const expectedCompletion = addBusinessDays(
        now,
        rules.turnaroundBusinessDays,
        rules.holidays,
        SERVICE_TIME_ZONE,
      );
      changes.receivedAt = now;
      changes.expectedCompletion = expectedCompletion;
      if (action.inboundTrackingNumber) changes.inboundTracking = action.inboundTrackingNumber;
      facts.expectedCompletion = expectedCompletion;
      event = 'received';
      break;
    }
    case 'repair': {
      const final = finalAssessment(ticket, false);
      if (!final.covered) {
        throw new ConflictError(
          `Ticket ${ticket.ticketNumber} is not a free repair: ${final.reason} Send a quote instead.`,
          { warranty: final },
        );
      }
      changes.finalWarranty = final;
      changes.inspection = { finding: action.finding, causedByCustomer: false, at: now };
      break;
    }
    case 'quote': {
      const final = finalAssessment(ticket, action.causedByCustomer);
      if (final.covered) {
        throw new ConflictError(
          `Ticket ${ticket.ticketNumber} is under warranty and the fault is not caused by the customer: the repair is free, so there is nothing to quote. Use repair instead.`,
          { warranty: final },
        );
      }
      const amountMinor = Math.round(action.amount * 100);
      changes.finalWarranty = final;
      changes.inspection = { finding: action.finding, causedByCustomer: action.causedByCustomer, at: now };
      changes.quote = {
        amountMinor,
        currency: action.currency,
        reason: action.reason,
        createdAt: now,
        decision: 'pending',
      };
      facts.quote = { formatted: formatMoney(amountMinor, action.currency), reason: action.reason };
      event = 'quote';
      break;
    }
    case 'accept_quote':
      changes.quoteDecision = {
        decision: 'accepted',
        decidedAt: now,
        paymentReference: action.paymentReference,
      };
      break;
    case 'decline_quote':
      changes.quoteDecision = { decision: 'declined', decidedAt: now };
      break;
    case 'ship': {
      const resolution =
        ticket.status === 'returned_unrepaired'
          ? 'returned_unrepaired'
          : action.replaced
            ? 'replaced'
            : 'repaired';
      changes.outbound = {
        trackingNumber: action.outboundTrackingNumber,
        ...(action.carrier ? { carrier: action.carrier } : {}),
      };
      changes.resolution = resolution;
      Object.assign(facts, {
        outboundTrackingNumber: action.outboundTrackingNumber,
        carrier: action.carrier,
        replaced: resolution === 'replaced',
        returnedUnrepaired: resolution === 'returned_unrepaired',
      });
      event = 'shipped';
      break;
    }
    case 'close':
      event = 'closed';
      break;
    case 'cancel':
      changes.cancellationReason = action.reason;
      facts.cancellationReason = action.reason;
      // A customer cancelling in the chat already sees the confirmation there.
      if (actor !== 'customer') event = 'cancelled';
      break;
  }
  return { changes, events: event ? [{ type: event, to: ticket.customer.phone, facts }] : [] };
}

/** Judged on the registration day (the claim date), not the inspection day: the post's delays never cost the warranty. */
function finalAssessment(ticket: TicketFacts, causedByCustomer: boolean): WarrantyAssessment {
  return assessWarranty({
    purchaseDate: ticket.product.purchaseDate,
    warrantyMonths: ticket.product.warrantyMonths,
    asOf: ticket.warranty.preliminary.claimDate,
    causedByCustomer,
    productName: ticket.product.model,
  });
}
