/**
 * A loopback Kubernetes API stand-in for the job-script tests: an in-memory
 * object store behind the REST paths the scripts use (get, list with
 * label/field selectors and limit/continue paging, create, merge and JSON
 * patch, delete), bearer tokens mapped to ServiceAccounts, the rendered RBAC
 * enforced (Roles, ClusterRoles and their bindings, resourceNames included),
 * and faults injected per request (status with Retry-After, a stall, a
 * dropped connection). Plain HTTP, or HTTPS with a self-signed certificate
 * made for the test (`selfSignedCert`), so the in-cluster credential path
 * (token file, CA file, KUBERNETES_SERVICE_HOST/PORT) runs as in a pod.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A JSON object as the store keeps it. */
export type Obj = Record<string, any>;

/** One request as the stand-in saw it. */
export interface SeenRequest {
  readonly method: string;
  readonly path: string;
  readonly user?: string;
  readonly body: string;
  /** The status the stand-in answered (0 for a stall or a dropped connection). */
  status: number;
}

/** A fault for the next `times` requests matching `method` and `path`. */
export interface Fault {
  readonly method?: string;
  /** A path prefix, or a pattern of the whole path with its query. */
  readonly path: string | RegExp;
  /** Answer this status (with a Status body) instead. */
  readonly status?: number;
  /** `Retry-After` header of the answer. */
  readonly retryAfter?: string;
  /** Never answer (the client's deadline must end the request). */
  readonly stall?: boolean;
  /** Close the connection without an answer. */
  readonly drop?: boolean;
  /** How many matching requests it hits. @default 1 */
  times?: number;
}

/** A hook run before the store answers; returns an answer to short-cut it. */
export type Hook = (method: string, path: string, body: unknown, api: ApiStandIn) => [number, unknown] | undefined;

interface PolicyRule {
  readonly apiGroups?: string[];
  readonly resources?: string[];
  readonly verbs: string[];
  readonly resourceNames?: string[];
}

interface Grant {
  /** Namespace of a Role's grant; undefined for a ClusterRole. */
  readonly namespace?: string;
  readonly rules: readonly PolicyRule[];
}

/** What a request path addresses. */
export interface Target {
  readonly group: string;
  readonly resource: string;
  readonly namespace?: string;
  readonly name?: string;
}

/** Parses `/api/v1/...` and `/apis/<group>/<version>/...` paths. */
export function targetOf(path: string): Target | undefined {
  const parts = path.split('?')[0].split('/').filter(Boolean);
  let group: string;
  let rest: string[];
  if (parts[0] === 'api') {
    group = '';
    rest = parts.slice(2);
  } else if (parts[0] === 'apis') {
    group = parts[1];
    rest = parts.slice(3);
  } else {
    return undefined;
  }
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    return { group, namespace: rest[1], resource: rest[2], name: rest[3] };
  }
  return { group, resource: rest[0], name: rest[1] };
}

const VERB: Readonly<Record<string, string>> = { POST: 'create', PATCH: 'patch', DELETE: 'delete', PUT: 'update' };

/** The stand-in. */
export class ApiStandIn {
  /** Objects by path. */
  public readonly objects = new Map<string, Obj>();
  public readonly requests: SeenRequest[] = [];
  public readonly faults: Fault[] = [];
  public readonly hooks: Hook[] = [];
  /** What was pushed to the Pushgateway stand-in (any path under `/metrics/`). */
  public readonly pushes: Array<{ method: string; path: string; body: string }> = [];
  /** Items per page when a list asks for more (forces paging in tests). */
  public maxPageSize = 2;
  public url = '';
  private readonly tokens = new Map<string, string>();
  private readonly grants = new Map<string, Grant[]>();
  private enforce = false;
  private server?: http.Server;
  private version = 100;

  /** Starts listening on 127.0.0.1 (HTTPS with `tls`). */
  public async start(tls?: { key: string; cert: string }): Promise<this> {
    const handler = (req: http.IncomingMessage, res: http.ServerResponse) => this.handle(req, res);
    this.server = tls ? https.createServer(tls, handler) : http.createServer(handler);
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    this.url = `${tls ? 'https' : 'http'}://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  /** The port it listens on. */
  public get port(): string {
    return new URL(this.url).port;
  }

  public async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }

  /** Authenticates `token` as the ServiceAccount `namespace/name`, and enforces RBAC from now on. */
  public serviceAccount(token: string, namespace: string, name: string): void {
    this.tokens.set(token, `system:serviceaccount:${namespace}:${name}`);
    this.enforce = true;
  }

  /** Loads the RBAC objects of a synthesized chart (Role, ClusterRole and their bindings). */
  public loadRbac(manifests: readonly object[]): void {
    const objects = manifests.filter(isObj);
    const roles = new Map(objects.filter((o) => o.kind === 'Role' || o.kind === 'ClusterRole')
      .map((o) => [`${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`, o]));
    for (const b of objects.filter((o) => o.kind === 'RoleBinding' || o.kind === 'ClusterRoleBinding')) {
      const ns = b.kind === 'RoleBinding' ? b.metadata.namespace : undefined;
      const role = roles.get(`${b.roleRef.kind}/${b.roleRef.kind === 'Role' ? ns : ''}/${b.roleRef.name}`);
      if (!role) {
        continue;
      }
      for (const s of b.subjects ?? []) {
        const user = `system:serviceaccount:${s.namespace}:${s.name}`;
        this.grants.set(user, [...(this.grants.get(user) ?? []), { namespace: ns, rules: role.rules ?? [] }]);
      }
    }
  }

  /** Adds a fault. */
  public fault(f: Fault): void {
    this.faults.push({ ...f, times: f.times ?? 1 });
  }

  /** Stores an object at `path` (the path of the object itself). */
  public put(path: string, obj: Obj): void {
    this.objects.set(path, { ...obj, metadata: { resourceVersion: String(++this.version), creationTimestamp: new Date().toISOString(), ...obj.metadata } });
  }

  /** Requests matching a method and a path prefix. */
  public seen(method: string, prefix: string): SeenRequest[] {
    return this.requests.filter((r) => r.method === method && r.path.startsWith(prefix));
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const method = req.method ?? 'GET';
      const path = req.url ?? '/';
      const body = Buffer.concat(chunks).toString('utf8');
      const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
      const seen: SeenRequest = { method, path, user: token ? this.tokens.get(token) ?? `unknown-token:${token}` : undefined, body, status: 0 };
      this.requests.push(seen);
      const fault = this.faults.find((f) => (f.times ?? 0) > 0 && (!f.method || f.method === method)
        && (typeof f.path === 'string' ? path.startsWith(f.path) : f.path.test(path)));
      if (fault) {
        fault.times = (fault.times ?? 1) - 1;
        if (fault.stall) {
          return;
        }
        if (fault.drop) {
          req.socket.destroy();
          return;
        }
        const headers: Record<string, string> = fault.retryAfter ? { 'retry-after': fault.retryAfter } : {};
        return this.send(res, seen, fault.status ?? 500, status(fault.status ?? 500, `injected fault on ${method} ${path}`), headers);
      }
      if (path.startsWith('/metrics/')) {
        this.pushes.push({ method, path, body });
        return this.send(res, seen, 200, undefined);
      }
      const denied = this.authorize(method, path, seen.user);
      if (denied) {
        return this.send(res, seen, denied[0], denied[1]);
      }
      let parsed: unknown;
      try {
        parsed = body ? JSON.parse(body) : undefined;
      } catch {
        return this.send(res, seen, 400, status(400, 'body is not JSON'));
      }
      for (const hook of this.hooks) {
        const answer = hook(method, path, parsed, this);
        if (answer) {
          return this.send(res, seen, answer[0], answer[1]);
        }
      }
      const [code, answer] = this.store(method, path, parsed, req.headers['content-type'] ?? '');
      this.send(res, seen, code, answer);
    });
  }

  private send(res: http.ServerResponse, seen: SeenRequest, code: number, body: unknown, headers: Record<string, string> = {}): void {
    seen.status = code;
    res.writeHead(code, { 'content-type': 'application/json', ...headers });
    res.end(body === undefined ? '' : JSON.stringify(body));
  }

  private authorize(method: string, path: string, user: string | undefined): [number, unknown] | undefined {
    if (!this.enforce) {
      return undefined;
    }
    if (user === undefined || user.startsWith('unknown-token:')) {
      return [401, status(401, 'Unauthorized')];
    }
    const t = targetOf(path);
    if (!t) {
      return [404, status(404, `no API at ${path}`)];
    }
    const verb = VERB[method] ?? (t.name === undefined ? 'list' : 'get');
    // A namespace object (/api/v1/namespaces/<name>) parses as cluster-scoped.
    const target = t;
    const allowed = (this.grants.get(user) ?? []).some((g) => (g.namespace === undefined || g.namespace === target.namespace)
      && g.rules.some((r) => (r.apiGroups ?? []).includes(target.group) && (r.resources ?? []).includes(target.resource) && r.verbs.includes(verb)
        && (r.resourceNames === undefined || r.resourceNames.length === 0 || (target.name !== undefined && r.resourceNames.includes(target.name)))));
    if (allowed) {
      return undefined;
    }
    const where = target.namespace ? ` in the namespace "${target.namespace}"` : ' at the cluster scope';
    return [403, status(403, `${target.resource} "${target.name ?? ''}" is forbidden: User "${user}" cannot ${verb} resource "${target.resource}" in API group "${target.group}"${where}`)];
  }

  private store(method: string, fullPath: string, body: unknown, contentType: string): [number, unknown] {
    const [path, query = ''] = fullPath.split('?');
    const params = new URLSearchParams(query);
    const existing = this.objects.get(path);
    if (method === 'GET') {
      return existing ? [200, existing] : this.list(path, params);
    }
    if (method === 'POST') {
      const obj: Obj = isObj(body) ? body : {};
      const name = obj.metadata?.name ?? `${obj.metadata?.generateName ?? 'x-'}${(++this.version).toString(36)}`;
      const at = `${path}/${name}`;
      if (this.objects.has(at)) {
        return [409, status(409, `"${name}" already exists`, 'AlreadyExists')];
      }
      this.put(at, { ...obj, metadata: { ...obj.metadata, name } });
      return [201, this.objects.get(at)];
    }
    if (!existing) {
      return [404, status(404, `${path} not found`, 'NotFound')];
    }
    if (method === 'DELETE') {
      this.objects.delete(path);
      return [200, status(200, 'deleted')];
    }
    if (method === 'PATCH' && contentType === 'application/merge-patch+json') {
      this.objects.set(path, { ...merge(existing, body), metadata: { ...merge(existing.metadata, isObj(body) ? body.metadata : undefined), resourceVersion: String(++this.version) } });
      return [200, this.objects.get(path)];
    }
    if (method === 'PATCH' && contentType === 'application/json-patch+json' && Array.isArray(body)) {
      const copy: Obj = JSON.parse(JSON.stringify(existing));
      for (const op of body) {
        const failed = applyOp(copy, op);
        if (failed) {
          return [422, status(422, failed, 'Invalid')];
        }
      }
      copy.metadata.resourceVersion = String(++this.version);
      this.objects.set(path, copy);
      return [200, copy];
    }
    return [415, status(415, `unsupported ${method} ${contentType}`)];
  }

  private list(path: string, params: URLSearchParams): [number, unknown] {
    const depth = path.split('/').length + 1;
    const selected = [...this.objects.entries()]
      .filter(([k]) => k.startsWith(`${path}/`) && k.split('/').length === depth)
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([, o]) => o)
      .filter((o) => selects(params.get('labelSelector'), (k) => o.metadata?.labels?.[k]))
      .filter((o) => selects(params.get('fieldSelector'), (k) => k.split('.').reduce<any>((v, f) => v?.[f], o)));
    if (selected.length === 0 && ![...this.objects.keys()].some((k) => k.startsWith(`${path}/`)) && !this.knownCollection(path)) {
      return [404, status(404, `${path} not found`, 'NotFound')];
    }
    const limit = Math.min(Number(params.get('limit') ?? Number.POSITIVE_INFINITY), this.maxPageSize);
    const from = Number(params.get('continue') ?? 0);
    const page = selected.slice(from, from + limit);
    const next = from + limit < selected.length ? String(from + limit) : undefined;
    return [200, { kind: 'List', items: page, metadata: next ? { continue: next } : {} }];
  }

  private knownCollection(path: string): boolean {
    return /\/(pods|events|backups|restores)$/.test(path);
  }
}

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function merge(a: unknown, b: unknown): Obj {
  const out: Obj = { ...(isObj(a) ? a : {}) };
  for (const [k, v] of Object.entries(isObj(b) ? b : {})) {
    out[k] = v === null ? undefined : isObj(v) && isObj(out[k]) ? merge(out[k], v) : v;
  }
  return out;
}

function selects(selector: string | null, value: (key: string) => unknown): boolean {
  return (selector ?? '').split(',').filter(Boolean).every((term) => {
    const [k, v] = term.split('=');
    return value(k) === v;
  });
}

/** Applies one JSON Patch `add` or `test`; the failure message, if it fails. */
function applyOp(doc: Obj, op: { op: string; path: string; value: unknown }): string | undefined {
  const keys = op.path.split('/').slice(1).map((k) => k.replace(/~1/g, '/').replace(/~0/g, '~'));
  const last = keys.pop() ?? '';
  const parent = keys.reduce<any>((v, k) => v?.[k], doc);
  if (op.op === 'test') {
    return JSON.stringify(parent?.[last]) === JSON.stringify(op.value) ? undefined : `the test of ${op.path} failed`;
  }
  if (op.op !== 'add' || parent === undefined) {
    return `cannot ${op.op} ${op.path}`;
  }
  if (Array.isArray(parent) && last === '-') {
    parent.push(op.value);
  } else {
    parent[last] = op.value;
  }
  return undefined;
}

/** A Kubernetes `Status` body. */
export function status(code: number, message: string, reason?: string): Obj {
  return { kind: 'Status', apiVersion: 'v1', status: code < 300 ? 'Success' : 'Failure', message, reason, code };
}

/** A self-signed certificate for 127.0.0.1 (made with openssl, for this test only). */
export function selfSignedCert(): { key: string; cert: string } {
  const dir = mkdtempSync(join(tmpdir(), 'stand-in-tls-'));
  try {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'),
      '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
    return { key: readFileSync(join(dir, 'key.pem'), 'utf8'), cert: readFileSync(join(dir, 'cert.pem'), 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A mounted service account as the kubelet lays it out (token, ca.crt, namespace), and the pod's service environment. */
export function mountServiceAccount(dir: string, api: ApiStandIn, token: string, namespace: string, ca?: string): NodeJS.ProcessEnv {
  writeFileSync(join(dir, 'token'), `${token}\n`);
  writeFileSync(join(dir, 'namespace'), namespace);
  if (ca !== undefined) {
    writeFileSync(join(dir, 'ca.crt'), ca);
  }
  return { KUBERNETES_SERVICE_HOST: '127.0.0.1', KUBERNETES_SERVICE_PORT: api.port };
}
