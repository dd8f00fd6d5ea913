import { strict as assert } from 'node:assert';
import { Types } from 'mongoose';
import { ConflictError, ValidationError } from '../../../src/services/errors';
import { decide, decideRegistration, type RepairRules } from '../../../src/services/tickets/decide';
import type { TicketFacts } from '../../../src/services/tickets/ticketFactsCache';
import {
  registrationInputSchema,
  ticketActionSchema,
  type TicketAction,
  type TicketStatus,
} from '../../../src/services/tickets/types';
import { MAILING_ADDRESS, registration } from '../../fixtures/tickets';

const RULES: RepairRules = { turnaroundBusinessDays: 14, holidays: new Set(['2026-11-26']) };
// Monday 16 November 2026, 10:00 in Shanghai.
const NOW = new Date('2026-11-16T02:00:00Z');

function ticket(status: TicketStatus, purchaseDate = '2026-03-12', claimDate = '2026-11-10'): TicketFacts {
  return {
    _id: new Types.ObjectId(),
    ticketNumber: 'CK-7K3P9QX',
    status,
    version: 3,
    product: { model: 'CPC200-CCPA', purchaseDate, warrantyMonths: 12 },
    customer: { phone: '+14155550100' },
    warranty: { preliminary: { claimDate } },
  };
}

const act = (action: TicketAction) => ({ action: ticketActionSchema.parse(action), actor: 'agent:mei' });

describe('decide (the ticket rules, without I/O)', () => {
  it('when a ticket is approved, the change carries the mailing address and one approved event to the customer', () => {
    const { changes, events } = decide(
      ticket('under_review'),
      act({ type: 'approve', mailingAddress: MAILING_ADDRESS }),
      NOW,
      RULES,
    );
    assert.equal(changes.status, 'approved');
    assert.deepEqual(changes.mailingAddress, MAILING_ADDRESS);
    assert.deepEqual(changes.history, {
      at: NOW,
      actor: 'agent:mei',
      action: 'approve',
      from: 'under_review',
      to: 'approved',
    });
    assert.deepEqual(
      events.map((event) => [event.type, event.to]),
      [['approved', '+14155550100']],
    );
    assert.deepEqual(events[0]?.facts.mailingAddress, MAILING_ADDRESS);
  });

  it('when a parcel is received, the expected completion is 14 business days later, skipping weekends and the holiday', () => {
    const { changes, events } = decide(ticket('approved'), act({ type: 'receive' }), NOW, RULES);
    // 14 business days from Monday 16 Nov with Thursday 26 Nov off: Monday 7 December.
    assert.equal(changes.expectedCompletion, '2026-12-07');
    assert.equal(changes.receivedAt, NOW);
    assert.equal(events[0]?.facts.expectedCompletion, '2026-12-07');
  });

  it('when an in-warranty fault is quoted, it is refused (the repair is free) and nothing is decided', () => {
    assert.throws(
      () =>
        decide(
          ticket('inspecting'),
          act({
            type: 'quote',
            finding: 'x',
            causedByCustomer: false,
            amount: 20,
            currency: 'USD',
            reason: 'board',
          }),
          NOW,
          RULES,
        ),
      ConflictError,
    );
  });

  it('when the warranty ended before the claim date, a free repair is refused and a quote is decided with its price', () => {
    const old = ticket('inspecting', '2024-01-10', '2026-11-10');
    assert.throws(() => decide(old, act({ type: 'repair', finding: 'x' }), NOW, RULES), ConflictError);
    const { changes, events } = decide(
      old,
      act({
        type: 'quote',
        finding: 'Worn port',
        causedByCustomer: false,
        amount: 25.5,
        currency: 'USD',
        reason: 'new port',
      }),
      NOW,
      RULES,
    );
    assert.equal(changes.quote?.amountMinor, 2550);
    assert.equal(changes.finalWarranty?.covered, false);
    assert.deepEqual(events[0]?.facts.quote, { formatted: 'USD 25.50', reason: 'new port' });
  });

  it('when the warranty ran out between the claim and the inspection, the repair is still free (judged on the claim date)', () => {
    const { changes } = decide(
      ticket('inspecting', '2025-11-12', '2026-11-10'),
      act({ type: 'repair', finding: 'x' }),
      NOW,
      RULES,
    );
    assert.equal(changes.finalWarranty?.covered, true);
  });

  it('when an action is illegal in the status, it throws ConflictError', () => {
    assert.throws(() => decide(ticket('closed'), act({ type: 'review' }), NOW, RULES), ConflictError);
  });

  it('when the customer cancels, no SMS event is decided; when an agent cancels, one is', () => {
    const cancel = ticketActionSchema.parse({ type: 'cancel', reason: 'no longer needed' });
    assert.deepEqual(
      decide(ticket('submitted'), { action: cancel, actor: 'customer' }, NOW, RULES).events,
      [],
    );
    assert.equal(
      decide(ticket('submitted'), { action: cancel, actor: 'agent:mei' }, NOW, RULES).events[0]?.type,
      'cancelled',
    );
  });

  it('when a repair is registered, the preliminary warranty is judged today and a registered event is decided; a future purchase date is refused', () => {
    const input = registrationInputSchema.parse(registration());
    const decision = decideRegistration(
      input,
      { model: 'CPC200-CCPA', warrantyMonths: 12 },
      { ticketNumber: 'CK-7K3P9QX', actor: 'customer' },
      NOW,
    );
    assert.equal(decision.preliminary.claimDate, '2026-11-16');
    assert.deepEqual(
      decision.events.map((event) => event.type),
      ['registered'],
    );
    const future = registrationInputSchema.parse(registration({ product: { purchaseDate: '2026-11-30' } }));
    assert.throws(
      () =>
        decideRegistration(
          future,
          { model: 'CPC200-CCPA', warrantyMonths: 12 },
          { ticketNumber: 'CK-7K3P9QX', actor: 'customer' },
          NOW,
        ),
      ValidationError,
    );
  });
});
