import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { projectPath } from '../projectPath';
import { stem } from './stemmer';

const lowerWord = z
  .string()
  .min(1)
  .refine((value) => value === value.toLowerCase(), 'must be lower-case');

const lexiconFileSchema = z.object({
  $comment: z.string().optional(),
  words: z.record(lowerWord, lowerWord),
  phrases: z.record(
    lowerWord.refine((value) => value.includes(' '), 'a phrase has several words'),
    lowerWord,
  ),
  concepts: z.record(z.string().regex(/^[a-z]+$/), z.array(lowerWord).min(1)),
  unitWords: z.array(lowerWord),
  digitWords: z.record(z.string().regex(/^\d$/), lowerWord),
});

export type LexiconFile = z.infer<typeof lexiconFileSchema>;

export const DEFAULT_LEXICON_FILE = projectPath('src/services/recognition/data/lexicon.json');

/** The spelling, shorthand and synonym knowledge the normaliser applies, validated at load. */
export class Lexicon {
  readonly words: ReadonlyMap<string, readonly string[]>;
  /** Phrases keyed by their first word; longest first. */
  readonly phrases: ReadonlyMap<
    string,
    ReadonlyArray<{ words: readonly string[]; replacement: readonly string[] }>
  >;
  /** Stemmed word → concept names. */
  readonly concepts: ReadonlyMap<string, readonly string[]>;
  readonly unitWords: ReadonlySet<string>;
  readonly digitWords: ReadonlyMap<string, string>;

  constructor(private readonly file: LexiconFile) {
    this.words = new Map(Object.entries(file.words).map(([from, to]) => [from, to.split(/\s+/)]));
    const phrases = new Map<string, Array<{ words: string[]; replacement: string[] }>>();
    for (const [phrase, replacement] of Object.entries(file.phrases)) {
      const words = phrase.split(/\s+/);
      const bucket = phrases.get(words[0] ?? '') ?? [];
      bucket.push({ words, replacement: replacement.split(/\s+/) });
      phrases.set(words[0] ?? '', bucket);
    }
    for (const bucket of phrases.values()) bucket.sort((a, b) => b.words.length - a.words.length);
    this.phrases = phrases;
    const concepts = new Map<string, string[]>();
    for (const [concept, members] of Object.entries(file.concepts)) {
      for (const member of members) {
        const key = stem(member);
        const list = concepts.get(key) ?? [];
        if (!list.includes(concept)) list.push(concept);
        concepts.set(key, list);
      }
    }
    this.concepts = concepts;
    this.unitWords = new Set(file.unitWords);
    this.digitWords = new Map(Object.entries(file.digitWords));
  }

  static parse(raw: unknown, source = 'lexicon'): Lexicon {
    const parsed = lexiconFileSchema.safeParse(raw);
    if (!parsed.success) {
      throw new Error(
        `${source}: ${parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ')}`,
      );
    }
    return new Lexicon(parsed.data);
  }

  static load(file: string = DEFAULT_LEXICON_FILE): Lexicon {
    return Lexicon.parse(JSON.parse(readFileSync(file, 'utf8')) as unknown, file);
  }

  /** The same concepts without any spelling knowledge: the "no normalisation" ablation. */
  withoutSpelling(): Lexicon {
    return new Lexicon({ ...this.file, words: {}, phrases: {}, digitWords: {} });
  }

  /** Every word the lexicon can produce: they count as known spellings. */
  outputWords(): Set<string> {
    const out = new Set<string>();
    for (const replacement of this.words.values()) for (const word of replacement) out.add(word);
    for (const bucket of this.phrases.values())
      for (const phrase of bucket) for (const word of phrase.replacement) out.add(word);
    return out;
  }
}
