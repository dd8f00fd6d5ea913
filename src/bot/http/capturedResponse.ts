import type { Response as BotResponse } from 'botbuilder';

/**
 * A response for CloudAdapter.process (botbuilder's public `Response` interface: status, header,
 * send, end) that keeps what the adapter answers instead of writing it, so the route can answer in
 * the server's own shape: a JSON error for a refused token (the adapter's is its internal message
 * as text), a generic 500 for a failure. Nothing is written to the socket.
 */
export class CapturedResponse implements BotResponse {
  readonly socket = undefined;
  statusCode = 200;
  body: unknown;
  readonly headers = new Map<string, unknown>();

  status(code: number): this {
    this.statusCode = code;
    return this;
  }

  header(name: string, value: unknown): this {
    this.headers.set(name, value);
    return this;
  }

  send(body?: unknown): this {
    this.body = body;
    return this;
  }

  end(): this {
    return this;
  }
}
