/**
 * `npm run bench:channels`: both customer channels on the real app, one table.
 *   Web chat (bench/channels/webChat.ts): message → bot reply over the Direct Line WebSocket, p50 ≤ 100 ms.
 *   SMS (bench/channels/sms.ts): ≥ 300 completed turns/s (replies at the fake Twilio API), webhook ack p99 ≤ 100 ms.
 * Each half starts its own app (temp data dir) and stops it before the other runs.
 * `--only web` or `--only sms` runs one half.
 */
import { parseArgs } from 'node:util';
import { printTable } from './table';
import { BENCH_HEADER, runSmsBench, type BenchRow } from './channels/sms';
import { runWebChatBench } from './channels/webChat';

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { only: { type: 'string' } } });
  const rows: BenchRow[] = [];
  if (values.only !== 'sms') rows.push(...(await runWebChatBench()));
  if (values.only !== 'web') rows.push(...(await runSmsBench()));
  printTable('Customer channels (real app, embedded store durable on disk)', [BENCH_HEADER, ...rows]);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
