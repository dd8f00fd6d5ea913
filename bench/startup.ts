/**
 * `npm start` → `/readyz` 200: spawns the built service (node dist/src/index.js) on a fresh data
 * directory and on one that already holds data, and times how long until /readyz answers 200.
 * Target (issue 2): within 3 s.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { printTable } from './table';

const root = path.resolve(__dirname, '..');
const TARGET_MS = 3_000;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

async function timeToReady(dataDir: string, extraEnv: Record<string, string> = {}): Promise<number> {
  const port = await freePort();
  const started = process.hrtime.bigint();
  const child = spawn(process.execPath, ['dist/src/index.js'], {
    cwd: root,
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      LOG_LEVEL: 'warn',
      ...extraEnv,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`the service exited with code ${child.exitCode}`);
      try {
        const res = await fetch(`http://127.0.0.1:${port}/readyz`);
        if (res.status === 200) return Number(process.hrtime.bigint() - started) / 1e6;
      } catch {
        // not listening yet
      }
      if (Number(process.hrtime.bigint() - started) / 1e6 > 30_000) throw new Error('not ready after 30 s');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  } finally {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  }
}

async function seed(dataDir: string, tickets: number): Promise<void> {
  // Fill the store through the real service code path: the store's own journal, then stop cleanly.
  const { EmbeddedMongoServer } = await import('../src/services/store/embedded/embeddedMongoServer');
  const mongoose = (await import('mongoose')).default;
  const server = new EmbeddedMongoServer({ dataDir });
  await server.start();
  const connection = await mongoose.createConnection(server.localUri, { dbName: 'carlinkit' }).asPromise();
  const collection = connection.collection('bench_seed');
  for (let offset = 0; offset < tickets; offset += 1_000) {
    await collection.insertMany(
      Array.from({ length: Math.min(1_000, tickets - offset) }, (_, i) => ({
        n: offset + i,
        text: 'x'.repeat(1_000),
        createdAt: new Date(),
      })),
    );
  }
  await connection.close();
  await server.close();
}

async function main(): Promise<void> {
  const runs = Number(process.env.BENCH_RUNS ?? 5);
  const rows: string[][] = [];
  for (const [label, seedCount] of [
    ['fresh data dir', 0],
    ['data dir with 10,000 documents (~10 MB journal)', 10_000],
  ] as const) {
    const times: number[] = [];
    for (let run = 0; run < runs; run += 1) {
      const dataDir = await mkdtemp(path.join(os.tmpdir(), 'ck-startup-'));
      try {
        if (seedCount > 0) await seed(dataDir, seedCount);
        times.push(await timeToReady(dataDir));
      } finally {
        await rm(dataDir, { recursive: true, force: true });
      }
    }
    times.sort((a, b) => a - b);
    const median = times[Math.floor(times.length / 2)] ?? NaN;
    const worst = times[times.length - 1] ?? NaN;
    rows.push([
      label,
      String(runs),
      `${median.toFixed(0)} ms`,
      `${worst.toFixed(0)} ms`,
      `≤ ${TARGET_MS} ms`,
      worst <= TARGET_MS ? 'met' : 'NOT met',
    ]);
  }
  printTable('npm start → /readyz 200 (node dist/src/index.js, embedded store)', [
    ['case', 'runs', 'median', 'worst', 'target', 'result'],
    ...rows,
  ]);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
