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

const SMS_CHANNEL = 'sms';
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
