import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { projectPath } from '../src/services/projectPath';
import { INTENTS, type IntentName } from '../src/services/recognition/recognizer';

const labelledFileSchema = z.object({
  $comment: z.string().optional(),
  messages: z.array(z.object({ text: z.string().min(1), intent: z.enum(INTENTS) })).min(1),
});

export type LabelledMessage = z.infer<typeof labelledFileSchema>['messages'][number];

export const HELDOUT_FILE = projectPath('test/fixtures/nlu/heldout.json');
export const DEV_FILE = projectPath('test/fixtures/nlu/dev.json');
/**
 * Frozen blind set, written from the issue-12 customer transcripts apart from the corpus: the most
 * honest figure we have. Its SHA-256 is checked by a test; only its summary figures are ever printed.
 */
export const BLIND_FILE = projectPath('test/fixtures/nlu-blind/transcripts.json');

/** Reads a labelled set (heldout.json, dev.json), validated. */
export function loadLabelledMessages(file: string): LabelledMessage[] {
  const parsed = labelledFileSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')) as unknown);
  if (!parsed.success)
    throw new Error(
      `${file}: ${parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ')}`,
    );
  return parsed.data.messages;
}

export interface Prediction {
  intent: IntentName;
  confidence: number;
}

export interface Evaluation {
  count: number;
  accuracy: number;
  macroF1: number;
  perIntent: Array<{ intent: IntentName; precision: number; recall: number; f1: number; support: number }>;
  outOfScopePrecision: number;
  outOfScopeRecall: number;
  /** Expected calibration error over 10 confidence bins: how far confidence is from accuracy. */
  calibrationError: number;
  medianMs: number;
  p95Ms: number;
  confusions: Array<{ expected: IntentName; predicted: IntentName; count: number; examples: string[] }>;
}

/** Runs `predict` over every message (timing each call) and computes the usual classification figures. */
export function evaluate(
  messages: readonly LabelledMessage[],
  predict: (text: string) => Prediction,
): Evaluation {
  const timings: number[] = [];
  const results = messages.map((message) => {
    const started = performance.now();
    const prediction = predict(message.text);
    timings.push(performance.now() - started);
    return { message, prediction };
  });
  const perIntent = INTENTS.map((intent) => {
    const truePositive = results.filter(
      (r) => r.message.intent === intent && r.prediction.intent === intent,
    ).length;
    const predicted = results.filter((r) => r.prediction.intent === intent).length;
    const support = results.filter((r) => r.message.intent === intent).length;
    const precision = predicted === 0 ? 0 : truePositive / predicted;
    const recall = support === 0 ? 0 : truePositive / support;
    const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
    return { intent, precision, recall, f1, support };
  });
  const present = perIntent.filter((row) => row.support > 0);
  const none = perIntent.find((row) => row.intent === 'none');
  const confusionMap = new Map<
    string,
    { expected: IntentName; predicted: IntentName; count: number; examples: string[] }
  >();
  for (const { message, prediction } of results) {
    if (message.intent === prediction.intent) continue;
    const key = `${message.intent}>${prediction.intent}`;
    const entry = confusionMap.get(key) ?? {
      expected: message.intent,
      predicted: prediction.intent,
      count: 0,
      examples: [],
    };
    entry.count += 1;
    if (entry.examples.length < 3) entry.examples.push(message.text);
    confusionMap.set(key, entry);
  }
  const bins = Array.from({ length: 10 }, () => ({ count: 0, correct: 0, confidence: 0 }));
  for (const { message, prediction } of results) {
    const bin = bins[Math.min(9, Math.floor(prediction.confidence * 10))];
    if (!bin) continue;
    bin.count += 1;
    bin.confidence += prediction.confidence;
    if (message.intent === prediction.intent) bin.correct += 1;
  }
  const calibrationError = bins.reduce(
    (sum, bin) =>
      bin.count === 0
        ? sum
        : sum + (bin.count / results.length) * Math.abs(bin.correct / bin.count - bin.confidence / bin.count),
    0,
  );
  const sorted = [...timings].sort((a, b) => a - b);
  return {
    count: results.length,
    accuracy: results.filter((r) => r.message.intent === r.prediction.intent).length / results.length,
    macroF1: present.reduce((sum, row) => sum + row.f1, 0) / present.length,
    perIntent,
    outOfScopePrecision: none?.precision ?? 0,
    outOfScopeRecall: none?.recall ?? 0,
    calibrationError,
    medianMs: quantile(sorted, 0.5),
    p95Ms: quantile(sorted, 0.95),
    confusions: [...confusionMap.values()].sort((a, b) => b.count - a.count),
  };
}

function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
}
