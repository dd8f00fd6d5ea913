import { z } from 'zod';
import { projectPath } from '../projectPath';
import { CLU_NONE_INTENT } from './cluRecognizer';
import { trainingExamplesOf, type TrainingSources } from './offlineTrainer';
import { ENTITY_KINDS, INTENTS, type EntityKind } from './recognizer';

export const CLU_PROJECT_FILE = projectPath('deployment/clu/carlinkit-support.json');
export const CLU_PROJECT_NAME = 'carlinkit-support';
const LANGUAGE = 'en-us' as const;

// Patterns CLU applies itself (plain regular expressions, no look-behind); our own extractor is stricter.
const REGEX_ENTITIES: Partial<Record<EntityKind, Array<{ key: string; pattern: string }>>> = {
  ticket_number: [{ key: 'ticket', pattern: '[Cc][Kk][- ]?[A-Za-z0-9]{6,10}' }],
  email: [{ key: 'email', pattern: '[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\\.[A-Za-z0-9-]+)*\\.[A-Za-z]{2,}' }],
  phone: [{ key: 'phone', pattern: '(\\+|00)?[0-9][0-9 ().-]{5,20}[0-9]' }],
  order_number: [
    { key: 'amazon', pattern: '[0-9]{3}-[0-9]{7}-[0-9]{7}' },
    { key: 'ebay', pattern: '[0-9]{2}-[0-9]{5}-[0-9]{5}' },
    { key: 'aliexpress', pattern: '[0-9]{15,20}' },
    { key: 'shop', pattern: '#[0-9]{4,8}' },
  ],
};

const utteranceSchema = z.object({
  text: z.string().min(1).max(500),
  intent: z.string().min(1),
  language: z.literal(LANGUAGE),
  dataset: z.enum(['Train', 'Test']),
  entities: z.array(
    z.object({
      category: z.enum(ENTITY_KINDS),
      offset: z.number().int().nonnegative(),
      length: z.number().int().positive(),
    }),
  ),
});

/** The Language Studio import format for a conversation project (projectFileVersion 2023-04-01). */
export const cluProjectSchema = z.object({
  projectFileVersion: z.literal('2023-04-01'),
  stringIndexType: z.literal('Utf16CodeUnit'),
  metadata: z.object({
    projectKind: z.literal('Conversation'),
    projectName: z.string().regex(/^[A-Za-z0-9_.-]{1,50}$/),
    multilingual: z.boolean(),
    description: z.string(),
    language: z.literal(LANGUAGE),
    settings: z.object({ confidenceThreshold: z.number().min(0).max(1) }),
  }),
  assets: z.object({
    projectKind: z.literal('Conversation'),
    intents: z.array(z.object({ category: z.string().min(1).max(50) })),
    entities: z.array(
      z.object({
        category: z.enum(ENTITY_KINDS),
        compositionSetting: z.enum([
          'combineComponents',
          'separateComponents',
          'returnLongestOverlap',
          'requireExactOverlap',
        ]),
        list: z
          .object({
            sublists: z.array(
              z.object({
                listKey: z.string().min(1),
                synonyms: z.array(
                  z.object({ language: z.literal(LANGUAGE), values: z.array(z.string().min(1)).min(1) }),
                ),
              }),
            ),
          })
          .optional(),
        regex: z
          .object({
            expressions: z.array(
              z.object({
                regexKey: z.string().min(1),
                language: z.literal(LANGUAGE),
                regexPattern: z.string().min(1),
              }),
            ),
          })
          .optional(),
      }),
    ),
    utterances: z.array(utteranceSchema),
  }),
});

export type CluProject = z.infer<typeof cluProjectSchema>;

/**
 * Builds the CLU project from the same corpus the offline recognizer learns from: one source of
 * truth for both. Our "none" is CLU's built-in "None" intent; product models and car makes are list
 * entities (their list keys are our canonical values) plus labelled examples; tickets, e-mails, phones
 * and orders are regular-expression entities.
 */
export function buildCluProject(sources: TrainingSources): CluProject {
  const productSublists = new Map<string, Set<string>>();
  for (const { alias, value } of sources.products) {
    const values = productSublists.get(value) ?? new Set<string>();
    values.add(alias);
    productSublists.set(value, values);
  }
  const list = (entries: Iterable<[string, Iterable<string>]>) => ({
    sublists: [...entries].map(([listKey, values]) => ({
      listKey,
      synonyms: [{ language: LANGUAGE, values: [...values] }],
    })),
  });
  const entities: CluProject['assets']['entities'] = [
    { category: 'product_model', compositionSetting: 'combineComponents', list: list(productSublists) },
    {
      category: 'car_make',
      compositionSetting: 'combineComponents',
      list: list(sources.carMakes.map((make) => [make.name, make.aliases])),
    },
    ...(Object.entries(REGEX_ENTITIES) as Array<[EntityKind, Array<{ key: string; pattern: string }>]>).map(
      ([category, expressions]) => ({
        category,
        compositionSetting: 'combineComponents' as const,
        regex: {
          expressions: expressions.map(({ key, pattern }) => ({
            regexKey: key,
            language: LANGUAGE,
            regexPattern: pattern,
          })),
        },
      }),
    ),
  ];
  const utterances = trainingExamplesOf(sources).map((example) => ({
    text: example.text,
    intent: example.intent === 'none' ? CLU_NONE_INTENT : example.intent,
    language: LANGUAGE,
    dataset: 'Train' as const,
    entities: example.entities.map((entity) => ({
      category: entity.kind,
      offset: entity.start,
      length: entity.end - entity.start,
    })),
  }));
  return {
    projectFileVersion: '2023-04-01',
    stringIndexType: 'Utf16CodeUnit',
    metadata: {
      projectKind: 'Conversation',
      projectName: CLU_PROJECT_NAME,
      multilingual: false,
      description:
        'CarlinKit customer support intents. Generated by `npm run clu:export` from src/services/recognition/data/; do not edit in Language Studio, edit the corpus and re-export.',
      language: LANGUAGE,
      // The bot applies its own threshold (CluRecognizer minConfidence), so CLU always returns its best guess.
      settings: { confidenceThreshold: 0 },
    },
    assets: {
      projectKind: 'Conversation',
      intents: INTENTS.map((intent) => ({ category: intent === 'none' ? CLU_NONE_INTENT : intent })),
      entities,
      utterances,
    },
  };
}

export function serializeCluProject(project: CluProject): string {
  return `${JSON.stringify(project, null, 2)}\n`;
}
