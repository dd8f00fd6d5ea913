const KEEP_DOUBLE = new Set(['ll', 'ss', 'zz', 'ff']);

/**
 * A light suffix stripper (plural, -ing, -ed, final e) so "connecting", "connected" and "connects"
 * share one feature. Deliberately conservative: short words and words with digits are left alone.
 */
export function stem(word: string): string {
  if (word.length <= 3 || /\d/.test(word)) return word;
  let stemmed = word;
  if (stemmed.endsWith('ies') && stemmed.length > 4) stemmed = `${stemmed.slice(0, -3)}y`;
  else if (/(?:ss|sh|ch|x)es$/.test(stemmed)) stemmed = stemmed.slice(0, -2);
  else if (stemmed.endsWith('s') && !/(?:ss|us|is)$/.test(stemmed)) stemmed = stemmed.slice(0, -1);

  if (stemmed.endsWith('ing') && stemmed.length > 5) stemmed = undouble(stemmed.slice(0, -3));
  else if (stemmed.endsWith('ed') && stemmed.length > 4) stemmed = undouble(stemmed.slice(0, -2));

  if (stemmed.endsWith('e') && stemmed.length > 4) stemmed = stemmed.slice(0, -1);
  return stemmed;
}

function undouble(word: string): string {
  const tail = word.slice(-2);
  if (
    tail.length === 2 &&
    tail[0] === tail[1] &&
    /[bcdfgjkmnprtvw]/.test(tail[0]) &&
    !KEEP_DOUBLE.has(tail)
  ) {
    return word.slice(0, -1);
  }
  return word;
}
