import { Schema, type Connection, type Model, type Types } from 'mongoose';
import { FAULT_CATEGORIES, NOTIFICATION_EVENTS, ORIGIN_CHANNELS, TICKET_STATUSES } from './types';
import type {
  NotificationEvent,
  OriginChannel,
  TicketActionType,
  TicketProduct,
  TicketStatus,
} from './types';
import type { WarrantyAssessment } from './warranty';

/**
 * The repair ticket as stored. One document holds everything about a repair, including its
 * customer notifications (the outbox): the store has no multi-document transactions, so a status
 * change, its history entry and its notification are written together in one findOneAndUpdate.
 *
 * One counter guards concurrent writers: `version`, bumped by every lifecycle change; agents send
 * it back (If-Match) and a stale one is refused. The dispatcher's bookkeeping changes single outbox
 * entries, each guarded by its own state (TicketOutbox), so it never makes agents' versions stale.
 */

export interface AddressDoc {
  line1: string;
  line2?: string;
  city: string;
  region?: string;
  postalCode: string;
  country: string;
}

export interface MailingAddressDoc extends AddressDoc {
  recipient: string;
  phone?: string;
}

export interface HistoryDoc {
  at: Date;
  actor: string;
  action: 'register' | TicketActionType;
  from: TicketStatus | null;
  to: TicketStatus;
  note?: string;
}

export type OutboxStatus = 'pending' | 'sending' | 'sent' | 'failed' | 'suppressed';

export interface OutboxDoc {
  id: string;
  event: NotificationEvent;
  channel: 'sms';
  to: string;
  body: string;
  status: OutboxStatus;
  attempts: number;
  createdAt: Date;
  /** When a pending entry may be tried (again). */
  nextAttemptAt?: Date;
  /** A 'sending' entry belongs to `leaseOwner` until then; after it, another dispatcher may retry it. */
  leaseUntil?: Date;
  leaseOwner?: string;
  providerMessageId?: string;
  sentAt?: Date;
  lastError?: string;
}

export interface TicketDoc {
  _id: Types.ObjectId;
  ticketNumber: string;
  idempotencyKey: string;
  /** sha256 of the registration input: a key reused with different data is refused. */
  idempotencyHash: string;
  status: TicketStatus;
  version: number;
  product: TicketProduct & {
    /** From the catalogue when registered: later catalogue edits do not change a running claim. */
    warrantyMonths: number;
  };
  customer: { name: string; phone: string; email: string; returnAddress: AddressDoc };
  origin: { channel: OriginChannel; conversationId: string; conversationReference?: Record<string, unknown> };
  attachments: Array<{ name: string; contentType: string; size?: number; url: string }>;
  warranty: { preliminary: WarrantyAssessment; final?: WarrantyAssessment };
  mailingAddress?: MailingAddressDoc;
  inspection?: { finding: string; causedByCustomer: boolean; at: Date };
  quote?: {
    amountMinor: number;
    currency: string;
    reason: string;
    createdAt: Date;
    decision: 'pending' | 'accepted' | 'declined';
    decidedAt?: Date;
    paymentReference?: string;
  };
  tracking: { inbound?: string; outbound?: string; outboundCarrier?: string };
  resolution?: 'repaired' | 'replaced' | 'returned_unrepaired';
  rejectionReason?: string;
  cancellationReason?: string;
  receivedAt?: Date;
  expectedCompletion?: string;
  history: HistoryDoc[];
  outbox: OutboxDoc[];
  /** Earliest time an outbox entry needs the dispatcher (absent when none does): what it polls on. */
  outboxDueAt?: Date;
  createdAt: Date;
  updatedAt: Date;
}

export const TICKET_COLLECTION = 'tickets';

const addressFields = {
  line1: { type: String, required: true },
  line2: String,
  city: { type: String, required: true },
  region: String,
  postalCode: { type: String, required: true },
  country: { type: String, required: true },
};

const warrantySchema = new Schema(
  {
    stage: { type: String, enum: ['preliminary', 'final'], required: true },
    covered: { type: Boolean, required: true },
    basis: { type: String, enum: ['in_warranty', 'customer_caused', 'out_of_warranty'], required: true },
    withinWarrantyPeriod: { type: Boolean, required: true },
    purchaseDate: { type: String, required: true },
    lastCoveredDay: { type: String, required: true },
    claimDate: { type: String, required: true },
    causedByCustomer: { type: Boolean, default: null },
    repairCost: { type: String, enum: ['free', 'quoted_before_repair'], required: true },
    companyPaysShipping: { type: String, enum: ['both_ways', 'return_only'], required: true },
    customerPays: {
      repair: { type: Boolean, required: true },
      shippingToCentre: { type: Boolean, required: true },
      shippingBack: { type: Boolean, required: true },
    },
    reason: { type: String, required: true },
  },
  { _id: false },
);

const historySchema = new Schema<HistoryDoc>(
  {
    at: { type: Date, required: true },
    actor: { type: String, required: true },
    action: { type: String, required: true },
    from: { type: String, enum: [...TICKET_STATUSES, null], default: null },
    to: { type: String, enum: TICKET_STATUSES, required: true },
    note: String,
  },
  { _id: false },
);

const outboxSchema = new Schema<OutboxDoc>(
  {
    id: { type: String, required: true },
    event: { type: String, enum: NOTIFICATION_EVENTS, required: true },
    channel: { type: String, enum: ['sms'], required: true },
    to: { type: String, required: true },
    body: { type: String, required: true },
    status: { type: String, enum: ['pending', 'sending', 'sent', 'failed', 'suppressed'], required: true },
    attempts: { type: Number, required: true, default: 0 },
    createdAt: { type: Date, required: true },
    nextAttemptAt: Date,
    leaseUntil: Date,
    leaseOwner: String,
    providerMessageId: String,
    sentAt: Date,
    lastError: String,
  },
  { _id: false },
);

const ticketSchema = new Schema<TicketDoc>(
  {
    ticketNumber: { type: String, required: true },
    idempotencyKey: { type: String, required: true },
    idempotencyHash: { type: String, required: true },
    status: { type: String, enum: TICKET_STATUSES, required: true },
    version: { type: Number, required: true },
    product: {
      productId: { type: String, required: true },
      name: { type: String, required: true },
      model: { type: String, required: true },
      warrantyMonths: { type: Number, required: true },
      serialNumber: String,
      serialMissing: Boolean,
      purchaseDate: { type: String, required: true },
      purchasedFrom: { type: String, required: true },
      orderNumber: String,
      faultCategory: { type: String, enum: FAULT_CATEGORIES, required: true },
      faultDescription: { type: String, required: true },
      troubleshootingTried: { type: [String], default: [] },
    },
    customer: {
      name: { type: String, required: true },
      phone: { type: String, required: true },
      email: { type: String, required: true },
      returnAddress: { type: new Schema(addressFields, { _id: false }), required: true },
    },
    origin: {
      channel: { type: String, enum: ORIGIN_CHANNELS, required: true },
      conversationId: { type: String, required: true },
      conversationReference: Schema.Types.Mixed,
    },
    attachments: {
      type: [
        new Schema(
          {
            name: { type: String, required: true },
            contentType: { type: String, required: true },
            size: Number,
            url: { type: String, required: true },
          },
          { _id: false },
        ),
      ],
      default: [],
    },
    warranty: {
      preliminary: { type: warrantySchema, required: true },
      final: warrantySchema,
    },
    mailingAddress: new Schema(
      { ...addressFields, recipient: { type: String, required: true }, phone: String },
      { _id: false },
    ),
    inspection: new Schema(
      {
        finding: { type: String, required: true },
        causedByCustomer: { type: Boolean, required: true },
        at: { type: Date, required: true },
      },
      { _id: false },
    ),
    quote: new Schema(
      {
        amountMinor: { type: Number, required: true },
        currency: { type: String, required: true },
        reason: { type: String, required: true },
        createdAt: { type: Date, required: true },
        decision: { type: String, enum: ['pending', 'accepted', 'declined'], required: true },
        decidedAt: Date,
        paymentReference: String,
      },
      { _id: false },
    ),
    tracking: { inbound: String, outbound: String, outboundCarrier: String },
    resolution: { type: String, enum: ['repaired', 'replaced', 'returned_unrepaired'] },
    rejectionReason: String,
    cancellationReason: String,
    receivedAt: Date,
    expectedCompletion: String,
    history: { type: [historySchema], default: [] },
    outbox: { type: [outboxSchema], default: [] },
    outboxDueAt: Date,
    createdAt: { type: Date, required: true },
    updatedAt: { type: Date, required: true },
  },
  // `version` is ours (see above); mongoose's __v would only version arrays.
  { collection: TICKET_COLLECTION, versionKey: false, strict: 'throw', minimize: true },
);

// One index per lookup.
ticketSchema.index({ ticketNumber: 1 }, { unique: true });
ticketSchema.index({ idempotencyKey: 1 }, { unique: true });
ticketSchema.index({ 'customer.phone': 1, createdAt: -1 });
ticketSchema.index({ status: 1, createdAt: -1 });
ticketSchema.index({ createdAt: -1 });
ticketSchema.index({ outboxDueAt: 1 }, { sparse: true });
ticketSchema.index({ 'origin.conversationId': 1 });
ticketSchema.index({ 'product.serialNumber': 1 });

export type TicketModel = Model<TicketDoc>;

/** The Ticket model on a connection (models are per connection: the app uses createConnection). */
export function ticketModel(connection: Connection): TicketModel {
  return (
    (connection.models.Ticket as TicketModel | undefined) ??
    connection.model<TicketDoc>('Ticket', ticketSchema)
  );
}
