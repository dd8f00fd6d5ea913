import type { Request } from 'restify';
import twilio from 'twilio';
import { ForbiddenError, ValidationError } from '../../../services/errors';

export type FormParams = Record<string, string | string[]>;

/**
 * Reads a Twilio webhook request (body already read by restify's bodyReader) and checks its
 * X-Twilio-Signature with twilio's own validateRequest, over the URL Twilio was given: the public
 * base URL plus the path and query as requested. Throws ForbiddenError when the signature is
 * missing or wrong, before anything in the body is looked at.
 */
export function readSignedForm(req: Request, authToken: string, publicBaseUrl: string): FormParams {
  const contentType = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  if (contentType !== 'application/x-www-form-urlencoded') {
    throw new ValidationError('Twilio webhooks are application/x-www-form-urlencoded');
  }
  const raw: unknown = req.body;
  const text = typeof raw === 'string' ? raw : Buffer.isBuffer(raw) ? raw.toString('utf8') : '';
  const params: FormParams = {};
  for (const [key, value] of new URLSearchParams(text)) {
    const existing = params[key];
    if (existing === undefined) params[key] = value;
    else params[key] = Array.isArray(existing) ? [...existing, value] : [existing, value];
  }
  const signature = req.headers['x-twilio-signature'];
  if (typeof signature !== 'string' || signature === '') {
    throw new ForbiddenError('Missing X-Twilio-Signature');
  }
  const url = `${publicBaseUrl}${req.url ?? ''}`;
  if (!twilio.validateRequest(authToken, signature, url, params)) {
    throw new ForbiddenError('Invalid X-Twilio-Signature');
  }
  return params;
}
