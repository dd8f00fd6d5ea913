import type { EntityKind, RecognizedEntity } from './recognizer';
import { damerauLevenshtein } from './spellCorrector';
import { tokenize, type Token } from './tokenizer';

/** A name customers may type for something, and the canonical value it stands for. */
export interface AliasEntry {
  alias: string;
  value: string;
}

interface AliasPattern {
  kind: 'product_model' | 'car_make';
  words: readonly string[];
  value: string;
  numeric: boolean;
}

const EMAIL = /[a-z0-9][a-z0-9._%+-]*@[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}/gi;
// CK- plus 6-10 letters/digits. Without the dash (or with a space) a digit is required, so "ck please" is no ticket.
const TICKET = /(?<![a-z0-9])ck(-|\s?)([a-z0-9]{6,10})(?![a-z0-9])/gi;
const AMAZON_ORDER = /(?<![\d-])\d{3}-\d{7}-\d{7}(?![\d-])/g;
const EBAY_ORDER = /(?<![\d-])\d{2}-\d{5}-\d{5}(?![\d-])/g;
const LONG_DIGITS = /(?<![\w.])\d{15,20}(?![\w.])/g;
const SHOP_ORDER = /(?<![\w#])#\s?(\d{4,8})(?!\d)/g;
const ORDER_KEYWORD_NUMBER =
  /\border(?:\s*(?:no\.?|nr\.?|number|num|id|#))?\s*[:#]?\s*([a-z]{0,3}\d{4,14})(?![\w-])/gi;
const PHONE = /(?<![\w+.(])(?:\+|00)?\(?\d[\d\s().-]{5,20}\d(?![\w.])/g;
// Dots alone separate versions and IP addresses ("2023.10.25", "192.168.50.2"); only US-style 415.555.0143 is a phone.
const DOTTED = /^[\d.]+$/;
const DOTTED_PHONE = /^\d{3}\.\d{3}\.\d{4}$/;
/** Words after which "5.0" or "3.0" is a version, not a product ("usb 3.0", "bluetooth 5.0"). */
const VERSION_CONTEXT = new Set([
  'version',
  'v',
  'ver',
  'ios',
  'android',
  'firmware',
  'fw',
  'update',
  'bluetooth',
  'usb',
  'wifi',
  'type',
  'sdk',
  'carplay',
]);

/**
 * Finds the six entity kinds in a message: regular patterns for tickets, orders, e-mails and phones;
 * alias lists (product catalogue, car makes) matched word by word, tolerating one typo in long words.
 */
export class EntityExtractor {
  private readonly patternsByFirstWord = new Map<string, AliasPattern[]>();
  private readonly longFirstWords: string[] = [];

  constructor(products: readonly AliasEntry[], carMakes: readonly AliasEntry[]) {
    this.addAliases('product_model', products);
    this.addAliases('car_make', carMakes);
    for (const list of this.patternsByFirstWord.values())
      list.sort((a, b) => b.words.length - a.words.length);
    this.longFirstWords = [...this.patternsByFirstWord.keys()].filter(
      (word) => word.length >= 6 && /^[a-z]+$/.test(word),
    );
  }

  extract(text: string): RecognizedEntity[] {
    const found: RecognizedEntity[] = [];
    const take = (entity: RecognizedEntity): void => {
      if (found.some((other) => entity.start < other.end && other.start < entity.end)) return;
      found.push(entity);
    };
    for (const match of text.matchAll(EMAIL)) {
      take(entity('email', match[0], match.index, match[0].toLowerCase()));
    }
    for (const match of text.matchAll(TICKET)) {
      const separator = match[1] ?? '';
      const body = match[2] ?? '';
      if (separator !== '-' && !/\d/.test(body)) continue;
      take(entity('ticket_number', match[0], match.index, `CK-${body.toUpperCase()}`));
    }
    for (const pattern of [AMAZON_ORDER, EBAY_ORDER, LONG_DIGITS]) {
      for (const match of text.matchAll(pattern))
        take(entity('order_number', match[0], match.index, match[0]));
    }
    for (const match of text.matchAll(SHOP_ORDER)) {
      take(entity('order_number', match[0], match.index, `#${match[1] ?? ''}`));
    }
    for (const match of text.matchAll(ORDER_KEYWORD_NUMBER)) {
      const number = match[1] ?? '';
      const start = match.index + match[0].lastIndexOf(number);
      take(entity('order_number', number, start, number.toUpperCase()));
    }
    for (const match of text.matchAll(PHONE)) {
      const raw = match[0].trim();
      if (DOTTED.test(raw) && !DOTTED_PHONE.test(raw)) continue;
      const digits = raw.replace(/\D/g, '');
      if (digits.length < 7 || digits.length > 15) continue;
      const international = raw.startsWith('+') || raw.startsWith('00');
      const value = international ? `+${raw.startsWith('00') ? digits.slice(2) : digits}` : digits;
      take(entity('phone', raw, match.index, value));
    }
    this.matchAliases(text, take);
    return found.sort((a, b) => a.start - b.start);
  }

  private matchAliases(text: string, take: (entity: RecognizedEntity) => void): void {
    const tokens = tokenize(text);
    for (let index = 0; index < tokens.length; index++) {
      const first = tokens[index];
      for (const pattern of this.candidates(first.text)) {
        const matched = this.matchAt(tokens, index, pattern);
        if (matched === 0) continue;
        if (pattern.numeric && VERSION_CONTEXT.has(tokens[index - 1]?.text ?? '')) continue;
        const last = tokens[index + matched - 1];
        take(entity(pattern.kind, text.slice(first.start, last.end), first.start, pattern.value));
        index += matched - 1;
        break;
      }
    }
  }

  private candidates(word: string): AliasPattern[] {
    const exact = this.patternsByFirstWord.get(word);
    if (exact) return exact;
    if (word.length < 6 || !/^[a-z]+$/.test(word)) return [];
    const out: AliasPattern[] = [];
    for (const key of this.longFirstWords) {
      if (key[0] === word[0] && damerauLevenshtein(key, word, 1) <= 1)
        out.push(...(this.patternsByFirstWord.get(key) ?? []));
    }
    return out.sort((a, b) => b.words.length - a.words.length);
  }

  /** Number of tokens the pattern covers from `index`, or 0. */
  private matchAt(tokens: readonly Token[], index: number, pattern: AliasPattern): number {
    for (let offset = 0; offset < pattern.words.length; offset++) {
      const token = tokens[index + offset];
      const word = pattern.words[offset] ?? '';
      if (!token) return 0;
      if (token.text === word) continue;
      const fuzzy =
        word.length >= 6 &&
        token.text.length >= 6 &&
        /^[a-z]+$/.test(token.text) &&
        damerauLevenshtein(word, token.text, 1) <= 1;
      if (!fuzzy) return 0;
    }
    return pattern.words.length;
  }

  private addAliases(kind: AliasPattern['kind'], entries: readonly AliasEntry[]): void {
    for (const { alias, value } of entries) {
      const words = tokenize(alias).map((token) => token.text);
      const firstWord = words[0];
      if (firstWord === undefined) continue;
      const list = this.patternsByFirstWord.get(firstWord) ?? [];
      if (!list.some((existing) => existing.words.join(' ') === words.join(' '))) {
        list.push({ kind, words, value, numeric: words.every((word) => /^[\d.]+$/.test(word)) });
      }
      this.patternsByFirstWord.set(firstWord, list);
    }
  }
}

function entity(kind: EntityKind, text: string, start: number, value: string): RecognizedEntity {
  return { kind, text, value, start, end: start + text.length };
}
