/**
 * Pushes a job script's metrics to a Prometheus Pushgateway
 * (https://github.com/prometheus/pushgateway#api), with a deadline per
 * request and retries on connection errors, 5xx and 429 (`./retry`).
 */
import { AttemptResult, Retrier, RetryPolicy, connectionErrorMessage, isRetryableStatus, retryAfterMs } from './retry';

/** Options of {@link pushMetrics}. */
export interface PushOptions {
  /** `POST` replaces only the pushed metric names of the group; `PUT` replaces the whole group. @default 'POST' */
  readonly method?: 'POST' | 'PUT';
  /** Deadline, retries and budget. @default - see {@link RetryPolicy} (30 s per request, 2 minutes in all) */
  readonly retry?: RetryPolicy;
  /** The fetch implementation. @default globalThis.fetch */
  readonly fetch?: typeof fetch;
}

/** Sends Prometheus text exposition to a Pushgateway group URL; rejects with the URL and the answer when it fails. */
export async function pushMetrics(url: string, body: string, options: PushOptions = {}): Promise<void> {
  const method = options.method ?? 'POST';
  const fetcher = options.fetch ?? fetch;
  const retrier = new Retrier({ requestTimeoutMs: 30000, budgetMs: 120000, ...options.retry });
  await retrier.run(`${method} ${url}`, async (deadlineMs): Promise<AttemptResult<true>> => {
    let res: Response;
    let text: string;
    try {
      res = await fetcher(url, { method, body, redirect: 'manual', signal: AbortSignal.timeout(deadlineMs), headers: { 'content-type': 'text/plain; version=0.0.4' } });
      text = await res.text();
    } catch (err) {
      return { retry: `Pushgateway unreachable: ${connectionErrorMessage(err)}` };
    }
    if (isRetryableStatus(res.status)) {
      return { retry: `Pushgateway answered HTTP ${res.status} ${text.slice(0, 200)}`, retryAfterMs: retryAfterMs(res.headers.get('retry-after'), Date.now()) };
    }
    if (res.status >= 300) {
      throw new Error(`${method} ${url}: Pushgateway answered HTTP ${res.status} ${text.slice(0, 200)}`);
    }
    return { done: true };
  });
}
