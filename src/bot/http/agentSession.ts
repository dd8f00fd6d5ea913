import type { Request, Response } from 'restify';
import type { AgentRole } from '../../services/agents/agentModel';
import type { AgentSessions, AuthenticatedAgent } from '../../services/agents/agentSessions';
import { ForbiddenError } from '../../services/errors';

/** The agent console's session cookie; sent by browsers only under /agent (its Path). */
export const AGENT_COOKIE = 'ck_agent';
export const AGENT_COOKIE_PATH = '/agent';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The value of cookie `name` in the request's Cookie header, if any. */
export function readCookie(req: Pick<Request, 'headers'>, name: string): string | undefined {
  const header = req.headers.cookie;
  if (typeof header !== 'string') return undefined;
  for (const part of header.split(';')) {
    const index = part.indexOf('=');
    if (index > 0 && part.slice(0, index).trim() === name) return part.slice(index + 1).trim();
  }
  return undefined;
}

/** Set-Cookie for the session: httpOnly, SameSite=Strict, Path=/agent, Secure when published over https. */
export function sessionCookie(token: string, options: { maxAgeSeconds: number; secure: boolean }): string {
  const attributes = [`${AGENT_COOKIE}=${token}`, `Path=${AGENT_COOKIE_PATH}`, 'HttpOnly', 'SameSite=Strict'];
  attributes.push(`Max-Age=${Math.max(0, Math.floor(options.maxAgeSeconds))}`);
  if (options.secure) attributes.push('Secure');
  return attributes.join('; ');
}

/** Whether the request carries an agent session cookie at all (to choose it over another scheme). */
export function hasAgentCookie(req: Pick<Request, 'headers'>): boolean {
  return readCookie(req, AGENT_COOKIE) !== undefined;
}

/**
 * The signed-in agent behind a request: 401 without a live session, 403 without the session's
 * X-CSRF-Token on a state-changing method, 403 when `role` is required and the agent lacks it
 * (a supervisor may do everything an agent may).
 */
export async function requireAgent(
  sessions: AgentSessions,
  req: Request,
  options: { role?: AgentRole } = {},
): Promise<AuthenticatedAgent> {
  const session = await sessions.authenticate(readCookie(req, AGENT_COOKIE));
  if (!SAFE_METHODS.has(req.method ?? 'GET'))
    sessions.checkCsrf(session, req.header('x-csrf-token') || undefined);
  if (options.role === 'supervisor' && session.agent.role !== 'supervisor')
    throw new ForbiddenError('Only a supervisor may do this');
  return session;
}

/** Agent API answers are personal: never cached by a browser or a proxy. */
export function noStore(res: Response): void {
  res.header('Cache-Control', 'no-store');
}
