import { promises as fs } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import type { Logger } from '../../logging/logger';
import { ConnectionAuth } from './auth/connectionAuth';
import { deriveScramCredential, type ScramCredential } from './auth/scramCredential';
import { CommandDispatcher } from './commandDispatcher';
import type { CommandContext, CommandReply } from './commands/commandContext';
import { CursorRegistry } from './cursorRegistry';
import { RawReply } from './cursorReply';
import { Journal } from './journal';
import { MongoCommandError } from './mongoError';
import { PRIVATE_FILE_MODE } from './privateDirectory';
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

/** A TCP listener, for tools and other hosts: every client must log in (SCRAM-SHA-256) first. */
export interface TcpListenerOptions {
  /** Default '127.0.0.1'. */
  host?: string | undefined;
  /** Default 0 (an ephemeral port). */
  port?: number | undefined;
  /** The one user who may log in (authSource `admin`), e.g. from StoreCredentials. */
  username: string;
  password: string;
}

export interface MongoWireServerOptions {
  /** Directory for the journal; null keeps everything in memory (tests that don't need durability). */
  dataDir: string | null;
  /**
   * Also listen on TCP (default: not at all). Clients on this host use the Unix socket, which only
   * this user can open; TCP can be reached by every local user (and more), so it requires a login.
   */
  tcp?: TcpListenerOptions | undefined;
  logger?: Logger;
  /** Idle server cursors are reaped after this long (MongoDB: 10 minutes). */
  cursorTimeoutMs?: number;
  /** How often expired TTL-indexed documents are deleted (MongoDB: 60 s). */
  ttlIntervalMs?: number;
  /** Online journal compaction threshold (bytes appended since the last snapshot). */
  compactAfterBytes?: number;
  /** How journal groups are written (see JournalOptions.writes): 'blocking' only on a thread of its own. */
  journalWrites?: 'threadpool' | 'blocking';
}

const SOCKET_FILE = 'store.sock';
/** sun_path holds 108 bytes on Linux, 104 on macOS, the terminating NUL included. */
const MAX_SOCKET_PATH_BYTES = 100;

const SOCKET_DIR_PREFIX = 'carlinkit-store-';
const DEFAULT_TCP_HOST = '127.0.0.1';

/**
 * The server proper, on the thread that creates it: speaks the MongoDB wire protocol on a Unix
 * domain socket (and, when asked, on TCP with a login), so mongoose, the mongodb driver, mongosh and
 * Compass use it like a standalone MongoDB 7.0. State lives in memory; with a data directory every
 * acknowledged write is first fsync'd to an append-only journal. EmbeddedMongoServer runs it on a
 * worker thread (or inline).
 *
 * The socket (mode 0600) is in the data directory (0700): only this user can connect, so it needs
 * no login. In memory, or when the data directory's path is too long to name a socket, it is in a
 * directory of its own made by mkdtemp (0700, unguessable name) in the tmpdir, removed on close;
 * the owner-only directory is what keeps other users off, whatever the umask made of the socket
 * before its chmod. (A tmp cleaner that deleted it would make reconnects fail loudly, not open.)
 */
export class MongoWireServer {
  private readonly options: {
    dataDir: string | null;
    tcp: { host: string; port: number } | undefined;
    cursorTimeoutMs: number;
    ttlIntervalMs: number;
    compactAfterBytes: number;
    journalWrites: MongoWireServerOptions['journalWrites'];
  };
  private readonly logger: Logger;
  /** Who may log in: only the SCRAM keys, derived once (PBKDF2); the password itself is not kept. */
  private readonly credentials: readonly ScramCredential[];
  /** The mkdtemp directory holding the socket, when it isn't in the data directory. */
  private privateSocketDir: string | null = null;
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
      tcp: options.tcp && { host: options.tcp.host ?? DEFAULT_TCP_HOST, port: options.tcp.port ?? 0 },
      cursorTimeoutMs: options.cursorTimeoutMs ?? 10 * 60_000,
      ttlIntervalMs: options.ttlIntervalMs ?? 60_000,
      compactAfterBytes: options.compactAfterBytes ?? 64 * 1024 * 1024,
      journalWrites: options.journalWrites,
    };
    this.credentials = options.tcp ? [deriveScramCredential(options.tcp.username, options.tcp.password)] : [];
    this.logger = options.logger ?? pino({ level: 'silent' });
    this.dispatcher = new CommandDispatcher(this.logger);
  }

  /** Replays and compacts the journal (if durable), then listens. */
  async start(): Promise<void> {
    if (this.state !== 'new') throw new Error('the embedded store can only be started once');
    if (process.platform === 'win32') {
      throw new Error(
        'the embedded store serves its clients over a Unix domain socket (Linux, macOS); on Windows set MONGODB_URI or use WSL',
      );
    }
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
    const { tcp } = this.options;
    const accept = (socket: net.Socket, overTcp: boolean): void => {
      const id = this.nextConnectionId++;
      // A Unix socket peer has no address; mongod reports it the same way.
      const remote =
        socket.remoteAddress === undefined
          ? 'anonymous unix socket:27017'
          : `${socket.remoteAddress}:${socket.remotePort ?? 0}`;
      const context: CommandContext = {
        db: 'admin',
        requestBytes: 0,
        engine,
        queries,
        updates,
        cursors: this.cursors!,
        connection: {
          id,
          remote,
          auth: new ConnectionAuth(overTcp, this.credentials, this.logger, remote),
        },
        server: {
          host: tcp?.host ?? DEFAULT_TCP_HOST,
          port: this.boundPort ?? 0,
          startedAt: this.startedAt,
          dataDir,
        },
        shutdown: this.shutdown.signal,
      };
      const connection = new Connection(socket, context, this.dispatcher, this.logger, () =>
        this.connections.delete(connection),
      );
      this.connections.add(connection);
    };
    try {
      await this.listenOnUnixSocket((socket) => accept(socket, false));
      if (tcp) {
        const server = net.createServer((socket) => accept(socket, true));
        this.server = server;
        await listen(server, tcp);
        this.boundPort = (server.address() as net.AddressInfo).port;
      }
    } catch (error) {
      await Promise.all([this.server, this.socketServer].map((server) => closeServer(server)));
      await this.removePrivateSocketDir();
      this.ttl.stop();
      this.cursors.close();
      await this.journal?.close();
      this.state = 'closed';
      throw error;
    }
    this.state = 'running';
    this.logger.info(
      {
        socket: this.boundSocketPath,
        tcp: this.tcpUri,
        durable: dataDir !== null,
        ms: Date.now() - began,
      },
      'embedded store listening',
    );
  }

  /** `mongodb://127.0.0.1:PORT/` when listening on TCP (clients must add credentials), else null. */
  get tcpUri(): string | null {
    if (this.boundPort === null) return null;
    const host = this.options.tcp?.host ?? DEFAULT_TCP_HOST;
    return `mongodb://${host.includes(':') ? `[${host}]` : host}:${this.boundPort}/`;
  }

  /** The TCP port, or null when TCP is off. */
  get port(): number | null {
    return this.boundPort;
  }

  /** The URI for clients on this host, as this user: through the Unix socket (valid after start). */
  get localUri(): string {
    return unixSocketUri(this.socketPath);
  }

  /** The Unix domain socket it listens on (valid after start). */
  get socketPath(): string {
    if (this.boundSocketPath === null) throw new Error('the embedded store is not started');
    return this.boundSocketPath;
  }

  /**
   * Listens on the Unix socket (see the class comment). In the data directory when its path can
   * name a socket, so a store killed with kill -9 leaves no file behind elsewhere; a socket file
   * already there that nobody answers on was left by a store that died and is replaced.
   */
  private async listenOnUnixSocket(accept: (socket: net.Socket) => void): Promise<void> {
    const { dataDir } = this.options;
    const inDataDir = dataDir === null ? null : path.join(path.resolve(dataDir), SOCKET_FILE);
    let socketPath: string;
    if (inDataDir !== null && Buffer.byteLength(inDataDir) <= MAX_SOCKET_PATH_BYTES) {
      socketPath = inDataDir;
      const existing = await fs.lstat(socketPath).catch(() => null);
      if (existing?.isSocket() && !(await answers(socketPath))) await fs.rm(socketPath, { force: true });
    } else {
      // mkdtemp: created 0700 with a name nobody could have prepared in advance.
      this.privateSocketDir = await fs.mkdtemp(path.join(os.tmpdir(), SOCKET_DIR_PREFIX));
      socketPath = path.join(this.privateSocketDir, SOCKET_FILE);
      if (Buffer.byteLength(socketPath) > MAX_SOCKET_PATH_BYTES) {
        throw new Error(
          `no Unix socket path short enough for the embedded store: ${inDataDir ?? socketPath}; use a shorter DATA_DIR or TMPDIR`,
        );
      }
    }
    const socketServer = net.createServer(accept);
    this.socketServer = socketServer;
    await listen(socketServer, { path: socketPath });
    // Only this user may connect (mongod's default too); closing the server removes the file.
    await fs.chmod(socketPath, PRIVATE_FILE_MODE);
    this.boundSocketPath = socketPath;
  }

  private async removePrivateSocketDir(): Promise<void> {
    if (this.privateSocketDir === null) return;
    await fs.rm(this.privateSocketDir, { recursive: true, force: true });
    this.privateSocketDir = null;
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
    const stopped = Promise.all([this.server, this.socketServer].map((server) => closeServer(server)));
    this.shutdown.abort();
    this.ttl?.stop();
    await Promise.all([...this.connections].map((connection) => connection.close()));
    await stopped;
    await this.removePrivateSocketDir();
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

function closeServer(server: net.Server | null): Promise<void> {
  if (!server?.listening) return Promise.resolve();
  return new Promise<void>((resolve) => server.close(() => resolve()));
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
