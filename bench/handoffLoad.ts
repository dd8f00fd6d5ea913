/**
 * The handoff benchmark's load, run as its own process (forked by bench/handoff.ts), so the
 * browsers and consoles share neither the apps' event loops nor their heaps. It plays:
 *   - web chat customers on `customerBase` (Direct Line over WebSocket, as Web Chat does), each of
 *     whom asks for a person, so every conversation is handed off;
 *   - agent consoles on `agentBase`: signed in, the live WebSocket open, each claiming its share.
 * Then two measured phases: customers write (message POSTed → the holder's console receives it
 * on its socket), and agents reply (reply POSTed → the customer's Web Chat socket receives it).
 */
import { WebSocket } from 'ws';

export interface HandoffLoadData {
  customerBase: string;
  agentBase: string;
  conversations: number;
  agents: Array<{ email: string; password: string }>;
  /** Seconds per measured phase. */
  seconds: number;
  /** Each conversation sends one message this often (ms) in each phase. */
  everyMs: number;
  timeoutMs: number;
}

export interface HandoffLoadResult {
  /** Customer message POSTed → visible on the holding agent's console socket. */
  toConsoleMs: number[];
  /** Agent reply POSTed → visible on the customer's Web Chat socket. */
  toWebChatMs: number[];
  missingToConsole: number;
  missingToWebChat: number;
  errors: number;
  firstError?: string;
  handedOff: number;
}

interface Activity {
  type?: string;
  text?: string;
  from?: { role?: string };
}

const nonceOf = (text: string): string | undefined => /\bn[0-9a-z]+x\b/.exec(text)?.[0];

class Customer {
  private readonly seen = new Map<string, number>();
  private readonly waiters = new Map<string, (at: number) => void>();
  botMessages = 0;

  private constructor(
    private readonly base: string,
    readonly conversationId: string,
    private readonly token: string,
    private readonly socket: WebSocket,
  ) {}

  static async open(base: string): Promise<Customer> {
    const page = (await postJson(`${base}/api/directline/token`)) as { token: string };
    const started = (await postJson(`${base}/v3/directline/conversations`, {
      token: page.token,
      body: {},
    })) as {
      conversationId: string;
      token: string;
      streamUrl: string;
    };
    const socket = new WebSocket(started.streamUrl);
    const customer = new Customer(base, started.conversationId, started.token, socket);
    socket.on('message', (data: Buffer) => {
      const text = data.toString('utf8');
      if (!text) return;
      const at = performance.now();
      for (const activity of (JSON.parse(text) as { activities: Activity[] }).activities) {
        if (activity.type !== 'message' || activity.from?.role === 'user') continue;
        customer.botMessages += 1;
        const nonce = nonceOf(activity.text ?? '');
        if (!nonce || customer.seen.has(nonce)) continue;
        customer.seen.set(nonce, at);
        customer.waiters.get(nonce)?.(at);
      }
    });
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });
    return customer;
  }

  async say(text: string): Promise<void> {
    await postJson(`${this.base}/v3/directline/conversations/${this.conversationId}/activities`, {
      token: this.token,
      body: { type: 'message', text, channelData: { clientActivityID: `bench-${performance.now()}` } },
    });
  }

  /** Resolves with when `nonce` arrived (NaN after the timeout). */
  arrival(nonce: string, timeoutMs: number): Promise<number> {
    const already = this.seen.get(nonce);
    if (already !== undefined) return Promise.resolve(already);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiters.delete(nonce);
        resolve(Number.NaN);
      }, timeoutMs);
      this.waiters.set(nonce, (at) => {
        clearTimeout(timer);
        this.waiters.delete(nonce);
        resolve(at);
      });
    });
  }

  close(): void {
    this.socket.close();
  }
}

class Console {
  readonly queued = new Set<string>();
  private readonly seen = new Map<string, number>();
  private readonly waiters = new Map<string, (at: number) => void>();
  private queuedWaiters: Array<() => void> = [];

  private constructor(
    private readonly base: string,
    readonly cookie: string,
    readonly csrf: string,
    private readonly socket: WebSocket,
  ) {}

  static async open(base: string, email: string, password: string): Promise<Console> {
    const response = await fetch(`${base}/agent/api/sign-in`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ email, password }),
    });
    const body = (await response.json()) as { csrfToken?: string };
    if (!response.ok || !body.csrfToken) throw new Error(`sign-in ${email}: ${response.status}`);
    const cookie = (response.headers.get('set-cookie') ?? '').split(';')[0];
    const socket = new WebSocket(
      `${base.replace(/^http/, 'ws')}/agent/api/live`,
      ['ck-agent.v1', `csrf.${body.csrfToken}`],
      {
        headers: { cookie },
        origin: base,
      },
    );
    const live = new Console(base, cookie, body.csrfToken, socket);
    socket.on('message', (data: Buffer) => {
      const at = performance.now();
      const frame = JSON.parse(data.toString('utf8')) as {
        type: string;
        event?: { type: string; conversationId: string; entry?: { text: string } };
      };
      const event = frame.event;
      if (!event) return;
      if (event.type === 'queued') {
        live.queued.add(event.conversationId);
        for (const wake of live.queuedWaiters.splice(0)) wake();
      }
      if (event.type !== 'customer_message') return;
      const nonce = nonceOf(event.entry?.text ?? '');
      if (!nonce || live.seen.has(nonce)) return;
      live.seen.set(nonce, at);
      live.waiters.get(nonce)?.(at);
    });
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
      socket.once('unexpected-response', (_req, res) => reject(new Error(`live socket: ${res.statusCode}`)));
    });
    return live;
  }

  async waitQueued(ids: readonly string[], timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!ids.every((id) => this.queued.has(id))) {
      if (Date.now() > deadline)
        throw new Error(`only ${ids.filter((id) => this.queued.has(id)).length}/${ids.length} handed off`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 200);
        this.queuedWaiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  async act(conversationId: string, action: string, body: unknown = {}): Promise<void> {
    await postJson(`${this.base}/agent/api/conversations/${encodeURIComponent(conversationId)}/${action}`, {
      body,
      headers: { cookie: this.cookie, 'x-csrf-token': this.csrf },
    });
  }

  arrival(nonce: string, timeoutMs: number): Promise<number> {
    const already = this.seen.get(nonce);
    if (already !== undefined) return Promise.resolve(already);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiters.delete(nonce);
        resolve(Number.NaN);
      }, timeoutMs);
      this.waiters.set(nonce, (at) => {
        clearTimeout(timer);
        this.waiters.delete(nonce);
        resolve(at);
      });
    });
  }

  close(): void {
    this.socket.close();
  }
}

async function postJson(
  url: string,
  options: { token?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<unknown> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token) headers.Authorization = `Bearer ${options.token}`;
  if (options.body !== undefined) headers['Content-Type'] = 'application/json';
  const response = await fetch(url, {
    method: 'POST',
    headers,
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${url}: ${response.status} ${text.slice(0, 200)}`);
  return text ? (JSON.parse(text) as unknown) : {};
}

let counter = 0;
const nonce = (): string => `n${(counter += 1).toString(36)}${Math.random().toString(36).slice(2, 6)}x`;

async function main(): Promise<void> {
  const send = process.send?.bind(process);
  if (!send) throw new Error('handoffLoad runs as a forked child process');
  const data = JSON.parse(process.argv[2] ?? '{}') as HandoffLoadData;
  const result: HandoffLoadResult = {
    toConsoleMs: [],
    toWebChatMs: [],
    missingToConsole: 0,
    missingToWebChat: 0,
    errors: 0,
    handedOff: 0,
  };
  const fail = (error: unknown): void => {
    result.errors += 1;
    result.firstError ??= String(error);
  };

  const consoles: Console[] = [];
  for (const agent of data.agents)
    consoles.push(await Console.open(data.agentBase, agent.email, agent.password));

  // Customers arrive a few at a time, each asking for a person.
  const customers: Customer[] = [];
  for (let index = 0; index < data.conversations; index += 20) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(20, data.conversations - index) }, () =>
        Customer.open(data.customerBase),
      ),
    );
    await Promise.all(batch.map((customer) => customer.say('I want to talk to a person')));
    customers.push(...batch);
  }
  await consoles[0].waitQueued(
    customers.map((customer) => customer.conversationId),
    60_000,
  );
  result.handedOff = customers.length;

  // Each console claims its share: customer i belongs to console i mod N.
  const holder = (index: number): Console => consoles[index % consoles.length];
  for (let index = 0; index < customers.length; index += 20) {
    await Promise.all(
      customers.slice(index, index + 20).map((customer, offset) =>
        holder(index + offset)
          .act(customer.conversationId, 'claim')
          .catch(fail),
      ),
    );
  }
  await sleep(1_000);

  const phase = async (run: (index: number) => Promise<void>): Promise<void> => {
    const endAt = performance.now() + data.seconds * 1000;
    await Promise.all(
      customers.map(async (_customer, index) => {
        await sleep((index * data.everyMs) / customers.length);
        while (performance.now() < endAt) {
          const started = performance.now();
          await run(index).catch(fail);
          await sleep(Math.max(0, data.everyMs - (performance.now() - started)));
        }
      }),
    );
  };

  // Phase 1: customer → console.
  await phase(async (index) => {
    const customer = customers[index];
    const tag = nonce();
    const arrived = holder(index).arrival(tag, data.timeoutMs);
    const started = performance.now();
    await customer.say(`still there? ${tag}`);
    const at = await arrived;
    if (Number.isNaN(at)) result.missingToConsole += 1;
    else result.toConsoleMs.push(at - started);
  });

  // Phase 2: agent → Web Chat.
  await phase(async (index) => {
    const customer = customers[index];
    const tag = nonce();
    const arrived = customer.arrival(tag, data.timeoutMs);
    const started = performance.now();
    await holder(index).act(customer.conversationId, 'reply', { text: `Checking that for you ${tag}` });
    const at = await arrived;
    if (Number.isNaN(at)) result.missingToWebChat += 1;
    else result.toWebChatMs.push(at - started);
  });

  for (const one of [...customers, ...consoles]) one.close();
  send(result, () => process.exit(0));
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

main().catch((error: unknown) => {
  process.send?.({ fatal: String(error instanceof Error ? error.stack : error) }, () => process.exit(1));
});
