import type { AddressInfo } from 'node:net';
import { ActivityHandler, CloudAdapter, ConfigurationBotFrameworkAuthentication } from 'botbuilder';
import type { Server } from 'restify';
import type { AppConfig } from './config';
import type { Logger } from './services/logging/logger';
import { openDatabase, type Database } from './services/store/database';
import { makeServer, type InFlightRequests, type RouteRegistrar } from './bot/server';

export interface AppOptions {
  logger: Logger;
  /** Injected clock for tests; defaults to the wall clock. */
  now?: () => Date;
}

/** A background worker (notification dispatcher, relays…) started after listen and stopped before the store closes. */
export interface Worker {
  readonly name: string;
  start(): void;
  stop(): Promise<void>;
}

export interface App {
  readonly server: Server;
  readonly database: Database;
  readonly inFlight: InFlightRequests;
  /** Listens on config.http (or the given port) and starts the workers; resolves with the bound address. */
  listen(port?: number, host?: string): Promise<AddressInfo>;
  /** Graceful stop: refuse new requests, finish those in flight, stop workers, flush and close the store. */
  stop(): Promise<void>;
}

/** The composition root: builds every service from the config and wires them into the HTTP server. */
export async function createApp(config: AppConfig, options: AppOptions): Promise<App> {
  const { logger } = options;
  const database = await openDatabase(config.store, logger);
  const workers: Worker[] = [];
  const registrars: RouteRegistrar[] = [];

  try {
    const auth = new ConfigurationBotFrameworkAuthentication({ ...config.botAuth });
    const adapter = new CloudAdapter(auth);

    // Interim bot until the support dialogs are wired in (src/bot/supportBot.ts).
    const bot = new ActivityHandler();
    bot.onMessage(async (context, next) => {
      await context.sendActivity('The CarlinKit support assistant is being set up.');
      await next();
    });

    const { server, inFlight } = makeServer({
      config,
      logger,
      adapter,
      bot,
      registrars,
      readiness: async () => {
        const store = await database.ping();
        return { ready: store, checks: { store } };
      },
    });

    let stopping: Promise<void> | undefined;
    return {
      server,
      database,
      inFlight,
      async listen(port = config.http.port, host = config.http.host): Promise<AddressInfo> {
        await new Promise<void>((resolve, reject) => {
          server.once('error', reject);
          server.listen(port, host, () => {
            server.removeListener('error', reject);
            resolve();
          });
        });
        for (const worker of workers) worker.start();
        const address = server.address();
        logger.info({ port: address.port, host: address.address }, 'listening');
        return address;
      },
      stop(): Promise<void> {
        stopping ??= (async () => {
          logger.info('stopping: no new requests');
          const closed = server.server.listening
            ? new Promise<void>((resolve) => {
                server.close(() => resolve());
              })
            : Promise.resolve();
          server.server.closeIdleConnections();
          const drained = await inFlight.drained(config.http.shutdownTimeoutMs);
          if (!drained)
            logger.warn({ inFlight: inFlight.size }, 'stopping: requests still in flight after the timeout');
          server.server.closeAllConnections();
          await closed;
          for (const worker of [...workers].reverse()) await worker.stop();
          await database.close();
          logger.info('stopped');
        })();
        return stopping;
      },
    };
  } catch (error) {
    await database.close();
    throw error;
  }
}
