import type { Next, Request, RequestHandler, Response } from 'restify';
import type { Logger } from '../../services/logging/logger';
import { sendError } from './errors';

/**
 * Adapts an async handler to restify: a rejection becomes a mapped HTTP error, never an
 * unhandled rejection. (restify 11 refuses async handlers that also take `next`.)
 */
export function route(
  logger: Logger,
  handler: (req: Request, res: Response) => Promise<void>,
): RequestHandler {
  return (req: Request, res: Response, next: Next): void => {
    handler(req, res).then(
      () => next(),
      (error: unknown) => {
        sendError(res, error, logger);
        next();
      },
    );
  };
}
