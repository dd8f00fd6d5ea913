import {
  ComponentDialog,
  WaterfallDialog,
  type DialogTurnResult,
  type WaterfallStepContext,
} from 'botbuilder-dialogs';
import type { TurnContext } from 'botbuilder';
import { RateLimitedError } from '../services/errors';
import type { CustomerCancellation } from '../services/tickets/ticketService';
import type { TicketView } from '../services/tickets/types';
import { ASK_DIALOG, AskDialog, type AskResult, type AskSpec } from './askDialog';
import { channelFacts } from './channelFacts';
import { yesNoChoices } from './choices';
import { validatePhone } from './fieldValidators';
import type { ChildResult } from './mainActions';
import type { SupportDialogDeps } from './ports';
import { isSms } from './rendering/channelRenderer';
import { stepValues } from './stepValues';
import { LOST_SYNONYMS, describeStatus } from './ticketStatusDialog';
import { wordsFor, type Words } from './wording/dialogWording';

export const CANCEL_TICKET_DIALOG = 'cancelTicket';
const FLOW = 'cancelTicket.flow';

/** Recorded on the ticket as the cancellation reason (the customer's own words are not stored). */
export const CUSTOMER_CANCEL_REASON = 'Cancelled by the customer in the chat';

export interface CancelTicketOptions {
  ticketNumber?: string;
}

interface CancelValues {
  ticketNumber?: string;
  phone?: string;
  /** The ticket as shown to the customer: fixed before the cancellation, so a retried turn cancels that version only. */
  shownVersion?: number;
}

/**
 * "Cancel my repair CK-…": a repair ticket the customer no longer needs, not the form in progress
 * ("cancel" on its own). Checks the ticket number and the mobile number on the ticket with the same
 * lookup (and limits) as the status check, shows the ticket, asks to confirm, then cancels through
 * the ticket service, which allows it only before the product is received. The bot says the repair
 * is cancelled only when the service says it is.
 */
export class CancelTicketDialog extends ComponentDialog {
  constructor(private readonly deps: SupportDialogDeps) {
    super(CANCEL_TICKET_DIALOG);
    this.addDialog(
      new WaterfallDialog<CancelTicketOptions>(FLOW, [
        (step) => this.askTicketNumber(step),
        (step) => this.askPhone(step),
        (step) => this.showAndConfirm(step),
        (step) => this.cancel(step),
      ]),
    );
    this.addDialog(new AskDialog(deps.validators, deps.renderer, deps.now, deps.wording));
    this.initialDialogId = FLOW;
  }

  private words(context: TurnContext): Words {
    return wordsFor(this.deps.wording, context);
  }

  private async askTicketNumber(step: WaterfallStepContext<CancelTicketOptions>): Promise<DialogTurnResult> {
    const known = step.options?.ticketNumber;
    if (known) return step.next({ value: known, text: known } satisfies AskResult);
    const memory = await this.deps.customerMemory.get(step.context, { recentTickets: [] });
    return step.beginDialog(ASK_DIALOG, {
      prompt: this.words(step.context).text('cancelTicket.askTicketNumber'),
      field: 'ticketNumber',
      choices: [
        ...memory.recentTickets.map((number) => ({ value: number, label: number })),
        {
          value: 'lost',
          label: this.words(step.context).text('lostTicket.choice'),
          synonyms: LOST_SYNONYMS,
        },
      ],
    } satisfies AskSpec);
  }

  private async askPhone(step: WaterfallStepContext<CancelTicketOptions>): Promise<DialogTurnResult> {
    const answer = step.result as AskResult;
    // Found again by phone and code first; the customer asks to cancel once they have it.
    if (answer.choice === 'lost')
      return step.endDialog({ then: { type: 'status', lostNumber: true } } satisfies ChildResult);
    stepValues<CancelValues>(step).ticketNumber = answer.value ?? answer.choice;
    const words = this.words(step.context);
    if (isSms(step.context)) {
      // Only a number the signed webhook vouched for stands in for the one on the ticket.
      const sender = validatePhone(channelFacts(step.context).verifiedPhone ?? '', words);
      if (sender.ok) return step.next({ value: sender.value, text: sender.value } satisfies AskResult);
    }
    return step.beginDialog(ASK_DIALOG, {
      prompt: words.text('status.askPhone'),
      field: 'phone',
    } satisfies AskSpec);
  }

  private async showAndConfirm(step: WaterfallStepContext<CancelTicketOptions>): Promise<DialogTurnResult> {
    const values = stepValues<CancelValues>(step);
    values.phone = (step.result as AskResult).value ?? '';
    const words = this.words(step.context);
    const ticket = await this.lookUp(step.context, values);
    if (ticket === 'limited') return step.endDialog({} satisfies ChildResult);
    if (!ticket) {
      await this.deps.renderer.say(
        step.context,
        words.text('cancelTicket.notFound', { contact: this.deps.faq.contact }),
      );
      return step.endDialog({} satisfies ChildResult);
    }
    await this.deps.renderer.say(step.context, describeStatus(words, ticket));
    if (ticket.status === 'cancelled') {
      await this.deps.renderer.say(step.context, words.text('cancelTicket.alreadyCancelled'));
      return step.endDialog({} satisfies ChildResult);
    }
    if (!['submitted', 'under_review', 'approved'].includes(ticket.status)) {
      await this.deps.renderer.say(step.context, words.text('cancelTicket.tooLate'));
      return step.endDialog({} satisfies ChildResult);
    }
    values.shownVersion = ticket.version;
    return step.beginDialog(ASK_DIALOG, {
      prompt: words.text('cancelTicket.confirm', { ticketNumber: ticket.ticketNumber }),
      choices: yesNoChoices(words.text('cancelTicket.yes'), words.text('cancelTicket.no')),
    } satisfies AskSpec);
  }

  private async cancel(step: WaterfallStepContext<CancelTicketOptions>): Promise<DialogTurnResult> {
    const values = stepValues<CancelValues>(step);
    const words = this.words(step.context);
    const ticketNumber = values.ticketNumber ?? '';
    if ((step.result as AskResult).choice !== 'yes') {
      await this.deps.renderer.say(step.context, words.text('cancelTicket.kept', { ticketNumber }));
      return step.endDialog({} satisfies ChildResult);
    }
    const cancelForCustomer = this.deps.tickets.cancelForCustomer?.bind(this.deps.tickets);
    if (!cancelForCustomer) {
      await this.deps.renderer.say(step.context, words.text('cancelTicket.tooLate'));
      return step.endDialog({} satisfies ChildResult);
    }
    let outcome: CustomerCancellation;
    try {
      outcome = await cancelForCustomer({
        ...this.query(step.context, values),
        ...(values.shownVersion !== undefined ? { expectedVersion: values.shownVersion } : {}),
        reason: CUSTOMER_CANCEL_REASON,
      });
    } catch (error) {
      if (error instanceof RateLimitedError) {
        await this.sayLimited(step.context, error);
        return step.endDialog({} satisfies ChildResult);
      }
      throw error;
    }
    switch (outcome.outcome) {
      case 'cancelled':
      case 'already_cancelled':
        this.deps.logger.info(
          { ticketNumber: outcome.ticket.ticketNumber, outcome: outcome.outcome },
          'customer cancelled a repair in the chat',
        );
        await this.deps.renderer.say(
          step.context,
          words.text('cancelTicket.done', { ticketNumber: outcome.ticket.ticketNumber }),
        );
        break;
      case 'not_cancellable':
        await this.deps.renderer.say(step.context, words.text('cancelTicket.tooLate'));
        break;
      case 'changed':
        await this.deps.renderer.say(
          step.context,
          words.text('cancelTicket.changed', { ticketNumber: outcome.ticket.ticketNumber }),
        );
        break;
      case 'not_found':
        await this.deps.renderer.say(
          step.context,
          words.text('cancelTicket.notFound', { contact: this.deps.faq.contact }),
        );
        break;
    }
    return step.endDialog({} satisfies ChildResult);
  }

  private query(
    context: TurnContext,
    values: CancelValues,
  ): { ticketNumber: string; phone: string; callerKey: string; clientAddress?: string } {
    const activity = context.activity;
    const { clientAddress } = channelFacts(context);
    return {
      ticketNumber: values.ticketNumber ?? '',
      phone: values.phone ?? '',
      callerKey: `${activity.channelId}:${activity.from?.id ?? activity.conversation.id}`,
      ...(clientAddress ? { clientAddress } : {}),
    };
  }

  private async lookUp(context: TurnContext, values: CancelValues): Promise<TicketView | null | 'limited'> {
    try {
      return await this.deps.tickets.findForCustomer(this.query(context, values));
    } catch (error) {
      if (error instanceof RateLimitedError) {
        await this.sayLimited(context, error);
        return 'limited';
      }
      throw error;
    }
  }

  private async sayLimited(context: TurnContext, error: RateLimitedError): Promise<void> {
    const minutes = Math.max(1, Math.ceil(error.retryAfterSeconds / 60));
    await this.deps.renderer.say(context, this.words(context).text('status.rateLimited', { minutes }));
  }
}
