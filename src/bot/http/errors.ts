import type { Response } from 'restify';
import { ZodError } from 'zod';
import {
  AppError,
  ConflictError,
  ForbiddenError,
  NotFoundError,
  RateLimitedError,
  TooLargeError,
  UnauthorizedError,
  UnavailableError,
  ValidationError,
} from '../../services/errors';
import type { Logger } from '../../services/logging/logger';
import { isStoreUnavailable } from '../../services/store/storeUnavailable';

export interface ErrorBody {
  error: { code: string; message: string; details?: unknown };
}

/** Maps a thrown error to an HTTP status and a body that never leaks internals. */
export function toHttpError(error: unknown): {
  status: number;
  body: ErrorBody;
  headers?: Record<string, string>;
} {
  if (error instanceof ZodError) {
    return {
      status: 400,
      body: {
        error: {
          code: 'invalid_request',
          message: error.issues
            .map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : 'body'}: ${issue.message}`)
            .join('; '),
          details: error.issues.map((issue) => ({ path: issue.path, message: issue.message })),
        },
      },
    };
  }
  if (error instanceof AppError) {
    const status =
      error instanceof ValidationError
        ? 400
        : error instanceof UnauthorizedError
          ? 401
          : error instanceof ForbiddenError
            ? 403
            : error instanceof NotFoundError
              ? 404
              : error instanceof ConflictError
                ? 409
                : error instanceof TooLargeError
                  ? 413
                  : error instanceof RateLimitedError
                    ? 429
                    : error instanceof UnavailableError
                      ? 503
                      : 500;
    const headers: Record<string, string> = {};
    if (error instanceof RateLimitedError) headers['Retry-After'] = String(error.retryAfterSeconds);
    if (error instanceof UnauthorizedError) headers['WWW-Authenticate'] = 'Bearer';
    const body: ErrorBody = { error: { code: error.code, message: error.message } };
    if (error.details !== undefined) body.error.details = error.details;
    return { status, body, headers };
  }
  if (isStoreUnavailable(error)) {
    // Twilio retries a 5xx webhook; Web Chat shows the message as not sent, to send again.
    return {
      status: 503,
      body: {
        error: {
          code: 'unavailable',
          message: 'We are having trouble on our side right now. Please try again in a moment.',
        },
      },
      headers: { 'Retry-After': '5' },
    };
  }
  return { status: 500, body: { error: { code: 'internal', message: 'Something went wrong on our side.' } } };
}

export function sendError(res: Response, error: unknown, logger: Logger): void {
  const { status, body, headers } = toHttpError(error);
  if (status >= 500) logger.error({ err: error }, 'request failed');
  if (res.headersSent) return;
  for (const [name, value] of Object.entries(headers ?? {})) res.header(name, value);
  res.send(status, body);
}
