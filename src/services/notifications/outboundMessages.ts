import { systemClock, type Clock } from '../tickets/clock';
import type { MessageOutbox, OutboundMessage } from './messageOutbox';
import type { DeliveryResult, NotificationDispatcher } from './notificationDispatcher';

/**
 * Sends messages through the outbox without waiting for a poll: each is stored first (already
 * leased to this instance, so no other takes it), then delivered at once, in order. Whatever does
 * not go out now stays in the outbox and the dispatcher retries it with the one retry policy; a
 * message id seen before is not sent again.
 */
export class OutboundMessages {
  private readonly clock: Clock;

  constructor(
    private readonly deps: { outbox: MessageOutbox; dispatcher: NotificationDispatcher; clock?: Clock },
  ) {
    this.clock = deps.clock ?? systemClock;
  }

  /** `fresh`: the caller checked the recipient's opt-out moments ago (a turn's replies). */
  async send(
    messages: readonly OutboundMessage[],
    options: { fresh?: boolean } = {},
  ): Promise<DeliveryResult[]> {
    const { outbox, dispatcher } = this.deps;
    const claimed = await outbox.enqueue(messages, {
      now: this.clock.now(),
      leasedTo: { owner: dispatcher.owner, leaseMs: dispatcher.leaseMs },
      ...(options.fresh ? { fresh: true } : {}),
    });
    return dispatcher.deliverNow(claimed);
  }
}
