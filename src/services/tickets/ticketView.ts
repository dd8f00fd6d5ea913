import { formatMailingAddress } from '../notifications/ticketMessages';
import { formatDateInWords } from './calendarDate';
import type { TicketDoc } from './ticketModel';
import type { WarrantyAssessment } from './warranty';
import type { HistoryEntryView, NotificationView, QuoteView, TicketStatus, TicketView } from './types';

/** The status in the customer's words. */
export const STATUS_LABELS: Readonly<Record<TicketStatus, string>> = {
  submitted: 'Registered, waiting for review',
  under_review: 'Being reviewed by our after-sales team',
  approved: 'Approved, waiting for your parcel',
  rejected: 'Not accepted for repair',
  cancelled: 'Cancelled',
  received: 'Received at our service centre',
  inspecting: 'Being inspected',
  quote_pending: 'Waiting for your answer to our repair quote',
  repairing: 'Being repaired',
  returned_unrepaired: 'Being sent back without repair',
  shipped_back: 'Shipped back to you',
  closed: 'Completed',
};

export type Audience = 'customer' | 'backoffice';

/** A ticket as read for a view: the idempotency data is never needed, so never read. */
export type ViewableTicket = Omit<TicketDoc, 'idempotencyKey' | 'idempotencyHash'>;

export function formatMoney(amountMinor: number, currency: string): string {
  return `${currency} ${(amountMinor / 100).toFixed(2)}`;
}

export function quoteView(quote: NonNullable<TicketDoc['quote']>): QuoteView {
  return {
    amount: quote.amountMinor / 100,
    currency: quote.currency,
    formatted: formatMoney(quote.amountMinor, quote.currency),
    reason: quote.reason,
    createdAt: quote.createdAt.toISOString(),
    decision: quote.decision,
    ...(quote.decidedAt ? { decidedAt: quote.decidedAt.toISOString() } : {}),
  };
}

function nextStep(doc: ViewableTicket): string {
  const model = doc.product.model;
  const by = doc.expectedCompletion
    ? ` We expect to finish by ${formatDateInWords(doc.expectedCompletion)}.`
    : '';
  switch (doc.status) {
    case 'submitted':
    case 'under_review':
      return 'Our after-sales team is reviewing your request. Once it is approved you will get an SMS with the address to mail your product to.';
    case 'approved':
      return doc.mailingAddress
        ? `Please mail your ${model} to: ${formatMailingAddress(doc.mailingAddress)}. Write ${doc.ticketNumber} on the parcel.`
        : `Please mail your ${model} to the address in our SMS, with ${doc.ticketNumber} written on the parcel.`;
    case 'rejected':
      return `We did not accept this repair: ${doc.rejectionReason ?? 'see our message'}. Chat with us if you still need help.`;
    case 'cancelled':
      return 'This repair request was cancelled. You can register a new one any time.';
    case 'received':
    case 'inspecting':
      return `We have your ${model} and are checking it.${by}`;
    case 'quote_pending':
      return doc.quote
        ? `The repair costs ${formatMoney(doc.quote.amountMinor, doc.quote.currency)} (${doc.quote.reason.replace(/[.!]+$/, '')}). We start once you accept and pay; if you decline we send it back unrepaired.`
        : 'We are waiting for your answer to our repair quote.';
    case 'repairing':
      return `We are repairing your ${model}.${by} You will get an SMS with the tracking number when it ships.`;
    case 'returned_unrepaired':
      return `We are sending your ${model} back without repair. You will get an SMS with the tracking number when it ships.`;
    case 'shipped_back': {
      const tracking = [doc.tracking.outboundCarrier, doc.tracking.outbound].filter(Boolean).join(' ');
      return `Your ${model} is on its way back to you${tracking ? `, tracking ${tracking}` : ''}.`;
    }
    case 'closed':
      return 'This repair is complete. Chat with us any time if you need help.';
  }
}

function historyView(entry: TicketDoc['history'][number], audience: Audience): HistoryEntryView {
  const view: HistoryEntryView = {
    at: entry.at.toISOString(),
    actor: audience === 'customer' && entry.actor.startsWith('agent:') ? 'carlinkit' : entry.actor,
    action: entry.action,
    from: entry.from ?? null,
    to: entry.to,
  };
  if (audience === 'backoffice' && entry.note) view.note = entry.note;
  return view;
}

/** A stored ticket as a plain object for its audience: customers never see agents' notes or the outbox. */
export function toTicketView(doc: ViewableTicket, audience: Audience): TicketView {
  const { product, customer, origin } = doc;
  const view: TicketView = {
    ticketNumber: doc.ticketNumber,
    status: doc.status,
    statusLabel: STATUS_LABELS[doc.status],
    nextStep: nextStep(doc),
    product: {
      productId: product.productId,
      name: product.name,
      model: product.model,
      ...(product.serialNumber ? { serialNumber: product.serialNumber } : {}),
      ...(product.serialMissing ? { serialMissing: true } : {}),
      purchaseDate: product.purchaseDate,
      purchasedFrom: product.purchasedFrom,
      ...(product.orderNumber ? { orderNumber: product.orderNumber } : {}),
      faultCategory: product.faultCategory,
      faultDescription: product.faultDescription,
      troubleshootingTried: [...(product.troubleshootingTried ?? [])],
    },
    customer: {
      name: customer.name,
      phone: customer.phone,
      email: customer.email,
      returnAddress: compact(customer.returnAddress),
    },
    origin: {
      channel: origin.channel,
      conversationId: origin.conversationId,
      // Copied: the service caches what registration fixed, and a caller's edit must not reach it.
      ...(origin.conversationReference
        ? { conversationReference: structuredClone(origin.conversationReference) }
        : {}),
    },
    attachments: (doc.attachments ?? []).map((attachment) => ({
      name: attachment.name,
      contentType: attachment.contentType,
      ...(typeof attachment.size === 'number' ? { size: attachment.size } : {}),
      url: attachment.url,
    })),
    warranty: warrantyView(doc.warranty.final ?? doc.warranty.preliminary),
    trackingNumbers: trackingView(doc.tracking),
    history: (doc.history ?? []).map((entry) => historyView(entry, audience)),
    createdAt: doc.createdAt.toISOString(),
    updatedAt: doc.updatedAt.toISOString(),
    version: doc.version,
  };
  if (doc.mailingAddress) view.mailingAddress = compact(doc.mailingAddress);
  if (doc.inspection) view.inspection = { ...doc.inspection, at: doc.inspection.at.toISOString() };
  if (doc.quote) view.quote = quoteView(doc.quote);
  if (doc.resolution) view.resolution = doc.resolution;
  if (doc.rejectionReason) view.rejectionReason = doc.rejectionReason;
  if (doc.cancellationReason) view.cancellationReason = doc.cancellationReason;
  if (doc.receivedAt) view.receivedAt = doc.receivedAt.toISOString();
  if (doc.expectedCompletion) view.expectedCompletion = doc.expectedCompletion;
  if (audience === 'backoffice') {
    view.notifications = (doc.outbox ?? []).map(notificationView);
  }
  return view;
}

function trackingView(tracking: TicketDoc['tracking'] | undefined): TicketView['trackingNumbers'] {
  const view: TicketView['trackingNumbers'] = {};
  if (tracking?.inbound != null) view.inbound = tracking.inbound;
  if (tracking?.outbound != null) view.outbound = tracking.outbound;
  if (tracking?.outboundCarrier != null) view.outboundCarrier = tracking.outboundCarrier;
  return view;
}

function notificationView(entry: TicketDoc['outbox'][number]): NotificationView {
  const view: NotificationView = {
    id: entry.id,
    event: entry.event,
    channel: entry.channel,
    status: entry.status,
    attempts: entry.attempts,
    createdAt: entry.createdAt.toISOString(),
  };
  if (entry.sentAt != null) view.sentAt = entry.sentAt.toISOString();
  if (entry.status === 'pending' && entry.nextAttemptAt != null)
    view.nextAttemptAt = entry.nextAttemptAt.toISOString();
  if (entry.lastError != null) view.lastError = entry.lastError;
  return view;
}

/**
 * A copy without the absent (undefined or null) fields. Built afresh rather than by `delete`, which
 * turns an object into a slow dictionary for everything that reads it afterwards (the views are
 * built on every ticket change and serialised by the API).
 */
function compact<T extends object>(value: T): T {
  const copy: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    const field = (value as Record<string, unknown>)[key];
    if (field !== undefined && field !== null) copy[key] = field;
  }
  return copy as T;
}

/** A copy to the last level (the service caches the preliminary assessment), without mongoose's _id. */
function warrantyView(value: WarrantyAssessment): WarrantyAssessment {
  const copy = { ...value, customerPays: { ...value.customerPays } } as WarrantyAssessment & {
    _id?: unknown;
  };
  delete copy._id;
  return copy;
}
