/** Twilio refuses a message body longer than this (error 21617). */
export const SMS_MAX_BODY_CHARS = 1_600;

export interface SplitOptions {
  /** Characters per message; at most SMS_MAX_BODY_CHARS. */
  maxChars?: number;
  /** More text than this many messages is shortened, ending with an ellipsis. */
  maxMessages?: number;
}

const ELLIPSIS = '…';

/**
 * Splits text into SMS bodies of at most `maxChars` characters (counted as Twilio counts them, in
 * UTF-16 units), cutting at a paragraph, line, sentence or word boundary when one is close enough,
 * never inside a surrogate pair. Text needing more than `maxMessages` bodies is shortened.
 */
export function splitSmsText(text: string, options: SplitOptions = {}): string[] {
  const maxChars = Math.min(options.maxChars ?? SMS_MAX_BODY_CHARS, SMS_MAX_BODY_CHARS);
  const maxMessages = options.maxMessages ?? 4;
  if (maxChars < 2) throw new RangeError('maxChars must be at least 2');
  if (maxMessages < 1) throw new RangeError('maxMessages must be at least 1');

  const parts: string[] = [];
  let rest = text.replace(/\r\n?/g, '\n').trim();
  while (rest.length > 0) {
    if (parts.length === maxMessages - 1 && rest.length > maxChars) {
      parts.push(shorten(rest, maxChars));
      break;
    }
    if (rest.length <= maxChars) {
      parts.push(rest);
      break;
    }
    const cut = findCut(rest, maxChars);
    parts.push(rest.slice(0, cut).trimEnd());
    rest = rest.slice(cut).trimStart();
  }
  return parts;
}

/** Where to end a chunk of at most `limit` characters: the last good boundary in its second half. */
function findCut(text: string, limit: number): number {
  const window = text.slice(0, limit + 1);
  const floor = Math.floor(limit / 2);
  const boundaries: RegExp[] = [/\n\s*\n/g, /\n/g, /[.!?。！？](?=\s)/g, /\s/g];
  for (const boundary of boundaries) {
    let best = -1;
    for (const match of window.matchAll(boundary)) {
      // Keep sentence punctuation with its sentence; cut before whitespace.
      const end = boundary.source.startsWith('[') ? match.index + match[0].length : match.index;
      if (end <= limit && end >= floor) best = end;
    }
    if (best > 0) return best;
  }
  return safeIndex(text, limit);
}

/** Cuts at `limit` characters minus one for the ellipsis, on a word boundary when there is one. */
function shorten(text: string, limit: number): string {
  const room = limit - ELLIPSIS.length;
  const window = text.slice(0, room + 1);
  const lastSpace = window.search(/\s\S*$/);
  const cut = lastSpace >= Math.floor(room / 2) ? lastSpace : safeIndex(text, room);
  return `${text.slice(0, cut).trimEnd()}${ELLIPSIS}`;
}

/** `index`, moved back one if it would split a surrogate pair (an emoji). */
function safeIndex(text: string, index: number): number {
  const code = text.charCodeAt(index - 1);
  return code >= 0xd800 && code <= 0xdbff ? index - 1 : index;
}
