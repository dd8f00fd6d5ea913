import { findPhoneNumbersInText, type CountryCode } from 'libphonenumber-js';
import { normaliseAlias, type ProductCatalogue } from '../knowledge/productCatalogue';
import type { FaultCategory } from '../tickets/types';
import { parseAddress, type AddressProblem, type ParsedAddress } from './address';
import { countryCodeOf } from './countries';
import { findDate, type FoundDate } from './dates';
import { isChatter, isPlausibleName, words } from './sentences';

/** The registration's fields a message can fill. */
export const SLOT_NAMES = [
  'product',
  'serial',
  'purchaseDate',
  'shop',
  'orderNumber',
  'fault',
  'name',
  'phone',
  'email',
  'address',
] as const;
export type SlotName = (typeof SLOT_NAMES)[number];

export interface ExtractedSlots {
  productId?: string;
  serialNumber?: string;
  purchaseDate?: FoundDate;
  /** A numeric date that reads two ways and no locale says which. */
  dateAmbiguous?: boolean;
  purchasedFrom?: string;
  orderNumber?: string;
  faultCategory?: FaultCategory;
  faultDescription?: string;
  carMake?: string;
  phoneModel?: string;
  name?: string;
  /** E.164. */
  phone?: string;
  email?: string;
  address?: ParsedAddress;
  /** Why an address given as the answer to the address question could not be read. */
  addressProblem?: AddressProblem;
  /** "I don't have a serial number". */
  noSerial?: boolean;
  /** The message corrects something said earlier ("actually", "not …", "change"). */
  correction?: boolean;
  /** Fields the customer wants to change without giving the new value ("change the address"). */
  change?: SlotName[];
}

export interface ExtractionContext {
  now: Date;
  /** The customer's locale (en-US, fr-FR…): day/month order and the phone's default country. */
  locale?: string | undefined;
  /** A country known otherwise (the SMS sender's number, the address): for national phone formats. */
  country?: string | undefined;
  /** The question this message answers, if any: a plain answer ("Mike Ross") fills it. */
  asked?: SlotName | undefined;
}

export interface SlotExtractorOptions {
  catalogue: ProductCatalogue;
  /** lower-case alias → canonical car make (src/services/recognition/data/carMakes.json). */
  carMakes: ReadonlyMap<string, string>;
}

/** Shops customers name; the canonical spelling is stored. */
const SHOPS: ReadonlyArray<[RegExp, string]> = [
  [/\bamazon(?:\.[a-z.]{2,6})?(?:\s(us|uk|de|fr|es|it|ca))?\b/i, 'Amazon'],
  [/\bali\s?express\b/i, 'AliExpress'],
  [/\bebay\b/i, 'eBay'],
  [/\bwalmart\b/i, 'Walmart'],
  [/\bbest\s?buy\b/i, 'Best Buy'],
  [/\btemu\b/i, 'Temu'],
  [/\balibaba\b/i, 'Alibaba'],
  [/\bbanggood\b/i, 'Banggood'],
  [/\bnewegg\b/i, 'Newegg'],
  [/\bcostco\b/i, 'Costco'],
  [
    /\b(?:carlinkit\.com|carlinkit (?:website|store|shop|site)|official (?:website|store|shop|site))\b/i,
    'carlinkit.com',
  ],
];

const FAULTS: ReadonlyArray<[RegExp, FaultCategory]> = [
  [
    /\b(disconnect\w*|drops?|dropping|connect\w*|pair\w*|bluetooth|wi-?fi|won'?t link|lag\w*|freez\w*)\b/i,
    'connection',
  ],
  [/\b(sound|audio|no music|crackl\w*|static|volume|mic\w*|echo)\b/i, 'audio'],
  [/\b(screen|display|black|flicker\w*|blank|picture|touch)\b/i, 'display'],
  [/\b(power|won'?t turn on|doesn'?t turn on|dead|no light|no led|hot|overheat\w*|burn\w*)\b/i, 'power'],
  [/\b(firmware|update|updating|software|brick\w*|boot\s?loop)\b/i, 'firmware'],
];

const PHONE_MODEL =
  /\b(iphone\s?(?:se|\d{1,2})(?:\s?(?:pro max|pro|plus|mini|max))?|galaxy\s?[sazn]\d{1,2}\+?(?:\s?(?:ultra|plus|fe))?|pixel\s?\d{1,2}a?(?:\s?(?:pro|xl))?)\b/i;

const CORRECTION = /\b(actually|sorry|correction|i meant|meant|instead|wrong|not|change|update|fix)\b/i;
const CHANGE_WORDS: ReadonlyArray<[RegExp, SlotName]> = [
  [/\baddress\b/i, 'address'],
  [/\b(e-?mail)\b/i, 'email'],
  [/\b(phone|mobile|number)\b/i, 'phone'],
  [/\bname\b/i, 'name'],
  [/\b(serial|s\/n)\b/i, 'serial'],
  [/\b(date|bought it on)\b/i, 'purchaseDate'],
  [/\b(shop|store)\b/i, 'shop'],
  [/\border\b/i, 'orderNumber'],
  [/\b(product|model)\b/i, 'product'],
  [/\b(problem|fault|description)\b/i, 'fault'],
];
const NO_SERIAL =
  /\b(?:(?:don'?t|do not|dont|can'?t|cannot|couldn'?t) (?:have|find|see|read|locate)|no|lost|without|missing|worn off|rubbed off|unreadable)\b.{0,30}\b(?:serial|s\/n|label|sticker)\b|\b(?:serial|label|sticker)\b.{0,25}\b(?:worn|gone|missing|unreadable|rubbed|lost|not there)\b/i;

const DEFAULT_SERIAL = /^(?=.*\d)(?=.*[A-Z])[A-Z0-9][A-Z0-9-]{5,29}$/;

/**
 * Finds every registration field a message carries, wherever it is in the sentence, and nothing
 * that is only talk: "ok found it on the bottom, U2WP22C118834" gives a serial, "like i said 3
 * months ago" gives a purchase date and no serial, "REFUND!!!" gives nothing. Pure: no I/O, no
 * channel; the dialogs decide what to do with the result.
 */
export class SlotExtractor {
  private readonly aliases: ReadonlyArray<{ alias: string; productId: string }>;
  private readonly notSerials: ReadonlySet<string>;

  constructor(private readonly options: SlotExtractorOptions) {
    this.aliases = options.catalogue
      .aliasList()
      .map(({ alias, product }) => ({ alias, productId: product.id }));
    const models = new Set<string>();
    for (const { alias } of this.aliases) models.add(alias.toUpperCase().replace(/\s+/g, '-'));
    for (const product of options.catalogue.products)
      models.add(product.model.toUpperCase().replace(/\s+/g, '-'));
    this.notSerials = models;
  }

  extract(text: string, context: ExtractionContext): ExtractedSlots {
    const slots: ExtractedSlots = {};
    const message = text.trim();
    if (message === '') return slots;
    const asked = context.asked;

    const email = /[\w.+-]+@[\w-]+(?:\.[\w-]+)+/.exec(message)?.[0];
    if (email) slots.email = email.toLowerCase();
    let rest = email ? message.replace(email, ' ') : message;

    if (NO_SERIAL.test(rest)) slots.noSerial = true;
    if (CORRECTION.test(rest)) slots.correction = true;

    const productId = this.findProduct(rest);
    if (productId) slots.productId = productId;

    const orderNumber = this.findOrderNumber(rest);
    if (orderNumber) {
      slots.orderNumber = orderNumber;
      rest = rest.replace(orderNumber, ' ');
    }

    const phoneModel = PHONE_MODEL.exec(rest)?.[1];
    if (phoneModel) slots.phoneModel = phoneModel.replace(/\s+/g, ' ');

    const carMake = this.findCarMake(rest);
    if (carMake) slots.carMake = carMake;

    for (const [pattern, shop] of SHOPS) {
      const match = pattern.exec(rest);
      if (match) {
        slots.purchasedFrom = match[1] ? `${shop} ${match[1].toUpperCase()}` : shop;
        break;
      }
    }

    // The address before the phone and the date: its postal code and house number are neither.
    const addressText = this.addressText(rest, asked);
    if (addressText !== undefined) {
      const parsed = parseAddress(addressText, countryOf(context));
      if (parsed.ok) {
        slots.address = parsed.address;
        rest = rest.replace(addressText, ' ');
      } else if (asked === 'address') {
        slots.addressProblem = parsed.problem;
      }
    }

    const date = findDate(rest, { now: context.now, locale: context.locale });
    if (date === 'ambiguous') slots.dateAmbiguous = true;
    else if (date) {
      slots.purchaseDate = date;
      rest = rest.replace(date.text, ' ');
    }

    const phone = this.findPhone(rest, slots.address?.countryCode ?? countryOf(context));
    if (phone) {
      slots.phone = phone.number;
      rest = rest.replace(phone.raw, ' ');
    }

    const serial = slot(!slots.noSerial, () => this.findSerial(rest, slots.productId, asked === 'serial'));
    if (serial) {
      slots.serialNumber = serial;
      rest = rest.replace(new RegExp(escape(serial), 'i'), ' ');
    }

    for (const [pattern, category] of FAULTS) {
      if (pattern.test(rest)) {
        slots.faultCategory = category;
        // From the message as written ("4.0" is not a sentence end; nothing cut out of it).
        const sentence = message
          .split(/[.!?;]+(?=\s|$)|\n/)
          .map((part) => part.trim().replace(/\s+/g, ' '))
          .find((part) => pattern.test(part) && part.split(/\s+/).length >= 3);
        if (sentence) slots.faultDescription = sentence.replace(/^(and|but|also|it)\s+/i, (word) => word);
        break;
      }
    }

    const name = this.findName(message, asked);
    if (name) slots.name = name;

    if (asked === 'shop' && !slots.purchasedFrom) {
      const shop = message.replace(/^(?:from|at|on|in|bought (?:it )?(?:from|at|on))\s+/i, '').trim();
      if (shop.length >= 2 && shop.length <= 60 && !isChatter(shop) && /\p{L}/u.test(shop))
        slots.purchasedFrom = shop;
    }
    if (
      asked === 'fault' &&
      !slots.faultDescription &&
      message.split(/\s+/).length >= 3 &&
      !/^[\W\d]*$/.test(message)
    )
      slots.faultDescription = message;

    if (slots.correction) {
      const change = CHANGE_WORDS.filter(([pattern]) => pattern.test(message)).map(([, name]) => name);
      // "change the address", "the e-mail is wrong"; not "fix a problem" (the main menu's words).
      if (change.length > 0 && /\b(change|update|edit|correct|wrong)\b/i.test(message)) slots.change = change;
    }
    return slots;
  }

  /** The canonical car make named in the text, from the list only ("REFUND!!!" is none). */
  findCarMake(text: string): string | undefined {
    const haystack = ` ${text
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\- ]/gu, ' ')
      .replace(/\s+/g, ' ')} `;
    let best: { alias: string; name: string } | undefined;
    for (const [alias, name] of this.options.carMakes) {
      if (haystack.includes(` ${alias} `) && (!best || alias.length > best.alias.length))
        best = { alias, name };
    }
    return best?.name;
  }

  /** The product meant; in "it's the 2air, not the U2W Plus" the one after "not" is not it. */
  private findProduct(text: string): string | undefined {
    const haystack = ` ${normaliseAlias(text).replace(/[^a-z0-9+.\- ]/g, ' ')} `;
    const found: Array<{ at: number; productId: string; negated: boolean }> = [];
    for (const { alias, productId } of this.aliases) {
      const match = new RegExp(`(^|\\s)${escape(alias)}(?=$|\\s)`).exec(haystack);
      if (!match) continue;
      const at = match.index + match[1].length;
      if (found.some((entry) => entry.at <= at && at < entry.at + 20 && entry.productId === productId))
        continue;
      const before = haystack.slice(Math.max(0, at - 12), at);
      found.push({ at, productId, negated: /\bnot( the| a| an)?\s*$/.test(before) });
    }
    const wanted = found.filter((entry) => !entry.negated).sort((a, b) => a.at - b.at);
    return wanted[0]?.productId;
  }

  private findOrderNumber(text: string): string | undefined {
    const amazon = /\b\d{3}-\d{7}-\d{7}\b/.exec(text)?.[0];
    if (amazon) return amazon;
    const labelled = /\border\s*(?:number|no\.?|#|id)?\s*(?:is|:|#)?\s*#?([A-Z0-9][A-Z0-9-]{4,30})\b/i.exec(
      text,
    )?.[1];
    return labelled && /\d{4}/.test(labelled) ? labelled : undefined;
  }

  private findPhone(text: string, country: string | undefined): { number: string; raw: string } | undefined {
    const found = country
      ? findPhoneNumbersInText(text, { defaultCountry: country as CountryCode })
      : findPhoneNumbersInText(text);
    const first = found.find((entry) => entry.number.isValid());
    if (!first) return undefined;
    return { number: first.number.number, raw: text.slice(first.startsAt, first.endsAt) };
  }

  private findSerial(text: string, productId: string | undefined, asked: boolean): string | undefined {
    const labelled =
      /\b(?:s\/n|sn|serial(?: number| no\.?)?)\s*(?:is|:|#)?\s*([A-Za-z0-9][A-Za-z0-9-]{4,39})\b/i.exec(
        text,
      )?.[1];
    // After a label the serial may be printed in groups ("S/N: 2024 0815 77").
    const grouped =
      /\b(?:s\/n|sn|serial(?: number| no\.?)?)\s*(?:is|:|#)?\s*((?:[A-Za-z0-9]{2,}[ -]?){2,8})$/i
        .exec(text.trim())?.[1]
        ?.replace(/[\s-]+/g, '');
    if (grouped && /^(?=(?:.*\d){6})[A-Z0-9]{6,40}$/i.test(grouped)) return grouped.toUpperCase();
    const tokens = labelled ? [labelled] : (text.match(/[A-Za-z0-9][A-Za-z0-9-]{5,39}/g) ?? []);
    const patterns = this.serialPatterns(productId);
    for (const token of tokens) {
      const upper = token.toUpperCase();
      if (this.notSerials.has(upper) || /^CK-[A-Z0-9]{6,}$/.test(upper)) continue;
      if (new RegExp(`^${PHONE_MODEL.source}$`, 'i').test(token)) continue;
      if (/^\d{3}-\d{7}-\d{7}$/.test(upper)) continue;
      if (patterns.some((pattern) => pattern.test(upper))) return upper;
      // Some labels are digits only: taken when it is the whole answer to the serial question.
      if (asked && /^\d{8,20}$/.test(upper) && tokens.length === 1 && text.trim() === token) return upper;
    }
    return undefined;
  }

  private serialPatterns(productId: string | undefined): RegExp[] {
    const products = productId
      ? this.options.catalogue.products.filter((product) => product.id === productId)
      : this.options.catalogue.products;
    const patterns = products.flatMap((product) =>
      product.serialPattern ? [new RegExp(product.serialPattern)] : [],
    );
    return patterns.length > 0 ? patterns : [DEFAULT_SERIAL];
  }

  /** "my name is Mike Ross, not mike" → "Mike Ross"; a plain answer to the name question is taken whole. */
  private findName(text: string, asked: SlotName | undefined): string | undefined {
    const labelled =
      /\b(?:my name is|my name's|name is|name:|this is)\s+([\p{L}][\p{L}'’.-]*(?:\s+[\p{L}][\p{L}'’.-]*){0,3})/iu.exec(
        text,
      )?.[1];
    const introduced =
      /\b(?:[Ii] am|[Ii]['’]m|[Ii]m)\s+(\p{Lu}[\p{L}'’.-]*(?:\s+\p{Lu}[\p{L}'’.-]*){0,3})/u.exec(text)?.[1];
    for (const candidate of [labelled, introduced]) {
      if (!candidate) continue;
      const cut = candidate.split(/\s+(?:not|and|from|here|,)\b/i)[0].trim();
      if (isPlausibleName(cut)) return cut;
    }
    if (asked === 'name') {
      const plain = text.split(/,\s*not\b/i)[0].trim();
      if (isPlausibleName(plain)) return plain.replace(/\s+/g, ' ');
    }
    return undefined;
  }

  /** Which part of the message is an address: all of it when asked, else what follows "address". */
  private addressText(text: string, asked: SlotName | undefined): string | undefined {
    if (asked === 'address') return text;
    const labelled =
      /\b(?:address(?: is)?|ship (?:it )?(?:back )?to|send (?:it )?(?:back )?to|i live at)\s*:?\s*([\s\S]+)$/i.exec(
        text,
      )?.[1];
    if (labelled) return labelled;
    const lines = text.split(/\r?\n/).filter((line) => line.trim() !== '');
    return lines.length >= 3
      ? lines.filter((line) => !isChatter(line) || /\d/.test(line)).join('\n')
      : undefined;
  }
}

function slot<T>(when: boolean, find: () => T | undefined): T | undefined {
  return when ? find() : undefined;
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The country a national phone number or an address without a country belongs to. */
function countryOf(context: ExtractionContext): string | undefined {
  if (context.country) return countryCodeOf(context.country) ?? context.country;
  const region = context.locale?.split(/[-_]/)[1];
  return region && /^[A-Za-z]{2}$/.test(region) ? region.toUpperCase() : undefined;
}

export { words };
