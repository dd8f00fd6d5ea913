import { ConfigError, loadConfig } from './config';
import type { App } from './app';
import { createLogger } from './services/logging/logger';

/** Reads the config, opens the store, listens; stops gracefully on SIGTERM/SIGINT. */
export async function start(): Promise<App> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(78); // EX_CONFIG: the process never listened
    }
    throw error;
  }
  const logger = createLogger({ level: config.logLevel });
  // The store (a worker thread when embedded) opens while the app's modules load on this thread;
  // those are only loaded once the config is known good, so a bad setting is reported at once.
  const { openDatabase } = await import('./services/store/database');
  const opening = openDatabase(config.store, logger);
  opening.catch(() => undefined); // awaited below; don't report it as unhandled meanwhile
  const { createApp } = await import('./app');
  const app = await createApp(config, { logger, database: await opening });
  await app.listen();

  let signalled = false;
  const shutdown = (signal: NodeJS.Signals): void => {
    if (signalled) {
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    signalled = true;
    logger.info({ signal }, 'shutdown requested');
    app.stop().then(
      () => exitAfterLogs(0),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        exitAfterLogs(1);
      },
    );
  };
  // pino's async destination answers flush() at once while its last write may still be in flight,
  // and process.exit() would drop it (the "stopped" line went missing under load). So let the event
  // loop drain by itself, which finishes pending writes, and force the exit only if a stray handle
  // keeps it alive.
  const exitAfterLogs = (code: number): void => {
    process.exitCode = code;
    setTimeout(() => process.exit(code), 1_000).unref();
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
  process.on('unhandledRejection', (reason) => {
    logger.error({ err: reason }, 'unhandled rejection');
  });
  return app;
}

if (require.main === module) {
  start().catch((error: unknown) => {
    process.stderr.write(`Failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
