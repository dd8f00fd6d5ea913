import { INTENTS, type IntentName } from '../src/services/recognition/recognizer';
import type { TrainingExample } from '../src/services/recognition/trainingCorpus';
import type { Prediction } from './nluEvaluation';

/**
 * The comparison point for bench/nlu.ts: multinomial naive Bayes over raw lower-cased words with
 * add-one smoothing, trained on the same expanded corpus. No normalisation, no entity placeholders,
 * no out-of-scope threshold: roughly what an off-the-shelf word classifier gives.
 */
export class NaiveBayesBaseline {
  private readonly wordCounts = new Map<IntentName, Map<string, number>>();
  private readonly totals = new Map<IntentName, number>();
  private readonly priors = new Map<IntentName, number>();
  private readonly vocabulary = new Set<string>();

  constructor(examples: readonly TrainingExample[]) {
    for (const example of examples) {
      this.priors.set(example.intent, (this.priors.get(example.intent) ?? 0) + 1);
      const counts = this.wordCounts.get(example.intent) ?? new Map<string, number>();
      for (const word of words(example.text)) {
        counts.set(word, (counts.get(word) ?? 0) + 1);
        this.totals.set(example.intent, (this.totals.get(example.intent) ?? 0) + 1);
        this.vocabulary.add(word);
      }
      this.wordCounts.set(example.intent, counts);
    }
    for (const [intent, count] of this.priors) this.priors.set(intent, count / examples.length);
  }

  predict(text: string): Prediction {
    const scores = INTENTS.map((intent) => {
      const counts = this.wordCounts.get(intent);
      const total = this.totals.get(intent) ?? 0;
      let score = Math.log(this.priors.get(intent) ?? 1e-9);
      for (const word of words(text)) {
        if (!this.vocabulary.has(word)) continue;
        score += Math.log(((counts?.get(word) ?? 0) + 1) / (total + this.vocabulary.size));
      }
      return { intent, score };
    });
    const max = Math.max(...scores.map((entry) => entry.score));
    const sum = scores.reduce((acc, entry) => acc + Math.exp(entry.score - max), 0);
    const best = scores.reduce((a, b) => (b.score > a.score ? b : a));
    return { intent: best.intent, confidence: 1 / sum };
  }
}

function words(text: string): string[] {
  return text.toLowerCase().match(/[a-z0-9']+/g) ?? [];
}
