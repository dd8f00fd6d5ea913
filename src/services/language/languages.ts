/**
 * The languages the bot recognises in a customer's message. English is the full bot; the others get
 * the first step of issue 12: what the bot can do, the offer of a person, and the FAQ answers, all
 * in their language (content files, not code).
 */
export const LANGUAGES = ['en', 'es', 'de', 'fr', 'pt', 'zh'] as const;
export type Language = (typeof LANGUAGES)[number];

export const DEFAULT_LANGUAGE: Language = 'en';

/** The languages besides English that have translated content. */
export const OTHER_LANGUAGES = LANGUAGES.filter(
  (language): language is Exclude<Language, 'en'> => language !== 'en',
);

export function isLanguage(value: unknown): value is Language {
  return typeof value === 'string' && (LANGUAGES as readonly string[]).includes(value);
}
