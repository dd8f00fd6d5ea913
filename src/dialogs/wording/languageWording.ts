import { readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { LANGUAGES, type Language } from '../../services/language/languages';
import { projectPath } from '../../services/projectPath';

export const DEFAULT_LANGUAGE_WORDING_DIR = projectPath('src/dialogs/wording/languages');

/** The messages of the other-languages first step; en.json holds the reference set of keys. */
export const LANGUAGE_MESSAGES = [
  'intro',
  'limits',
  'menuPrompt',
  'anythingElse',
  'person',
  'english',
  'handingOver',
  'noAgentYet',
  'notUnderstood',
  'backInEnglish',
] as const;
export type LanguageMessage = (typeof LANGUAGE_MESSAGES)[number];

const text = z.string().trim().min(1).max(1_000);
const fileSchema = z.strictObject({
  $comment: z.string().optional(),
  locale: z.enum(LANGUAGES),
  languageName: text,
  messages: z.record(z.string(), text),
  answerWords: z.strictObject({ person: z.array(text).min(1), english: z.array(text).min(1) }),
});

/** One language's words for the other-languages first step. */
export interface LanguageWords {
  language: Language;
  languageName: string;
  text(key: LanguageMessage): string;
  answerWords: { person: readonly string[]; english: readonly string[] };
}

/**
 * Loads src/dialogs/wording/languages/<locale>.json for every language, checked at start-up: each
 * file must have exactly the message keys of en.json, so a new translation is a new file, not code.
 */
export function loadLanguageWording(
  dir: string = DEFAULT_LANGUAGE_WORDING_DIR,
): ReadonlyMap<Language, LanguageWords> {
  const files = new Map(LANGUAGES.map((language) => [language, readFile(dir, language)]));
  const reference = Object.keys(files.get('en')?.messages ?? {}).sort();
  const expected = [...LANGUAGE_MESSAGES].sort();
  const problems: string[] = [];
  if (JSON.stringify(reference) !== JSON.stringify(expected))
    problems.push(`en.json: messages must be exactly ${expected.join(', ')}`);
  for (const [language, file] of files) {
    const keys = Object.keys(file.messages).sort();
    for (const key of reference) if (!keys.includes(key)) problems.push(`${language}.json: ${key}: missing`);
    for (const key of keys)
      if (!reference.includes(key)) problems.push(`${language}.json: ${key}: not in en.json`);
    if (file.locale !== language)
      problems.push(`${language}.json: locale is "${file.locale}", the file name says "${language}"`);
  }
  if (problems.length > 0) throw new Error(`Language wording is invalid:\n  - ${problems.join('\n  - ')}`);
  return new Map(
    [...files].map(([language, file]) => [
      language,
      {
        language,
        languageName: file.languageName,
        text: (key: LanguageMessage) => file.messages[key] ?? key,
        answerWords: file.answerWords,
      },
    ]),
  );
}

function readFile(dir: string, language: Language): z.infer<typeof fileSchema> {
  const file = path.join(dir, `${language}.json`);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new Error(`Language wording ${path.basename(file)}: ${(error as Error).message}`);
  }
  const parsed = fileSchema.safeParse(raw);
  if (!parsed.success)
    throw new Error(
      `Language wording ${path.basename(file)} is invalid:\n  - ${parsed.error.issues.map((issue) => `${issue.path.join('.') || '(file)'}: ${issue.message}`).join('\n  - ')}`,
    );
  return parsed.data;
}
