import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MongoClient } from 'mongodb';

const CLI = path.resolve(__dirname, '../../../../src/services/store/embedded/cli.ts');

interface Run {
  stdout: string;
  stderr: string;
  /** The URIs it printed, in order: the Unix socket's first. */
  uris: string[];
  stop(): Promise<void>;
}

/** Starts `npm run db`'s entry point on a data directory and waits until it has printed its URIs. */
async function runCli(dataDir: string): Promise<Run> {
  const child = spawn(process.execPath, ['--require', require.resolve('tsx/cjs'), CLI, '--port', '0'], {
    env: { ...process.env, DATA_DIR: dataDir, LOG_LEVEL: 'info', NODE_ENV: 'test' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const run: Run = {
    stdout: '',
    stderr: '',
    uris: [],
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
  child.stderr.on('data', (chunk: Buffer) => (run.stderr += chunk.toString()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`store did not start: ${run.stderr}`)), 30_000);
    child.stdout.on('data', (chunk: Buffer) => {
      run.stdout += chunk.toString();
      // Both lines are written at once, after the store listens.
      if (run.stdout.includes('.sock/') && run.stdout.endsWith('\n')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`store exited with ${String(code)}: ${run.stderr}`));
    });
  });
  run.uris = run.stdout.split('\n').filter((line) => line.startsWith('mongodb://'));
  return run;
}

/** Polls a condition that another stream will make true (bounded: gives up after 10 s, then the assertion says why). */
async function waitUntil(condition: () => boolean): Promise<void> {
  for (let waited = 0; waited < 10_000 && !condition(); waited += 50) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('npm run db', function () {
  this.timeout(120_000);
  let parent: string;
  const runs: Run[] = [];
  const clients: MongoClient[] = [];

  beforeEach(async () => {
    parent = await fs.mkdtemp(path.join(os.tmpdir(), 'store-cli-'));
  });

  afterEach(async () => {
    for (const mongo of clients.splice(0)) await mongo.close(true);
    for (const run of runs.splice(0)) await run.stop();
    await fs.rm(parent, { recursive: true, force: true });
  });

  async function connect(uri: string): Promise<MongoClient> {
    const mongo = new MongoClient(uri, { serverSelectionTimeoutMS: 3_000 });
    clients.push(mongo);
    await mongo.connect();
    return mongo;
  }

  it('when first run on a data directory, it prints the TCP login once; later runs print no password, and the login still works', async () => {
    const dataDir = path.join(parent, 'data');
    const first = await runCli(dataDir);
    runs.push(first);
    const [socketUri, tcpUri] = first.uris;
    assert.ok(socketUri.endsWith('.sock/'), first.stdout);
    const login = JSON.parse(await fs.readFile(path.join(dataDir, 'store-credentials.json'), 'utf8')) as {
      username: string;
      password: string;
    };
    assert.ok(tcpUri.includes(`${login.username}:${login.password}@127.0.0.1:`), first.stdout);
    // Log lines (JSON, on stdout too) never carry it: only the one URI line printed for the operator.
    const logged = first.stdout.split('\n').filter((line) => line.startsWith('{'));
    assert.ok(logged.length > 0);
    assert.ok(
      !logged.some((line) => line.includes(login.password)) && !first.stderr.includes(login.password),
    );
    await first.stop();

    const second = await runCli(dataDir);
    runs.push(second);
    assert.ok(!second.stdout.includes(login.password) && !second.stderr.includes(login.password));
    // stdout and stderr are separate pipes: the notice on stderr can arrive after the URIs on stdout.
    await waitUntil(
      () =>
        /password in .*store-credentials\.json/.test(second.stderr) && /TCP: mongodb:/.test(second.stderr),
    );
    assert.match(second.stderr, /password in .*store-credentials\.json/);
    const tcpNow = /TCP: mongodb:\/\/[^@]+@([^/]+)\//.exec(second.stderr)?.[1];
    assert.ok(tcpNow, second.stderr);

    const anonymous = await connect(`mongodb://${tcpNow}/`);
    await assert.rejects(
      anonymous.db('admin').command({ listDatabases: 1 }),
      (error: unknown) => (error as { code?: number }).code === 13,
    );
    const authenticated = await connect(tcpUri.replace(/@[^/]+\//, `@${tcpNow}/`));
    assert.equal((await authenticated.db('admin').command({ listDatabases: 1 })).ok, 1);
    const local = await connect(second.uris[0]);
    assert.equal((await local.db('admin').command({ listDatabases: 1 })).ok, 1);
  });
});
