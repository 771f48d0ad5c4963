/**
 * The one Kubernetes API client of the bundled job scripts (spot fallback
 * controller, restore drill): JSON over HTTPS with the pod's service account
 * token (read before every request: projected tokens rotate) and cluster CA,
 * or plain HTTP to `kubectl proxy` for local runs. Node built-ins only, so
 * the bundles need no dependencies.
 *
 * Every request has a deadline; connection errors, 5xx and 429 are retried
 * with exponential backoff and jitter, honouring `Retry-After`, within the
 * run's total budget (`./retry`). 404, 409 and 422 are answers the caller
 * handles ({@link KubeResult}), not exceptions; lists page with
 * `limit`/`continue` (https://kubernetes.io/docs/reference/using-api/api-concepts/#retrieving-large-results-sets-in-chunks).
 */
import { readFileSync } from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import { join } from 'node:path';
import { AttemptResult, Retrier, RetryError, RetryPolicy, connectionErrorMessage, isRetryableStatus, retryAfterMs } from './retry';

/** One JSON Patch operation (RFC 6902). */
export interface JsonPatchOperation {
  /** The operation. */
  readonly op: 'add' | 'test';
  /** JSON pointer. */
  readonly path: string;
  /** The value. */
  readonly value: unknown;
}

/** An answer the caller handles: 404 (`notFound`), 409 (`conflict`, also AlreadyExists) or 422 (`invalid`, also a failed `test`). */
export type KubeOutcome = 'notFound' | 'conflict' | 'invalid';

/** The result of a call whose 404/409/422 the caller handles. */
export type KubeResult<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly outcome: KubeOutcome; readonly status: number; readonly message: string };

/** The Kubernetes API calls one reconcile pass of the fallback controller makes (implemented by `KubeClient`, faked in tests). */
export interface KubeApi {
  /** Namespace the controller runs in. */
  readonly namespace: string;
  /** GET a JSON object; undefined when it does not exist (404). */
  getJson<T>(path: string): Promise<T | undefined>;
  /** Every item of a list, paged with `limit`/`continue`. */
  list<T>(path: string): Promise<T[]>;
  /** PATCH with a JSON Patch. */
  jsonPatch(path: string, ops: readonly JsonPatchOperation[]): Promise<KubeResult<unknown>>;
  /** POST a JSON object. */
  postJson(path: string, body: unknown): Promise<KubeResult<unknown>>;
}

/** Where the kubelet mounts the service account token, CA and namespace. */
export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

/** Items per page of {@link KubeClient.list}. */
export const LIST_PAGE_SIZE = 250;

/** Options of a {@link KubeClient}. */
export interface KubeClientOptions {
  /** API server base URL, for example `https://10.100.0.1:443` or `http://127.0.0.1:8001` (kubectl proxy). */
  readonly baseUrl: string;
  /** Namespace the client works in. */
  readonly namespace: string;
  /** Bearer token. @default - none (kubectl proxy authenticates) */
  readonly token?: string;
  /**
   * File the bearer token is read from before every request (projected
   * service account tokens rotate during a long run); wins over `token`.
   * @default - the fixed `token`
   */
  readonly tokenFile?: string;
  /** PEM CA bundle that signed the API server's certificate. @default - the system roots */
  readonly ca?: string;
  /** Deadline, retries and budget. @default - see {@link RetryPolicy} */
  readonly retry?: RetryPolicy;
  /** Items per page of `list`. @default 250 */
  readonly pageSize?: number;
}

/** Options of {@link KubeClient.inCluster}. */
export interface InClusterOptions {
  /** The environment with `KUBERNETES_SERVICE_HOST` and `KUBERNETES_SERVICE_PORT`. @default process.env */
  readonly env?: NodeJS.ProcessEnv;
  /** Directory with the service account's `token`, `ca.crt` and `namespace`. @default '/var/run/secrets/kubernetes.io/serviceaccount' */
  readonly dir?: string;
  /** API server URL instead of the in-cluster one (a `http:` URL sends no CA). @default - from the environment */
  readonly apiServer?: string;
  /** Namespace instead of the mounted one. @default - the `namespace` file */
  readonly namespace?: string;
  /** Deadline, retries and budget. @default - see {@link RetryPolicy} */
  readonly retry?: RetryPolicy;
}

/** A non-2xx answer of the API server that the caller does not handle (or that stayed after the retries). */
export class KubeApiError extends Error {
  /** HTTP status. */
  public readonly status: number;

  constructor(method: string, path: string, status: number, body: string, attempts?: number) {
    super(`${method} ${path}: HTTP ${status}: ${statusMessage(body)}${attempts ? ` (gave up after ${attempts} attempts)` : ''}`);
    this.name = 'KubeApiError';
    this.status = status;
  }
}

/** An answer of the API server. */
export interface RawAnswer {
  /** HTTP status. */
  readonly status: number;
  /** The body. */
  readonly body: string;
  /** The `Retry-After` header. @default - none */
  readonly retryAfter?: string;
  /** Attempts made when the retries ran out on a retryable answer. @default - not retried out */
  readonly attempts?: number;
}

/** JSON requests against the Kubernetes API. */
export class KubeClient implements KubeApi {
  /**
   * The in-cluster client: `https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT`
   * (or `apiServer`) with the mounted service account token (re-read before
   * every request), CA and namespace. The pod needs
   * `automountServiceAccountToken: true`.
   */
  public static inCluster(options: InClusterOptions = {}): KubeClient {
    const dir = options.dir ?? SERVICE_ACCOUNT_DIR;
    const baseUrl = options.apiServer ?? inClusterApiServer(options.env ?? process.env);
    if (!baseUrl) {
      throw new Error('KUBERNETES_SERVICE_HOST is not set: not running in a cluster (pass an API server URL for a local run)');
    }
    const read = (file: string) => readFileSync(join(dir, file), 'utf8').trim();
    return new KubeClient({
      baseUrl,
      namespace: options.namespace ?? read('namespace'),
      tokenFile: join(dir, 'token'),
      ca: baseUrl.startsWith('https:') ? readFileSync(join(dir, 'ca.crt'), 'utf8') : undefined,
      retry: options.retry,
    });
  }

  /** Namespace the client works in. */
  public readonly namespace: string;
  private readonly options: KubeClientOptions;
  private readonly retrier: Retrier;

  constructor(options: KubeClientOptions) {
    this.options = options;
    this.namespace = options.namespace;
    this.retrier = new Retrier(options.retry);
  }

  /**
   * Sends one request with retries (POSTs too: the scripts create objects
   * under fixed names, so a create repeated after a lost answer meets 409
   * rather than making a second object); resolves with the final status and body
   * (2xx, or an answer that is not retried, or the last retryable one when
   * the attempts ran out); rejects when the connection failed every time.
   */
  public request(method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<RawAnswer> {
    let lastAnswer: RawAnswer | undefined;
    return this.retrier.run(`${method} ${this.options.baseUrl}${path}`, async (deadlineMs): Promise<AttemptResult<RawAnswer>> => {
      try {
        const answer = await this.once(method, path, body, contentType, deadlineMs);
        if (!isRetryableStatus(answer.status)) {
          return { done: answer };
        }
        lastAnswer = answer;
        return { retry: `HTTP ${answer.status}: ${statusMessage(answer.body)}`, retryAfterMs: retryAfterMs(answer.retryAfter, Date.now()) };
      } catch (err) {
        lastAnswer = undefined;
        return { retry: connectionErrorMessage(err) };
      }
    }).catch((err: unknown) => {
      // Retries spent on error answers: hand back the last one, so the caller reports its status.
      if (lastAnswer !== undefined) {
        return { ...lastAnswer, attempts: err instanceof RetryError ? err.attempts : undefined };
      }
      throw err;
    });
  }

  /** GET a JSON object; undefined when it does not exist (404); throws on other errors. */
  public async getJson<T>(path: string): Promise<T | undefined> {
    const res = await this.get<T>(path);
    if (res.ok) {
      return res.value;
    }
    if (res.outcome === 'notFound') {
      return undefined;
    }
    throw new KubeApiError('GET', path, res.status, res.message);
  }

  /** GET a JSON object, with 404/409/422 as outcomes. */
  public get<T>(path: string): Promise<KubeResult<T>> {
    return this.call<T>('GET', path);
  }

  /**
   * Every item of a list (`path` may carry a query such as `labelSelector`),
   * fetched in pages of `pageSize` with `continue`. An expired continue token
   * (410 Gone) restarts the list once, as the API concepts page advises.
   */
  public async list<T>(path: string): Promise<T[]> {
    const limit = this.options.pageSize ?? LIST_PAGE_SIZE;
    let restarts = 0;
    let items: T[] = [];
    let token: string | undefined;
    for (;;) {
      const page = `${path}${path.includes('?') ? '&' : '?'}limit=${limit}${token ? `&continue=${encodeURIComponent(token)}` : ''}`;
      const res = await this.request('GET', page);
      if (res.status === 410 && token !== undefined && restarts < 1) {
        restarts++;
        items = [];
        token = undefined;
        continue;
      }
      if (res.status < 200 || res.status >= 300) {
        throw new KubeApiError('GET', page, res.status, res.body, res.attempts);
      }
      const list = parseJson<{ items?: T[]; metadata?: { continue?: string } }>(res.body);
      items.push(...(list.items ?? []));
      token = list.metadata?.continue || undefined;
      if (token === undefined) {
        return items;
      }
    }
  }

  /** PATCH with a JSON Patch (409: conflict; 422: a `test` operation failed, the object changed). */
  public jsonPatch(path: string, ops: readonly JsonPatchOperation[]): Promise<KubeResult<unknown>> {
    return this.call('PATCH', path, ops, 'application/json-patch+json');
  }

  /** PATCH with a JSON merge patch (RFC 7386), for example to set labels. */
  public mergePatch(path: string, patch: unknown): Promise<KubeResult<unknown>> {
    return this.call('PATCH', path, patch, 'application/merge-patch+json');
  }

  /** POST a JSON object (409 when an object of that name exists). */
  public postJson(path: string, body: unknown): Promise<KubeResult<unknown>> {
    return this.call('POST', path, body);
  }

  /** POST a JSON object and return the object the server created. */
  public create<T>(path: string, body: unknown): Promise<KubeResult<T>> {
    return this.call<T>('POST', path, body);
  }

  /** DELETE an object (404 when it did not exist). */
  public delete(path: string): Promise<KubeResult<unknown>> {
    return this.call('DELETE', path);
  }

  /** One call: 2xx parsed, 404/409/422 as outcomes, anything else thrown as a {@link KubeApiError}. */
  private async call<T>(method: string, path: string, body?: unknown, contentType?: string): Promise<KubeResult<T>> {
    const res = await this.request(method, path, body, contentType);
    if (res.status >= 200 && res.status < 300) {
      return { ok: true, value: parseJson<T>(res.body || 'null') };
    }
    const outcome = OUTCOMES[res.status];
    if (outcome !== undefined) {
      return { ok: false, outcome, status: res.status, message: statusMessage(res.body) };
    }
    throw new KubeApiError(method, path, res.status, res.body, res.attempts);
  }

  /** One attempt, bounded by `deadlineMs` from start to the end of the body. */
  private once(method: string, path: string, body: unknown, contentType: string, deadlineMs: number): Promise<RawAnswer> {
    const url = new URL(path, this.options.baseUrl);
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const headers: Record<string, string> = { accept: 'application/json' };
    const token = this.options.tokenFile ? readFileSync(this.options.tokenFile, 'utf8').trim() : this.options.token;
    if (token) {
      headers.authorization = `Bearer ${token}`;
    }
    if (payload !== undefined) {
      headers['content-type'] = contentType;
      headers['content-length'] = String(Buffer.byteLength(payload));
    }
    const transport = url.protocol === 'https:' ? https : http;
    return new Promise((resolve, reject) => {
      const req = transport.request(url, { method, headers, ca: this.options.ca }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          clearTimeout(timer);
          const retryAfter = res.headers['retry-after'];
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), retryAfter: typeof retryAfter === 'string' ? retryAfter : undefined });
        });
        res.on('error', reject);
      });
      const timer = setTimeout(() => req.destroy(new Error(`no complete answer within ${deadlineMs}ms`)), deadlineMs);
      req.on('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      req.end(payload);
    });
  }
}

const OUTCOMES: Readonly<Record<number, KubeOutcome>> = { 404: 'notFound', 409: 'conflict', 422: 'invalid' };

/** Parses an answer of the API server: the caller names the shape it expects (an unchecked boundary, as in any JSON client). */
function parseJson<T>(body: string): T {
  return JSON.parse(body) as T;
}

/** The `message` of a `Status` body, else the body itself (shortened). */
function statusMessage(body: string): string {
  try {
    const parsed: unknown = JSON.parse(body);
    if (typeof parsed === 'object' && parsed !== null && 'message' in parsed && typeof parsed.message === 'string') {
      return parsed.message;
    }
  } catch {
    // not JSON: the raw body
  }
  return body.slice(0, 500);
}

/**
 * The in-cluster API server URL, `https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT`
 * (an IPv6 host in brackets); undefined outside a pod.
 */
export function inClusterApiServer(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const host = env.KUBERNETES_SERVICE_HOST;
  if (!host) {
    return undefined;
  }
  return `https://${host.includes(':') ? `[${host}]` : host}:${env.KUBERNETES_SERVICE_PORT ?? '443'}`;
}
