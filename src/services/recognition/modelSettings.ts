import { readFileSync } from 'node:fs';
import { z } from 'zod';

const weight = z.number().min(0).max(10);

export const modelSettingsSchema = z.object({
  seed: z.number().int().nonnegative(),
  variantsPerTemplate: z.number().int().min(1).max(10),
  epochs: z.number().int().min(1).max(200),
  learningRate: z.number().positive().max(10),
  l2: z.number().min(0).max(1),
  temperature: z.number().positive().max(20),
  noneThreshold: z.number().min(0).max(1),
  features: z.object({ word: weight, bigram: weight, char: weight, concept: weight, meta: weight }),
  augment: z.object({
    greetingPrefixRate: z.number().min(0).max(1),
    thanksSuffixRate: z.number().min(0).max(1),
  }),
});

/** Hyper-parameters of the offline recognizer (data/model.json), tuned on the dev set. */
export type ModelSettings = z.infer<typeof modelSettingsSchema>;

export function loadModelSettings(file: string): ModelSettings {
  const parsed = modelSettingsSchema
    .extend({ $comment: z.string().optional() })
    .safeParse(JSON.parse(readFileSync(file, 'utf8')) as unknown);
  if (!parsed.success) {
    throw new Error(
      `${file}: ${parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ')}`,
    );
  }
  const { $comment: _comment, ...settings } = parsed.data;
  return settings;
}
