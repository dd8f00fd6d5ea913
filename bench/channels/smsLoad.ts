/**
 * The SMS benchmark's other side, run in a worker thread so it does not share the app's event loop
 * (in production Twilio is another machine): the fake Twilio API and a load generator that posts
 * signed incoming-message webhooks. Driven by messages from bench/channels/sms.ts.
 */
import http from 'node:http';
import { parentPort, workerData } from 'node:worker_threads';
import twilio from 'twilio';
import { FakeTwilioApi } from '../../test/support/fakeTwilio';

export interface LoadWorkerData {
  accountSid: string;
  authToken: string;
  fromNumber: string;
  publicBaseUrl: string;
  customers: number;
}

export type LoadCommand =
  | { id: number; cmd: 'target'; port: number }
  | { id: number; cmd: 'open'; count: number; rate: number }
  | { id: number; cmd: 'closed'; count: number; concurrency: number }
  | { id: number; cmd: 'count' }
  | { id: number; cmd: 'close' };

export interface LoadRun {
  latenciesMs: number[];
  ok: number;
  elapsedSeconds: number;
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
  const port = parentPort;
  if (!port) throw new Error('smsLoad runs as a worker thread');
  const data = workerData as LoadWorkerData;
  const fake = await FakeTwilioApi.start({ accountSid: data.accountSid, authToken: data.authToken });
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  let appPort = 0;
  let sequence = 0;

  // Signed ahead of time so the generator spends its time sending, not computing HMACs.
  const prepare = (count: number): Array<{ signature: string; body: string }> =>
    Array.from({ length: count }, () => {
      sequence += 1;
      const params = {
        MessageSid: `SM${sequence.toString(16).padStart(32, '0')}`,
        AccountSid: data.accountSid,
        From: `+1555${String(sequence % data.customers).padStart(7, '0')}`,
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
      return { signature, body: new URLSearchParams(params).toString() };
    });

  const post = (message: {
    signature: string;
    body: string;
  }): Promise<{ latencyMs: number; status: number }> =>
    new Promise((resolve, reject) => {
      const started = process.hrtime.bigint();
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

  const openLoop = async (count: number, rate: number): Promise<LoadRun> => {
    const messages = prepare(count);
    const shots: Array<Promise<{ latencyMs: number; status: number }>> = [];
    const started = performance.now();
    await new Promise<void>((resolve) => {
      const tick = (): void => {
        const due = Math.min(messages.length, Math.floor(((performance.now() - started) / 1000) * rate) + 1);
        while (shots.length < due) shots.push(post(messages[shots.length]));
        if (shots.length >= messages.length) resolve();
        else setTimeout(tick, 1);
      };
      tick();
    });
    return summarise(await Promise.all(shots), started);
  };

  const closedLoop = async (count: number, concurrency: number): Promise<LoadRun> => {
    const messages = prepare(count);
    const shots: Array<{ latencyMs: number; status: number }> = [];
    let next = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        for (let index = next++; index < messages.length; index = next++)
          shots.push(await post(messages[index]));
      }),
    );
    return summarise(shots, started);
  };

  port.on('message', (command: LoadCommand) => {
    const answer = (result: unknown): void => port.postMessage({ id: command.id, result });
    const fail = (error: unknown): void => port.postMessage({ id: command.id, error: String(error) });
    switch (command.cmd) {
      case 'target':
        appPort = command.port;
        answer(null);
        return;
      case 'open':
        openLoop(command.count, command.rate).then(answer, fail);
        return;
      case 'closed':
        closedLoop(command.count, command.concurrency).then(answer, fail);
        return;
      case 'count':
        answer(fake.messages.length);
        return;
      case 'close':
        agent.destroy();
        fake.close().then(() => {
          answer(null);
          port.close();
        }, fail);
        return;
    }
  });
  port.postMessage({ ready: fake.baseUrl });
}

void main();
