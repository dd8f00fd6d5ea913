import { readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import type { FaqLibrary } from '../knowledge/faqLibrary';
import { projectPath } from '../projectPath';
import { OTHER_LANGUAGES, type Language } from './languages';

export const DEFAULT_TRANSLATIONS_DIR = projectPath('src/services/knowledge/data/translations');

const PLACEHOLDER = /\{([^}]*)\}/g;

const fileSchema = z.strictObject({
  $comment: z.string().optional(),
  locale: z.string(),
  contact: z.string().trim().min(10).max(1_200),
  entries: z
    .array(
      z.strictObject({
        id: z.string().min(1),
        menuLabel: z.string().trim().min(2).max(24),
        question: z.string().trim().min(2).max(120),
        answer: z.string().trim().min(10).max(1_200),
        keywords: z.array(z.string().trim().min(1)).min(1),
      }),
    )
    .min(1),
});

export interface TranslatedFaqEntry {
  id: string;
  menuLabel: string;
  question: string;
  /** With placeholders filled in. */
  answer: string;
  keywords: readonly string[];
}

/** Lower case, accents off, spaces squeezed: "Garantía" and "garantia" are one word. */
export function foldText(text: string): string {
  return text
    .toLowerCase()
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}

/** The after-sales answers in one language: the same topics as the English faq.json. */
export class TranslatedFaq {
  constructor(
    readonly language: Language,
    readonly contact: string,
    private readonly entries: readonly TranslatedFaqEntry[],
  ) {}

  all(): readonly TranslatedFaqEntry[] {
    return this.entries;
  }

  get(id: string): TranslatedFaqEntry | undefined {
    return this.entries.find((entry) => entry.id === id);
  }

  /** The topic a free-text question in this language asks about (most keywords found), if any. */
  match(text: string): TranslatedFaqEntry | undefined {
    const folded = ` ${foldText(text)} `;
    let best: { entry: TranslatedFaqEntry; hits: number } | undefined;
    for (const entry of this.entries) {
      const hits = entry.keywords.filter((keyword) => {
        const word = foldText(keyword);
        // Chinese has no spaces between words: a keyword is found anywhere.
        return this.language === 'zh' ? folded.includes(word) : folded.includes(` ${word} `);
      }).length;
      if (hits > 0 && (!best || hits > best.hits)) best = { entry, hits };
    }
    return best?.entry;
  }

  /**
   * Reads `faq.<language>.json` and checks it against the English library: the same topic ids, no
   * more, no fewer, and only the placeholders the English answers may use.
   */
  static load(
    english: FaqLibrary,
    language: Language,
    dir: string = DEFAULT_TRANSLATIONS_DIR,
  ): TranslatedFaq {
    const file = path.join(dir, `faq.${language}.json`);
    const name = path.basename(file);
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(file, 'utf8'));
    } catch (error) {
      throw new Error(`FAQ translation ${name}: ${(error as Error).message}`);
    }
    const parsed = fileSchema.safeParse(raw);
    if (!parsed.success)
      throw new Error(
        `FAQ translation ${name} is invalid:\n  - ${parsed.error.issues.map((issue) => `${issue.path.join('.') || '(file)'}: ${issue.message}`).join('\n  - ')}`,
      );
    const problems: string[] = [];
    if (parsed.data.locale !== language)
      problems.push(`locale: is "${parsed.data.locale}", the file name says "${language}"`);
    const englishIds = english.all().map((entry) => entry.id);
    const ids = parsed.data.entries.map((entry) => entry.id);
    for (const id of englishIds) if (!ids.includes(id)) problems.push(`${id}: missing (faq.json answers it)`);
    for (const id of ids) if (!englishIds.includes(id)) problems.push(`${id}: not a topic of faq.json`);
    const values: Record<string, string> = Object.fromEntries(
      Object.entries(english.values).map(([key, value]) => [key, String(value)]),
    );
    for (const text of [parsed.data.contact, ...parsed.data.entries.map((entry) => entry.answer)]) {
      for (const match of text.matchAll(PLACEHOLDER))
        if (!((match[1] ?? '') in values)) problems.push(`unknown placeholder {${match[1]}}`);
    }
    if (problems.length > 0)
      throw new Error(`FAQ translation ${name} is invalid:\n  - ${problems.join('\n  - ')}`);
    const fill = (text: string): string =>
      text.replace(PLACEHOLDER, (whole, key: string) => values[key] ?? whole);
    return new TranslatedFaq(
      language,
      fill(parsed.data.contact),
      parsed.data.entries.map((entry) => ({ ...entry, answer: fill(entry.answer) })),
    );
  }

  /** Every translated language's FAQ. */
  static loadAll(english: FaqLibrary, dir?: string): Map<Language, TranslatedFaq> {
    return new Map(OTHER_LANGUAGES.map((language) => [language, TranslatedFaq.load(english, language, dir)]));
  }
}
