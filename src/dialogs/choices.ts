/**
 * Choice recognition shared by every channel: a button press on web chat comes back as the option's
 * label (or a card's `{ choice }` value); an SMS reply is a number, "yes"/"no", or the option's words.
 */

import { noWordsInOtherLanguages, yesWordsInOtherLanguages } from '../services/language/answerWords';

export interface ChoiceSpec {
  /** What the dialog gets back. */
  value: string;
  /** What the customer sees (button title, or the text after the number on SMS). */
  label: string;
  /** Other words that pick this option ("y", "yeah"…). */
  synonyms?: readonly string[];
}

const YES_WORDS = [
  'yes',
  'y',
  'yeah',
  'yep',
  'yup',
  'sure',
  'ok',
  'okay',
  'correct',
  'right',
  'it did',
  'it worked',
  'worked',
  'fixed',
  'solved',
];
const NO_WORDS = [
  'no',
  'n',
  'nope',
  'nah',
  'not really',
  'it did not',
  "it didn't",
  "didn't",
  'still not',
  'still broken',
  'not fixed',
  'no luck',
];

/** With "sí", "ja", "oui", "sim", "是" and their "no"s: a customer may answer in their own language. */
const ALL_YES_WORDS = [...YES_WORDS, ...yesWordsInOtherLanguages()];
const ALL_NO_WORDS = [...NO_WORDS, ...noWordsInOtherLanguages().filter((word) => !NO_WORDS.includes(word))];

export function yesNoChoices(yesLabel = 'Yes', noLabel = 'No'): ChoiceSpec[] {
  return [
    { value: 'yes', label: yesLabel, synonyms: ALL_YES_WORDS },
    { value: 'no', label: noLabel, synonyms: ALL_NO_WORDS },
  ];
}

export function normaliseAnswer(text: string): string {
  return text
    .toLowerCase()
    .replace(/[’‘`]/g, "'")
    .replace(/[“”"]/g, '')
    .replace(/[.!,;:]+$/g, '')
    .replace(/\s+/g, ' ')
    .trim();
}

/**
 * The chosen option's value, or undefined. Order: a card's submitted value, the option number, the
 * exact label/value/synonym, then an answer that starts with exactly one option's words
 * ("no, still nothing" → no).
 */
export function matchChoice(
  text: string | undefined,
  choices: readonly ChoiceSpec[],
  submitted?: unknown,
): string | undefined {
  if (submitted && typeof submitted === 'object' && 'choice' in submitted) {
    const value = submitted.choice;
    const chosen = choices.find((choice) => choice.value === value);
    if (chosen) return chosen.value;
  }
  if (!text) return undefined;
  const answer = normaliseAnswer(text);
  if (answer === '') return undefined;

  const number = /^(?:#|option |number )?(\d{1,2})(?:\)|\.)?$/.exec(answer);
  if (number) {
    const index = Number(number[1]) - 1;
    return choices[index]?.value;
  }

  const exact = choices.find((choice) => someWord(choice, (word) => word === answer));
  if (exact) return exact.value;

  const startsWith = choices.filter((choice) =>
    someWord(
      choice,
      (word) => word.length > 0 && (answer.startsWith(`${word} `) || answer.startsWith(`${word},`)),
    ),
  );
  return startsWith.length === 1 ? startsWith[0]?.value : undefined;
}

/** Whether any of the option's words (label, value, synonyms), normalised, passes `test`. */
function someWord(choice: ChoiceSpec, test: (word: string) => boolean): boolean {
  if (test(normalisedWord(choice.label)) || test(normalisedWord(choice.value))) return true;
  return (choice.synonyms ?? []).some((synonym) => test(normalisedWord(synonym)));
}

/**
 * Options' words normalised once: the same labels and synonyms (from code and data files) are
 * matched on every answer. Bounded, in case some label is built from what a customer wrote.
 */
const normalisedWords = new Map<string, string>();
const MAX_NORMALISED_WORDS = 5_000;

function normalisedWord(word: string): string {
  let normalised = normalisedWords.get(word);
  if (normalised === undefined) {
    normalised = normaliseAnswer(word);
    if (normalisedWords.size >= MAX_NORMALISED_WORDS) normalisedWords.clear();
    normalisedWords.set(word, normalised);
  }
  return normalised;
}
