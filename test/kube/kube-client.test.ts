import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as http from 'node:http';
import { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { KubeApiError, KubeClient, inClusterApiServer } from '../../src/kube/kube-client';
import { PrometheusClient, PrometheusError } from '../../src/kube/prometheus-client';
import { pushMetrics } from '../../src/kube/pushgateway';
import { Retrier, retryAfterMs } from '../../src/kube/retry';
import { ApiStandIn, mountServiceAccount, selfSignedCert } from './stand-in';

/** A retry policy whose waits are recorded, not slept. */
function recordedWaits(extra: Record<string, number> = {}) {
  const waits: number[] = [];
  return { waits, retry: { sleep: (ms: number) => { waits.push(ms); return Promise.resolve(); }, random: () => 0.5, ...extra } };
}

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const s = http.createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

describe('retries', () => {
  it('backs off with full jitter below a doubling ceiling, capped, and honours Retry-After up to the cap', () => {
    const r = new Retrier({ baseDelayMs: 100, maxDelayMs: 1000, random: () => 0.999 });
    assert.deepEqual([1, 2, 3, 4, 5].map((n) => r.delayMs(n)), [99, 199, 399, 799, 999]);
    assert.equal(new Retrier({ random: () => 0 }).delayMs(3), 0, 'full jitter reaches down to 0');
    assert.equal(r.delayMs(1, 400), 400, 'Retry-After wins over the backoff');
    assert.equal(r.delayMs(1, 60000), 1000, 'but not beyond the cap');
  });

  it('reads Retry-After as delay-seconds or an HTTP-date (RFC 9110 10.2.3)', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    assert.equal(retryAfterMs('3', now), 3000);
    assert.equal(retryAfterMs('Thu, 01 Jan 2026 00:00:05 GMT', now), 5000);
    assert.equal(retryAfterMs('soon', now), undefined);
    assert.equal(retryAfterMs(undefined, now), undefined);
  });

  it('stops at the attempts and at the run budget, naming the call and the last reason', async () => {
    const { retry } = recordedWaits();
    const r = new Retrier({ ...retry, attempts: 3 });
    let calls = 0;
    await assert.rejects(r.run('GET /x', () => { calls++; return Promise.resolve({ retry: 'HTTP 500: down' }); }), /^RetryError: GET \/x: HTTP 500: down \(gave up after 3 attempts\)$/);
    assert.equal(calls, 3);
    let clock = 0;
    const budget = new Retrier({ budgetMs: 1000, now: () => clock, sleep: (ms) => { clock += ms; return Promise.resolve(); }, random: () => 0.5 });
    await assert.rejects(budget.run('GET /y', () => Promise.resolve({ retry: 'HTTP 429: slow down', retryAfterMs: 600 })),
      /GET \/y: HTTP 429: slow down \(gave up after 2 attempts: the run's time budget ends before the next\)/);
    assert.equal(clock, 600);
    assert.equal(budget.requestDeadlineMs(), 400, 'a request never runs past the budget');
  });
});

describe('KubeClient against a loopback API stand-in', () => {
  let api: ApiStandIn;
  before(async () => {
    api = await new ApiStandIn().start();
  });
  after(() => api.stop());

  it('surfaces 404, 409 and 422 as outcomes and throws other errors with the Status message', async () => {
    api.put('/api/v1/namespaces/ml/pods/p', { metadata: { name: 'p', resourceVersion: '7' }, spec: { tolerations: [] } });
    const client = new KubeClient({ baseUrl: api.url, namespace: 'ml' });
    assert.deepEqual(await client.get('/api/v1/namespaces/ml/pods/gone'), { ok: false, outcome: 'notFound', status: 404, message: '/api/v1/namespaces/ml/pods/gone not found' });
    assert.equal(await client.getJson('/api/v1/namespaces/ml/pods/gone'), undefined);
    const dup = await client.create('/api/v1/namespaces/ml/pods', { metadata: { name: 'p' } });
    assert.deepEqual(dup.ok ? undefined : [dup.outcome, dup.status], ['conflict', 409]);
    const stale = await client.jsonPatch('/api/v1/namespaces/ml/pods/p', [{ op: 'test', path: '/metadata/resourceVersion', value: '6' }]);
    assert.deepEqual(stale.ok ? undefined : [stale.outcome, stale.status], ['invalid', 422]);
    const patched = await client.jsonPatch('/api/v1/namespaces/ml/pods/p', [{ op: 'add', path: '/spec/tolerations/-', value: { key: 'k' } }]);
    assert.equal(patched.ok, true);
    api.fault({ path: '/api/v1/namespaces/ml/pods/p', status: 403 });
    await assert.rejects(client.getJson('/api/v1/namespaces/ml/pods/p'), (err: unknown) => err instanceof KubeApiError && err.status === 403
      && err.message === 'GET /api/v1/namespaces/ml/pods/p: HTTP 403: injected fault on GET /api/v1/namespaces/ml/pods/p');
  });

  it('retries a 500, a 429 after its Retry-After and a dropped connection, then succeeds', async () => {
    api.put('/api/v1/namespaces/ml/configmaps/c', { metadata: { name: 'c' }, data: { a: '1' } });
    const { waits, retry } = recordedWaits();
    const client = new KubeClient({ baseUrl: api.url, namespace: 'ml', retry });
    api.fault({ path: '/api/v1/namespaces/ml/configmaps/c', status: 500 });
    api.fault({ path: '/api/v1/namespaces/ml/configmaps/c', status: 429, retryAfter: '2' });
    api.fault({ path: '/api/v1/namespaces/ml/configmaps/c', drop: true });
    const before = api.requests.length;
    assert.deepEqual((await client.getJson<{ data: unknown }>('/api/v1/namespaces/ml/configmaps/c'))?.data, { a: '1' });
    assert.equal(api.requests.length - before, 4);
    assert.deepEqual(waits, [125, 2000, 500], 'jittered backoff (random 0.5 of 250, 1000), then Retry-After: 2');
  });

  it('gives up on a refused connection after its attempts, naming the URL and the error code', async () => {
    const port = await closedPort();
    const { retry } = recordedWaits({ attempts: 3 });
    const client = new KubeClient({ baseUrl: `http://127.0.0.1:${port}`, namespace: 'ml', retry });
    await assert.rejects(client.getJson('/api/v1/namespaces/ml'),
      new RegExp(`^RetryError: GET http://127.0.0.1:${port}/api/v1/namespaces/ml: .*ECONNREFUSED.* \\(gave up after 3 attempts\\)$`));
  });

  it('ends a stalled request at its deadline and retries it', async () => {
    api.put('/api/v1/namespaces/slow', { metadata: { name: 'slow' } });
    api.fault({ path: '/api/v1/namespaces/slow', stall: true });
    const { retry } = recordedWaits({ requestTimeoutMs: 150 });
    const client = new KubeClient({ baseUrl: api.url, namespace: 'ml', retry });
    const started = Date.now();
    assert.equal((await client.getJson<{ metadata: { name: string } }>('/api/v1/namespaces/slow'))?.metadata.name, 'slow');
    assert.ok(Date.now() - started < 2000);
    api.fault({ path: '/api/v1/namespaces/slow', stall: true, times: 2 });
    const once = new KubeClient({ baseUrl: api.url, namespace: 'ml', retry: { ...retry, attempts: 2 } });
    await assert.rejects(once.getJson('/api/v1/namespaces/slow'), /no complete answer within 150ms \(gave up after 2 attempts\)/);
  });

  it('pages a list with limit and continue', async () => {
    for (const n of ['a', 'b', 'c', 'd', 'e']) {
      api.put(`/api/v1/namespaces/paged/pods/${n}`, { metadata: { name: n, labels: { app: n === 'c' ? 'other' : 'x' } } });
    }
    const client = new KubeClient({ baseUrl: api.url, namespace: 'paged', pageSize: 100 });
    const before = api.requests.length;
    const items = await client.list<{ metadata: { name: string } }>('/api/v1/namespaces/paged/pods?labelSelector=app%3Dx');
    assert.deepEqual(items.map((i) => i.metadata.name), ['a', 'b', 'd', 'e']);
    assert.deepEqual(api.requests.slice(before).map((r) => r.path), [
      '/api/v1/namespaces/paged/pods?labelSelector=app%3Dx&limit=100',
      '/api/v1/namespaces/paged/pods?labelSelector=app%3Dx&limit=100&continue=2',
    ]);
  });

  it('runs in cluster over https with the mounted token (re-read per request), CA and namespace', async () => {
    const tls = selfSignedCert();
    const secure = await new ApiStandIn().start(tls);
    const dir = mkdtempSync(join(tmpdir(), 'sa-'));
    try {
      secure.put('/api/v1/namespaces/ml-train', { metadata: { name: 'ml-train' } });
      secure.loadRbac([
        { kind: 'ClusterRole', metadata: { name: 'r' }, rules: [{ apiGroups: [''], resources: ['namespaces'], verbs: ['get'], resourceNames: ['ml-train'] }] },
        { kind: 'ClusterRoleBinding', metadata: { name: 'r' }, roleRef: { kind: 'ClusterRole', name: 'r' }, subjects: [{ kind: 'ServiceAccount', namespace: 'ml-train', name: 'ctl' }] },
      ]);
      secure.serviceAccount('token-1', 'ml-train', 'ctl');
      secure.serviceAccount('token-2', 'ml-train', 'ctl');
      const env = mountServiceAccount(dir, secure, 'token-1', 'ml-train', tls.cert);
      assert.equal(inClusterApiServer(env), secure.url);
      const client = KubeClient.inCluster({ env, dir });
      assert.equal(client.namespace, 'ml-train');
      assert.equal((await client.getJson<{ metadata: { name: string } }>('/api/v1/namespaces/ml-train'))?.metadata.name, 'ml-train');
      writeFileSync(join(dir, 'token'), 'token-2\n');
      await assert.rejects(client.getJson('/api/v1/namespaces/kube-system'), /HTTP 403: namespaces "kube-system" is forbidden: User "system:serviceaccount:ml-train:ctl" cannot get/);
      assert.deepEqual(secure.requests.map((r) => r.user), ['system:serviceaccount:ml-train:ctl', 'system:serviceaccount:ml-train:ctl']);
      writeFileSync(join(dir, 'ca.crt'), selfSignedCert().cert);
      const untrusting = KubeClient.inCluster({ env, dir, retry: { attempts: 1 } });
      await assert.rejects(untrusting.getJson('/api/v1/namespaces/ml-train'), /self-signed certificate|unable to verify/);
      assert.throws(() => KubeClient.inCluster({ env: {}, dir }), /KUBERNETES_SERVICE_HOST is not set/);
      assert.equal(inClusterApiServer({ KUBERNETES_SERVICE_HOST: 'fd00::1' }), 'https://[fd00::1]:443');
    } finally {
      rmSync(dir, { recursive: true, force: true });
      await secure.stop();
    }
  });
});

describe('PrometheusClient and pushMetrics', () => {
  let server: http.Server;
  let url: string;
  const faults: Array<{ status?: number; stall?: boolean; body?: unknown }> = [];
  const pushes: string[] = [];
  const vector = (values: string[]) => ({ status: 'success', data: { resultType: 'vector', result: values.map((v) => ({ metric: {}, value: [1, v] })) } });

  before(async () => {
    server = http.createServer((req, res) => {
      const fault = faults.shift();
      if (fault?.stall) {
        return;
      }
      const q = new URL(req.url ?? '/', 'http://x').searchParams.get('query') ?? '';
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        if (req.method !== 'GET') {
          pushes.push(body);
        }
        res.writeHead(fault?.status ?? 200, { 'content-type': 'application/json' });
        const answer = fault?.body ?? (q === 'absent_metric' ? vector([]) : q === 'zero' ? vector(['0']) : q === 'two' ? vector(['1', '2']) : vector(['42']));
        res.end(JSON.stringify(answer));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => {
    server.closeAllConnections();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('tells "no series" from 0 and refuses several series', async () => {
    const p = new PrometheusClient({ url: `${url}/` });
    assert.deepEqual(await p.scalar('absent_metric'), { kind: 'noSeries' });
    assert.deepEqual(await p.scalar('zero'), { kind: 'value', value: 0 });
    await assert.rejects(p.scalar('two'), new RegExp(`Prometheus at ${url} \\(query: two\\): expected one series, got 2`));
  });

  it('puts the URL, the query and Prometheus\'s error body into the message', async () => {
    faults.push({ status: 400, body: { status: 'error', errorType: 'bad_data', error: 'invalid parameter "query": 1:5: parse error: unexpected "("' } });
    const p = new PrometheusClient({ url });
    await assert.rejects(p.scalar('sum((x'), (err: unknown) => err instanceof PrometheusError
      && err.message === `Prometheus at ${url} (query: sum((x): HTTP 400: bad_data: invalid parameter "query": 1:5: parse error: unexpected "("`);
  });

  it('retries a 503 and a stalled request, and names Prometheus when it cannot reach it', async () => {
    faults.push({ status: 503, body: { status: 'error', errorType: 'unavailable', error: 'starting' } }, { stall: true });
    const p = new PrometheusClient({ url, retry: { requestTimeoutMs: 200, sleep: () => Promise.resolve() } });
    assert.deepEqual(await p.scalar('up'), { kind: 'value', value: 42 });
    const port = await closedPort();
    const down = new PrometheusClient({ url: `http://127.0.0.1:${port}`, retry: { attempts: 2, sleep: () => Promise.resolve() } });
    await assert.rejects(down.scalar('sum(up)'), new RegExp(`^PrometheusError: Prometheus at http://127.0.0.1:${port} \\(query: sum\\(up\\)\\): unreachable: fetch failed: .*ECONNREFUSED.* \\(gave up after 2 attempts\\)$`));
  });

  it('pushes to the Pushgateway with retries and reports a refused push with its URL', async () => {
    faults.push({ status: 502, body: {} });
    await pushMetrics(`${url}/metrics/job/j`, 'a 1\n', { retry: { sleep: () => Promise.resolve() } });
    assert.deepEqual(pushes.slice(-2), ['a 1\n', 'a 1\n']);
    faults.push({ status: 400, body: { error: 'bad text' } });
    await assert.rejects(pushMetrics(`${url}/metrics/job/j`, 'a 1\n'), new RegExp(`POST ${url}/metrics/job/j: Pushgateway answered HTTP 400`));
  });
});
