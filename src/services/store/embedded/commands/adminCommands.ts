import os from 'node:os';
import v8 from 'node:v8';
import { isMainThread } from 'node:worker_threads';
import type { Document } from 'bson';
import { MAX_BSON_OBJECT_SIZE, MAX_MESSAGE_SIZE } from '../wireProtocol';
import type { CommandContext, CommandHandler } from './commandContext';

/**
 * We speak as a MongoDB 7.0 standalone (wire version 21): new enough for every current driver, and
 * a standalone so drivers neither attempt retryable writes nor transactions (which we refuse).
 */
export const SERVER_VERSION = '7.0.0';
export const MAX_WIRE_VERSION = 21;
export const LOGICAL_SESSION_TIMEOUT_MINUTES = 30;

function handshake(body: Document, context: CommandContext, legacy: boolean): Document {
  const reply: Document = legacy ? { ismaster: true } : { isWritablePrimary: true };
  // Drivers that say helloOk in the legacy handshake switch to `hello` afterwards.
  if (!legacy || body.helloOk === true) reply.helloOk = true;
  Object.assign(reply, {
    maxBsonObjectSize: MAX_BSON_OBJECT_SIZE,
    maxMessageSizeBytes: MAX_MESSAGE_SIZE,
    maxWriteBatchSize: 100_000,
    localTime: new Date(),
    logicalSessionTimeoutMinutes: LOGICAL_SESSION_TIMEOUT_MINUTES,
    connectionId: context.connection.id,
    minWireVersion: 0,
    maxWireVersion: MAX_WIRE_VERSION,
    readOnly: false,
    ok: 1,
  });
  // Asked before a login (`saslSupportedMechs: "admin.user"`): the driver then picks SCRAM-SHA-256.
  const mechanisms = context.connection.auth.mechanisms;
  if (typeof body.saslSupportedMechs === 'string' && mechanisms.length > 0)
    reply.saslSupportedMechs = mechanisms;
  return reply;
}

export const hello: CommandHandler = (body, context) => handshake(body, context, false);
export const isMaster: CommandHandler = (body, context) => handshake(body, context, true);

export const ping: CommandHandler = () => ({ ok: 1 });

/** Session bookkeeping we have nothing to do for (no server-side session state). */
export const acknowledge: CommandHandler = () => ({ ok: 1 });

export const buildInfo: CommandHandler = () => ({
  version: SERVER_VERSION,
  gitVersion: 'carlinkit-embedded-store',
  versionArray: [7, 0, 0, 0],
  modules: [],
  allocator: 'system',
  javascriptEngine: 'none',
  sysInfo: 'deprecated',
  openssl: { running: 'disabled' },
  storageEngines: ['embedded'],
  bits: 64,
  debug: false,
  maxBsonObjectSize: MAX_BSON_OBJECT_SIZE,
  ok: 1,
});

function databaseSizes(
  context: CommandContext,
  db: string,
): { objects: number; dataSize: number; collections: number; indexes: number } {
  let objects = 0;
  let dataSize = 0;
  let indexes = 0;
  const collections = context.engine.collections(db);
  for (const collection of collections) {
    objects += collection.count;
    dataSize += collection.dataSize;
    indexes += collection.indexSpecs().length;
  }
  return { objects, dataSize, collections: collections.length, indexes };
}

export const listDatabases: CommandHandler = (body, context) => {
  const names = context.engine.databaseNames();
  if (body.nameOnly === true) return { databases: names.map((name) => ({ name })), ok: 1 };
  const databases = names.map((name) => {
    const size = databaseSizes(context, name).dataSize;
    return { name, sizeOnDisk: size, empty: size === 0 };
  });
  const totalSize = databases.reduce((sum, database) => sum + database.sizeOnDisk, 0);
  return { databases, totalSize, totalSizeMb: Math.round(totalSize / 1_048_576), ok: 1 };
};

export const dbStats: CommandHandler = (_body, context) => {
  const sizes = databaseSizes(context, context.db);
  return {
    db: context.db,
    collections: sizes.collections,
    views: 0,
    objects: sizes.objects,
    avgObjSize: sizes.objects > 0 ? sizes.dataSize / sizes.objects : 0,
    dataSize: sizes.dataSize,
    storageSize: sizes.dataSize,
    indexes: sizes.indexes,
    indexSize: 0,
    totalSize: sizes.dataSize,
    scaleFactor: 1,
    ok: 1,
  };
};

export const collStats: CommandHandler = (body, context) => {
  const name = String(body.collStats);
  const collection = context.engine.collection(context.db, name);
  const count = collection?.count ?? 0;
  const size = collection?.dataSize ?? 0;
  const specs = collection?.indexSpecs() ?? [];
  return {
    ns: `${context.db}.${name}`,
    count,
    size,
    avgObjSize: count > 0 ? size / count : 0,
    storageSize: size,
    nindexes: specs.length,
    totalIndexSize: 0,
    indexSizes: Object.fromEntries(specs.map((spec) => [spec.name, 0])),
    capped: collection?.capped ?? false,
    ok: 1,
  };
};

export const serverStatus: CommandHandler = (_body, context) => {
  const uptimeMillis = Date.now() - context.server.startedAt.getTime();
  const heap = v8.getHeapStatistics();
  return {
    host: `${os.hostname()}:${context.server.port}`,
    version: SERVER_VERSION,
    process: 'embedded-mongod',
    pid: process.pid,
    uptime: Math.floor(uptimeMillis / 1000),
    uptimeMillis,
    localTime: new Date(),
    storageEngine: { name: 'embedded', persistent: context.server.dataDir !== null },
    mem: { bits: 64, resident: megabytes(process.memoryUsage.rss()), supported: true },
    // As on mongod: documents examined by queries (a scan counts every document it looked at).
    metrics: { queryExecutor: { scannedObjects: context.engine.scannedObjects } },
    // The store's own JavaScript heap (its thread's, when it runs on a worker): where its documents live.
    embedded: {
      thread: isMainThread ? 'inline' : 'worker',
      heapUsedMB: megabytes(heap.used_heap_size),
      heapTotalMB: megabytes(heap.total_heap_size),
      externalMB: megabytes(heap.external_memory),
      documents: context.engine.documentCount(),
    },
    ok: 1,
  };
};

function megabytes(bytes: number): number {
  return Math.round(bytes / 1_048_576);
}

export const hostInfo: CommandHandler = () => ({
  system: {
    currentTime: new Date(),
    hostname: os.hostname(),
    cpuAddrSize: 64,
    memSizeMB: Math.round(os.totalmem() / 1_048_576),
    numCores: os.cpus().length,
    cpuArch: os.arch(),
  },
  os: { type: os.type(), name: os.platform(), version: os.release() },
  extra: {},
  ok: 1,
});

export const connectionStatus: CommandHandler = (_body, context) => {
  const users = context.connection.auth.authenticatedUsers;
  // The one user there is may do everything, like MongoDB's `root`.
  const roles = users.map((user) => ({ role: 'root', db: user.db }));
  return { authInfo: { authenticatedUsers: users, authenticatedUserRoles: roles }, ok: 1 };
};

export const whatsmyuri: CommandHandler = (_body, context) => ({ you: context.connection.remote, ok: 1 });

export const getCmdLineOpts: CommandHandler = () => ({ argv: ['embedded-mongod'], parsed: {}, ok: 1 });

export const getParameter: CommandHandler = (body) => {
  if (body.featureCompatibilityVersion !== undefined || body.getParameter === '*') {
    return { featureCompatibilityVersion: { version: '7.0' }, ok: 1 };
  }
  return { ok: 1 };
};

export const getLog: CommandHandler = (body) =>
  body.getLog === '*' ? { names: ['startupWarnings'], ok: 1 } : { totalLinesWritten: 0, log: [], ok: 1 };
