/**
 * Classifies messages with the offline recognizer: one message per line on stdin, one JSON object
 * per line on stdout, {"text","intent","confidence","entities"}. Nothing else goes to stdout
 * (warnings go to stderr). Run: npm run --silent classify < messages.txt
 */
import { createInterface } from 'node:readline';
import pino from 'pino';
import { createLogger } from '../src/services/logging/logger';
import { OfflineRecognizer } from '../src/services/recognition/offlineRecognizer';

async function main(): Promise<void> {
  const logger = createLogger({ level: 'warn', destination: pino.destination({ fd: 2, sync: true }) });
  const recognizer = OfflineRecognizer.create({ logger });
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    // The reader went away (e.g. `| head`): stop quietly.
    if (error.code === 'EPIPE') process.exit(0);
    throw error;
  });
  const lines = createInterface({ input: process.stdin, crlfDelay: Number.POSITIVE_INFINITY });
  for await (const line of lines) {
    const { text, intent, confidence, entities } = recognizer.recognizeSync(line);
    process.stdout.write(`${JSON.stringify({ text, intent, confidence, entities })}\n`);
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`classify: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
