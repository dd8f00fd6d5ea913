import http from 'node:http';
import https from 'node:https';
import twilio from 'twilio';
import type RequestClientBase from 'twilio/lib/base/RequestClient';
import type Response from 'twilio/lib/http/response';

export interface TwilioClientOptions {
  accountSid: string;
  authToken: string;
  /** Send every API call here instead of https://*.twilio.com (a compatible gateway, or a local fake). */
  apiBaseUrl?: string;
  timeoutMs?: number;
  /** Upper bound on parallel connections to the API. */
  maxSockets?: number;
}

export interface TwilioApiClient {
  readonly client: twilio.Twilio;
  /** Closes pooled keep-alive connections. */
  close(): void;
}

/**
 * twilio's HTTP client with keep-alive pools we own (so they can be closed) and, when a base URL is
 * given, every request's origin rewritten to it; paths stay Twilio's (/2010-04-01/Accounts/…).
 */
class PooledRequestClient extends twilio.RequestClient {
  private readonly httpAgent: http.Agent;
  private readonly httpsAgent: https.Agent;

  constructor(
    private readonly apiBaseUrl: string | undefined,
    timeoutMs: number,
    maxSockets: number,
  ) {
    super({ timeout: timeoutMs, keepAlive: true, maxSockets });
    this.httpAgent = new http.Agent({ keepAlive: true, maxSockets, timeout: timeoutMs });
    this.httpsAgent = new https.Agent({ keepAlive: true, maxSockets, timeout: timeoutMs });
    this.axios.defaults.httpAgent = this.httpAgent;
    this.axios.defaults.httpsAgent = this.httpsAgent;
  }

  override async request<TData>(opts: RequestClientBase.RequestOptions<TData>): Promise<Response<TData>> {
    if (this.apiBaseUrl) opts.uri = opts.uri.replace(/^https?:\/\/[^/]+/i, this.apiBaseUrl);
    const response = await super.request(opts);
    // twilio's RestException drops the headers: keep Twilio's Retry-After for the retry schedule.
    const retryAfterMs = parseRetryAfter(headerOf(response.headers, 'retry-after'), Date.now());
    if (response.statusCode >= 400 && retryAfterMs !== undefined) {
      throw new TwilioRetryLaterError(response.statusCode, errorCodeOf(response.body), retryAfterMs);
    }
    return response;
  }

  destroy(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }
}

/**
 * Twilio answered an error with a Retry-After header (429, 503): the same fields as twilio's
 * RestException (`status`, `code`), plus how long it asked us to wait.
 */
export class TwilioRetryLaterError extends Error {
  constructor(
    readonly status: number,
    readonly code: number | undefined,
    readonly retryAfterMs: number,
  ) {
    super(
      `Twilio answered ${status}${code === undefined ? '' : ` (${code})`}; retry after ${retryAfterMs} ms`,
    );
    this.name = 'TwilioRetryLaterError';
  }
}

/** Retry-After as delay-seconds or an HTTP date, in ms from `now`; undefined when absent or malformed. */
export function parseRetryAfter(value: string | undefined, now: number): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1_000;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

function headerOf(headers: unknown, name: string): string | undefined {
  if (typeof headers !== 'object' || headers === null) return undefined;
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() !== name) continue;
    if (typeof value === 'string') return value;
    if (Array.isArray(value) && typeof value[0] === 'string') return value[0];
  }
  return undefined;
}

function errorCodeOf(body: unknown): number | undefined {
  try {
    const parsed: unknown = typeof body === 'string' ? JSON.parse(body) : body;
    if (typeof parsed === 'object' && parsed !== null && 'code' in parsed && typeof parsed.code === 'number')
      return parsed.code;
  } catch {
    // Not JSON: no code.
  }
  return undefined;
}

export function createTwilioClient(options: TwilioClientOptions): TwilioApiClient {
  const httpClient = new PooledRequestClient(
    options.apiBaseUrl?.replace(/\/+$/, ''),
    options.timeoutMs ?? 10_000,
    options.maxSockets ?? 64,
  );
  const client = twilio(options.accountSid, options.authToken, { httpClient });
  return { client, close: () => httpClient.destroy() };
}
