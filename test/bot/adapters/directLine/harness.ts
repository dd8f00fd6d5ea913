import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  ActivityHandler,
  CloudAdapter,
  ConfigurationBotFrameworkAuthentication,
  type BotState,
  type ConversationReference,
  type TurnContext,
} from 'botbuilder';
import pino from 'pino';
import { WebSocket } from 'ws';
import { loadConfig, type AppConfig } from '../../../../src/config';
import { closeServer, makeServer, type SupportServer, type TurnRunner } from '../../../../src/bot/server';
import { WebChatChannel } from '../../../../src/bot/adapters/directLine/webChatChannel';
import { webChatSite } from '../../../../src/web/webChatSite';
import { strictTransportSecurity } from '../../../../src/bot/http/strictTransportSecurity';
import { startTestStore, type TestStore } from '../../../support/testStore';

export interface DirectLineActivityJson {
  id: string;
  type: string;
  text?: string;
  timestamp: string;
  replyToId?: string;
  from: { id: string; name?: string; role?: string };
  channelData?: Record<string, unknown>;
  attachments?: Array<{ contentType: string; contentUrl?: string; name?: string }>;
  serviceUrl?: string;
}

export interface ActivitySet {
  activities: DirectLineActivityJson[];
  watermark?: string;
}

/**
 * A small bot that makes the protocol observable: a welcome on membersAdded, an echo, photo
 * receipts, a turn that waits for the test, and a proactive message through the adapter.
 */
export class ProbeBot extends ActivityHandler {
  readonly received: Array<Partial<TurnContext['activity']>> = [];
  readonly references = new Map<string, Partial<ConversationReference>>();
  private release: (() => void) | undefined;
  private gate: Promise<void> | undefined;

  constructor() {
    super();
    this.onMembersAdded(async (context, next) => {
      for (const member of context.activity.membersAdded ?? []) {
        if (member.id !== context.activity.recipient.id)
          await context.sendActivity('Welcome to CarlinKit support!');
      }
      await next();
    });
    this.onMessage(async (context, next) => {
      const { activity } = context;
      this.received.push({ ...activity });
      this.references.set(activity.conversation.id, TurnContextReference(context));
      if (activity.text === 'wait') {
        await this.gate;
        await context.sendActivity('done waiting');
      } else if (activity.text === 'reply then wait') {
        // A reply sent before the turn has finished (its state saved last, as SupportBot does).
        await context.sendActivity('replied early');
        await this.gate;
      } else if (activity.text === 'reply then fail') {
        await context.sendActivity('reply of a failed turn');
        throw new Error('the turn failed after replying');
      } else if (activity.attachments?.length) {
        await context.sendActivity(
          `got ${activity.attachments.length} photo(s): ${activity.attachments.map((a) => `${a.name} ${a.contentType}`).join(', ')}`,
        );
      } else {
        await context.sendActivity({ type: 'typing' });
        await context.sendActivity(`echo: ${activity.text ?? ''}`);
      }
      await next();
    });
  }

  /** The next "wait" message blocks its turn until the returned function is called. */
  hold(): () => void {
    this.gate = new Promise((resolve) => {
      this.release = resolve;
    });
    return () => this.release?.();
  }
}

function TurnContextReference(context: TurnContext): Partial<ConversationReference> {
  const { activity } = context;
  return {
    activityId: activity.id,
    user: activity.from,
    bot: activity.recipient,
    conversation: activity.conversation,
    channelId: activity.channelId,
    serviceUrl: activity.serviceUrl,
    locale: activity.locale,
  };
}

export interface Harness {
  readonly base: string;
  readonly config: AppConfig;
  readonly channel: WebChatChannel;
  readonly adapter: CloudAdapter;
  readonly bot: ProbeBot;
  readonly store: TestStore;
  /** Shift the channel's clock (token expiry) without waiting. */
  readonly clock: { offsetMs: number };
  /** What reached the adapter's onTurnError. */
  readonly turnErrors: unknown[];
  /** Stops the server (and, unless keepStore, the store and the temp dir). */
  close(options?: { keepStore?: boolean }): Promise<void>;
}

export interface HarnessOptions {
  env?: Record<string, string>;
  store?: TestStore;
  dataDir?: string;
  fetch?: typeof fetch;
  /** Runs the turns instead of the probe bot, with its conversation state handed to the channel. */
  turns?: { bot: TurnRunner; conversationState: BotState };
}

/** The real channel, server and store (embedded, in memory) on 127.0.0.1:0, with the probe bot. */
export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const dataDir = options.dataDir ?? (await mkdtemp(path.join(os.tmpdir(), 'directline-')));
  const store = options.store ?? (await startTestStore());
  const config = loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    DATA_DIR: dataDir,
    BACKOFFICE_TOKEN: 'backoffice-token-for-tests-0123456789',
    DIRECTLINE_TOKENS_PER_MINUTE: '600',
    ...options.env,
  });
  const logger = pino({ level: 'silent' });
  const clock = { offsetMs: 0 };
  const now = (): Date => new Date(Date.now() + clock.offsetMs);
  const channel = await WebChatChannel.create({
    config,
    logger,
    connection: store.connection,
    now,
    fetch: options.fetch,
  });
  const adapter = new CloudAdapter(
    channel.authentication(new ConfigurationBotFrameworkAuthentication({ ...config.botAuth })),
  );
  const turnErrors: unknown[] = [];
  adapter.onTurnError = (_context, error) => {
    turnErrors.push(error);
    return Promise.resolve();
  };
  const bot = new ProbeBot();
  const turnBot = options.turns?.bot ?? bot;
  const support: SupportServer = makeServer({
    config,
    logger,
    adapter,
    bot: turnBot,
    registrars: [
      channel.registrar(adapter, turnBot, options.turns?.conversationState),
      webChatSite({
        logger,
        azureEndpoint: config.directLine.azureSecret ? config.directLine.azureEndpoint : undefined,
        allowedOrigins: config.webChat.allowedOrigins,
      }),
      strictTransportSecurity(config.http.publicBaseUrl),
    ],
    readiness: () => Promise.resolve({ ready: true, checks: {} }),
  });
  await new Promise<void>((resolve) => {
    support.server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = support.server.address();
  return {
    base: `http://127.0.0.1:${port}`,
    config,
    channel,
    adapter,
    bot,
    store,
    clock,
    turnErrors,
    async close(closeOptions = {}) {
      await channel.stop(2_000);
      await closeServer(support, 2_000, logger);
      if (!closeOptions.keepStore) {
        await store.close();
        if (!options.dataDir) await rm(dataDir, { recursive: true, force: true });
      }
    },
  };
}

export interface HttpResult<T = unknown> {
  status: number;
  headers: Headers;
  body: T;
}

export async function call<T = Record<string, unknown>>(
  harness: { base: string },
  method: string,
  pathname: string,
  options: {
    token?: string;
    json?: unknown;
    body?: RequestInit['body'];
    headers?: Record<string, string>;
  } = {},
): Promise<HttpResult<T>> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token) headers.Authorization = `Bearer ${options.token}`;
  let body = options.body;
  if (options.json !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(options.json);
  }
  const response = await fetch(`${harness.base}${pathname}`, { method, headers, body });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    // not JSON
  }
  return { status: response.status, headers: response.headers, body: parsed as T };
}

export interface StartedConversation {
  conversationId: string;
  token: string;
  userId: string;
  streamUrl: string;
}

/** What the page does: a token, then POST /conversations. */
export async function startConversation(harness: { base: string }): Promise<StartedConversation> {
  const generated = await call<{ conversationId: string; token: string }>(
    harness,
    'POST',
    '/v3/directline/tokens/generate',
  );
  const started = await call<{ conversationId: string; token: string; streamUrl: string }>(
    harness,
    'POST',
    '/v3/directline/conversations',
    {
      token: generated.body.token,
      json: {},
    },
  );
  if (started.status !== 201)
    throw new Error(`start failed: ${started.status} ${JSON.stringify(started.body)}`);
  return { ...started.body, userId: tokenUser(started.body.token) };
}

export function tokenUser(token: string): string {
  const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as {
    user: string;
  };
  return payload.user;
}

export async function activities(
  harness: { base: string },
  conversation: { conversationId: string; token: string },
  watermark?: string,
): Promise<ActivitySet> {
  const query = watermark === undefined ? '' : `?watermark=${watermark}`;
  const result = await call<ActivitySet>(
    harness,
    'GET',
    `/v3/directline/conversations/${conversation.conversationId}/activities${query}`,
    {
      token: conversation.token,
    },
  );
  if (result.status !== 200)
    throw new Error(`GET activities: ${result.status} ${JSON.stringify(result.body)}`);
  return result.body;
}

/** Polls the log until `predicate` holds (the turn runs after the POST is answered). */
export async function waitForActivities(
  harness: { base: string },
  conversation: { conversationId: string; token: string },
  predicate: (all: DirectLineActivityJson[]) => boolean,
  timeoutMs = 5_000,
): Promise<DirectLineActivityJson[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { activities: all } = await activities(harness, conversation);
    if (predicate(all)) return all;
    if (Date.now() > deadline)
      throw new Error(`timed out; log: ${JSON.stringify(all.map((a) => [a.from.role, a.text]))}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

export function say(
  harness: { base: string },
  conversation: { conversationId: string; token: string },
  text: string,
  clientActivityID = `client-${Math.random()}`,
) {
  return call<{ id: string }>(
    harness,
    'POST',
    `/v3/directline/conversations/${conversation.conversationId}/activities`,
    {
      token: conversation.token,
      json: {
        type: 'message',
        text,
        from: { id: 'someone-else', name: 'Ann' },
        channelData: { clientActivityID },
      },
    },
  );
}

/** A WebSocket on a streamUrl that collects every activity set it receives. */
export class StreamClient {
  readonly sets: ActivitySet[] = [];
  private readonly waiters: Array<() => void> = [];
  readonly closed: Promise<{ code: number; reason: string }>;

  private constructor(readonly socket: WebSocket) {
    socket.on('message', (data: Buffer) => {
      const text = data.toString('utf8');
      if (!text) return;
      this.sets.push(JSON.parse(text) as ActivitySet);
      for (const wake of this.waiters.splice(0)) wake();
    });
    this.closed = new Promise((resolve) =>
      socket.on('close', (code, reason) => resolve({ code, reason: reason.toString() })),
    );
  }

  static open(url: string): Promise<StreamClient> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(url);
      const client = new StreamClient(socket);
      socket.once('open', () => resolve(client));
      socket.once('error', reject);
      socket.once('unexpected-response', (_req, res) =>
        reject(new Error(`handshake refused: ${res.statusCode}`)),
      );
    });
  }

  get activities(): DirectLineActivityJson[] {
    return this.sets.flatMap((set) => set.activities);
  }

  async waitFor(
    predicate: (all: DirectLineActivityJson[]) => boolean,
    timeoutMs = 5_000,
  ): Promise<DirectLineActivityJson[]> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate(this.activities)) {
      const left = deadline - Date.now();
      if (left <= 0)
        throw new Error(
          `stream timed out; got: ${JSON.stringify(this.activities.map((a) => [a.type, a.from.role, a.text]))}`,
        );
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return this.activities;
  }

  async close(): Promise<void> {
    if (this.socket.readyState === WebSocket.CLOSED) return;
    this.socket.close();
    await this.closed;
  }
}

/** Handshake status for a streamUrl that should be refused. */
export function refusedStatus(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url);
    socket.once('unexpected-response', (_req, res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
      socket.terminate();
    });
    socket.once('open', () => {
      socket.close();
      reject(new Error('the handshake was accepted'));
    });
    socket.once('error', () => undefined);
  });
}

export function multipartBody(
  parts: Array<{ name: string; filename?: string; contentType: string; data: Buffer }>,
): { body: Buffer; contentType: string } {
  const boundary = `----probe${Math.random().toString(16).slice(2)}`;
  const chunks: Buffer[] = [];
  for (const part of parts) {
    const filename = part.filename === undefined ? '' : `; filename="${part.filename}"`;
    chunks.push(
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="${part.name}"${filename}\r\nContent-Type: ${part.contentType}\r\n\r\n`,
      ),
    );
    chunks.push(part.data, Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(chunks), contentType: `multipart/form-data; boundary=${boundary}` };
}

/** The smallest real PNG (1×1). */
export const PNG_1X1 = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==',
  'base64',
);
