import { ConflictError } from '../errors';
import type { TicketActionType, TicketStatus } from './types';

/**
 * The repair lifecycle as an explicit state machine (the after-sales page's four steps):
 *
 *   submitted ─review→ under_review ─approve→ approved ─receive→ received ─inspect→ inspecting
 *   under_review ─reject→ rejected
 *   inspecting ─repair→ repairing                      (free: in warranty, not caused by the customer)
 *   inspecting ─quote→ quote_pending ─accept_quote→ repairing
 *                      quote_pending ─decline_quote→ returned_unrepaired
 *   repairing | returned_unrepaired ─ship→ shipped_back ─close→ closed
 *   submitted | under_review | approved ─cancel→ cancelled   (the customer can cancel before receipt)
 *
 * rejected, cancelled and closed are final.
 */
export const TRANSITIONS: Readonly<
  Record<TicketActionType, { from: readonly TicketStatus[]; to: TicketStatus }>
> = {
  review: { from: ['submitted'], to: 'under_review' },
  approve: { from: ['under_review'], to: 'approved' },
  reject: { from: ['under_review'], to: 'rejected' },
  receive: { from: ['approved'], to: 'received' },
  inspect: { from: ['received'], to: 'inspecting' },
  repair: { from: ['inspecting'], to: 'repairing' },
  quote: { from: ['inspecting'], to: 'quote_pending' },
  accept_quote: { from: ['quote_pending'], to: 'repairing' },
  decline_quote: { from: ['quote_pending'], to: 'returned_unrepaired' },
  ship: { from: ['repairing', 'returned_unrepaired'], to: 'shipped_back' },
  close: { from: ['shipped_back'], to: 'closed' },
  cancel: { from: ['submitted', 'under_review', 'approved'], to: 'cancelled' },
};

export const FINAL_STATUSES: readonly TicketStatus[] = ['rejected', 'cancelled', 'closed'];

const ACTION_WORDS: Record<TicketActionType, string> = {
  review: 'start the review of',
  approve: 'approve',
  reject: 'reject',
  receive: 'mark as received',
  inspect: 'start inspecting',
  repair: 'start repairing',
  quote: 'send a quote for',
  accept_quote: 'accept the quote for',
  decline_quote: 'decline the quote for',
  ship: 'ship back',
  close: 'close',
  cancel: 'cancel',
};

/** The actions legal in a status (for the back office's buttons and the bot's options). */
export function allowedActions(status: TicketStatus): TicketActionType[] {
  return (Object.keys(TRANSITIONS) as TicketActionType[]).filter((action) =>
    TRANSITIONS[action].from.includes(status),
  );
}

/** The status an action leads to; throws ConflictError (nothing changes) when it is illegal now. */
export function nextStatus(status: TicketStatus, action: TicketActionType): TicketStatus {
  const transition = TRANSITIONS[action];
  if (!transition.from.includes(status)) {
    const allowed = allowedActions(status);
    throw new ConflictError(
      `Cannot ${ACTION_WORDS[action]} a ticket that is ${status.replace(/_/g, ' ')}. ` +
        (allowed.length > 0
          ? `Allowed now: ${allowed.join(', ')}.`
          : 'The ticket is final; nothing more can happen to it.'),
      { status, action, allowed },
    );
  }
  return transition.to;
}
