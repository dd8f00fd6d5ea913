import type { Request, Response } from 'restify';
import { z } from 'zod';
import type { AppConfig } from '../../config';
import type { AgentAccounts, AgentView } from '../../services/agents/agentAccounts';
import type { AgentSessions, AuthenticatedAgent } from '../../services/agents/agentSessions';
import { RateLimitedError } from '../../services/errors';
import type { Logger } from '../../services/logging/logger';
import { parseInput } from '../../services/tickets/parseInput';
import { RateLimiter } from '../adapters/directLine/rateLimiter';
import { AGENT_COOKIE, noStore, readCookie, requireAgent, sessionCookie } from '../http/agentSession';
import { ClientAddress } from '../http/clientAddress';
import { jsonBody } from '../http/jsonBody';
import { route } from '../http/route';
import type { RouteRegistrar } from '../server';

export interface AgentRoutesDeps {
  accounts: AgentAccounts;
  sessions: AgentSessions;
  config: Pick<AppConfig, 'http' | 'trustedProxies' | 'agentSessions'>;
  logger: Logger;
  /** Sign-in attempts allowed per minute (bursts up to the same number); tests lower them. */
  signInLimits?: { perIpPerMinute: number; perAccountPerMinute: number };
  now?: () => number;
}

/**
 * Enough for a team signing in behind one office NAT, far too few to guess passwords: 20 attempts a
 * minute per client address, 5 per account (whoever sends them).
 */
export const SIGN_IN_LIMITS = { perIpPerMinute: 20, perAccountPerMinute: 5 } as const;

// Sign-in takes any string as email: a malformed one gets the same answer as an unknown one.
const signInSchema = z.object(
  {
    email: z.string({ error: 'email is required' }).trim().min(1, 'email is required').max(254),
    password: z.string({ error: 'password is required' }).min(1, 'password is required').max(1024),
  },
  { error: 'the body must be a JSON object with email and password' },
);

/**
 * The agent console's API under /agent/api: sign-in (a session cookie and a CSRF token), sign-out,
 * who am I, and the supervisors' list of accounts.
 */
export function agentRoutes(deps: AgentRoutesDeps): RouteRegistrar {
  const { accounts, sessions, logger, config } = deps;
  const clientAddress = new ClientAddress(config.trustedProxies);
  const limits = deps.signInLimits ?? SIGN_IN_LIMITS;
  const now = deps.now ?? (() => Date.now());
  const perIp = new RateLimiter(limits.perIpPerMinute, limits.perIpPerMinute, now);
  const perAccount = new RateLimiter(limits.perAccountPerMinute, limits.perAccountPerMinute, now);
  const secure = config.http.publicBaseUrl.startsWith('https://');
  const maxAgeSeconds = config.agentSessions.maxHours * 3600;

  const sessionBody = (session: AuthenticatedAgent): Record<string, unknown> => ({
    agent: publicAgent(session.agent),
    // The console tells its own conversations (and colleagues') apart by this id.
    agentId: session.agent.id,
    csrfToken: session.csrfToken,
    expiresAt: session.expiresAt.toISOString(),
  });

  return (server) => {
    server.post(
      '/agent/api/sign-in',
      jsonBody(4096),
      route(logger, async (req: Request, res: Response) => {
        noStore(res);
        const { email, password } = parseInput(signInSchema, req.body, 'body');
        const ip = clientAddress.of(req);
        for (const [limiter, key] of [
          [perIp, ip],
          [perAccount, email.toLowerCase()],
        ] as const) {
          const verdict = limiter.take(key);
          if (!verdict.allowed) {
            logger.warn({ ip }, 'agent sign-in rate limited');
            throw new RateLimitedError(
              'Too many sign-in attempts: wait and try again',
              verdict.retryAfterSeconds,
            );
          }
        }
        let agent: AgentView;
        try {
          agent = await accounts.verifyCredentials(email, password);
        } catch (error) {
          logger.info({ ip }, 'agent sign-in refused');
          throw error;
        }
        // A new id at every sign-in; the one this browser had (if any) ends.
        await sessions.end(readCookie(req, AGENT_COOKIE));
        const session = await sessions.create(agent);
        logger.info({ agentId: agent.id, role: agent.role }, 'agent signed in');
        res.header('Set-Cookie', sessionCookie(session.token, { maxAgeSeconds, secure }));
        res.send(200, sessionBody(session));
      }),
    );

    server.post(
      '/agent/api/sign-out',
      route(logger, async (req, res) => {
        noStore(res);
        const session = await requireAgent(sessions, req);
        await sessions.end(readCookie(req, AGENT_COOKIE));
        logger.info({ agentId: session.agent.id }, 'agent signed out');
        res.header('Set-Cookie', sessionCookie('', { maxAgeSeconds: 0, secure }));
        res.send(204);
      }),
    );

    server.get(
      '/agent/api/session',
      route(logger, async (req, res) => {
        noStore(res);
        res.send(200, sessionBody(await requireAgent(sessions, req)));
      }),
    );

    server.get(
      '/agent/api/agents',
      route(logger, async (req, res) => {
        noStore(res);
        await requireAgent(sessions, req, { role: 'supervisor' });
        res.send(200, { agents: (await accounts.list()).map(publicAgent) });
      }),
    );
  };
}

function publicAgent(agent: AgentView): Record<string, unknown> {
  return {
    email: agent.email,
    name: agent.name,
    role: agent.role,
    disabled: agent.disabled,
    createdAt: agent.createdAt.toISOString(),
    lastSignInAt: agent.lastSignInAt?.toISOString() ?? null,
  };
}
