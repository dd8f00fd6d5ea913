import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';

const root = path.resolve(__dirname, '../..');
const tsx = path.join(root, 'node_modules/.bin/tsx');

function runIndex(
  env: Record<string, string>,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(tsx, ['src/index.ts'], {
      cwd: root,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 50_000);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('process start-up', function () {
  this.timeout(60_000);
  it('when the configuration is bad, it exits non-zero before listening and names each bad variable', async () => {
    const result = await runIndex({ PORT: 'not-a-port', MONGODB_URI: 'http://db', LOG_LEVEL: 'info' });
    assert.equal(result.code, 78, result.stderr);
    assert.match(result.stderr, /PORT: /);
    assert.match(result.stderr, /MONGODB_URI: must be a mongodb:\/\/ or mongodb\+srv:\/\/ URI/);
    assert.doesNotMatch(result.stdout, /listening/);
  });

  it('when it receives SIGTERM, it stops accepting, closes the store and exits 0', async () => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'ck-sigterm-'));
    try {
      const child = spawn(tsx, ['src/index.ts'], {
        cwd: root,
        env: {
          PATH: process.env.PATH ?? '',
          HOME: process.env.HOME ?? '',
          PORT: '0',
          HOST: '127.0.0.1',
          DATA_DIR: dataDir,
        },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      const events: Array<{ msg?: string; port?: number }> = [];
      const listening = new Promise<number>((resolve, reject) => {
        readline.createInterface({ input: child.stdout }).on('line', (line) => {
          const event = JSON.parse(line) as { msg?: string; port?: number };
          events.push(event);
          if (event.msg === 'listening' && event.port) resolve(event.port);
        });
        child.once('exit', (code) => reject(new Error(`exited early with ${code}`)));
      });
      const port = await listening;
      assert.equal((await fetch(`http://127.0.0.1:${port}/readyz`)).status, 200);
      // 'close', not 'exit': the last log lines can still be in the pipe when the process has exited.
      const exited = new Promise<number | null>((resolve) => child.once('close', resolve));
      child.kill('SIGTERM');
      assert.equal(await exited, 0);
      const messages = events.map((event) => event.msg);
      assert.ok(messages.includes('database closed'), messages.join(', '));
      assert.equal(messages.at(-1), 'stopped');
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
