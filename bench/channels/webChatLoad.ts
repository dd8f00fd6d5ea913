/**
 * The web chat benchmark's clients, run as their own process (forked by bench/channels/webChat.ts)
 * so they share neither the app's event loop nor its heap (in production the browsers are other
 * machines). Each client does what Web Chat does:
 * POST /api/directline/token, POST /conversations, open the streamUrl WebSocket, then sends a
 * message, waits for the bot's reply to it on the socket, thinks a little, and sends the next.
 */
import { WebSocket } from 'ws';

export interface WebChatLoadData {
  base: string;
  clients: number;
  warmupSeconds: number;
  seconds: number;
  thinkMs: number;
  /** Give up on a reply after this long (counted as missing). */
  replyTimeoutMs: number;
}

export interface WebChatLoadResult {
  /** Message POSTed → the bot's first reply to it received on the WebSocket. */
  replyMs: number[];
  /** Message POSTed → the POST answered (the echo's id). */
  postMs: number[];
  sent: number;
  missing: number;
  errors: number;
  firstError?: string;
  seconds: number;
}

/** Questions the bot answers in one turn (after-sales FAQ), so every message has a reply. */
const MESSAGES = [
  'how long does a repair take?',
  'is shipping free under warranty?',
  'how much does a repair cost?',
  'how long is the warranty?',
  'where do I send my adapter for repair?',
];

interface Activity {
  id?: string;
  type?: string;
  replyToId?: string;
  from?: { role?: string };
}

class Client {
  private readonly replies = new Map<string, number>();
  private readonly waiters = new Map<string, (at: number) => void>();
  private welcomed!: Promise<void>;

  private constructor(
    private readonly base: string,
    private readonly conversationId: string,
    private readonly token: string,
    private readonly socket: WebSocket,
  ) {}

  static async open(base: string): Promise<Client> {
    const page = (await postJson(`${base}/api/directline/token`)) as { token: string };
    const started = (await postJson(`${base}/v3/directline/conversations`, page.token, {})) as {
      conversationId: string;
      token: string;
      streamUrl: string;
    };
    const socket = new WebSocket(started.streamUrl);
    const client = new Client(base, started.conversationId, started.token, socket);
    client.welcomed = new Promise((resolve) => {
      socket.on('message', (data: Buffer) => {
        const text = data.toString('utf8');
        if (!text) return;
        const set = JSON.parse(text) as { activities: Activity[] };
        const at = performance.now();
        for (const activity of set.activities) {
          if (activity.from?.role !== 'bot' || activity.type !== 'message') continue;
          if (!activity.replyToId) {
            resolve();
            continue;
          }
          if (client.replies.has(activity.replyToId)) continue;
          client.replies.set(activity.replyToId, at);
          client.waiters.get(activity.replyToId)?.(at);
        }
      });
    });
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });
    return client;
  }

  welcome(): Promise<void> {
    return this.welcomed;
  }

  /** Sends one message; resolves with [POST ms, reply ms] (reply NaN if it never came). */
  async send(text: string, timeoutMs: number): Promise<[number, number]> {
    const started = performance.now();
    const posted = (await postJson(
      `${this.base}/v3/directline/conversations/${this.conversationId}/activities`,
      this.token,
      {
        type: 'message',
        text,
        channelData: { clientActivityID: `bench-${started}` },
      },
    )) as { id: string };
    const postMs = performance.now() - started;
    // The reply can beat the POST's answer: the turn starts as soon as the message is stored.
    const already = this.replies.get(posted.id);
    if (already !== undefined) return [postMs, already - started];
    const at = await new Promise<number>((resolve) => {
      const timer = setTimeout(() => resolve(Number.NaN), timeoutMs);
      this.waiters.set(posted.id, (when) => {
        clearTimeout(timer);
        resolve(when);
      });
    });
    this.waiters.delete(posted.id);
    return [postMs, at - started];
  }

  close(): void {
    this.socket.close();
  }
}

async function postJson(url: string, token?: string, body?: unknown): Promise<unknown> {
  const headers: Record<string, string> = {};
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const response = await fetch(url, {
    method: 'POST',
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${url}: ${response.status} ${text.slice(0, 200)}`);
  return JSON.parse(text) as unknown;
}

async function main(): Promise<void> {
  const send = process.send?.bind(process);
  if (!send) throw new Error('webChatLoad runs as a forked child process');
  const data = JSON.parse(process.argv[2] ?? '{}') as WebChatLoadData;
  const result: WebChatLoadResult = {
    replyMs: [],
    postMs: [],
    sent: 0,
    missing: 0,
    errors: 0,
    seconds: data.seconds,
  };
  // Opened a few at a time: a real crowd arrives over seconds, not in one instant.
  const clients: Client[] = [];
  for (let index = 0; index < data.clients; index += 20) {
    const batch = Math.min(20, data.clients - index);
    clients.push(...(await Promise.all(Array.from({ length: batch }, () => Client.open(data.base)))));
  }
  await Promise.all(clients.map((client) => client.welcome()));

  const startedAt = performance.now();
  const measureFrom = startedAt + data.warmupSeconds * 1000;
  const endAt = measureFrom + data.seconds * 1000;
  await Promise.all(
    clients.map(async (client, index) => {
      // Stagger the first messages so the clients do not march in step.
      await sleep((index * Math.max(data.thinkMs, 100)) / data.clients);
      for (let turn = index; performance.now() < endAt; turn += 1) {
        const measured = performance.now() >= measureFrom;
        try {
          const [postMs, replyMs] = await client.send(MESSAGES[turn % MESSAGES.length], data.replyTimeoutMs);
          if (measured) {
            result.sent += 1;
            result.postMs.push(postMs);
            if (Number.isNaN(replyMs)) result.missing += 1;
            else result.replyMs.push(replyMs);
          }
        } catch (error) {
          result.errors += 1;
          result.firstError ??= String(error);
        }
        if (data.thinkMs > 0) await sleep(data.thinkMs);
      }
    }),
  );
  for (const client of clients) client.close();
  send(result, () => process.exit(0));
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

main().catch((error: unknown) => {
  process.send?.({ fatal: String(error instanceof Error ? error.stack : error) }, () => process.exit(1));
});
