import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { projectPath } from '../projectPath';
import type { CarMake } from './carMakes';
import type { AliasEntry } from './entityExtractor';
import { INTENTS, type EntityKind, type IntentName } from './recognizer';

const PLAIN_SLOTS = ['device', 'phoneModel', 'app', 'otherDevice', 'competitor', 'carPart'] as const;
const ENTITY_SLOTS = {
  product: 'product_model',
  car: 'car_make',
  ticket: 'ticket_number',
  phone: 'phone',
  email: 'email',
  order: 'order_number',
} as const satisfies Record<string, EntityKind>;
type EntitySlot = keyof typeof ENTITY_SLOTS;
const SLOT = /\{([a-zA-Z]+)\}/g;
const KNOWN_SLOTS = new Set<string>([...PLAIN_SLOTS, ...Object.keys(ENTITY_SLOTS)]);

const intentFileSchema = z.object({
  intent: z.enum(INTENTS),
  description: z.string().min(1),
  examples: z
    .array(
      z
        .string()
        .trim()
        .min(1)
        .refine((text) => [...text.matchAll(SLOT)].every((match) => KNOWN_SLOTS.has(match[1] ?? '')), {
          message: `uses an unknown {slot}; known: ${[...KNOWN_SLOTS].join(', ')}`,
        }),
    )
    .min(20, 'needs at least 20 examples'),
});

const slotList = z.array(z.string().min(1)).min(1);
const slotsFileSchema = z.object({
  $comment: z.string().optional(),
  device: slotList,
  phoneModel: slotList,
  app: slotList,
  otherDevice: slotList,
  competitor: slotList,
  carPart: slotList,
});

export type IntentFile = z.infer<typeof intentFileSchema>;
export type SlotValues = Record<(typeof PLAIN_SLOTS)[number], string[]>;

export interface CorpusEntity {
  kind: EntityKind;
  start: number;
  end: number;
  value: string;
}

/** One training sentence after its {slots} were filled in. */
export interface TrainingExample {
  text: string;
  intent: IntentName;
  entities: CorpusEntity[];
  /** The template it came from, for tracing a bad example back to the data file. */
  template: string;
}

export interface Corpus {
  intents: readonly IntentFile[];
  slots: SlotValues;
}

export const DEFAULT_CORPUS_DIR = projectPath('src/services/recognition/data');

/** Reads data/corpus/*.json and data/slots.json; every intent must have exactly one file. */
export function loadCorpus(dataDir: string = DEFAULT_CORPUS_DIR): Corpus {
  const corpusDir = path.join(dataDir, 'corpus');
  const intents: IntentFile[] = [];
  for (const name of readdirSync(corpusDir)
    .filter((file) => file.endsWith('.json'))
    .sort()) {
    const file = path.join(corpusDir, name);
    const parsed = intentFileSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')) as unknown);
    if (!parsed.success) throw new Error(`${file}: ${formatIssues(parsed.error)}`);
    if (name !== `${parsed.data.intent}.json`)
      throw new Error(`${file}: holds intent "${parsed.data.intent}"; name it ${parsed.data.intent}.json`);
    intents.push(parsed.data);
  }
  const missing = INTENTS.filter((intent) => !intents.some((file) => file.intent === intent));
  if (missing.length > 0) throw new Error(`${corpusDir}: no examples for ${missing.join(', ')}`);
  const slotsFile = path.join(dataDir, 'slots.json');
  const slots = slotsFileSchema.safeParse(JSON.parse(readFileSync(slotsFile, 'utf8')) as unknown);
  if (!slots.success) throw new Error(`${slotsFile}: ${formatIssues(slots.error)}`);
  const { $comment: _comment, ...values } = slots.data;
  return { intents, slots: values };
}

export interface ExpandOptions {
  products: readonly AliasEntry[];
  carMakes: readonly CarMake[];
  /** How many sentences each template with slots yields (different slot values each time). */
  variantsPerTemplate: number;
  seed: number;
}

/** Fills every template's slots deterministically (seeded), recording where entities landed. */
export function expandCorpus(corpus: Corpus, options: ExpandOptions): TrainingExample[] {
  const random = seededRandom(options.seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)];
  const carAliases: AliasEntry[] = options.carMakes.flatMap((make) =>
    make.aliases.map((alias) => ({ alias, value: make.name })),
  );
  const generators: Record<EntitySlot, () => { text: string; value: string }> = {
    product: () => {
      const entry = pick(options.products);
      return { text: entry.alias, value: entry.value };
    },
    car: () => {
      const entry = pick(carAliases);
      return { text: capitaliseSometimes(entry.alias, random), value: entry.value };
    },
    ticket: () => ticketNumber(random),
    phone: () => phoneNumber(random),
    email: () => emailAddress(random),
    order: () => orderNumber(random),
  };
  const examples: TrainingExample[] = [];
  const seen = new Set<string>();
  for (const file of corpus.intents) {
    for (const template of file.examples) {
      const variants = SLOT.test(template) ? options.variantsPerTemplate : 1;
      SLOT.lastIndex = 0;
      for (let variant = 0; variant < variants; variant++) {
        const entities: CorpusEntity[] = [];
        let text = '';
        let last = 0;
        for (const match of template.matchAll(SLOT)) {
          text += template.slice(last, match.index);
          const slot = match[1] ?? '';
          if (slot in ENTITY_SLOTS) {
            const generated = generators[slot as EntitySlot]();
            entities.push({
              kind: ENTITY_SLOTS[slot as EntitySlot],
              start: text.length,
              end: text.length + generated.text.length,
              value: generated.value,
            });
            text += generated.text;
          } else {
            text += pick(corpus.slots[slot as (typeof PLAIN_SLOTS)[number]]);
          }
          last = match.index + match[0].length;
        }
        text += template.slice(last);
        const key = `${file.intent}\u0000${text}`;
        if (seen.has(key)) continue;
        seen.add(key);
        examples.push({ text, intent: file.intent, entities, template });
      }
    }
  }
  return examples;
}

/** mulberry32: a tiny deterministic generator, so the corpus expands the same way on every machine. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function capitaliseSometimes(text: string, random: () => number): string {
  return random() < 0.5 ? text : text.replace(/\b[a-z]/g, (letter) => letter.toUpperCase());
}

function ticketNumber(random: () => number): { text: string; value: string } {
  const alphabet = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';
  const length = 6 + Math.floor(random() * 5);
  let body = String(2 + Math.floor(random() * 8));
  while (body.length < length) body += alphabet[Math.floor(random() * alphabet.length)] ?? 'X';
  const value = `CK-${body}`;
  const forms = [value, value.toLowerCase(), `ck${body.toLowerCase()}`, `CK ${body}`];
  return { text: forms[Math.floor(random() * forms.length)] ?? value, value };
}

function digits(random: () => number, count: number): string {
  let out = '';
  for (let index = 0; index < count; index++) out += String(Math.floor(random() * 10));
  return out;
}

function phoneNumber(random: () => number): { text: string; value: string } {
  const forms: Array<() => { text: string; value: string }> = [
    () => {
      const [a, b, c] = [digits(random, 3), digits(random, 3), digits(random, 4)];
      return { text: `+1 ${a} ${b} ${c}`, value: `+1${a}${b}${c}` };
    },
    () => {
      const [a, b] = [digits(random, 3), digits(random, 6)];
      return { text: `+44 7${a} ${b}`, value: `+447${a}${b}` };
    },
    () => {
      const [a, b, c] = [digits(random, 2), digits(random, 3), digits(random, 3)];
      return { text: `04${a} ${b} ${c}`, value: `04${a}${b}${c}` };
    },
    () => {
      const [a, b, c] = [digits(random, 3), digits(random, 3), digits(random, 4)];
      return { text: `(${a}) ${b}-${c}`, value: `${a}${b}${c}` };
    },
    () => {
      const [a, b] = [digits(random, 4), digits(random, 4)];
      return { text: `+86 138 ${a} ${b}`, value: `+86138${a}${b}` };
    },
    () => {
      const rest = digits(random, 8);
      return { text: `0049 151 ${rest}`, value: `+49151${rest}` };
    },
  ];
  return (forms[Math.floor(random() * forms.length)] ?? forms[0])();
}

function emailAddress(random: () => number): { text: string; value: string } {
  const names = [
    'john.smith',
    'maria_g',
    'tom.w',
    'li.wei',
    'ahmed.k',
    'sarah1987',
    'driver.mike',
    'ana.lopez',
  ];
  const domains = ['gmail.com', 'outlook.com', 'yahoo.co.uk', 'hotmail.de', 'icloud.com', 'mail.ru'];
  const text = `${names[Math.floor(random() * names.length)] ?? 'john'}@${domains[Math.floor(random() * domains.length)] ?? 'gmail.com'}`;
  return { text, value: text.toLowerCase() };
}

function orderNumber(random: () => number): { text: string; value: string } {
  const form = Math.floor(random() * 3);
  if (form === 0) {
    const text = `${digits(random, 3)}-${digits(random, 7)}-${digits(random, 7)}`;
    return { text, value: text };
  }
  if (form === 1) {
    const text = `8${digits(random, 15)}`;
    return { text, value: text };
  }
  const number = `1${digits(random, 4)}`;
  return { text: `#${number}`, value: `#${number}` };
}

function formatIssues(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ');
}
