/**
 * Worker-thread entry point: runs the MongoWireServer off the application's event loop and reports
 * to EmbeddedMongoServer through messages (ready/failed/log/closed). Started only as a worker.
 */
import { parentPort, workerData } from 'node:worker_threads';
import pino from 'pino';
import { MongoWireServer } from './mongoWireServer';
import { workerOptionsSchema, type WorkerMessage } from './storeWorkerProtocol';

function run(port: NonNullable<typeof parentPort>): void {
  const send = (message: WorkerMessage): void => port.postMessage(message);
  const options = workerOptionsSchema.parse(workerData);
  // Log lines go to the parent, whose logger (redaction, destination) writes them.
  const logger = pino(
    { level: options.logLevel, base: undefined, timestamp: false },
    { write: (line: string) => send({ type: 'log', line }) },
  );
  // This thread serves the store and nothing else, so journal writes may block it (see JournalOptions).
  const server = new MongoWireServer({ ...options, logger, journalWrites: 'blocking' });
  port.on('message', (message: unknown) => {
    if ((message as { type?: unknown } | null)?.type !== 'close') return;
    server.close().then(
      () => {
        send({ type: 'closed' });
        port.close();
      },
      (error: unknown) => {
        send({ type: 'failed', message: error instanceof Error ? error.message : String(error) });
        port.close();
      },
    );
  });
  server.start().then(
    () => send({ type: 'ready', port: server.port, socketPath: server.socketPath }),
    (error: unknown) => {
      send({ type: 'failed', message: error instanceof Error ? error.message : String(error) });
      port.close();
    },
  );
}

if (parentPort) run(parentPort);
