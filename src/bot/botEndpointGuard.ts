import { isIP } from 'node:net';
import { ForbiddenError } from '../services/errors';

/**
 * Channels whose turns run in-process through their own adapters (the signed Twilio webhook, the
 * local Direct Line), never through POST /api/messages: an activity there claiming one of them is
 * someone impersonating a customer's channel. The one exception is web chat on Azure Direct Line,
 * whose activities Azure posts here with a Bot Framework token.
 */
const SMS_CHANNEL = 'sms';
const DIRECTLINE_CHANNEL = 'directline';

/** What the Bot Framework Emulator calls itself. */
const EMULATOR_CHANNEL = 'emulator';

/** Headers a reverse proxy adds: a request that went through one is not the local Emulator. */
const PROXY_HEADERS = ['forwarded', 'x-forwarded-for', 'x-real-ip', 'x-forwarded-host'] as const;

export interface BotEndpointRequest {
  /** The activity's fields the gate looks at (already checked to be an object). */
  activity: { channelId?: unknown; serviceUrl?: unknown };
  /** The TCP peer, as the socket saw it (never a forwarded header). */
  remoteAddress: string | undefined;
  headers: Record<string, string | string[] | undefined>;
}

/**
 * Who may post activities to /api/messages. With a MicrosoftAppId the Bot Framework token (checked
 * by the adapter afterwards) vouches for the channel and its serviceUrl; without one nobody vouches,
 * so only the Emulator on this machine is let in: it must say it is the Emulator, connect from
 * loopback, directly (no proxy), and want its replies on loopback. Anything else would let anyone
 * run turns and make the bot POST to any host they name.
 */
export class BotEndpointGuard {
  constructor(
    private readonly options: {
      appIdConfigured: boolean;
      /** AZURE_DIRECTLINE_SECRET is set: web chat is Azure's Direct Line channel and arrives here. */
      azureDirectLine: boolean;
    },
  ) {}

  /** Throws ForbiddenError (403, nothing run) when the activity may not come through this route. */
  check(request: BotEndpointRequest): void {
    const channelId = typeof request.activity.channelId === 'string' ? request.activity.channelId : '';
    const channel = channelId.trim().toLowerCase();
    if (channel === SMS_CHANNEL) {
      throw new ForbiddenError(
        'channelId "sms" is not accepted here: SMS comes through the signed Twilio webhook.',
      );
    }
    if (channel === DIRECTLINE_CHANNEL && !(this.options.azureDirectLine && this.options.appIdConfigured)) {
      throw new ForbiddenError(
        'channelId "directline" is not accepted here: web chat comes through the Direct Line endpoint.',
      );
    }
    if (this.options.appIdConfigured) return;
    if (channel !== EMULATOR_CHANNEL) {
      throw new ForbiddenError(
        'Without MicrosoftAppId this endpoint accepts only the Bot Framework Emulator (channelId "emulator").',
      );
    }
    if (!isLoopbackAddress(request.remoteAddress) || PROXY_HEADERS.some((name) => request.headers[name])) {
      throw new ForbiddenError(
        'Without MicrosoftAppId this endpoint accepts the Emulator only from this machine (loopback, no proxy).',
      );
    }
    if (!isLoopbackUrl(request.activity.serviceUrl)) {
      throw new ForbiddenError(
        'Without MicrosoftAppId the serviceUrl must be on loopback (http://localhost or 127.0.0.1), where the Emulator listens.',
      );
    }
  }
}

/** 127.0.0.0/8, ::1, and IPv4 loopback mapped into IPv6. */
export function isLoopbackAddress(address: string | undefined): boolean {
  if (!address) return false;
  const bare = address.replace(/^\[|\]$/g, '').toLowerCase();
  const v4 = bare.startsWith('::ffff:') ? bare.slice('::ffff:'.length) : bare;
  if (isIP(v4) === 4) return v4.startsWith('127.');
  return isIP(bare) === 6 && bare === '::1';
}

function isLoopbackUrl(value: unknown): boolean {
  if (typeof value !== 'string') return false;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return false;
  if (url.username || url.password) return false;
  return url.hostname === 'localhost' || isLoopbackAddress(url.hostname);
}
