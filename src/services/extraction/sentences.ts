/**
 * Words that make a message a sentence about the conversation rather than a value: "like i said…",
 * "I already gave you that above", "skip", "here's the photo". A name, city or address line never
 * contains them.
 */
const CHATTER = new Set([
  'i',
  'im',
  'ive',
  'id',
  'me',
  'my',
  'you',
  'your',
  'youre',
  'we',
  'it',
  'its',
  'this',
  'that',
  'is',
  'was',
  'are',
  'already',
  'gave',
  'give',
  'given',
  'said',
  'say',
  'told',
  'tell',
  'above',
  'before',
  'earlier',
  'again',
  'photo',
  'picture',
  'pic',
  'image',
  'attached',
  'here',
  'heres',
  'see',
  'skip',
  'none',
  'nothing',
  'same',
  'please',
  'thanks',
  'thank',
  'like',
  'dont',
  'not',
  'no',
  'yes',
  'ok',
  'okay',
  'what',
  'why',
  'how',
  'who',
  'when',
  'where',
  'which',
  'know',
  'just',
  'whole',
  'included',
  'refund',
  'help',
  'agent',
  'human',
  'stop',
  'cancel',
  'na',
  'n/a',
]);

const NOT_IN_NAMES = new Set([
  'on',
  'at',
  'to',
  'from',
  'the',
  'a',
  'an',
  'and',
  'or',
  'for',
  'with',
  'by',
  'of',
]);

export function words(text: string): string[] {
  return text
    .toLowerCase()
    .replace(/[’']/g, '')
    .split(/[^\p{L}\p{N}/]+/u)
    .filter((word) => word !== '');
}

/** True when the text talks (chatter words, a question, shouting) instead of giving a value. */
export function isChatter(text: string): boolean {
  if (/[?!]/.test(text)) return true;
  return words(text).some((word) => CHATTER.has(word));
}

/** A person's name: 1 to 5 words of letters (with ' - .), no chatter, not shouted. */
export function isPlausibleName(text: string): boolean {
  const trimmed = text.trim().replace(/\s+/g, ' ');
  if (trimmed.length < 2 || trimmed.length > 100) return false;
  if (!/^[\p{L}][\p{L}'’.\- ]*$/u.test(trimmed)) return false;
  const parts = trimmed.split(' ');
  if (parts.length > 5 || parts.some((part) => part.length > 24)) return false;
  if (isChatter(trimmed) || words(trimmed).some((word) => NOT_IN_NAMES.has(word))) return false;
  return !(
    trimmed.length > 3 &&
    trimmed === trimmed.toUpperCase() &&
    /\p{Lu}{4,}/u.test(trimmed) &&
    parts.length === 1
  );
}
