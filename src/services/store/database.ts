import mongoose, { type Connection } from 'mongoose';
import type { AppConfig } from '../../config';
import type { Logger } from '../logging/logger';
import { loadOrCreateStoreCredentials, type StoreCredentials } from './embedded/auth/storeCredentials';
import { EmbeddedMongoServer } from './embedded/embeddedMongoServer';

export interface Database {
  readonly connection: Connection;
  /** The URI mongoose is connected to, with no credentials (safe to log). */
  readonly safeUri: string;
  readonly embedded: boolean;
  /** True when the server answers a ping within the timeout. */
  ping(timeoutMs?: number): Promise<boolean>;
  /** Closes the connection, then (embedded) flushes and closes the store. */
  close(): Promise<void>;
}

const EMBEDDED_DB_NAME = 'carlinkit';

/**
 * Connects mongoose to MONGODB_URI, or, when it is unset, starts the embedded MongoDB-compatible
 * store (durable under DATA_DIR) and connects to it through its owner-only Unix socket: one code
 * path either way. The store listens on TCP only when EMBEDDED_STORE_TCP_PORT asks, and then
 * requires the login kept in DATA_DIR; this process never uses TCP itself.
 */
export async function openDatabase(store: AppConfig['store'], logger: Logger): Promise<Database> {
  let embeddedServer: EmbeddedMongoServer | undefined;
  let uri: string;
  if (store.mongodbUri) {
    uri = store.mongodbUri;
  } else {
    const storeLogger = logger.child({ component: 'embedded-store' });
    const tcp = store.embeddedTcp;
    let credentials: StoreCredentials | undefined;
    if (tcp) credentials = await loadOrCreateStoreCredentials(store.dataDir, storeLogger);
    embeddedServer = new EmbeddedMongoServer({
      dataDir: store.dataDir,
      logger: storeLogger,
      tcp:
        tcp && credentials
          ? { host: tcp.host, port: tcp.port, username: credentials.username, password: credentials.password }
          : undefined,
    });
    await embeddedServer.start();
    if (credentials) {
      // The file, never the password: logs are read by more people than DATA_DIR is.
      storeLogger.info(
        { tcp: embeddedServer.tcpUri, username: credentials.username, credentials: credentials.file },
        credentials.created
          ? 'embedded store TCP login generated (password in the credentials file)'
          : 'embedded store TCP requires the login in the credentials file',
      );
    }
    uri = embeddedServer.localUri;
  }
  const safeUri = uri.replace(/\/\/[^@/]*@/, '//***@');
  const connection = mongoose.createConnection(uri, {
    dbName: embeddedServer ? EMBEDDED_DB_NAME : undefined,
    serverSelectionTimeoutMS: 5_000,
    // Fail fast when the store is gone instead of queueing operations forever.
    bufferCommands: false,
  });
  try {
    await connection.asPromise();
  } catch (error) {
    await embeddedServer?.close();
    throw error;
  }
  logger.info({ uri: safeUri, embedded: Boolean(embeddedServer) }, 'database connected');

  let closed = false;
  return {
    connection,
    safeUri,
    embedded: Boolean(embeddedServer),
    async ping(timeoutMs = 1_000): Promise<boolean> {
      const db = connection.db;
      if (closed || connection.readyState !== mongoose.ConnectionStates.connected || !db) return false;
      let timer: NodeJS.Timeout | undefined;
      try {
        const timeout = new Promise<false>((resolve) => {
          timer = setTimeout(() => resolve(false), timeoutMs);
        });
        const pinged = db
          .admin()
          .ping()
          .then(() => true)
          .catch(() => false);
        return await Promise.race([pinged, timeout]);
      } finally {
        clearTimeout(timer);
      }
    },
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      await connection.close();
      await embeddedServer?.close();
      logger.info('database closed');
    },
  };
}
