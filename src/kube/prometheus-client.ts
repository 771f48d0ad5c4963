/**
 * The one Prometheus client of the bundled job scripts: instant queries
 * (`GET /api/v1/query`, https://prometheus.io/docs/prometheus/latest/querying/api/#instant-queries)
 * with a deadline per request and retries on connection errors, 5xx and 429
 * (`./retry`). Errors name Prometheus, the URL and the query, and carry
 * Prometheus's own error (`errorType`/`error`, for example a PromQL parse
 * error). An empty result ("no series") is reported as such, never as 0.
 */
import { valueAt } from '../core/json';
import { AttemptResult, Retrier, RetryPolicy, connectionErrorMessage, isRetryableStatus, retryAfterMs } from './retry';

/** The value of an instant query that should return one number. */
export type ScalarResult =
  | { readonly kind: 'value'; readonly value: number }
  | { readonly kind: 'noSeries' };

/** Options of a {@link PrometheusClient}. */
export interface PrometheusClientOptions {
  /** Prometheus base URL, for example `http://prometheus-operated.monitoring.svc:9090`. */
  readonly url: string;
  /** Deadline, retries and budget. @default - see {@link RetryPolicy} */
  readonly retry?: RetryPolicy;
  /** The fetch implementation. @default globalThis.fetch */
  readonly fetch?: typeof fetch;
}

/** A query Prometheus could not answer (unreachable, an HTTP error, or an error body). */
export class PrometheusError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PrometheusError';
  }
}

/** Instant queries against one Prometheus. */
export class PrometheusClient {
  /** Base URL, without a trailing slash. */
  public readonly url: string;
  private readonly retrier: Retrier;
  private readonly fetcher: typeof fetch;

  constructor(options: PrometheusClientOptions) {
    this.url = options.url.replace(/\/+$/, '');
    this.retrier = new Retrier(options.retry);
    this.fetcher = options.fetch ?? fetch;
  }

  /** The `data` of an instant query's successful answer. */
  public async query(promql: string): Promise<unknown> {
    const url = `${this.url}/api/v1/query?query=${encodeURIComponent(promql)}`;
    const what = `Prometheus at ${this.url} (query: ${promql})`;
    let answered: { status: number; body: string } | undefined;
    let body: string;
    try {
      body = await this.retrier.run(what, async (deadlineMs): Promise<AttemptResult<string>> => {
        let res: Response;
        let text: string;
        try {
          res = await this.fetcher(url, { signal: AbortSignal.timeout(deadlineMs), redirect: 'error', headers: { accept: 'application/json' } });
          text = await res.text();
        } catch (err) {
          answered = undefined;
          return { retry: `unreachable: ${connectionErrorMessage(err)}` };
        }
        answered = { status: res.status, body: text };
        if (isRetryableStatus(res.status)) {
          return { retry: `HTTP ${res.status}: ${errorOf(text)}`, retryAfterMs: retryAfterMs(res.headers.get('retry-after'), Date.now()) };
        }
        return { done: text };
      });
    } catch (err) {
      throw new PrometheusError(err instanceof Error ? err.message : String(err));
    }
    const status = answered?.status ?? 200;
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch {
      throw new PrometheusError(`${what}: HTTP ${status}, not JSON: ${body.slice(0, 300)}`);
    }
    if (status < 200 || status >= 300 || valueAt(parsed, 'status') !== 'success') {
      throw new PrometheusError(`${what}: HTTP ${status}: ${errorOf(body)}`);
    }
    return valueAt(parsed, 'data');
  }

  /**
   * The one number an instant query returns (a vector of one series, or a
   * scalar); `noSeries` for an empty vector. More than one series is an error
   * (the query should aggregate), as is a value that is not a number.
   */
  public async scalar(promql: string): Promise<ScalarResult> {
    const data = await this.query(promql);
    const what = `Prometheus at ${this.url} (query: ${promql})`;
    const type = valueAt(data, 'resultType');
    const result = valueAt(data, 'result');
    let sample: unknown;
    if (type === 'scalar') {
      sample = result;
    } else if (type === 'vector' && Array.isArray(result)) {
      if (result.length === 0) {
        return { kind: 'noSeries' };
      }
      if (result.length > 1) {
        throw new PrometheusError(`${what}: expected one series, got ${result.length} (wrap the query in sum())`);
      }
      sample = valueAt(result[0], 'value');
    } else {
      throw new PrometheusError(`${what}: expected a vector, got ${String(type)}`);
    }
    const raw: unknown = Array.isArray(sample) ? sample[1] : undefined;
    const value = Number(raw);
    if (typeof raw !== 'string' || !Number.isFinite(value)) {
      throw new PrometheusError(`${what}: returned ${String(raw)}, not a number`);
    }
    return { kind: 'value', value };
  }
}

/** Prometheus's `errorType: error` of an error body, else the body (shortened). */
function errorOf(body: string): string {
  try {
    const parsed: unknown = JSON.parse(body);
    const error = valueAt(parsed, 'error');
    const type = valueAt(parsed, 'errorType');
    if (typeof error === 'string') {
      return typeof type === 'string' ? `${type}: ${error}` : error;
    }
  } catch {
    // not JSON: the raw body
  }
  return body.slice(0, 300) || '(empty body)';
}
