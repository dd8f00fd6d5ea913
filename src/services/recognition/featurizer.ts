import type { Lexicon } from './lexicon';
import { isPlaceholder } from './normalizer';
import { stem } from './stemmer';

export interface FeatureWeights {
  word: number;
  bigram: number;
  char: number;
  concept: number;
  meta: number;
}

/**
 * Turns normalised words into a sparse, L2-normalised bag of features: stems, stem bigrams (with
 * sentence boundaries), character 3/4-grams (typo tolerance), lexicon concepts (synonyms the corpus
 * lacks), and a few shape features: length, question mark, and how many words are foreign to the
 * support domain (the main out-of-scope signal).
 */
export class Featurizer {
  constructor(
    private readonly lexicon: Lexicon,
    private readonly weights: FeatureWeights,
    /** Words seen in at least two in-scope training templates. */
    private readonly domainWords: ReadonlySet<string>,
  ) {}

  features(words: readonly string[]): Map<string, number> {
    const out = new Map<string, number>();
    const add = (name: string, value: number): void => {
      out.set(name, (out.get(name) ?? 0) + value);
    };
    const content = words.filter((word) => word !== '?');
    const stems = content.map((word) => (isPlaceholder(word) ? word : stem(word)));
    let foreign = 0;
    for (let index = 0; index < content.length; index++) {
      const word = content[index] ?? '';
      const stemmed = stems[index] ?? '';
      add(`w:${stemmed}`, this.weights.word);
      for (const concept of this.lexicon.concepts.get(stemmed) ?? [])
        add(`k:${concept}`, this.weights.concept);
      if (isPlaceholder(word) || !/^[a-z]+$/.test(word)) continue;
      if (word.length >= 3 && !this.domainWords.has(word)) foreign += 1;
      if (word.length >= 4) {
        const padded = `#${word}#`;
        for (let size = 3; size <= 4; size++) {
          for (let start = 0; start + size <= padded.length; start++)
            add(`c:${padded.slice(start, start + size)}`, this.weights.char);
        }
      }
    }
    for (let index = 0; index <= stems.length; index++) {
      add(`b:${stems[index - 1] ?? '^'}_${stems[index] ?? '$'}`, this.weights.bigram);
    }
    const length = content.length;
    add(
      `len:${length <= 1 ? '1' : length === 2 ? '2' : length <= 4 ? '3-4' : length <= 8 ? '5-8' : '9+'}`,
      this.weights.meta,
    );
    add(`foreign:${foreign === 0 ? '0' : foreign === 1 ? '1' : '2+'}`, this.weights.meta);
    if (length > 0 && foreign / length >= 0.5) add('foreign:most', this.weights.meta);
    if (words.includes('?')) add('question', this.weights.meta);

    let norm = 0;
    for (const value of out.values()) norm += value * value;
    norm = Math.sqrt(norm) || 1;
    for (const [name, value] of out) out.set(name, value / norm);
    return out;
  }
}
