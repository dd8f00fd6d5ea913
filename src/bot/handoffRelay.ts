import { EventFactory, TurnContext, type Activity } from 'botbuilder';
import { exactCommand } from '../dialogs/commands';
import type { ChannelRenderer } from '../dialogs/rendering/channelRenderer';
import { wordsFor, type DialogWording } from '../dialogs/wording/dialogWording';
import type { HandoffService } from '../services/handoff/handoffService';
import type { TranscriptAttachment } from '../services/handoff/types';
import type { Logger } from '../services/logging/logger';
import { handoffChannel } from '../dialogs/queueHandoff';

/** What the relay does with one customer message. */
export type RelayOutcome = 'bot' | 'relayed' | 'cancelled';

export interface HandoffRelayDeps {
  service: Pick<
    HandoffService,
    'recordCustomerMessage' | 'recordBotMessage' | 'cancelByCustomer' | 'isHandedOff'
  >;
  renderer: ChannelRenderer;
  wording: DialogWording;
  logger: Logger;
}

/**
 * The customer side of the relay, run first in every message turn: the message is recorded (every
 * conversation has a transcript an agent can open) before the turn is acknowledged, and while the
 * conversation is queued or with an agent it goes to them, not to the dialogs; the bot stays
 * silent. "Cancel" while waiting (not once an agent has joined) takes the customer back to the bot.
 */
export class HandoffRelay {
  constructor(private readonly deps: HandoffRelayDeps) {}

  async onMessage(context: TurnContext): Promise<RelayOutcome> {
    const activity = context.activity;
    const conversationId = activity.conversation.id;
    const text = activity.text ?? '';
    const recorded = await this.deps.service.recordCustomerMessage(conversationId, {
      text,
      attachments: attachmentsOf(activity),
      ...(activity.locale ? { language: activity.locale } : {}),
      ...(activity.id ? { messageId: activity.id } : {}),
      channel: handoffChannel(activity.channelId),
      reference: TurnContext.getConversationReference(activity),
    });
    if (!recorded.handedOff) return 'bot';
    if (recorded.handoff?.state === 'queued' && exactCommand(text) === 'cancel') {
      if (await this.deps.service.cancelByCustomer(conversationId)) {
        const words = wordsFor(this.deps.wording, context);
        await this.deps.renderer.say(context, words.text('handoff.cancelled'));
        if (activity.channelId !== 'sms') {
          await context.sendActivity(
            EventFactory.createHandoffStatus(activity.conversation, 'failed', 'cancelled by the customer'),
          );
        }
        return 'cancelled';
      }
    }
    return 'relayed';
  }

  /** Whether a person has the conversation (the welcome must not interrupt them). */
  isHandedOff(context: TurnContext): Promise<boolean> {
    return this.deps.service.isHandedOff(context.activity.conversation.id);
  }

  /**
   * Collects what the bot says in this turn; `flush` records it in the transcript. Replies sent
   * after `flush` (web chat holds a turn's replies until its state is saved) are recorded as they
   * go out.
   */
  watch(context: TurnContext): { flush(): Promise<void> } {
    const said: string[] = [];
    let flushed = false;
    context.onSendActivities(async (_ctx, activities, next) => {
      const texts = activities
        .filter((sent) => (sent.type ?? 'message') === 'message' && sent.text)
        .map((sent) => sent.text ?? '');
      if (flushed) await this.recordBotMessages(context, texts);
      else said.push(...texts);
      return next();
    });
    return {
      flush: async () => {
        flushed = true;
        await this.recordBotMessages(context, said.splice(0));
      },
    };
  }

  private async recordBotMessages(context: TurnContext, texts: string[]): Promise<void> {
    if (texts.length === 0) return;
    try {
      await this.deps.service.recordBotMessage(context.activity.conversation.id, texts);
    } catch (error) {
      // The transcript is for agents; a lost line must not fail the customer's turn.
      this.deps.logger.warn(
        { err: error, conversationId: context.activity.conversation.id },
        'bot messages not recorded',
      );
    }
  }
}

function attachmentsOf(activity: Activity): TranscriptAttachment[] {
  return (activity.attachments ?? [])
    .filter((attachment) => attachment.contentType && (attachment.contentUrl || attachment.name))
    .slice(0, 20)
    .map((attachment) => ({
      contentType: attachment.contentType,
      ...(attachment.name ? { name: attachment.name } : {}),
      ...(attachment.contentUrl && /^https?:\/\//.test(attachment.contentUrl)
        ? { url: attachment.contentUrl }
        : {}),
    }));
}
