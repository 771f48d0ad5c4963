import { PropsValidator } from './errors';

/** Validates an http(s) URL (a Prometheus, Pushgateway or webhook endpoint): a scheme, a host, an optional path, no white space. */
export function validateHttpUrl(v: PropsValidator, property: string, url: string): string {
  return v.matches(property, url, /^https?:\/\/[^\s/]+(\/\S*)?$/, 'must be an http(s) URL');
}
