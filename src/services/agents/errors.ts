import { ConflictError, ForbiddenError, NotFoundError, UnauthorizedError, ValidationError } from '../errors';

/** Unknown email or wrong password: one error, one message, so a caller can't tell which. */
export class InvalidCredentialsError extends UnauthorizedError {
  constructor() {
    super('The email or password is not right');
  }
}

/** The right password for an account an administrator disabled. */
export class AccountDisabledError extends ForbiddenError {
  constructor() {
    super('This agent account is disabled; ask a supervisor');
  }
}

export class AccountExistsError extends ConflictError {
  constructor(email: string) {
    super(`An agent account for ${email} already exists`);
  }
}

export class AccountNotFoundError extends NotFoundError {
  constructor(email: string) {
    super(`There is no agent account for ${email}`);
  }
}

export class WeakPasswordError extends ValidationError {}

/** No session cookie, an unknown or signed-out session, or one that expired. */
export class NoSessionError extends UnauthorizedError {
  constructor(
    message = 'Sign in first: this needs an agent session',
    readonly reason: 'missing' | 'unknown' | 'expired' | 'account_disabled' = 'missing',
  ) {
    super(message, { reason });
  }
}

/** A state-changing request without the session's CSRF token (or with another one). */
export class CsrfError extends ForbiddenError {
  constructor() {
    super('The X-CSRF-Token header is missing or stale: fetch GET /agent/api/session and retry', {
      reason: 'csrf',
    });
  }
}
