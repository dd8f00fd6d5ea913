/**
 * Language detector benchmark: on short customer messages (test/fixtures/language/short-messages.json)
 * how often each language is named, left unnamed (the conversation keeps its language) or named
 * wrongly, and how many English messages of the NLU held-out and dev sets it would take for another
 * language. Run: npm run bench:language
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { LanguageDetector } from '../src/services/language/languageDetector';
import { LANGUAGES } from '../src/services/language/languages';
import { projectPath } from '../src/services/projectPath';
import { DEV_FILE, HELDOUT_FILE, loadLabelledMessages } from './nluEvaluation';

const FIXTURE = projectPath('test/fixtures/language/short-messages.json');

function main(): void {
  const messages = z
    .object({ messages: z.array(z.object({ text: z.string(), language: z.enum(LANGUAGES) })) })
    .parse(JSON.parse(readFileSync(FIXTURE, 'utf8')) as unknown).messages;
  const detector = new LanguageDetector();
  const rows = LANGUAGES.map((language) => {
    const set = messages.filter((message) => message.language === language);
    const guesses = set.map((message) => detector.detect(message.text)?.language);
    const right = guesses.filter((guess) => guess === language).length;
    const unnamed = guesses.filter((guess) => guess === undefined).length;
    const wrong = guesses.length - right - unnamed;
    return [language, String(set.length), String(right), String(unnamed), String(wrong)];
  });
  console.log(`Language detection (tinyld + length and margin gates) on ${FIXTURE}`);
  console.log(
    'English rows are short answers (yes/no, names, serials, tickets, phones): "unnamed" is right for them.\n',
  );
  printTable(['language', 'n', 'named right', 'unnamed', 'named wrong'], rows);

  const english = [...loadLabelledMessages(HELDOUT_FILE), ...loadLabelledMessages(DEV_FILE)];
  const timings: number[] = [];
  let switched = 0;
  for (const message of english) {
    const started = performance.now();
    const guess = detector.detect(message.text);
    timings.push(performance.now() - started);
    if (guess && guess.language !== 'en') switched += 1;
  }
  timings.sort((a, b) => a - b);
  console.log(
    `\nEnglish NLU held-out + dev messages taken for another language: ${switched} of ${english.length}`,
  );
  console.log(
    `median ${quantile(timings, 0.5).toFixed(3)} ms, p95 ${quantile(timings, 0.95).toFixed(3)} ms per message`,
  );
}

function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
}

function printTable(header: string[], rows: string[][]): void {
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)),
  );
  const line = (cells: string[]): string =>
    cells
      .map((cell, column) =>
        column === 0 ? cell.padEnd(widths[column] ?? 0) : cell.padStart(widths[column] ?? 0),
      )
      .join('  ');
  console.log(line(header));
  console.log(widths.map((width) => '-'.repeat(width)).join('  '));
  for (const row of rows) console.log(line(row));
}

main();
