import path from 'node:path';
import { Worker } from 'node:worker_threads';
import pino from 'pino';
import type { Logger } from '../../logging/logger';
import {
  MongoWireServer,
  unixSocketUri,
  type MongoWireServerOptions,
  type TcpListenerOptions,
} from './mongoWireServer';
import { workerMessageSchema, type WorkerOptions } from './storeWorkerProtocol';

export interface EmbeddedMongoOptions {
  /** Directory for the journal; null keeps everything in memory (tests that don't need durability). */
  dataDir: string | null;
  /** Also listen on TCP, with a login (see MongoWireServerOptions.tcp). Default: the Unix socket only. */
  tcp?: TcpListenerOptions | undefined;
  logger?: Logger;
  /**
   * 'worker' (default): the store runs on its own thread, so its CPU work (BSON, matching, journal)
   * runs in parallel with the application instead of on its event loop. 'inline': same thread.
   */
  thread?: 'worker' | 'inline';
  /** Idle server cursors are reaped after this long (MongoDB: 10 minutes). */
  cursorTimeoutMs?: number;
  /** How often expired TTL-indexed documents are deleted (MongoDB: 60 s). */
  ttlIntervalMs?: number;
  /** Online journal compaction threshold (bytes appended since the last snapshot). */
  compactAfterBytes?: number;
}

/** A worker that doesn't finish closing in this time is terminated (its journal is fsync'd per write anyway). */
const WORKER_CLOSE_TIMEOUT_MS = 15_000;

/** See startWorker(). */
const WORKER_YOUNG_GENERATION_MB = 8;

/** Node flags a worker accepts that profile it (`--cpu-prof`, `--cpu-prof-dir=…`, `--heap-prof…`). */
const PROFILING_FLAG = /^--(cpu|heap)-prof(-[a-z]+)?(=.*)?$/;

/**
 * The embedded MongoDB-compatible store: a wire-protocol server on an owner-only Unix socket (and,
 * when asked, on TCP with a login) that mongoose connects to like any MongoDB. See MongoWireServer for the server itself; this class decides which thread
 * it runs on and keeps the same small interface either way.
 */
export class EmbeddedMongoServer {
  private readonly logger: Logger;
  private inline: MongoWireServer | null = null;
  private worker: Worker | null = null;
  private workerExited: Promise<void> | null = null;
  private boundPort: number | null = null;
  private boundSocketPath: string | null = null;
  private started = false;
  private closing: Promise<void> | null = null;

  constructor(private readonly options: EmbeddedMongoOptions) {
    this.logger = options.logger ?? pino({ level: 'silent' });
  }

  /** Replays and compacts the journal (if durable), then listens. */
  async start(): Promise<void> {
    if (this.started) throw new Error('the embedded store can only be started once');
    this.started = true;
    if (this.options.thread === 'inline') {
      const server = new MongoWireServer({
        ...this.options,
        logger: this.logger,
      } satisfies MongoWireServerOptions);
      await server.start();
      this.inline = server;
      this.boundPort = server.port;
      this.boundSocketPath = server.socketPath;
      return;
    }
    await this.startWorker();
  }

  /**
   * `mongodb://127.0.0.1:PORT/` when listening on TCP, else null. Clients must log in: add the
   * username and password (authSource `admin`, SCRAM-SHA-256).
   */
  get tcpUri(): string | null {
    if (this.boundPort === null) return null;
    const host = this.options.tcp?.host ?? '127.0.0.1';
    return `mongodb://${host.includes(':') ? `[${host}]` : host}:${this.boundPort}/`;
  }

  /** The TCP port, or null when TCP is off. */
  get port(): number | null {
    return this.boundPort;
  }

  /** The Unix domain socket it listens on (valid after start). */
  get socketPath(): string {
    if (this.boundSocketPath === null) throw new Error('the embedded store is not started');
    return this.boundSocketPath;
  }

  /**
   * The URI for clients in this process or on this host running as this user (the application
   * itself, mongosh, Compass): through the owner-only Unix socket, no login needed.
   */
  get localUri(): string {
    return unixSocketUri(this.socketPath);
  }

  /** Stops accepting, ends connections, then flushes, fsyncs and closes the journal. */
  close(): Promise<void> {
    this.closing ??= this.doClose();
    return this.closing;
  }

  private async doClose(): Promise<void> {
    if (this.inline) {
      await this.inline.close();
      return;
    }
    const worker = this.worker;
    if (!worker || !this.workerExited) return;
    worker.postMessage({ type: 'close' });
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(true), WORKER_CLOSE_TIMEOUT_MS);
    });
    const exited = await Promise.race([this.workerExited.then(() => false), timedOut]);
    clearTimeout(timer);
    if (exited) {
      this.logger.error('embedded store worker did not close in time; terminating it');
      await worker.terminate();
    }
  }

  private async startWorker(): Promise<void> {
    const workerData: WorkerOptions = {
      dataDir: this.options.dataDir,
      tcp: this.options.tcp && {
        host: this.options.tcp.host ?? '127.0.0.1',
        port: this.options.tcp.port ?? 0,
        username: this.options.tcp.username,
        password: this.options.tcp.password,
      },
      cursorTimeoutMs: this.options.cursorTimeoutMs,
      ttlIntervalMs: this.options.ttlIntervalMs,
      compactAfterBytes: this.options.compactAfterBytes,
      logLevel: this.logger.level,
    };
    // Run from TypeScript sources (tests, tsx), the worker needs the same loader; compiled, it doesn't.
    const extension = path.extname(__filename);
    const entry = path.join(__dirname, `storeWorker${extension}`);
    // An explicit execArgv replaces the inherited one: pass the profiling flags on, so
    // `node --cpu-prof` / `--heap-prof` also profile the store's thread.
    const execArgv = [
      ...process.execArgv.filter((flag) => PROFILING_FLAG.test(flag)),
      ...(extension === '.ts' ? ['--require', require.resolve('tsx/cjs')] : []),
    ];
    const worker = new Worker(entry, {
      workerData,
      execArgv,
      // A young generation of 8 MB instead of V8's default (up to 3 × 16 MB semi-spaces) keeps ~25 MB
      // less resident; the store's garbage is short-lived and small, so scavenges stay cheap.
      resourceLimits: { maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB },
    });
    this.worker = worker;
    this.workerExited = new Promise((resolve) => worker.once('exit', () => resolve()));

    await new Promise<void>((resolve, reject) => {
      let ready = false;
      worker.on('message', (raw: unknown) => {
        const parsed = workerMessageSchema.safeParse(raw);
        if (!parsed.success) {
          this.logger.warn('embedded store worker sent an unknown message');
          return;
        }
        const message = parsed.data;
        switch (message.type) {
          case 'log':
            this.relayLog(message.line);
            return;
          case 'ready':
            ready = true;
            this.boundPort = message.port;
            this.boundSocketPath = message.socketPath;
            resolve();
            return;
          case 'failed':
            if (!ready) reject(new Error(message.message));
            else this.logger.error({ reason: message.message }, 'embedded store failed');
            return;
          case 'closed':
            return;
        }
      });
      worker.on('error', (error) => {
        if (!ready) reject(error);
        else this.logger.fatal({ err: error }, 'embedded store worker crashed');
      });
      worker.once('exit', (code) => {
        if (!ready) reject(new Error(`embedded store worker exited during start-up (code ${code})`));
        else if (!this.closing) this.logger.fatal({ code }, 'embedded store worker exited unexpectedly');
      });
    });
  }

  /** Re-emits a worker log line through this process's logger (and its redaction). */
  private relayLog(line: string): void {
    let entry: Record<string, unknown>;
    try {
      entry = JSON.parse(line) as Record<string, unknown>;
    } catch {
      return;
    }
    const { level, msg, ...fields } = entry;
    const label = typeof level === 'number' ? pino.levels.labels[level] : undefined;
    const levels: readonly string[] = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'];
    if (!label || !levels.includes(label)) return;
    this.logger[label as pino.Level](fields, typeof msg === 'string' ? msg : '');
  }
}
