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

  override request<TData>(opts: RequestClientBase.RequestOptions<TData>): Promise<Response<TData>> {
    if (this.apiBaseUrl) opts.uri = opts.uri.replace(/^https?:\/\/[^/]+/i, this.apiBaseUrl);
    return super.request(opts);
  }

  destroy(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }
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
