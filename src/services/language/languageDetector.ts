import { detectAll } from 'tinyld';
import { isLanguage, type Language } from './languages';

/** What the detector concluded about one message. */
export interface LanguageGuess {
  language: Language;
  /** The detector's score for it, 0..1 (tinyld's "accuracy"; low even when right on short text). */
  score: number;
}

export interface LanguageDetectorOptions {
  /** Fewest letters (after removing numbers, codes and addresses) for Latin-script text. */
  minLetters?: number;
  /** Fewest words for Latin-script text. */
  minWords?: number;
  /** How far ahead of the runner-up the best language must be (ratio of scores). */
  minMargin?: number;
}

const DEFAULTS: Required<LanguageDetectorOptions> = { minLetters: 14, minWords: 3, minMargin: 1.3 };

/**
 * Words only English uses among the bot's languages: two of them and the message is English
 * whatever the detector says ("send address plz" is not German). Not "no", "me", "a", "in", "on",
 * "do" or "was": Spanish, French, Portuguese or German have them too.
 */
const ENGLISH_ONLY_WORDS = new Set([
  'the',
  'my',
  'to',
  'is',
  'it',
  'its',
  "it's",
  'you',
  'your',
  'u',
  'ur',
  'i',
  "i'm",
  'im',
  'how',
  'what',
  'where',
  'when',
  'why',
  'who',
  'get',
  'fix',
  'send',
  'with',
  'and',
  'for',
  'not',
  'can',
  'please',
  'pls',
  'plz',
  'thanks',
  'thx',
  "don't",
  'dont',
  "doesn't",
  'doesnt',
  "won't",
  'wont',
  'work',
  'working',
  'does',
  'did',
  'have',
  'this',
  'that',
  'of',
  'at',
  'want',
  'need',
  'will',
  'would',
  'are',
]);

/** CJK ideographs: two or more and the message is Chinese, whatever else it holds. */
const HAN = /\p{Script=Han}/gu;
/** Tokens that say nothing about the language: e-mails, URLs, anything with a digit (serials, tickets, phones, dates). */
const NEUTRAL_TOKEN = /\S*@\S+|https?:\/\/\S+|www\.\S+|\S*\d\S*/giu;

/**
 * Detects the language of a customer's message with tinyld (pure JavaScript, offline, CommonJS:
 * it runs on Node 20 in the compiled app). Short text is where detectors guess, so a language is
 * only reported when there is enough text and the detector is clearly sure: "ok", "yes", a serial
 * or ticket number give no guess at all, and the conversation keeps its language.
 */
export class LanguageDetector {
  private readonly options: Required<LanguageDetectorOptions>;

  constructor(options: LanguageDetectorOptions = {}) {
    this.options = { ...DEFAULTS, ...options };
  }

  /** The message's language when the detection is confident, else undefined. */
  detect(text: string): LanguageGuess | undefined {
    const hanCount = text.match(HAN)?.length ?? 0;
    if (hanCount >= 2) return { language: 'zh', score: 1 };
    const cleaned = text.replace(NEUTRAL_TOKEN, ' ').replace(/\s+/g, ' ').trim();
    const words = cleaned.split(' ').filter((word) => /\p{L}{2,}/u.test(word));
    const letters = cleaned.match(/\p{L}/gu)?.length ?? 0;
    if (words.length < this.options.minWords || letters < this.options.minLetters) return undefined;
    const englishWords = words.filter((word) =>
      ENGLISH_ONLY_WORDS.has(word.toLowerCase().replace(/[^\p{L}']/gu, '')),
    ).length;
    if (englishWords >= 2) return { language: 'en', score: 1 };
    // One English word in a short message ("siri dont hear me"): too little to say it is not English.
    if (englishWords === 1 && words.length < 5) return undefined;
    const ranked = detectAll(cleaned);
    const best = ranked[0];
    if (!best || !isLanguage(best.lang)) return undefined;
    const runnerUp = ranked[1]?.accuracy ?? 0;
    if (runnerUp > 0 && best.accuracy / runnerUp < this.options.minMargin) return undefined;
    return { language: best.lang, score: Math.round(best.accuracy * 1000) / 1000 };
  }
}
