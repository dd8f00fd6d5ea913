import * as chrono from 'chrono-node';
import { calendarDateOf, isCalendarDate } from '../tickets/calendarDate';

/** A date found in a message: the calendar day and the words it came from. */
export interface FoundDate {
  date: string;
  text: string;
  /** The customer gave no day ("mid October", "3 months ago"): the day is our estimate. */
  approximate: boolean;
}

export type DateOrder = 'mdy' | 'dmy' | 'unknown';

/** Day/month order of numeric dates for a locale: en-US (and a few others) write the month first. */
export function dateOrderOf(locale: string | undefined): DateOrder {
  if (!locale) return 'unknown';
  const region = locale.split(/[-_]/)[1]?.toUpperCase();
  if (!region) return locale.toLowerCase().startsWith('en') ? 'unknown' : 'dmy';
  return ['US', 'PH', 'FM', 'MH', 'PW', 'CA'].includes(region) ? 'mdy' : 'dmy';
}

const pad = (value: number): string => String(value).padStart(2, '0');
const AMBIGUOUS_NUMERIC = /\b(\d{1,2})[/.-](\d{1,2})[/.-](\d{2,4})\b/;

/** "mid October" → "15 October"; "early"/"end of" likewise (chrono reads neither). */
function softenVagueDays(text: string): string {
  return text
    .replace(/\b(?:mid|middle of)[\s-]+(?=[a-z]{3,})/gi, '15 ')
    .replace(/\b(?:early|beginning of|start of)\s+(?=[a-z]{3,})/gi, '5 ')
    .replace(/\b(?:late|end of)\s+(?=[a-z]{3,})/gi, '25 ');
}

const PARSERS = [chrono.en, chrono.fr, chrono.de, chrono.es, chrono.pt] as const;

/**
 * The first purchase-like date in the text: absolute ("4 Sep 2026", "03.08.2026", "12 mars 2026"),
 * relative ("3 months ago", "last week") or vague ("mid october"). Numeric dates follow the locale's
 * day/month order; without a locale a numeric date that reads two ways is `ambiguous`.
 * Dates without a year are the last such day on or before today.
 */
export function findDate(
  text: string,
  options: { now: Date; locale?: string | undefined },
): FoundDate | 'ambiguous' | undefined {
  const order = dateOrderOf(options.locale);
  const numeric = AMBIGUOUS_NUMERIC.exec(text);
  if (numeric && order === 'unknown') {
    const first = Number(numeric[1]);
    const second = Number(numeric[2]);
    if (first <= 12 && second <= 12 && first !== second) return 'ambiguous';
  }
  const softened = softenVagueDays(text);
  const english = order === 'mdy' ? chrono.en.casual : chrono.en.GB;
  for (const parser of [english, ...PARSERS.slice(1)]) {
    const results = parser.parse(softened, options.now, { forwardDate: false });
    for (const result of results) {
      // "2" or "at 5" alone is a time or a count, not a purchase date.
      if (!result.start.isCertain('month') && !/ago|last|yesterday|today|week|month|year/i.test(result.text))
        continue;
      // "after a minute", "at 5pm", "this morning": a time of day, not a purchase date.
      if (
        /\b(minutes?|seconds?|hours?|mins?|secs?|hrs?|noon|morning|evening|tonight|night)\b|\d:\d\d/i.test(
          result.text,
        )
      )
        continue;
      let year = result.start.get('year') ?? options.now.getUTCFullYear();
      const month = result.start.get('month') ?? 1;
      const day = result.start.get('day') ?? 1;
      let date = `${year}-${pad(month)}-${pad(day)}`;
      const today = calendarDateOf(options.now);
      if (date > today && !result.start.isCertain('year')) {
        year -= 1;
        date = `${year}-${pad(month)}-${pad(day)}`;
      }
      if (!isCalendarDate(date)) continue;
      return { date, text: result.text, approximate: !result.start.isCertain('day') };
    }
  }
  return undefined;
}
