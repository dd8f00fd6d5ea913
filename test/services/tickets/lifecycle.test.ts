import { strict as assert } from 'node:assert';
import { ConflictError } from '../../../src/services/errors';
import {
  FINAL_STATUSES,
  TRANSITIONS,
  allowedActions,
  nextStatus,
} from '../../../src/services/tickets/lifecycle';
import {
  TICKET_STATUSES,
  type TicketActionType,
  type TicketStatus,
} from '../../../src/services/tickets/types';

/** The lifecycle, written out independently of lifecycle.ts: [from, action, to]. */
const LEGAL: Array<[TicketStatus, TicketActionType, TicketStatus]> = [
  ['submitted', 'review', 'under_review'],
  ['under_review', 'approve', 'approved'],
  ['under_review', 'reject', 'rejected'],
  ['approved', 'receive', 'received'],
  ['received', 'inspect', 'inspecting'],
  ['inspecting', 'repair', 'repairing'],
  ['inspecting', 'quote', 'quote_pending'],
  ['quote_pending', 'accept_quote', 'repairing'],
  ['quote_pending', 'decline_quote', 'returned_unrepaired'],
  ['repairing', 'ship', 'shipped_back'],
  ['returned_unrepaired', 'ship', 'shipped_back'],
  ['shipped_back', 'close', 'closed'],
  ['submitted', 'cancel', 'cancelled'],
  ['under_review', 'cancel', 'cancelled'],
  ['approved', 'cancel', 'cancelled'],
];

describe('ticket lifecycle', () => {
  const actions = Object.keys(TRANSITIONS) as TicketActionType[];

  for (const [from, action, to] of LEGAL) {
    it(`when a ${from} ticket gets ${action}, then it becomes ${to}`, () => {
      assert.equal(nextStatus(from, action), to);
    });
  }

  for (const from of TICKET_STATUSES) {
    for (const action of actions) {
      if (LEGAL.some(([legalFrom, legalAction]) => legalFrom === from && legalAction === action)) continue;
      it(`when a ${from} ticket gets ${action}, then it is refused with a ConflictError naming what is allowed`, () => {
        assert.throws(
          () => nextStatus(from, action),
          (error: unknown) => {
            assert.ok(error instanceof ConflictError);
            assert.match(error.message, /^Cannot /);
            assert.match(error.message, FINAL_STATUSES.includes(from) ? /final/ : /Allowed now: /);
            return true;
          },
        );
      });
    }
  }

  it('when the customer could still cancel, it is only before the product is received', () => {
    const cancellable = TICKET_STATUSES.filter((status) => allowedActions(status).includes('cancel'));
    assert.deepEqual(cancellable, ['submitted', 'under_review', 'approved']);
  });

  it('when a ticket is rejected, cancelled or closed, nothing more can happen to it', () => {
    for (const status of FINAL_STATUSES) assert.deepEqual(allowedActions(status), []);
  });
});
