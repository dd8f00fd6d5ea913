import * as chrono from 'chrono-node';
import type { Product, ProductCatalogue } from '../services/knowledge/productCatalogue';
import { addDays, addMonths, calendarDateOf, formatDateInWords } from '../services/tickets/calendarDate';
import { assessWarranty, lastCoveredDay } from '../services/tickets/warranty';
import type { Words } from './wording/dialogWording';

/**
 * "I bought it in October 2025, is it still under warranty?": a personal verdict at once, from the
 * purchase date in the question and the company's rule (src/services/tickets/warranty.ts), before
 * any registration. A month without a day gives the verdict only when every day of that month gives
 * the same one; otherwise the bot says it depends on the day and asks for it. Damage the customer
 * mentions (cracked, stepped on, water) is said to be likely not covered, whatever the date.
 */

const ASKS_ABOUT_WARRANTY =
  /\b(warrant\w*|warrent\w*|waranty|guarantee\w*|covered|cover it|still free|free repair)\b/i;
const DAMAGE =
  /\b(cracked|a crack|crack in|stepped on|stood on|sat on|dropped (it|my)|i dropped|it fell|crushed|smashed|broken case|case is broken|water damage\w*|got wet|is wet|water got|water in|into water|in water|spilled|spilt|liquid|bent)\b/i;

export interface PurchasePeriod {
  /** First and last possible purchase day (equal when the day is known), YYYY-MM-DD. */
  from: string;
  to: string;
  exact: boolean;
}

export function asksAboutWarranty(text: string): boolean {
  return ASKS_ABOUT_WARRANTY.test(text);
}

export function mentionsDamage(text: string): boolean {
  return DAMAGE.test(text);
}

/** The purchase date (or month) written in the message, never after today; undefined if none. */
export function purchasePeriodIn(text: string, now: Date): PurchasePeriod | undefined {
  const today = calendarDateOf(now);
  const [result] = chrono.parse(text, now);
  if (!result) return undefined;
  const start = result.start;
  if (!start.isCertain('month')) return undefined;
  let year = start.get('year');
  const month = start.get('month');
  if (!year || !month) return undefined;
  const monthStart = (y: number): string => `${y}-${String(month).padStart(2, '0')}-01`;
  if (!start.isCertain('year') && monthStart(year) > today) year -= 1;
  if (start.isCertain('day')) {
    const day = `${year}-${String(month).padStart(2, '0')}-${String(start.get('day')).padStart(2, '0')}`;
    return day > today ? undefined : { from: day, to: day, exact: true };
  }
  const from = monthStart(year);
  if (from > today) return undefined;
  const monthEnd = addDays(addMonths(from, 1), -1);
  return { from, to: monthEnd < today ? monthEnd : today, exact: false };
}

/** A product named in the sentence ("will the 2air work…"), by the catalogue's aliases. */
export function productMentioned(catalogue: ProductCatalogue, text: string): Product | undefined {
  const words = ` ${text.toLowerCase().replace(/[^a-z0-9.+-]+/g, ' ')} `;
  const aliases = [...catalogue.aliasList()]
    .filter((entry) => entry.alias.length >= 3 && /[a-z]/.test(entry.alias))
    .sort((a, b) => b.alias.length - a.alias.length);
  return aliases.find((entry) => words.includes(` ${entry.alias} `))?.product;
}

/**
 * The verdict for a warranty question that names when the product was bought, or undefined when it
 * names no date (the general warranty answer fits then).
 */
export function warrantyVerdict(
  text: string,
  options: { now: Date; catalogue: ProductCatalogue; words: Words },
): string | undefined {
  const { now, catalogue, words } = options;
  // A date in a damage story ("I dropped it yesterday") is not the purchase date: only a warranty question counts.
  if (!asksAboutWarranty(text)) return undefined;
  const period = purchasePeriodIn(text, now);
  if (!period) return undefined;
  const product = productMentioned(catalogue, text);
  const months = product?.warrantyMonths ?? 12;
  const productName = product?.name;
  const earliest = assessWarranty({
    purchaseDate: period.from,
    warrantyMonths: months,
    asOf: now,
    ...(productName ? { productName } : {}),
  });
  const latest = assessWarranty({ purchaseDate: period.to, warrantyMonths: months, asOf: now });
  const damaged = mentionsDamage(text);
  const lines: string[] = [];
  const periodLabel = monthLabel(period.from);
  if (earliest.withinWarrantyPeriod !== latest.withinWarrantyPeriod) {
    lines.push(
      words.text('warranty.dependsOnDay', {
        period: periodLabel,
        months,
        from: formatDateInWords(lastCoveredDay(period.from, months)),
        to: formatDateInWords(lastCoveredDay(period.to, months)),
      }),
    );
  } else if (earliest.withinWarrantyPeriod) {
    const until = formatDateInWords(earliest.lastCoveredDay);
    if (damaged) lines.push(words.text('warranty.damageInPeriod', { until }));
    else if (period.exact) lines.push(earliest.reason);
    else lines.push(words.text('warranty.inPeriodMonth', { period: periodLabel, until }));
  } else {
    const until = formatDateInWords(latest.lastCoveredDay);
    lines.push(
      period.exact
        ? earliest.reason
        : words.text('warranty.endedMonth', { period: periodLabel, months, until }),
    );
  }
  lines.push(words.text('warranty.firstAssessment'));
  return lines.join('\n\n');
}

function monthLabel(date: string): string {
  return new Intl.DateTimeFormat('en-GB', { month: 'long', year: 'numeric', timeZone: 'UTC' }).format(
    new Date(`${date}T12:00:00Z`),
  );
}
