import {
  ComponentDialog,
  WaterfallDialog,
  type DialogTurnResult,
  type WaterfallStepContext,
} from 'botbuilder-dialogs';
import { RateLimitedError } from '../services/errors';
import { formatDateInWords } from '../services/tickets/calendarDate';
import type { TicketView } from '../services/tickets/types';
import { ASK_DIALOG, AskDialog, type AskResult, type AskSpec } from './askDialog';
import { validatePhone } from './fieldValidators';
import type { ChildResult } from './mainActions';
import type { SupportDialogDeps } from './ports';
import { stepValues } from './stepValues';
import { channelFacts } from './channelFacts';
import { isSms } from './rendering/channelRenderer';
import { wordsFor, type Words } from './wording/dialogWording';

export const TICKET_STATUS_DIALOG = 'ticketStatus';
const LOOKUP = 'ticketStatus.lookup';

/** After this many numbers that match no ticket, the customer is pointed to a person. */
const MAX_LOOKUPS = 3;

export interface TicketStatusOptions {
  ticketNumber?: string;
  /** Failed lookups so far in this conversation turn sequence. */
  failures?: number;
}

/**
 * Asks for the ticket number and the mobile number on the ticket (on SMS the sender's number
 * counts), then says the status, the expected completion date and the next step. A wrong pair gets
 * the same answer whichever half is wrong, so the bot cannot be used to probe ticket numbers.
 */
export class TicketStatusDialog extends ComponentDialog {
  constructor(private readonly deps: SupportDialogDeps) {
    super(TICKET_STATUS_DIALOG);
    this.addDialog(
      new WaterfallDialog<TicketStatusOptions>(LOOKUP, [
        (step) => this.askTicketNumber(step),
        (step) => this.askPhone(step),
        (step) => this.lookUp(step),
      ]),
    );
    this.addDialog(new AskDialog(deps.validators, deps.renderer, deps.now, deps.wording));
    this.initialDialogId = LOOKUP;
  }

  private async askTicketNumber(step: WaterfallStepContext<TicketStatusOptions>): Promise<DialogTurnResult> {
    const known = step.options?.ticketNumber;
    if (known) return step.next({ value: known, text: known } satisfies AskResult);
    const memory = await this.deps.customerMemory.get(step.context, { recentTickets: [] });
    return step.beginDialog(ASK_DIALOG, {
      prompt: wordsFor(this.deps.wording, step.context).text('status.askTicketNumber'),
      field: 'ticketNumber',
      choices: memory.recentTickets.map((number) => ({ value: number, label: number })),
    } satisfies AskSpec);
  }

  private async askPhone(step: WaterfallStepContext<TicketStatusOptions>): Promise<DialogTurnResult> {
    const answer = step.result as AskResult;
    stepValues<{ ticketNumber: string }>(step).ticketNumber = answer.value ?? answer.choice;
    if (isSms(step.context)) {
      // Only a number the signed webhook vouched for stands in for the one on the ticket.
      const sender = validatePhone(
        channelFacts(step.context).verifiedPhone ?? '',
        wordsFor(this.deps.wording, step.context),
      );
      if (sender.ok) return step.next({ value: sender.value, text: sender.value } satisfies AskResult);
    }
    return step.beginDialog(ASK_DIALOG, {
      prompt: wordsFor(this.deps.wording, step.context).text('status.askPhone'),
      field: 'phone',
    } satisfies AskSpec);
  }

  private async lookUp(step: WaterfallStepContext<TicketStatusOptions>): Promise<DialogTurnResult> {
    const ticketNumber = stepValues<{ ticketNumber: string }>(step).ticketNumber ?? '';
    const phone = (step.result as AskResult).value ?? '';
    const activity = step.context.activity;
    const words = wordsFor(this.deps.wording, step.context);
    const { clientAddress } = channelFacts(step.context);
    let ticket: TicketView | null;
    try {
      ticket = await this.deps.tickets.findForCustomer({
        ticketNumber,
        phone,
        callerKey: `${activity.channelId}:${activity.from?.id ?? activity.conversation.id}`,
        ...(clientAddress ? { clientAddress } : {}),
      });
    } catch (error) {
      if (error instanceof RateLimitedError) {
        const minutes = Math.max(1, Math.ceil(error.retryAfterSeconds / 60));
        await this.deps.renderer.say(step.context, words.text('status.rateLimited', { minutes }));
        return step.endDialog({} satisfies ChildResult);
      }
      throw error;
    }
    if (!ticket) {
      const failures = (step.options?.failures ?? 0) + 1;
      if (failures >= MAX_LOOKUPS) {
        await this.deps.renderer.say(
          step.context,
          words.text('status.stillNotFound', { contact: this.deps.faq.contact }),
        );
        return step.endDialog({} satisfies ChildResult);
      }
      await this.deps.renderer.say(step.context, words.text('status.notFound'));
      return step.replaceDialog(LOOKUP, { failures } satisfies TicketStatusOptions);
    }
    await this.deps.renderer.say(step.context, describeStatus(words, ticket));
    return step.endDialog({} satisfies ChildResult);
  }
}

export function describeStatus(words: Words, ticket: TicketView): string {
  const lines = [
    words.text('status.summary', {
      ticketNumber: ticket.ticketNumber,
      product: ticket.product.name,
      status: ticket.statusLabel,
    }),
  ];
  if (ticket.expectedCompletion) {
    const date = formatDateInWords(ticket.expectedCompletion);
    if (!ticket.nextStep.includes(date)) lines.push(words.text('status.expectedCompletion', { date }));
  }
  lines.push(words.text('status.nextStep', { nextStep: ticket.nextStep }));
  return lines.join('\n');
}
