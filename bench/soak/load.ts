/**
 * The soak benchmark's load generator, in its own process (forked by bench/soak.ts) so it does not
 * share the app's event loop. It hosts the fake Twilio API the app sends SMS to, and runs a steady
 * mix of customers until told to stop: web chat FAQ questions, SMS FAQ questions, full repair
 * registrations (web chat and SMS alternately) and status checks of the registered tickets by SMS.
 * Every `windowMs` it reports the window's reply latencies and errors to the parent.
 */
import { FakeTwilioApi } from '../../test/support/fakeTwilio';
import { ACCOUNT_SID, AUTH_TOKEN } from '../../test/faults/support/appProcess';
import {
  registerRepair,
  SmsChannel,
  WebChatChannel,
  type Channel,
} from '../../test/faults/support/customers';

export interface SoakWindow {
  kind: 'window';
  atMs: number;
  /** Message → first reply, per customer kind. */
  latencies: Record<'webchat' | 'sms' | 'status', number[]>;
  registrations: number;
  errors: number;
}

export type ToLoad = { kind: 'start'; base: string; windowMs: number; users: LoadMix } | { kind: 'stop' };
export type FromLoad = { kind: 'twilio'; baseUrl: string } | SoakWindow | { kind: 'stopped' };

export interface LoadMix {
  webChatFaq: number;
  smsFaq: number;
  registrations: number;
  statusChecks: number;
  thinkMs: number;
}

const FAQ = [
  'how long does a repair take?',
  'is shipping free under warranty?',
  'how much does a repair cost?',
  'how long is the warranty?',
  'where do I send my adapter for repair?',
];

const send = (message: FromLoad): void => {
  process.send?.(message);
};
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function main(): Promise<void> {
  const twilio = await FakeTwilioApi.start({ accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN });
  send({ kind: 'twilio', baseUrl: twilio.baseUrl });
  const start = await new Promise<Extract<ToLoad, { kind: 'start' }>>((resolve) =>
    process.once('message', (message: ToLoad) => {
      if (message.kind === 'start') resolve(message);
    }),
  );
  let running = true;
  process.on('message', (message: ToLoad) => {
    if (message.kind === 'stop') running = false;
  });
  const base = (): string => start.base;
  const started = performance.now();
  let window: SoakWindow = fresh();
  function fresh(): SoakWindow {
    return {
      kind: 'window',
      atMs: 0,
      latencies: { webchat: [], sms: [], status: [] },
      registrations: 0,
      errors: 0,
    };
  }
  const tickets: Array<{ ticketNumber: string; phone: string }> = [];
  let phoneCounter = 0;
  const nextPhone = (): string => `+1646${String((phoneCounter += 1)).padStart(7, '0')}`;

  /** Sends and waits for the first reply; the latency goes into the window (NaN → error). */
  async function ask(channel: Channel, text: string, kind: keyof SoakWindow['latencies'], expect: RegExp) {
    const sent = performance.now();
    if (!(await channel.send(text))) {
      window.errors += 1;
      return;
    }
    for (;;) {
      const said = (await channel.read()).join('\n');
      if (said && expect.test(said)) {
        window.latencies[kind].push(performance.now() - sent);
        return;
      }
      if (performance.now() - sent > 15_000) {
        window.errors += 1;
        return;
      }
      await sleep(20);
    }
  }

  const loops: Array<Promise<void>> = [];
  const think = (): Promise<void> => sleep(start.users.thinkMs * (0.5 + Math.random()));
  for (let index = 0; index < start.users.webChatFaq; index += 1) {
    loops.push(
      (async () => {
        while (running) {
          // A fresh conversation every 20 questions, as visitors come and go.
          const channel = await WebChatChannel.open(base);
          for (let turn = 0; turn < 20 && running; turn += 1) {
            await ask(channel, FAQ[turn % FAQ.length], 'webchat', /./);
            await think();
          }
        }
      })(),
    );
  }
  for (let index = 0; index < start.users.smsFaq; index += 1) {
    loops.push(
      (async () => {
        const channel = new SmsChannel(base, twilio, nextPhone());
        for (let turn = 0; running; turn += 1) {
          await ask(channel, FAQ[turn % FAQ.length], 'sms', /./);
          await think();
        }
      })(),
    );
  }
  for (let index = 0; index < start.users.registrations; index += 1) {
    loops.push(
      (async () => {
        for (let round = 0; running; round += 1) {
          const phone = nextPhone();
          const channel =
            round % 2 === 0 ? await WebChatChannel.open(base) : new SmsChannel(base, twilio, phone);
          const outcome = await registerRepair(
            channel,
            { index, serial: `CKSOAK${index}R${round}`, phone, email: `soak${index}@example.com` },
            {
              patienceMs: 15_000,
              giveUpMs: 60_000,
              thinkMs: () => start.users.thinkMs,
              pollMs: 50,
              smsTo: (to) => twilio.messagesTo(to),
            },
          );
          if (outcome.done) {
            window.registrations += 1;
            tickets.push({ ticketNumber: outcome.ticketNumbers[0], phone });
          } else window.errors += 1;
        }
      })(),
    );
  }
  for (let index = 0; index < start.users.statusChecks; index += 1) {
    loops.push(
      (async () => {
        while (running) {
          const ticket = tickets[Math.floor(Math.random() * tickets.length)];
          if (!ticket) {
            await sleep(500);
            continue;
          }
          const channel = new SmsChannel(base, twilio, ticket.phone);
          await channel.read(); // what this number got before is not the answer to this question
          await ask(channel, `what's the status of my repair ${ticket.ticketNumber}?`, 'status', /./);
          await think();
        }
      })(),
    );
  }

  const reporter = setInterval(() => {
    window.atMs = performance.now() - started;
    send(window);
    window = fresh();
  }, start.windowMs);
  await Promise.all(loops);
  clearInterval(reporter);
  await twilio.close();
  send({ kind: 'stopped' });
}

main().catch((error: unknown) => {
  process.stderr.write(`soak load failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
