/**
 * `npm run bench:soak [-- --minutes 10]`: the built app (node dist/src/index.js, as `npm start`) in
 * a child process under a steady mixed load from another process (bench/soak/load.ts): web chat and
 * SMS questions, full repair registrations, status checks. Every window it samples the app's RSS,
 * probes its event loop (the /healthz round trip, which waits for the loop) and takes the reply
 * latencies; at the end it prints the table, a small chart of each curve, and whether they stayed
 * flat (last third vs first third, after a warm-up window). SOAK_MINUTES works too.
 */
import { fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { MongoClient } from 'mongodb';
import { AppProcess, freePort } from '../test/faults/support/appProcess';
import { recordFigures } from '../test/faults/support/report';
import type { FromLoad, SoakWindow, ToLoad } from './soak/load';
import { printTable } from './table';

const { values } = parseArgs({ options: { minutes: { type: 'string' } }, strict: true });
const MINUTES = Number(values.minutes ?? process.env.SOAK_MINUTES ?? 10);
const WINDOW_MS = Math.max(5_000, Math.min(30_000, (MINUTES * 60_000) / 40));
/** Flat: the last third's median within this factor of the first third's (warm-up window left out). */
const FLAT_RSS = 1.15;
const FLAT_LATENCY = 1.5;

interface Row {
  atS: number;
  rssMb: number;
  loopP99Ms: number;
  webP50: number;
  webP99: number;
  smsP50: number;
  statusP50: number;
  replies: number;
  registrations: number;
  errors: number;
  /** The embedded store: documents its queries examined in the window, and documents held. */
  scanned: number;
  documents: number;
}

/** The embedded store's counters (serverStatus), read over its socket in DATA_DIR. */
async function storeCounters(client: MongoClient): Promise<{ scanned: number; documents: number }> {
  const status: Record<string, unknown> = await client
    .db('admin')
    .command({ serverStatus: 1 })
    .catch(() => ({}));
  const metrics = status.metrics as { queryExecutor?: { scannedObjects?: number } } | undefined;
  const embedded = status.embedded as { documents?: number } | undefined;
  return { scanned: metrics?.queryExecutor?.scannedObjects ?? 0, documents: embedded?.documents ?? 0 };
}

function quantile(values: number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

function rssMb(pid: number): number {
  // Linux: resident pages of the app process, from /proc (no extra tools needed).
  const statm = readFileSync(`/proc/${pid}/statm`, 'utf8').split(' ');
  return (Number(statm[1]) * 4096) / 1024 / 1024;
}

/** One line of block characters, scaled between the series' min and max. */
function sparkline(values: number[]): string {
  const blocks = '▁▂▃▄▅▆▇█';
  const finite = values.filter(Number.isFinite);
  const min = Math.min(...finite);
  const max = Math.max(...finite);
  return values
    .map((value) =>
      Number.isFinite(value) ? blocks[max === min ? 0 : Math.round(((value - min) / (max - min)) * 7)] : ' ',
    )
    .join('');
}

function median(values: number[]): number {
  return quantile(values.filter(Number.isFinite), 0.5);
}

async function main(): Promise<void> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'ck-soak-'));
  const load = fork(path.join(__dirname, 'soak', 'load.ts'), [], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const messages: FromLoad[] = [];
  let wake: (() => void) | undefined;
  load.on('message', (message: FromLoad) => {
    messages.push(message);
    wake?.();
  });
  const next = async <K extends FromLoad['kind']>(kind: K): Promise<Extract<FromLoad, { kind: K }>> => {
    for (;;) {
      const index = messages.findIndex((message) => message.kind === kind);
      if (index >= 0) return messages.splice(index, 1)[0] as Extract<FromLoad, { kind: K }>;
      await new Promise<void>((resolve) => (wake = resolve));
    }
  };
  const twilio = await next('twilio');
  const app = new AppProcess({ dataDir, port: await freePort(), twilioBaseUrl: twilio.baseUrl });
  const rows: Row[] = [];
  try {
    await app.start();
    const store = new MongoClient(`mongodb://${encodeURIComponent(path.join(dataDir, 'store.sock'))}/`);
    let scannedBefore = (await storeCounters(store)).scanned;
    const users = { webChatFaq: 6, smsFaq: 4, registrations: 3, statusChecks: 2, thinkMs: 300 };
    load.send({ kind: 'start', base: app.baseUrl, windowMs: WINDOW_MS, users } satisfies ToLoad);
    console.log(
      `soak: ${MINUTES} min, windows of ${WINDOW_MS / 1000} s; load: ${users.webChatFaq} web chat + ${users.smsFaq} SMS question askers, ${users.registrations} registering, ${users.statusChecks} checking status (think ${users.thinkMs} ms)`,
    );
    const started = performance.now();
    let probes: number[] = [];
    const prober = setInterval(() => {
      const sent = performance.now();
      fetch(`${app.baseUrl}/healthz`)
        .then((res) => res.arrayBuffer())
        .then(
          () => probes.push(performance.now() - sent),
          () => probes.push(Number.NaN),
        );
    }, 250);
    while (performance.now() - started < MINUTES * 60_000) {
      const window: SoakWindow = await next('window');
      const counters = await storeCounters(store);
      const row: Row = {
        atS: Math.round(window.atMs / 1000),
        rssMb: rssMb(app.pid!),
        loopP99Ms: quantile(probes, 0.99),
        webP50: quantile(window.latencies.webchat, 0.5),
        webP99: quantile(window.latencies.webchat, 0.99),
        smsP50: quantile(window.latencies.sms, 0.5),
        statusP50: quantile(window.latencies.status, 0.5),
        replies:
          window.latencies.webchat.length + window.latencies.sms.length + window.latencies.status.length,
        registrations: window.registrations,
        errors: window.errors,
        scanned: counters.scanned - scannedBefore,
        documents: counters.documents,
      };
      scannedBefore = counters.scanned;
      probes = [];
      rows.push(row);
      console.log(
        `  ${String(row.atS).padStart(4)} s  RSS ${row.rssMb.toFixed(0)} MB  loop p99 ${row.loopP99Ms.toFixed(1)} ms  web p50/p99 ${row.webP50.toFixed(0)}/${row.webP99.toFixed(0)} ms  sms p50 ${row.smsP50.toFixed(0)} ms  replies ${row.replies}  registrations ${row.registrations}  errors ${row.errors}  store: examined ${row.scanned}, holds ${row.documents}`,
      );
    }
    clearInterval(prober);
    await store.close();
    load.send({ kind: 'stop' } satisfies ToLoad);
    await next('stopped');
  } finally {
    await app.stop();
    if (load.exitCode === null) load.kill('SIGTERM');
    await rm(dataDir, { recursive: true, force: true });
  }

  const steady = rows.slice(1);
  const third = Math.max(1, Math.floor(steady.length / 3));
  const first = steady.slice(0, third);
  const last = steady.slice(-third);
  const ratio = (pick: (row: Row) => number): number => median(last.map(pick)) / median(first.map(pick));
  const checks: Array<[string, number, number, string]> = [
    ['RSS', ratio((row) => row.rssMb), FLAT_RSS, 'MB'],
    ['event loop p99 (/healthz)', ratio((row) => row.loopP99Ms), FLAT_LATENCY, 'ms'],
    ['web chat reply p99', ratio((row) => row.webP99), FLAT_LATENCY, 'ms'],
    ['SMS reply p50', ratio((row) => row.smsP50), FLAT_LATENCY, 'ms'],
  ];
  const totals = {
    replies: rows.reduce((sum, row) => sum + row.replies, 0),
    registrations: rows.reduce((sum, row) => sum + row.registrations, 0),
    errors: rows.reduce((sum, row) => sum + row.errors, 0),
  };
  printTable(
    `Soak: ${MINUTES} min (${rows.length} windows), ${totals.replies} replies, ${totals.registrations} registrations, ${totals.errors} errors`,
    [
      ['curve', 'first third (median)', 'last third (median)', 'last / first', 'flat if ≤', ''],
      ...checks.map(([name, value, limit, unit]) => {
        const pick =
          name === 'RSS'
            ? (row: Row) => row.rssMb
            : name.startsWith('event')
              ? (row: Row) => row.loopP99Ms
              : name.startsWith('web')
                ? (row: Row) => row.webP99
                : (row: Row) => row.smsP50;
        return [
          name,
          `${median(first.map(pick)).toFixed(1)} ${unit}`,
          `${median(last.map(pick)).toFixed(1)} ${unit}`,
          value.toFixed(2),
          limit.toFixed(2),
          value <= limit ? 'flat' : '**NOT flat**',
        ];
      }),
      [
        'errors (lost or late replies)',
        '',
        '',
        String(totals.errors),
        '0',
        totals.errors === 0 ? 'met' : '**NOT met**',
      ],
    ],
  );
  const chart = [
    `RSS MB      ${sparkline(rows.map((row) => row.rssMb))}  ${Math.min(...rows.map((row) => row.rssMb)).toFixed(0)}–${Math.max(...rows.map((row) => row.rssMb)).toFixed(0)}`,
    `loop p99    ${sparkline(rows.map((row) => row.loopP99Ms))}  ${Math.min(...rows.map((row) => row.loopP99Ms)).toFixed(1)}–${Math.max(...rows.map((row) => row.loopP99Ms)).toFixed(1)} ms`,
    `web p99     ${sparkline(rows.map((row) => row.webP99))}  ${Math.min(...rows.map((row) => row.webP99)).toFixed(0)}–${Math.max(...rows.map((row) => row.webP99)).toFixed(0)} ms`,
    `replies/win ${sparkline(rows.map((row) => row.replies))}  ${Math.min(...rows.map((row) => row.replies))}–${Math.max(...rows.map((row) => row.replies))}`,
  ];
  console.log(
    `\nCurves over ${MINUTES} min (one character per ${WINDOW_MS / 1000} s window, scaled min–max):`,
  );
  for (const line of chart) console.log(`  ${line}`);
  recordFigures('soak', 'soak', { minutes: MINUTES, windowMs: WINDOW_MS, totals, checks, chart, rows });
  process.exit(0);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
