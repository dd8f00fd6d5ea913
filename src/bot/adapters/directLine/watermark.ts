import { ValidationError } from '../../../services/errors';

/**
 * Direct Line watermarks are opaque strings to the client; here they are log positions. Missing,
 * empty or "-" (what Azure puts in a fresh streamUrl) mean "from the start".
 */
export function parseWatermark(value: string | undefined): number {
  if (value === undefined || value === '' || value === '-') return 0;
  if (!/^\d{1,9}$/.test(value))
    throw new ValidationError('watermark must be a number returned by this service.');
  return Number(value);
}
