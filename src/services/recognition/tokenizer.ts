/** A word of the customer's message, lower-cased, with its position in the original text. */
export interface Token {
  text: string;
  start: number;
  end: number;
}

// Words keep inner apostrophes ("won't") and inner dots between digits ("5.0", "192.168.50.2");
// "+" stands alone so "u2w+" and "tbox+" match their catalogue aliases; "?" is kept as a signal.
const TOKEN = /[\p{L}\p{N}]+(?:['’][\p{L}]+)*(?:\.\p{N}+)*|\+|\?|&/gu;

/**
 * Splits text into lower-case tokens with offsets into the original string. Lower-casing happens per
 * token so offsets stay exact even for characters whose lower-case form has another length.
 */
export function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  for (const match of text.matchAll(TOKEN)) {
    const start = match.index;
    const raw = match[0];
    tokens.push({
      text: raw.toLowerCase().normalize('NFKC').replace(/['’]/g, ''),
      start,
      end: start + raw.length,
    });
  }
  return tokens;
}
