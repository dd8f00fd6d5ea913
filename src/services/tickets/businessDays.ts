import { ValidationError } from '../errors';
import { SERVICE_TIME_ZONE, calendarDateOf, dayOfWeek, isCalendarDate } from './calendarDate';

export type Holidays = ReadonlySet<string> | readonly string[];

function toSet(holidays: Holidays): ReadonlySet<string> {
  return holidays instanceof Set ? holidays : new Set(holidays as readonly string[]);
}

/** Monday to Friday and not a listed holiday (dates as YYYY-MM-DD in the service centre's calendar). */
export function isBusinessDay(date: string, holidays: Holidays = []): boolean {
  const weekday = dayOfWeek(date);
  return weekday !== 0 && weekday !== 6 && !toSet(holidays).has(date);
}

/**
 * The date `days` business days after `start`: the start day itself is day 0, so a parcel received
 * on Friday with 1 business day is due on Monday (or Tuesday when Monday is a holiday). A Date is
 * first turned into its calendar day in the service centre's time zone (Asia/Shanghai), because
 * that is where the work happens. Weekends are Saturday and Sunday; `holidays` adds the centre's
 * public holidays (REPAIR_HOLIDAYS).
 */
export function addBusinessDays(
  start: string | Date,
  days: number,
  holidays: Holidays = [],
  timeZone: string = SERVICE_TIME_ZONE,
): string {
  if (!Number.isInteger(days) || days < 0)
    throw new ValidationError('The number of business days must be a whole number, 0 or more');
  const startDate = typeof start === 'string' ? start : calendarDateOf(start, timeZone);
  if (!isCalendarDate(startDate))
    throw new ValidationError(`"${startDate}" is not a date in the form YYYY-MM-DD`);
  const holidaySet = toSet(holidays);
  const [year, month, day] = startDate.split('-').map(Number) as [number, number, number];
  const cursor = new Date(Date.UTC(year, month - 1, day));
  let remaining = days;
  while (remaining > 0) {
    cursor.setUTCDate(cursor.getUTCDate() + 1);
    const weekday = cursor.getUTCDay();
    if (weekday !== 0 && weekday !== 6 && !holidaySet.has(cursor.toISOString().slice(0, 10))) remaining -= 1;
  }
  return cursor.toISOString().slice(0, 10);
}
