import { randomUUID } from 'node:crypto';
import { DeliveryModes, type Middleware, type ResourceResponse, type TurnContext } from 'botbuilder';
import type { SmsSender } from '../../../services/notifications/smsSender';
import type { SplitOptions } from '../../../services/sms/splitSmsText';
import { SMS_CHANNEL_ID } from './smsActivity';
import { renderRepliesAsSms } from './smsRendering';

/**
 * Sends what the bot says in an SMS conversation outside an inbound turn (proactive messages:
 * agent replies after a hand-off, follow-ups through adapter.continueConversationAsync) as SMS to
 * the customer's number, through the same sender (and so the same opt-out check) as every other SMS.
 * Inbound SMS turns use expectReplies and are left alone. Errors reach the caller: an opted-out
 * customer surfaces as SmsSendError('opted_out').
 */
export class SmsOutboundMiddleware implements Middleware {
  constructor(
    private readonly sender: SmsSender,
    private readonly split: SplitOptions = {},
  ) {}

  async onTurn(context: TurnContext, next: () => Promise<void>): Promise<void> {
    if (
      context.activity.channelId === SMS_CHANNEL_ID &&
      context.activity.deliveryMode !== DeliveryModes.ExpectReplies
    ) {
      context.onSendActivities(async (ctx, activities): Promise<ResourceResponse[]> => {
        const to = ctx.activity.from?.role === 'bot' ? ctx.activity.recipient?.id : ctx.activity.from?.id;
        const bodies = renderRepliesAsSms(activities, this.split);
        const batch = randomUUID();
        const ids: string[] = [];
        for (const [index, body] of bodies.entries()) {
          if (!to) throw new Error('SMS conversation reference without the customer number');
          const sent = await this.sender.send({ to, body, idempotencyKey: `proactive:${batch}:${index}` });
          ids.push(sent.providerMessageId);
        }
        // One resource id per activity, as the adapter contract expects; SMS bodies do not map 1:1.
        return activities.map((_activity, index) => ({ id: ids[Math.min(index, ids.length - 1)] ?? '' }));
      });
    }
    await next();
  }
}
