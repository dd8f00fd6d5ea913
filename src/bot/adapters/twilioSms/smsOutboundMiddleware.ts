import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { DeliveryModes, type Middleware, type ResourceResponse, type TurnContext } from 'botbuilder';
import type { OutboundMessages } from '../../../services/notifications/outboundMessages';
import type { SplitOptions } from '../../../services/sms/splitSmsText';
import { SMS_CHANNEL_ID } from './smsActivity';
import { renderRepliesAsSms } from './smsRendering';

const smsAccountProperties = z.object({ phone: z.string().regex(/^\+[1-9]\d{6,14}$/) });

const outboxKeyData = z.object({ outboxKey: z.string().min(1).max(200) });

function outboxKeyOf(activities: ReadonlyArray<Partial<{ channelData: unknown }>>): string | undefined {
  for (const activity of activities) {
    const parsed = outboxKeyData.safeParse(activity.channelData);
    if (parsed.success) return parsed.data.outboxKey;
  }
  return undefined;
}

function phoneOf(properties: unknown): string | undefined {
  const parsed = smsAccountProperties.safeParse(properties);
  return parsed.success ? parsed.data.phone : undefined;
}

/**
 * Sends what the bot says in an SMS conversation outside an inbound turn (proactive messages:
 * agent replies after a hand-off, follow-ups through adapter.continueConversationAsync) as SMS to
 * the customer's number, through the one outbox (OutboundMessages): stored, then sent at once; a
 * temporary failure is retried by the dispatcher instead of being lost. Inbound SMS turns use
 * expectReplies and are left alone. A permanent refusal reaches the caller: an opted-out customer
 * surfaces as SmsSendError('opted_out').
 */
export class SmsOutboundMiddleware implements Middleware {
  constructor(
    private readonly outbound: OutboundMessages,
    private readonly split: SplitOptions = {},
  ) {}

  async onTurn(context: TurnContext, next: () => Promise<void>): Promise<void> {
    if (
      context.activity.channelId === SMS_CHANNEL_ID &&
      context.activity.deliveryMode !== DeliveryModes.ExpectReplies
    ) {
      context.onSendActivities(async (ctx, activities): Promise<ResourceResponse[]> => {
        // The reference's user carries the number (see toInboundActivity); its id is a keyed id.
        const customer = ctx.activity.from?.role === 'bot' ? ctx.activity.recipient : ctx.activity.from;
        const to = phoneOf(customer?.properties);
        const bodies = renderRepliesAsSms(activities, this.split);
        if (bodies.length > 0 && !to)
          throw new Error('SMS conversation reference without the customer number');
        // A caller's own key (handoff messages: their message id) makes a repeated send a no-op.
        const batch = outboxKeyOf(activities) ?? randomUUID();
        const ids = bodies.map((_body, index) => `proactive:${batch}:${index}`);
        const results = await this.outbound.send(
          bodies.map((body, index) => ({
            id: ids[index] ?? '',
            kind: 'proactive',
            to: to ?? '',
            body,
            orderKey: to,
          })),
        );
        const refused = results.find(
          (result) => result.outcome === 'failed' || result.outcome === 'suppressed',
        );
        if (refused?.error) throw refused.error;
        // One resource id per activity, as the adapter contract expects; SMS bodies do not map 1:1.
        return activities.map((_activity, index) => ({ id: ids[Math.min(index, ids.length - 1)] ?? '' }));
      });
    }
    await next();
  }
}
