import { randomBytes } from 'node:crypto';
import mongoose from 'mongoose';
import { EmbeddedMongoServer } from '../../src/services/store/embedded/embeddedMongoServer';

export interface TestStore {
  uri: string;
  connection: mongoose.Connection;
  close(): Promise<void>;
}

export interface TestStoreOptions {
  /** Embedded store only: a directory makes it durable; default null (in memory). */
  dataDir?: string | null;
}

/**
 * A MongoDB for one test file or case: a fresh, uniquely named database on TEST_MONGODB_URI when it
 * is set (dropped on close), otherwise an in-memory embedded store, reached through its Unix socket
 * as the app reaches it. Same code path either way: mongoose through the wire protocol.
 */
export async function startTestStore(options: TestStoreOptions = {}): Promise<TestStore> {
  const dbName = `test_${randomBytes(6).toString('hex')}`;
  const external = process.env.TEST_MONGODB_URI?.trim();
  if (external) {
    const connection = mongoose.createConnection(external, { dbName, serverSelectionTimeoutMS: 10_000 });
    await connection.asPromise();
    return {
      uri: external,
      connection,
      async close() {
        try {
          await connection.dropDatabase();
        } finally {
          await connection.close();
        }
      },
    };
  }
  // Inline: the same server code as production's worker thread, without a second module load per test file.
  const server = new EmbeddedMongoServer({ dataDir: options.dataDir ?? null, thread: 'inline' });
  await server.start();
  const connection = mongoose.createConnection(server.localUri, { dbName, serverSelectionTimeoutMS: 5_000 });
  try {
    await connection.asPromise();
  } catch (error) {
    await server.close();
    throw error;
  }
  return {
    uri: server.localUri,
    connection,
    async close() {
      try {
        await connection.close();
      } finally {
        await server.close();
      }
    },
  };
}
