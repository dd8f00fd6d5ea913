import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { projectPath } from '../projectPath';

const carMakeSchema = z.object({
  name: z.string().min(1),
  aliases: z
    .array(
      z
        .string()
        .min(1)
        .refine((value) => value === value.toLowerCase(), 'must be lower-case'),
    )
    .min(1),
});

const carMakesFileSchema = z.object({
  $comment: z.string().optional(),
  makes: z.array(carMakeSchema).min(1),
});

export type CarMake = z.infer<typeof carMakeSchema>;

export const DEFAULT_CAR_MAKES_FILE = projectPath('src/services/recognition/data/carMakes.json');

/** Reads and validates the car-make list; throws naming the file and the problem. */
export function loadCarMakes(file: string = DEFAULT_CAR_MAKES_FILE): CarMake[] {
  const parsed = carMakesFileSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')) as unknown);
  if (!parsed.success) {
    throw new Error(
      `${file}: ${parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ')}`,
    );
  }
  return parsed.data.makes;
}
