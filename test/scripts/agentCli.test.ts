import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createApp } from '../../src/app';
import { loadConfig } from '../../src/config';
import { memoryLogger } from '../support/silentLogger';

const root = path.resolve(__dirname, '../..');
const tsx = path.join(root, 'node_modules/.bin/tsx');
const PASSWORD = 'piped in, never shown 42';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `npm run agent:<command>` as a separate process on DATA_DIR, with `stdin` piped in. */
function agentCli(dataDir: string, args: readonly string[], stdin = ''): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(tsx, ['scripts/agent.ts', ...args], {
      cwd: root,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', DATA_DIR: dataDir },
      stdio: ['pipe', 'pipe', 'pipe'],
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
    child.stdin.end(stdin);
  });
}

/** Starts the app on DATA_DIR, tries a sign-in over HTTP, stops the app; answers the status. */
async function signInOverHttp(dataDir: string, email: string, password: string): Promise<number> {
  const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', DATA_DIR: dataDir });
  const app = await createApp(config, { logger: memoryLogger().logger });
  try {
    const { port } = await app.listen(0, '127.0.0.1');
    const response = await fetch(`http://127.0.0.1:${port}/agent/api/sign-in`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password }),
    });
    await response.text();
    return response.status;
  } finally {
    await app.stop();
  }
}

// The cases run in order on one DATA_DIR, as an administrator would: each spawn costs seconds.
describe('agent account CLI (npm run agent:add / agent:disable / agent:list)', function () {
  this.timeout(120_000);
  let dataDir: string;

  before(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'ck-agent-cli-'));
  });
  after(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it('when a password is piped to agent:add, the agent can sign in with it over HTTP, and it is never printed', async () => {
    const added = await agentCli(
      dataDir,
      ['add', '--email', 'Sam@Example.com', '--name', 'Sam Lee', '--role', 'supervisor'],
      `${PASSWORD}\n`,
    );
    assert.equal(added.code, 0, added.stderr);
    assert.equal(added.stdout, 'added supervisor sam@example.com (Sam Lee)\n');
    assert.ok(!`${added.stdout}${added.stderr}`.includes(PASSWORD));

    const listed = await agentCli(dataDir, ['list']);
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(listed.stdout, /^EMAIL\s+NAME\s+ROLE\s+STATUS/);
    assert.match(listed.stdout, /sam@example\.com\s+Sam Lee\s+supervisor\s+active/);
    assert.ok(!listed.stdout.includes('scrypt'));

    assert.equal(await signInOverHttp(dataDir, 'sam@example.com', `${PASSWORD}x`), 401);
    assert.equal(await signInOverHttp(dataDir, 'sam@example.com', PASSWORD), 200);
  });

  it('when the piped password is too weak or the email taken, it exits non-zero, says why, and stores nothing', async () => {
    const weak = await agentCli(dataDir, ['add', '--email', 'kim@example.com', '--name', 'Kim'], 'short\n');
    assert.equal(weak.code, 1);
    assert.match(weak.stderr, /at least 12 characters/);
    const taken = await agentCli(
      dataDir,
      ['add', '--email', 'sam@example.com', '--name', 'Other'],
      `${PASSWORD}\n`,
    );
    assert.equal(taken.code, 1);
    assert.match(taken.stderr, /already exists/);
    const usage = await agentCli(dataDir, ['add', '--name', 'No Email'], `${PASSWORD}\n`);
    assert.equal(usage.code, 64);
    assert.match(usage.stderr, /--email is required/);
    const listed = await agentCli(dataDir, ['list']);
    assert.doesNotMatch(listed.stdout, /kim@example\.com|Other|No Email/);
  });

  it('when agent:disable runs, the account shows disabled and its right password is refused over HTTP', async () => {
    const disabled = await agentCli(dataDir, ['disable', '--email', 'sam@example.com']);
    assert.equal(disabled.code, 0, disabled.stderr);
    assert.match(
      (await agentCli(dataDir, ['list'])).stdout,
      /sam@example\.com\s+Sam Lee\s+supervisor\s+disabled/,
    );
    assert.equal(await signInOverHttp(dataDir, 'sam@example.com', PASSWORD), 403);
  });
});
