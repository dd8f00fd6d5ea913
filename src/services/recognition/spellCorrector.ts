/**
 * Corrects a misspelt word to the closest known word (Damerau-Levenshtein distance, ties broken by
 * how often the word occurs). One edit is found through a symmetric-delete index (a few map reads);
 * two edits, allowed for words of 8+ letters (shorter ones too often become another real word:
 * "plumber" → "number"), by scanning words of similar length.
 */
export class SpellCorrector {
  private readonly frequency = new Map<string, number>();
  /** Each word and its one-letter deletions → words: finds every word one edit away in a few reads. */
  private readonly deletes = new Map<string, string[]>();
  private readonly byLength = new Map<number, string[]>();

  constructor(words: ReadonlyMap<string, number>) {
    for (const [word, count] of words) {
      if (!/^[a-z]+$/.test(word) || word.length < 3) continue;
      this.frequency.set(word, count);
      for (const variant of deletions(word, 1)) {
        const bucket = this.deletes.get(variant);
        if (bucket) bucket.push(word);
        else this.deletes.set(variant, [word]);
      }
      const sameLength = this.byLength.get(word.length);
      if (sameLength) sameLength.push(word);
      else this.byLength.set(word.length, [word]);
    }
  }

  has(word: string): boolean {
    return this.frequency.has(word);
  }

  /** The best correction within the distance allowed for the word's length, or undefined. */
  correct(word: string): string | undefined {
    if (this.frequency.has(word)) return word;
    if (!/^[a-z]+$/.test(word)) return undefined;
    // Short words have too many neighbours to guess safely; long ones tolerate two slips.
    if (word.length < 4) return undefined;
    const near = this.best(word, this.oneEditCandidates(word), 1);
    if (near !== undefined || word.length < 8) return near;
    // Two edits: rare (only long unknown words), so a scan of similar-length words is cheap enough.
    const candidates: string[] = [];
    for (let length = word.length - 2; length <= word.length + 2; length++)
      candidates.push(...(this.byLength.get(length) ?? []));
    return this.best(word, candidates, 2);
  }

  private oneEditCandidates(word: string): Set<string> {
    const out = new Set<string>();
    for (const variant of deletions(word, 1))
      for (const candidate of this.deletes.get(variant) ?? []) out.add(candidate);
    return out;
  }

  private best(word: string, candidates: Iterable<string>, allowed: number): string | undefined {
    let best: string | undefined;
    let bestDistance = allowed + 1;
    let bestCount = -1;
    for (const candidate of candidates) {
      const distance = damerauLevenshtein(word, candidate, allowed);
      if (distance > allowed) continue;
      const count = this.frequency.get(candidate) ?? 0;
      if (distance < bestDistance || (distance === bestDistance && count > bestCount)) {
        best = candidate;
        bestDistance = distance;
        bestCount = count;
      }
    }
    return best;
  }
}

function deletions(word: string, depth: number): Set<string> {
  const out = new Set<string>([word]);
  let frontier = [word];
  for (let level = 0; level < depth; level++) {
    const next: string[] = [];
    for (const item of frontier) {
      if (item.length <= 1) continue;
      for (let index = 0; index < item.length; index++) {
        const shorter = item.slice(0, index) + item.slice(index + 1);
        if (!out.has(shorter)) {
          out.add(shorter);
          next.push(shorter);
        }
      }
    }
    frontier = next;
  }
  return out;
}

/** Optimal-string-alignment distance, stopping early once it exceeds `limit`. Three rolling rows. */
export function damerauLevenshtein(a: string, b: string, limit = Number.POSITIVE_INFINITY): number {
  if (a === b) return 0;
  if (Math.abs(a.length - b.length) > limit) return limit + 1;
  const cols = b.length + 1;
  let previousPrevious = new Int32Array(cols);
  let previous = new Int32Array(cols);
  let current = new Int32Array(cols);
  for (let j = 0; j < cols; j++) previous[j] = j;
  for (let i = 1; i <= a.length; i++) {
    current[0] = i;
    let rowMin = i;
    for (let j = 1; j < cols; j++) {
      const cost = a.charCodeAt(i - 1) === b.charCodeAt(j - 1) ? 0 : 1;
      let value = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost);
      if (
        i > 1 &&
        j > 1 &&
        a.charCodeAt(i - 1) === b.charCodeAt(j - 2) &&
        a.charCodeAt(i - 2) === b.charCodeAt(j - 1)
      ) {
        value = Math.min(value, previousPrevious[j - 2] + 1);
      }
      current[j] = value;
      if (value < rowMin) rowMin = value;
    }
    if (rowMin > limit) return limit + 1;
    [previousPrevious, previous, current] = [previous, current, previousPrevious];
  }
  return previous[b.length];
}
