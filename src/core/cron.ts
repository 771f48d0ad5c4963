/**
 * The one cron parser of the library (Kubernetes CronJob schedules, KEDA cron
 * triggers): five standard fields, `*`, lists, ranges, steps, month and day
 * names and the `@hourly`-style macros.
 */

/** The values each field of a cron schedule matches. */
export interface CronFields {
  readonly minutes: Set<number>;
  readonly hours: Set<number>;
  readonly daysOfMonth: Set<number>;
  readonly months: Set<number>;
  /** Sunday is 0 (a `7` in the expression is folded into 0). */
  readonly daysOfWeek: Set<number>;
}

/**
 * The longest time between two runs of a standard five-field cron schedule
 * (minute, hour, day of month, month, day of week; `*`, lists, ranges,
 * steps, month and day names, and the `@hourly`-style macros), found by
 * walking four calendar years (2024-2027, a leap year included) minute by
 * matching minute. Used to turn "N times the schedule" into an alert
 * threshold. Daylight-saving shifts of a `timeZone` are ignored (at most
 * an hour).
 *
 * Returns undefined when the expression is not a valid cron schedule or
 * fires fewer than twice in those four years.
 */
export function longestCronGapMinutes(expression: string): number | undefined {
  const fields = parseCron(expression);
  if (!fields) {
    return undefined;
  }
  const { minutes, hours, daysOfMonth, months, daysOfWeek } = fields;
  const domRestricted = daysOfMonth.size < 31;
  const dowRestricted = daysOfWeek.size < 7;
  const minuteList = [...minutes].sort((a, b) => a - b);
  const hourList = [...hours].sort((a, b) => a - b);
  const start = Date.UTC(2024, 0, 1);
  const days = Math.round((Date.UTC(2028, 0, 1) - start) / 86_400_000);
  let previous: number | undefined;
  let longest = 0;
  for (let d = 0; d < days; d++) {
    const date = new Date(start + d * 86_400_000);
    if (!months.has(date.getUTCMonth() + 1)) continue;
    const domMatch = daysOfMonth.has(date.getUTCDate());
    const dowMatch = daysOfWeek.has(date.getUTCDay());
    // cron: when both day fields are restricted, either may match.
    const dayMatch = domRestricted && dowRestricted ? domMatch || dowMatch : domMatch && dowMatch;
    if (!dayMatch) continue;
    for (const h of hourList) {
      for (const m of minuteList) {
        const t = d * 1440 + h * 60 + m;
        if (previous !== undefined) {
          longest = Math.max(longest, t - previous);
        }
        previous = t;
      }
    }
  }
  return longest > 0 ? longest : undefined;
}

/**
 * Approximate runs a month (30.4 days) of a cron schedule, for cost estimates
 * and staleness thresholds: runs a day times the days it runs; 30 when the
 * expression is not a cron schedule.
 */
export function runsPerMonth(schedule: string): number {
  const fields = parseCron(schedule);
  if (!fields) {
    return 30;
  }
  const perDay = fields.minutes.size * fields.hours.size;
  const daysPerMonth = fields.daysOfMonth.size < 31 ? fields.daysOfMonth.size : fields.daysOfWeek.size < 7 ? fields.daysOfWeek.size * (30.4 / 7) : 30.4;
  return perDay * daysPerMonth;
}

const MACROS: Record<string, string> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

const MONTH_NAMES = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAY_NAMES = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

/**
 * The five fields of a standard cron schedule as sets of the values they
 * match (minute, hour, day of month, month, day of week with Sunday = 0),
 * accepting `*`, lists, ranges, steps, month and day names and the
 * `@hourly`-style macros; undefined when `expression` is not one.
 */
export function parseCron(expression: string): CronFields | undefined {
  const expanded = MACROS[expression.trim().toLowerCase()] ?? expression.trim();
  const parts = expanded.split(/\s+/);
  if (parts.length !== 5) {
    return undefined;
  }
  const specs: Array<[number, number, string[] | undefined]> = [[0, 59, undefined], [0, 23, undefined], [1, 31, undefined], [1, 12, MONTH_NAMES], [0, 7, DAY_NAMES]];
  const sets: Array<Set<number>> = [];
  for (let i = 0; i < 5; i++) {
    const [min, max, names] = specs[i];
    const set = parseField(parts[i], min, max, names, names === MONTH_NAMES ? 1 : 0);
    if (!set || set.size === 0) {
      return undefined;
    }
    sets.push(set);
  }
  const [minutes, hours, daysOfMonth, months, daysOfWeek] = sets;
  if (daysOfWeek.has(7)) {
    daysOfWeek.delete(7);
    daysOfWeek.add(0);
  }
  return { minutes, hours, daysOfMonth, months, daysOfWeek };
}

function parseField(field: string, min: number, max: number, names: string[] | undefined, nameBase: number): Set<number> | undefined {
  const out = new Set<number>();
  const value = (text: string): number | undefined => {
    const index = names?.indexOf(text.toUpperCase()) ?? -1;
    if (index >= 0) return index + nameBase;
    if (!/^\d+$/.test(text)) return undefined;
    const n = Number(text);
    return n >= min && n <= max ? n : undefined;
  };
  for (const item of field.split(',')) {
    const [range, stepText] = item.split('/');
    const step = stepText === undefined ? 1 : Number(stepText);
    if (!Number.isInteger(step) || step < 1 || item.split('/').length > 2) {
      return undefined;
    }
    let from: number | undefined;
    let to: number | undefined;
    if (range === '*') {
      from = min;
      to = max;
    } else if (range.includes('-')) {
      const [a, b] = range.split('-');
      from = value(a);
      to = value(b);
    } else {
      from = value(range);
      to = stepText === undefined ? from : max;
    }
    if (from === undefined || to === undefined || from > to) {
      return undefined;
    }
    for (let n = from; n <= to; n += step) {
      out.add(n);
    }
  }
  return out;
}
