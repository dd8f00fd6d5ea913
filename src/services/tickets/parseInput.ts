import type { z } from 'zod';
import { ValidationError } from '../errors';

/** Parses with a zod schema; a failure becomes a ValidationError naming each bad field and why. */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => ({
    path: issue.path.map(String).join('.'),
    message: issue.message,
  }));
  throw new ValidationError(
    `Invalid ${what}: ${problems.map((problem) => (problem.path ? `${problem.path} ${problem.message}` : problem.message)).join('; ')}`,
    problems,
  );
}
