import net from 'node:net';
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
}

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
    const server = net.createServer((socket) => {
      const id = this.nextConnectionId++;
      const context: CommandContext = {
        db: 'admin',
        requestBytes: 0,
        engine,
        queries,
        updates,
        cursors: this.cursors!,
        connection: { id, remote: `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? 0}` },
        server: { host: this.options.host, port: this.boundPort ?? 0, startedAt: this.startedAt, dataDir },
        shutdown: this.shutdown.signal,
      };
      const connection = new Connection(socket, context, this.dispatcher, this.logger, () =>
        this.connections.delete(connection),
      );
      this.connections.add(connection);
    });
    this.server = server;
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(this.options.port, this.options.host, () => {
          server.off('error', reject);
          resolve();
        });
      });
    } catch (error) {
      this.ttl.stop();
      this.cursors.close();
      await this.journal?.close();
      this.state = 'closed';
      throw error;
    }
    this.boundPort = (server.address() as net.AddressInfo).port;
    this.state = 'running';
    this.logger.info(
      { uri: this.uri, durable: dataDir !== null, ms: Date.now() - began },
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
    const server = this.server;
    const stopped = server
      ? new Promise<void>((resolve) => server.close(() => resolve()))
      : Promise.resolve();
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

function commandDatabase(message: IncomingCommand): string {
  const db: unknown = message.body.$db;
  if (typeof db === 'string' && db !== '') return db;
  const namespace = message.fullCollectionName ?? '';
  const dot = namespace.indexOf('.');
  return dot > 0 ? namespace.slice(0, dot) : 'admin';
}
