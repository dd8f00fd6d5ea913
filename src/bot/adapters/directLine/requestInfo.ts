import type { Request } from 'restify';
import { PayloadTooLargeError } from './payloadTooLargeError';

const HOST = /^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;

/** The token in `Authorization: Bearer …`, if any. */
export function bearerToken(req: Request): string | undefined {
  const match = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '');
  return match?.[1];
}

/**
 * The origin the caller used to reach us (the Host header, http or https), so the URLs we hand back
 * (Direct Line domain, streamUrl) work from wherever the page was loaded: behind a proxy, on a
 * random test port. Falls back to PUBLIC_BASE_URL when the Host header looks wrong.
 */
export function callerOrigin(req: Request, fallback: string): { http: string; ws: string } {
  const host = req.headers.host ?? '';
  const forwardedProto = String(req.headers['x-forwarded-proto'] ?? '')
    .split(',')[0]
    ?.trim()
    .toLowerCase();
  const secure = req.isSecure() || forwardedProto === 'https';
  const http = HOST.test(host) ? `${secure ? 'https' : 'http'}://${host}` : fallback;
  return { http, ws: http.replace(/^http/, 'ws') };
}

/** Reads the whole body, refusing (PayloadTooLargeError) as soon as it exceeds `limit` bytes. */
export function readBody(req: Request, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (Number.isFinite(declared) && declared > limit) return Promise.reject(new PayloadTooLargeError(limit));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on('data', (chunk: Buffer) => {
      if (failed) return;
      size += chunk.length;
      if (size > limit) {
        failed = true;
        chunks.length = 0;
        reject(new PayloadTooLargeError(limit));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (!failed) resolve(Buffer.concat(chunks, size));
    });
    req.on('error', (error) => {
      if (!failed) reject(error);
    });
  });
}
