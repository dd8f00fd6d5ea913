import restify, { type Request, type Response, type Server } from 'restify';
import { z } from 'zod';
import { ForbiddenError, UnavailableError, ValidationError } from '../../../services/errors';
import type { Logger } from '../../../services/logging/logger';
import { normalizeContentType } from '../../../services/media/mediaPolicy';
import type { InboundMedia, InboxEntry, SmsInbox } from '../../../services/sms/smsInbox';
import type { SmsOptOutRegistry } from '../../../services/sms/smsOptOutRegistry';
import { isOutboundSmsStatus, type SmsOutboundLog } from '../../../services/sms/smsOutboundLog';
import { route } from '../../http/route';
import type { RouteRegistrar } from '../../server';
import type { SmsInboxProcessor } from './smsInboxProcessor';
import { readSignedForm, type FormParams } from './twilioRequest';

export const SMS_WEBHOOK_PATH = '/api/sms';
export const SMS_STATUS_PATH = '/api/sms/status';

export interface TwilioSmsRoutesDeps {
  accountSid: string;
  authToken: string;
  publicBaseUrl: string;
  bodyLimitBytes: number;
  inbox: SmsInbox;
  processor: Pick<SmsInboxProcessor, 'submit' | 'leaseFrom'>;
  outboundLog: SmsOutboundLog;
  optOuts: SmsOptOutRegistry;
  logger: Logger;
  now?: () => Date;
}

const EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response/>';
const TWILIO_SID = /^[A-Z]{2}[0-9a-fA-F]{32}$/;
const E164 = /^\+[1-9]\d{6,14}$/;
/** Twilio sends at most 10 media items with an MMS. */
const MAX_MEDIA = 10;

const single = z.string();

const inboundSchema = z.object({
  MessageSid: single.regex(TWILIO_SID, 'must be a Twilio message SID'),
  AccountSid: single.regex(TWILIO_SID, 'must be a Twilio account SID'),
  MessagingServiceSid: single.regex(TWILIO_SID).optional(),
  From: single.regex(E164, 'must be an E.164 phone number'),
  To: single.min(1),
  Body: single.default(''),
  NumMedia: z.coerce.number().int().min(0).max(MAX_MEDIA).default(0),
  OptOutType: single.optional(),
});

const statusSchema = z.object({
  MessageSid: single.regex(TWILIO_SID, 'must be a Twilio message SID'),
  AccountSid: single.regex(TWILIO_SID, 'must be a Twilio account SID'),
  MessageStatus: single.min(1),
  ErrorCode: single.regex(/^\d+$/).optional(),
  To: single.optional(),
});

const mediaSchema = z.object({
  url: z
    .string()
    .url()
    .refine((url) => /^https?:\/\//.test(url)),
  // Twilio holds the bytes (behind its account credentials), so the declared type is all the media
  // policy can judge; it is normalised here and judged by the dialogs, which answer a refusal kindly.
  contentType: z.string().min(1).transform(normalizeContentType),
});

/** Twilio's unsubscribed-recipient error, reported on a message the carrier refused. */
const UNSUBSCRIBED = '21610';

/**
 * POST /api/sms (Twilio's incoming-message webhook) and POST /api/sms/status (its status callback).
 * The webhook stores the message and answers an empty TwiML at once; the turn runs afterwards
 * (SmsInboxProcessor), so Twilio's 15-second timeout and retries never meet a slow turn, and a
 * replayed MessageSid is answered 200 without a second turn.
 */
export function twilioSmsRoutes(deps: TwilioSmsRoutesDeps): RouteRegistrar {
  const { logger } = deps;
  const now = deps.now ?? (() => new Date());
  const body = restify.plugins.bodyReader({ maxBodySize: deps.bodyLimitBytes });

  const signedParams = (req: Request): FormParams => {
    const params = readSignedForm(req, deps.authToken, deps.publicBaseUrl);
    if (params.AccountSid !== deps.accountSid)
      throw new ForbiddenError('The request is for another Twilio account');
    return params;
  };

  return (server: Server): void => {
    server.post(
      SMS_WEBHOOK_PATH,
      body,
      route(logger, async (req, res) => {
        const params = signedParams(req);
        const parsed = parse(inboundSchema, params);
        const media = readMedia(params, parsed.NumMedia);
        const receivedAt = now();
        const entry: InboxEntry = {
          messageSid: parsed.MessageSid,
          accountSid: parsed.AccountSid,
          from: parsed.From,
          to: parsed.To,
          body: parsed.Body,
          media,
          receivedAt,
          state: 'received',
          replies: [],
          attempts: 0,
          leaseUntil: deps.processor.leaseFrom(receivedAt),
        };
        if (parsed.MessagingServiceSid) entry.messagingServiceSid = parsed.MessagingServiceSid;
        if (parsed.OptOutType) entry.optOutType = parsed.OptOutType;
        const recorded = await deps.inbox.record(entry, entry.leaseUntil);
        if (recorded === 'new') deps.processor.submit(entry);
        else logger.info({ messageSid: entry.messageSid }, 'sms webhook: replayed MessageSid ignored');
        sendTwiml(res);
      }),
    );

    server.post(
      SMS_STATUS_PATH,
      body,
      route(logger, async (req, res) => {
        const params = signedParams(req);
        const parsed = parse(statusSchema, params);
        const status = parsed.MessageStatus.toLowerCase();
        const key =
          typeof req.query === 'object' && req.query !== null
            ? (req.query as Record<string, unknown>).key
            : undefined;
        if (isOutboundSmsStatus(status)) {
          const found = await deps.outboundLog.recordStatus(
            {
              providerMessageId: parsed.MessageSid,
              ...(typeof key === 'string' && key !== '' ? { idempotencyKey: key } : {}),
              ...(parsed.To ? { to: parsed.To } : {}),
            },
            status,
            parsed.ErrorCode,
            now(),
          );
          if (!found)
            logger.info({ messageSid: parsed.MessageSid }, 'sms status for a message we did not send');
        } else {
          logger.warn({ messageSid: parsed.MessageSid, status }, 'sms status not recognised');
        }
        if (parsed.ErrorCode === UNSUBSCRIBED && parsed.To && E164.test(parsed.To)) {
          await deps.optOuts.optOut(parsed.To, `twilio:${UNSUBSCRIBED}`, now());
        }
        res.writeHead(204);
        res.end();
      }),
    );
  };
}

/** Both SMS routes, answering 503 while Twilio is not configured (rather than an unexplained 404). */
export function twilioSmsNotConfiguredRoutes(logger: Logger): RouteRegistrar {
  const unavailable = route(logger, () =>
    Promise.reject(
      new UnavailableError(
        'SMS is not configured: set TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and TWILIO_FROM_NUMBER or TWILIO_MESSAGING_SERVICE_SID',
      ),
    ),
  );
  return (server: Server): void => {
    server.post(SMS_WEBHOOK_PATH, unavailable);
    server.post(SMS_STATUS_PATH, unavailable);
  };
}

function parse<T extends z.ZodType>(schema: T, params: FormParams): z.infer<T> {
  const flat: Record<string, string> = {};
  for (const [key, value] of Object.entries(params))
    flat[key] = Array.isArray(value) ? (value[0] ?? '') : value;
  const result = schema.safeParse(flat);
  if (!result.success) {
    throw new ValidationError(
      `Not a Twilio message webhook: ${result.error.issues.map((issue) => `${issue.path.join('.')} ${issue.message}`).join('; ')}`,
    );
  }
  return result.data;
}

function readMedia(params: FormParams, count: number): InboundMedia[] {
  const media: InboundMedia[] = [];
  for (let index = 0; index < count; index += 1) {
    const candidate = { url: params[`MediaUrl${index}`], contentType: params[`MediaContentType${index}`] };
    const parsed = mediaSchema.safeParse(candidate);
    if (!parsed.success)
      throw new ValidationError(`MediaUrl${index} / MediaContentType${index} missing or not a URL`);
    media.push(parsed.data);
  }
  return media;
}

function sendTwiml(res: Response): void {
  res.writeHead(200, { 'Content-Type': 'text/xml; charset=utf-8' });
  res.end(EMPTY_TWIML);
}
