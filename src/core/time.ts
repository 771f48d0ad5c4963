import { PropsValidator } from './errors';

/** Whether `timeZone` is an IANA time zone this runtime knows (Kubernetes CronJobs take the same names). */
export function isTimeZone(timeZone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
    return timeZone.length > 0;
  } catch {
    return false;
  }
}

/** Validates an IANA time zone such as `UTC` or `Europe/Berlin`. */
export function validateTimeZone(v: PropsValidator, property: string, timeZone: string): string {
  v.check(isTimeZone(timeZone), property, timeZone, 'must be an IANA time zone such as UTC or Europe/Berlin');
  return timeZone;
}
