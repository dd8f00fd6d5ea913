import { z } from 'zod';
import type { ProductCatalogue } from '../services/knowledge/productCatalogue';
import { normaliseAlias } from '../services/knowledge/productCatalogue';
import { SERVICE_TIME_ZONE, calendarDateOf, isCalendarDate } from '../services/tickets/calendarDate';
import { phoneSchema, ticketNumberSchema } from '../services/tickets/types';
import { SlotExtractor } from '../services/extraction/slotExtractor';
import { isChatter, isPlausibleName } from '../services/extraction/sentences';
import type { Words } from './wording/dialogWording';
import { countryCodeFromName } from '../services/language/countryNames';

/**
 * Every answer the bot asks for, checked with a helpful reason when it is not usable. Values come
 * out in the form the ticket service stores (E.164 phone, YYYY-MM-DD date, upper-case serial…).
 */

export type Validation = { ok: true; value: string } | { ok: false; reason: string };

export const FIELD_NAMES = [
  'productModel',
  'serialNumber',
  'purchaseDate',
  'purchasedFrom',
  'orderNumber',
  'faultDescription',
  'name',
  'phone',
  'email',
  'addressLine1',
  'addressLine2',
  'city',
  'region',
  'postalCode',
  'country',
  'ticketNumber',
  'carMake',
  'confirmationCode',
] as const;
export type FieldName = (typeof FIELD_NAMES)[number];

export interface ValidatorContext {
  now: Date;
  /** The wording the reasons are said in (the customer's locale). */
  words: Words;
}

/**
 * CarlinKit's first wireless CarPlay adapters went on sale around 2018; earlier dates are typos.
 * Kept a little earlier so an honest but vague date is not refused.
 */
export const EARLIEST_PURCHASE_DATE = '2016-01-01';

const ok = (value: string): Validation => ({ ok: true, value });
const fail = (reason: string): Validation => ({ ok: false, reason });

const MONTHS = [
  'january',
  'february',
  'march',
  'april',
  'may',
  'june',
  'july',
  'august',
  'september',
  'october',
  'november',
  'december',
];

function monthFromWord(word: string): number | undefined {
  const lower = word.toLowerCase().replace(/\.$/, '');
  if (lower.length < 3) return undefined;
  const index = MONTHS.findIndex(
    (month) => month.startsWith(lower) || (lower === 'sept' && month === 'september'),
  );
  return index >= 0 ? index + 1 : undefined;
}

const pad = (value: number): string => String(value).padStart(2, '0');

type ParsedDate = { date: string } | { problem: 'ambiguous' | 'no_day' | 'unreadable' | 'impossible' };

/**
 * Purchase-date policy: ISO dates (2024-03-05), dates with the month in words (5 March 2024,
 * March 5th 2024), "today"/"yesterday", and numeric dates only when the order is unambiguous
 * (25/03/2024 or 03/25/2024). 03/05/2024 is refused with a request to write the month in words,
 * because it means March in the US and May almost everywhere else, and warranty depends on it.
 */
export function parsePurchaseDate(text: string, today: string): ParsedDate {
  const answer = text.trim().toLowerCase().replace(/,/g, ' ').replace(/\s+/g, ' ');
  if (answer === 'today') return { date: today };
  if (answer === 'yesterday') {
    const [year, month, day] = today.split('-').map(Number) as [number, number, number];
    const date = new Date(Date.UTC(year, month - 1, day - 1));
    return { date: `${date.getUTCFullYear()}-${pad(date.getUTCMonth() + 1)}-${pad(date.getUTCDate())}` };
  }
  const build = (year: number, month: number, day: number): ParsedDate => {
    const date = `${year}-${pad(month)}-${pad(day)}`;
    return isCalendarDate(date) ? { date } : { problem: 'impossible' };
  };

  let match = /^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$/.exec(answer);
  if (match) return build(Number(match[1]), Number(match[2]), Number(match[3]));

  match = /^(\d{1,2})(?:st|nd|rd|th)?(?: of)? ([a-z]+\.?) (\d{4})$/.exec(answer);
  if (match) {
    const month = monthFromWord(match[2] ?? '');
    return month ? build(Number(match[3]), month, Number(match[1])) : { problem: 'unreadable' };
  }
  match = /^([a-z]+\.?) (\d{1,2})(?:st|nd|rd|th)? (\d{4})$/.exec(answer);
  if (match) {
    const month = monthFromWord(match[1] ?? '');
    return month ? build(Number(match[3]), month, Number(match[2])) : { problem: 'unreadable' };
  }
  match = /^([a-z]+\.?) (\d{4})$/.exec(answer);
  if (match && monthFromWord(match[1] ?? '')) return { problem: 'no_day' };

  match = /^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$/.exec(answer);
  if (match) {
    const first = Number(match[1]);
    const second = Number(match[2]);
    const year = Number(match[3]);
    if (first > 12 && second <= 12) return build(year, second, first);
    if (second > 12 && first <= 12) return build(year, first, second);
    if (first === second) return build(year, first, second);
    return first > 12 && second > 12 ? { problem: 'impossible' } : { problem: 'ambiguous' };
  }
  return { problem: 'unreadable' };
}

const emailSchema = z.string().trim().toLowerCase().pipe(z.email());

/** Countries by every English name and ISO code Intl knows, plus the usual short forms. */
function buildCountryIndex(): Map<string, string> {
  const names = new Intl.DisplayNames(['en'], { type: 'region' });
  const index = new Map<string, string>();
  const letters = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
  for (const first of letters) {
    for (const second of letters) {
      const code = `${first}${second}`;
      let name: string | undefined;
      try {
        name = names.of(code);
      } catch {
        name = undefined;
      }
      // Unassigned codes come back as the code itself.
      if (!name || name === code || /unknown/i.test(name)) continue;
      index.set(code.toLowerCase(), name);
      index.set(name.toLowerCase(), name);
    }
  }
  const extra: Record<string, string> = {
    usa: 'United States',
    'united states of america': 'United States',
    america: 'United States',
    uk: 'United Kingdom',
    'great britain': 'United Kingdom',
    britain: 'United Kingdom',
    england: 'United Kingdom',
    scotland: 'United Kingdom',
    wales: 'United Kingdom',
    'northern ireland': 'United Kingdom',
    uae: 'United Arab Emirates',
    holland: 'Netherlands',
    'the netherlands': 'Netherlands',
    deutschland: 'Germany',
    'south korea': 'South Korea',
    korea: 'South Korea',
    russia: 'Russia',
    'czech republic': 'Czechia',
  };
  for (const [alias, name] of Object.entries(extra)) index.set(alias, name);
  // Intl calls GB "United Kingdom" and US "United States"; keep the "uk" code mapping sane.
  return index;
}

let countryIndex: Map<string, string> | undefined;

export function findCountry(text: string): string | undefined {
  countryIndex ??= buildCountryIndex();
  const answer = text.trim().toLowerCase().replace(/\.$/, '').replace(/\s+/g, ' ');
  const english = countryIndex.get(answer) ?? countryIndex.get(answer.replace(/^the /, ''));
  if (english) return english;
  // "Brasil", "Deutschland", "Allemagne", "Alemania", "德国": the name in another of the bot's languages.
  const code = countryCodeFromName(answer);
  return code ? countryIndex.get(code.toLowerCase()) : undefined;
}

/** Finds a catalogue product named anywhere in the text ("it's a carlinkit 4.0 adapter" → cpc200-ccpa). */
export function findProduct(text: string, catalogue: ProductCatalogue): string | undefined {
  const exact = catalogue.find(text);
  if (exact) return exact.id;
  const haystack = ` ${normaliseAlias(text).replace(/[^a-z0-9+.\- ]/g, ' ')} `;
  for (const { alias, product } of catalogue.aliasList()) {
    // aliasList is longest first, so "u2w plus" wins over "u2w".
    const escaped = alias.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    if (new RegExp(`(^|[\\s])${escaped}($|[\\s])`).test(haystack)) return product.id;
  }
  return undefined;
}

function letters(text: string): boolean {
  return /\p{L}/u.test(text);
}

export class FieldValidators {
  /** Finds the registration's fields anywhere in a message (several per message). */
  readonly extractor: SlotExtractor;

  constructor(
    private readonly catalogue: ProductCatalogue,
    /** Canonical car makes and their aliases, lower-case alias → canonical name. */
    private readonly carMakeAliases: ReadonlyMap<string, string>,
  ) {
    this.extractor = new SlotExtractor({ catalogue, carMakes: carMakeAliases });
  }

  validate(field: FieldName, text: string, context: ValidatorContext): Validation {
    const answer = text.trim();
    const { words } = context;
    switch (field) {
      case 'productModel': {
        const productId = findProduct(answer, this.catalogue);
        if (productId) return ok(productId);
        return fail(words.text('validation.unknownModel'));
      }
      case 'serialNumber': {
        // A serial inside a sentence is taken ("ok found it, U2WP22C118834"); a sentence is never one.
        const serial = this.extractor.extract(answer, { now: context.now, asked: 'serial' }).serialNumber;
        return serial ? ok(serial) : fail(words.text('validation.serialNumber'));
      }
      case 'purchaseDate': {
        const today = calendarDateOf(context.now, SERVICE_TIME_ZONE);
        const parsed = parsePurchaseDate(answer, today);
        if ('problem' in parsed) {
          switch (parsed.problem) {
            case 'ambiguous':
              return fail(words.text('validation.dateAmbiguous'));
            case 'no_day':
              return fail(words.text('validation.dateWithoutDay'));
            case 'impossible':
              return fail(words.text('validation.dateImpossible'));
            default:
              return fail(words.text('validation.dateUnreadable'));
          }
        }
        if (parsed.date > today) return fail(words.text('validation.dateInFuture'));
        if (parsed.date < EARLIEST_PURCHASE_DATE) {
          return fail(words.text('validation.dateTooEarly'));
        }
        return ok(parsed.date);
      }
      case 'purchasedFrom':
        if (answer.length < 2 || answer.length > 100 || !letters(answer)) {
          return fail(words.text('validation.purchasedFrom'));
        }
        return ok(answer);
      case 'orderNumber': {
        const compact = answer.replace(/^(order( number| no\.?| #)?)[:\s#]*/i, '').trim();
        if (!/^[A-Za-z0-9][A-Za-z0-9\-_/#. ]{2,62}[A-Za-z0-9]$/.test(compact) || !/\d/.test(compact)) {
          return fail(words.text('validation.orderNumber'));
        }
        return ok(compact);
      }
      case 'faultDescription':
        if (answer.length < 10 || answer.split(/\s+/).length < 3) {
          return fail(words.text('validation.faultDescriptionShort'));
        }
        if (answer.length > 2000) return fail(words.text('validation.faultDescriptionLong'));
        return ok(answer);
      case 'name':
        if (!isPlausibleName(answer)) {
          return fail(words.text('validation.name'));
        }
        return ok(answer.replace(/\s+/g, ' '));
      case 'phone':
        return validatePhone(answer, words);
      case 'confirmationCode': {
        const digits = answer.replace(/[\s-]/g, '');
        return /^\d{6}$/.test(digits) ? ok(digits) : fail(words.text('validation.confirmationCode'));
      }
      case 'email': {
        const parsed = emailSchema.safeParse(answer.replace(/^mailto:/i, ''));
        return parsed.success ? ok(parsed.data) : fail(words.text('validation.email'));
      }
      case 'addressLine1':
        if (answer.length < 3 || answer.length > 200 || !letters(answer) || isChatter(answer)) {
          return fail(words.text('validation.addressLine1'));
        }
        return ok(answer);
      case 'addressLine2':
        if (answer.length > 200 || answer.length < 1 || isChatter(answer))
          return fail(words.text('validation.addressLine2'));
        return ok(answer);
      case 'city':
        if (answer.length < 2 || answer.length > 100 || !letters(answer) || isChatter(answer))
          return fail(words.text('validation.city'));
        return ok(answer);
      case 'region':
        if (answer.length < 2 || answer.length > 100 || !letters(answer) || isChatter(answer)) {
          return fail(words.text('validation.region'));
        }
        return ok(answer);
      case 'postalCode': {
        const code = answer.toUpperCase().replace(/\s+/g, ' ');
        if (!/^[A-Z0-9][A-Z0-9 -]{1,8}[A-Z0-9]$/.test(code) || !/\d/.test(code)) {
          return fail(words.text('validation.postalCode'));
        }
        return ok(code);
      }
      case 'country': {
        const country = findCountry(answer);
        return country ? ok(country) : fail(words.text('validation.country'));
      }
      case 'ticketNumber': {
        const parsed = ticketNumberSchema.safeParse(answer.replace(/^(ticket( number)?|#)[:\s#]*/i, ''));
        return parsed.success ? ok(parsed.data) : fail(words.text('validation.ticketNumber'));
      }
      case 'carMake': {
        // Only makes from the list: "REFUND!!!" is not a car.
        const make = this.findCarMake(answer);
        return make ? ok(make) : fail(words.text('validation.carMake'));
      }
    }
  }

  /** The canonical make named in the text, if any ("my vw golf" → Volkswagen). */
  findCarMake(text: string): string | undefined {
    const haystack = ` ${text
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\- ]/gu, ' ')
      .replace(/\s+/g, ' ')} `;
    let best: { alias: string; name: string } | undefined;
    for (const [alias, name] of this.carMakeAliases) {
      if (haystack.includes(` ${alias} `) && (!best || alias.length > best.alias.length))
        best = { alias, name };
    }
    return best?.name;
  }
}

/**
 * Phone numbers must carry their country code (the repair centre texts customers worldwide):
 * "+44 7700 900123" and "0044 7700 900123" are fine; "07700 900123" gets a request for the code.
 */
export function validatePhone(text: string, words: Words): Validation {
  const compact = text
    .trim()
    .replace(/^tel:/i, '')
    .replace(/[\s().\-/]/g, '');
  if (/^(\+|00)/.test(compact)) {
    const parsed = phoneSchema.safeParse(compact);
    return parsed.success ? ok(parsed.data) : fail(words.text('validation.phoneInvalid'));
  }
  if (/^\d{6,15}$/.test(compact)) {
    return fail(words.text('validation.phoneWithoutCountryCode'));
  }
  return fail(words.text('validation.notAPhone'));
}
