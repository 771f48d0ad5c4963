/**
 * Retries of the job scripts' HTTP calls (Kubernetes API, Prometheus,
 * Pushgateway): exponential backoff with full jitter on connection errors,
 * 5xx and 429, honouring `Retry-After`, within a total budget per run.
 * Node built-ins only (the scripts are bundled without dependencies).
 *
 * Backoff with "full jitter" (a uniformly random wait between 0 and the
 * exponential ceiling) is the scheme of the AWS Architecture Blog's
 * "Exponential Backoff And Jitter"; `Retry-After` is RFC 9110 section 10.2.3
 * (delay-seconds or an HTTP-date).
 */

/** How a client retries. */
export interface RetryPolicy {
  /** Attempts per call, the first included. @default 5 */
  readonly attempts?: number;
  /** Ceiling of the first backoff in milliseconds (doubled per retry). @default 250 */
  readonly baseDelayMs?: number;
  /** Largest wait between two attempts in milliseconds (also caps `Retry-After`). @default 10000 */
  readonly maxDelayMs?: number;
  /** Deadline of one request in milliseconds (connect, send, answer, body). @default 15000 */
  readonly requestTimeoutMs?: number;
  /**
   * Total budget of the run in milliseconds, counted from the client's
   * creation: no request starts and no retry waits past it, and a request's
   * deadline never reaches beyond it.
   * @default - no budget beyond the attempts
   */
  readonly budgetMs?: number;
  /** Current time in milliseconds. @default Date.now */
  readonly now?: () => number;
  /** Waits this many milliseconds. @default a timer */
  readonly sleep?: (ms: number) => Promise<void>;
  /** A number in [0, 1) for the jitter. @default Math.random */
  readonly random?: () => number;
}

/** An answer worth retrying: 429 (too many requests) or any 5xx. */
export function isRetryableStatus(status: number): boolean {
  return status === 429 || status >= 500;
}

/**
 * Milliseconds a `Retry-After` header asks to wait (delay-seconds or an
 * HTTP-date), or undefined when absent or unreadable.
 */
export function retryAfterMs(header: string | undefined | null, now: number): number | undefined {
  if (header === undefined || header === null || header.trim() === '') {
    return undefined;
  }
  const text = header.trim();
  if (/^\d+$/.test(text)) {
    return Number(text) * 1000;
  }
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** What one attempt ended with, as the retry loop sees it. */
export type AttemptResult<T> =
  | { readonly done: T }
  | { readonly retry: string; readonly retryAfterMs?: number };

/** The shared clock, budget and backoff of one client (one run). */
export class Retrier {
  private readonly attempts: number;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly requestTimeoutMs: number;
  private readonly budgetEnds: number;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;

  constructor(policy: RetryPolicy = {}) {
    this.attempts = Math.max(1, policy.attempts ?? 5);
    this.baseDelayMs = policy.baseDelayMs ?? 250;
    this.maxDelayMs = policy.maxDelayMs ?? 10000;
    this.requestTimeoutMs = policy.requestTimeoutMs ?? 15000;
    this.now = policy.now ?? Date.now;
    this.sleep = policy.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.random = policy.random ?? Math.random;
    this.budgetEnds = policy.budgetMs === undefined ? Number.POSITIVE_INFINITY : this.now() + policy.budgetMs;
  }

  /** The deadline of a request started now: the per-request deadline, cut to what is left of the budget. */
  public requestDeadlineMs(): number {
    return Math.max(1, Math.min(this.requestTimeoutMs, this.budgetEnds - this.now()));
  }

  /** The wait before retry number `retry` (1-based): full jitter below the doubled ceiling, or what the server asked for. */
  public delayMs(retry: number, serverAsked?: number): number {
    if (serverAsked !== undefined) {
      return Math.min(serverAsked, this.maxDelayMs);
    }
    const ceiling = Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** (retry - 1));
    return Math.floor(this.random() * ceiling);
  }

  /**
   * Runs `attempt` until it is done, retrying what it marks retryable. Throws
   * with what the call was (`what`), how often it was tried and the last
   * reason when the attempts or the budget run out.
   */
  public async run<T>(what: string, attempt: (deadlineMs: number) => Promise<AttemptResult<T>>): Promise<T> {
    let last = '';
    for (let n = 1; ; n++) {
      if (this.now() >= this.budgetEnds) {
        throw new RetryError(`${what}: the run's time budget is spent${last ? ` (last: ${last})` : ''}`, n - 1);
      }
      const result = await attempt(this.requestDeadlineMs());
      if ('done' in result) {
        return result.done;
      }
      last = result.retry;
      if (n >= this.attempts) {
        throw new RetryError(`${what}: ${last} (gave up after ${n} attempt${n === 1 ? '' : 's'})`, n);
      }
      const wait = this.delayMs(n, result.retryAfterMs);
      if (this.now() + wait >= this.budgetEnds) {
        throw new RetryError(`${what}: ${last} (gave up after ${n} attempt${n === 1 ? '' : 's'}: the run's time budget ends before the next)`, n);
      }
      await this.sleep(wait);
    }
  }
}

/** A call that failed after its retries. */
export class RetryError extends Error {
  /** Attempts made. */
  public readonly attempts: number;

  constructor(message: string, attempts: number) {
    super(message);
    this.name = 'RetryError';
    this.attempts = attempts;
  }
}

/** The message of a connection-level error, with its code (`ECONNREFUSED`, ...) and its cause's when fetch wraps it. */
export function connectionErrorMessage(err: unknown): string {
  const parts: string[] = [];
  let current: unknown = err;
  for (let depth = 0; depth < 3 && current instanceof Error; depth++) {
    const code = 'code' in current && typeof current.code === 'string' ? ` (${current.code})` : '';
    parts.push(`${current.message}${code}`);
    current = current.cause;
  }
  return parts.length > 0 ? parts.join(': ') : String(err);
}
