import type { Connection } from 'mongoose';
import { RateLimitedError } from '../errors';
import { systemClock, type Clock } from './clock';
import { ticketModel, type TicketModel } from './ticketModel';
import { phoneSchema, type RegistrationInput } from './types';

const DAY_MS = 24 * 60 * 60_000;

export interface RegistrationLimitsOptions {
  connection: Connection;
  /** Tickets one conversation may register in 24 hours (default 3). */
  perConversation?: number;
  /** Tickets registered for one mobile number in 24 hours, from any conversation (default 3). */
  perPhonePerDay?: number;
  clock?: Clock;
}

/**
 * Caps customers' self-service registrations, so nobody can flood the team's queue or (through the
 * "registered" SMS) a stranger's phone: per conversation and per mobile number in the last 24 hours,
 * counted from the tickets themselves (indexed on both), so the caps hold across restarts and
 * instances. A retry of a registration already made (its idempotency key exists) is never refused.
 * Two registrations racing past the last free slot can both get in: a cap, not a quota ledger.
 */
export class RegistrationLimits {
  private readonly model: TicketModel;
  private readonly perConversation: number;
  private readonly perPhonePerDay: number;
  private readonly clock: Clock;

  constructor(options: RegistrationLimitsOptions) {
    this.model = ticketModel(options.connection);
    this.perConversation = options.perConversation ?? 3;
    this.perPhonePerDay = options.perPhonePerDay ?? 3;
    this.clock = options.clock ?? systemClock;
  }

  /** Throws RateLimitedError when this registration would go over a cap. */
  async check(input: RegistrationInput, idempotencyKey: string): Promise<void> {
    const tickets = this.model.collection;
    if (await tickets.findOne({ idempotencyKey }, { projection: { _id: 1 } })) return;
    const since = new Date(this.clock.now().getTime() - DAY_MS);
    const phone = phoneSchema.safeParse(input.customer.phone);
    const [byConversation, byPhone] = await Promise.all([
      tickets.countDocuments({
        'origin.conversationId': input.origin.conversationId,
        createdAt: { $gte: since },
      }),
      phone.success
        ? tickets.countDocuments({ 'customer.phone': phone.data, createdAt: { $gte: since } })
        : Promise.resolve(0),
    ]);
    if (byConversation >= this.perConversation) {
      throw new RateLimitedError(
        `This conversation has registered ${byConversation} repairs today; more can be registered tomorrow or by our team.`,
        DAY_MS / 1000,
      );
    }
    if (byPhone >= this.perPhonePerDay) {
      throw new RateLimitedError(
        `${byPhone} repairs were registered for this mobile number today; more can be registered tomorrow or by our team.`,
        DAY_MS / 1000,
      );
    }
  }
}
