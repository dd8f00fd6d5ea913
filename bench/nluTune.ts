/**
 * Tunes the offline recognizer's settings without touching the held-out set: 5-fold cross-validation
 * over corpus templates (a template's sentences are never split between training and test) plus the
 * dev set. For each candidate it fits the softmax temperature (lowest log-loss) and the out-of-scope
 * threshold (best accuracy), then prints a table. Copy the winner into data/model.json and run
 * `npm run nlu:train`. Run: npx tsx bench/nluTune.ts [candidate names | '[["name", {settings}]]']
 */
import { createHash } from 'node:crypto';
import type { ModelSettings } from '../src/services/recognition/modelSettings';
import { OfflineRecognizer } from '../src/services/recognition/offlineRecognizer';
import {
  loadTrainingSources,
  trainingExamplesOf,
  trainOfflineModel,
} from '../src/services/recognition/offlineTrainer';
import { INTENTS, type IntentName } from '../src/services/recognition/recognizer';
import { softmax } from '../src/services/recognition/softmaxClassifier';
import { DEV_FILE, loadLabelledMessages } from './nluEvaluation';

const FOLDS = 5;

interface Scored {
  logits: Float64Array;
  understood: boolean;
  intent: IntentName;
}

const candidates: Array<[string, Partial<ModelSettings>]> = [
  ['current', {}],
  ['epochs 10', { epochs: 10 }],
  ['epochs 30', { epochs: 30 }],
  ['lr 0.15', { learningRate: 0.15 }],
  ['lr 0.6', { learningRate: 0.6 }],
  ['l2 1e-4', { l2: 1e-4 }],
  ['char 0', { features: { word: 1, bigram: 0.7, char: 0, concept: 0.8, meta: 0.6 } }],
  ['char 0.6', { features: { word: 1, bigram: 0.7, char: 0.6, concept: 0.8, meta: 0.6 } }],
  ['concept 0', { features: { word: 1, bigram: 0.7, char: 0.3, concept: 0, meta: 0.6 } }],
  ['concept 1.5', { features: { word: 1, bigram: 0.7, char: 0.3, concept: 1.5, meta: 0.6 } }],
  ['bigram 0.3', { features: { word: 1, bigram: 0.3, char: 0.3, concept: 0.8, meta: 0.6 } }],
  ['meta 1.2', { features: { word: 1, bigram: 0.7, char: 0.3, concept: 0.8, meta: 1.2 } }],
  ['no augment', { augment: { greetingPrefixRate: 0, thanksSuffixRate: 0 } }],
];

function main(): void {
  // Arguments: candidate names from the list above, or a JSON list of [name, settings] pairs.
  const argument = process.argv[2] ?? '';
  const list = argument.startsWith('[')
    ? (JSON.parse(argument) as Array<[string, Partial<ModelSettings>]>)
    : candidates;
  const only = argument.startsWith('[') ? [] : process.argv.slice(2);
  const dev = loadLabelledMessages(DEV_FILE);
  console.log('candidate        CV acc  dev acc  both acc  OOS recall  temperature  threshold  log-loss');
  for (const [name, settings] of list) {
    if (only.length > 0 && !only.includes(name)) continue;
    const base = loadTrainingSources({ settings: { ...settings, temperature: 1, noneThreshold: 0 } });
    const examples = trainingExamplesOf(base);
    const scored: Scored[] = [];
    for (let fold = 0; fold < FOLDS; fold++) {
      const inFold = (template: string): boolean => foldOf(template) === fold;
      const model = trainOfflineModel(base, { exclude: (example) => inFold(example.template) });
      const recognizer = new OfflineRecognizer(model, base);
      for (const example of examples.filter((candidate) => inFold(candidate.template))) {
        scored.push({
          logits: recognizer.logits(example.text),
          understood: recognizer.understands(example.text),
          intent: example.intent,
        });
      }
    }
    const cvCount = scored.length;
    const full = new OfflineRecognizer(trainOfflineModel(base), base);
    for (const message of dev)
      scored.push({
        logits: full.logits(message.text),
        understood: full.understands(message.text),
        intent: message.intent,
      });

    const temperature = bestBy([0.6, 0.8, 1, 1.25, 1.5, 2, 2.5, 3], (t) => -logLoss(scored, t));
    const threshold = bestBy([0, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6], (th) =>
      accuracy(scored, temperature, th),
    );
    const cv = accuracy(scored.slice(0, cvCount), temperature, threshold);
    const devAccuracy = accuracy(scored.slice(cvCount), temperature, threshold);
    console.log(
      [
        name.padEnd(15),
        pct(cv).padStart(7),
        pct(devAccuracy).padStart(8),
        pct(accuracy(scored, temperature, threshold)).padStart(9),
        pct(noneRecall(scored, temperature, threshold)).padStart(11),
        String(temperature).padStart(12),
        String(threshold).padStart(10),
        logLoss(scored, temperature).toFixed(3).padStart(9),
      ].join(' '),
    );
  }
}

function foldOf(template: string): number {
  return (createHash('md5').update(template).digest()[0] ?? 0) % FOLDS;
}

function decide(item: Scored, temperature: number, threshold: number): IntentName {
  if (!item.understood) return 'none';
  const probabilities = softmax(item.logits, temperature);
  let best = 0;
  for (let c = 1; c < probabilities.length; c++)
    if ((probabilities[c] ?? 0) > (probabilities[best] ?? 0)) best = c;
  const intent = INTENTS[best] ?? 'none';
  return intent !== 'none' && (probabilities[best] ?? 0) < threshold ? 'none' : intent;
}

function accuracy(items: readonly Scored[], temperature: number, threshold: number): number {
  return items.filter((item) => decide(item, temperature, threshold) === item.intent).length / items.length;
}

function noneRecall(items: readonly Scored[], temperature: number, threshold: number): number {
  const none = items.filter((item) => item.intent === 'none');
  return none.filter((item) => decide(item, temperature, threshold) === 'none').length / none.length;
}

function logLoss(items: readonly Scored[], temperature: number): number {
  let sum = 0;
  for (const item of items)
    sum -= Math.log(Math.max(1e-12, softmax(item.logits, temperature)[INTENTS.indexOf(item.intent)] ?? 0));
  return sum / items.length;
}

function bestBy<T>(options: readonly T[], score: (option: T) => number): T {
  let best = options[0];
  let bestScore = Number.NEGATIVE_INFINITY;
  for (const option of options) {
    const value = score(option);
    if (value > bestScore) {
      best = option;
      bestScore = value;
    }
  }
  return best;
}

function pct(value: number): string {
  return `${(value * 100).toFixed(1)}%`;
}

main();
