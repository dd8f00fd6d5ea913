import { ActivityTypes, DeliveryModes, type Activity, type Attachment } from 'botbuilder';
import type { InboundSms } from '../../../services/sms/smsInbox';
import type { SmsIdentity } from './smsIdentity';

export const SMS_CHANNEL_ID = 'sms';

/**
 * SMS turns never reach a Bot Connector service: their replies come back in-process (expectReplies)
 * and proactive messages are diverted by SmsOutboundMiddleware. The reserved .invalid domain makes
 * any call that slips through fail at once instead of reaching a stranger.
 */
export const SMS_SERVICE_URL = 'https://sms.channel.invalid/';

/** Where an SMS conversation's reference keeps the customer's number, for proactive messages. */
export interface SmsAccountProperties {
  phone: string;
}

/**
 * The Bot Framework activity for one inbound SMS/MMS; MMS media become attachments. The
 * conversation and user ids are keyed ids of the number (SmsIdentity), so state keys and logs carry
 * no number and nobody can compute them. The number itself rides in `from.properties` only so a
 * conversation reference can reach the customer later; the dialogs take the verified number from
 * the turn's ChannelFacts, never from the activity.
 */
export function toInboundActivity(message: InboundSms, identity: SmsIdentity): Activity {
  const attachments: Attachment[] = message.media.map((media, index) => ({
    contentType: media.contentType,
    contentUrl: media.url,
    name: `media-${index + 1}`,
  }));
  const activity: Partial<Activity> = {
    type: ActivityTypes.Message,
    id: message.messageSid,
    timestamp: message.receivedAt,
    channelId: SMS_CHANNEL_ID,
    serviceUrl: SMS_SERVICE_URL,
    from: {
      id: identity.userId(message.from),
      name: '',
      role: 'user',
      properties: { phone: message.from } satisfies SmsAccountProperties,
    },
    recipient: { id: message.to, name: 'CarlinKit Support', role: 'bot' },
    conversation: {
      id: identity.conversationId(message.from),
      isGroup: false,
      conversationType: 'personal',
      name: '',
    },
    text: message.body,
    textFormat: 'plain',
    attachments,
    deliveryMode: DeliveryModes.ExpectReplies,
    channelData: {
      messageSid: message.messageSid,
      accountSid: message.accountSid,
      ...(message.messagingServiceSid ? { messagingServiceSid: message.messagingServiceSid } : {}),
    },
  };
  // Activity declares every optional protocol field as required; the adapter needs only these.
  return activity as Activity;
}
