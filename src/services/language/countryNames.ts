import countries from 'i18n-iso-countries';
import de from 'i18n-iso-countries/langs/de.json';
import en from 'i18n-iso-countries/langs/en.json';
import es from 'i18n-iso-countries/langs/es.json';
import fr from 'i18n-iso-countries/langs/fr.json';
import pt from 'i18n-iso-countries/langs/pt.json';
import zh from 'i18n-iso-countries/langs/zh.json';
import { LANGUAGES } from './languages';

let registered = false;

function register(): void {
  if (registered) return;
  for (const locale of [en, es, de, fr, pt, zh]) countries.registerLocale(locale);
  registered = true;
}

/**
 * The ISO 3166-1 alpha-2 code of a country named in any of the bot's languages ("Brasil",
 * "Deutschland", "Allemagne", "Alemania", "德国"), accents and case ignored; undefined if none.
 */
export function countryCodeFromName(name: string): string | undefined {
  register();
  const answer = name
    .trim()
    .replace(/[.!]+$/, '')
    .replace(/\s+/g, ' ');
  if (answer.length < 2) return undefined;
  for (const language of LANGUAGES) {
    const code = countries.getSimpleAlpha2Code(answer, language);
    if (code) return code;
  }
  return undefined;
}
