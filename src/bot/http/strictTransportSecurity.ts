import type { Request, Response, Server } from 'restify';
import type { RouteRegistrar } from '../server';

/** A year: what browsers' HSTS preload and most guides expect once HTTPS is settled. */
const MAX_AGE_SECONDS = 365 * 24 * 3600;

/**
 * When the service is published over HTTPS (PUBLIC_BASE_URL), every answer tells browsers to use
 * HTTPS only from then on. Not `includeSubDomains`: other hosts of the company's domain are not ours
 * to decide for. Over plain HTTP (local development) nothing is added.
 */
export function strictTransportSecurity(publicBaseUrl: string): RouteRegistrar {
  return (server: Server) => {
    if (!publicBaseUrl.startsWith('https://')) return;
    const value = `max-age=${MAX_AGE_SECONDS}`;
    server.pre((_req: Request, res: Response, next) => {
      res.setHeader('Strict-Transport-Security', value);
      return next();
    });
  };
}
