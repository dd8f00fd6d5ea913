import { z } from 'zod';
import { UnavailableError } from '../../../services/errors';
import type { Logger } from '../../../services/logging/logger';
import { newUserId } from './directLineTokens';

const tokenResponseSchema = z.object({
  conversationId: z.string().min(1),
  token: z.string().min(1),
  expires_in: z.number().int().positive(),
});

export interface AzureDirectLineOptions {
  secret: string;
  /** e.g. https://directline.botframework.com (no trailing slash). */
  endpoint: string;
  logger: Logger;
  timeoutMs?: number;
  fetch?: typeof fetch;
}

export interface PageToken {
  readonly conversationId: string;
  readonly token: string;
  readonly expiresIn: number;
  /** The Direct Line base the page talks to. */
  readonly domain: string;
}

/**
 * Production with Azure Bot Service: exchanges the Direct Line secret (which never reaches the
 * browser) for a conversation token, with a server-chosen user id embedded so the page cannot
 * impersonate another user.
 */
export class AzureDirectLine {
  private readonly fetch: typeof fetch;

  constructor(private readonly options: AzureDirectLineOptions) {
    this.fetch = options.fetch ?? globalThis.fetch;
  }

  get domain(): string {
    return `${this.options.endpoint}/v3/directline`;
  }

  async generateToken(): Promise<PageToken> {
    let response: Response;
    try {
      response = await this.fetch(`${this.domain}/tokens/generate`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${this.options.secret}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ user: { id: newUserId() } }),
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 5_000),
      });
    } catch (error) {
      this.options.logger.warn({ err: error }, 'Azure Direct Line token request failed');
      throw new UnavailableError(
        'The chat service is not reachable right now; please try again in a moment.',
      );
    }
    const text = await response.text();
    if (!response.ok) {
      this.options.logger.warn({ status: response.status }, 'Azure Direct Line refused the token request');
      throw new UnavailableError(
        'The chat service is not available right now; please try again in a moment.',
      );
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    const parsed = tokenResponseSchema.safeParse(json);
    if (!parsed.success) {
      this.options.logger.warn('Azure Direct Line answered the token request with an unexpected body');
      throw new UnavailableError(
        'The chat service is not available right now; please try again in a moment.',
      );
    }
    return {
      conversationId: parsed.data.conversationId,
      token: parsed.data.token,
      expiresIn: parsed.data.expires_in,
      domain: this.domain,
    };
  }
}
