import { PropsValidator } from './errors';
import { validateTimeZone } from './time';

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
 * and staleness thresholds: runs a day times the days it runs.
 * @throws ValidationError (of `property` at `path`) when `schedule` is not a
 *   valid five-field schedule: an estimate is never made up.
 */
export function runsPerMonth(schedule: string, path = 'cost estimate', property = 'schedule'): number {
  const fields = validateSchedule(new PropsValidator(path), property, schedule);
  const perDay = fields.minutes.size * fields.hours.size;
  const daysPerMonth = fields.daysOfMonth.size < 31 ? fields.daysOfMonth.size : fields.daysOfWeek.size < 7 ? fields.daysOfWeek.size * (30.4 / 7) : 30.4;
  return perDay * daysPerMonth;
}

/** A cron schedule as a cdk8s `Cron` (or anything shaped like one) or its expression. */
export type Schedule = string | { readonly expressionString: string };

/**
 * Validates a schedule the library renders (a CronJob's `spec.schedule`, a
 * KEDA cron trigger, a Karpenter budget) with the one parser of the library,
 * and its IANA time zone when given: the rule names the field that is wrong.
 * Kubernetes refuses `TZ=`/`CRON_TZ=` in the schedule since 1.29: the time
 * zone belongs in `spec.timeZone`
 * (https://kubernetes.io/docs/concepts/workloads/controllers/cron-jobs/#time-zones).
 */
export function validateSchedule(v: PropsValidator, property: string, schedule: Schedule,
  timeZone?: { readonly property: string; readonly value: string }): CronFields {
  const expression = typeof schedule === 'string' ? schedule : schedule?.expressionString;
  if (timeZone) {
    validateTimeZone(v, timeZone.property, timeZone.value);
  }
  const result = typeof expression === 'string' ? analyseCron(expression) : { problem: 'must be a cron schedule (a cdk8s Cron or a five-field expression)' };
  return 'problem' in result ? v.fail(property, expression, result.problem) : result.fields;
}

/** Why `expression` is not a valid five-field cron schedule, or undefined when it is one. */
export function cronProblem(expression: string): string | undefined {
  const result = analyseCron(expression);
  return 'problem' in result ? result.problem : undefined;
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
/** Field name, first and last value, names. */
const FIELDS: ReadonlyArray<readonly [string, number, number, string[] | undefined]> = [
  ['minute', 0, 59, undefined], ['hour', 0, 23, undefined], ['day of month', 1, 31, undefined], ['month', 1, 12, MONTH_NAMES], ['day of week', 0, 7, DAY_NAMES],
];
/** Longest month (leap February included), by month number. */
const MONTH_DAYS = [0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/**
 * The five fields of a standard cron schedule as sets of the values they
 * match (minute, hour, day of month, month, day of week with Sunday = 0),
 * accepting `*`, lists, ranges, steps, month and day names and the
 * `@hourly`-style macros; undefined when `expression` is not one (see
 * {@link cronProblem} for why).
 */
export function parseCron(expression: string): CronFields | undefined {
  const result = analyseCron(expression);
  return 'fields' in result ? result.fields : undefined;
}

function analyseCron(expression: string): { fields: CronFields } | { problem: string } {
  const trimmed = expression.trim();
  if (/^(CRON_)?TZ=/.test(trimmed)) {
    return { problem: "must not set a time zone with TZ= or CRON_TZ= (Kubernetes refuses it); use the schedule's time zone property" };
  }
  if (trimmed.startsWith('@') && MACROS[trimmed.toLowerCase()] === undefined) {
    return { problem: `unknown macro; use five fields or one of ${Object.keys(MACROS).join(', ')}` };
  }
  const parts = (MACROS[trimmed.toLowerCase()] ?? trimmed).split(/\s+/).filter((p) => p !== '');
  if (parts.length !== 5) {
    return { problem: `must have 5 fields (minute hour day-of-month month day-of-week), got ${parts.length}` };
  }
  const sets: Array<Set<number>> = [];
  for (const [i, [name, min, max, names]] of FIELDS.entries()) {
    const set = parseField(parts[i], min, max, names, names === MONTH_NAMES ? 1 : 0);
    if (typeof set === 'string') {
      return { problem: `${name} field '${parts[i]}': ${set}` };
    }
    sets.push(set);
  }
  const [minutes, hours, daysOfMonth, months, daysOfWeek] = sets;
  if (daysOfWeek.has(7)) {
    daysOfWeek.delete(7);
    daysOfWeek.add(0);
  }
  if (daysOfWeek.size === 7 && ![...months].some((m) => Math.min(...daysOfMonth) <= MONTH_DAYS[m])) {
    return { problem: 'never fires: no selected month has the selected days of month' };
  }
  return { fields: { minutes, hours, daysOfMonth, months, daysOfWeek } };
}

/** The values a field matches, or why it is invalid. */
function parseField(field: string, min: number, max: number, names: string[] | undefined, nameBase: number): Set<number> | string {
  const out = new Set<number>();
  const range = `values must be from ${min} to ${max}${names ? ` or ${names[0]}-${names[names.length - 1]}` : ''}`;
  const value = (text: string): number | undefined => {
    const index = names?.indexOf(text.toUpperCase()) ?? -1;
    if (index >= 0) return index + nameBase;
    if (!/^\d+$/.test(text)) return undefined;
    const n = Number(text);
    return n >= min && n <= max ? n : undefined;
  };
  for (const item of field.split(',')) {
    const [span, stepText, extra] = item.split('/');
    const step = stepText === undefined ? 1 : Number(stepText);
    if (extra !== undefined || !/^\d*$/.test(stepText ?? '') || !Number.isInteger(step) || step < 1) {
      return `the step of '${item}' must be a whole number >= 1 (as in */15)`;
    }
    const [a, b, more] = span.split('-');
    const from = span === '*' ? min : value(a);
    const to = span === '*' ? max : b !== undefined ? value(b) : stepText === undefined ? from : max;
    if (more !== undefined || from === undefined || to === undefined) {
      return `'${item}' is not a value, range or step: ${range}`;
    }
    if (from > to) {
      return `the range '${span}' runs backwards`;
    }
    for (let n = from; n <= to; n += step) {
      out.add(n);
    }
  }
  return out;
}
