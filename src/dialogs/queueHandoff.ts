import { ActivityTypes, EventFactory, TurnContext, type Activity, type Transcript } from 'botbuilder';
import type { EscalateInput } from '../services/handoff/handoffService';
import type { ConversationView, EscalationResult, HandoffReason } from '../services/handoff/types';
import type { Logger } from '../services/logging/logger';
import { channelFacts } from './channelFacts';
import type { HandoffDetails, HumanHandoff } from './ports';
import { isSms, type ChannelRenderer } from './rendering/channelRenderer';
import { wordsFor, type DialogWording } from './wording/dialogWording';
import { languageOf } from './conversationLanguage';

/** What QueueHandoff needs from the handoff service (HandoffService satisfies it). */
export interface HandoffQueue {
  escalate(input: EscalateInput): Promise<EscalationResult>;
  get(conversationId: string): Promise<ConversationView>;
}

export interface QueueHandoffDeps {
  queue: HandoffQueue;
  renderer: ChannelRenderer;
  wording: DialogWording;
  /** How to reach the team when the queue cannot be reached (faq.json's contact). */
  contact: string;
  /** "Monday 09:00 (Europe/London)": when the team is back (SupportHours.describe). */
  describeTime: (at: Date) => string;
  logger: Logger;
}

/**
 * "Talk to a person" for real: puts the conversation in the agents' queue with what the dialogs
 * know, tells the customer their place (or, outside support hours, when the team is back and that
 * their message will wait), and signals it the Bot Framework way: a `handoff.initiate` event with
 * the transcript, which an Omnichannel-style connector could take instead of our console.
 */
export class QueueHandoff implements HumanHandoff {
  constructor(private readonly deps: QueueHandoffDeps) {}

  async request(context: TurnContext, reason: HandoffReason, details: HandoffDetails = {}): Promise<boolean> {
    const { renderer, logger } = this.deps;
    const words = wordsFor(this.deps.wording, context);
    const activity = context.activity;
    const phone = channelFacts(context).verifiedPhone;
    // The language the customer writes in (detected from their messages), else the channel's locale.
    const detected = languageOf(context);
    const language = detected !== 'en' ? detected : activity.locale;
    let result: EscalationResult;
    try {
      result = await this.deps.queue.escalate({
        conversationId: activity.conversation.id,
        channel: handoffChannel(activity.channelId),
        reason,
        context: { ...details, ...(phone ? { maskedPhone: maskPhone(phone) } : {}) },
        ...(language ? { language } : {}),
        reference: TurnContext.getConversationReference(activity),
        // This turn's message is written to the transcript at the end of the turn: name it here.
        ...(activity.text?.trim() ? { summary: activity.text } : {}),
      });
    } catch (error) {
      logger.error({ err: error, conversationId: activity.conversation.id }, 'handoff: escalation failed');
      await renderer.say(context, words.text('handoff.unavailable', { contact: this.deps.contact }));
      return false;
    }
    if (!result.alreadyHandedOff) {
      if (reason === 'repeated_failures') await renderer.say(context, words.text('handoff.repeatedFailures'));
      if (reason === 'unsolved') await renderer.say(context, words.text('handoff.unsolved'));
    }
    if (result.afterHours && result.backAt) {
      const backAt = this.deps.describeTime(result.backAt);
      await renderer.say(
        context,
        words.text(isSms(context) ? 'handoff.afterHoursSms' : 'handoff.afterHours', { backAt }),
      );
    } else if (result.alreadyHandedOff) {
      await renderer.say(context, words.text('handoff.stillWaiting'));
    } else {
      await renderer.say(
        context,
        result.position <= 1
          ? words.text('handoff.queuedNext')
          : words.text('handoff.queued', { position: String(result.position) }),
      );
    }
    if (!result.alreadyHandedOff) await this.signal(context, reason, result);
    return true;
  }

  /** The SDK's handoff.initiate event, with the conversation so far as its transcript. */
  private async signal(context: TurnContext, reason: HandoffReason, result: EscalationResult): Promise<void> {
    try {
      const view = await this.deps.queue.get(context.activity.conversation.id);
      const activities = view.transcript.map((entry) => transcriptActivity(context, entry));
      // This turn's message reaches the stored transcript at the end of the turn: add it here.
      const current = context.activity;
      const recorded = view.transcript.some(
        (entry) => entry.from === 'customer' && entry.messageId.endsWith(`:${current.id ?? ''}`),
      );
      if (current.type === 'message' && !(current.id && recorded)) activities.push(current);
      const transcript: Transcript = { activities };
      await context.sendActivity(
        EventFactory.createHandoffInitiation(
          context,
          { reason, handoffId: result.handoffId, position: result.position, afterHours: result.afterHours },
          transcript,
        ),
      );
    } catch (error) {
      // The queue has it already: the event is a signal for connectors, not the handoff itself.
      this.deps.logger.warn(
        { err: error, conversationId: context.activity.conversation.id },
        'handoff event not sent',
      );
    }
  }
}

function transcriptActivity(context: TurnContext, entry: ConversationView['transcript'][number]): Activity {
  const activity = context.activity;
  const fromCustomer = entry.from === 'customer';
  return {
    type: ActivityTypes.Message,
    id: entry.messageId,
    timestamp: entry.at,
    channelId: activity.channelId,
    conversation: activity.conversation,
    from: fromCustomer
      ? activity.from
      : { ...activity.recipient, ...(entry.agentName ? { name: entry.agentName } : {}) },
    recipient: fromCustomer ? activity.recipient : activity.from,
    text: entry.text,
  } as Activity;
}

/** "+44 7700 900123" → "+44•••••0123": enough for the agent to recognise, not to dial. */
export function maskPhone(phone: string): string {
  const digits = phone.replace(/[^\d+]/g, '');
  if (digits.length <= 6) return '•'.repeat(digits.length);
  return `${digits.slice(0, 3)}${'•'.repeat(digits.length - 7)}${digits.slice(-4)}`;
}

/** The channel as agents see it: the local Direct Line is the website's web chat. */
export function handoffChannel(channelId: string): string {
  return channelId === 'directline' || channelId === 'webchat' ? 'webchat' : channelId;
}
