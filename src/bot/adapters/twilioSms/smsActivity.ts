import { createHash } from 'node:crypto';
import { ActivityTypes, DeliveryModes, type Activity, type Attachment } from 'botbuilder';
import type { InboundSms } from '../../../services/sms/smsInbox';

export const SMS_CHANNEL_ID = 'sms';

/**
 * SMS turns never reach a Bot Connector service: their replies come back in-process (expectReplies)
 * and proactive messages are diverted by SmsOutboundMiddleware. The reserved .invalid domain makes
 * any call that slips through fail at once instead of reaching a stranger.
 */
export const SMS_SERVICE_URL = 'https://sms.channel.invalid/';

/**
 * The conversation id for a customer's number: stable across messages and restarts, and without the
 * number in it, so logs that carry conversation ids carry no phone numbers.
 */
export function smsConversationId(phoneNumber: string): string {
  return `sms-${createHash('sha256').update(phoneNumber).digest('hex').slice(0, 32)}`;
}

/** The Bot Framework activity for one inbound SMS/MMS; MMS media become attachments. */
export function toInboundActivity(message: InboundSms): Activity {
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
    from: { id: message.from, name: '', role: 'user' },
    recipient: { id: message.to, name: 'CarlinKit Support', role: 'bot' },
    conversation: {
      id: smsConversationId(message.from),
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
