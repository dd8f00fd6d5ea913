import type { BotState, CloudAdapter } from 'botbuilder';
import type { BotFrameworkAuthentication } from 'botframework-connector';
import type { Connection } from 'mongoose';
import type { AppConfig } from '../../../config';
import type { Logger } from '../../../services/logging/logger';
import { CombinedOutbox } from '../../../services/notifications/combinedOutbox';
import { MessageOutbox } from '../../../services/notifications/messageOutbox';
import {
  NotificationDispatcher,
  type DispatcherOptions,
} from '../../../services/notifications/notificationDispatcher';
import type { NotificationOutbox } from '../../../services/notifications/notificationOutbox';
import { OutboundMessages } from '../../../services/notifications/outboundMessages';
import type { SmsSender } from '../../../services/notifications/smsSender';
import { TwilioSmsSender } from '../../../services/notifications/twilioSmsSender';
import { UnconfiguredSmsSender } from '../../../services/notifications/unconfiguredSmsSender';
import { SmsInbox } from '../../../services/sms/smsInbox';
import type { KnownSmsSenders } from '../../../services/sms/knownSmsSenders';
import { SmsOptOutRegistry } from '../../../services/sms/smsOptOutRegistry';
import { SmsOutboundLog } from '../../../services/sms/smsOutboundLog';
import { createTwilioClient } from '../../../services/sms/twilioClient';
import type { RouteRegistrar, TurnRunner } from '../../server';
import type { SmsIdentity } from './smsIdentity';
import { SmsInboxProcessor, smsReplyId, type SmsInboxProcessorOptions } from './smsInboxProcessor';
import { SmsOutboundMiddleware } from './smsOutboundMiddleware';
import { SmsTurnRunner } from './smsTurnRunner';
import { SMS_STATUS_PATH, twilioSmsNotConfiguredRoutes, twilioSmsRoutes } from './twilioSmsRoutes';

export interface TwilioSmsChannelDeps {
  config: Pick<AppConfig, 'twilio' | 'http' | 'botAuth'>;
  connection: Connection;
  adapter: CloudAdapter;
  auth: BotFrameworkAuthentication;
  bot: TurnRunner;
  /** Keys SMS conversation and user ids (see SmsIdentity). */
  identity: SmsIdentity;
  /** Told about every number that texts us (see KnownSmsSenders). */
  knownSenders?: KnownSmsSenders;
  logger: Logger;
  now?: () => Date;
  processor?: SmsInboxProcessorOptions;
  /**
   * The bot's conversation state: each SMS turn records its replies in it (saved with the turn), so
   * a turn resumed after a crash never runs twice (see SmsTurnRunner).
   */
  conversationState?: BotState;
  /** Other outbox stores the one dispatcher delivers from (the tickets' outbox). */
  outboxes?: readonly NotificationOutbox[];
  /** The dispatcher's options (poll interval, attempts, backoff, its instance id as `owner`). */
  dispatch?: Omit<DispatcherOptions, 'clock'>;
}

/** Same shape as the app's Worker. */
export interface SmsChannelWorker {
  readonly name: string;
  start(): void;
  stop(): Promise<void>;
}

export interface TwilioSmsChannel {
  readonly configured: boolean;
  /** POST /api/sms and /api/sms/status (503 while Twilio is not configured). */
  readonly registrar: RouteRegistrar;
  /** For notifications: Twilio when configured, else a sender that keeps them queued. */
  readonly sender: SmsSender;
  /** The one outbox dispatcher: ticket SMS, replies to inbound SMS and proactive messages. */
  readonly dispatcher: NotificationDispatcher;
  /** Where replies and proactive messages wait (the tickets' SMS wait in the tickets). */
  readonly messages: MessageOutbox;
  /** Add to the CloudAdapter (adapter.use) so proactive messages in SMS conversations go out as SMS. */
  readonly middleware: SmsOutboundMiddleware | undefined;
  readonly workers: readonly SmsChannelWorker[];
}

/** Builds the SMS channel from the config: Twilio client, sender, inbox processor and routes. */
export function createTwilioSmsChannel(deps: TwilioSmsChannelDeps): TwilioSmsChannel {
  const { config, logger } = deps;
  const { accountSid, authToken, fromNumber, messagingServiceSid, apiBaseUrl, timeoutMs } = config.twilio;
  const messages = new MessageOutbox(deps.connection);
  const outbox = new CombinedOutbox([...(deps.outboxes ?? []), messages]);
  const dispatcherFor = (sms: SmsSender): NotificationDispatcher =>
    new NotificationDispatcher(
      { outbox, sms, logger: logger.child({ component: 'outbox' }) },
      { ...deps.dispatch, ...(deps.now ? { clock: { now: deps.now } } : {}) },
    );
  if (!accountSid || !authToken || (!fromNumber && !messagingServiceSid)) {
    const sender = new UnconfiguredSmsSender();
    const dispatcher = dispatcherFor(sender);
    return {
      configured: false,
      registrar: twilioSmsNotConfiguredRoutes(logger),
      sender,
      dispatcher,
      messages,
      middleware: undefined,
      workers: [dispatcher],
    };
  }

  const publicBaseUrl = config.http.publicBaseUrl;
  const optOuts = new SmsOptOutRegistry(deps.connection);
  const outboundLog = new SmsOutboundLog(deps.connection);
  const inbox = new SmsInbox(deps.connection);
  const api = createTwilioClient({
    accountSid,
    authToken,
    timeoutMs,
    ...(apiBaseUrl ? { apiBaseUrl } : {}),
  });
  const sender = new TwilioSmsSender({
    client: api.client,
    sender: {
      ...(messagingServiceSid ? { messagingServiceSid } : {}),
      ...(fromNumber ? { fromNumber } : {}),
    },
    optOuts,
    log: outboundLog,
    logger,
    ...(canReceiveCallbacks(publicBaseUrl)
      ? {
          statusCallbackUrl: (key: string) =>
            `${publicBaseUrl}${SMS_STATUS_PATH}?key=${encodeURIComponent(key)}`,
        }
      : {}),
    ...(deps.now ? { now: deps.now } : {}),
  });
  const dispatcher = dispatcherFor(sender);
  const outbound = new OutboundMessages({
    outbox: messages,
    dispatcher,
    ...(deps.now ? { clock: { now: deps.now } } : {}),
  });
  const turns = new SmsTurnRunner(
    deps.adapter,
    deps.auth,
    deps.bot,
    config.botAuth.MicrosoftAppId,
    deps.conversationState,
    (messageSid) => messages.has(smsReplyId(messageSid, 0)),
  );
  const processor = new SmsInboxProcessor({
    inbox,
    optOuts,
    outbound,
    messages,
    turns,
    identity: deps.identity,
    ...(deps.knownSenders ? { knownSenders: deps.knownSenders } : {}),
    logger,
    ...(deps.now ? { now: deps.now } : {}),
    ...(deps.processor ? { options: deps.processor } : {}),
  });
  const registrar = twilioSmsRoutes({
    accountSid,
    authToken,
    publicBaseUrl,
    bodyLimitBytes: config.http.bodyLimitBytes,
    inbox,
    processor,
    outboundLog,
    optOuts,
    logger,
    ...(deps.now ? { now: deps.now } : {}),
  });
  // Stopped in reverse: the inbox first (its turns hand replies to the dispatcher), then the
  // dispatcher, then the Twilio client they both send through.
  const workers: SmsChannelWorker[] = [
    { name: 'twilio-client', start: () => undefined, stop: () => Promise.resolve(api.close()) },
    dispatcher,
    { name: 'sms-inbox', start: () => processor.start(), stop: () => processor.stop() },
  ];
  return {
    configured: true,
    registrar,
    sender,
    dispatcher,
    messages,
    middleware: new SmsOutboundMiddleware(outbound),
    workers,
  };
}

/** Twilio cannot call back to a loopback address: asking it to would only produce errors on its side. */
function canReceiveCallbacks(publicBaseUrl: string): boolean {
  const host = new URL(publicBaseUrl).hostname;
  return !(host === 'localhost' || host === '::1' || host === '[::1]' || host.startsWith('127.'));
}
