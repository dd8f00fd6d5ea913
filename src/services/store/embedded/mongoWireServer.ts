import { promises as fs } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import type { Logger } from '../../logging/logger';
import { CommandDispatcher } from './commandDispatcher';
import type { CommandContext, CommandReply } from './commands/commandContext';
import { CursorRegistry } from './cursorRegistry';
import { RawReply } from './cursorReply';
import { Journal } from './journal';
import { MongoCommandError } from './mongoError';
import { QueryEngine } from './queryEngine';
import { StorageEngine } from './storageEngine';
import { TtlMonitor } from './ttlMonitor';
import { UpdateApplier } from './updateApplier';
import {
  encodeOpMsg,
  encodeOpMsgInPlace,
  encodeOpReply,
  HEADER_SIZE,
  MAX_MESSAGE_SIZE,
  parseMessage,
  ProtocolError,
  serializeReply,
  type IncomingCommand,
} from './wireProtocol';

export interface MongoWireServerOptions {
  /** Directory for the journal; null keeps everything in memory (tests that don't need durability). */
  dataDir: string | null;
  /** Default '127.0.0.1'. */
  host?: string;
  /** Default 0 (an ephemeral port). */
  port?: number;
  logger?: Logger;
  /** Idle server cursors are reaped after this long (MongoDB: 10 minutes). */
  cursorTimeoutMs?: number;
  /** How often expired TTL-indexed documents are deleted (MongoDB: 60 s). */
  ttlIntervalMs?: number;
  /** Online journal compaction threshold (bytes appended since the last snapshot). */
  compactAfterBytes?: number;
  /** How journal groups are written (see JournalOptions.writes): 'blocking' only on a thread of its own. */
  journalWrites?: 'threadpool' | 'blocking';
  /**
   * Also listen on a Unix domain socket (mode 0600), as mongod does: `<dataDir>/store.sock`, or
   * `<tmpdir>/carlinkit-store-<port>.sock` in memory; none (TCP only) when the data directory's path
   * is too long for a socket name.
   * The application on the same host connects through it (see localUri) because a round trip costs
   * both threads less kernel time than over loopback TCP. Default true; never on Windows.
   */
  unixSocket?: boolean;
}

const SOCKET_FILE = 'store.sock';
/** sun_path holds 108 bytes on Linux, 104 on macOS, the terminating NUL included. */
const MAX_SOCKET_PATH_BYTES = 100;

/**
 * The server proper, on the thread that creates it: speaks the MongoDB wire protocol on a TCP port,
 * so mongoose, the mongodb driver, mongosh and Compass use it like a standalone MongoDB 7.0. State
 * lives in memory; with a data directory every acknowledged write is first fsync'd to an
 * append-only journal. EmbeddedMongoServer runs it on a worker thread (or inline).
 */
export class MongoWireServer {
  private readonly options: Required<Omit<MongoWireServerOptions, 'logger' | 'dataDir' | 'journalWrites'>> & {
    journalWrites: MongoWireServerOptions['journalWrites'];
    dataDir: string | null;
  };
  private readonly logger: Logger;
  private readonly dispatcher: CommandDispatcher;
  private journal: Journal | null = null;
  private cursors: CursorRegistry | null = null;
  private ttl: TtlMonitor | null = null;
  private server: net.Server | null = null;
  private socketServer: net.Server | null = null;
  private boundSocketPath: string | null = null;
  private readonly connections = new Set<Connection>();
  private readonly shutdown = new AbortController();
  private boundPort: number | null = null;
  private nextConnectionId = 1;
  private readonly startedAt = new Date();
  private state: 'new' | 'starting' | 'running' | 'closing' | 'closed' = 'new';
  private closing: Promise<void> | null = null;

  constructor(options: MongoWireServerOptions) {
    this.options = {
      dataDir: options.dataDir,
      host: options.host ?? '127.0.0.1',
      port: options.port ?? 0,
      cursorTimeoutMs: options.cursorTimeoutMs ?? 10 * 60_000,
      ttlIntervalMs: options.ttlIntervalMs ?? 60_000,
      compactAfterBytes: options.compactAfterBytes ?? 64 * 1024 * 1024,
      journalWrites: options.journalWrites,
      unixSocket: (options.unixSocket ?? true) && process.platform !== 'win32',
    };
    this.logger = options.logger ?? pino({ level: 'silent' });
    this.dispatcher = new CommandDispatcher(this.logger);
  }

  /** Replays and compacts the journal (if durable), then listens. */
  async start(): Promise<void> {
    if (this.state !== 'new') throw new Error('the embedded store can only be started once');
    this.state = 'starting';
    const began = Date.now();
    const { dataDir } = this.options;
    if (dataDir !== null) {
      this.journal = new Journal({
        dir: dataDir,
        logger: this.logger,
        compactAfterBytes: this.options.compactAfterBytes,
        writes: this.options.journalWrites,
      });
    }
    const engine = new StorageEngine(this.journal);
    if (this.journal) {
      const stats = await this.journal.open(
        (record) => engine.apply(record),
        () => engine.snapshot(),
      );
      this.logger.info({ ...stats, ms: Date.now() - began }, 'embedded store journal replayed and compacted');
    }
    this.cursors = new CursorRegistry(this.options.cursorTimeoutMs);
    this.ttl = new TtlMonitor(engine, this.logger, this.options.ttlIntervalMs);
    this.ttl.start();
    const queries = new QueryEngine(engine);
    const updates = new UpdateApplier(queries);
    const accept = (socket: net.Socket): void => {
      const id = this.nextConnectionId++;
      const context: CommandContext = {
        db: 'admin',
        requestBytes: 0,
        engine,
        queries,
        updates,
        cursors: this.cursors!,
        connection: {
          id,
          // A Unix socket peer has no address; mongod reports it the same way.
          remote:
            socket.remoteAddress === undefined
              ? 'anonymous unix socket:27017'
              : `${socket.remoteAddress}:${socket.remotePort ?? 0}`,
        },
        server: { host: this.options.host, port: this.boundPort ?? 0, startedAt: this.startedAt, dataDir },
        shutdown: this.shutdown.signal,
      };
      const connection = new Connection(socket, context, this.dispatcher, this.logger, () =>
        this.connections.delete(connection),
      );
      this.connections.add(connection);
    };
    const server = net.createServer(accept);
    this.server = server;
    try {
      await listen(server, { port: this.options.port, host: this.options.host });
      this.boundPort = (server.address() as net.AddressInfo).port;
    } catch (error) {
      server.close();
      this.ttl.stop();
      this.cursors.close();
      await this.journal?.close();
      this.state = 'closed';
      throw error;
    }
    if (this.options.unixSocket) {
      try {
        await this.listenOnUnixSocket(accept, this.boundPort);
      } catch (error) {
        // TCP alone still serves everyone (e.g. a data path too long for a socket name).
        this.socketServer?.close();
        this.socketServer = null;
        this.logger.warn({ err: error }, 'embedded store: no Unix socket; clients use TCP');
      }
    }
    this.state = 'running';
    this.logger.info(
      { uri: this.uri, socket: this.boundSocketPath, durable: dataDir !== null, ms: Date.now() - began },
      'embedded store listening',
    );
  }

  /** `mongodb://127.0.0.1:PORT/` (valid after start). */
  get uri(): string {
    if (this.boundPort === null) throw new Error('the embedded store is not started');
    const host = this.options.host.includes(':') ? `[${this.options.host}]` : this.options.host;
    return `mongodb://${host}:${this.boundPort}/`;
  }

  get port(): number {
    if (this.boundPort === null) throw new Error('the embedded store is not started');
    return this.boundPort;
  }

  /** The URI for clients on this host: through the Unix socket when there is one, else `uri`. */
  get localUri(): string {
    return this.boundSocketPath === null ? this.uri : unixSocketUri(this.boundSocketPath);
  }

  /** The Unix domain socket it also listens on (valid after start), or null. */
  get socketPath(): string | null {
    return this.boundSocketPath;
  }

  /**
   * Listens on the Unix socket (see MongoWireServerOptions.unixSocket). In the data directory, so a
   * store killed with kill -9 leaves no file behind elsewhere. A socket file already there that
   * nobody answers on was left by a store that died and is replaced; a live one is left alone.
   */
  private async listenOnUnixSocket(accept: (socket: net.Socket) => void, port: number): Promise<void> {
    const { dataDir } = this.options;
    const inDataDir = dataDir === null ? null : path.join(path.resolve(dataDir), SOCKET_FILE);
    // A long-lived store whose data path can't name a socket stays on TCP rather than put its socket
    // in the shared tmpdir, where a cleaner could delete it and leave the driver unable to reconnect.
    if (inDataDir !== null && Buffer.byteLength(inDataDir) > MAX_SOCKET_PATH_BYTES)
      throw new Error(`the data directory's path is too long for a Unix socket name: ${inDataDir}`);
    const socketPath = inDataDir ?? path.join(os.tmpdir(), `carlinkit-store-${port}.sock`);
    const existing = await fs.lstat(socketPath).catch(() => null);
    if (existing?.isSocket() && !(await answers(socketPath))) await fs.rm(socketPath, { force: true });
    const socketServer = net.createServer(accept);
    this.socketServer = socketServer;
    await listen(socketServer, { path: socketPath });
    // Only this user may connect (mongod's default too); closing the server removes the file.
    await fs.chmod(socketPath, 0o600);
    this.boundSocketPath = socketPath;
  }

  /** Stops accepting, lets commands in flight finish, ends connections, then flushes and closes the journal. */
  close(): Promise<void> {
    this.closing ??= this.doClose();
    return this.closing;
  }

  private async doClose(): Promise<void> {
    if (this.state === 'new' || this.state === 'closed') {
      this.state = 'closed';
      return;
    }
    this.state = 'closing';
    const stopped = Promise.all(
      [this.server, this.socketServer].map((server) =>
        server ? new Promise<void>((resolve) => server.close(() => resolve())) : Promise.resolve(),
      ),
    );
    this.shutdown.abort();
    this.ttl?.stop();
    await Promise.all([...this.connections].map((connection) => connection.close()));
    await stopped;
    this.cursors?.close();
    await this.journal?.close();
    this.state = 'closed';
    this.logger.info('embedded store closed');
  }
}

/** One client socket: frames in, commands run one at a time in order, replies out. */
class Connection {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private readonly queue: Buffer[] = [];
  private processing: Promise<void> | null = null;
  private closed = false;
  private readonly finished: Promise<void>;
  private requestCounter = 0;

  constructor(
    private readonly socket: net.Socket,
    private readonly context: CommandContext,
    private readonly dispatcher: CommandDispatcher,
    private readonly logger: Logger,
    onClose: () => void,
  ) {
    socket.setNoDelay(true);
    this.finished = new Promise((resolve) => {
      socket.once('close', () => {
        this.closed = true;
        onClose();
        resolve();
      });
    });
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (error) => this.logger.debug({ err: error }, 'embedded store connection error'));
  }

  /** Waits for the command in progress (if any), then closes the socket. */
  async close(): Promise<void> {
    this.closed = true;
    this.queue.length = 0;
    await this.processing;
    this.socket.destroy();
    await this.finished;
  }

  private onData(chunk: Buffer): void {
    if (this.closed) return;
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    while (this.buffered >= 4) {
      const head = this.chunks[0].length >= 4 ? this.chunks[0] : this.flatten();
      const length = head.readInt32LE(0);
      if (length < HEADER_SIZE || length > MAX_MESSAGE_SIZE) {
        this.logger.warn({ length }, 'embedded store: invalid message length; closing connection');
        this.socket.destroy();
        return;
      }
      if (this.buffered < length) return;
      const all = this.flatten();
      this.queue.push(all.subarray(0, length));
      const rest = all.subarray(length);
      this.chunks = rest.length > 0 ? [rest] : [];
      this.buffered = rest.length;
    }
    if (!this.processing && this.queue.length > 0) {
      this.processing = this.drain().finally(() => {
        this.processing = null;
      });
    }
  }

  private flatten(): Buffer {
    if (this.chunks.length > 1) this.chunks = [Buffer.concat(this.chunks, this.buffered)];
    return this.chunks[0];
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0 && !this.closed) {
      const frame = this.queue.shift()!;
      let message: IncomingCommand;
      try {
        message = parseMessage(frame);
      } catch (error) {
        const reason =
          error instanceof ProtocolError || error instanceof Error ? error.message : String(error);
        this.logger.warn({ reason }, 'embedded store: malformed message; closing connection');
        this.socket.destroy();
        return;
      }
      await this.handle(message);
    }
  }

  private async handle(message: IncomingCommand): Promise<void> {
    const db = commandDatabase(message);
    const reply: CommandReply = await this.dispatcher.run(message.body, {
      ...this.context,
      db,
      requestBytes: message.size,
      sequenceBytes: message.sequenceBytes,
    });
    if (message.moreToCome || this.socket.destroyed) return;
    this.requestCounter = (this.requestCounter + 1) & 0x7fffffff;
    if (reply instanceof RawReply && message.kind === 'msg') {
      // Encoded with room for the header: sent as it is.
      this.socket.write(encodeOpMsgInPlace(reply.frame, this.requestCounter, message.requestId));
      return;
    }
    let bytes: Uint8Array;
    try {
      bytes = reply instanceof RawReply ? reply.bytes : serializeReply(reply);
    } catch (error) {
      const text = error instanceof Error ? error.message : String(error);
      bytes = serializeReply(
        new MongoCommandError('InternalError', `reply could not be encoded: ${text}`).toReply(),
      );
    }
    const frame =
      message.kind === 'query'
        ? encodeOpReply(bytes, this.requestCounter, message.requestId)
        : encodeOpMsg(bytes, this.requestCounter, message.requestId);
    this.socket.write(frame);
  }
}

/** `mongodb://%2Ftmp%2F….sock/`: drivers take a host ending in `.sock`, percent-encoded, as a socket path. */
export function unixSocketUri(socketPath: string): string {
  return `mongodb://${encodeURIComponent(socketPath)}/`;
}

/** True when something accepts connections on the Unix socket at `socketPath`. */
function answers(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = net.connect(socketPath);
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => resolve(false));
  });
}

function listen(server: net.Server, options: net.ListenOptions): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

function commandDatabase(message: IncomingCommand): string {
  const db: unknown = message.body.$db;
  if (typeof db === 'string' && db !== '') return db;
  const namespace = message.fullCollectionName ?? '';
  const dot = namespace.indexOf('.');
  return dot > 0 ? namespace.slice(0, dot) : 'admin';
}
