/**
 * Full support turns through POST /api/messages with deliveryMode "expectReplies" (issues 4, 10):
 * concurrent conversations, each running troubleshooting → repair registration on the real app
 * (createApp, embedded store durable on a temp directory, state saved every turn), against two
 * baselines running the same bare echo bot (a turn count in ConversationState on MemoryStorage):
 *   - stock echo: served as BotBuilder-Samples do (restify + bodyParser + CloudAdapter.process),
 *     nothing of ours on the path: the honest baseline the targets are measured against;
 *   - echo on our path: behind makeServer's /api/messages route (our body parser, request logging,
 *     the route around CloudAdapter.process): app ÷ this is what the support bot itself costs.
 * Each server runs in its own process, one after the other, so each gets the machine and its own
 * peak RSS (VmHWM); this process only generates the load.
 *
 * Targets: ≥ 50% of the stock echo bot's turns/s, p99 ≤ max(150 ms, 1.5 × the stock echo bot's p99
 * in the same run), peak RSS ≤ 400 MB.
 *
 *   npm run bench:turns [-- --concurrency 50 --seconds 20 --warmup 3]
 *   `--steps` adds the app's p50/p99 for each step of the script.
 *   The app server runs with `npm start`'s Node flags (package.json); `--app-node-flags "…"` tries others.
 *   `--only app|echo|stock-echo` (comma-separated) runs only those servers.
 *   Profiling: `--only app` skips the echo baselines; `--cpu-prof DIR` writes the app server's CPU
 *   profiles (main thread and store worker) to DIR; `--heap-snapshot DIR` writes two of its main
 *   thread's heap: after start-up and at the end of the measured window.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import http from 'node:http';
import { printTable } from './table';

const TARGET_THROUGHPUT_RATIO = 0.5;
const TARGET_P99_MS = 150;
/** The p99 target also allows this multiple of the stock echo bot's p99 in the same run (a loaded machine). */
const TARGET_P99_ECHO_FACTOR = 1.5;

type ServerKind = 'stock-echo' | 'echo' | 'app';
const SERVER_KINDS: readonly ServerKind[] = ['stock-echo', 'echo', 'app'];
const TARGET_PEAK_RSS_MB = 400;

function option(name: string, fallback: number): number {
  const index = process.argv.indexOf(`--${name}`);
  const value = index >= 0 ? Number(process.argv[index + 1]) : fallback;
  if (!Number.isFinite(value) || value < 0) throw new Error(`--${name} must be a number ≥ 0`);
  return value;
}

const CONCURRENCY = option('concurrency', 50);
const SECONDS = option('seconds', 20);
const WARMUP_SECONDS = option('warmup', 3);

function textOption(name: string): string | undefined {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 ? process.argv[index + 1] : undefined;
}

const ONLY = textOption('only');
const CPU_PROF_DIR = textOption('cpu-prof');
const HEAP_SNAPSHOT_DIR = textOption('heap-snapshot');
/**
 * The Node flags the app server runs with: those of `npm start` (package.json), so it runs as
 * production does, unless `--app-node-flags "…"` gives others (`""` for none) to try settings.
 */
const APP_NODE_FLAGS = textOption('app-node-flags') ?? productionNodeFlags();

function productionNodeFlags(): string {
  const packageJson = JSON.parse(readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8')) as {
    scripts?: { start?: string };
  };
  const words = (packageJson.scripts?.start ?? '').split(/\s+/);
  return words
    .slice(
      1,
      words.findIndex((word) => word.endsWith('.js')),
    )
    .filter((word) => word.startsWith('--'))
    .join(' ');
}

/**
 * One customer's conversation: a sound problem that troubleshooting does not fix, then the repair
 * registration it offers, confirmed. Each entry is a message and what the reply must contain.
 */
function supportScript(serial: string, phone = randomPhone()): Array<[string, RegExp]> {
  return [
    ['there is no sound from my carplay adapter', /Which CarlinKit product/],
    ['U2W Plus', /What make of car/],
    ['skip', /What's wrong with the sound\?/],
    ['No sound', /Did this help\?/],
    ['no', /Did this help\?/],
    ['no', /Did this help\?/],
    ['no', /register a repair\?/],
    ['yes', /serial number/],
    [serial, /When did you buy it\?/],
    ['2025-06-01', /Where did you buy it\?/],
    ['AliExpress', /order number/],
    ['skip', /what exactly happens/],
    ['skip', /full name/],
    ['Jane Doe', /mobile number/],
    // A number per conversation: registrations are capped per mobile number per day.
    [phone, /e-mail address/],
    ['jane@example.com', /whole address/],
    ['1 Market St, San Francisco, CA 94105, United States', /Please check your details/],
    ['Confirm and submit', /ticket number is CK-/],
  ];
}

/** A random +1 415 555 xxxx-style number (the registration caps count per number). */
function randomPhone(): string {
  return `+1 415 ${String(Math.floor(Math.random() * 10_000_000)).padStart(7, '0')}`;
}

interface LoadResult {
  turns: number;
  seconds: number;
  latenciesMs: number[];
  /** The same latencies by the turn's place in the script (index 0 = the first message). */
  latenciesByStep: number[][];
  errors: number;
  conversations: number;
  serverCpuMs: number;
  mainThreadCpuMs: number;
  firstError?: string;
}

/**
 * User + system CPU time so far, in ms (clock ticks of 10 ms): of the whole process (/proc/PID/stat),
 * or of its main thread only (/proc/PID/task/PID/stat), the one that runs every turn.
 */
function cpuMs(pid: number, mainThreadOnly = false): number {
  const fields = readFileSync(mainThreadOnly ? `/proc/${pid}/task/${pid}/stat` : `/proc/${pid}/stat`, 'utf8')
    .replace(/^.*\) /, '')
    .split(' ');
  // After the command name: state is field 3, utime 14 and stime 15 → indexes 11 and 12 here.
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** Drives `concurrency` conversations at once, for warmup + measured seconds; counts only measured turns. */
async function drive(port: number, kind: ServerKind, pid: number): Promise<LoadResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const warmupEnds = performance.now() + WARMUP_SECONDS * 1000;
  const ends = warmupEnds + SECONDS * 1000;
  const result: LoadResult = {
    turns: 0,
    seconds: SECONDS,
    latenciesMs: [],
    latenciesByStep: [],
    errors: 0,
    conversations: 0,
    serverCpuMs: 0,
    mainThreadCpuMs: 0,
  };
  // The server's CPU time over the measured window: per turn, it is what the machine's load cannot inflate much.
  const cpuTimer = setTimeout(() => {
    const before = cpuMs(pid);
    const mainBefore = cpuMs(pid, true);
    cpuTimer.unref();
    const after = setTimeout(() => {
      result.serverCpuMs = cpuMs(pid) - before;
      result.mainThreadCpuMs = cpuMs(pid, true) - mainBefore;
    }, SECONDS * 1000);
    after.unref();
  }, WARMUP_SECONDS * 1000);

  const turn = async (
    conversationId: string,
    userId: string,
    sequence: number,
    text: string,
  ): Promise<string> => {
    const started = performance.now();
    const payload = JSON.stringify({
      type: 'message',
      id: `${conversationId}-${sequence}`,
      // The Emulator's shape: without MicrosoftAppId that is all /api/messages takes (loopback only).
      channelId: 'emulator',
      serviceUrl: 'http://127.0.0.1:9',
      conversation: { id: conversationId },
      from: { id: userId },
      recipient: { id: 'bot' },
      deliveryMode: 'expectReplies',
      text,
    });
    const { status, body } = await post(agent, port, payload);
    const finished = performance.now();
    if (started >= warmupEnds && finished <= ends) {
      result.turns += 1;
      result.latenciesMs.push(finished - started);
      (result.latenciesByStep[sequence] ??= []).push(finished - started);
    }
    if (status !== 200) throw new Error(`HTTP ${status}`);
    const parsed = JSON.parse(body) as { activities?: Array<{ text?: string }> };
    return (parsed.activities ?? []).map((activity) => activity.text ?? '').join('\n');
  };

  const worker = async (index: number): Promise<void> => {
    while (performance.now() < ends) {
      const conversationId = `bench-${kind}-${index}-${randomUUID()}`;
      const userId = `user-${index}`;
      const script =
        kind === 'app'
          ? supportScript(`U2WP${randomUUID().replace(/-/g, '').slice(0, 12).toUpperCase()}`)
          : echoScript();
      try {
        for (const [sequence, [text, expected]] of script.entries()) {
          if (performance.now() >= ends) return;
          const reply = await turn(conversationId, userId, sequence, text);
          if (!expected.test(reply))
            throw new Error(`after "${text}" expected ${String(expected)}, got: ${reply.slice(0, 200)}`);
        }
        result.conversations += 1;
      } catch (error) {
        result.errors += 1;
        result.firstError ??= error instanceof Error ? error.message : String(error);
      }
    }
  };

  await Promise.all(Array.from({ length: CONCURRENCY }, (_, index) => worker(index)));
  agent.destroy();
  return result;
}

/** One POST over a kept-alive connection (node:http: lighter on the shared CPUs than fetch). */
function post(agent: http.Agent, port: number, payload: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = http.request(
      {
        agent,
        host: '127.0.0.1',
        port,
        path: '/api/messages',
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload) },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
        );
        response.on('error', reject);
      },
    );
    request.on('error', reject);
    request.end(payload);
  });
}

function echoScript(): Array<[string, RegExp]> {
  return Array.from(
    { length: 23 },
    (_, index) => [`message ${index}`, /You said: message/] as [string, RegExp],
  );
}

function startServer(args: string[], app: boolean): Promise<{ child: ChildProcess; port: number }> {
  const profiling = app && CPU_PROF_DIR ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(CPU_PROF_DIR)}`] : [];
  const nodeFlags = app ? APP_NODE_FLAGS.split(/\s+/).filter((flag) => flag !== '') : [];
  const child = spawn(
    process.execPath,
    [...nodeFlags, ...profiling, '--require', 'tsx/cjs', path.join(__dirname, 'turnsServer.ts'), ...args],
    {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      env: { ...process.env, NODE_ENV: 'production' },
    },
  );
  return new Promise((resolve, reject) => {
    child.once('message', (message: { port?: number }) => {
      if (typeof message.port === 'number') resolve({ child, port: message.port });
      else reject(new Error('server did not report its port'));
    });
    child.once('exit', (code) => reject(new Error(`server exited with ${String(code)} before listening`)));
  });
}

/** Peak resident set size of a process (VmHWM), in MB. */
function peakRssMb(pid: number): number {
  const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) / 1024 : Number.NaN;
}

/** The server's memory now (and a heap snapshot when asked for), as turnsServer.ts reports it. */
function serverMemory(child: ChildProcess, heapSnapshotDir?: string): Promise<MemoryReport> {
  return new Promise((resolve) => {
    const onMessage = (message: { memory?: MemoryReport }): void => {
      if (!message.memory) return;
      child.off('message', onMessage);
      resolve(message.memory);
    };
    child.on('message', onMessage);
    child.send({
      memory: true,
      ...(heapSnapshotDir ? { heapSnapshotDir: path.resolve(heapSnapshotDir) } : {}),
    });
  });
}

interface MemoryReport {
  rssMb: number;
  heapUsedMb: number;
  heapTotalMb: number;
  externalMb: number;
  arrayBuffersMb: number;
  heapSnapshot?: string;
  /** Sizes of the main thread's V8 heap spaces (new_spaceMb, old_spaceMb, code_spaceMb…). */
  [space: `${string}_spaceMb`]: number;
}

async function stopServer(child: ChildProcess): Promise<void> {
  await new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.send('stop');
  });
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

interface Measured {
  turnsPerSecond: number;
  p50: number;
  p99: number;
  peakRssMb: number;
  cpuMsPerTurn: number;
  mainThreadCpuMsPerTurn: number;
  errors: number;
  conversations: number;
  firstError?: string;
  memory: { started: MemoryReport; loaded: MemoryReport };
  /** p50 and p99 of each step of the script, in ms. */
  steps: Array<{ p50: number; p99: number; count: number }>;
}

async function measure(kind: ServerKind): Promise<Measured> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'bench-turns-'));
  try {
    const { child, port } = await startServer(kind === 'app' ? ['app', dataDir] : [kind], kind === 'app');
    try {
      const started = await serverMemory(child, kind === 'app' ? HEAP_SNAPSHOT_DIR : undefined);
      const result = await drive(port, kind, child.pid!);
      const loaded = await serverMemory(child, kind === 'app' ? HEAP_SNAPSHOT_DIR : undefined);
      const sorted = [...result.latenciesMs].sort((a, b) => a - b);
      return {
        turnsPerSecond: result.turns / result.seconds,
        p50: percentile(sorted, 50),
        p99: percentile(sorted, 99),
        peakRssMb: peakRssMb(child.pid!),
        cpuMsPerTurn: result.serverCpuMs / Math.max(1, result.turns),
        mainThreadCpuMsPerTurn: result.mainThreadCpuMs / Math.max(1, result.turns),
        errors: result.errors,
        conversations: result.conversations,
        memory: { started, loaded },
        steps: result.latenciesByStep.map((latencies) => {
          const byStep = [...latencies].sort((a, b) => a - b);
          return { p50: percentile(byStep, 50), p99: percentile(byStep, 99), count: byStep.length };
        }),
        ...(result.firstError ? { firstError: result.firstError } : {}),
      };
    } finally {
      await stopServer(child);
    }
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  console.log(
    `bench:turns: ${CONCURRENCY} concurrent conversations, ${WARMUP_SECONDS}s warm-up + ${SECONDS}s measured per server, ${os.cpus().length} CPUs; app server Node flags: ${APP_NODE_FLAGS || '(none)'}`,
  );
  const only = (ONLY ?? SERVER_KINDS.join(',')).split(',');
  if (only.some((kind) => !SERVER_KINDS.includes(kind as ServerKind)))
    throw new Error(`--only takes ${SERVER_KINDS.join(', ')} (comma-separated)`);
  const run = async (kind: ServerKind): Promise<Measured | undefined> =>
    only.includes(kind) ? measure(kind) : undefined;
  const stockEcho = await run('stock-echo');
  const echo = await run('echo');
  const app = await run('app');
  const fmt = (value: number, digits = 1): string => value.toFixed(digits);
  const met = (ok: boolean): string => (ok ? 'met' : 'NOT met');
  const runs = [
    ['echo bot, stock CloudAdapter.process (MemoryStorage)', stockEcho],
    ['echo bot, our HTTP path (MemoryStorage)', echo],
    ['support app (embedded store)', app],
  ] as const;
  printTable('Support turns through POST /api/messages (expectReplies)', [
    [
      'server',
      'turns/s',
      'p50 ms',
      'p99 ms',
      'peak RSS MB',
      'server CPU ms/turn',
      'main thread CPU ms/turn',
      'conversations done',
      'errors',
    ],
    ...runs.flatMap(([name, run]) =>
      run
        ? [
            [
              name,
              fmt(run.turnsPerSecond, 0),
              fmt(run.p50),
              fmt(run.p99),
              fmt(run.peakRssMb, 0),
              fmt(run.cpuMsPerTurn, 2),
              fmt(run.mainThreadCpuMsPerTurn, 2),
              String(run.conversations),
              String(run.errors),
            ],
          ]
        : [],
    ),
  ]);
  // Where the memory is: the main thread's V8 heap and buffers; RSS also counts the store worker's heap.
  printTable('Server memory (MB): after start-up → at the end of the measured window', [
    ['server', 'RSS', 'main heap used', 'main heap total', 'external', 'array buffers'],
    ...runs.flatMap(([name, run]) => {
      if (!run) return [];
      const { started, loaded } = run.memory;
      const pair = (key: keyof Omit<MemoryReport, 'heapSnapshot'>): string =>
        `${fmt(started[key], 0)} → ${fmt(loaded[key], 0)}`;
      return [
        [
          name,
          pair('rssMb'),
          pair('heapUsedMb'),
          pair('heapTotalMb'),
          pair('externalMb'),
          pair('arrayBuffersMb'),
        ],
      ];
    }),
  ]);
  if (process.argv.includes('--heap-spaces')) {
    for (const [name, run] of runs) {
      if (!run) continue;
      const spaces = Object.keys(run.memory.loaded).filter((key) => key.endsWith('_spaceMb'));
      console.log(
        `${name} heap spaces (MB, start → end): ${spaces
          .map((key) => {
            const space = key as `${string}_spaceMb`;
            return `${space.replace('_spaceMb', '')} ${fmt(run.memory.started[space] ?? 0, 0)} → ${fmt(run.memory.loaded[space] ?? 0, 0)}`;
          })
          .join(', ')}`,
      );
    }
  }
  if (app && process.argv.includes('--steps')) {
    const script = supportScript('U2WP…');
    printTable('Support app latency by step of the script (ms)', [
      ['step', 'message', 'p50', 'p99', 'turns'],
      ...app.steps.map((step, index) => [
        String(index + 1),
        script[index]?.[0] ?? '',
        fmt(step.p50),
        fmt(step.p99),
        String(step.count),
      ]),
    ]);
  }
  if (app?.memory.loaded.heapSnapshot)
    console.log(
      `app heap snapshots: ${app.memory.started.heapSnapshot ?? ''} → ${app.memory.loaded.heapSnapshot}`,
    );
  if (app && (stockEcho ?? echo)) {
    const ratio = (baseline: Measured | undefined): string =>
      baseline ? `${fmt((app.turnsPerSecond / baseline.turnsPerSecond) * 100)}%` : 'not run';
    printTable('Support app throughput ÷ echo bot throughput', [
      ['baseline', 'ratio'],
      ['stock echo bot (CloudAdapter.process as the samples serve it)', ratio(stockEcho)],
      ['echo bot behind our HTTP path (what the support bot itself costs)', ratio(echo)],
    ]);
  }
  if (stockEcho && app) {
    const ratio = app.turnsPerSecond / stockEcho.turnsPerSecond;
    const p99Target = Math.max(TARGET_P99_MS, TARGET_P99_ECHO_FACTOR * stockEcho.p99);
    const errors = app.errors + stockEcho.errors + (echo?.errors ?? 0);
    printTable('Targets (against the stock echo bot)', [
      ['target', 'measured', 'result'],
      [
        `throughput ≥ ${TARGET_THROUGHPUT_RATIO * 100}% of the stock echo bot`,
        `${fmt(ratio * 100)}%`,
        met(ratio >= TARGET_THROUGHPUT_RATIO),
      ],
      [
        `p99 ≤ max(${TARGET_P99_MS} ms, ${TARGET_P99_ECHO_FACTOR} × echo p99 ${fmt(stockEcho.p99)} ms) = ${fmt(p99Target)} ms`,
        `${fmt(app.p99)} ms`,
        met(app.p99 <= p99Target),
      ],
      [
        `peak RSS ≤ ${TARGET_PEAK_RSS_MB} MB`,
        `${fmt(app.peakRssMb, 0)} MB`,
        met(app.peakRssMb <= TARGET_PEAK_RSS_MB),
      ],
      ['no failed conversations', String(errors), met(errors === 0)],
    ]);
  }
  for (const [name, run] of runs) {
    if (run?.firstError) console.log(`first ${name} error: ${run.firstError}`);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
