import type { Logger } from '../services/logging/logger';
import type { RouteRegistrar } from '../bot/server';
import { REVALIDATE, staticAssets, type AssetSpec } from './staticAssets';

export interface AgentConsoleSiteOptions {
  logger: Logger;
}

/** The console's scripts (plain ES modules, no build step) under /agent/assets/. */
export const AGENT_CONSOLE_SCRIPTS = ['console.js', 'api.js', 'live.js', 'views.js', 'dom.js'] as const;

/**
 * The console's own rules: nothing but this server (scripts, styles, the API and its WebSocket),
 * no inline script or style, never framed (an agent's buttons under someone else's page).
 */
export const AGENT_CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  // Customers' photos come through this server; blob:/data: for none of our own doing, so not allowed.
  "img-src 'self'",
  // 'self' covers the same-origin WebSocket (ws: or wss:) in CSP Level 3 browsers.
  "connect-src 'self'",
  "manifest-src 'none'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** The agent console page (`/agent`) and its assets, served by the bot itself. */
export function agentConsoleSite(options: AgentConsoleSiteOptions): RouteRegistrar {
  const securityHeaders = {
    'Content-Security-Policy': AGENT_CONSOLE_CSP,
    'X-Frame-Options': 'DENY',
    'Referrer-Policy': 'no-referrer',
    'X-Content-Type-Options': 'nosniff',
    'Cross-Origin-Opener-Policy': 'same-origin',
  };
  const assets: Record<string, AssetSpec> = {
    '/agent': {
      file: 'src/web/pages/agent.html',
      contentType: 'text/html; charset=utf-8',
      cacheControl: REVALIDATE,
      headers: securityHeaders,
    },
    '/agent/assets/console.css': {
      file: 'src/web/assets/agent/console.css',
      contentType: 'text/css; charset=utf-8',
      cacheControl: REVALIDATE,
      headers: { 'X-Content-Type-Options': 'nosniff' },
    },
    '/agent/assets/logo.svg': {
      file: 'src/web/assets/logo.svg',
      contentType: 'image/svg+xml',
      cacheControl: 'public, max-age=86400',
    },
  };
  for (const script of AGENT_CONSOLE_SCRIPTS) {
    assets[`/agent/assets/${script}`] = {
      file: `src/web/assets/agent/${script}`,
      contentType: 'text/javascript; charset=utf-8',
      cacheControl: REVALIDATE,
      headers: { 'X-Content-Type-Options': 'nosniff' },
    };
  }
  return staticAssets(assets, options.logger);
}
