import { ValidationError } from '../../../services/errors';

/** A body over the limit: answered 413 by the route that reads it. */
export class PayloadTooLargeError extends ValidationError {
  constructor(readonly limit: number) {
    super(`The upload is larger than ${limit} bytes.`);
  }
}
