import type { Request } from 'restify';
import { RateLimitedError } from '../../../services/errors';
import type { ClientAddress } from '../../http/clientAddress';
import type { RateLimiter } from './rateLimiter';

/**
 * Who may start a new chat now: each client address gets its own budget, and all of them together
 * a ceiling, so neither one client nor a crowd of addresses can fill the store with conversations.
 */
export class NewChatLimits {
  constructor(
    private readonly perAddress: RateLimiter,
    private readonly overall: RateLimiter,
    private readonly address: ClientAddress,
  ) {}

  /** Takes one new chat; RateLimitedError (429 with Retry-After) past either limit. */
  take(req: Request): void {
    const own = this.perAddress.take(this.address.of(req));
    if (!own.allowed) {
      throw new RateLimitedError(
        'Too many new chats from this address; please wait a moment and try again.',
        own.retryAfterSeconds,
      );
    }
    const all = this.overall.take('*');
    if (!all.allowed) {
      throw new RateLimitedError(
        'Many customers are starting chats right now; please try again in a minute.',
        all.retryAfterSeconds,
      );
    }
  }
}
