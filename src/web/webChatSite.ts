import type { Logger } from '../services/logging/logger';
import type { RouteRegistrar } from '../bot/server';
import { IMMUTABLE, REVALIDATE, staticAssets, type AssetSpec } from './staticAssets';

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
  return staticAssets(assets, options.logger);
}
