import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';

const root = path.resolve(__dirname, '..', '..', '..');

export const ACCOUNT_SID = `AC${'f'.repeat(32)}`;
export const AUTH_TOKEN = 'faults-auth-token-0123456789abcdef';
export const FROM_NUMBER = '+15005550006';
export const BACKOFFICE_TOKEN = 'faults-backoffice-token-0123456789';

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export interface AppProcessOptions {
  dataDir: string;
  port: number;
  /** The fake Twilio API's base URL. */
  twilioBaseUrl: string;
  env?: Record<string, string>;
}

/**
 * The built service as `npm start` runs it (node dist/src/index.js), in a child process on its own
 * DATA_DIR and port, so it can be killed with SIGKILL like a crashed server and started again.
 */
export class AppProcess {
  private child: ChildProcess | null = null;
  /** The child's output (error logs, crashes), for the report when something goes wrong. */
  readonly stderr: string[] = [];
  /** Exits the harness did not cause (kill / stop): a crash. */
  readonly unexpectedExits: Array<{ code: number | null; signal: string | null }> = [];
  private expectingExit = false;

  constructor(private readonly options: AppProcessOptions) {}

  get baseUrl(): string {
    return `http://127.0.0.1:${this.options.port}`;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Starts the process; resolves once /readyz answers 200 (with the milliseconds it took). */
  async start(): Promise<number> {
    const started = performance.now();
    this.expectingExit = false;
    const child = spawn(process.execPath, ['--max-old-space-size=1536', 'dist/src/index.js'], {
      cwd: root,
      env: {
        ...process.env,
        NODE_ENV: 'test',
        PORT: String(this.options.port),
        HOST: '127.0.0.1',
        PUBLIC_BASE_URL: this.baseUrl,
        DATA_DIR: this.options.dataDir,
        LOG_LEVEL: 'error',
        BACKOFFICE_TOKEN,
        TWILIO_ACCOUNT_SID: ACCOUNT_SID,
        TWILIO_AUTH_TOKEN: AUTH_TOKEN,
        TWILIO_FROM_NUMBER: FROM_NUMBER,
        TWILIO_API_BASE_URL: this.options.twilioBaseUrl,
        DIRECTLINE_TOKENS_PER_MINUTE: '100000',
        DIRECTLINE_TOKENS_PER_MINUTE_GLOBAL: '100000',
        NOTIFICATION_POLL_INTERVAL_MS: '200',
        ...this.options.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    // Logs (pino, on stdout) and anything on stderr: what the report shows when something goes wrong.
    const keep = (chunk: Buffer): void => {
      this.stderr.push(chunk.toString('utf8'));
      if (this.stderr.length > 200) this.stderr.shift();
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    child.once('exit', (code, signal) => {
      if (!this.expectingExit) this.unexpectedExits.push({ code, signal });
      if (this.child === child) this.child = null;
    });
    for (;;) {
      if (child.exitCode !== null || child.signalCode !== null)
        throw new Error(`the service exited while starting: ${this.stderr.join('').slice(-2000)}`);
      try {
        const res = await fetch(`${this.baseUrl}/readyz`);
        if (res.status === 200) return performance.now() - started;
      } catch {
        // not listening yet
      }
      if (performance.now() - started > 60_000) throw new Error('the service was not ready after 60 s');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /** kill -9: no shutdown hooks, no flushing, the store's worker thread dies with it. */
  async kill(): Promise<void> {
    await this.stopWith('SIGKILL');
  }

  /** A graceful stop (SIGTERM); SIGKILL after `graceMs`. Resolves false when it had to kill. */
  async stop(graceMs = 20_000): Promise<boolean> {
    const child = this.child;
    if (!child) return true;
    let timer: NodeJS.Timeout | undefined;
    const killed = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => {
        child.kill('SIGKILL');
        resolve(false);
      }, graceMs);
    });
    const stopped = this.stopWith('SIGTERM').then(() => true);
    const graceful = await Promise.race([stopped, killed]);
    await stopped;
    clearTimeout(timer);
    return graceful;
  }

  private async stopWith(signal: NodeJS.Signals): Promise<void> {
    const child = this.child;
    if (!child) return;
    this.expectingExit = true;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill(signal);
    await exited;
  }
}
