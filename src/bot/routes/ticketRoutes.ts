import { createHash, timingSafeEqual } from 'node:crypto';
import restify, { type Next, type Request, type RequestHandler, type Response, type Server } from 'restify';
import { z } from 'zod';
import type { AppConfig } from '../../config';
import type { AgentSessions, AuthenticatedAgent } from '../../services/agents/agentSessions';
import { UnauthorizedError, ValidationError } from '../../services/errors';
import type { Logger } from '../../services/logging/logger';
import { parseInput } from '../../services/tickets/parseInput';
import type { TicketService } from '../../services/tickets/ticketService';
import type { TicketActionType, TicketView } from '../../services/tickets/types';
import { hasAgentCookie, noStore, requireAgent } from '../http/agentSession';
import { sendError } from '../http/errors';
import { route } from '../http/route';
import type { RouteRegistrar } from '../server';

export interface TicketRoutesDeps {
  tickets: TicketService;
  config: Pick<AppConfig, 'backoffice' | 'http'>;
  logger: Logger;
  /** Set → a signed-in agent's session (cookie + X-CSRF-Token) is accepted as well as the bearer token. */
  agentSessions?: AgentSessions;
}

/** /api/tickets for scripts with the bearer token; /agent/api/tickets for the console (its cookie's Path is /agent). */
const PREFIXES = ['/api/tickets', '/agent/api/tickets'] as const;

/** URL segment → lifecycle action (see src/services/tickets/lifecycle.ts). */
export const ACTION_PATHS: Readonly<Record<string, TicketActionType>> = {
  review: 'review',
  approve: 'approve',
  reject: 'reject',
  receive: 'receive',
  inspect: 'inspect',
  repair: 'repair',
  quote: 'quote',
  'accept-quote': 'accept_quote',
  'decline-quote': 'decline_quote',
  ship: 'ship',
  close: 'close',
  cancel: 'cancel',
};

const agentNameSchema = z
  .string({ error: 'the X-Actor header (the agent acting) is required' })
  .trim()
  .regex(
    /^[A-Za-z0-9._-]{1,64}$/,
    'X-Actor must be the agent name: 1 to 64 letters, digits, dots, dashes or underscores',
  );

/** If-Match: "7", W/"7" or 7. Absent → no version check (the service still never loses an update). */
const ifMatchSchema = z
  .string()
  .trim()
  .regex(/^(W\/)?"?\d{1,9}"?$/, 'If-Match must be the ticket version from its ETag, e.g. "3"')
  .transform((value) => Number(value.replace(/\D/g, '')))
  .optional();

const idempotencyHeaderSchema = z
  .string({ error: 'the Idempotency-Key header is required' })
  .min(1, 'the Idempotency-Key header is required');

const bodyObjectSchema = z.record(z.string(), z.unknown(), { error: 'the body must be a JSON object' });

/** Repeated (?status=a&status=b) or comma-separated (?status=a,b) both work. */
function listQuery(query: unknown): unknown {
  if (query === null || typeof query !== 'object') return {};
  const copy: Record<string, unknown> = { ...(query as Record<string, unknown>) };
  if (typeof copy.status === 'string' && copy.status.includes(','))
    copy.status = copy.status.split(',').map((status) => status.trim());
  return copy;
}

function sendTicket(res: Response, status: number, ticket: TicketView): void {
  res.header('ETag', `"${ticket.version}"`);
  res.send(status, ticket);
}

/**
 * The back-office API under /api/tickets (and /agent/api/tickets): list, get, create and every
 * lifecycle action. It takes the bearer token BACKOFFICE_TOKEN, compared in constant time, with the
 * acting agent named in X-Actor; or an agent session (the console's cookie, and its CSRF token on
 * every POST), whose agent's email is the actor. Without either every route answers 401 before
 * looking at anything else.
 */
export function ticketRoutes(deps: TicketRoutesDeps): RouteRegistrar {
  const { tickets, logger, agentSessions } = deps;
  const expected = deps.config.backoffice.token ? digest(deps.config.backoffice.token) : undefined;
  const sessionOf = new WeakMap<Request, AuthenticatedAgent>();

  const authenticate: RequestHandler = (req: Request, res: Response, next: Next) => {
    const header = req.header('authorization') ?? '';
    // A browser's cookie is only looked at when no bearer token is offered: one scheme per request.
    if (agentSessions && header === '' && hasAgentCookie(req)) {
      noStore(res);
      requireAgent(agentSessions, req).then(
        (session) => {
          sessionOf.set(req, session);
          next();
        },
        (error: unknown) => {
          sendError(res, error, logger);
          next(false);
        },
      );
      return;
    }
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!expected) {
      sendError(
        res,
        new UnauthorizedError(
          agentSessions
            ? 'Sign in as an agent: BACKOFFICE_TOKEN is not configured, so the back office takes agent sessions only'
            : 'The back-office API is disabled: BACKOFFICE_TOKEN is not configured',
        ),
        logger,
      );
      return next(false);
    }
    if (!match || !timingSafeEqual(digest(match[1]), expected)) {
      sendError(
        res,
        new UnauthorizedError(
          agentSessions
            ? 'A valid back-office bearer token or an agent session is required'
            : 'A valid back-office bearer token is required',
        ),
        logger,
      );
      return next(false);
    }
    return next();
  };

  const parseBody = restify.plugins.bodyParser({
    maxBodySize: deps.config.http.bodyLimitBytes,
    mapParams: false,
    rejectUnknown: true,
  });
  // restify hands some unknown types (text/csv…) through as strings: say plainly that it must be JSON.
  const requireJson: RequestHandler = (req: Request, res: Response, next: Next) => {
    const hasBody =
      Number(req.header('content-length') ?? 0) > 0 || req.header('transfer-encoding') !== undefined;
    if (hasBody && !req.is('json')) {
      res.send(415, {
        error: {
          code: 'unsupported_media_type',
          message: 'The body must be JSON (Content-Type: application/json)',
        },
      });
      return next(false);
    }
    return next();
  };
  const jsonBody = [requireJson, ...parseBody];

  const actorOf = (req: Request): string => {
    const session = sessionOf.get(req);
    if (session) return `agent:${session.agent.email}`;
    return `agent:${parseInput(agentNameSchema, req.header('x-actor'), 'request')}`;
  };
  const bodyOf = (req: Request): Record<string, unknown> =>
    req.body === undefined || req.body === null || req.body === ''
      ? {}
      : parseInput(bodyObjectSchema, req.body, 'body');

  return (server) => {
    for (const base of PREFIXES) registerUnder(server, base);
  };

  function registerUnder(server: Server, base: string): void {
    server.get(
      base,
      authenticate,
      route(logger, async (req, res) => {
        res.send(200, await tickets.list(listQuery(req.query) as Parameters<TicketService['list']>[0]));
      }),
    );

    server.get(
      `${base}/:number`,
      authenticate,
      route(logger, async (req, res) => {
        sendTicket(res, 200, await tickets.get(paramOf(req, 'number')));
      }),
    );

    server.post(
      base,
      authenticate,
      jsonBody,
      route(logger, async (req, res) => {
        const actor = actorOf(req);
        const idempotencyKey = parseInput(idempotencyHeaderSchema, req.header('idempotency-key'), 'request');
        const ticket = await tickets.register(bodyOf(req) as Parameters<TicketService['register']>[0], {
          idempotencyKey,
          actor,
        });
        res.header('Location', `${base}/${ticket.ticketNumber}`);
        sendTicket(res, 201, await tickets.get(ticket.ticketNumber));
      }),
    );

    for (const [path, type] of Object.entries(ACTION_PATHS)) {
      server.post(
        `${base}/:number/${path}`,
        authenticate,
        jsonBody,
        route(logger, async (req, res) => {
          const actor = actorOf(req);
          const expectedVersion = parseInput(ifMatchSchema, req.header('if-match') || undefined, 'request');
          const body = bodyOf(req);
          if ('type' in body)
            throw new ValidationError('Invalid body: "type" comes from the URL, leave it out');
          const ticket = await tickets.act(
            paramOf(req, 'number'),
            { ...body, type } as Parameters<TicketService['act']>[1],
            {
              actor,
              ...(expectedVersion !== undefined ? { expectedVersion } : {}),
            },
          );
          sendTicket(res, 200, ticket);
        }),
      );
    }

    server.post(
      `${base}/:number/notifications/:id/retry`,
      authenticate,
      route(logger, async (req, res) => {
        const actor = actorOf(req);
        sendTicket(
          res,
          200,
          await tickets.retryNotification(paramOf(req, 'number'), paramOf(req, 'id'), { actor }),
        );
      }),
    );
  }
}

function paramOf(req: Request, name: string): string {
  const value = (req.params as Record<string, unknown> | undefined)?.[name];
  return typeof value === 'string' ? value : '';
}

function digest(value: string): Buffer {
  // Hashing first makes both sides the same length, so timingSafeEqual never leaks the token's length.
  return createHash('sha256').update(value, 'utf8').digest();
}
