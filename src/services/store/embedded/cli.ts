import { parseArgs } from 'node:util';
import { z } from 'zod';
import { ConfigError, loadConfig } from '../../../config';
import { createLogger } from '../../logging/logger';
import { loadOrCreateStoreCredentials, uriWithCredentials } from './auth/storeCredentials';
import { EmbeddedMongoServer } from './embeddedMongoServer';

/**
 * `npm run db [-- --port 27017 --host 127.0.0.1 --memory]`: runs the embedded store on its own,
 * durable under DATA_DIR, and prints its URIs so mongosh or Compass can look inside: first the Unix
 * socket's (this user, no login), then TCP's, which needs the login from
 * DATA_DIR/store-credentials.json: shown in full only when it is generated, on the first run.
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
  const dataDir = args.memory ? null : config.store.dataDir;
  const credentials = await loadOrCreateStoreCredentials(dataDir, logger);
  const server = new EmbeddedMongoServer({
    dataDir,
    tcp: { host: args.host, port: args.port, username: credentials.username, password: credentials.password },
    logger,
  });
  await server.start();
  const tcpUri = server.tcpUri ?? '';
  // On stdout for the operator and scripts, the socket's URI first; never through the logger. The
  // password only on the run that generated it: afterwards it is in the credentials file.
  const lines = [server.localUri];
  if (credentials.created) {
    lines.push(uriWithCredentials(tcpUri, credentials));
    if (credentials.file) process.stderr.write(`TCP login generated into ${credentials.file} (0600)\n`);
  } else {
    const masked = uriWithCredentials(tcpUri, { ...credentials, password: '****' });
    process.stderr.write(`TCP: ${masked} (password in ${credentials.file ?? 'memory'})\n`);
  }
  process.stdout.write(`${lines.join('\n')}\n`);

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
