import { CloudAdapter } from 'botbuilder';
import WebSocket from 'ws';
import type { AppConfig } from '../../src/config';
import { agentConsoleRoutes, type HandoffConsole } from '../../src/bot/routes/agentConsoleRoutes';
import { AGENT_LIVE_PATH, AGENT_LIVE_PROTOCOL, AgentLiveSocket } from '../../src/bot/routes/agentLiveSocket';
import { agentRoutes } from '../../src/bot/routes/agentRoutes';
import { makeServer } from '../../src/bot/server';
import { AgentAccounts } from '../../src/services/agents/agentAccounts';
import { AgentSessions } from '../../src/services/agents/agentSessions';
import { PasswordHasher } from '../../src/services/agents/passwordHasher';
import type { HandoffListener } from '../../src/services/handoff/types';
import { agentConsoleSite } from '../../src/web/agentConsoleSite';
import { FakeClock } from '../fixtures/tickets';
import { memoryLogger } from './silentLogger';
import type { TestStore } from './testStore';

export const AGENT_PASSWORD = 'correct horse battery';

export interface ConsoleReply {
  status: number;
  headers: Headers;
  body: { error?: { code: string; message: string; details?: unknown } } & Record<string, unknown>;
}

export interface SignedInAgent {
  cookie: string;
  csrf: string;
  agentId: string;
}

export interface ConsoleHarness {
  base: string;
  clock: FakeClock;
  accounts: AgentAccounts;
  sessions: AgentSessions;
  live: AgentLiveSocket;
  call(
    method: string,
    path: string,
    options?: { body?: unknown; cookie?: string; csrf?: string; headers?: Record<string, string> },
  ): Promise<ConsoleReply>;
  signIn(email: string): Promise<SignedInAgent>;
  /** Opens the live socket; resolves once it is open, or with the HTTP status of the refusal. */
  connect(options: {
    cookie?: string;
    csrf?: string;
    origin?: string;
    protocols?: string[];
  }): Promise<{ socket?: LiveClient; status?: number }>;
  close(): Promise<void>;
}

/** A console's socket as a test reads it: every frame kept, and a wait for the next that matches. */
export class LiveClient {
  readonly frames: Array<Record<string, unknown>> = [];
  private waiters: Array<() => void> = [];
  closeCode: number | undefined;

  constructor(readonly socket: WebSocket) {
    socket.on('message', (data: Buffer) => {
      this.frames.push(JSON.parse(data.toString()) as Record<string, unknown>);
      for (const wake of this.waiters.splice(0)) wake();
    });
    socket.on('close', (code) => {
      this.closeCode = code;
      for (const wake of this.waiters.splice(0)) wake();
    });
  }

  /** The events received so far (frames of type "event"). */
  events(): Array<Record<string, unknown>> {
    return this.frames
      .filter((frame) => frame.type === 'event')
      .map((frame) => frame.event as Record<string, unknown>);
  }

  async waitFor(
    match: (event: Record<string, unknown>) => boolean,
    what: string,
    timeoutMs = 5_000,
  ): Promise<Record<string, unknown>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.events().find(match);
      if (found) return found;
      if (this.closeCode !== undefined) throw new Error(`socket closed (${this.closeCode}) before ${what}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  async closed(timeoutMs = 5_000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    while (this.closeCode === undefined) {
      if (Date.now() > deadline) throw new Error('the socket stayed open');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return this.closeCode;
  }

  close(): void {
    this.socket.close();
  }
}

/**
 * A server with the console's routes (sign-in, API, live socket, page) on a store, over any
 * handoff service (the in-memory fake, or the real one). Agents: sam (agent), kim (agent), lee
 * (supervisor), all with AGENT_PASSWORD.
 */
export async function startConsoleHarness(
  store: TestStore,
  handoff: HandoffConsole & { subscribe(listener: HandoffListener): () => void },
  options: { unansweredQuestions?: () => Promise<[]>; overview?: () => Promise<unknown> } = {},
): Promise<ConsoleHarness> {
  const { logger } = memoryLogger();
  const clock = new FakeClock(new Date());
  const settings = { idleMinutes: 30, maxHours: 8 };
  const sessions = new AgentSessions({ connection: store.connection, settings, clock });
  const accounts = new AgentAccounts({
    connection: store.connection,
    sessions,
    hasher: new PasswordHasher({ N: 2 ** 12, r: 8, p: 1 }),
    clock,
  });
  await sessions.init();
  await accounts.init();
  for (const [email, name, role] of [
    ['sam@example.com', 'Sam', 'agent'],
    ['kim@example.com', 'Kim', 'agent'],
    ['lee@example.com', 'Lee', 'supervisor'],
  ] as const) {
    if (!(await accounts.list()).some((agent) => agent.email === email))
      await accounts.add({ email, name, role, password: AGENT_PASSWORD });
  }
  const http: AppConfig['http'] = {
    port: 0,
    host: '127.0.0.1',
    publicBaseUrl: 'http://127.0.0.1',
    bodyLimitBytes: 65_536,
    shutdownTimeoutMs: 1_000,
  };
  const live = new AgentLiveSocket({ sessions, handoff, publicBaseUrl: http.publicBaseUrl, logger });
  const { server } = makeServer({
    config: { http },
    logger,
    adapter: new CloudAdapter(),
    bot: { run: async () => {} },
    readiness: () => Promise.resolve({ ready: true, checks: {} }),
    registrars: [
      agentRoutes({
        accounts,
        sessions,
        config: { http, trustedProxies: { hops: 0 }, agentSessions: settings },
        logger,
        signInLimits: { perIpPerMinute: 1_000, perAccountPerMinute: 1_000 },
      }),
      agentConsoleRoutes({
        sessions,
        accounts,
        handoff,
        quickReplies: () => [{ id: 'warranty', label: 'Warranty', text: 'One year from delivery.' }],
        overview: options.overview ?? (() => Promise.resolve({ conversations: { total: 0 } })),
        ...(options.unansweredQuestions ? { unansweredQuestions: options.unansweredQuestions } : {}),
        logger,
      }),
      live.registrar(),
      agentConsoleSite({ logger }),
    ],
  });
  await new Promise<void>((resolve) => {
    server.listen(0, '127.0.0.1', () => resolve());
  });
  live.start();
  const port = server.address().port;
  const base = `http://127.0.0.1:${port}`;

  const call: ConsoleHarness['call'] = async (method, path, callOptions = {}) => {
    const headers: Record<string, string> = { ...callOptions.headers };
    if (callOptions.cookie !== undefined) headers.cookie = callOptions.cookie;
    if (callOptions.csrf !== undefined) headers['x-csrf-token'] = callOptions.csrf;
    let payload: string | undefined;
    if (callOptions.body !== undefined) {
      payload = JSON.stringify(callOptions.body);
      headers['content-type'] ??= 'application/json';
    }
    const response = await fetch(`${base}${path}`, { method, headers, body: payload });
    const text = await response.text();
    return {
      status: response.status,
      headers: response.headers,
      body: text ? (JSON.parse(text) as ConsoleReply['body']) : {},
    };
  };

  return {
    base,
    clock,
    accounts,
    sessions,
    live,
    call,
    async signIn(email) {
      const reply = await call('POST', '/agent/api/sign-in', { body: { email, password: AGENT_PASSWORD } });
      if (reply.status !== 200) throw new Error(`sign-in failed: ${JSON.stringify(reply.body)}`);
      const cookie = (reply.headers.get('set-cookie') ?? '').split(';')[0];
      return { cookie, csrf: String(reply.body.csrfToken), agentId: String(reply.body.agentId) };
    },
    connect(connectOptions) {
      return new Promise((resolve, reject) => {
        const headers: Record<string, string> = {};
        if (connectOptions.cookie !== undefined) headers.cookie = connectOptions.cookie;
        const origin = connectOptions.origin ?? base;
        const protocols = connectOptions.protocols ?? [
          AGENT_LIVE_PROTOCOL,
          ...(connectOptions.csrf !== undefined ? [`csrf.${connectOptions.csrf}`] : []),
        ];
        const socket = new WebSocket(`ws://127.0.0.1:${port}${AGENT_LIVE_PATH}`, protocols, {
          headers,
          ...(origin ? { origin } : {}),
        });
        const client = new LiveClient(socket);
        socket.once('open', () => resolve({ socket: client }));
        socket.once('unexpected-response', (_req, res) => {
          resolve({ status: res.statusCode });
          res.resume();
          socket.terminate();
        });
        socket.once('error', (error) => {
          if (socket.readyState !== WebSocket.OPEN) reject(error);
        });
      });
    },
    async close() {
      await live.stop();
      server.server.closeAllConnections();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
      });
    },
  };
}
