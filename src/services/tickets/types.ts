import { z } from 'zod';
import { isCalendarDate } from './calendarDate';
import { MAX_PHOTOS_PER_REQUEST, photoContentTypeSchema, photoSizeSchema } from '../media/mediaPolicy';
import type { WarrantyAssessment } from './warranty';

/**
 * The ticket service's boundary: every input is parsed with these schemas, every answer is a plain
 * TicketView (never a mongoose document). The dialogs, the SMS channel and the back-office API all
 * speak these types.
 */

export const FAULT_CATEGORIES = ['connection', 'audio', 'display', 'power', 'firmware', 'other'] as const;
export type FaultCategory = (typeof FAULT_CATEGORIES)[number];

/** Where a registration came from (Bot Framework channel ids, plus the back office and tests). */
export const ORIGIN_CHANNELS = [
  'webchat',
  'directline',
  'sms',
  'emulator',
  'msteams',
  'api',
  'agent_console',
  'test',
] as const;
export type OriginChannel = (typeof ORIGIN_CHANNELS)[number];

export const TICKET_STATUSES = [
  'submitted',
  'under_review',
  'approved',
  'rejected',
  'cancelled',
  'received',
  'inspecting',
  'quote_pending',
  'repairing',
  'returned_unrepaired',
  'shipped_back',
  'closed',
] as const;
export type TicketStatus = (typeof TICKET_STATUSES)[number];

export const TICKET_NUMBER_PATTERN = /^CK-[A-Z0-9]{6,10}$/;

const E164 = /^\+[1-9]\d{6,14}$/;

/** Accepts "+86 138-0013-8000", "0086 138 0013 8000"; yields "+8613800138000". Needs the country code. */
export const phoneSchema = z
  .string()
  .trim()
  .transform((value) => value.replace(/[\s().-]/g, '').replace(/^00/, '+'))
  .pipe(z.string().regex(E164, 'must be a mobile number with its country code, e.g. +8613800138000'));

/** Accepts "ck-7k3p9qx", " CK 7K3P9QX "; yields "CK-7K3P9QX". */
export const ticketNumberSchema = z
  .string()
  .trim()
  .transform((value) => {
    const compact = value.toUpperCase().replace(/[\s-]/g, '');
    return compact.startsWith('CK') ? `CK-${compact.slice(2)}` : compact;
  })
  .pipe(z.string().regex(TICKET_NUMBER_PATTERN, 'must look like CK-7K3P9QX'));

export const calendarDateSchema = z
  .string()
  .trim()
  .refine(isCalendarDate, 'must be a date in the form YYYY-MM-DD');

const text = (max: number, min = 1) => z.string().trim().min(min).max(max);

export const postalAddressSchema = z.strictObject({
  line1: text(200),
  line2: text(200).optional(),
  city: text(100),
  region: text(100).optional(),
  postalCode: text(20),
  country: text(60),
});
export type PostalAddress = z.infer<typeof postalAddressSchema>;

/** The service-centre address an agent gives on approval; the customer sees it only from then on. */
export const mailingAddressSchema = postalAddressSchema.extend({
  recipient: text(100),
  phone: phoneSchema.optional(),
});
export type MailingAddress = z.infer<typeof mailingAddressSchema>;

export const productInputSchema = z
  .strictObject({
    /** An id from the product catalogue (src/services/knowledge/data/products.json), e.g. 'cpc200-ccpa'. */
    productId: z.string().trim().toLowerCase().min(1).max(60),
    serialNumber: z
      .string()
      .trim()
      .toUpperCase()
      .regex(
        /^[A-Z0-9][A-Z0-9-]{2,39}$/,
        'must be 3 to 40 letters, digits or dashes, as printed on the label',
      )
      .optional(),
    /** The customer has no serial number (label lost or unreadable): the team looks for it. */
    serialMissing: z.boolean().optional(),
    purchaseDate: calendarDateSchema,
    /** Shop or marketplace, e.g. "Amazon US", "carlinkit.com". */
    purchasedFrom: text(100),
    orderNumber: text(64).optional(),
    faultCategory: z.enum(FAULT_CATEGORIES),
    faultDescription: text(2000, 5),
    troubleshootingTried: z.array(text(300)).max(30).default([]),
  })
  .refine((product) => product.serialNumber !== undefined || product.serialMissing === true, {
    message: 'a serial number is required unless serialMissing is true',
    path: ['serialNumber'],
  });
export type ProductInput = z.input<typeof productInputSchema>;

export const customerInputSchema = z.strictObject({
  name: text(100),
  phone: phoneSchema,
  email: z.string().trim().toLowerCase().pipe(z.email('must be an e-mail address')),
  returnAddress: postalAddressSchema,
});

export const attachmentSchema = z.strictObject({
  name: text(200),
  contentType: photoContentTypeSchema,
  /** Bytes; absent when the channel does not say (MMS media from Twilio come without a size). */
  size: photoSizeSchema.optional(),
  url: z.url({ protocol: /^https?$/ }),
});
export type Attachment = z.infer<typeof attachmentSchema>;

export const originSchema = z.strictObject({
  channel: z.enum(ORIGIN_CHANNELS),
  conversationId: text(200),
  /** Bot Framework ConversationReference, kept for proactive messages; opaque to the service. */
  conversationReference: z.record(z.string(), z.unknown()).optional(),
});

export const registrationInputSchema = z.strictObject({
  product: productInputSchema,
  customer: customerInputSchema,
  attachments: z.array(attachmentSchema).max(MAX_PHOTOS_PER_REQUEST).default([]),
  origin: originSchema,
});
/** What a caller passes to TicketService.register (before parsing: defaults may be omitted). */
export type RegistrationInput = z.input<typeof registrationInputSchema>;
export type ParsedRegistration = z.output<typeof registrationInputSchema>;

/** Who acts: 'customer', 'system', or 'agent:<name>' for back-office staff. */
export const actorSchema = z
  .string()
  .trim()
  // agent:<X-Actor name> from the bearer-token back office, agent:<email> from an agent session.
  .regex(
    /^(customer|system|agent:[A-Za-z0-9._@+-]{1,254})$/,
    "must be 'customer', 'system' or 'agent:<name or email>'",
  );

export const idempotencyKeySchema = z
  .string()
  .trim()
  .min(8, 'must be at least 8 characters')
  .max(200)
  .regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces');

const money = z
  .number()
  .positive('must be more than 0')
  .max(100_000)
  .refine((value) => Math.abs(value * 100 - Math.round(value * 100)) < 1e-6, 'must have at most 2 decimals');

const note = text(1000).optional();
const trackingNumber = z
  .string()
  .trim()
  .toUpperCase()
  .regex(/^[A-Z0-9-]{6,40}$/, 'must be 6 to 40 letters, digits or dashes');

/**
 * Every lifecycle action with the data it needs. See lifecycle.ts for which status each is legal in.
 */
export const ticketActionSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('review'), note }),
  z.strictObject({ type: z.literal('approve'), mailingAddress: mailingAddressSchema, note }),
  z.strictObject({ type: z.literal('reject'), reason: text(500), note }),
  z.strictObject({ type: z.literal('receive'), inboundTrackingNumber: trackingNumber.optional(), note }),
  z.strictObject({ type: z.literal('inspect'), note }),
  /** Inspection found a free repair (in warranty, not caused by the customer). */
  z.strictObject({ type: z.literal('repair'), finding: text(1000), note }),
  /** Inspection found a paid repair: customer-caused or out of warranty. */
  z.strictObject({
    type: z.literal('quote'),
    finding: text(1000),
    causedByCustomer: z.boolean(),
    amount: money,
    currency: z
      .string()
      .trim()
      .toUpperCase()
      .regex(/^[A-Z]{3}$/, 'must be a 3-letter currency code')
      .default('USD'),
    reason: text(500),
    note,
  }),
  z.strictObject({ type: z.literal('accept_quote'), paymentReference: text(100), note }),
  z.strictObject({ type: z.literal('decline_quote'), note }),
  z.strictObject({
    type: z.literal('ship'),
    outboundTrackingNumber: trackingNumber,
    carrier: text(60).optional(),
    /** True when a new unit is sent instead of the repaired one. */
    replaced: z.boolean().default(false),
    note,
  }),
  z.strictObject({ type: z.literal('close'), note }),
  z.strictObject({ type: z.literal('cancel'), reason: text(500) }),
]);
export type TicketAction = z.input<typeof ticketActionSchema>;
export type ParsedTicketAction = z.output<typeof ticketActionSchema>;
export type TicketActionType = ParsedTicketAction['type'];

export const ticketListQuerySchema = z.strictObject({
  status: z
    .union([z.enum(TICKET_STATUSES), z.array(z.enum(TICKET_STATUSES)).min(1)])
    .optional()
    .transform((value) => (value === undefined ? undefined : Array.isArray(value) ? value : [value])),
  phone: phoneSchema.optional(),
  /** Free text: ticket number, serial number, order number, customer name or e-mail. */
  q: text(100).optional(),
  page: z.coerce.number().int().min(1).max(100_000).default(1),
  pageSize: z.coerce.number().int().min(1).max(100).default(20),
});
export type TicketListQuery = z.input<typeof ticketListQuerySchema>;

export interface HistoryEntryView {
  at: string;
  /** 'customer', 'system', 'agent:<name>'; in the customer's view agents show as 'carlinkit'. */
  actor: string;
  action: 'register' | TicketActionType;
  from: TicketStatus | null;
  to: TicketStatus;
  /** Agents' notes: back-office view only. */
  note?: string;
}

export interface QuoteView {
  amount: number;
  currency: string;
  /** "USD 25.00" */
  formatted: string;
  reason: string;
  createdAt: string;
  decision: 'pending' | 'accepted' | 'declined';
  decidedAt?: string;
}

export interface NotificationView {
  id: string;
  event: NotificationEvent;
  channel: 'sms';
  status: 'pending' | 'sending' | 'sent' | 'failed' | 'suppressed';
  attempts: number;
  createdAt: string;
  sentAt?: string;
  nextAttemptAt?: string;
  lastError?: string;
}

export const NOTIFICATION_EVENTS = [
  'registered',
  'approved',
  'rejected',
  'received',
  'quote',
  'shipped',
  'closed',
  'cancelled',
] as const;
export type NotificationEvent = (typeof NOTIFICATION_EVENTS)[number];

/** The product part of a ticket, as registered. */
export interface TicketProduct {
  productId: string;
  name: string;
  model: string;
  serialNumber?: string;
  /** Registered without a serial number: the team looks for it (photo of the label or the device). */
  serialMissing?: boolean;
  purchaseDate: string;
  purchasedFrom: string;
  orderNumber?: string;
  faultCategory: FaultCategory;
  faultDescription: string;
  troubleshootingTried: string[];
}

export interface TicketView {
  ticketNumber: string;
  status: TicketStatus;
  /** The status in the customer's words ("Being repaired"). */
  statusLabel: string;
  /** What happens next, as a sentence for the customer. */
  nextStep: string;
  product: TicketProduct;
  customer: { name: string; phone: string; email: string; returnAddress: PostalAddress };
  origin: { channel: OriginChannel; conversationId: string; conversationReference?: Record<string, unknown> };
  attachments: Attachment[];
  /** The final assessment once inspected, the preliminary one before. */
  warranty: WarrantyAssessment;
  /** Where to mail the product: present from approval on. */
  mailingAddress?: MailingAddress;
  inspection?: { finding: string; causedByCustomer: boolean; at: string };
  quote?: QuoteView;
  trackingNumbers: { inbound?: string; outbound?: string; outboundCarrier?: string };
  resolution?: 'repaired' | 'replaced' | 'returned_unrepaired';
  rejectionReason?: string;
  cancellationReason?: string;
  receivedAt?: string;
  /** Receipt + the turnaround in business days (YYYY-MM-DD, service centre's calendar). */
  expectedCompletion?: string;
  history: HistoryEntryView[];
  /** Back-office views only: the customer notifications and how their delivery went. */
  notifications?: NotificationView[];
  createdAt: string;
  updatedAt: string;
  /** Optimistic-concurrency version: pass it back as expectedVersion (If-Match in HTTP). */
  version: number;
}

export interface TicketPage {
  items: TicketView[];
  page: number;
  pageSize: number;
  total: number;
}
