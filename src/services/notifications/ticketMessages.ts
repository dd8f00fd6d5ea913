import type { MailingAddress, NotificationEvent } from '../tickets/types';
import { formatDateInWords } from '../tickets/calendarDate';

/**
 * The customer's SMS for each ticket event. Rendered when the event happens and stored with the
 * notification, so a retry days later sends exactly what was true then. Kept to 320 characters (two
 * SMS segments) where the content allows: free-text parts are shortened, never the ticket number,
 * the mailing address or a tracking number.
 */
export const SMS_SOFT_LIMIT = 320;

export interface TicketMessageFacts {
  ticketNumber: string;
  productModel: string;
  mailingAddress?: MailingAddress;
  rejectionReason?: string;
  cancellationReason?: string;
  expectedCompletion?: string;
  quote?: { formatted: string; reason: string };
  outboundTrackingNumber?: string;
  carrier?: string;
  replaced?: boolean;
  returnedUnrepaired?: boolean;
}

export function formatMailingAddress(address: MailingAddress): string {
  return [
    address.recipient,
    address.line1,
    address.line2,
    address.city,
    [address.region, address.postalCode].filter(Boolean).join(' '),
    address.country,
    address.phone ? `tel ${address.phone}` : undefined,
  ]
    .filter((part): part is string => Boolean(part))
    .join(', ');
}

function shorten(text: string, max: number): string {
  const clean = text
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/[.!]+$/, '');
  if (clean.length <= max) return clean;
  return `${clean.slice(0, Math.max(0, max - 1)).trimEnd()}…`;
}

/** Fits `template(variable)` into the limit by shortening only the free-text variable. */
function fit(template: (variable: string) => string, variable: string): string {
  const room = SMS_SOFT_LIMIT - template('').length;
  return template(shorten(variable, Math.max(40, room)));
}

export function renderTicketSms(event: NotificationEvent, facts: TicketMessageFacts): string {
  const n = facts.ticketNumber;
  const model = facts.productModel;
  switch (event) {
    case 'registered':
      return `CarlinKit: we got your repair request ${n} for your ${model}. We will review it and text you the address to mail it to. Keep ${n} to check the status with us.`;
    case 'approved': {
      const address = facts.mailingAddress
        ? formatMailingAddress(facts.mailingAddress)
        : 'the address our team gave you';
      return `CarlinKit: repair ${n} is approved. Please mail your ${model} to: ${address}. Write ${n} on the parcel.`;
    }
    case 'rejected':
      return fit(
        (reason) =>
          `CarlinKit: we did not accept repair ${n}: ${reason}. Chat with us if you still need help.`,
        facts.rejectionReason ?? 'see our message',
      );
    case 'received':
      return `CarlinKit: we received your ${model} for repair ${n}.${facts.expectedCompletion ? ` We expect to finish by ${formatDateInWords(facts.expectedCompletion)}.` : ''}`;
    case 'quote':
      return fit(
        (reason) =>
          `CarlinKit: repair ${n} costs ${facts.quote?.formatted ?? ''}: ${reason}. We start once you accept and pay; if you decline we send it back unrepaired. Reply or chat with us with ${n}.`,
        facts.quote?.reason ?? '',
      );
    case 'shipped': {
      const what = facts.returnedUnrepaired
        ? `your ${model} (unrepaired)`
        : facts.replaced
          ? `a replacement ${model}`
          : `your repaired ${model}`;
      const tracking = [facts.carrier, facts.outboundTrackingNumber].filter(Boolean).join(' ');
      return `CarlinKit: repair ${n}: we shipped ${what} back to you. Tracking: ${tracking}.`;
    }
    case 'closed':
      return `CarlinKit: repair ${n} is complete and closed. Thank you for your patience. Chat with us any time if you need help.`;
    case 'cancelled':
      return fit(
        (reason) =>
          `CarlinKit: repair request ${n} was cancelled: ${reason}. You can register a new one any time.`,
        facts.cancellationReason ?? 'at your request',
      );
  }
}
