/**
 * `npm run reliability:readme [-- --write]`: the README's "Reliability" section, from the figures
 * the last runs left in reports/ (npm run test:faults, npm run test:fuzz, npm run bench:soak).
 * Prints it; with --write, replaces the section in README.md (between its two marker comments).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { REPORT_DIR, type KillRound } from '../test/faults/support/report';

interface Faults {
  killRestart?: {
    seed: number;
    conversationsPerRound: number;
    results: KillRound[];
    maxOrphanedSmsWaitMs: number;
    at: string;
  };
  storeOutage?: {
    readyzFailedMs: number;
    webChatStatusWhileDown: number;
    smsWebhookStatusWhileDown: number;
    recoveredMs: number;
    crashes: number;
    at: string;
  };
  twilioOutage?: {
    refusedRequests: number;
    messages: number;
    tickets: number;
    deliveredAfterMs: number;
    lost: number;
    duplicates: number;
    at: string;
  };
}
interface Fuzz {
  httpRoutes?: {
    seed: number;
    requests: number;
    statuses: Record<string, number>;
    serverErrors: number;
    at: string;
  };
}
interface Soak {
  soak?: {
    minutes: number;
    totals: { replies: number; registrations: number; errors: number };
    checks: Array<[string, number, number, string]>;
    chart: string[];
    at: string;
  };
}

const START = '<!-- reliability:start (npm run reliability:readme -- --write) -->';
const END = '<!-- reliability:end -->';

function read<T>(name: string): T {
  try {
    return JSON.parse(readFileSync(path.join(REPORT_DIR, `${name}.json`), 'utf8')) as T;
  } catch {
    return {} as T;
  }
}

const day = (iso: string | undefined): string => (iso ? iso.slice(0, 10) : 'not run');

export function reliabilitySection(): string {
  const faults = read<Faults>('faults');
  const fuzz = read<Fuzz>('fuzz').httpRoutes;
  const soak = read<Soak>('soak').soak;
  const kill = faults.killRestart;
  const lines: string[] = [START, '## Reliability', ''];
  lines.push(
    'What we tried, and what it showed; figures from the last runs (regenerate this section with',
    '`npm run reliability:readme -- --write` after `npm run test:faults`, `npm run test:fuzz` and',
    '`npm run bench:soak`). The fault and soak runs drive the built app (`node dist/src/index.js`, as',
    '`npm start`) in a child process on its own `DATA_DIR` and port, web chat through the local Direct',
    'Line and SMS through the signed Twilio webhook to a local fake Twilio API.',
    '',
    '| run | what | result |',
    '| --- | --- | --- |',
  );
  if (kill) {
    const rounds = kill.results;
    const sum = (pick: (round: KillRound) => number): number =>
      rounds.reduce((total, round) => total + pick(round), 0);
    const waits = rounds.flatMap((round) => round.orphanedSmsWaitMs);
    lines.push(
      `| \`test:faults\` kill -9 (${day(kill.at)}, seed ${kill.seed}) | ${rounds.length} rounds × ${kill.conversationsPerRound} customers registering repairs (web chat and SMS mixed), \`kill -9\` once ${rounds.map((round) => round.ticketsBeforeKill).join(' / ')} tickets existed, restart on the same data | ${sum((round) => round.tickets)} tickets for ${rounds.length * kill.conversationsPerRound} conversations; tickets a customer saw but missing: **${sum((round) => round.missing)}**; conversations with two tickets: **${sum((round) => round.duplicates)}**; conversations that lost their place: ${sum((round) => round.lostPlace)}; ticket SMS missing / twice: **${sum((round) => round.ticketSmsMissing)} / ${sum((round) => round.ticketSmsDuplicates)}**; restart to ready ${Math.min(...rounds.map((round) => round.restartMs))}–${Math.max(...rounds.map((round) => round.restartMs))} ms |`,
      `| | ticket SMS whose send was held by the killed process | went out ${waits.length ? `${Math.round(Math.min(...waits) / 100) / 10}–${Math.round(Math.max(...waits) / 100) / 10} s` : '—'} after the restart (the restarted instance reclaims its own leases at once) |`,
    );
  }
  const outage = faults.storeOutage;
  if (outage) {
    lines.push(
      `| \`test:faults\` store outage (${day(outage.at)}) | the store (run on its own, \`npm run db\`) killed with \`kill -9\`, then started again on its data | \`/readyz\` 503 within ${outage.readyzFailedMs} ms; web chat POST ${outage.webChatStatusWhileDown} "please try again in a moment"; SMS webhook ${outage.smsWebhookStatusWhileDown} (Twilio retries); app crashes: ${outage.crashes}; ready again ${outage.recoveredMs} ms after the store returned, the retried SMS answered |`,
    );
  }
  const twilio = faults.twilioOutage;
  if (twilio) {
    lines.push(
      `| \`test:faults\` Twilio failing (${day(twilio.at)}) | the Twilio API refuses the first ${twilio.refusedRequests} sends (503 / 429 / 500) while ${twilio.messages} SMS customers ask and ${twilio.tickets} tickets are registered | all delivered after ${Math.round(twilio.deliveredAfterMs / 1000)} s of backoff; lost **${twilio.lost}**, duplicated **${twilio.duplicates}** |`,
    );
  }
  if (fuzz) {
    lines.push(
      `| \`test:fuzz\` (${day(fuzz.at)}, seed ${fuzz.seed}) | ${fuzz.requests} hostile requests (fast-check) to \`/api/messages\`, \`/api/sms\`, the Direct Line routes and \`/api/tickets\`: wrong types, \`$\` operators in every field, script tags, odd Unicode, 3 MB and 20,000-deep bodies, truncated multipart | 5xx: **${fuzz.serverErrors}**; statuses ${Object.entries(
        fuzz.statuses,
      )
        .map(([status, count]) => `${status} × ${count}`)
        .join(', ')}; every refusal left the store unchanged (compared before/after) |`,
    );
  }
  if (soak) {
    lines.push(
      `| \`bench:soak\` (${day(soak.at)}) | ${soak.minutes} min of steady mixed load (web chat and SMS questions, registrations, status checks) | ${soak.totals.replies} replies, ${soak.totals.registrations} registrations, ${soak.totals.errors} lost or late; ${soak.checks.map(([name, ratio, limit]) => `${name} last/first third ${ratio.toFixed(2)} (${ratio <= limit ? 'flat' : '**not flat**'})`).join('; ')} |`,
    );
  }
  lines.push('');
  if (soak) {
    lines.push(
      `Soak curves (one character per window, scaled min–max):`,
      '',
      '```',
      ...soak.chart,
      '```',
      '',
    );
  }
  lines.push(
    'Data lost: 0 and duplicates: 0 are the pass conditions of these runs; a run that sees either fails.',
    'Known open (issue 14):',
    '- A ticket SMS cut off by the kill after Twilio accepted it is no longer sent twice: every attempt is',
    '  recorded (`inDoubtSince`) before Twilio is called, and an attempt whose answer never came (a',
    "  kill, a timeout after `TWILIO_TIMEOUT_MS`) is looked up in Twilio's message list (same number,",
    '  text and sender, created since the attempt began, not recorded under another message) before',
    "  it is sent again (`twilioSmsSender.test.ts`). Twilio's Retry-After (429, 503) sets the next",
    '  attempt when it asks for longer than the backoff.',
    "- A turn's replies are written into its conversation state in the same write as the rest of the",
    '  state, on both channels (`src/bot/adapters/savedTurnReplies.ts`); web chat still shows them only',
    '  once that write is done (`webChatTurnReplies.ts`). After a kill between that write and the',
    "  replies reaching the customer (the Direct Line log, the SMS outbox), the conversation's next",
    '  message gets them first, and if it is the same text (sent again because nothing came) it is not',
    "  run again on the new state. An SMS message taken up after the dead process's inbox lease (60 s)",
    '  gets its own replies back, or nothing when a copy sent again already got them',
    '  (`webChatTurnResume.test.ts`, `smsTurnRunner.test.ts`). That lease explains the SMS confirmation',
    '  once answered as an unknown message: the first "Confirm and submit", its state saved, was held by',
    "  the killed process while the customer's copy, sent again after 8 s, ran on that state (found in",
    '  the code and tested step by step; not seen again in a kill round).',
    '- Kill -9 rounds on 2026-12-03 after these fixes (30 customers each, machine loaded, seeds 27116, 2907,',
    '  32890): 6 of 6 passed (no ticket missing or doubled, no ticket SMS missing or twice, nobody a step',
    '  behind; restart 2.8–9.9 s; 5–45 messages resent per round). Before them, 4 of 7 rounds had one',
    '  customer who never saw its ticket number. Too few rounds to call the failure gone: CI runs 2',
    '  rounds of 30 customers (1.3–2.3 minutes with the build) and a failure there is worth a look.',
    '- The soak: the embedded store now serves an equality on the leading field of a compound index',
    '  (e.g. `{ conversationId, seq: { $gt } }`, the Direct Line log) and ranges over a sparse index',
    "  (the outboxes' `dueAt` / `outboxDueAt` polls) from the index instead of a scan;",
    '  `serverStatus.metrics.queryExecutor.scannedObjects` counts documents examined. In the contract',
    '  suite such queries examine 3–10 documents instead of all 300–400. The 3-minute soak above ran on',
    '  a machine loaded by other builds (load average 10–15 on 2 cores), so its flat verdicts are not',
    '  evidence; RSS still grew, and the store examined about 50 documents per reply at the start and',
    '  85 at the end while it grew from 0.7k to 14k documents: some scans remain (not yet found). The',
    '  10-minute soak on a quiet machine was not repeated.',
    '',
    'Knobs: `FAULT_ROUNDS` (3), `FAULT_CONVERSATIONS` (50), `FAULT_SEED` (random, printed) for',
    '`test:faults` and `test:faults:kill`; `FUZZ_RUNS` (25 in `npm test`, 200 in `npm run test:fuzz`)',
    'and `FUZZ_SEED`; `npm run bench:soak -- --minutes N` (default 10). A kill -9 round of 30',
    'customers takes 1–3 minutes on 2 shared cores. CI (`.ci/run`) runs `test:faults:outages` (store',
    'outage, Twilio failing) and `test:faults:kill` with `FAULT_ROUNDS=2 FAULT_CONVERSATIONS=30`.',
    END,
  );
  return lines.join('\n');
}

const { values } = parseArgs({ options: { write: { type: 'boolean' } }, strict: true });
const section = reliabilitySection();
if (values.write) {
  const readmePath = path.resolve(__dirname, '..', 'README.md');
  const readme = readFileSync(readmePath, 'utf8');
  const start = readme.indexOf(START);
  const end = readme.indexOf(END);
  const updated =
    start >= 0 && end > start
      ? `${readme.slice(0, start)}${section}${readme.slice(end + END.length)}`
      : // A function, so the `$` in the section is not read as a replacement pattern.
        readme.replace(/\n## Benchmarks\n/, () => `\n${section}\n\n## Benchmarks\n`);
  writeFileSync(readmePath, updated);
  console.log('README.md: Reliability section written');
} else {
  console.log(section);
}
