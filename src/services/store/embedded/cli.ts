import { parseArgs } from 'node:util';
import { z } from 'zod';
import { ConfigError, loadConfig } from '../../../config';
import { createLogger } from '../../logging/logger';
import { EmbeddedMongoServer } from './embeddedMongoServer';

/**
 * `npm run db [-- --port 27017 --host 127.0.0.1 --memory]`: runs the embedded store on its own,
 * durable under DATA_DIR, and prints its mongodb:// URI so mongosh or Compass can look inside.
 * Don't point it at the DATA_DIR of a running `npm start`: the directory lock refuses a second owner.
 */
const argsSchema = z.object({
  port: z.coerce.number().int().min(0).max(65535).default(27017),
  host: z.string().min(1).default('127.0.0.1'),
  memory: z.boolean().default(false),
});

export async function main(): Promise<void> {
  const config = loadConfig();
  const { values } = parseArgs({
    options: { port: { type: 'string' }, host: { type: 'string' }, memory: { type: 'boolean' } },
    strict: true,
  });
  const args = argsSchema.parse(values);
  const logger = createLogger({ level: config.logLevel });
  const server = new EmbeddedMongoServer({
    dataDir: args.memory ? null : config.store.dataDir,
    host: args.host,
    port: args.port,
    logger,
  });
  await server.start();
  process.stdout.write(`${server.uri}\n`);

  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'embedded store shutting down');
    server.close().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'embedded store did not close cleanly');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

if (require.main === module) {
  main().catch((error: unknown) => {
    const message =
      error instanceof ConfigError || error instanceof z.ZodError ? error.message : String(error);
    process.stderr.write(`embedded store failed to start: ${message}\n`);
    process.exit(1);
  });
}
