/** Twilio's limit for one outgoing message body (it is sent as several segments and joined on the phone). */
export const SMS_MAX_LENGTH = 1_600;

const GSM_FRIENDLY: ReadonlyArray<[RegExp, string]> = [
  [/[‘’‛′]/g, "'"],
  [/[“”„″]/g, '"'],
  [/[–—―]/g, '-'],
  [/…/g, '...'],
  [/[•·▪●]/g, '-'],
  [/\u00a0/g, ' '],
  [/\*\*(.+?)\*\*/g, '$1'],
];

/**
 * Plain text that stays in the GSM-7 alphabet where it can: one curly quote would switch the whole
 * message to UCS-2 and cut each segment from 153 to 67 characters.
 */
export function toSmsText(text: string): string {
  return GSM_FRIENDLY.reduce(
    (current, [pattern, replacement]) => current.replace(pattern, replacement),
    text,
  ).trim();
}

/** Splits at paragraph, then line, then sentence, then word boundaries, so no part exceeds `limit`. */
export function splitForSms(text: string, limit: number = SMS_MAX_LENGTH): string[] {
  if (text.length <= limit) return [text];
  const parts: string[] = [];
  let rest = text;
  while (rest.length > limit) {
    const window = rest.slice(0, limit + 1);
    const cut =
      lastBreak(window, '\n\n', limit) ??
      lastBreak(window, '\n', limit) ??
      lastBreak(window, '. ', limit, 1) ??
      lastBreak(window, ' ', limit) ??
      limit;
    parts.push(rest.slice(0, cut).trimEnd());
    rest = rest.slice(cut).trimStart();
  }
  if (rest.length > 0) parts.push(rest);
  return parts;
}

/** Index to cut at (after `keep` characters of the separator), if the separator is in the last half. */
function lastBreak(window: string, separator: string, limit: number, keep = 0): number | undefined {
  const index = window.lastIndexOf(separator, limit - keep);
  return index >= limit / 2 ? index + keep : undefined;
}
