import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { gzip as gzipCallback, constants as zlibConstants } from 'node:zlib';
import type { Request, Response, Server } from 'restify';
import type { Logger } from '../services/logging/logger';
import { projectPath } from '../services/projectPath';
import type { RouteRegistrar } from '../bot/server';

const gzip = promisify(gzipCallback);

/** The vendored Web Chat bundle (src/web/vendor/botframework-webchat/README.md); its URL carries the version. */
export const WEBCHAT_VERSION = '4.18.1';
export const WEBCHAT_BUNDLE_PATH = `/webchat/${WEBCHAT_VERSION}/webchat.js`;

export interface WebChatSiteOptions {
  logger: Logger;
  /** Azure Direct Line endpoint when the page talks to Azure (added to the pages' connect-src). */
  azureEndpoint?: string;
  /** WEBCHAT_ALLOWED_ORIGINS: sites (besides this one) whose pages may frame /chat. */
  allowedOrigins?: readonly string[];
}

interface AssetSpec {
  file: string;
  contentType: string;
  cacheControl: string;
  headers?: Record<string, string>;
}

interface LoadedAsset {
  body: Buffer;
  gzipped: Buffer | undefined;
  etag: string;
}

const REVALIDATE = 'no-cache';
const IMMUTABLE = 'public, max-age=31536000, immutable';

/**
 * The website half of the chat: the demo support page (`/`), the bare widget page the embed snippet
 * frames (`/chat`), the snippet itself (`/embed.js`), the page script and styles, and the vendored
 * Web Chat bundle, all from this server (no CDN), compressed once and cached by the browser.
 */
export function webChatSite(options: WebChatSiteOptions): RouteRegistrar {
  const azure = options.azureEndpoint
    ? ` ${options.azureEndpoint} ${options.azureEndpoint.replace(/^http/, 'ws')}`
    : '';
  const csp = (frameAncestors: string): string =>
    [
      "default-src 'self'",
      "script-src 'self'",
      // Web Chat styles itself at run time (emotion).
      "style-src 'self' 'unsafe-inline'",
      "img-src 'self' data: blob:",
      "font-src 'self' data:",
      "media-src 'self' data: blob:",
      // Web Chat makes upload thumbnails in a worker it creates from a blob.
      "worker-src 'self' blob:",
      // blob: for photo uploads (DirectLineJS reads the picked file back before posting it).
      `connect-src 'self' blob: data:${azure}`,
      "object-src 'none'",
      "base-uri 'self'",
      "form-action 'none'",
      `frame-ancestors ${frameAncestors}`,
    ].join('; ');
  const page = (file: string, frameAncestors: readonly string[]): AssetSpec => ({
    file: `src/web/pages/${file}`,
    contentType: 'text/html; charset=utf-8',
    cacheControl: REVALIDATE,
    headers: {
      'Content-Security-Policy': csp(["'self'", ...frameAncestors].join(' ')),
      // For browsers without frame-ancestors; it can't name other sites, so only when there are none.
      ...(frameAncestors.length === 0 ? { 'X-Frame-Options': 'SAMEORIGIN' } : {}),
      'Referrer-Policy': 'same-origin',
      'X-Content-Type-Options': 'nosniff',
    },
  });
  const assets: Record<string, AssetSpec> = {
    '/': page('index.html', []),
    // Framed by the company website through /embed.js: only sites named in WEBCHAT_ALLOWED_ORIGINS,
    // so no other page can frame a customer's chat (and its End chat button) under its own.
    '/chat': page('chat.html', options.allowedOrigins ?? []),
    '/embed.js': {
      file: 'src/web/assets/embed.js',
      contentType: 'text/javascript; charset=utf-8',
      cacheControl: 'public, max-age=600',
      headers: { 'Access-Control-Allow-Origin': '*' },
    },
    '/static/chat.js': {
      file: 'src/web/assets/chat.js',
      contentType: 'text/javascript; charset=utf-8',
      cacheControl: REVALIDATE,
    },
    '/static/chat.css': {
      file: 'src/web/assets/chat.css',
      contentType: 'text/css; charset=utf-8',
      cacheControl: REVALIDATE,
    },
    '/static/logo.svg': {
      file: 'src/web/assets/logo.svg',
      contentType: 'image/svg+xml',
      cacheControl: 'public, max-age=86400',
    },
    [WEBCHAT_BUNDLE_PATH]: {
      file: 'src/web/vendor/botframework-webchat/webchat.js',
      contentType: 'text/javascript; charset=utf-8',
      cacheControl: IMMUTABLE,
    },
  };
  const loaded = new Map<string, Promise<LoadedAsset>>();
  const load = (spec: AssetSpec): Promise<LoadedAsset> => {
    let asset = loaded.get(spec.file);
    if (!asset) {
      asset = loadAsset(spec);
      // A failed read is retried on the next request rather than cached.
      asset.catch(() => loaded.delete(spec.file));
      loaded.set(spec.file, asset);
    }
    return asset;
  };

  return (server: Server) => {
    for (const [path, spec] of Object.entries(assets)) {
      server.get(path, (req: Request, res: Response, next) => {
        load(spec).then(
          (asset) => {
            send(req, res, spec, asset);
            next();
          },
          (error: unknown) => {
            options.logger.error({ err: error, file: spec.file }, 'static asset missing');
            res.send(500, { error: { code: 'internal', message: 'Something went wrong on our side.' } });
            next();
          },
        );
      });
    }
  };
}

async function loadAsset(spec: AssetSpec): Promise<LoadedAsset> {
  const body = await readFile(projectPath(spec.file));
  const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
  const compressible = !spec.contentType.startsWith('image/') || spec.contentType.startsWith('image/svg');
  const gzipped = compressible ? await gzip(body, { level: zlibConstants.Z_BEST_COMPRESSION }) : undefined;
  return { body, gzipped: gzipped && gzipped.length < body.length ? gzipped : undefined, etag };
}

function send(req: Request, res: Response, spec: AssetSpec, asset: LoadedAsset): void {
  const headers: Record<string, string> = {
    'Content-Type': spec.contentType,
    'Cache-Control': spec.cacheControl,
    ETag: asset.etag,
    Vary: 'Accept-Encoding',
    ...spec.headers,
  };
  const ifNoneMatch = req.headers['if-none-match'];
  if (ifNoneMatch && ifNoneMatch.split(',').some((tag) => tag.trim() === asset.etag)) {
    res.sendRaw(304, '', headers);
    return;
  }
  const acceptsGzip = /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
  if (asset.gzipped && acceptsGzip) {
    res.sendRaw(200, asset.gzipped, {
      ...headers,
      'Content-Encoding': 'gzip',
      'Content-Length': String(asset.gzipped.length),
    });
    return;
  }
  res.sendRaw(200, asset.body, { ...headers, 'Content-Length': String(asset.body.length) });
}
