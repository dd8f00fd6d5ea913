import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse, TYPE, type MessageFormatElement } from '@formatjs/icu-messageformat-parser';
import { IntlMessageFormat } from 'intl-messageformat';
import { z } from 'zod';

/**
 * Customer-facing wording from data files support staff edit, one file per locale
 * (`<dir>/<locale>.json`), validated when loaded (at start-up): every message the code uses must be
 * there, no other, and each may use only the placeholders the code fills. Messages are ICU
 * MessageFormat, so a translation gets its own plural rules (`{count, plural, one {…} other {…}}`).
 *
 * The spec (which messages exist and which placeholders each may use) belongs to the code that says
 * them; this loader knows nothing about dialogs.
 */
export type WordingSpec = Readonly<Record<string, readonly string[]>>;

export type WordingValue = string | number;
/** The values a message needs: none for a message without placeholders. */
export type WordingArgs<S extends WordingSpec, K extends keyof S> = S[K] extends readonly []
  ? []
  : [values: Readonly<Record<S[K][number], WordingValue>>];

const PARSE_OPTIONS = { ignoreTag: true, requiresOtherClause: true } as const;

/** Two levels, as staff read them: area → message id → text. */
const fileSchema = z.strictObject({
  $comment: z.string().optional(),
  locale: z
    .string()
    .regex(/^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/, 'must be a BCP 47 tag such as "en" or "pt-BR"'),
  messages: z.record(
    z.string().regex(/^[a-z][A-Za-z0-9]*$/),
    z.record(z.string().regex(/^[a-z][A-Za-z0-9]*$/), z.string().trim().min(1).max(1_600)),
  ),
});

/** One locale's messages. */
export class Wording<S extends WordingSpec> {
  constructor(
    readonly locale: string,
    private readonly formats: ReadonlyMap<string, IntlMessageFormat>,
  ) {}

  text<K extends keyof S & string>(key: K, ...args: WordingArgs<S, K>): string {
    const format = this.formats.get(key);
    if (!format) throw new Error(`wording: no message "${key}"`); // the load check makes this unreachable
    return String(format.format(args[0]));
  }
}

export interface WordingLoadOptions {
  /** The folder of `<locale>.json` files. */
  dir: string;
  /** The locales to load; the first one answers any locale without its own file. */
  locales: readonly [string, ...string[]];
}

/** Every locale's wording, loaded and checked together. */
export class WordingCatalog<S extends WordingSpec> {
  private constructor(
    private readonly byLocale: ReadonlyMap<string, Wording<S>>,
    private readonly fallback: Wording<S>,
  ) {}

  /** Reads and checks each locale's file; throws naming the file and every problem. */
  static load<S extends WordingSpec>(spec: S, options: WordingLoadOptions): WordingCatalog<S> {
    const byLocale = new Map<string, Wording<S>>();
    for (const locale of options.locales) byLocale.set(locale, loadLocale(spec, options.dir, locale));
    return new WordingCatalog(byLocale, byLocale.get(options.locales[0])!);
  }

  /** The wording for a BCP 47 locale ("en-US" → "en"), or the default one. */
  forLocale(locale: string | undefined): Wording<S> {
    if (locale) {
      const parts = locale.split(/[-_]/);
      for (let length = parts.length; length > 0; length -= 1) {
        const found = this.byLocale.get(parts.slice(0, length).join('-'));
        if (found) return found;
      }
    }
    return this.fallback;
  }
}

function loadLocale<S extends WordingSpec>(spec: S, dir: string, locale: string): Wording<S> {
  const file = path.join(dir, `${locale}.json`);
  const name = path.basename(file);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new Error(`Wording ${name}: ${(error as Error).message}`);
  }
  const parsed = fileSchema.safeParse(raw);
  if (!parsed.success) {
    throw new Error(
      `Wording ${name} is invalid:\n  - ${parsed.error.issues.map((issue) => `${issue.path.join('.') || '(file)'}: ${issue.message}`).join('\n  - ')}`,
    );
  }
  const problems: string[] = [];
  if (parsed.data.locale !== locale)
    problems.push(`locale: is "${parsed.data.locale}", the file name says "${locale}"`);
  const formats = new Map<string, IntlMessageFormat>();
  for (const [area, messages] of Object.entries(parsed.data.messages)) {
    for (const [id, text] of Object.entries(messages)) {
      const key = `${area}.${id}`;
      const known = spec[key];
      if (!known) {
        problems.push(`${key}: no such message (a typo, or one the bot no longer says)`);
        continue;
      }
      let elements: MessageFormatElement[];
      try {
        elements = parse(text, PARSE_OPTIONS);
      } catch (error) {
        problems.push(`${key}: not a valid message (${(error as Error).message})`);
        continue;
      }
      for (const placeholder of placeholdersOf(elements)) {
        if (!known.includes(placeholder)) {
          problems.push(
            `${key}: unknown placeholder {${placeholder}} (known: ${known.length > 0 ? known.join(', ') : 'none'})`,
          );
        }
      }
      formats.set(key, new IntlMessageFormat(elements, locale, undefined, { ignoreTag: true }));
    }
  }
  for (const key of Object.keys(spec)) {
    if (!formats.has(key) && !problems.some((problem) => problem.startsWith(`${key}:`)))
      problems.push(`${key}: missing`);
  }
  if (problems.length > 0) throw new Error(`Wording ${name} is invalid:\n  - ${problems.join('\n  - ')}`);
  return new Wording<S>(locale, formats);
}

/** Every variable a message reads, including inside plural and select branches. */
function placeholdersOf(elements: readonly MessageFormatElement[]): Set<string> {
  const found = new Set<string>();
  const visit = (list: readonly MessageFormatElement[]): void => {
    for (const element of list) {
      switch (element.type) {
        case TYPE.argument:
        case TYPE.number:
        case TYPE.date:
        case TYPE.time:
          found.add(element.value);
          break;
        case TYPE.select:
        case TYPE.plural:
          found.add(element.value);
          for (const option of Object.values(element.options)) visit(option.value);
          break;
        case TYPE.tag:
          visit(element.children);
          break;
        default:
          break;
      }
    }
  };
  visit(elements);
  return found;
}
