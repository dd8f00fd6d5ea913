import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** A message as the fake Twilio API received it from our client. */
export interface FakeTwilioMessage {
  sid: string;
  accountSid: string;
  to: string;
  from?: string;
  messagingServiceSid?: string;
  body: string;
  statusCallback?: string;
  mediaUrl: string[];
  receivedAt: Date;
}

export interface FakeTwilioFailure {
  status: number;
  /** Twilio error code, e.g. 21610 (unsubscribed recipient), 21211 (invalid To). */
  code?: number;
  message?: string;
  /** Sent as the Retry-After header (seconds). */
  retryAfterSeconds?: number;
}

export interface FakeTwilioOptions {
  accountSid: string;
  authToken: string;
}

const E164 = /^\+[1-9]\d{6,14}$/;

/**
 * A local stand-in for api.twilio.com that speaks the Messages API the way Twilio does:
 * POST /2010-04-01/Accounts/{AccountSid}/Messages.json, form-encoded, HTTP Basic auth with the
 * account SID and auth token, 201 with a JSON message resource (sid SM…, status "queued"), and
 * Twilio-style JSON errors. Records every accepted message; can be told to fail the next requests.
 */
export class FakeTwilioApi {
  readonly messages: FakeTwilioMessage[] = [];
  /** Every request, accepted or not (to check that nothing was attempted). */
  requests = 0;
  /** Message list requests (GET Messages.json), each page counted. */
  listRequests = 0;
  private readonly failures: FakeTwilioFailure[] = [];
  private unanswered = 0;
  private readonly held: http.ServerResponse[] = [];
  private waiters: Array<{ count: number; resolve: () => void }> = [];

  private constructor(
    private readonly server: http.Server,
    private readonly options: FakeTwilioOptions,
    readonly baseUrl: string,
  ) {}

  static async start(options: FakeTwilioOptions): Promise<FakeTwilioApi> {
    const holder: { api?: FakeTwilioApi } = {};
    const server = http.createServer((req, res) => holder.api?.handle(req, res));
    server.keepAliveTimeout = 30_000;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    holder.api = new FakeTwilioApi(server, options, `http://127.0.0.1:${port}`);
    return holder.api;
  }

  /** The next `times` requests fail with this error (after auth), in order. */
  failNext(failure: FakeTwilioFailure, times = 1): void {
    for (let index = 0; index < times; index += 1) this.failures.push(failure);
  }

  /**
   * The next `times` messages are accepted (recorded, listed) but their answers never come: the
   * connection is held open until close(), as a client killed mid-call or timed out would see it.
   */
  acceptWithoutAnswer(times = 1): void {
    this.unanswered += times;
  }

  messagesTo(to: string): FakeTwilioMessage[] {
    return this.messages.filter((message) => message.to === to);
  }

  /** Resolves once at least `count` messages were accepted; rejects after `timeoutMs`. */
  waitForMessages(count: number, timeoutMs = 5_000): Promise<FakeTwilioMessage[]> {
    if (this.messages.length >= count) return Promise.resolve(this.messages.slice());
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((waiter) => waiter !== entry);
        reject(
          new Error(
            `fake Twilio: expected ${count} messages, got ${this.messages.length} within ${timeoutMs} ms`,
          ),
        );
      }, timeoutMs);
      const entry = {
        count,
        resolve: () => {
          clearTimeout(timer);
          resolve(this.messages.slice());
        },
      };
      this.waiters.push(entry);
    });
  }

  async close(): Promise<void> {
    for (const res of this.held.splice(0)) res.destroy();
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    await closed;
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      this.requests += 1;
      const reply = (status: number, body: unknown): void => {
        res.writeHead(status, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      const error = (
        status: number,
        code: number,
        message: string,
        headers: http.OutgoingHttpHeaders = {},
      ): void => {
        res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
        res.end(
          JSON.stringify({ code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status }),
        );
      };

      const expectedAuth = `Basic ${Buffer.from(`${this.options.accountSid}:${this.options.authToken}`).toString('base64')}`;
      if (req.headers.authorization !== expectedAuth) return error(401, 20003, 'Authenticate');
      const path = `/2010-04-01/Accounts/${this.options.accountSid}/Messages.json`;
      const url = new URL(req.url ?? '/', 'http://fake.twilio');
      if (url.pathname !== path || (req.method !== 'POST' && req.method !== 'GET')) {
        return error(404, 20404, `The requested resource ${req.url ?? ''} was not found`);
      }
      const failure = this.failures.shift();
      if (failure)
        return error(
          failure.status,
          failure.code ?? failure.status,
          failure.message ?? 'Simulated failure',
          failure.retryAfterSeconds === undefined ? {} : { 'Retry-After': String(failure.retryAfterSeconds) },
        );
      if (req.method === 'GET') return reply(200, this.listPage(url, path));

      const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
      const to = form.get('To') ?? '';
      const body = form.get('Body') ?? '';
      const from = form.get('From') ?? undefined;
      const messagingServiceSid = form.get('MessagingServiceSid') ?? undefined;
      const mediaUrl = form.getAll('MediaUrl');
      if (!to) return error(400, 21604, "A 'To' phone number is required.");
      if (!E164.test(to)) return error(400, 21211, `The 'To' number ${to} is not a valid phone number.`);
      if (!from && !messagingServiceSid) return error(400, 21603, "A 'From' phone number is required.");
      if (!body && mediaUrl.length === 0) return error(400, 21602, 'Message body is required.');
      if (body.length > 1600)
        return error(400, 21617, 'The concatenated message body exceeds the 1600 character limit.');

      const sid = `SM${randomBytes(16).toString('hex')}`;
      const message: FakeTwilioMessage = {
        sid,
        accountSid: this.options.accountSid,
        to,
        body,
        mediaUrl,
        receivedAt: new Date(),
      };
      if (from) message.from = from;
      if (messagingServiceSid) message.messagingServiceSid = messagingServiceSid;
      const statusCallback = form.get('StatusCallback');
      if (statusCallback) message.statusCallback = statusCallback;
      this.messages.push(message);
      const resolveWaiters = (): void => {
        const ready = this.waiters.filter((waiter) => this.messages.length >= waiter.count);
        this.waiters = this.waiters.filter((waiter) => this.messages.length < waiter.count);
        for (const waiter of ready) waiter.resolve();
      };
      if (this.unanswered > 0) {
        this.unanswered -= 1;
        this.held.push(res);
        resolveWaiters();
        return;
      }
      const now = message.receivedAt.toUTCString();
      reply(201, {
        account_sid: this.options.accountSid,
        api_version: '2010-04-01',
        body,
        date_created: now,
        date_sent: null,
        date_updated: now,
        direction: 'outbound-api',
        error_code: null,
        error_message: null,
        from: from ?? null,
        messaging_service_sid: messagingServiceSid ?? null,
        num_media: String(mediaUrl.length),
        num_segments: String(Math.max(1, Math.ceil(body.length / 153))),
        price: null,
        price_unit: 'USD',
        sid,
        status: messagingServiceSid && !from ? 'accepted' : 'queued',
        subresource_uris: {
          media: `/2010-04-01/Accounts/${this.options.accountSid}/Messages/${sid}/Media.json`,
        },
        to,
        uri: `/2010-04-01/Accounts/${this.options.accountSid}/Messages/${sid}.json`,
      });
      resolveWaiters();
    });
  }

  /**
   * GET Messages.json as Twilio pages it: newest first, `To` / `From` filters, `PageSize` (default
   * 50) and `Page`, with `next_page_uri` while more remain.
   */
  private listPage(url: URL, path: string): unknown {
    this.listRequests += 1;
    const to = url.searchParams.get('To');
    const from = url.searchParams.get('From');
    const pageSize = Math.min(1_000, Math.max(1, Number(url.searchParams.get('PageSize') ?? 50) || 50));
    const page = Math.max(0, Number(url.searchParams.get('Page') ?? 0) || 0);
    const matching = this.messages
      .filter((message) => (to ? message.to === to : true) && (from ? message.from === from : true))
      .reverse();
    const slice = matching.slice(page * pageSize, (page + 1) * pageSize);
    const query = (p: number): string => {
      const params = new URLSearchParams();
      if (to) params.set('To', to);
      if (from) params.set('From', from);
      params.set('PageSize', String(pageSize));
      params.set('Page', String(p));
      return `${path}?${params.toString()}`;
    };
    return {
      messages: slice.map((message) => this.resourceOf(message)),
      end: page * pageSize + Math.max(0, slice.length - 1),
      first_page_uri: query(0),
      next_page_uri: (page + 1) * pageSize < matching.length ? query(page + 1) : null,
      page,
      page_size: pageSize,
      previous_page_uri: page > 0 ? query(page - 1) : null,
      start: page * pageSize,
      uri: query(page),
    };
  }

  private resourceOf(message: FakeTwilioMessage): unknown {
    const created = message.receivedAt.toUTCString();
    return {
      account_sid: message.accountSid,
      api_version: '2010-04-01',
      body: message.body,
      date_created: created,
      date_sent: created,
      date_updated: created,
      direction: 'outbound-api',
      error_code: null,
      error_message: null,
      from: message.from ?? null,
      messaging_service_sid: message.messagingServiceSid ?? null,
      num_media: String(message.mediaUrl.length),
      num_segments: String(Math.max(1, Math.ceil(message.body.length / 153))),
      price: null,
      price_unit: 'USD',
      sid: message.sid,
      status: 'sent',
      subresource_uris: {},
      to: message.to,
      uri: `/2010-04-01/Accounts/${message.accountSid}/Messages/${message.sid}.json`,
    };
  }
}
