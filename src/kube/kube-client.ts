/**
 * A minimal Kubernetes API client for the bundled controllers: JSON over
 * HTTPS with the pod's service account token and cluster CA (in cluster), or
 * plain HTTP to `kubectl proxy` for local runs. Node built-ins only, so the
 * bundle needs no dependencies.
 */
import { readFileSync } from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';

/** One JSON Patch operation (RFC 6902). */
export interface JsonPatchOperation {
  /** The operation. */
  readonly op: 'add' | 'test';
  /** JSON pointer. */
  readonly path: string;
  /** The value. */
  readonly value: unknown;
}

/** The Kubernetes API calls one reconcile pass makes (implemented by `KubeClient`, faked in tests). */
export interface KubeApi {
  /** Namespace the controller runs in. */
  readonly namespace: string;
  /** GET a JSON object; undefined when it does not exist (404). */
  getJson<T>(path: string): Promise<T | undefined>;
  /** PATCH with a JSON Patch; resolves to false when the patch no longer applies (409 or 422), throws on other errors. */
  jsonPatch(path: string, ops: readonly JsonPatchOperation[]): Promise<boolean>;
  /** POST a JSON object. */
  postJson(path: string, body: unknown): Promise<void>;
}

/** Where the kubelet mounts the service account token, CA and namespace. */
export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

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
  /** Timeout of one request in milliseconds. @default 15000 */
  readonly timeoutMs?: number;
}

/** A non-2xx answer of the API server. */
export class KubeApiError extends Error {
  /** HTTP status. */
  public readonly status: number;

  constructor(method: string, path: string, status: number, body: string) {
    super(`${method} ${path}: HTTP ${status}: ${body.slice(0, 500)}`);
    this.name = 'KubeApiError';
    this.status = status;
  }
}

/** JSON requests against the Kubernetes API. */
export class KubeClient implements KubeApi {
  /**
   * The in-cluster client: `https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT`
   * with the mounted service account token, CA and namespace (the pod needs
   * `automountServiceAccountToken: true`).
   */
  public static inCluster(env: NodeJS.ProcessEnv = process.env, dir: string = SERVICE_ACCOUNT_DIR): KubeClient {
    const baseUrl = inClusterApiServer(env);
    if (!baseUrl) {
      throw new Error('KUBERNETES_SERVICE_HOST is not set: not running in a cluster (use --api-server for a local run)');
    }
    const read = (file: string) => readFileSync(`${dir}/${file}`, 'utf8').trim();
    return new KubeClient({
      baseUrl,
      token: read('token'),
      ca: read('ca.crt'),
      namespace: read('namespace'),
    });
  }

  /** Namespace the client works in. */
  public readonly namespace: string;
  private readonly options: KubeClientOptions;

  constructor(options: KubeClientOptions) {
    this.options = options;
    this.namespace = options.namespace;
  }

  /** Sends one request; resolves with the status and body of any answer (2xx or not). */
  public request(method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<{ status: number; body: string }> {
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
      const req = transport.request(url, { method, headers, ca: this.options.ca, timeout: this.options.timeoutMs ?? 15000 }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      });
      req.on('timeout', () => req.destroy(new Error(`${method} ${path}: timed out`)));
      req.on('error', reject);
      req.end(payload);
    });
  }

  public async getJson<T>(path: string): Promise<T | undefined> {
    const res = await this.request('GET', path);
    if (res.status === 404) {
      return undefined;
    }
    if (res.status < 200 || res.status >= 300) {
      throw new KubeApiError('GET', path, res.status, res.body);
    }
    return parseJson<T>(res.body);
  }

  public async jsonPatch(path: string, ops: readonly JsonPatchOperation[]): Promise<boolean> {
    const res = await this.request('PATCH', path, ops, 'application/json-patch+json');
    // 409: conflict; 422: a `test` operation failed (the object changed): both retried next run.
    if (res.status === 409 || res.status === 422) {
      return false;
    }
    if (res.status < 200 || res.status >= 300) {
      throw new KubeApiError('PATCH', path, res.status, res.body);
    }
    return true;
  }

  public async postJson(path: string, body: unknown): Promise<void> {
    const res = await this.request('POST', path, body);
    if (res.status < 200 || res.status >= 300) {
      throw new KubeApiError('POST', path, res.status, res.body);
    }
  }

  /** POST a JSON object and return the object the server created (for example to learn a `generateName`d name). */
  public async createJson<T>(path: string, body: unknown): Promise<T> {
    const res = await this.request('POST', path, body);
    if (res.status < 200 || res.status >= 300) {
      throw new KubeApiError('POST', path, res.status, res.body);
    }
    return parseJson<T>(res.body);
  }

  /** PATCH with a JSON merge patch (RFC 7386), for example to set labels. */
  public async mergePatch(path: string, patch: unknown): Promise<void> {
    const res = await this.request('PATCH', path, patch, 'application/merge-patch+json');
    if (res.status < 200 || res.status >= 300) {
      throw new KubeApiError('PATCH', path, res.status, res.body);
    }
  }

  /** DELETE an object; resolves to false when it did not exist (404), throws on other errors. */
  public async deleteJson(path: string): Promise<boolean> {
    const res = await this.request('DELETE', path);
    if (res.status === 404) {
      return false;
    }
    if (res.status < 200 || res.status >= 300) {
      throw new KubeApiError('DELETE', path, res.status, res.body);
    }
    return true;
  }
}

/** Parses an answer of the API server: the caller names the shape it expects (an unchecked boundary, as in any JSON client). */
function parseJson<T>(body: string): T {
  return JSON.parse(body) as T;
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
