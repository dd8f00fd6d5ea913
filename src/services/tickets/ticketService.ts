import { randomUUID } from 'node:crypto';
import { Types, type Connection } from 'mongoose';
import { ConflictError, NotFoundError, UnavailableError, ValidationError } from '../errors';
import type { ProductCatalogue } from '../knowledge/productCatalogue';
import type { Logger } from '../logging/logger';
import { TicketSmsComposer } from '../notifications/ticketMessages';
import { systemClock, type Clock } from './clock';
import { allowedActions } from './lifecycle';
import { decide, decideRegistration, type RepairRules, type TicketEvent } from './decide';
import { idempotencyHashOf } from './idempotencyHash';
import { TicketLookupLimits } from './lookupLimits';
import { parseInput } from './parseInput';
import type { OutboxDoc, TicketDoc } from './ticketModel';
import { generateTicketNumber } from './ticketNumber';
import { TicketOutbox } from './ticketOutbox';
import { outboxUpdate } from './ticketOutboxState';
import { TicketQueries } from './ticketQueries';
import { TicketRepository } from './ticketRepository';
import { toTicketView } from './ticketView';
import {
  actorSchema,
  idempotencyKeySchema,
  registrationInputSchema,
  ticketActionSchema,
  ticketNumberSchema,
  type RegistrationInput,
  type TicketAction,
  type TicketListQuery,
  type TicketPage,
  type TicketView,
} from './types';

export interface TicketServiceDeps {
  connection: Connection;
  catalogue: ProductCatalogue;
  logger: Logger;
  /** config.repairs: REPAIR_HOLIDAYS and TURNAROUND_BUSINESS_DAYS. */
  repairs: { holidays: readonly string[]; turnaroundBusinessDays: number };
  clock?: Clock;
  /** Failed customer lookups per caller, ticket number and client address (see TicketLookupLimits). */
  lookupLimits?: TicketLookupLimits;
  /** The customers' SMS wording; the shipped data file by default. */
  sms?: TicketSmsComposer;
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

/** What a customer's cancellation did; only 'cancelled' means this call cancelled the ticket. */
export type CustomerCancellation =
  | { outcome: 'cancelled' | 'already_cancelled' | 'not_cancellable' | 'changed'; ticket: TicketView }
  | { outcome: 'not_found' };

/** What a customer who lost their ticket number is told about each of their repairs. */
export interface CustomerTicketSummary {
  ticketNumber: string;
  productName: string;
  statusLabel: string;
  createdAt: string;
}

/** Compare-and-set retries when another writer got in between (not counting stale expectedVersion). */
const MAX_WRITE_ATTEMPTS = 8;
const MAX_NUMBER_ATTEMPTS = 5;

/**
 * Repair tickets: the one place the bot, the SMS channel and the agent console act on tickets
 * through. A facade over the parts, each with one job:
 * - decide.ts: the rules (state machine, warranty and cost, turnaround), pure;
 * - TicketRepository: storage, compare-and-set on `version`, and the cache;
 * - TicketSmsComposer: the customer's SMS for each event, worded in a data file;
 * - TicketQueries: the customer's lookup and the back office's views;
 * - TicketOutbox: the notifications' delivery state (written by the dispatcher).
 * This class parses the callers' input, runs the use cases and logs them.
 */
export class TicketService {
  private readonly clock: Clock;
  private readonly rules: RepairRules;
  private readonly repository: TicketRepository;
  private readonly queries: TicketQueries;
  private readonly outbox: TicketOutbox;
  private readonly sms: TicketSmsComposer;

  constructor(private readonly deps: TicketServiceDeps) {
    this.clock = deps.clock ?? systemClock;
    this.rules = {
      turnaroundBusinessDays: deps.repairs.turnaroundBusinessDays,
      holidays: new Set(deps.repairs.holidays),
    };
    this.repository = new TicketRepository(deps.connection);
    this.queries = new TicketQueries(
      this.repository,
      deps.lookupLimits ?? new TicketLookupLimits({ clock: this.clock }),
    );
    this.outbox = new TicketOutbox(deps.connection);
    this.sms = deps.sms ?? TicketSmsComposer.load();
  }

  /** Builds the indexes (unique ticket number and idempotency key among them); call once before use. */
  async init(): Promise<void> {
    await this.repository.init();
  }

  /**
   * Registers a repair (step 1 of the after-sales process). The same idempotency key always gives
   * the same ticket; reused with different data it is refused (ConflictError).
   */
  async register(
    input: RegistrationInput,
    /** notifyCustomer false: no "registered" SMS (a number the customer could not confirm). */
    options: { idempotencyKey: string; actor: string; notifyCustomer?: boolean },
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
    const idempotencyHash = idempotencyHashOf(registration);
    // Insert first and let the unique indexes arbitrate: a retry (or a racing duplicate) hits the
    // idempotency key's index and gets the ticket that won, in one round trip for the common case.
    for (let attempt = 0; attempt < MAX_NUMBER_ATTEMPTS; attempt += 1) {
      const ticketNumber = generateTicketNumber();
      const decision = decideRegistration(registration, product, { ticketNumber, actor }, now);
      // Once the registration is known to be valid and before the ticket exists, so a ticket never
      // points at a photo that may still expire (at worst, a failed insert leaves photos kept that
      // no ticket names).
      if (attempt === 0 && registration.attachments.length > 0)
        await this.deps.attachmentKeeper?.keep(registration.attachments.map((attachment) => attachment.url));
      const doc: TicketDoc = {
        _id: new Types.ObjectId(),
        ticketNumber,
        idempotencyKey,
        idempotencyHash,
        status: 'submitted',
        version: 1,
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
        warranty: { preliminary: decision.preliminary },
        tracking: {},
        history: [decision.history],
        // notifyCustomer false: the number could not be confirmed, so no "registered" SMS to it.
        ...outboxUpdate(this.notifications(options.notifyCustomer === false ? [] : decision.events, now)).set,
        createdAt: now,
        updatedAt: now,
      };
      if ((await this.repository.insert(doc)) === 'inserted') {
        this.deps.logger.info(
          { ticketNumber, channel: registration.origin.channel, productId: product.id },
          'ticket registered',
        );
        return toTicketView(doc, 'customer');
      }
      // Either a retry with the same key (or a concurrent one) got there first, or the number was taken.
      const winner = await this.repository.findByIdempotencyKey(idempotencyKey);
      if (winner) {
        if (winner.idempotencyHash !== idempotencyHash) {
          throw new ConflictError('This idempotency key was already used for a different registration', {
            ticketNumber: winner.ticketNumber,
          });
        }
        return toTicketView(winner, 'customer');
      }
    }
    throw new UnavailableError('Could not allocate a ticket number; please try again.');
  }

  /** See TicketQueries.findForCustomer. */
  findForCustomer(query: {
    ticketNumber: string;
    phone: string;
    callerKey: string;
    /** The client's address as the channel saw it (web chat), limited on its own. */
    clientAddress?: string;
  }): Promise<TicketView | null> {
    return this.queries.findForCustomer(query);
  }

  /**
   * The customer cancels their own repair (allowed before the product is received, see lifecycle.ts).
   * The same checks and limits as the customer's lookup: the ticket number and the phone on the
   * ticket must match. `expectedVersion` is the version the customer was shown: a ticket changed
   * since is not cancelled ('changed'). Idempotent: asking again for a ticket already cancelled
   * answers 'already_cancelled' and changes nothing, so a retried turn never cancels twice nor
   * claims something that did not happen.
   */
  async cancelForCustomer(query: {
    ticketNumber: string;
    phone: string;
    callerKey: string;
    clientAddress?: string;
    expectedVersion?: number;
    reason: string;
  }): Promise<CustomerCancellation> {
    const { expectedVersion, reason, ...lookup } = query;
    const ticket = await this.queries.findForCustomer(lookup);
    if (!ticket) return { outcome: 'not_found' };
    if (ticket.status === 'cancelled') return { outcome: 'already_cancelled', ticket };
    if (!allowedActions(ticket.status).includes('cancel')) return { outcome: 'not_cancellable', ticket };
    try {
      await this.act(
        ticket.ticketNumber,
        { type: 'cancel', reason },
        { actor: 'customer', ...(expectedVersion !== undefined ? { expectedVersion } : {}) },
      );
    } catch (error) {
      if (!(error instanceof ConflictError)) throw error;
      const now = await this.queries.findForCustomer(lookup);
      if (!now) return { outcome: 'not_found' };
      if (now.status === 'cancelled') return { outcome: 'already_cancelled', ticket: now };
      return {
        outcome: allowedActions(now.status).includes('cancel') ? 'changed' : 'not_cancellable',
        ticket: now,
      };
    }
    const cancelled = await this.queries.findForCustomer(lookup);
    if (!cancelled || cancelled.status !== 'cancelled')
      throw new UnavailableError('The cancellation could not be confirmed; please try again.');
    return { outcome: 'cancelled', ticket: cancelled };
  }

  /**
   * The repairs registered with this phone, newest first, at most `limit` (for a customer who lost
   * the ticket number). The caller must have proven the customer holds the phone (a one-time code):
   * this method does not check it.
   */
  async ticketsForPhone(phone: string, limit = 5): Promise<CustomerTicketSummary[]> {
    const page = await this.queries.list({ phone, pageSize: Math.min(Math.max(limit, 1), 20) });
    return page.items.map((ticket) => ({
      ticketNumber: ticket.ticketNumber,
      productName: ticket.product.name,
      statusLabel: ticket.statusLabel,
      createdAt: ticket.createdAt,
    }));
  }

  /** The back office's view of one ticket (with notes and notification delivery). */
  get(ticketNumber: string): Promise<TicketView> {
    return this.queries.get(ticketNumber);
  }

  /** Newest first, filtered by status, phone and free text (ticket/serial/order number, name, e-mail). */
  list(query: TicketListQuery = {}): Promise<TicketPage> {
    return this.queries.list(query);
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
    const expectedVersion = options.expectedVersion;
    if (expectedVersion !== undefined && (!Number.isInteger(expectedVersion) || expectedVersion < 1)) {
      throw new ValidationError('Invalid expected version: must be a whole number from 1');
    }
    let fresh = false;
    for (let attempt = 0; attempt < MAX_WRITE_ATTEMPTS; attempt += 1) {
      const read = await this.repository.facts(number, { fresh });
      if (!read) throw new NotFoundError(`No ticket ${number}`);
      const { facts } = read;
      const now = this.clock.now();
      let decision: ReturnType<typeof decide>;
      try {
        if (expectedVersion !== undefined && facts.version !== expectedVersion) {
          throw new ConflictError(
            `Ticket ${number} was changed by someone else (it is now at version ${facts.version}, you had ${expectedVersion}). Reload it and try again.`,
            { currentVersion: facts.version, status: facts.status },
          );
        }
        decision = decide(facts, { action: parsed, actor }, now, this.rules);
      } catch (error) {
        // Refuse on what the store says, never on a cached hint: read it and decide again.
        if (!read.fresh && error instanceof ConflictError) {
          fresh = true;
          continue;
        }
        throw error;
      }
      const updated = await this.repository.applyIfVersion(
        facts,
        decision.changes,
        this.notifications(decision.events, now),
      );
      if (updated) {
        this.deps.logger.info(
          { ticketNumber: number, action: parsed.type, from: facts.status, to: updated.status, actor },
          'ticket changed',
        );
        return toTicketView(updated, 'backoffice');
      }
      // Someone else changed it first: read it again and re-check the action against its new state.
      fresh = true;
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
    await this.outbox.requeue(number, notificationId, this.clock.now());
    this.deps.logger.info({ ticketNumber: number, notificationId, actor }, 'notification re-queued');
    return this.queries.get(number);
  }

  /** The outbox entries for a decision's events: composed now, so a retry later sends what was true now. */
  private notifications(events: readonly TicketEvent[], now: Date): OutboxDoc[] {
    return events.map((event) => ({
      id: randomUUID(),
      event: event.type,
      channel: 'sms',
      to: event.to,
      body: this.sms.compose(event.type, event.facts),
      status: 'pending',
      attempts: 0,
      createdAt: now,
      nextAttemptAt: now,
    }));
  }
}
