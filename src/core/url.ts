import type { PropsValidator } from './errors';

/** An `s3://bucket/key` URI, parsed. */
export interface S3Uri {
  /** The bucket. */
  readonly bucket: string;
  /** The key or prefix (without the leading '/'); empty for the bucket itself. */
  readonly key: string;
}

/** What an s3:// URI must name: an object (`key`), a prefix ending in '/' (`prefix`), or either (`any`, the default). */
export type S3UriKind = 'key' | 'prefix' | 'any';

/**
 * Why `bucket` is not a valid S3 general purpose bucket name, or undefined:
 * 3-63 characters of lower-case letters, digits, '.' and '-', starting and
 * ending with a letter or digit, no '..', not an IP address, none of the
 * reserved prefixes and suffixes.
 * @see https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html
 */
export function s3BucketProblem(bucket: string): string | undefined {
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket) || bucket.includes('..')) {
    return `the bucket '${bucket}' must be 3-63 lower-case letters, digits, '.' and '-', starting and ending with a letter or digit, without '..'`;
  }
  if (/^\d+\.\d+\.\d+\.\d+$/.test(bucket)) {
    return `the bucket '${bucket}' must not be an IP address`;
  }
  if (/^(xn--|sthree-|amzn-s3-demo-)/.test(bucket) || /(-s3alias|--ol-s3|--x-s3|--table-s3)$/.test(bucket)) {
    return `the bucket '${bucket}' uses a prefix or suffix S3 reserves`;
  }
  return undefined;
}

/**
 * The one s3:// parser of the library: a bucket (required, a valid bucket
 * name) and a key; `kind` says whether the key must name an object or a
 * prefix. Returns why the URI is invalid as a string.
 */
export function parseS3Uri(uri: string, kind: S3UriKind = 'any'): S3Uri | string {
  const m = typeof uri === 'string' ? /^s3:\/\/([^/\s]*)(?:\/(\S*))?$/.exec(uri) : null;
  if (m === null) {
    return 'must be an s3:// URI (s3://bucket/key or s3://bucket/prefix/) without white space';
  }
  const [, bucket, key = ''] = m;
  if (bucket === '') {
    return 'names no bucket (s3://bucket/key)';
  }
  const problem = s3BucketProblem(bucket);
  if (problem) {
    return problem;
  }
  if (kind === 'prefix' && key !== '' && !key.endsWith('/')) {
    return "must be a prefix: s3://bucket/prefix/ (ending with '/')";
  }
  if (kind === 'key' && (key === '' || key.endsWith('/'))) {
    return 'must name an object: s3://bucket/key (not a bucket or prefix)';
  }
  return { bucket, key };
}

/** Validates an s3:// URI ({@link parseS3Uri}) and returns it parsed. */
export function validateS3Uri(v: PropsValidator, property: string, uri: string, kind: S3UriKind = 'any'): S3Uri {
  const parsed = parseS3Uri(uri, kind);
  return typeof parsed === 'string' ? v.fail(property, uri, parsed) : parsed;
}

/**
 * Whether `url` is an absolute http(s) URL: the scheme, a host (the WHATWG
 * URL parser accepts it), an optional port and path, no white space and no
 * credentials (`user:password@`), which would end up in plain text in a manifest.
 */
export function httpUrlProblem(url: string): string | undefined {
  if (typeof url !== 'string' || !/^https?:\/\/[^\s/]+(\/\S*)?$/i.test(url)) {
    return 'must be an http(s) URL';
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'must be an http(s) URL';
  }
  if (parsed.hostname === '') {
    return 'must be an http(s) URL';
  }
  return parsed.username !== '' || parsed.password !== '' ? 'must not embed credentials (user:password@); pass them as a secret' : undefined;
}

/** Validates an http(s) URL (a Prometheus, Pushgateway or webhook endpoint): a scheme, a host, an optional path, no white space. */
export function validateHttpUrl(v: PropsValidator, property: string, url: string): string {
  const problem = httpUrlProblem(url);
  if (problem) {
    v.fail(property, url, problem);
  }
  return url;
}
