import type { CloudAdapter } from 'botbuilder';
import type { BotFrameworkAuthentication } from 'botframework-connector';
import type { Connection } from 'mongoose';
import type { AppConfig } from '../../../config';
import type { Logger } from '../../../services/logging/logger';
import type { SmsSender } from '../../../services/notifications/smsSender';
import { TwilioSmsSender } from '../../../services/notifications/twilioSmsSender';
import { UnconfiguredSmsSender } from '../../../services/notifications/unconfiguredSmsSender';
import { SmsInbox } from '../../../services/sms/smsInbox';
import { SmsOptOutRegistry } from '../../../services/sms/smsOptOutRegistry';
import { SmsOutboundLog } from '../../../services/sms/smsOutboundLog';
import { createTwilioClient } from '../../../services/sms/twilioClient';
import type { RouteRegistrar, TurnRunner } from '../../server';
import { SmsInboxProcessor, type SmsInboxProcessorOptions } from './smsInboxProcessor';
import { SmsOutboundMiddleware } from './smsOutboundMiddleware';
import { SmsTurnRunner } from './smsTurnRunner';
import { SMS_STATUS_PATH, twilioSmsNotConfiguredRoutes, twilioSmsRoutes } from './twilioSmsRoutes';

export interface TwilioSmsChannelDeps {
  config: Pick<AppConfig, 'twilio' | 'http' | 'botAuth'>;
  connection: Connection;
  adapter: CloudAdapter;
  auth: BotFrameworkAuthentication;
  bot: TurnRunner;
  logger: Logger;
  now?: () => Date;
  processor?: SmsInboxProcessorOptions;
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
  /** Add to the CloudAdapter (adapter.use) so proactive messages in SMS conversations go out as SMS. */
  readonly middleware: SmsOutboundMiddleware | undefined;
  readonly workers: readonly SmsChannelWorker[];
}

/** Builds the SMS channel from the config: Twilio client, sender, inbox processor and routes. */
export function createTwilioSmsChannel(deps: TwilioSmsChannelDeps): TwilioSmsChannel {
  const { config, logger } = deps;
  const { accountSid, authToken, fromNumber, messagingServiceSid, apiBaseUrl } = config.twilio;
  if (!accountSid || !authToken || (!fromNumber && !messagingServiceSid)) {
    return {
      configured: false,
      registrar: twilioSmsNotConfiguredRoutes(logger),
      sender: new UnconfiguredSmsSender(),
      middleware: undefined,
      workers: [],
    };
  }

  const publicBaseUrl = config.http.publicBaseUrl;
  const optOuts = new SmsOptOutRegistry(deps.connection);
  const outboundLog = new SmsOutboundLog(deps.connection);
  const inbox = new SmsInbox(deps.connection);
  const api = createTwilioClient({ accountSid, authToken, ...(apiBaseUrl ? { apiBaseUrl } : {}) });
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
  const turns = new SmsTurnRunner(deps.adapter, deps.auth, deps.bot, config.botAuth.MicrosoftAppId);
  const processor = new SmsInboxProcessor({
    inbox,
    optOuts,
    sender,
    turns,
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
  const worker: SmsChannelWorker = {
    name: 'sms-inbox',
    start: () => processor.start(),
    stop: async () => {
      await processor.stop();
      api.close();
    },
  };
  return {
    configured: true,
    registrar,
    sender,
    middleware: new SmsOutboundMiddleware(sender),
    workers: [worker],
  };
}

/** Twilio cannot call back to a loopback address: asking it to would only produce errors on its side. */
function canReceiveCallbacks(publicBaseUrl: string): boolean {
  const host = new URL(publicBaseUrl).hostname;
  return !(host === 'localhost' || host === '::1' || host === '[::1]' || host.startsWith('127.'));
}
