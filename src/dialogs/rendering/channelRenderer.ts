import { ActivityTypes, CardFactory, MessageFactory, type Activity, type TurnContext } from 'botbuilder';
import type { ChoiceSpec } from '../choices';
import { wordsFor, type DialogWording, type Words } from '../wording/dialogWording';
import { SMS_MAX_LENGTH, splitForSms, toSmsText } from './smsText';

/**
 * The one place that decides how a reply looks on each channel. Web chat (directline, webchat,
 * emulator, test…) gets buttons (suggested actions) and an Adaptive Card for summaries; SMS gets
 * plain text with numbered choices, merged into as few messages as possible and never longer than
 * 1,600 characters each.
 */

export interface SummaryView {
  title: string;
  facts: ReadonlyArray<{ label: string; value: string }>;
}

/** A form of several inputs (web chat: one Adaptive Card); the submit sends `{ form: id, …values }`. */
export interface FormView {
  id: string;
  title: string;
  submitLabel: string;
  fields: ReadonlyArray<FormField>;
}

export interface FormField {
  id: string;
  label: string;
  kind: 'text' | 'multiline' | 'date' | 'choice' | 'toggle';
  value?: string;
  placeholder?: string;
  choices?: ReadonlyArray<{ title: string; value: string }>;
  /** Shown next to the field, after a submit that was refused. */
  error?: string;
}

const SMS_CHANNEL = 'sms';
const WEB_CHAT_CHANNELS = new Set(['directline', 'webchat', 'emulator']);

/** Channels that render Adaptive Card inputs (Web Chat over Direct Line). */
export function isWebChat(context: TurnContext): boolean {
  return WEB_CHAT_CHANNELS.has(context.activity.channelId);
}
const SMS_BUFFER = Symbol('smsReplyBuffer');

export function isSms(context: TurnContext): boolean {
  return context.activity.channelId === SMS_CHANNEL;
}

export class ChannelRenderer {
  constructor(private readonly wording: DialogWording) {}

  /** Says something with no answer expected. On SMS it waits to be merged with what follows. */
  async say(context: TurnContext, text: string): Promise<void> {
    if (isSms(context)) {
      this.buffer(context).push(toSmsText(text));
      return;
    }
    await context.sendActivity(MessageFactory.text(text));
  }

  /**
   * Asks a question, with the options as buttons (web) or numbered (SMS). `smsHint` replaces the
   * numbered list when the options are obvious ("Reply with a number from 1 to 5").
   */
  async ask(
    context: TurnContext,
    text: string,
    choices: readonly ChoiceSpec[] = [],
    smsHint?: string,
  ): Promise<void> {
    if (isSms(context)) {
      this.buffer(context).push(
        toSmsText(
          `${text}${smsHint ? `\n${smsHint}` : smsChoiceList(wordsFor(this.wording, context), choices)}`,
        ),
      );
      await this.flush(context);
      return;
    }
    const activity =
      choices.length > 0
        ? MessageFactory.suggestedActions(
            choices.map((choice) => choice.label),
            text,
          )
        : MessageFactory.text(text);
    await context.sendActivity(activity);
  }

  /** A summary to check: an Adaptive Card with the choices as buttons on web, a plain list on SMS. */
  async summary(
    context: TurnContext,
    view: SummaryView,
    text: string,
    choices: readonly ChoiceSpec[],
  ): Promise<void> {
    if (isSms(context)) {
      const lines = view.facts.map((fact) => `${fact.label}: ${fact.value}`).join('\n');
      this.buffer(context).push(toSmsText(`${view.title}\n${lines}`));
      await this.ask(context, text, choices);
      return;
    }
    const card = CardFactory.adaptiveCard({
      type: 'AdaptiveCard',
      $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
      version: '1.3',
      fallbackText: `${view.title}\n${view.facts.map((fact) => `${fact.label}: ${fact.value}`).join('\n')}`,
      body: [
        { type: 'TextBlock', text: view.title, weight: 'Bolder', size: 'Medium', wrap: true },
        { type: 'FactSet', facts: view.facts.map((fact) => ({ title: fact.label, value: fact.value })) },
      ],
      actions: choices.map((choice) => ({
        type: 'Action.Submit',
        title: choice.label,
        data: { choice: choice.value },
      })),
    });
    const activity: Partial<Activity> = MessageFactory.attachment(card, text);
    await context.sendActivity(activity);
  }

  /** A form: one Adaptive Card with an input per field and its error next to it (web chat only). */
  async form(context: TurnContext, view: FormView, text: string): Promise<void> {
    if (isSms(context)) {
      await this.ask(context, text);
      return;
    }
    const body: Array<Record<string, unknown>> = [
      { type: 'TextBlock', text: view.title, weight: 'Bolder', size: 'Medium', wrap: true },
    ];
    for (const field of view.fields) body.push(...formInput(field));
    const card = CardFactory.adaptiveCard({
      type: 'AdaptiveCard',
      $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
      version: '1.3',
      fallbackText: text,
      body,
      actions: [{ type: 'Action.Submit', title: view.submitLabel, data: { form: view.id } }],
    });
    await context.sendActivity(MessageFactory.attachment(card, text));
  }

  /** Sends what SMS has buffered this turn; called before a question and at the end of every turn. */
  async flush(context: TurnContext): Promise<void> {
    const pending = context.turnState.get<string[] | undefined>(SMS_BUFFER);
    if (!pending || pending.length === 0) return;
    context.turnState.set(SMS_BUFFER, []);
    const parts = splitForSms(pending.join('\n\n'), SMS_MAX_LENGTH);
    await context.sendActivities(parts.map((part) => ({ type: ActivityTypes.Message, text: part })));
  }

  /** Drops unsent SMS text (after a failed turn, the apology replaces it). */
  discard(context: TurnContext): void {
    context.turnState.set(SMS_BUFFER, []);
  }

  private buffer(context: TurnContext): string[] {
    let pending = context.turnState.get<string[] | undefined>(SMS_BUFFER);
    if (!pending) {
      pending = [];
      context.turnState.set(SMS_BUFFER, pending);
    }
    return pending;
  }
}

function smsChoiceList(words: Words, choices: readonly ChoiceSpec[]): string {
  if (choices.length === 0) return '';
  if (choices.length === 2)
    return `\n${words.text('ask.smsTwoOptions', { first: choices[0]?.label ?? '', second: choices[1]?.label ?? '' })}`;
  return `\n${choices.map((choice, index) => `${index + 1}. ${choice.label}`).join('\n')}\n${words.text('ask.smsOptions')}`;
}

function formInput(field: FormField): Array<Record<string, unknown>> {
  const common = { id: field.id, label: field.label, ...(field.value ? { value: field.value } : {}) };
  let input: Record<string, unknown>;
  switch (field.kind) {
    case 'choice':
      input = {
        type: 'Input.ChoiceSet',
        ...common,
        style: 'compact',
        choices: (field.choices ?? []).map((choice) => ({ title: choice.title, value: choice.value })),
      };
      break;
    case 'date':
      input = { type: 'Input.Date', ...common };
      break;
    case 'toggle':
      input = { type: 'Input.Toggle', id: field.id, title: field.label, valueOn: 'true', valueOff: 'false' };
      break;
    default:
      input = {
        type: 'Input.Text',
        ...common,
        ...(field.kind === 'multiline' ? { isMultiline: true } : {}),
        ...(field.placeholder ? { placeholder: field.placeholder } : {}),
      };
  }
  return field.error
    ? [input, { type: 'TextBlock', text: field.error, color: 'Attention', size: 'Small', wrap: true }]
    : [input];
}
