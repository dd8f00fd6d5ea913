/**
 * `npm run bench:handoff`: agent takeover latency on the real app, one instance and two on one store.
 *   - customer message (Web Chat over the local Direct Line) → visible in the agent console's socket;
 *   - agent reply (console API) → visible in the customer's Web Chat socket;
 * with 200 handed-off conversations and 20 agent consoles connected. Targets: p99 ≤ 200 ms on one
 * instance, ≤ 500 ms across two (customers on B, consoles on A: everything crosses the store).
 * The apps run as their own processes (`src/index.ts`, as `npm start` does), on one embedded store
 * owned by this process; the load (bench/handoffLoad.ts) is a forked process too.
 * `tsx bench/handoff.ts [--conversations 200] [--consoles 20] [--seconds 15] [--every 2000] [--only one|two]`
 */
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import mongoose from 'mongoose';
import { AgentAccounts } from '../src/services/agents/agentAccounts';
import { AgentSessions } from '../src/services/agents/agentSessions';
import { PasswordHasher } from '../src/services/agents/passwordHasher';
import { EmbeddedMongoServer } from '../src/services/store/embedded/embeddedMongoServer';
import { printTable } from './table';
import type { HandoffLoadData, HandoffLoadResult } from './handoffLoad';

interface Options {
  conversations: number;
  consoles: number;
  seconds: number;
  everyMs: number;
  only?: 'one' | 'two';
}

const PASSWORD = 'bench password for agents';
const HEADER = ['Scenario', 'Measure', 'Result', 'Target', 'Verdict'];

interface Instance {
  base: string;
  child: ChildProcess;
  problems: string[];
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function startInstance(name: string, uri: string, dataDir: string): Promise<Instance> {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, '../src/index.ts')], {
    env: {
      ...process.env,
      NODE_ENV: 'production',
      LOG_LEVEL: 'warn',
      PORT: String(port),
      HOST: '127.0.0.1',
      PUBLIC_BASE_URL: base,
      MONGODB_URI: uri,
      DATA_DIR: dataDir,
      INSTANCE_ID: name,
      BOT_ENDPOINT: 'off',
      // Every benchmark client comes from 127.0.0.1.
      DIRECTLINE_TOKENS_PER_MINUTE: '100000',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const problems: string[] = [];
  const collect = (data: Buffer): void => {
    for (const line of data.toString('utf8').split('\n')) if (line.trim() !== '') problems.push(line);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', (data: Buffer) => {
    // Node's restify deprecation notice is not the app's problem.
    for (const line of data.toString('utf8').split('\n'))
      if (line.trim() !== '' && !/DEP0111|trace-deprecation/.test(line)) problems.push(line);
  });
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${name} exited: ${problems.slice(0, 5).join('\n')}`);
    try {
      if ((await fetch(`${base}/readyz`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${name} not ready after 60 s`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return { base, child, problems };
}

async function stopInstance(instance: Instance): Promise<void> {
  if (instance.child.exitCode !== null) return;
  const exited = new Promise<void>((resolve) => instance.child.once('exit', () => resolve()));
  instance.child.kill('SIGTERM');
  const timer = setTimeout(() => instance.child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}

function runLoad(data: HandoffLoadData): Promise<HandoffLoadResult> {
  const child = fork(path.join(__dirname, 'handoffLoad.ts'), [JSON.stringify(data)], {
    execArgv: ['--require', 'tsx/cjs'],
    serialization: 'advanced',
  });
  return new Promise((resolve, reject) => {
    let answer: HandoffLoadResult | { fatal: string } | undefined;
    child.once('error', reject);
    child.once('message', (message: HandoffLoadResult | { fatal: string }) => {
      answer = message;
    });
    child.once('exit', (code) => {
      if (!answer) reject(new Error(`handoff load process exited (${code}) without a result`));
      else if ('fatal' in answer) reject(new Error(answer.fatal));
      else resolve(answer);
    });
  });
}

function percentiles(values: number[]): { p50: number; p99: number } {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number): number =>
    sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
  return { p50: at(0.5), p99: at(0.99) };
}

async function addAgents(uri: string, count: number): Promise<Array<{ email: string; password: string }>> {
  const connection = mongoose.createConnection(uri, { serverSelectionTimeoutMS: 5_000 });
  await connection.asPromise();
  try {
    const sessions = new AgentSessions({ connection, settings: { idleMinutes: 60, maxHours: 8 } });
    // Cheaper hashing than production's: sign-in cost is not what this measures.
    const accounts = new AgentAccounts({
      connection,
      sessions,
      hasher: new PasswordHasher({ N: 2 ** 12, r: 8, p: 1 }),
    });
    await sessions.init();
    await accounts.init();
    const agents: Array<{ email: string; password: string }> = [];
    for (let index = 1; index <= count; index += 1) {
      const email = `agent${index}@bench.example`;
      await accounts.add({ email, name: `Agent ${index}`, role: 'agent', password: PASSWORD });
      agents.push({ email, password: PASSWORD });
    }
    return agents;
  } finally {
    await connection.close();
  }
}

async function scenario(
  label: 'one' | 'two',
  store: EmbeddedMongoServer,
  options: Options,
  root: string,
): Promise<string[][]> {
  const uri = `${store.localUri}handoff_${label}`;
  const agents = await addAgents(uri, options.consoles);
  const a = await startInstance(`bench-${label}-a`, uri, path.join(root, `${label}-a`));
  const b = label === 'two' ? await startInstance(`bench-${label}-b`, uri, path.join(root, `${label}-b`)) : a;
  try {
    const result = await runLoad({
      customerBase: b.base,
      agentBase: a.base,
      conversations: options.conversations,
      agents,
      seconds: options.seconds,
      everyMs: options.everyMs,
      timeoutMs: 10_000,
    });
    const target = label === 'one' ? 200 : 500;
    const name =
      label === 'one'
        ? `1 instance, ${options.conversations} conversations, ${options.consoles} consoles`
        : `2 instances (customers on B, consoles on A), ${options.conversations} conv., ${options.consoles} consoles`;
    const row = (measure: string, values: number[], missing: number): string[] => {
      const { p50, p99 } = percentiles(values);
      const ok = values.length > 0 && p99 <= target && missing === 0;
      return [
        name,
        `${measure} p50 / p99 (ms), n, missing`,
        `${p50.toFixed(1)} / ${p99.toFixed(1)}, ${values.length}, ${missing}`,
        `p99 ≤ ${target}, 0 missing`,
        ok ? 'met' : 'NOT met',
      ];
    };
    const problems = [...a.problems, ...(b === a ? [] : b.problems)];
    return [
      row('customer message → agent console', result.toConsoleMs, result.missingToConsole),
      row('agent reply → Web Chat', result.toWebChatMs, result.missingToWebChat),
      [
        name,
        'request errors / warnings logged',
        `${result.errors}${result.firstError ? ` (${result.firstError.slice(0, 100)})` : ''} / ${problems.length}${problems[0] ? ` (${problems[0].slice(0, 100)})` : ''}`,
        '0 / 0',
        result.errors === 0 && problems.length === 0 ? 'met' : 'NOT met',
      ],
    ];
  } finally {
    if (b !== a) await stopInstance(b);
    await stopInstance(a);
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      conversations: { type: 'string' },
      consoles: { type: 'string' },
      seconds: { type: 'string' },
      every: { type: 'string' },
      only: { type: 'string' },
    },
  });
  const options: Options = {
    conversations: Number(values.conversations ?? 200),
    consoles: Number(values.consoles ?? 20),
    seconds: Number(values.seconds ?? 15),
    everyMs: Number(values.every ?? 2_000),
    ...(values.only === 'one' || values.only === 'two' ? { only: values.only } : {}),
  };
  const root = await mkdtemp(path.join(os.tmpdir(), 'bench-handoff-'));
  const store = new EmbeddedMongoServer({ dataDir: path.join(root, 'store') });
  await store.start();
  const rows: string[][] = [];
  try {
    if (options.only !== 'two') rows.push(...(await scenario('one', store, options, root)));
    if (options.only !== 'one') rows.push(...(await scenario('two', store, options, root)));
  } finally {
    await store.close();
    await rm(root, { recursive: true, force: true });
  }
  printTable(
    `Agent takeover (real app processes, one embedded store; ${options.conversations} handed-off conversations each writing every ${options.everyMs} ms for ${options.seconds} s per direction)`,
    [HEADER, ...rows],
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
