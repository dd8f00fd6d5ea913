/**
 * A server for bench/turns.ts, run in its own process so its peak RSS is its own:
 *   tsx bench/turnsServer.ts app <dataDir>   the real app (createApp) on the embedded store in dataDir
 *   tsx bench/turnsServer.ts stock-echo      a bare botbuilder echo bot as the samples build it: restify +
 *                                            bodyParser + CloudAdapter.process + MemoryStorage
 *   tsx bench/turnsServer.ts echo            the same echo bot behind our own HTTP path (makeServer: the
 *                                            app's body parser, request logging and /api/messages route)
 * Sends { port } to the parent over IPC once listening; stops on the 'stop' message. Runs the built
 * code in dist/ when there is one (`npm run bench:turns` builds first); `--source` runs src/.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import v8 from 'node:v8';
import {
  ActivityHandler,
  CloudAdapter,
  ConfigurationBotFrameworkAuthentication,
  ConversationState,
  MemoryStorage,
  type TurnContext,
} from 'botbuilder';
import restify from 'restify';
import type * as AppModule from '../src/app';
import type * as ServerModule from '../src/bot/server';
import type * as ConfigModule from '../src/config';
import type * as LoggerModule from '../src/services/logging/logger';

/**
 * Loads a module from the built code (dist/, as `npm start` runs it) when it exists, so memory and
 * CPU are production's, not tsx's; from the sources with --source (or before a build). Each server
 * loads only what it uses: the echo bot must not carry the app's dependencies in its RSS.
 */
function fromBuild<T>(relative: string): T {
  const root = path.resolve(__dirname, '..');
  const built = path.join(root, 'dist', 'src');
  const base =
    !process.argv.includes('--source') && existsSync(path.join(built, 'app.js'))
      ? built
      : path.join(root, 'src');
  // CommonJS require: the child runs with tsx's CJS hook only, and dist/ is CommonJS.
  return createRequire(__filename)(path.join(base, relative)) as T;
}

interface Started {
  port: number;
  stop(): Promise<void>;
}

async function startApp(dataDir: string): Promise<Started> {
  const { createApp } = fromBuild<typeof AppModule>('app');
  const { loadConfig } = fromBuild<typeof ConfigModule>('config');
  const { createLogger } = fromBuild<typeof LoggerModule>('services/logging/logger');
  // Errors only: the notification worker warns about every SMS it cannot send without Twilio.
  // Not 'production': that refuses /api/messages without MicrosoftAppId, and this drives it as the Emulator.
  const config = loadConfig({
    NODE_ENV: 'development',
    LOG_LEVEL: 'error',
    DATA_DIR: dataDir,
    HOST: '127.0.0.1',
    PORT: '0',
  });
  const app = await createApp(config, { logger: createLogger({ level: 'error' }) });
  const address = await app.listen(0, '127.0.0.1');
  return { port: address.port, stop: () => app.stop() };
}

/** A bare echo bot that keeps a turn count in conversation state (MemoryStorage), saved every turn. */
function echoBot(): (context: TurnContext) => Promise<void> {
  const conversationState = new ConversationState(new MemoryStorage());
  const turns = conversationState.createProperty<number>('turns');
  const bot = new ActivityHandler();
  bot.onMessage(async (context, next) => {
    const count = (await turns.get(context, 0)) + 1;
    await turns.set(context, count);
    await context.sendActivity(`You said: ${context.activity.text ?? ''}`);
    await next();
  });
  return async (context) => {
    await bot.run(context);
    await conversationState.saveChanges(context);
  };
}

function listening(server: restify.Server): Promise<Started> {
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () =>
      resolve({
        port: server.address().port,
        stop: () =>
          new Promise<void>((stopped) => {
            server.close(() => stopped());
          }),
      }),
    );
  });
}

/** The echo bot exactly as BotBuilder-Samples' echo bot serves it: nothing of ours on the path. */
async function startStockEcho(): Promise<Started> {
  const adapter = new CloudAdapter(new ConfigurationBotFrameworkAuthentication({}));
  const logic = echoBot();
  const server = restify.createServer();
  server.use(restify.plugins.bodyParser());
  server.post('/api/messages', async (req, res) => {
    await adapter.process(req, res, logic);
  });
  return listening(server);
}

/** The same echo bot behind our own HTTP path (makeServer's /api/messages route). */
async function startEcho(): Promise<Started> {
  const { makeServer } = fromBuild<typeof ServerModule>('bot/server');
  const { loadConfig } = fromBuild<typeof ConfigModule>('config');
  const { createLogger } = fromBuild<typeof LoggerModule>('services/logging/logger');
  // Not 'production': that refuses /api/messages without MicrosoftAppId, and this drives it as the Emulator.
  const config = loadConfig({ NODE_ENV: 'development', LOG_LEVEL: 'warn', HOST: '127.0.0.1', PORT: '0' });
  const logic = echoBot();
  const { server } = makeServer({
    config,
    logger: createLogger({ level: 'warn' }),
    adapter: new CloudAdapter(new ConfigurationBotFrameworkAuthentication({})),
    bot: { run: logic },
    readiness: () => Promise.resolve({ ready: true, checks: {} }),
  });
  return listening(server);
}

function isMemoryRequest(message: unknown): message is { memory: true; heapSnapshotDir?: string } {
  return typeof message === 'object' && message !== null && (message as { memory?: unknown }).memory === true;
}

/** This process's memory in MB (heap figures are the main thread's only), after writing a heap snapshot if asked. */
function memoryReport(heapSnapshotDir: string | undefined): Record<string, number | string> {
  const mb = (bytes: number): number => bytes / 1024 / 1024;
  const usage = process.memoryUsage();
  const heapSnapshot = heapSnapshotDir
    ? v8.writeHeapSnapshot(path.join(heapSnapshotDir, `turns-app-${process.pid}-${Date.now()}.heapsnapshot`))
    : undefined;
  // The main thread's V8 heap spaces (space_size, the memory each holds): which one grows under load.
  const spaces = Object.fromEntries(
    v8.getHeapSpaceStatistics().map((space) => [`${space.space_name}Mb`, mb(space.space_size)]),
  );
  return {
    ...spaces,
    rssMb: mb(usage.rss),
    heapUsedMb: mb(usage.heapUsed),
    heapTotalMb: mb(usage.heapTotal),
    externalMb: mb(usage.external),
    arrayBuffersMb: mb(usage.arrayBuffers),
    ...(heapSnapshot ? { heapSnapshot } : {}),
  };
}

async function main(): Promise<void> {
  const [kind, dataDir] = process.argv.slice(2).filter((arg) => !arg.startsWith('--'));
  if (!process.send)
    throw new Error('bench/turnsServer.ts is started by bench/turns.ts (it needs an IPC channel)');
  const started =
    kind === 'app' && dataDir
      ? await startApp(dataDir)
      : kind === 'echo'
        ? await startEcho()
        : kind === 'stock-echo'
          ? await startStockEcho()
          : undefined;
  if (!started) throw new Error('usage: turnsServer.ts app <dataDir> | echo | stock-echo');
  process.on('message', (message) => {
    if (isMemoryRequest(message)) {
      process.send?.({ memory: memoryReport(message.heapSnapshotDir) });
      return;
    }
    if (message === 'stop') {
      started.stop().then(
        () => process.exit(0),
        () => process.exit(1),
      );
    }
  });
  process.send({ port: started.port });
}

main().catch((error: unknown) => {
  process.stderr.write(
    `turnsServer failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
