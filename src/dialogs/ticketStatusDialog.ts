import {
  ComponentDialog,
  WaterfallDialog,
  type DialogContext,
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
const LOST = 'ticketStatus.lostNumber';

/** What a customer who lost the ticket number says instead of it. */
export const LOST_SYNONYMS = [
  'lost',
  'i lost it',
  'lost it',
  'i lost my ticket number',
  'lost my ticket number',
  "i don't have it",
  'i dont have it',
  "don't have it",
  "i don't know it",
  "i don't have a ticket number",
  "i don't have the ticket number",
  'no ticket number',
  'forgot it',
  'i forgot it',
  "can't find it",
  'i cant find it',
];

/** After this many numbers that match no ticket, the customer is pointed to a person. */
const MAX_LOOKUPS = 3;

export interface TicketStatusOptions {
  ticketNumber?: string;
  /** Failed lookups so far in this conversation turn sequence. */
  failures?: number;
  /** The customer has lost the ticket number: find it by the phone on the ticket and a one-time code. */
  lostNumber?: boolean;
  /** Asked again after a wrong code: the phone already given, and its code already sent. */
  lostPhone?: string;
}

interface LostValues {
  phone?: string;
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
    this.addDialog(
      new WaterfallDialog<TicketStatusOptions>(LOST, [
        (step) => this.askLostPhone(step),
        (step) => this.sendCode(step),
        (step) => this.listTickets(step),
      ]),
    );
    this.addDialog(new AskDialog(deps.validators, deps.renderer, deps.now, deps.wording));
    this.initialDialogId = LOOKUP;
  }

  protected override onBeginDialog(
    innerDc: DialogContext,
    options?: TicketStatusOptions,
  ): Promise<DialogTurnResult> {
    return innerDc.beginDialog(options?.lostNumber ? LOST : LOOKUP, options);
  }

  private async askLostPhone(step: WaterfallStepContext<TicketStatusOptions>): Promise<DialogTurnResult> {
    const words = wordsFor(this.deps.wording, step.context);
    const known = step.options?.lostPhone;
    if (known) return step.next({ value: known, text: known } satisfies AskResult);
    if (isSms(step.context)) {
      // The signed webhook already proves the sender holds this phone: no code needed.
      const sender = validatePhone(channelFacts(step.context).verifiedPhone ?? '', words);
      if (sender.ok) {
        stepValues<LostValues>(step).phone = sender.value;
        return this.listFor(step, sender.value);
      }
    }
    return step.beginDialog(ASK_DIALOG, {
      prompt: words.text('lostTicket.askPhone'),
      field: 'phone',
    } satisfies AskSpec);
  }

  private async sendCode(step: WaterfallStepContext<TicketStatusOptions>): Promise<DialogTurnResult> {
    const values = stepValues<LostValues>(step);
    const phone = (step.result as AskResult).value ?? '';
    values.phone = phone;
    const words = wordsFor(this.deps.wording, step.context);
    if (step.options?.lostPhone) {
      return step.beginDialog(ASK_DIALOG, {
        prompt: words.text('lostTicket.wrongCode'),
        field: 'confirmationCode',
      } satisfies AskSpec);
    }
    const confirmation = this.deps.phoneConfirmation;
    const started =
      confirmation && this.deps.tickets.ticketsForPhone
        ? await confirmation.start({
            phone,
            conversationId: step.context.activity.conversation.id,
            proveOwner: true,
          })
        : 'unavailable';
    if (started === 'unavailable') {
      await this.deps.renderer.say(
        step.context,
        words.text('lostTicket.unavailable', { contact: this.deps.faq.contact }),
      );
      return step.endDialog({} satisfies ChildResult);
    }
    // 'not_needed' with proveOwner: this conversation already confirmed this phone with a code.
    if (started === 'not_needed') return this.listFor(step, phone);
    return step.beginDialog(ASK_DIALOG, {
      prompt: words.text('lostTicket.askCode', { phone }),
      field: 'confirmationCode',
    } satisfies AskSpec);
  }

  private async listTickets(step: WaterfallStepContext<TicketStatusOptions>): Promise<DialogTurnResult> {
    const phone = stepValues<LostValues>(step).phone ?? '';
    const words = wordsFor(this.deps.wording, step.context);
    const checked = await this.deps.phoneConfirmation!.confirm({
      phone,
      conversationId: step.context.activity.conversation.id,
      code: (step.result as AskResult).value ?? '',
    });
    if (checked === 'wrong') {
      return step.replaceDialog(LOST, { lostNumber: true, lostPhone: phone } satisfies TicketStatusOptions);
    }
    if (checked !== 'confirmed') {
      await this.deps.renderer.say(
        step.context,
        words.text('lostTicket.failed', { contact: this.deps.faq.contact }),
      );
      return step.endDialog({} satisfies ChildResult);
    }
    return this.listFor(step, phone);
  }

  private async listFor(
    step: WaterfallStepContext<TicketStatusOptions>,
    phone: string,
  ): Promise<DialogTurnResult> {
    const words = wordsFor(this.deps.wording, step.context);
    const tickets = (await this.deps.tickets.ticketsForPhone?.(phone)) ?? [];
    if (tickets.length === 0) {
      await this.deps.renderer.say(
        step.context,
        words.text('lostTicket.none', { contact: this.deps.faq.contact }),
      );
      return step.endDialog({} satisfies ChildResult);
    }
    const list = tickets
      .map((ticket) =>
        words.text('lostTicket.line', {
          ticketNumber: ticket.ticketNumber,
          product: ticket.productName,
          status: ticket.statusLabel,
        }),
      )
      .join('\n');
    await this.deps.renderer.say(
      step.context,
      words.text('lostTicket.found', { count: tickets.length, list }),
    );
    return step.endDialog({} satisfies ChildResult);
  }

  private async askTicketNumber(step: WaterfallStepContext<TicketStatusOptions>): Promise<DialogTurnResult> {
    const known = step.options?.ticketNumber;
    if (known) return step.next({ value: known, text: known } satisfies AskResult);
    const memory = await this.deps.customerMemory.get(step.context, { recentTickets: [] });
    return step.beginDialog(ASK_DIALOG, {
      prompt: wordsFor(this.deps.wording, step.context).text('status.askTicketNumber'),
      field: 'ticketNumber',
      choices: [
        ...memory.recentTickets.map((number) => ({ value: number, label: number })),
        {
          value: 'lost',
          label: wordsFor(this.deps.wording, step.context).text('lostTicket.choice'),
          synonyms: LOST_SYNONYMS,
        },
      ],
    } satisfies AskSpec);
  }

  private async askPhone(step: WaterfallStepContext<TicketStatusOptions>): Promise<DialogTurnResult> {
    const answer = step.result as AskResult;
    if (answer.choice === 'lost')
      return step.replaceDialog(LOST, { lostNumber: true } satisfies TicketStatusOptions);
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
