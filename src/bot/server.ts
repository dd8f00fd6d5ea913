import restify, { type Request, type Response, type Server } from 'restify';
import type { CloudAdapter, TurnContext } from 'botbuilder';
import { z } from 'zod';
import type { AppConfig } from '../config';
import type { Logger } from '../services/logging/logger';
import { UnauthorizedError, ValidationError } from '../services/errors';
import { CapturedResponse } from './http/capturedResponse';
import { jsonBody } from './http/jsonBody';
import { route } from './http/route';
import { BotEndpointGuard } from './botEndpointGuard';

/** Anything that can run a turn: the support bot, or a bare echo bot in benchmarks. */
export interface TurnRunner {
  run(context: TurnContext): Promise<void>;
}

export interface ReadinessReport {
  ready: boolean;
  checks: Record<string, boolean>;
}

/** Adds one area's routes (tickets API, Direct Line, SMS webhook, static pages…) to the server. */
export type RouteRegistrar = (server: Server) => void;

export interface ServerDeps {
  /** Without botEndpoint/botAuth/directLine (route-only test servers): /api/messages on, in Emulator mode. */
  config: Pick<AppConfig, 'http'> & Partial<Pick<AppConfig, 'botEndpoint' | 'botAuth' | 'directLine'>>;
  logger: Logger;
  adapter: CloudAdapter;
  bot: TurnRunner;
  readiness: () => Promise<ReadinessReport>;
  registrars?: readonly RouteRegistrar[];
}

/** Counts requests being served, so shutdown can wait for turns in flight. */
export class InFlightRequests {
  private count = 0;
  private waiters: Array<() => void> = [];

  get size(): number {
    return this.count;
  }

  enter(): void {
    this.count += 1;
  }

  leave(): void {
    this.count = Math.max(0, this.count - 1);
    if (this.count === 0) for (const resolve of this.waiters.splice(0)) resolve();
  }

  /** Resolves when nothing is in flight, or false after `timeoutMs`. */
  drained(timeoutMs: number): Promise<boolean> {
    if (this.count === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      this.waiters.push(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }
}

export interface SupportServer {
  server: Server;
  inFlight: InFlightRequests;
}

/** The least an activity needs before the adapter will look at it; the rest is the adapter's job. */
const incomingActivitySchema = z.object({
  type: z.string().min(1),
  channelId: z.string().optional(),
  serviceUrl: z.string().min(1).optional(),
  conversation: z
    .object({ id: z.string().min(1) })
    .passthrough()
    .optional(),
  from: z
    .object({ id: z.string().min(1) })
    .passthrough()
    .optional(),
});

/** Builds the HTTP server with every route wired; does not listen (see start() in src/index.ts). */
export function makeServer(deps: ServerDeps): SupportServer {
  const { logger } = deps;
  const inFlight = new InFlightRequests();
  const server = restify.createServer({
    name: 'carlinkit-support-bot',
    handleUncaughtExceptions: false,
    ignoreTrailingSlash: true,
  });

  server.pre((req: Request, res: Response, next) => {
    inFlight.enter();
    const startedAt = process.hrtime.bigint();
    let left = false;
    const leave = (): void => {
      if (left) return;
      left = true;
      inFlight.leave();
      const path = req.getPath();
      // Probes, polling and bot turns (a request per customer message, answered 200) would drown
      // the log at info level; a turn the channel got an error for stays visible.
      const routine =
        path === '/healthz' ||
        path === '/readyz' ||
        req.method === 'GET' ||
        (path === '/api/messages' && res.statusCode < 400);
      const level = routine ? 'debug' : 'info';
      if (!logger.isLevelEnabled(level)) return;
      logger[level](
        {
          requestId: req.getId(),
          method: req.method,
          // The route's pattern, not the path: paths carry conversation ids (/v3/…/conversations/{id}).
          path: matchedRoute(req) ?? path,
          status: res.statusCode,
          ms: Math.round(Number(process.hrtime.bigint() - startedAt) / 1e5) / 10,
        },
        'request',
      );
    };
    res.once('finish', leave);
    res.once('close', leave);
    res.setHeader('X-Request-Id', req.getId());
    return next();
  });
  server.use(restify.plugins.queryParser({ mapParams: false }));

  // Uniform JSON errors for what restify itself rejects: unknown routes, bad JSON, bodies too large.
  server.on('restifyError', (req: Request, _res: Response, err: RestifyLikeError, callback: () => void) => {
    const status = typeof err.statusCode === 'number' ? err.statusCode : 500;
    const code =
      status === 404
        ? 'not_found'
        : status === 405
          ? 'method_not_allowed'
          : status === 413
            ? 'payload_too_large'
            : status < 500
              ? 'invalid_request'
              : 'internal';
    const message =
      status === 404
        ? `No route for ${req.method ?? 'GET'} ${req.path()}`
        : status === 413
          ? `The request body is larger than ${deps.config.http.bodyLimitBytes} bytes`
          : status < 500
            ? (err.message ?? 'Bad request')
            : 'Something went wrong on our side.';
    if (status >= 500) logger.error({ err, requestId: req.getId() }, 'request failed');
    err.toJSON = () => ({ error: { code, message } });
    return callback();
  });

  server.get('/healthz', (_req: Request, res: Response, next) => {
    res.send(200, { status: 'ok' });
    return next();
  });

  server.get(
    '/readyz',
    route(logger, async (_req, res) => {
      const report = await deps.readiness();
      res.send(report.ready ? 200 : 503, {
        status: report.ready ? 'ready' : 'not_ready',
        checks: report.checks,
      });
    }),
  );

  if (deps.config.botEndpoint?.enabled ?? true) registerBotEndpoint(server, deps);

  for (const register of deps.registrars ?? []) register(server);

  return { server, inFlight };
}

/** POST /api/messages: Bot Framework channels (Azure Bot Service, the local Emulator); see BotEndpointGuard. */
function registerBotEndpoint(server: Server, deps: ServerDeps): void {
  const { logger } = deps;
  const guard = new BotEndpointGuard({
    appIdConfigured: Boolean(deps.config.botAuth?.MicrosoftAppId),
    azureDirectLine: Boolean(deps.config.directLine?.azureSecret),
  });
  server.post(
    '/api/messages',
    jsonBody(deps.config.http.bodyLimitBytes),
    route(logger, async (req, res) => {
      const parsed = incomingActivitySchema.safeParse(req.body);
      if (!parsed.success) {
        throw new ValidationError(
          `Not a Bot Framework activity: ${parsed.error.issues.map((issue) => `${issue.path.join('.') || 'body'} ${issue.message}`).join('; ')}`,
        );
      }
      guard.check({ activity: parsed.data, remoteAddress: req.socket.remoteAddress, headers: req.headers });
      // The stock CloudAdapter.process: authentication, activity validation, the turn, expectReplies.
      const answer = new CapturedResponse();
      await deps.adapter.process(req, answer, (context: TurnContext) => deps.bot.run(context));
      if (answer.statusCode === 401) throw new UnauthorizedError(bodyText(answer.body, 'Unauthorized'));
      if (answer.statusCode >= 500) throw new Error(`turn failed: ${bodyText(answer.body, 'no detail')}`);
      for (const [name, value] of answer.headers) res.header(name, value);
      res.send(answer.statusCode, answer.body);
    }),
  );
}

/** The adapter answers errors with a message string (or, rarely, the error itself). */
function bodyText(body: unknown, fallback: string): string {
  if (typeof body === 'string' && body !== '') return body;
  return body instanceof Error ? body.message : fallback;
}

/** The pattern of the route that served the request (e.g. /v3/conversations/:conversationId/activities). */
function matchedRoute(req: Request): string | undefined {
  const pattern = (req.getRoute() as { path?: unknown } | undefined)?.path;
  return typeof pattern === 'string' ? pattern : undefined;
}

interface RestifyLikeError extends Error {
  statusCode?: number;
  toJSON?: () => unknown;
}

/**
 * Stops accepting connections, lets requests in flight finish (up to `timeoutMs`), then drops
 * whatever is left. Resolves false when the timeout cut requests off.
 */
export async function closeServer(
  support: SupportServer,
  timeoutMs: number,
  logger: Logger,
): Promise<boolean> {
  const http = support.server.server;
  const closed = http.listening
    ? new Promise<void>((resolve) => {
        http.close(() => resolve());
      })
    : Promise.resolve();
  http.closeIdleConnections();
  const drained = await support.inFlight.drained(timeoutMs);
  if (!drained)
    logger.warn({ inFlight: support.inFlight.size }, 'stopping: requests still in flight after the timeout');
  http.closeAllConnections();
  await closed;
  return drained;
}
