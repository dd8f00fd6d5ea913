/**
 * A waterfall's `values` (kept in dialog state between its steps) with a type: botbuilder types
 * it as `object`. Everything in it must stay plain JSON.
 */
export function stepValues<T extends object>(step: { values: object }): Partial<T> {
  return step.values;
}
