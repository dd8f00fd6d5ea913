import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer } from 'ws';
import type { AgentSessions, AuthenticatedAgent } from '../../services/agents/agentSessions';
import { AppError, ForbiddenError, ValidationError } from '../../services/errors';
import type { HandoffEvent, HandoffListener } from '../../services/handoff/types';
import type { Logger } from '../../services/logging/logger';
import { toHttpError } from '../http/errors';
import { AGENT_COOKIE, readCookie } from '../http/agentSession';
import type { RouteRegistrar } from '../server';

/** The console's live feed: queue changes and messages, pushed as they happen. */
export const AGENT_LIVE_PATH = '/agent/api/live';
/** The subprotocol the console asks for; the CSRF token travels as a second one, `csrf.<token>`. */
export const AGENT_LIVE_PROTOCOL = 'ck-agent.v1';
const CSRF_PROTOCOL_PREFIX = 'csrf.';

/** Close codes the console understands (4000–4999 are the application's). */
export const LIVE_CLOSE = { sessionEnded: 4401, slowConsumer: 4408, shuttingDown: 1001 } as const;

export interface AgentLiveSocketDeps {
  sessions: AgentSessions;
  handoff: { subscribe(listener: HandoffListener): () => void };
  /** PUBLIC_BASE_URL: its origin may open the socket (so may the Host the request came to). */
  publicBaseUrl: string;
  logger: Logger;
  /** How often an open socket's session is checked again (expired, signed out, account disabled). */
  recheckEveryMs?: number;
  /** Heartbeat: a ping this often; a socket that missed the last pong is dropped. */
  pingEveryMs?: number;
  /** A console that can't keep up (this many bytes unsent) is dropped; it reconnects and reloads. */
  maxBufferedBytes?: number;
}

interface Client {
  socket: WebSocket;
  token: string;
  session: AuthenticatedAgent;
  alive: boolean;
}

/**
 * The agent console's WebSocket (GET /agent/api/live, upgraded). Opened only with a live session
 * cookie, from this site's origin, carrying the session's CSRF token (as a subprotocol, so it is
 * never in a URL or a log); everything else is refused before the upgrade with the HTTP status
 * the API would give (401/403). Read-only: actions go through the HTTP API, with CSRF checks.
 */
export class AgentLiveSocket {
  private readonly wss = new WebSocketServer({
    noServer: true,
    maxPayload: 1024,
    handleProtocols: (protocols) => (protocols.has(AGENT_LIVE_PROTOCOL) ? AGENT_LIVE_PROTOCOL : false),
  });
  private readonly clients = new Set<Client>();
  private unsubscribe: (() => void) | undefined;
  private timers: NodeJS.Timeout[] = [];
  private readonly publicOrigin: string;
  readonly name = 'agent-live-socket';

  constructor(private readonly deps: AgentLiveSocketDeps) {
    this.publicOrigin = new URL(deps.publicBaseUrl).origin;
  }

  /** How many consoles are connected to this instance, per agent id. */
  connectedAgents(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const client of this.clients)
      counts.set(client.session.agent.id, (counts.get(client.session.agent.id) ?? 0) + 1);
    return counts;
  }

  registrar(): RouteRegistrar {
    return (server) => {
      server.server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
        const path = (req.url ?? '').split('?')[0];
        // Other upgrades (the Direct Line streams) belong to their own listeners.
        if (path !== AGENT_LIVE_PATH) return;
        this.upgrade(req, socket, head).catch((error: unknown) => {
          const { status, body } = toHttpError(error);
          if (status >= 500) this.deps.logger.error({ err: error }, 'agent socket upgrade failed');
          refuse(socket, status, body.error.code, body.error.message);
        });
      });
    };
  }

  start(): void {
    this.unsubscribe ??= this.deps.handoff.subscribe((event) => this.broadcast(event));
    this.timers.push(
      setInterval(() => void this.recheckSessions(), this.deps.recheckEveryMs ?? 60_000),
      setInterval(() => this.heartbeat(), this.deps.pingEveryMs ?? 30_000),
    );
    for (const timer of this.timers) timer.unref();
  }

  async stop(): Promise<void> {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    for (const timer of this.timers.splice(0)) clearInterval(timer);
    for (const client of this.clients) client.socket.close(LIVE_CLOSE.shuttingDown, 'server stopping');
    this.clients.clear();
    await new Promise<void>((resolve) => {
      this.wss.close(() => resolve());
    });
  }

  private async upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    this.checkOrigin(req);
    const token = readCookie(req, AGENT_COOKIE);
    const session = await this.deps.sessions.authenticate(token);
    const offered = String(req.headers['sec-websocket-protocol'] ?? '')
      .split(',')
      .map((protocol) => protocol.trim());
    const csrf = offered.find((protocol) => protocol.startsWith(CSRF_PROTOCOL_PREFIX));
    this.deps.sessions.checkCsrf(session, csrf?.slice(CSRF_PROTOCOL_PREFIX.length));
    if (!offered.includes(AGENT_LIVE_PROTOCOL))
      throw new LiveRequestError(`Ask for the ${AGENT_LIVE_PROTOCOL} subprotocol`);
    this.wss.handleUpgrade(req, socket, head, (ws) => this.accept(ws, token ?? '', session));
  }

  private checkOrigin(req: IncomingMessage): void {
    const origin = req.headers.origin;
    const host = req.headers.host;
    const sameHost = (value: string): boolean => {
      try {
        return host !== undefined && new URL(value).host === host;
      } catch {
        return false;
      }
    };
    if (origin === undefined || (origin !== this.publicOrigin && !sameHost(origin)))
      throw new ForbiddenOriginError();
  }

  private accept(socket: WebSocket, token: string, session: AuthenticatedAgent): void {
    const client: Client = { socket, token, session, alive: true };
    this.clients.add(client);
    socket.on('pong', () => {
      client.alive = true;
    });
    socket.on('close', () => this.clients.delete(client));
    socket.on('error', () => this.clients.delete(client));
    // The console says nothing on this socket; anything it sends is ignored.
    socket.on('message', () => {});
    this.send(client, {
      type: 'hello',
      agent: { agentId: session.agent.id, name: session.agent.name, role: session.agent.role },
    });
  }

  private broadcast(event: HandoffEvent): void {
    const frame = JSON.stringify({ type: 'event', event });
    for (const client of this.clients) this.sendRaw(client, frame);
  }

  private send(client: Client, message: unknown): void {
    this.sendRaw(client, JSON.stringify(message));
  }

  private sendRaw(client: Client, frame: string): void {
    if (client.socket.readyState !== WebSocket.OPEN) return;
    if (client.socket.bufferedAmount > (this.deps.maxBufferedBytes ?? 4 * 1024 * 1024)) {
      client.socket.close(LIVE_CLOSE.slowConsumer, 'too slow: reconnect');
      this.clients.delete(client);
      return;
    }
    client.socket.send(frame);
  }

  private heartbeat(): void {
    for (const client of this.clients) {
      if (!client.alive) {
        client.socket.terminate();
        this.clients.delete(client);
        continue;
      }
      client.alive = false;
      client.socket.ping();
    }
  }

  /** Drops the sockets whose session ended (signed out, expired, account disabled) since they opened. */
  async recheckSessions(): Promise<void> {
    for (const client of [...this.clients]) {
      try {
        client.session = await this.deps.sessions.authenticate(client.token);
      } catch (error) {
        if (!(error instanceof AppError)) {
          this.deps.logger.warn({ err: error }, 'agent socket session check failed');
          continue;
        }
        client.socket.close(LIVE_CLOSE.sessionEnded, 'session ended: sign in again');
        this.clients.delete(client);
      }
    }
  }
}

class ForbiddenOriginError extends ForbiddenError {
  constructor() {
    super('The agent console socket opens only from this site');
  }
}

class LiveRequestError extends ValidationError {}

/** Answers a refused upgrade with a plain HTTP response and closes the connection. */
function refuse(socket: Duplex, status: number, code: string, message: string): void {
  if (!socket.writable) return;
  const body = JSON.stringify({ error: { code, message } });
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? 'Error'}\r\n` +
      'Content-Type: application/json\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\n` +
      'Cache-Control: no-store\r\n' +
      'Connection: close\r\n\r\n' +
      body,
  );
}

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};
