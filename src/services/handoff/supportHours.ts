import { DateTime, IANAZone } from 'luxon';

const DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;

interface Rule {
  /** ISO weekdays 1 (Mon) … 7 (Sun). */
  days: ReadonlySet<number>;
  /** Minutes after midnight, local time; `end` > `start`. */
  start: number;
  end: number;
}

/**
 * When the support team answers: rules like `Mon-Fri 09:00-18:00, Sat 10:00-14:00` in one IANA time
 * zone. No rules (an empty setting) means always open.
 */
export class SupportHours {
  private constructor(
    private readonly rules: readonly Rule[],
    readonly timeZone: string,
    /** The setting as written, for messages. */
    readonly text: string,
  ) {}

  static alwaysOpen(): SupportHours {
    return new SupportHours([], 'UTC', '');
  }

  /** Throws an Error naming what is wrong (config validation turns it into a start-up message). */
  static parse(text: string, timeZone = 'UTC'): SupportHours {
    if (!IANAZone.isValidZone(timeZone)) throw new Error(`"${timeZone}" is not an IANA time zone`);
    const trimmed = text.trim();
    if (trimmed === '') return new SupportHours([], timeZone, '');
    const rules = trimmed.split(/[,;]/).map((part) => parseRule(part.trim()));
    return new SupportHours(rules, timeZone, trimmed);
  }

  get alwaysOpen(): boolean {
    return this.rules.length === 0;
  }

  isOpen(at: Date): boolean {
    if (this.alwaysOpen) return true;
    const local = DateTime.fromJSDate(at, { zone: this.timeZone });
    const minute = local.hour * 60 + local.minute;
    return this.rules.some(
      (rule) => rule.days.has(local.weekday) && minute >= rule.start && minute < rule.end,
    );
  }

  /** The next moment the team is in (`at` itself when open now). */
  nextOpening(at: Date): Date {
    if (this.isOpen(at)) return at;
    const local = DateTime.fromJSDate(at, { zone: this.timeZone });
    let best: DateTime | undefined;
    for (let offset = 0; offset <= 7; offset += 1) {
      const day = local.plus({ days: offset }).startOf('day');
      for (const rule of this.rules) {
        if (!rule.days.has(day.weekday)) continue;
        const opening = day.set({ hour: Math.floor(rule.start / 60), minute: rule.start % 60 });
        if (opening > local && (!best || opening < best)) best = opening;
      }
      if (best) break;
    }
    return best ? best.toJSDate() : at;
  }

  /** "Monday 09:00 (Europe/London)": for telling a customer when the team is back. */
  describe(at: Date, locale = 'en'): string {
    const local = DateTime.fromJSDate(at, { zone: this.timeZone }).setLocale(locale);
    return `${local.toFormat('cccc HH:mm')} (${this.timeZone})`;
  }
}

function parseRule(part: string): Rule {
  const match = /^([A-Za-z]{3})(?:\s*-\s*([A-Za-z]{3}))?\s+(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})$/.exec(
    part,
  );
  if (!match) throw new Error(`"${part}" is not like "Mon-Fri 09:00-18:00"`);
  const [, fromDay = '', toDay, startH, startM, endH, endM] = match;
  const from = dayNumber(fromDay);
  const to = toDay ? dayNumber(toDay) : from;
  const days = new Set<number>();
  for (let day = from; ; day = (day % 7) + 1) {
    days.add(day);
    if (day === to) break;
  }
  const start = minutes(startH, startM);
  let end = minutes(endH, endM);
  if (end === 0) end = 24 * 60;
  if (start >= 24 * 60 || end > 24 * 60 || end <= start)
    throw new Error(`"${part}": the closing time must be after the opening time, within one day`);
  return { days, start, end };
}

function dayNumber(name: string): number {
  const index = DAYS.indexOf(name.toLowerCase() as (typeof DAYS)[number]);
  if (index < 0) throw new Error(`"${name}" is not a weekday (Mon, Tue, Wed, Thu, Fri, Sat, Sun)`);
  return index + 1;
}

function minutes(hours: string | undefined, mins: string | undefined): number {
  const h = Number(hours);
  const m = Number(mins);
  if (m > 59 || h > 24) throw new Error(`${hours}:${mins} is not a time of day`);
  return h * 60 + m;
}
