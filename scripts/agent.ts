/**
 * Agent accounts from the command line, against the same store as the app (MONGODB_URI, or the
 * embedded store in DATA_DIR: stop the app first, the directory has one owner at a time).
 *   npm run agent:add -- --email sam@example.com --name "Sam" --role agent|supervisor
 *     password: the first line of stdin when piped, else a hidden prompt (asked twice) on the terminal
 *   npm run agent:disable -- --email sam@example.com
 *   npm run agent:list
 * The password is never echoed, printed or logged. Nothing but results goes to stdout.
 */
import { parseArgs } from 'node:util';
import pino from 'pino';
import { ConfigError, loadConfig } from '../src/config';
import { AgentAccounts, PASSWORD_RULE, type AgentView } from '../src/services/agents/agentAccounts';
import { AgentSessions } from '../src/services/agents/agentSessions';
import { AppError } from '../src/services/errors';
import { createLogger } from '../src/services/logging/logger';
import { openDatabase } from '../src/services/store/database';
import { readPassword } from './readPassword';

const USAGE = `usage:
  npm run agent:add -- --email <email> --name <name> [--role agent|supervisor]   (password on stdin or prompted)
  npm run agent:disable -- --email <email>
  npm run agent:list
The password must be ${PASSWORD_RULE}.`;

class UsageError extends Error {}

async function main(argv: readonly string[]): Promise<void> {
  const [command, ...rest] = argv;
  const { values } = parseArgs({
    args: rest,
    options: { email: { type: 'string' }, name: { type: 'string' }, role: { type: 'string' } },
    strict: true,
  });
  if (command !== 'add' && command !== 'disable' && command !== 'list')
    throw new UsageError('unknown command');
  if (command !== 'list' && values.email === undefined) throw new UsageError('--email is required');
  if (command === 'add' && values.name === undefined) throw new UsageError('--name is required');

  // Read the password before opening the store, so a prompt isn't interleaved with start-up.
  const password = command === 'add' ? await readPassword(process.stdin, process.stderr) : undefined;

  const config = loadConfig();
  const logger = createLogger({ level: 'warn', destination: pino.destination({ fd: 2, sync: true }) });
  const database = await openDatabase(config.store, logger);
  try {
    const sessions = new AgentSessions({ connection: database.connection, settings: config.agentSessions });
    const accounts = new AgentAccounts({ connection: database.connection, sessions });
    await sessions.init();
    await accounts.init();
    if (command === 'add') {
      const agent = await accounts.add({
        email: values.email,
        name: values.name,
        role: values.role ?? 'agent',
        password: password ?? '',
      });
      process.stdout.write(`added ${agent.role} ${agent.email} (${agent.name})\n`);
    } else if (command === 'disable') {
      const agent = await accounts.disable(values.email);
      process.stdout.write(`disabled ${agent.email}; their sessions have ended\n`);
    } else {
      process.stdout.write(formatList(await accounts.list()));
    }
  } finally {
    await database.close();
  }
}

function formatList(agents: readonly AgentView[]): string {
  if (agents.length === 0)
    return 'no agent accounts yet: npm run agent:add -- --email … --name … --role supervisor\n';
  const rows = [
    ['EMAIL', 'NAME', 'ROLE', 'STATUS', 'CREATED', 'LAST SIGN-IN'],
    ...agents.map((agent) => [
      agent.email,
      agent.name,
      agent.role,
      agent.disabled ? 'disabled' : 'active',
      agent.createdAt.toISOString().slice(0, 16).replace('T', ' '),
      agent.lastSignInAt ? agent.lastSignInAt.toISOString().slice(0, 16).replace('T', ' ') : 'never',
    ]),
  ];
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)));
  return rows
    .map(
      (row) =>
        `${row
          .map((cell, column) => cell.padEnd(widths[column]))
          .join('  ')
          .trimEnd()}\n`,
    )
    .join('');
}

main(process.argv.slice(2)).then(
  () => process.exit(0),
  (error: unknown) => {
    if (
      error instanceof UsageError ||
      (error instanceof Error && error.name === 'TypeError' && 'code' in error)
    ) {
      process.stderr.write(`agent: ${error.message}\n${USAGE}\n`);
      process.exit(64); // EX_USAGE
    }
    const message =
      error instanceof AppError || error instanceof ConfigError || error instanceof Error
        ? error.message
        : String(error);
    // The embedded store's directory lock: the app (or npm run db) has this DATA_DIR open.
    const hint = /in use by process/.test(message)
      ? ' (stop the app using this DATA_DIR first, or set MONGODB_URI to the store it serves)'
      : '';
    process.stderr.write(`agent: ${message}${hint}\n`);
    process.exit(error instanceof ConfigError ? 78 : 1);
  },
);
