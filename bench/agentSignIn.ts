/**
 * Agent sign-in cost with the production scrypt parameters, on the in-memory embedded store:
 * a right password, a wrong password, an unknown email (and a malformed one). The wrong-password and
 * unknown-email medians should be within a few percent of each other: both run one scrypt, so the
 * answer's timing doesn't say whether an account exists. Interleaved, so machine noise hits all alike.
 *
 *   npm run bench:agents [-- --rounds 15]
 */
import mongoose from 'mongoose';
import { AgentAccounts } from '../src/services/agents/agentAccounts';
import { AgentSessions } from '../src/services/agents/agentSessions';
import { EmbeddedMongoServer } from '../src/services/store/embedded/embeddedMongoServer';
import { printTable } from './table';

const TARGET_RATIO = 0.1;

function option(name: string, fallback: number): number {
  const index = process.argv.indexOf(`--${name}`);
  const value = index >= 0 ? Number(process.argv[index + 1]) : fallback;
  if (!Number.isInteger(value) || value <= 0) throw new Error(`--${name} must be a positive whole number`);
  return value;
}

const ROUNDS = option('rounds', 15);
const PASSWORD = 'correct horse battery staple';

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function main(): Promise<void> {
  const server = new EmbeddedMongoServer({ dataDir: null, thread: 'inline' });
  await server.start();
  const connection = mongoose.createConnection(server.localUri, { dbName: 'bench_agents' });
  await connection.asPromise();
  try {
    const sessions = new AgentSessions({ connection, settings: { idleMinutes: 60, maxHours: 12 } });
    const accounts = new AgentAccounts({ connection, sessions });
    await sessions.init();
    await accounts.init();
    await accounts.add({ email: 'sam@example.com', name: 'Sam', role: 'agent', password: PASSWORD });
    const cases: Array<[string, string, string]> = [
      ['right password', 'sam@example.com', PASSWORD],
      ['wrong password', 'sam@example.com', `${PASSWORD}!`],
      ['unknown email', 'nobody@example.com', PASSWORD],
      ['malformed email', 'not an email', PASSWORD],
    ];
    const times = new Map<string, number[]>(cases.map(([name]) => [name, []]));
    await accounts.verifyCredentials('nobody@example.com', PASSWORD).catch(() => undefined); // warm the dummy hash
    for (let round = 0; round < ROUNDS; round += 1) {
      for (const [name, email, password] of cases) {
        const started = process.hrtime.bigint();
        await accounts.verifyCredentials(email, password).catch(() => undefined);
        times.get(name)?.push(Number(process.hrtime.bigint() - started) / 1e6);
      }
    }
    const medians = new Map<string, number>();
    const rows = [['case', 'p50 ms', 'p90 ms']];
    for (const [name] of cases) {
      const sorted = [...(times.get(name) ?? [])].sort((a, b) => a - b);
      medians.set(name, percentile(sorted, 50));
      rows.push([name, percentile(sorted, 50).toFixed(1), percentile(sorted, 90).toFixed(1)]);
    }
    printTable(`agent sign-in (verifyCredentials), ${ROUNDS} rounds, scrypt N=2^15 r=8 p=3`, rows);
    const wrong = medians.get('wrong password') ?? 0;
    const unknown = medians.get('unknown email') ?? 0;
    const ratio = Math.abs(wrong - unknown) / Math.max(wrong, unknown);
    console.log(
      `\nunknown email vs wrong password, p50 difference: ${(ratio * 100).toFixed(1)}% (target ≤ ${TARGET_RATIO * 100}%): ${ratio <= TARGET_RATIO ? 'met' : 'NOT met'}`,
    );
  } finally {
    await connection.close();
    await server.close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
