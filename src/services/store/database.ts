import mongoose, { type Connection } from 'mongoose';
import type { AppConfig } from '../../config';
import type { Logger } from '../logging/logger';
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
 * store on 127.0.0.1 (durable under DATA_DIR) and connects to that: one code path either way.
 */
export async function openDatabase(store: AppConfig['store'], logger: Logger): Promise<Database> {
  let embeddedServer: EmbeddedMongoServer | undefined;
  let uri: string;
  if (store.mongodbUri) {
    uri = store.mongodbUri;
  } else {
    embeddedServer = new EmbeddedMongoServer({
      dataDir: store.dataDir,
      logger: logger.child({ component: 'embedded-store' }),
    });
    await embeddedServer.start();
    // The store is on this host: its Unix socket when it has one (less kernel time per round trip).
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
