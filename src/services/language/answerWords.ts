import type { Language } from './languages';

/**
 * "Yes" and "no" as customers type them in each language, matched against whole answers (and the
 * start of an answer) by the dialogs' choice matching. English words are the dialogs' own.
 */
export const YES_WORDS_BY_LANGUAGE: Readonly<Record<Exclude<Language, 'en'>, readonly string[]>> = {
  es: ['sí', 'si', 'claro', 'vale', 'de acuerdo', 'sí, claro', 'correcto'],
  de: ['ja', 'jawohl', 'genau', 'klar', 'ja bitte', 'richtig', 'stimmt'],
  fr: ['oui', 'ouais', "d'accord", 'oui merci', 'bien sûr', 'exact'],
  pt: ['sim', 'claro', 'isso', 'certo', 'pode ser', 'com certeza'],
  zh: ['是', '是的', '对', '对的', '好', '好的', '可以', '嗯'],
};

export const NO_WORDS_BY_LANGUAGE: Readonly<Record<Exclude<Language, 'en'>, readonly string[]>> = {
  es: ['no', 'no gracias', 'para nada', 'todavía no', 'sigue sin funcionar'],
  de: ['nein', 'nee', 'nein danke', 'noch nicht', 'leider nicht', 'geht immer noch nicht'],
  fr: ['non', 'non merci', 'pas du tout', 'toujours pas', 'ça ne marche toujours pas'],
  pt: ['não', 'nao', 'não obrigado', 'ainda não', 'continua sem funcionar'],
  zh: ['不', '不是', '没有', '不对', '不行', '还是不行'],
};

/** Every language's "yes" words (for the dialogs' yes/no questions). */
export function yesWordsInOtherLanguages(): string[] {
  return Object.values(YES_WORDS_BY_LANGUAGE).flat();
}

/** Every language's "no" words. */
export function noWordsInOtherLanguages(): string[] {
  return Object.values(NO_WORDS_BY_LANGUAGE).flat();
}
