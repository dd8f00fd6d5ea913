import { Types } from 'mongoose';

/**
 * The driver would store an undefined field as null; leave it out instead, as mongoose would.
 * Usually there is none: then the value is returned as it is, without a copy.
 */
export function withoutUndefined<T>(value: T): T {
  return hasUndefined(value) ? copyWithoutUndefined(value) : value;
}

function isPlainContainer(value: unknown): value is object {
  return (
    value !== null &&
    typeof value === 'object' &&
    !(value instanceof Date) &&
    !(value instanceof Types.ObjectId)
  );
}

function hasUndefined(value: unknown): boolean {
  if (Array.isArray(value)) return value.some(hasUndefined);
  if (!isPlainContainer(value)) return false;
  for (const key of Object.keys(value)) {
    const child = (value as Record<string, unknown>)[key];
    if (child === undefined || hasUndefined(child)) return true;
  }
  return false;
}

function copyWithoutUndefined<T>(value: T): T {
  if (Array.isArray(value)) return value.map((item: unknown) => copyWithoutUndefined(item)) as T;
  if (!isPlainContainer(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(value as Record<string, unknown>))
    if (child !== undefined) out[key] = copyWithoutUndefined(child);
  return out as T;
}
