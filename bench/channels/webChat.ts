/**
 * Web chat benchmark: the real app (createApp, embedded store durable in a temp dir, the real
 * dialogs) with its local Direct Line. A separate process (bench/channels/webChatLoad.ts, forked)
 * plays Web Chat clients over WebSocket: each sends a message, waits for the bot's reply to it on
 * its stream, thinks (or not), and sends the next. Measured: message POSTed → the bot's reply
 * received on the socket. Two runs: one customer alone (the delivery latency), then a real load:
 * 200 customers with no think time (each sends its next message as soon as the reply arrives).
 * `tsx bench/channels/webChat.ts [--clients 200] [--seconds 15] [--warmup 3] [--think 0]`,
 * or runWebChatBench() from bench/channels.ts. Target: p50 ≤ 100 ms over WebSocket for one customer.
 */
import { fork } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { parseArgs } from 'node:util';
import { createApp } from '../../src/app';
import { loadConfig } from '../../src/config';
import { createLogger } from '../../src/services/logging/logger';
import { printTable } from '../table';
import { BENCH_HEADER, type BenchRow } from './sms';
import type { WebChatLoadData, WebChatLoadResult } from './webChatLoad';

export interface WebChatBenchOptions {
  clients?: number;
  seconds?: number;
  warmupSeconds?: number;
  thinkMs?: number;
}

const TARGET_P50_MS = 100;

export async function runWebChatBench(options: WebChatBenchOptions = {}): Promise<BenchRow[]> {
  const seconds = options.seconds ?? 15;
  const warmupSeconds = options.warmupSeconds ?? 3;
  const alone: Omit<WebChatLoadData, 'base'> = {
    clients: 1,
    seconds,
    warmupSeconds,
    thinkMs: 100,
    replyTimeoutMs: 10_000,
  };
  const crowd: Omit<WebChatLoadData, 'base'> = {
    clients: options.clients ?? 200,
    seconds,
    warmupSeconds,
    thinkMs: options.thinkMs ?? 0,
    replyTimeoutMs: 30_000,
  };
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'bench-webchat-'));
  const config = loadConfig({
    NODE_ENV: 'production',
    BOT_ENDPOINT: 'off',
    LOG_LEVEL: 'warn',
    DATA_DIR: dataDir,
    // Every benchmark client comes from 127.0.0.1.
    DIRECTLINE_TOKENS_PER_MINUTE: '100000',
  });
  const problems: string[] = [];
  let problemCount = 0;
  const sink = new Writable({
    write: (chunk: Buffer, _encoding, callback) => {
      for (const line of chunk
        .toString()
        .split('\n')
        .filter((text) => text !== '')) {
        problemCount += 1;
        if (problems.length < 5) problems.push(line);
      }
      callback();
    },
  });
  const app = await createApp(config, { logger: createLogger({ level: 'warn', destination: sink }) });
  try {
    const { port } = await app.listen(0, '127.0.0.1');
    const base = `http://127.0.0.1:${port}`;
    const verdict = (ok: boolean): string => (ok ? 'met' : 'NOT met');
    const rows: BenchRow[] = [];
    let missing = 0;
    let errors = 0;
    let firstError: string | undefined;
    for (const [label, data] of [
      ['1 customer', alone],
      [
        `${crowd.clients} customers (${crowd.thinkMs > 0 ? `think ${crowd.thinkMs} ms` : 'no think time'})`,
        crowd,
      ],
    ] as const) {
      const result = await runLoad({ ...data, base });
      const reply = percentiles(result.replyMs);
      const post = percentiles(result.postMs);
      missing += result.missing;
      errors += result.errors;
      firstError ??= result.firstError;
      rows.push(
        [
          'Web chat',
          `${label}: message → reply on the WebSocket p50 / p95 / p99 (ms)`,
          `${reply.p50.toFixed(1)} / ${reply.p95.toFixed(1)} / ${reply.p99.toFixed(1)}`,
          // The target is the delivery latency of one customer; under saturation it is queueing.
          data.clients === 1 ? `p50 ≤ ${TARGET_P50_MS}` : '(saturated)',
          data.clients === 1 ? verdict(reply.p50 <= TARGET_P50_MS && result.replyMs.length > 0) : '',
        ],
        [
          'Web chat',
          `${label}: replied turns/s, POST answered p50 / p99 (ms)`,
          `${(result.replyMs.length / data.seconds).toFixed(1)}, ${post.p50.toFixed(1)} / ${post.p99.toFixed(1)}`,
          '',
          '',
        ],
      );
    }
    rows.push(
      [
        'Web chat',
        'replies missing / request errors',
        `${missing} / ${errors}${firstError ? ` (first: ${firstError.slice(0, 120)})` : ''}`,
        '0 / 0',
        verdict(missing === 0 && errors === 0),
      ],
      [
        'Web chat',
        'warnings / errors logged',
        `${problemCount}${problems.length > 0 ? ` (first: ${problems[0].slice(0, 160)})` : ''}`,
        '0',
        verdict(problemCount === 0),
      ],
    );
    return rows;
  } finally {
    await app.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

/** Runs one load in a forked process and returns what it measured. */
function runLoad(data: WebChatLoadData): Promise<WebChatLoadResult> {
  const child = fork(path.join(__dirname, 'webChatLoad.ts'), [JSON.stringify(data)], {
    execArgv: ['--require', 'tsx/cjs'],
    serialization: 'advanced',
  });
  return new Promise<WebChatLoadResult>((resolve, reject) => {
    let answer: WebChatLoadResult | { fatal: string } | undefined;
    child.once('error', reject);
    child.once('message', (message: WebChatLoadResult | { fatal: string }) => {
      answer = message;
    });
    child.once('exit', (code) => {
      if (!answer) reject(new Error(`web chat load process exited (${code}) without a result`));
      else if ('fatal' in answer) reject(new Error(answer.fatal));
      else resolve(answer);
    });
  });
}

function percentiles(values: number[]): { p50: number; p95: number; p99: number } {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number): number =>
    sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
  return { p50: at(0.5), p95: at(0.95), p99: at(0.99) };
}

if (require.main === module) {
  const { values } = parseArgs({
    options: {
      clients: { type: 'string' },
      seconds: { type: 'string' },
      warmup: { type: 'string' },
      think: { type: 'string' },
    },
  });
  const options: WebChatBenchOptions = {};
  if (values.clients) options.clients = Number(values.clients);
  if (values.seconds) options.seconds = Number(values.seconds);
  if (values.warmup) options.warmupSeconds = Number(values.warmup);
  if (values.think) options.thinkMs = Number(values.think);
  runWebChatBench(options).then(
    (rows) =>
      printTable('Web chat channel (Direct Line over WebSocket → app → reply pushed)', [
        BENCH_HEADER,
        ...rows,
      ]),
    (error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    },
  );
}
