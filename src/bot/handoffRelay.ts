import { EventFactory, TurnContext, type Activity } from 'botbuilder';
import { exactCommand } from '../dialogs/commands';
import type { ChannelRenderer } from '../dialogs/rendering/channelRenderer';
import { wordsFor, type DialogWording } from '../dialogs/wording/dialogWording';
import type { HandoffService, TranscriptTurn } from '../services/handoff/handoffService';
import type { TranscriptAttachment } from '../services/handoff/types';
import type { Logger } from '../services/logging/logger';
import { handoffChannel } from '../dialogs/queueHandoff';

/** What the relay does with one customer message. */
export type RelayOutcome = 'bot' | 'relayed' | 'cancelled';

export interface HandoffRelayDeps {
  service: Pick<
    HandoffService,
    'beginTurn' | 'finishTurn' | 'recordBotMessage' | 'cancelByCustomer' | 'isHandedOff'
  >;
  renderer: ChannelRenderer;
  wording: DialogWording;
  logger: Logger;
}

/** Where a message turn's transcript block waits in the turn state for `flush`. */
const TRANSCRIPT_TURN = Symbol('handoffTranscriptTurn');

/**
 * The customer side of the relay, run first in every message turn: the message is recorded (every
 * conversation has a transcript an agent can open) before the turn is acknowledged, and while the
 * conversation is queued or with an agent it goes to them, not to the dialogs; the bot stays
 * silent. "Cancel" while waiting (not once an agent has joined) takes the customer back to the bot.
 *
 * Per bot turn that is one read at the start (is a person on it? — the store decides, so a
 * takeover on another instance counts) and, at the end, one insert (the customer's message and the
 * bot's replies together) beside one update of the conversation, made by `flush` alongside the
 * state save; the turn awaits them before it is answered. A handed-off message is stored and
 * published to the agent before `onMessage` returns.
 */
export class HandoffRelay {
  constructor(private readonly deps: HandoffRelayDeps) {}

  async onMessage(context: TurnContext): Promise<RelayOutcome> {
    const activity = context.activity;
    const conversationId = activity.conversation.id;
    const text = activity.text ?? '';
    const recorded = await this.deps.service.beginTurn(conversationId, {
      text,
      attachments: attachmentsOf(activity),
      ...(activity.locale ? { language: activity.locale } : {}),
      ...(activity.id ? { messageId: activity.id } : {}),
      channel: handoffChannel(activity.channelId),
      reference: TurnContext.getConversationReference(activity),
    });
    context.turnState.set(TRANSCRIPT_TURN, recorded.turn);
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
   * Collects what the bot says in this turn; `flush` records it in the transcript, with the
   * customer's message when `onMessage` left it to the end of the turn. `flush` rejects only when
   * that customer message could not be stored (the turn must not be acknowledged as if it were);
   * a lost bot line is logged and the turn goes on. Replies sent after `flush` (web chat holds a
   * turn's replies until its state is saved) are recorded as they go out.
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
        if (flushed) return;
        flushed = true;
        const texts = said.splice(0);
        const turn = context.turnState.get<TranscriptTurn | undefined>(TRANSCRIPT_TURN);
        if (!turn) {
          await this.recordBotMessages(context, texts);
          return;
        }
        try {
          await this.deps.service.finishTurn(turn, texts);
        } catch (error) {
          this.deps.logger.warn(
            { err: error, conversationId: context.activity.conversation.id },
            'turn transcript not recorded',
          );
          // The customer's message must be stored before the turn is answered: the turn fails. A
          // lost bot line alone (the transcript is for agents) does not fail the customer's turn.
          if (turn.customer) throw error;
        }
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
