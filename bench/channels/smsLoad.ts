/**
 * The SMS benchmark's other side, run as its own process (its own event loop and heap, as Twilio is
 * another machine in production): the fake Twilio API and a load generator that posts signed
 * incoming-message webhooks. Driven over IPC by bench/channels/sms.ts (forked with tsx).
 * Every message comes from a new number, so the reply the fake API receives for that number is the
 * reply to that message: a completed turn, timed from the webhook POST to the reply's arrival.
 */
import http from 'node:http';
import twilio from 'twilio';
import { FakeTwilioApi } from '../../test/support/fakeTwilio';

export interface LoadWorkerData {
  accountSid: string;
  authToken: string;
  fromNumber: string;
  publicBaseUrl: string;
}

export type LoadCommand =
  | { id: number; cmd: 'target'; port: number }
  | { id: number; cmd: 'open'; phase: string; count: number; rate: number }
  | { id: number; cmd: 'closed'; phase: string; count: number; concurrency: number }
  | { id: number; cmd: 'turns'; phase: string }
  | { id: number; cmd: 'count' }
  | { id: number; cmd: 'close' };

export interface LoadRun {
  /** Webhook POST → its 200 (the acknowledgement). */
  latenciesMs: number[];
  ok: number;
  elapsedSeconds: number;
}

/** Turns of one phase completed so far: a reply to the message's number reached the fake Twilio API. */
export interface TurnsRun {
  sent: number;
  completed: number;
  /** Webhook POSTed → the first reply to that number at the fake API. */
  turnMs: number[];
  /** First message sent → last first-reply received, seconds (NaN when nothing completed). */
  spanSeconds: number;
}

const MESSAGES = [
  'my carplay keeps disconnecting',
  'hi',
  'how long does a repair take?',
  'is shipping free under warranty?',
  'what is the status of my repair',
  'the screen is black after the update',
];

async function main(): Promise<void> {
  const send = process.send?.bind(process);
  if (!send) throw new Error('smsLoad runs as a forked child process');
  const data = JSON.parse(process.argv[2] ?? '{}') as LoadWorkerData;
  const fake = await FakeTwilioApi.start({ accountSid: data.accountSid, authToken: data.authToken });
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  let appPort = 0;
  let sequence = 0;
  /** Per phase: each message's number and when its webhook was POSTed (epoch ms, as the fake's receivedAt). */
  const phases = new Map<string, Array<{ from: string; sentAt: number }>>();

  // Signed ahead of time so the generator spends its time sending, not computing HMACs.
  const prepare = (count: number): Array<{ signature: string; body: string; from: string }> =>
    Array.from({ length: count }, () => {
      sequence += 1;
      const from = `+1555${String(sequence).padStart(7, '0')}`;
      const params = {
        MessageSid: `SM${sequence.toString(16).padStart(32, '0')}`,
        AccountSid: data.accountSid,
        From: from,
        To: data.fromNumber,
        Body: MESSAGES[sequence % MESSAGES.length],
        NumMedia: '0',
        NumSegments: '1',
        ApiVersion: '2010-04-01',
      };
      const signature = twilio.getExpectedTwilioSignature(
        data.authToken,
        `${data.publicBaseUrl}/api/sms`,
        params,
      );
      return { signature, body: new URLSearchParams(params).toString(), from };
    });

  const post = (
    phase: string,
    message: { signature: string; body: string; from: string },
  ): Promise<{ latencyMs: number; status: number }> =>
    new Promise((resolve, reject) => {
      const started = process.hrtime.bigint();
      phases.get(phase)?.push({ from: message.from, sentAt: Date.now() });
      const req = http.request(
        {
          host: '127.0.0.1',
          port: appPort,
          path: '/api/sms',
          method: 'POST',
          agent,
          headers: {
            'Content-Type': 'application/x-www-form-urlencoded',
            'Content-Length': Buffer.byteLength(message.body),
            'X-Twilio-Signature': message.signature,
          },
        },
        (res) => {
          res.resume();
          res.on('end', () =>
            resolve({
              latencyMs: Number(process.hrtime.bigint() - started) / 1e6,
              status: res.statusCode ?? 0,
            }),
          );
        },
      );
      req.on('error', reject);
      req.end(message.body);
    });

  const summarise = (shots: Array<{ latencyMs: number; status: number }>, started: number): LoadRun => ({
    latenciesMs: shots.map((shot) => shot.latencyMs),
    ok: shots.filter((shot) => shot.status === 200).length,
    elapsedSeconds: (performance.now() - started) / 1000,
  });

  const openLoop = async (phase: string, count: number, rate: number): Promise<LoadRun> => {
    const messages = prepare(count);
    phases.set(phase, []);
    const shots: Array<Promise<{ latencyMs: number; status: number }>> = [];
    const started = performance.now();
    await new Promise<void>((resolve) => {
      const tick = (): void => {
        const due = Math.min(messages.length, Math.floor(((performance.now() - started) / 1000) * rate) + 1);
        while (shots.length < due) shots.push(post(phase, messages[shots.length]));
        if (shots.length >= messages.length) resolve();
        else setTimeout(tick, 1);
      };
      tick();
    });
    return summarise(await Promise.all(shots), started);
  };

  const closedLoop = async (phase: string, count: number, concurrency: number): Promise<LoadRun> => {
    const messages = prepare(count);
    phases.set(phase, []);
    const shots: Array<{ latencyMs: number; status: number }> = [];
    let next = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        for (let index = next++; index < messages.length; index = next++)
          shots.push(await post(phase, messages[index]));
      }),
    );
    return summarise(shots, started);
  };

  const turns = (phase: string): TurnsRun => {
    const firstReply = new Map<string, number>();
    for (const message of fake.messages) {
      const at = message.receivedAt.getTime();
      const known = firstReply.get(message.to);
      if (known === undefined || at < known) firstReply.set(message.to, at);
    }
    const sent = phases.get(phase) ?? [];
    const turnMs: number[] = [];
    let last = Number.NEGATIVE_INFINITY;
    for (const { from, sentAt } of sent) {
      const at = firstReply.get(from);
      if (at === undefined) continue;
      turnMs.push(at - sentAt);
      last = Math.max(last, at);
    }
    const first = sent.length > 0 ? Math.min(...sent.map((entry) => entry.sentAt)) : Number.NaN;
    return {
      sent: sent.length,
      completed: turnMs.length,
      turnMs,
      spanSeconds: turnMs.length > 0 ? (last - first) / 1000 : Number.NaN,
    };
  };

  process.on('message', (command: LoadCommand) => {
    const answer = (result: unknown): void => void send({ id: command.id, result });
    const fail = (error: unknown): void => void send({ id: command.id, error: String(error) });
    switch (command.cmd) {
      case 'target':
        appPort = command.port;
        answer(null);
        return;
      case 'open':
        openLoop(command.phase, command.count, command.rate).then(answer, fail);
        return;
      case 'closed':
        closedLoop(command.phase, command.count, command.concurrency).then(answer, fail);
        return;
      case 'turns':
        answer(turns(command.phase));
        return;
      case 'count':
        answer(fake.messages.length);
        return;
      case 'close':
        agent.destroy();
        fake.close().then(() => {
          answer(null);
          process.disconnect();
        }, fail);
        return;
    }
  });
  send({ ready: fake.baseUrl });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
