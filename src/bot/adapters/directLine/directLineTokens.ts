import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { ForbiddenError, UnauthorizedError } from '../../../services/errors';
import { deriveKey, hmacBase64Url, safeEqual } from './secretKeys';

/** `conversation` tokens call the REST API; `stream` tokens only open the WebSocket in a streamUrl. */
export type TokenScope = 'conversation' | 'stream';

export interface DirectLineTokenClaims {
  readonly conversationId: string;
  readonly userId: string;
  readonly scope: TokenScope;
  /** Seconds since the epoch. */
  readonly expiresAt: number;
  /** When the first token of this conversation was issued (seconds since the epoch); refreshes keep it. */
  readonly sessionStartedAt: number;
}

export interface IssuedToken {
  readonly token: string;
  readonly conversationId: string;
  /** Seconds until the token expires, as Direct Line's `expires_in`. */
  readonly expiresIn: number;
}

const ISSUER = 'carlinkit-directline';
const HEADER = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url');

const payloadSchema = z.object({
  iss: z.literal(ISSUER),
  conv: z.string().min(1),
  // DirectLineJS reads `user` from the token and uses it as from.id: the browser cannot pick another user.
  user: z.string().min(1),
  scp: z.enum(['conversation', 'stream']),
  iat: z.number().int(),
  exp: z.number().int(),
  // The session's start, carried from token to token so refreshing can't outlive DIRECTLINE_SESSION_MAX_HOURS.
  ses: z.number().int(),
});

/** Conversation and user ids are URL path segments: keep them to a safe alphabet. */
export const ID_PATTERN = /^[A-Za-z0-9_-]{8,64}$/;

export function newConversationId(): string {
  return randomBytes(16).toString('base64url');
}

export function newUserId(): string {
  // DirectLineJS reserves the `dl_` prefix for ids embedded in tokens.
  return `dl_${randomBytes(12).toString('base64url')}`;
}

function sessionOver(): ForbiddenError {
  return new ForbiddenError('This chat has reached its time limit; please start a new one.');
}

/**
 * Direct Line tokens as HS256 JWTs (the shape DirectLineJS expects), bound to one conversation and
 * one user, with an expiry. Signed with a key derived from DIRECTLINE_TOKEN_SECRET.
 */
export class DirectLineTokens {
  private readonly key: Buffer;

  constructor(
    secret: string,
    private readonly ttlSeconds: number,
    private readonly now: () => Date = () => new Date(),
    /** DIRECTLINE_SESSION_MAX_HOURS: no token of a conversation is valid past its start plus this. */
    private readonly sessionMaxSeconds: number = Number.POSITIVE_INFINITY,
  ) {
    this.key = deriveKey(secret, 'token');
  }

  get lifetimeSeconds(): number {
    return this.ttlSeconds;
  }

  /**
   * A token for the conversation, expiring after `ttlSeconds` or at the end of the session, whichever
   * comes first. A session already over gets ForbiddenError (403): the page starts a new chat.
   */
  issue(
    conversationId: string,
    userId: string,
    scope: TokenScope = 'conversation',
    ttlSeconds = this.ttlSeconds,
    sessionStartedAt?: number,
  ): IssuedToken {
    const iat = Math.floor(this.now().getTime() / 1000);
    const ses = sessionStartedAt ?? iat;
    const exp = Math.min(iat + ttlSeconds, ses + this.sessionMaxSeconds);
    if (exp <= iat) throw sessionOver();
    const payload = { iss: ISSUER, conv: conversationId, user: userId, scp: scope, iat, exp, ses };
    const body = `${HEADER}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}`;
    return { token: `${body}.${hmacBase64Url(this.key, body)}`, conversationId, expiresIn: exp - iat };
  }

  /**
   * Checks signature, scope and expiry. Malformed or forged → UnauthorizedError (401);
   * expired → ForbiddenError (403), which DirectLineJS treats as "refresh or reconnect".
   */
  verify(token: string | undefined, scope: TokenScope = 'conversation'): DirectLineTokenClaims {
    if (!token)
      throw new UnauthorizedError('A Direct Line token is required (Authorization: Bearer <token>).');
    const parts = token.split('.');
    if (parts.length !== 3 || parts[0] !== HEADER)
      throw new UnauthorizedError('The Direct Line token is malformed.');
    const [header, body, signature] = parts as [string, string, string];
    if (!safeEqual(signature, hmacBase64Url(this.key, `${header}.${body}`))) {
      throw new UnauthorizedError('The Direct Line token is not valid.');
    }
    let decoded: unknown;
    try {
      decoded = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
    } catch {
      throw new UnauthorizedError('The Direct Line token is malformed.');
    }
    const parsed = payloadSchema.safeParse(decoded);
    if (!parsed.success) throw new UnauthorizedError('The Direct Line token is malformed.');
    const claims = parsed.data;
    if (claims.scp !== scope)
      throw new ForbiddenError(`This token cannot be used here (it is a ${claims.scp} token).`);
    const now = Math.floor(this.now().getTime() / 1000);
    // Also when the setting was lowered after the token was issued.
    if (claims.ses + this.sessionMaxSeconds <= now) throw sessionOver();
    if (claims.exp <= now) {
      throw new ForbiddenError('The Direct Line token has expired; refresh it or start a new conversation.');
    }
    return {
      conversationId: claims.conv,
      userId: claims.user,
      scope: claims.scp,
      expiresAt: claims.exp,
      sessionStartedAt: claims.ses,
    };
  }

  /** verify() plus the binding: a token for conversation A gets 403 on conversation B. */
  verifyFor(
    token: string | undefined,
    conversationId: string,
    scope: TokenScope = 'conversation',
  ): DirectLineTokenClaims {
    const claims = this.verify(token, scope);
    if (claims.conversationId !== conversationId) {
      throw new ForbiddenError('This token belongs to another conversation.');
    }
    return claims;
  }
}
