import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { projectPath } from '../projectPath';
import { formatDateInWords } from '../tickets/calendarDate';
import type { MailingAddress, NotificationEvent } from '../tickets/types';

/**
 * The customer's SMS for each ticket event, worded in a data file support staff edit
 * (src/services/notifications/data/ticketSms.json), validated when loaded. Rendered when the event
 * happens and stored with the notification, so a retry days later sends exactly what was true then.
 * Kept to 320 characters (two SMS segments) where the content allows: only the free-text {reason}
 * is shortened, never the ticket number, the mailing address or a tracking number.
 */
export const SMS_SOFT_LIMIT = 320;

export const DEFAULT_TICKET_SMS_FILE = projectPath('src/services/notifications/data/ticketSms.json');

/** What an event's SMS may say: the facts of the ticket when it happened. */
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

/** Each text, the placeholders it may use and those it must use (the SMS is useless without them). */
const TEXTS = {
  registered: { may: ['ticketNumber', 'productModel'], must: ['ticketNumber'] },
  approved: {
    may: ['ticketNumber', 'productModel', 'mailingAddress'],
    must: ['ticketNumber', 'mailingAddress'],
  },
  approvedWithoutAddress: { may: [], must: [] },
  rejected: { may: ['ticketNumber', 'productModel', 'reason'], must: ['ticketNumber', 'reason'] },
  rejectedWithoutReason: { may: [], must: [] },
  received: { may: ['ticketNumber', 'productModel'], must: ['ticketNumber'] },
  receivedWithDate: {
    may: ['ticketNumber', 'productModel', 'expectedCompletion'],
    must: ['ticketNumber', 'expectedCompletion'],
  },
  quote: { may: ['ticketNumber', 'productModel', 'amount', 'reason'], must: ['ticketNumber', 'amount'] },
  shipped: { may: ['ticketNumber', 'what', 'tracking'], must: ['ticketNumber', 'tracking'] },
  shippedRepaired: { may: ['productModel'], must: [] },
  shippedReplaced: { may: ['productModel'], must: [] },
  shippedUnrepaired: { may: ['productModel'], must: [] },
  closed: { may: ['ticketNumber', 'productModel'], must: ['ticketNumber'] },
  cancelled: { may: ['ticketNumber', 'productModel', 'reason'], must: ['ticketNumber'] },
  cancelledWithoutReason: { may: [], must: [] },
} as const satisfies Record<string, { may: readonly string[]; must: readonly string[] }>;

type TextId = keyof typeof TEXTS;
export type TicketSmsTexts = Readonly<Record<TextId, string>>;

function textSchema(id: TextId): z.ZodType<string> {
  const { may, must } = TEXTS[id];
  return z
    .string()
    .trim()
    .min(2)
    .max(SMS_SOFT_LIMIT)
    .superRefine((text, ctx) => {
      const used = [...text.matchAll(/\{([^}]*)\}/g)].map((match) => match[1] ?? '');
      for (const name of used)
        if (!(may as readonly string[]).includes(name))
          ctx.addIssue({
            code: 'custom',
            message: `unknown placeholder {${name}} (known here: ${may.join(', ') || 'none'})`,
          });
      for (const name of must)
        if (!used.includes(name)) ctx.addIssue({ code: 'custom', message: `must contain {${name}}` });
    });
}

const fileSchema = z.strictObject(
  Object.fromEntries((Object.keys(TEXTS) as TextId[]).map((id) => [id, textSchema(id)])) as Record<
    TextId,
    z.ZodType<string>
  >,
);

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

function fill(template: string, values: Readonly<Record<string, string>>): string {
  return template.replace(/\{([^}]*)\}/g, (whole, name: string) => values[name] ?? whole);
}

/** Turns a ticket event into the customer's SMS text. */
export class TicketSmsComposer {
  constructor(private readonly texts: TicketSmsTexts) {}

  /** Reads and validates the wording file; throws naming the file and every problem. */
  static load(file: string = DEFAULT_TICKET_SMS_FILE): TicketSmsComposer {
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(file, 'utf8'));
    } catch (error) {
      throw new Error(`Cannot read the ticket SMS texts ${file}: ${(error as Error).message}`);
    }
    const parsed = fileSchema.safeParse(raw);
    if (!parsed.success) {
      const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
      throw new Error(`Invalid ticket SMS texts ${file}:\n  ${problems.join('\n  ')}`);
    }
    return new TicketSmsComposer(parsed.data);
  }

  compose(event: NotificationEvent, facts: TicketMessageFacts): string {
    const t = this.texts;
    const base = { ticketNumber: facts.ticketNumber, productModel: facts.productModel };
    switch (event) {
      case 'registered':
        return fill(t.registered, base);
      case 'approved':
        return fill(t.approved, {
          ...base,
          mailingAddress: facts.mailingAddress
            ? formatMailingAddress(facts.mailingAddress)
            : t.approvedWithoutAddress,
        });
      case 'rejected':
        return this.fit(t.rejected, base, facts.rejectionReason ?? t.rejectedWithoutReason);
      case 'received':
        return facts.expectedCompletion
          ? fill(t.receivedWithDate, {
              ...base,
              expectedCompletion: formatDateInWords(facts.expectedCompletion),
            })
          : fill(t.received, base);
      case 'quote':
        return this.fit(
          t.quote,
          { ...base, amount: facts.quote?.formatted ?? '' },
          facts.quote?.reason ?? '',
        );
      case 'shipped': {
        const what = facts.returnedUnrepaired
          ? t.shippedUnrepaired
          : facts.replaced
            ? t.shippedReplaced
            : t.shippedRepaired;
        return fill(t.shipped, {
          ...base,
          what: fill(what, base),
          tracking: [facts.carrier, facts.outboundTrackingNumber].filter(Boolean).join(' '),
        });
      }
      case 'closed':
        return fill(t.closed, base);
      case 'cancelled':
        return this.fit(t.cancelled, base, facts.cancellationReason ?? t.cancelledWithoutReason);
    }
  }

  /** Fills the template, shortening only the free-text {reason} so the whole fits the limit. */
  private fit(template: string, values: Readonly<Record<string, string>>, reason: string): string {
    const room = SMS_SOFT_LIMIT - fill(template, { ...values, reason: '' }).length;
    return fill(template, { ...values, reason: shorten(reason, Math.max(40, room)) });
  }
}

let defaultComposer: TicketSmsComposer | undefined;

/** The SMS for an event with the wording file as shipped (loaded on first use, not at import). */
export function renderTicketSms(event: NotificationEvent, facts: TicketMessageFacts): string {
  defaultComposer ??= TicketSmsComposer.load();
  return defaultComposer.compose(event, facts);
}
