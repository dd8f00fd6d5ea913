import {
  ActivityTypes,
  EventFactory,
  type CloudAdapter,
  type ConversationReference,
  type TurnContext,
} from 'botbuilder';
import { SmsSendError } from '../services/notifications/smsSender';
import {
  UndeliverableError,
  type CustomerDelivery,
  type CustomerNotice,
  type DeliveryTarget,
} from '../services/handoff/types';
import { SMS_CHANNEL_ID } from './adapters/twilioSms/smsActivity';

export interface HandoffDeliveryDeps {
  adapter: CloudAdapter;
  /** The bot's app id ('' in Emulator mode). */
  appId: string;
  /** Whether this instance can send into conversations of this channel at this serviceUrl. */
  canReach: (channelId: string, serviceUrl: string | undefined) => boolean;
  /** The bot takes the conversation back (SupportBot.resumeAfterHandoff). */
  resume: (context: TurnContext, handoffId: string, askRating: boolean) => Promise<void>;
}

/**
 * Reaches the customer outside their own turns, through the adapter and the conversation's stored
 * reference: web chat through the local Direct Line (only on the instance whose connector the
 * reference names), SMS through the SMS middleware and the one outbox (opt-outs, splitting; the
 * message id is the outbox key, so a repeat is not texted twice).
 */
export class HandoffDelivery implements CustomerDelivery {
  constructor(private readonly deps: HandoffDeliveryDeps) {}

  canDeliver(target: DeliveryTarget): boolean {
    const reference = target.reference as Partial<ConversationReference>;
    return this.deps.canReach(reference.channelId ?? target.channel, reference.serviceUrl);
  }

  async deliver(target: DeliveryTarget, notice: CustomerNotice): Promise<void> {
    await this.continue(target, async (context) => {
      const sms = context.activity.channelId === SMS_CHANNEL_ID;
      const text =
        notice.from === 'agent' && notice.agentName ? `${notice.agentName}: ${notice.text}` : notice.text;
      await context.sendActivity({
        type: ActivityTypes.Message,
        text,
        // The SMS middleware's outbox key: the same message is never texted twice.
        channelData: { outboxKey: `handoff:${notice.messageId}` },
      });
      if (notice.status && !sms) {
        await context.sendActivity(
          EventFactory.createHandoffStatus(context.activity.conversation, notice.status),
        );
      }
    });
  }

  async typing(target: DeliveryTarget): Promise<void> {
    const reference = target.reference as Partial<ConversationReference>;
    if (reference.channelId === SMS_CHANNEL_ID) return;
    await this.continue(target, async (context) => {
      await context.sendActivity({ type: ActivityTypes.Typing });
    });
  }

  async resumeBot(target: DeliveryTarget, options: { handoffId: string; askRating: boolean }): Promise<void> {
    await this.continue(target, (context) => this.deps.resume(context, options.handoffId, options.askRating));
  }

  /**
   * Runs `work` in a proactive turn. Its failure is handed back to the caller, not to the adapter's
   * turn-error handler (which would apologise to the customer for it).
   */
  private async continue(
    target: DeliveryTarget,
    work: (context: TurnContext) => Promise<void>,
  ): Promise<void> {
    // Without the activity id: Web Chat waits up to 5 s for the message a replyToId names.
    const { activityId: _activityId, ...reference } = target.reference as Partial<ConversationReference>;
    let failure: unknown;
    await this.deps.adapter.continueConversationAsync(this.deps.appId, reference, async (context) => {
      try {
        await work(context);
      } catch (error) {
        failure = error;
      }
    });
    if (failure === undefined) return;
    if (failure instanceof SmsSendError && !failure.retryable) throw new UndeliverableError(failure.reason);
    throw failure instanceof Error ? failure : new Error('handoff delivery failed', { cause: failure });
  }
}
