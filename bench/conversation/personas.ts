/**
 * Scripted customers for `npm run bench:conversation`: written for the benchmark (not the tests'
 * fixtures). A persona is data: its details, how it talks (style) and the goal for its turns.
 * Add personas here; the driver (bench/conversation.ts) needs no change.
 */

export interface PersonaDetails {
  product: string;
  /** The product id the ticket must carry. */
  productId: string;
  serial: string;
  purchaseDate: string;
  /** The date the ticket must carry (YYYY-MM-DD). */
  purchaseDateIso: string;
  shop: string;
  fault: string;
  name: string;
  phone: string;
  /** E.164, as the ticket must carry it. */
  phoneE164: string;
  email: string;
  address: string;
  postalCode: string;
  country: string;
}

export type PersonaStyle =
  /** Everything in the first message. */
  | 'upFront'
  /** Answers one question at a time; on web chat fills the form card. */
  | 'oneAtATime'
  /** Everything up front, then "I already gave you that" once per question asked. */
  | 'alreadyGave'
  /** Answers each question with junk first ("like i said…", "skip", "REFUND!!!"), then properly. */
  | 'junkProne';

export interface Persona {
  id: string;
  channel: 'web' | 'sms';
  style: PersonaStyle;
  /** Customer messages to a ticket, at most. */
  goalTurns: number;
  /** The customer's locale, as the channel reports it. */
  locale?: string;
  details: PersonaDetails;
}

const MARIA: PersonaDetails = {
  product: 'U2W Plus',
  productId: 'u2w-plus',
  serial: 'U2WP23A104477',
  purchaseDate: '4 Sep 2025',
  purchaseDateIso: '2025-09-04',
  shop: 'Amazon',
  fault: 'it keeps disconnecting every few minutes since the last iOS update',
  name: 'Maria Lopez',
  phone: '(415) 555-0134',
  phoneE164: '+14155550134',
  email: 'maria.lopez@example.com',
  address: '742 Evergreen Terrace, Apt 2, Springfield, OR 97403, USA',
  postalCode: '97403',
  country: 'United States',
};

const CLAIRE: PersonaDetails = {
  product: '2air',
  productId: '2air',
  serial: '2AIR24F009321',
  purchaseDate: '12 janvier 2026',
  purchaseDateIso: '2026-01-12',
  shop: 'AliExpress',
  fault: 'no sound in the car speakers at all, calls are silent too',
  name: 'Claire Martin',
  phone: '+33 6 12 34 56 78',
  phoneE164: '+33612345678',
  email: 'claire.martin@example.fr',
  address: '8 rue des Lilas\n69003 Lyon\nFrance',
  postalCode: '69003',
  country: 'France',
};

const TOM: PersonaDetails = {
  product: 'CarlinKit 4.0',
  productId: 'cpc200-ccpa',
  serial: 'CK4B25110042',
  purchaseDate: '3 months ago',
  purchaseDateIso: '2025-12-12',
  shop: 'eBay',
  fault: 'the screen goes black after a minute and stays black',
  name: 'Tom Baker',
  phone: '+44 7911 123456',
  phoneE164: '+447911123456',
  email: 'tom.baker@example.co.uk',
  address: '10 High Street, Flat 3, Oxford OX1 4AB, United Kingdom',
  postalCode: 'OX1 4AB',
  country: 'United Kingdom',
};

export const PERSONAS: readonly Persona[] = [
  { id: 'up-front web', channel: 'web', style: 'upFront', goalTurns: 6, locale: 'en-US', details: MARIA },
  { id: 'up-front SMS', channel: 'sms', style: 'upFront', goalTurns: 8, details: MARIA },
  { id: 'up-front SMS, screen fault', channel: 'sms', style: 'upFront', goalTurns: 8, details: TOM },
  { id: 'one at a time web (card)', channel: 'web', style: 'oneAtATime', goalTurns: 10, details: CLAIRE },
  {
    id: 'one at a time SMS',
    channel: 'sms',
    style: 'oneAtATime',
    goalTurns: 20,
    locale: 'en-US',
    details: MARIA,
  },
  {
    id: '"I already gave you that" web',
    channel: 'web',
    style: 'alreadyGave',
    goalTurns: 10,
    details: MARIA,
  },
  {
    id: '"I already gave you that" web, screen fault',
    channel: 'web',
    style: 'alreadyGave',
    goalTurns: 10,
    details: TOM,
  },
  {
    id: 'junk-prone web',
    channel: 'web',
    style: 'junkProne',
    goalTurns: 26,
    locale: 'en-US',
    details: MARIA,
  },
  { id: 'junk-prone SMS', channel: 'sms', style: 'junkProne', goalTurns: 26, details: CLAIRE },
];

/** What a junk-prone customer sends first to each question. */
export const JUNK: Readonly<Record<string, string>> = {
  product: 'REFUND!!!',
  serial: 'like i said, it is on the box somewhere',
  date: 'I already told you',
  shop: '???',
  order: 'what order',
  fault: 'REFUND!!!',
  name: 'I already gave you that above',
  phone: 'call me',
  email: 'same as before',
  address: 'i just gave you the whole address',
  city: 'skip',
};
