import { createHash, randomUUID } from 'node:crypto';
import { Types, type Connection } from 'mongoose';
import { ConflictError, NotFoundError, UnavailableError, ValidationError } from '../errors';
import type { ProductCatalogue } from '../knowledge/productCatalogue';
import type { Logger } from '../logging/logger';
import { renderTicketSms, type TicketMessageFacts } from '../notifications/ticketMessages';
import { addBusinessDays } from './businessDays';
import { SERVICE_TIME_ZONE, addDays, calendarDateOf } from './calendarDate';
import { systemClock, type Clock } from './clock';
import { nextStatus } from './lifecycle';
import { LookupLimiter } from './lookupLimiter';
import {
  TICKET_FACT_FIELDS,
  TicketFactsCache,
  cachedTicketOf,
  type TicketFacts,
  type TicketFixedParts,
} from './ticketFactsCache';
import { parseInput } from './parseInput';
import {
  ticketModel,
  type HistoryDoc,
  type OutboxDoc,
  type TicketDoc,
  type TicketModel,
} from './ticketModel';
import { generateTicketNumber } from './ticketNumber';
import { outboxUpdate } from './ticketOutboxState';
import { formatMoney, toTicketView, type ViewableTicket } from './ticketView';
import {
  actorSchema,
  idempotencyKeySchema,
  phoneSchema,
  registrationInputSchema,
  ticketActionSchema,
  ticketListQuerySchema,
  ticketNumberSchema,
  type NotificationEvent,
  type ParsedTicketAction,
  type RegistrationInput,
  type TicketAction,
  type TicketListQuery,
  type TicketPage,
  type TicketView,
} from './types';
import { assessWarranty } from './warranty';

export interface TicketServiceDeps {
  connection: Connection;
  catalogue: ProductCatalogue;
  logger: Logger;
  /** config.repairs: REPAIR_HOLIDAYS and TURNAROUND_BUSINESS_DAYS. */
  repairs: { holidays: readonly string[]; turnaroundBusinessDays: number };
  clock?: Clock;
  /** Failed customer lookups per caller; 5 per 15 minutes by default. */
  lookupLimiter?: LookupLimiter;
  /** Where the customer's photos are kept (web chat uploads): told to keep a ticket's photos as long as the ticket. */
  attachmentKeeper?: AttachmentKeeper;
}

/** Photos expire under their own retention unless a ticket claims them. */
export interface AttachmentKeeper {
  /** Takes the photos at these URLs out of the photos' retention; URLs it does not hold are ignored. */
  keep(urls: readonly string[]): Promise<void>;
}

export interface ActOptions {
  /** 'customer', 'system' or 'agent:<name>'; recorded in the history. */
  actor: string;
  /** The version the caller saw; a different current version is refused (ConflictError) and nothing changes. */
  expectedVersion?: number;
}

const DUPLICATE_KEY = 11000;

/** What a back-office view shows: the SMS texts and the idempotency data stay in the store. */
const VIEW_PROJECTION = { idempotencyHash: 0, idempotencyKey: 0, 'outbox.body': 0, 'outbox.to': 0 } as const;

/**
 * The same, less what the facts cache already holds (TicketFixedParts): the reply to a lifecycle
 * change is most of its CPU cost on both sides of the wire, and these fields are half of it.
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

/** Compare-and-set retries when another writer got in between (not counting stale expectedVersion). */
const MAX_WRITE_ATTEMPTS = 8;
const MAX_NUMBER_ATTEMPTS = 5;

/**
 * Repair tickets: registration, the customer's lookup, the lifecycle and the back-office list.
 * The one place the bot, the SMS channel and the agent console act on tickets through.
 *
 * The hot paths (register, lifecycle changes, the customer lookup) go to the model's driver
 * collection rather than through mongoose queries: their input is already parsed by zod into typed
 * values, so mongoose's casting would only repeat the work, and it roughly doubled the CPU per
 * operation on the embedded store. The model still owns the schema and the indexes, and the back
 * office's list and get use mongoose queries.
 */
export class TicketService {
  private readonly model: TicketModel;
  private readonly clock: Clock;
  private readonly limiter: LookupLimiter;
  private readonly holidays: ReadonlySet<string>;
  private readonly facts = new TicketFactsCache();

  constructor(private readonly deps: TicketServiceDeps) {
    this.model = ticketModel(deps.connection);
    this.clock = deps.clock ?? systemClock;
    this.limiter = deps.lookupLimiter ?? new LookupLimiter({ clock: this.clock });
    this.holidays = new Set(deps.repairs.holidays);
  }

  /** Builds the indexes (unique ticket number and idempotency key among them); call once before use. */
  async init(): Promise<void> {
    await this.model.init();
    await this.model.createIndexes();
  }

  /**
   * Registers a repair (step 1 of the after-sales process). The same idempotency key always gives
   * the same ticket; reused with different data it is refused (ConflictError).
   */
  async register(
    input: RegistrationInput,
    options: { idempotencyKey: string; actor: string },
  ): Promise<TicketView> {
    const registration = parseInput(registrationInputSchema, input, 'registration');
    const idempotencyKey = parseInput(idempotencyKeySchema, options.idempotencyKey, 'idempotency key');
    const actor = parseInput(actorSchema, options.actor, 'actor');
    const product = this.deps.catalogue.get(registration.product.productId);
    if (!product) {
      throw new ValidationError(
        `Invalid registration: product.productId "${registration.product.productId}" is not a CarlinKit product we repair (known: ${this.deps.catalogue.products.map((known) => known.id).join(', ')})`,
        [{ path: 'product.productId', message: 'unknown product' }],
      );
    }
    const now = this.clock.now();
    const today = calendarDateOf(now, SERVICE_TIME_ZONE);
    // A day of slack: east of China (Japan, Australia, New Zealand) the customer's today can be our tomorrow.
    if (registration.product.purchaseDate > addDays(today, 1)) {
      throw new ValidationError(
        `Invalid registration: product.purchaseDate ${registration.product.purchaseDate} is in the future`,
        [{ path: 'product.purchaseDate', message: 'is in the future' }],
      );
    }
    const idempotencyHash = createHash('sha256').update(stableStringify(registration)).digest('hex');

    const preliminary = assessWarranty({
      purchaseDate: registration.product.purchaseDate,
      warrantyMonths: product.warrantyMonths,
      asOf: registration.product.purchaseDate > today ? registration.product.purchaseDate : today,
      productName: product.model,
    });
    // Before the ticket exists, so a ticket never points at a photo that may still expire (at worst,
    // a failed insert leaves photos kept that no ticket names).
    if (registration.attachments.length > 0)
      await this.deps.attachmentKeeper?.keep(registration.attachments.map((attachment) => attachment.url));
    // Insert first and let the unique indexes arbitrate: a retry (or a racing duplicate) hits the
    // idempotency key's index and gets the ticket that won, in one round trip for the common case.
    for (let attempt = 0; attempt < MAX_NUMBER_ATTEMPTS; attempt += 1) {
      const ticketNumber = generateTicketNumber();
      const outbox = [
        this.notification(
          'registered',
          { ticketNumber, productModel: product.model },
          registration.customer.phone,
          now,
        ),
      ];
      const doc: TicketDoc = {
        _id: new Types.ObjectId(),
        ticketNumber,
        idempotencyKey,
        idempotencyHash,
        status: 'submitted',
        version: 1,
        outboxVersion: 1,
        product: {
          ...registration.product,
          productId: product.id,
          name: product.name,
          model: product.model,
          warrantyMonths: product.warrantyMonths,
        },
        customer: registration.customer,
        origin: registration.origin,
        attachments: registration.attachments,
        warranty: { preliminary },
        tracking: {},
        history: [{ at: now, actor, action: 'register', from: null, to: 'submitted' }],
        ...outboxUpdate(outbox).set,
        createdAt: now,
        updatedAt: now,
      };
      try {
        // Validated by zod and built from typed values: straight to the driver (see the class comment).
        await this.model.collection.insertOne(withoutUndefined(doc));
        this.facts.set(cachedTicketOf(doc));
        this.deps.logger.info(
          { ticketNumber, channel: registration.origin.channel, productId: product.id },
          'ticket registered',
        );
        return toTicketView(doc, 'customer');
      } catch (error) {
        if (!isDuplicateKey(error)) throw error;
        // Either a retry with the same key (or a concurrent one) got there first, or the number was taken.
        const winner = await this.replay(idempotencyKey, idempotencyHash);
        if (winner) return winner;
      }
    }
    throw new UnavailableError('Could not allocate a ticket number; please try again.');
  }

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
  }): Promise<TicketView | null> {
    const callerKey = typeof query.callerKey === 'string' ? query.callerKey.trim() : '';
    if (!callerKey)
      throw new ValidationError('A caller key (conversation id or phone) is required for a ticket lookup');
    this.limiter.check(callerKey);
    const ticketNumber = ticketNumberSchema.safeParse(query.ticketNumber);
    const phone = phoneSchema.safeParse(query.phone);
    const doc =
      ticketNumber.success && phone.success
        ? ((await this.model.collection.findOne(
            { ticketNumber: ticketNumber.data, 'customer.phone': phone.data },
            { projection: CUSTOMER_PROJECTION },
          )) as TicketDoc | null)
        : null;
    if (!doc) {
      this.limiter.recordFailure(callerKey);
      return null;
    }
    return toTicketView(doc, 'customer');
  }

  /** The back office's view of one ticket (with notes and notification delivery). */
  async get(ticketNumber: string): Promise<TicketView> {
    return toTicketView(await this.load(ticketNumber), 'backoffice');
  }

  /** Newest first, filtered by status, phone and free text (ticket/serial/order number, name, e-mail). */
  async list(query: TicketListQuery = {}): Promise<TicketPage> {
    const { status, phone, q, page, pageSize } = parseInput(ticketListQuerySchema, query, 'ticket query');
    const filter: Record<string, unknown> = {};
    if (status) filter.status = status.length === 1 ? status[0] : { $in: status };
    if (phone) filter['customer.phone'] = phone;
    if (q) {
      const pattern = { $regex: escapeRegex(q), $options: 'i' };
      const normalised = ticketNumberSchema.safeParse(q);
      filter.$or = [
        ...(normalised.success ? [{ ticketNumber: normalised.data }] : [{ ticketNumber: pattern }]),
        { 'product.serialNumber': pattern },
        { 'product.orderNumber': pattern },
        { 'customer.name': pattern },
        { 'customer.email': pattern },
      ];
    }
    const [docs, total] = await Promise.all([
      this.model
        .find(filter)
        .sort({ createdAt: -1, _id: -1 })
        .skip((page - 1) * pageSize)
        .limit(pageSize)
        .lean<TicketDoc[]>()
        .exec(),
      this.model.countDocuments(filter).exec(),
    ]);
    return { items: docs.map((doc) => toTicketView(doc, 'backoffice')), page, pageSize, total };
  }

  /**
   * Applies one lifecycle action (see lifecycle.ts). An illegal action, a stale expectedVersion or
   * bad data is refused with a typed error and changes nothing. The status, its history entry and
   * the customer's notification are written in one atomic compare-and-set, so two agents acting at
   * once cannot lose an update: the loser re-reads and is re-checked against the new state.
   */
  async act(ticketNumber: string, action: TicketAction, options: ActOptions): Promise<TicketView> {
    const number = parseInput(ticketNumberSchema, ticketNumber, 'ticket number');
    const parsed = parseInput(ticketActionSchema, action, 'action');
    const actor = parseInput(actorSchema, options.actor, 'actor');
    if (
      options.expectedVersion !== undefined &&
      (!Number.isInteger(options.expectedVersion) || options.expectedVersion < 1)
    ) {
      throw new ValidationError('Invalid expected version: must be a whole number from 1');
    }
    let facts = this.facts.get(number);
    let fresh = false;
    for (let attempt = 0; attempt < MAX_WRITE_ATTEMPTS; attempt += 1) {
      if (!facts) {
        facts = await this.loadFacts(number);
        fresh = true;
      }
      let update: Record<string, unknown>;
      let entry: HistoryDoc;
      try {
        if (options.expectedVersion !== undefined && facts.version !== options.expectedVersion) {
          throw new ConflictError(
            `Ticket ${number} was changed by someone else (it is now at version ${facts.version}, you had ${options.expectedVersion}). Reload it and try again.`,
            { currentVersion: facts.version, status: facts.status },
          );
        }
        ({ update, entry } = this.change(facts, parsed, actor, this.clock.now()));
      } catch (error) {
        // Refuse on what the store says, never on a cached hint: read it and decide again.
        if (!fresh && error instanceof ConflictError) {
          facts = undefined;
          continue;
        }
        throw error;
      }
      const fixed = facts.fixed;
      const reply = (await this.model.collection.findOneAndUpdate(
        { _id: facts._id, version: facts.version },
        withoutUndefined(update),
        {
          returnDocument: 'after',
          projection: fixed ? CHANGED_PROJECTION : VIEW_PROJECTION,
        },
      )) as ChangedFields | null;
      if (reply) {
        // The write matched facts.version, so the cached history is the one it appended `entry` to.
        // Without the fixed parts the reply came with VIEW_PROJECTION: the whole viewable ticket.
        const updated = fixed ? withFixedParts(reply, fixed, entry) : (reply as ViewableTicket);
        this.facts.set(cachedTicketOf(updated));
        this.deps.logger.info(
          { ticketNumber: number, action: parsed.type, from: facts.status, to: updated.status, actor },
          'ticket changed',
        );
        return toTicketView(updated, 'backoffice');
      }
      // Someone else changed it first: read it again and re-check the action against its new state.
      this.facts.delete(number);
      facts = undefined;
    }
    throw new ConflictError(`Ticket ${number} is being changed by others right now; please try again.`);
  }

  /** Puts a failed notification back in the queue (after fixing the number, or a long outage). */
  async retryNotification(
    ticketNumber: string,
    notificationId: string,
    options: { actor: string },
  ): Promise<TicketView> {
    const number = parseInput(ticketNumberSchema, ticketNumber, 'ticket number');
    const actor = parseInput(actorSchema, options.actor, 'actor');
    for (let attempt = 0; attempt < MAX_WRITE_ATTEMPTS; attempt += 1) {
      const doc = await this.load(number);
      const entry = doc.outbox.find((candidate) => candidate.id === notificationId);
      if (!entry) throw new NotFoundError(`Ticket ${number} has no notification ${notificationId}`);
      if (entry.status !== 'failed')
        throw new ConflictError(
          `Notification ${notificationId} is ${entry.status}; only a failed one can be retried`,
        );
      const now = this.clock.now();
      const outbox = doc.outbox.map((candidate) =>
        candidate.id === notificationId
          ? { ...candidate, status: 'pending' as const, attempts: 0, nextAttemptAt: now }
          : candidate,
      );
      const { set, unset } = outboxUpdate(outbox);
      const updated = await this.model
        .findOneAndUpdate(
          { _id: doc._id, outboxVersion: doc.outboxVersion },
          {
            $set: set,
            ...(Object.keys(unset).length > 0 ? { $unset: unset } : {}),
            $inc: { outboxVersion: 1 },
          },
          { returnDocument: 'after' },
        )
        .lean<TicketDoc>()
        .exec();
      if (updated) {
        this.deps.logger.info({ ticketNumber: number, notificationId, actor }, 'notification re-queued');
        return toTicketView(updated, 'backoffice');
      }
    }
    throw new ConflictError(`Ticket ${number} is being changed by others right now; please try again.`);
  }

  private async load(ticketNumber: string): Promise<TicketDoc> {
    const number = parseInput(ticketNumberSchema, ticketNumber, 'ticket number');
    const doc = await this.model.findOne({ ticketNumber: number }).lean<TicketDoc>().exec();
    if (!doc) throw new NotFoundError(`No ticket ${number}`);
    return doc;
  }

  /** Only what a lifecycle change needs: everything in it but status and version is fixed at registration. */
  private async loadFacts(ticketNumber: string): Promise<TicketFacts> {
    const doc = (await this.model.collection.findOne(
      { ticketNumber },
      { projection: TICKET_FACT_FIELDS },
    )) as TicketFacts | null;
    if (!doc) throw new NotFoundError(`No ticket ${ticketNumber}`);
    return doc;
  }

  private async replay(idempotencyKey: string, idempotencyHash: string): Promise<TicketView | null> {
    const existing = await this.model.findOne({ idempotencyKey }).lean<TicketDoc>().exec();
    if (!existing) return null;
    if (existing.idempotencyHash !== idempotencyHash) {
      throw new ConflictError('This idempotency key was already used for a different registration', {
        ticketNumber: existing.ticketNumber,
      });
    }
    return toTicketView(existing, 'customer');
  }

  /** The update for one action on `doc` (already checked to be legal), as a MongoDB update document. */
  private change(
    doc: TicketFacts,
    action: ParsedTicketAction,
    actor: string,
    now: Date,
  ): { update: Record<string, unknown>; entry: HistoryDoc } {
    const to = nextStatus(doc.status, action.type);
    const set: Record<string, unknown> = { status: to, updatedAt: now };
    let event: NotificationEvent | undefined;
    const facts: TicketMessageFacts = { ticketNumber: doc.ticketNumber, productModel: doc.product.model };

    switch (action.type) {
      case 'review':
      case 'inspect':
        break;
      case 'approve':
        set.mailingAddress = action.mailingAddress;
        facts.mailingAddress = action.mailingAddress;
        event = 'approved';
        break;
      case 'reject':
        set.rejectionReason = action.reason;
        facts.rejectionReason = action.reason;
        event = 'rejected';
        break;
      case 'receive': {
        const expectedCompletion = addBusinessDays(
          now,
          this.deps.repairs.turnaroundBusinessDays,
          this.holidays,
          SERVICE_TIME_ZONE,
        );
        set.receivedAt = now;
        set.expectedCompletion = expectedCompletion;
        if (action.inboundTrackingNumber) set['tracking.inbound'] = action.inboundTrackingNumber;
        facts.expectedCompletion = expectedCompletion;
        event = 'received';
        break;
      }
      case 'repair': {
        const final = this.finalAssessment(doc, false);
        if (!final.covered) {
          throw new ConflictError(
            `Ticket ${doc.ticketNumber} is not a free repair: ${final.reason} Send a quote instead.`,
            { warranty: final },
          );
        }
        set['warranty.final'] = final;
        set.inspection = { finding: action.finding, causedByCustomer: false, at: now };
        break;
      }
      case 'quote': {
        const final = this.finalAssessment(doc, action.causedByCustomer);
        if (final.covered) {
          throw new ConflictError(
            `Ticket ${doc.ticketNumber} is under warranty and the fault is not caused by the customer: the repair is free, so there is nothing to quote. Use repair instead.`,
            { warranty: final },
          );
        }
        const amountMinor = Math.round(action.amount * 100);
        set['warranty.final'] = final;
        set.inspection = { finding: action.finding, causedByCustomer: action.causedByCustomer, at: now };
        set.quote = {
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
        set['quote.decision'] = 'accepted';
        set['quote.decidedAt'] = now;
        set['quote.paymentReference'] = action.paymentReference;
        break;
      case 'decline_quote':
        set['quote.decision'] = 'declined';
        set['quote.decidedAt'] = now;
        break;
      case 'ship': {
        const resolution =
          doc.status === 'returned_unrepaired'
            ? 'returned_unrepaired'
            : action.replaced
              ? 'replaced'
              : 'repaired';
        set['tracking.outbound'] = action.outboundTrackingNumber;
        if (action.carrier) set['tracking.outboundCarrier'] = action.carrier;
        set.resolution = resolution;
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
        set.cancellationReason = action.reason;
        facts.cancellationReason = action.reason;
        // A customer cancelling in the chat already sees the confirmation there.
        if (actor !== 'customer') event = 'cancelled';
        break;
    }

    const note = 'note' in action ? action.note : undefined;
    const entry: HistoryDoc = {
      at: now,
      actor,
      action: action.type,
      from: doc.status,
      to,
      ...(note ? { note } : {}),
    };
    const push: Record<string, unknown> = { history: entry };
    const inc: Record<string, number> = { version: 1 };
    if (event) {
      // Appending never clashes with the dispatcher's rewrites of existing entries, which are
      // compare-and-set on outboxVersion: bumping it here makes a dispatcher that read before us retry.
      push.outbox = this.notification(event, facts, doc.customer.phone, now);
      inc.outboxVersion = 1;
      // Due now; an earlier due time only makes the dispatcher look a little sooner, which is harmless.
      set.outboxDueAt = now;
    }
    return { update: { $set: set, $push: push, $inc: inc }, entry };
  }

  /** Judged on the registration day (the claim date), not the inspection day: the post's delays never cost the warranty. */
  private finalAssessment(doc: TicketFacts, causedByCustomer: boolean) {
    return assessWarranty({
      purchaseDate: doc.product.purchaseDate,
      warrantyMonths: doc.product.warrantyMonths,
      asOf: doc.warranty.preliminary.claimDate,
      causedByCustomer,
      productName: doc.product.model,
    });
  }

  private notification(
    event: NotificationEvent,
    facts: TicketMessageFacts,
    phone: string,
    now: Date,
  ): OutboxDoc {
    return {
      id: randomUUID(),
      event,
      channel: 'sms',
      to: phone,
      body: renderTicketSms(event, facts),
      status: 'pending',
      attempts: 0,
      createdAt: now,
      nextAttemptAt: now,
    };
  }
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

/**
 * The driver would store an undefined field as null; leave it out instead, as mongoose would.
 * Usually there is none: then the value is returned as it is, without a copy.
 */
function withoutUndefined<T>(value: T): T {
  return hasUndefined(value) ? copyWithoutUndefined(value) : value;
}

function isPlainContainer(value: unknown): value is object {
  return (
    value !== null &&
    typeof value === 'object' &&
    !(value instanceof Date) &&
    !(value instanceof Types.ObjectId)
  );
}

function hasUndefined(value: unknown): boolean {
  if (Array.isArray(value)) return value.some(hasUndefined);
  if (!isPlainContainer(value)) return false;
  for (const key of Object.keys(value)) {
    const child = (value as Record<string, unknown>)[key];
    if (child === undefined || hasUndefined(child)) return true;
  }
  return false;
}

function copyWithoutUndefined<T>(value: T): T {
  if (Array.isArray(value)) return value.map((item: unknown) => copyWithoutUndefined(item)) as T;
  if (!isPlainContainer(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(value as Record<string, unknown>))
    if (child !== undefined) out[key] = copyWithoutUndefined(child);
  return out as T;
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** JSON with object keys sorted, so the same registration always hashes the same. */
function stableStringify(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, child]) => child !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([key, child]) => `${JSON.stringify(key)}:${stableStringify(child)}`).join(',')}}`;
}
