import { readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { projectPath } from '../projectPath';

/**
 * After-sales answers from a data file support staff edit (src/services/knowledge/data/faq.json),
 * grounded in the company's after-sales page. Validated at start-up: every topic the bot relies on
 * must be there, and placeholders must be ones the bot knows how to fill.
 */

export const DEFAULT_FAQ_FILE = projectPath('src/services/knowledge/data/faq.json');

/** Topics the dialogs link to by id; the file must answer each of them. */
export const FAQ_TOPICS = [
  'repair_cost',
  'shipping_cost',
  'turnaround',
  'process',
  'warranty',
  'send_address',
  'needs_repair',
] as const;
export type FaqTopic = (typeof FAQ_TOPICS)[number];

const FAQ_INTENTS = [
  'faq_repair_cost',
  'faq_shipping_cost',
  'faq_turnaround',
  'faq_process',
  'faq_warranty',
  'faq_send_address',
] as const;
export type FaqIntent = (typeof FAQ_INTENTS)[number];

const PLACEHOLDERS = ['turnaroundBusinessDays'] as const;
export interface FaqValues {
  turnaroundBusinessDays: number;
}

const answerText = z
  .string()
  .trim()
  .min(10)
  .max(1_200)
  .superRefine((text, ctx) => {
    for (const match of text.matchAll(/\{([^}]*)\}/g)) {
      if (!(PLACEHOLDERS as readonly string[]).includes(match[1] ?? '')) {
        ctx.addIssue({
          code: 'custom',
          message: `unknown placeholder {${match[1]}} (known: ${PLACEHOLDERS.join(', ')})`,
        });
      }
    }
  });

/**
 * What an entry does besides its answer: `handoff` reaches a person through the handoff port (the
 * contact route); `compatibility` answers from the product catalogue (what each product needs).
 */
export const FAQ_ACTIONS = ['handoff', 'compatibility'] as const;
export type FaqAction = (typeof FAQ_ACTIONS)[number];

/**
 * A topic phrase: lower-case words matched as whole words anywhere in the customer's message; a
 * trailing * matches any ending ("ship*" → ship, shipping, shipped).
 */
const topicPhrase = z
  .string()
  .trim()
  .min(2)
  .max(60)
  .regex(/^[a-z0-9'][a-z0-9' -]*\*?$/, 'lower-case words, optionally ending with *');

const entrySchema = z.strictObject({
  id: z.string().regex(/^[a-z][a-z_]{1,39}$/, 'lower-case letters and _'),
  intent: z.enum(FAQ_INTENTS).optional(),
  menuLabel: z.string().trim().min(2).max(24),
  question: z.string().trim().min(5).max(120),
  answer: answerText,
  /** Phrases that show the message asks about this entry: several questions in one message each get their answer. */
  topics: z.array(topicPhrase).max(60).optional(),
  action: z.enum(FAQ_ACTIONS).optional(),
});

const faqFileSchema = z
  .strictObject({
    $comment: z.string().optional(),
    /** How to reach a person, said whenever the bot cannot help further. */
    contact: answerText,
    entries: z.array(entrySchema),
  })
  .superRefine((file, ctx) => {
    const seenIds = new Set<string>();
    const seenIntents = new Set<string>();
    file.entries.forEach((entry, index) => {
      if (seenIds.has(entry.id))
        ctx.addIssue({
          code: 'custom',
          path: ['entries', index, 'id'],
          message: `"${entry.id}" is answered twice`,
        });
      seenIds.add(entry.id);
      if (entry.intent) {
        if (seenIntents.has(entry.intent)) {
          ctx.addIssue({
            code: 'custom',
            path: ['entries', index, 'intent'],
            message: `"${entry.intent}" is mapped twice`,
          });
        }
        seenIntents.add(entry.intent);
      }
    });
    for (const topic of FAQ_TOPICS) {
      if (!seenIds.has(topic))
        ctx.addIssue({ code: 'custom', path: ['entries'], message: `no answer for "${topic}"` });
    }
    for (const intent of FAQ_INTENTS) {
      if (!seenIntents.has(intent))
        ctx.addIssue({
          code: 'custom',
          path: ['entries'],
          message: `no answer mapped to intent "${intent}"`,
        });
    }
  });

export interface FaqEntry {
  /** One of FAQ_TOPICS, or a further entry support staff added. */
  id: string;
  intent: FaqIntent | undefined;
  menuLabel: string;
  question: string;
  /** With placeholders filled in. */
  answer: string;
  action: FaqAction | undefined;
}

interface TopicMatcher {
  entry: FaqEntry;
  patterns: RegExp[];
}

/** Lower case, apostrophes kept, everything else between words a single space. */
function topicText(text: string): string {
  return text
    .toLowerCase()
    .replace(/[’‘`]/g, "'")
    .replace(/[^a-z0-9']+/g, ' ')
    .trim();
}

function topicPattern(phrase: string): RegExp {
  const wildcard = phrase.endsWith('*');
  const words = topicText(wildcard ? phrase.slice(0, -1) : phrase)
    .split(' ')
    .map((word) => word.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(` ${words.join(' ')}${wildcard ? "[a-z0-9']*" : ''} `);
}

export class FaqLibrary {
  private readonly byId = new Map<string, FaqEntry>();
  private readonly byIntent = new Map<string, FaqEntry>();
  private readonly matchers: TopicMatcher[] = [];

  constructor(
    entries: ReadonlyArray<z.infer<typeof entrySchema>>,
    readonly contact: string,
    /** The values placeholders were filled with (translations fill theirs the same way). */
    readonly values: FaqValues,
  ) {
    const fill = (text: string): string =>
      text.replace(/\{turnaroundBusinessDays\}/g, String(values.turnaroundBusinessDays));
    for (const entry of entries) {
      const filled: FaqEntry = {
        id: entry.id,
        intent: entry.intent,
        menuLabel: entry.menuLabel,
        question: entry.question,
        answer: fill(entry.answer),
        action: entry.action,
      };
      this.byId.set(entry.id, filled);
      if (entry.intent) this.byIntent.set(entry.intent, filled);
      if (entry.topics && entry.topics.length > 0)
        this.matchers.push({ entry: filled, patterns: entry.topics.map(topicPattern) });
    }
  }

  /** Reads and validates the file; throws naming the file and every problem. */
  static load(values: FaqValues, file: string = DEFAULT_FAQ_FILE): FaqLibrary {
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(file, 'utf8'));
    } catch (error) {
      throw new Error(`FAQ ${path.basename(file)}: ${(error as Error).message}`);
    }
    const parsed = faqFileSchema.safeParse(raw);
    if (!parsed.success) {
      throw new Error(
        `FAQ ${path.basename(file)} is invalid:\n  - ${parsed.error.issues.map((issue) => `${issue.path.join('.') || '(file)'}: ${issue.message}`).join('\n  - ')}`,
      );
    }
    return new FaqLibrary(parsed.data.entries, parsed.data.contact, values);
  }

  get(topic: FaqTopic): FaqEntry {
    const entry = this.byId.get(topic);
    if (!entry) throw new Error(`FAQ: no answer for ${topic}`);
    return entry;
  }

  /** The answer for a recognizer intent such as "faq_warranty", if it is an FAQ intent. */
  forIntent(intent: string): FaqEntry | undefined {
    return this.byIntent.get(intent);
  }

  /** Any entry by id (the required topics and the ones staff added). */
  find(id: string): FaqEntry | undefined {
    return this.byId.get(id);
  }

  /**
   * The entries a message asks about, by their topic phrases, in the order the message raises them
   * ("how long does it take? and who pays shipping?" → turnaround, shipping_cost).
   */
  matchTopics(text: string): FaqEntry[] {
    const words = ` ${topicText(text)} `;
    const found: Array<{ entry: FaqEntry; at: number }> = [];
    for (const { entry, patterns } of this.matchers) {
      let at = -1;
      for (const pattern of patterns) {
        const match = pattern.exec(words);
        if (match && (at === -1 || match.index < at)) at = match.index;
      }
      if (at !== -1) found.push({ entry, at });
    }
    return found.sort((a, b) => a.at - b.at).map((hit) => hit.entry);
  }

  /** In the order of FAQ_TOPICS, for menus. */
  all(): FaqEntry[] {
    return FAQ_TOPICS.map((topic) => this.get(topic));
  }
}
