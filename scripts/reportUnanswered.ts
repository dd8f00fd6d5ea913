/**
 * The questions the bot could not answer, most frequent first, so support staff can see which
 * content is missing (FAQ entries and topics in src/services/knowledge/data/faq.json). Against the
 * same store as the app (MONGODB_URI, or the embedded store in DATA_DIR: stop the app first).
 *   npm run report:unanswered [-- --limit 30]
 * The texts were redacted when they were stored; nothing but the report goes to stdout.
 */
import { parseArgs } from 'node:util';
import pino from 'pino';
import { z } from 'zod';
import { ConfigError, loadConfig } from '../src/config';
import { UnansweredQuestions, type UnansweredGap } from '../src/services/feedback/unansweredQuestions';
import { createLogger } from '../src/services/logging/logger';
import { openDatabase } from '../src/services/store/database';

const limitSchema = z.coerce.number().int().min(1).max(500).default(20);

async function main(argv: readonly string[]): Promise<void> {
  const { values } = parseArgs({ args: argv, options: { limit: { type: 'string' } }, strict: true });
  const limit = limitSchema.parse(values.limit);
  const config = loadConfig();
  const logger = createLogger({ level: 'warn', destination: pino.destination({ fd: 2, sync: true }) });
  const database = await openDatabase(config.store, logger);
  try {
    const unanswered = new UnansweredQuestions(database.connection, {
      retentionDays: config.retention.unansweredDays,
    });
    process.stdout.write(formatReport(await unanswered.report({ limit }), config.retention.unansweredDays));
  } finally {
    await database.close();
  }
}

function formatReport(gaps: readonly UnansweredGap[], retentionDays: number): string {
  if (gaps.length === 0) return `no unanswered questions in the last ${retentionDays} days\n`;
  const lines = [`Most frequent unanswered questions (last ${retentionDays} days):`];
  for (const gap of gaps) {
    lines.push(
      `${String(gap.count).padStart(5)}×  ${gap.question}  [${gap.channels.join(', ')}; last ${gap.lastAskedAt.slice(0, 10)}]`,
    );
  }
  return `${lines.join('\n')}\n`;
}

main(process.argv.slice(2)).then(
  () => process.exit(0),
  (error: unknown) => {
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`report:unanswered: ${message}\n`);
    process.exit(error instanceof ConfigError ? 78 : 1);
  },
);
