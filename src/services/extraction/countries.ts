import countries from 'i18n-iso-countries';
import de from 'i18n-iso-countries/langs/de.json';
import en from 'i18n-iso-countries/langs/en.json';
import es from 'i18n-iso-countries/langs/es.json';
import fr from 'i18n-iso-countries/langs/fr.json';
import pt from 'i18n-iso-countries/langs/pt.json';
import zh from 'i18n-iso-countries/langs/zh.json';
import { postcodeValidator, postcodeValidatorExistsForCountry } from 'postcode-validator';

/** Lower case, accents off, punctuation to spaces: "Île-de-France" → "ile de france". */
export function fold(text: string): string {
  return text
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}

/** Short forms customers write that the ISO names don't list. */
const EXTRA: Record<string, string> = {
  usa: 'US',
  us: 'US',
  'u s a': 'US',
  america: 'US',
  'united states of america': 'US',
  uk: 'GB',
  'great britain': 'GB',
  britain: 'GB',
  england: 'GB',
  scotland: 'GB',
  wales: 'GB',
  'northern ireland': 'GB',
  uae: 'AE',
  holland: 'NL',
  'the netherlands': 'NL',
  korea: 'KR',
  'south korea': 'KR',
  russia: 'RU',
  'czech republic': 'CZ',
  brasil: 'BR',
  'etats unis': 'US',
};

let index: Map<string, string> | undefined;

function countryIndex(): Map<string, string> {
  if (index) return index;
  for (const locale of [en, de, es, fr, pt, zh]) countries.registerLocale(locale);
  const built = new Map<string, string>();
  for (const lang of ['zh', 'pt', 'es', 'de', 'fr', 'en']) {
    const names = countries.getNames(lang, { select: 'all' });
    for (const [code, list] of Object.entries(names)) {
      for (const name of list) built.set(fold(name), code);
    }
  }
  for (const code of Object.keys(countries.getAlpha2Codes())) built.set(code.toLowerCase(), code);
  for (const [alias, code] of Object.entries(EXTRA)) built.set(alias, code);
  index = built;
  return built;
}

/** The ISO alpha-2 code of a country named (in English, French, German, Spanish, Portuguese or Chinese, or by code). */
export function countryCodeOf(text: string): string | undefined {
  const folded = fold(text).replace(/^the /, '');
  if (!folded) return undefined;
  return countryIndex().get(folded);
}

/** The country's English name as stored on tickets ("United States", "France"). */
export function countryName(code: string): string {
  englishNames ??= new Intl.DisplayNames(['en'], { type: 'region' });
  return englishNames.of(code) ?? code;
}
let englishNames: Intl.DisplayNames | undefined;

/** Whether the postal code is valid for the country; countries without a known format accept any code with a digit. */
export function isPostalCode(code: string, country: string): boolean {
  const trimmed = code.trim();
  if (!postcodeValidatorExistsForCountry(country)) return /^[A-Za-z0-9][A-Za-z0-9 -]{1,9}$/.test(trimmed);
  return postcodeValidator(trimmed, country);
}
