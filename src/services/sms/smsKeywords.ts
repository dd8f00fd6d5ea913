/**
 * Twilio's standard SMS compliance keywords (the ones its default and Advanced Opt-Out recognise):
 * the whole message, trimmed and case-insensitive, is the keyword, never a word inside a sentence.
 */
export type SmsKeyword = 'opt_out' | 'opt_in' | 'help';

const OPT_OUT = new Set(['STOP', 'STOPALL', 'UNSUBSCRIBE', 'CANCEL', 'END', 'QUIT']);
/** YES only counts as an opt-in from a number that is opted out: otherwise it answers the bot's question. */
const OPT_IN = new Set(['START', 'UNSTOP']);
const OPT_IN_WHEN_OPTED_OUT = new Set(['YES']);
const HELP = new Set(['HELP', 'INFO']);

/** Normalises "  Stop. " → "STOP": carriers match the bare keyword, phones often add punctuation. */
function normalise(text: string): string {
  return text
    .trim()
    .replace(/[.!?]+$/u, '')
    .trim()
    .toUpperCase();
}

export function classifySmsKeyword(text: string, optedOut: boolean): SmsKeyword | undefined {
  const word = normalise(text);
  if (OPT_OUT.has(word)) return 'opt_out';
  if (OPT_IN.has(word) || (optedOut && OPT_IN_WHEN_OPTED_OUT.has(word))) return 'opt_in';
  if (HELP.has(word)) return 'help';
  return undefined;
}

/** Maps the OptOutType parameter Twilio adds when its own (Advanced) Opt-Out handled the keyword. */
export function keywordFromTwilioOptOutType(optOutType: string | undefined): SmsKeyword | undefined {
  switch (optOutType?.trim().toUpperCase()) {
    case 'STOP':
      return 'opt_out';
    case 'START':
      return 'opt_in';
    case 'HELP':
      return 'help';
    default:
      return undefined;
  }
}
