import { ValidationError } from '../errors';

/**
 * Calendar dates ("2026-03-12") as the service centre sees them. The repair centre is in Huizhou,
 * China, so "today", "received on" and business days are all counted in Asia/Shanghai: a parcel
 * scanned in at 07:00 Beijing time is received that day, whatever UTC says.
 */
export const SERVICE_TIME_ZONE = 'Asia/Shanghai';

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
] as const;

interface DateFormatter {
  readonly format: Intl.DateTimeFormat;
  /** The last answer, for the minute it was computed in (see calendarDateOf). */
  minute: number;
  date: string;
}

const formatters = new Map<string, DateFormatter>();
const MINUTE_MS = 60_000;

/** True for a real calendar date written YYYY-MM-DD (rejects 2026-02-30). */
export function isCalendarDate(value: string): boolean {
  const match = ISO_DATE.exec(value);
  if (!match) return false;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

function parts(value: string): { year: number; month: number; day: number } {
  if (!isCalendarDate(value)) throw new ValidationError(`"${value}" is not a date in the form YYYY-MM-DD`);
  const [year, month, day] = value.split('-').map(Number) as [number, number, number];
  return { year, month, day };
}

function format(year: number, month: number, day: number): string {
  return `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

/**
 * The calendar date of an instant in a time zone (the service centre's by default). Asked for the
 * current time on every message a validator checks and every ticket change, so the answer for the
 * last minute is kept: a local date only changes on a whole minute (every UTC offset in use since
 * 1972 is a whole number of minutes).
 */
export function calendarDateOf(instant: Date, timeZone: string = SERVICE_TIME_ZONE): string {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    formatter = {
      // en-CA formats as YYYY-MM-DD.
      format: new Intl.DateTimeFormat('en-CA', {
        timeZone,
        year: 'numeric',
        month: '2-digit',
        day: '2-digit',
      }),
      minute: Number.NaN,
      date: '',
    };
    formatters.set(timeZone, formatter);
  }
  const minute = Math.floor(instant.getTime() / MINUTE_MS);
  if (minute !== formatter.minute) {
    formatter.date = formatter.format.format(instant);
    formatter.minute = minute;
  }
  return formatter.date;
}

/** `date` plus `days` calendar days. */
export function addDays(date: string, days: number): string {
  const { year, month, day } = parts(date);
  const shifted = new Date(Date.UTC(year, month - 1, day + days));
  return format(shifted.getUTCFullYear(), shifted.getUTCMonth() + 1, shifted.getUTCDate());
}

/**
 * `date` plus `months` calendar months. When the day does not exist in the target month
 * (31 January + 1 month, 29 February + 12 months) the result is the first day of the month after,
 * so the span is never shorter than the calendar says.
 */
export function addMonths(date: string, months: number): string {
  const { year, month, day } = parts(date);
  const targetMonthIndex = month - 1 + months;
  const targetYear = year + Math.floor(targetMonthIndex / 12);
  const targetMonth = ((targetMonthIndex % 12) + 12) % 12;
  const daysInTarget = new Date(Date.UTC(targetYear, targetMonth + 1, 0)).getUTCDate();
  if (day > daysInTarget)
    return format(
      targetMonth === 11 ? targetYear + 1 : targetYear,
      targetMonth === 11 ? 1 : targetMonth + 2,
      1,
    );
  return format(targetYear, targetMonth + 1, day);
}

/** 0 = Sunday … 6 = Saturday. */
export function dayOfWeek(date: string): number {
  const { year, month, day } = parts(date);
  return new Date(Date.UTC(year, month - 1, day)).getUTCDay();
}

/** "12 March 2026": unambiguous in every country the customers write from. */
export function formatDateInWords(date: string): string {
  const { year, month, day } = parts(date);
  return `${day} ${MONTHS[month - 1]} ${year}`;
}
