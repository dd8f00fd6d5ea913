/**
 * Typed errors thrown by services. They carry no HTTP knowledge: the HTTP layer maps each class to
 * a status (see src/bot/http/errorMapping.ts), and the bot turns them into words for the customer.
 */
export abstract class AppError extends Error {
  abstract readonly code: string;
  constructor(
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** The input is malformed or breaks a rule; nothing was changed. */
export class ValidationError extends AppError {
  readonly code = 'invalid_request';
}

/** Missing or wrong credentials. */
export class UnauthorizedError extends AppError {
  readonly code = 'unauthorized';
}

/** The caller is known but may not do this. */
export class ForbiddenError extends AppError {
  readonly code = 'forbidden';
}

export class NotFoundError extends AppError {
  readonly code = 'not_found';
}

/** The request clashes with the current state (illegal transition, stale version, duplicate). */
export class ConflictError extends AppError {
  readonly code = 'conflict';
}

export class RateLimitedError extends AppError {
  readonly code = 'rate_limited';
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(message);
  }
}

/** The input (or what it would add to a quota) is larger than allowed; nothing was stored. */
export class TooLargeError extends AppError {
  readonly code = 'payload_too_large';
}

/** A dependency (store, cloud service) is not reachable right now. */
export class UnavailableError extends AppError {
  readonly code = 'unavailable';
}
