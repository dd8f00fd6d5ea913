import type { Lexicon } from './lexicon';
import type { SpellCorrector } from './spellCorrector';

/** Entity placeholders look like "__product__"; they pass through normalisation untouched. */
export function isPlaceholder(word: string): boolean {
  return word.startsWith('__') && word.endsWith('__');
}

/**
 * Turns casual customer wording into standard words: shorthand ("hw", "u", "pls"), contractions
 * without apostrophes ("wont", "doesnt"), common typos ("conect", "blutooth"), stretched words
 * ("hiiii"), SMS digits ("4" for "for"), multi-word terms ("car play" → "carplay") and, when a
 * spell corrector is given, any other misspelling close to a word the corpus knows.
 */
export class Normalizer {
  constructor(
    private readonly lexicon: Lexicon,
    private readonly corrector?: SpellCorrector,
  ) {}

  normalize(tokens: readonly string[]): string[] {
    const expanded: string[] = [];
    for (let index = 0; index < tokens.length; index++) {
      const token = tokens[index] ?? '';
      if (isPlaceholder(token)) {
        expanded.push(token);
        continue;
      }
      const digit = this.lexicon.digitWords.get(token);
      if (digit !== undefined) {
        expanded.push(this.isSmsDigit(tokens, index) ? digit : token);
        continue;
      }
      expanded.push(...this.word(token));
    }
    return this.joinPhrases(expanded);
  }

  private word(token: string): readonly string[] {
    const direct = this.lexicon.words.get(token);
    if (direct) return direct;
    if (!/^[a-z]+$/.test(token)) return [token];
    // "hiiii" → "hii" → lexicon; "sooo" → "so".
    const squeezed = token.replace(/(.)\1{2,}/g, '$1$1');
    if (squeezed !== token) {
      const mapped = this.lexicon.words.get(squeezed);
      if (mapped) return mapped;
      if (this.corrector?.has(squeezed)) return [squeezed];
      const single = squeezed.replace(/(.)\1+/g, '$1');
      const mappedSingle = this.lexicon.words.get(single);
      if (mappedSingle) return mappedSingle;
      if (this.corrector?.has(single)) return [single];
    }
    if (!this.corrector || this.corrector.has(token)) return [token];
    const corrected = this.corrector.correct(token);
    if (corrected === undefined) return [token];
    return this.lexicon.words.get(corrected) ?? [corrected];
  }

  /** "hw long 4 repair", "how 2 update": a lone 4 or 2 between words, not before a unit ("2 weeks"). */
  private isSmsDigit(tokens: readonly string[], index: number): boolean {
    const previous = tokens[index - 1];
    const next = tokens[index + 1];
    if (next === undefined || !/^[a-z]+$/.test(next) || this.lexicon.unitWords.has(next)) return false;
    return previous === undefined || /^[a-z]+$/.test(previous);
  }

  private joinPhrases(words: readonly string[]): string[] {
    const out: string[] = [];
    for (let index = 0; index < words.length;) {
      const word = words[index] ?? '';
      const candidates = this.lexicon.phrases.get(word);
      const match = candidates?.find((phrase) =>
        phrase.words.every((part, offset) => words[index + offset] === part),
      );
      if (match) {
        out.push(...match.replacement);
        index += match.words.length;
      } else {
        out.push(word);
        index += 1;
      }
    }
    return out;
  }
}
