/**
 * Offline recognizer benchmark: accuracy, macro-F1, out-of-scope precision/recall, calibration and
 * latency on the held-out set (or --dev), side by side with two baselines trained on the same
 * corpus, then the frozen blind set's summary figures only (never its errors: nobody tunes on
 * them). Run: npm run bench:nlu [-- --dev] [-- --verbose]
 */
import { OfflineRecognizer } from '../src/services/recognition/offlineRecognizer';
import { loadTrainingSources, trainingExamplesOf } from '../src/services/recognition/offlineTrainer';
import { NaiveBayesBaseline } from './nluBaseline';
import {
  BLIND_FILE,
  DEV_FILE,
  evaluate,
  HELDOUT_FILE,
  loadLabelledMessages,
  type Evaluation,
  type Prediction,
} from './nluEvaluation';

const TARGETS = { accuracy: 0.96, outOfScopeRecall: 0.85, medianMs: 2 };
/** Issue 12's goals for the blind set. */
const BLIND_TARGETS = { outOfScopePrecision: 0.9, outOfScopeRecall: 0.9 };

function main(): void {
  const useDev = process.argv.includes('--dev');
  const verbose = process.argv.includes('--verbose');
  const file = useDev ? DEV_FILE : HELDOUT_FILE;
  const setName = useDev ? 'dev' : 'held-out';
  const messages = loadLabelledMessages(file);

  let started = performance.now();
  const offline = OfflineRecognizer.create();
  const loadMs = performance.now() - started;
  started = performance.now();
  const withoutNormalisation = OfflineRecognizer.create({ normalise: false });
  const trainPlainMs = performance.now() - started;
  const trainingExamples = trainingExamplesOf(loadTrainingSources());
  started = performance.now();
  const naiveBayes = new NaiveBayesBaseline(trainingExamples);
  const trainNbMs = performance.now() - started;

  // Warm up the JIT so latency reflects steady state, as in a running server.
  for (const message of messages.slice(0, 50)) {
    offline.recognizeSync(message.text);
    withoutNormalisation.recognizeSync(message.text);
    naiveBayes.predict(message.text);
  }
  // start ms: building the recognizer (the offline one loads its shipped model; the others train).
  const systems: Array<{ name: string; trainMs: number; result: Evaluation }> = [
    {
      name: 'naive Bayes, raw words (baseline)',
      trainMs: trainNbMs,
      result: evaluate(messages, (text) => naiveBayes.predict(text)),
    },
    {
      name: 'offline, no normalisation (ablation)',
      trainMs: trainPlainMs,
      result: evaluate(messages, (text): Prediction => withoutNormalisation.recognizeSync(text)),
    },
    {
      name: 'offline recognizer',
      trainMs: loadMs,
      result: evaluate(messages, (text): Prediction => offline.recognizeSync(text)),
    },
  ];

  const outOfScope = messages.filter((message) => message.intent === 'none').length;
  console.log(`NLU benchmark on the ${setName} set ${file}`);
  console.log(
    `${messages.length} messages (${outOfScope} out of scope), ${trainingExamples.length} training sentences\n`,
  );
  const header = [
    'system',
    'accuracy',
    'macro-F1',
    'OOS prec',
    'OOS recall',
    'calib err',
    'median ms',
    'p95 ms',
    'start ms',
  ];
  const rows = systems.map(({ name, trainMs: ms, result }) => [
    name,
    pct(result.accuracy),
    result.macroF1.toFixed(3),
    pct(result.outOfScopePrecision),
    pct(result.outOfScopeRecall),
    result.calibrationError.toFixed(3),
    result.medianMs.toFixed(3),
    result.p95Ms.toFixed(3),
    ms.toFixed(0),
  ]);
  printTable(header, rows);

  const best = systems[systems.length - 1]?.result;
  if (!best) return;
  console.log('\nTargets (offline recognizer):');
  console.log(
    `  accuracy >= ${pct(TARGETS.accuracy)}: ${pct(best.accuracy)} ${best.accuracy >= TARGETS.accuracy ? 'met' : 'NOT met'}`,
  );
  console.log(
    `  out-of-scope recall >= ${pct(TARGETS.outOfScopeRecall)}: ${pct(best.outOfScopeRecall)} ${best.outOfScopeRecall >= TARGETS.outOfScopeRecall ? 'met' : 'NOT met'}`,
  );
  console.log(
    `  median latency <= ${TARGETS.medianMs} ms: ${best.medianMs.toFixed(3)} ms ${best.medianMs <= TARGETS.medianMs ? 'met' : 'NOT met'}`,
  );

  console.log('\nPer intent (offline recognizer):');
  printTable(
    ['intent', 'precision', 'recall', 'F1', 'n'],
    best.perIntent.map((row) => [
      row.intent,
      pct(row.precision),
      pct(row.recall),
      row.f1.toFixed(3),
      String(row.support),
    ]),
  );

  console.log('\nConfusions (expected -> predicted):');
  const confusions = verbose ? best.confusions : best.confusions.slice(0, 12);
  if (confusions.length === 0) console.log('  none');
  for (const confusion of confusions) {
    console.log(
      `  ${confusion.count} x ${confusion.expected} -> ${confusion.predicted}: ${confusion.examples.map((text) => JSON.stringify(text)).join(', ')}`,
    );
  }

  printBlindSummary((text): Prediction => offline.recognizeSync(text));
}

/**
 * The blind set's summary figures, and nothing else: no per-intent table, no confusions, no
 * messages, so its errors can never steer tuning.
 */
function printBlindSummary(predict: (text: string) => Prediction): void {
  const blind = loadLabelledMessages(BLIND_FILE);
  const result = evaluate(blind, predict);
  const outOfScope = blind.filter((message) => message.intent === 'none').length;
  console.log(
    `\nBlind set (frozen, ${blind.length} messages, ${outOfScope} out of scope), offline recognizer:`,
  );
  console.log(`  accuracy ${pct(result.accuracy)}`);
  console.log(
    `  out-of-scope precision ${pct(result.outOfScopePrecision)} (goal >= ${pct(BLIND_TARGETS.outOfScopePrecision)}: ${result.outOfScopePrecision >= BLIND_TARGETS.outOfScopePrecision ? 'met' : 'NOT met'})`,
  );
  console.log(
    `  out-of-scope recall ${pct(result.outOfScopeRecall)} (goal >= ${pct(BLIND_TARGETS.outOfScopeRecall)}: ${result.outOfScopeRecall >= BLIND_TARGETS.outOfScopeRecall ? 'met' : 'NOT met'})`,
  );
}

function pct(value: number): string {
  return `${(value * 100).toFixed(1)}%`;
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
