import { PropsValidator } from './errors';

/**
 * Whether `timeZone` is an IANA time zone name as a Kubernetes CronJob's
 * `spec.timeZone` takes it: a name this runtime's time zone database knows
 * (`Intl.DateTimeFormat`), written as the database writes it (the API server
 * loads it with Go's case-sensitive `time.LoadLocation`), not `Local` and not
 * an offset such as `+01:00` (which are no IANA names).
 * @see https://kubernetes.io/docs/concepts/workloads/controllers/cron-jobs/#time-zones
 */
export function isTimeZone(timeZone: string): boolean {
  if (typeof timeZone !== 'string' || !/^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+)*$/.test(timeZone) || timeZone.toLowerCase() === 'local') {
    return false;
  }
  try {
    const resolved = new Intl.DateTimeFormat(undefined, { timeZone }).resolvedOptions().timeZone;
    // `europe/berlin` resolves to `Europe/Berlin`: the same name in other case is refused; an alias (`US/Pacific`) is not.
    return resolved === timeZone || resolved.toLowerCase() !== timeZone.toLowerCase();
  } catch {
    return false;
  }
}

/** Validates an IANA time zone such as `UTC` or `Europe/Berlin`. */
export function validateTimeZone(v: PropsValidator, property: string, timeZone: string): string {
  v.check(isTimeZone(timeZone), property, timeZone, 'must be an IANA time zone such as UTC or Europe/Berlin');
  return timeZone;
}
