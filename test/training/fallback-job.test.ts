// The spot fallback controller's exact CronJob command, run with the pod's in-cluster credentials
// (token and CA files, KUBERNETES_SERVICE_HOST/PORT) against a loopback API stand-in over HTTPS that
// enforces the rendered RBAC, with faults injected.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, before, beforeEach, describe, it } from 'node:test';
import { Duration } from 'cdk8s';
import { ProcessRun, runNode } from '../support/process';
import { ManifestObject } from '../support/schema';
import { findObject, synthValid } from '../support/synth';
import { ApiStandIn, Obj, mountServiceAccount, selfSignedCert } from '../kube/stand-in';
import { gpuPool } from './fixtures';

const PODS = '/api/v1/namespaces/ml-train/pods';
const NODEPOOL = '/apis/karpenter.sh/v1/nodepools/cpu-train';
const TOKEN = 'controller-token';

describe('spot fallback controller job: the CronJob command in cluster, against the API stand-in', () => {
  const tls = selfSignedCert();
  let objects: ManifestObject[];
  let files: Obj;
  let command: readonly string[];
  let api: ApiStandIn;
  let dir: string;

  before(async () => {
    objects = await synthValid(gpuPool({ onDemandFallback: { after: Duration.minutes(30) } }).chart);
    files = findObject(objects, 'ConfigMap', 'cpu-train-fallback').data;
    command = findObject(objects, 'CronJob', 'cpu-train-fallback').spec.jobTemplate.spec.template.spec.containers[0].command;
  });

  beforeEach(async () => {
    api = await new ApiStandIn().start(tls);
    api.loadRbac(objects);
    api.serviceAccount(TOKEN, 'ml-train', 'cpu-train-fallback');
    api.put(NODEPOOL, { metadata: { name: 'cpu-train' }, spec: { limits: { cpu: 96, memory: '384Gi', 'nvidia.com/gpu': 8 } }, status: { resources: { cpu: '8', 'nvidia.com/gpu': '1' } } });
    for (const [name, age] of [['a', 7200], ['b', 7200], ['c', 7200], ['d', 7200], ['young', 10]] as const) {
      api.put(`${PODS}/${name}`, {
        metadata: {
          name, namespace: 'ml-train', uid: `uid-${name}`, creationTimestamp: new Date(Date.now() - age * 1000).toISOString(),
          labels: { 'ml-platform-constructs.dev/training-pool': 'cpu-train', 'ml-platform-constructs.dev/on-demand-fallback': 'allowed' },
        },
        spec: { tolerations: [], containers: [{ name: 't', resources: { requests: { cpu: '7', 'nvidia.com/gpu': '1' } } }] },
        status: { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable' }] },
      });
    }
    dir = mkdtempSync(join(tmpdir(), 'fallback-job-'));
  });

  afterEach(async () => {
    rmSync(dir, { recursive: true, force: true });
    await api.stop();
  });

  async function controller(): Promise<ProcessRun & { lines: Obj[] }> {
    const env = mountServiceAccount(dir, api, TOKEN, 'ml-train', tls.cert);
    writeFileSync(join(dir, 'spot-fallback-controller.js'), files['spot-fallback-controller.js']);
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ ...JSON.parse(files['config.json']), serviceAccountDir: dir }));
    const run = await runNode(command.map((part) => part.replace('/opt/ml-platform', dir)).slice(1), { env });
    return { ...run, lines: run.stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l)) };
  }

  const tolerated = () => ['a', 'b', 'c', 'd', 'young'].filter((n) => (api.objects.get(`${PODS}/${n}`)?.spec.tolerations ?? [])
    .some((t: Obj) => t.key === 'ml-platform-constructs.dev/on-demand-fallback'));

  it('retries a 500 on the list and a 429 on a patch, skips a vanished pod and patches every other due pod', async () => {
    api.fault({ method: 'GET', path: `${PODS}?`, status: 500 });
    api.fault({ method: 'PATCH', path: `${PODS}/c`, status: 429, retryAfter: '1' });
    // Pod b is deleted between the list and its patch.
    api.hooks.push((method, path, _body, self) => {
      if (method === 'PATCH' && path === `${PODS}/b`) {
        self.objects.delete(path);
      }
      return undefined;
    });
    const run = await controller();
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stderr, '');
    assert.deepEqual(run.lines.map((l) => [l.pod ?? 'summary', l.action ?? l.summary]), [
      ['a', 'fallback'], ['b', 'skip'], ['c', 'fallback'], ['d', 'fallback'], ['young', 'wait'],
      ['summary', { pods: 5, fallback: 3, wait: 1, skip: 1, failed: 0, warnings: 0 }],
    ]);
    assert.equal(run.lines[1].reason, 'the pod no longer exists');
    assert.deepEqual(tolerated(), ['a', 'c', 'd']);
    assert.deepEqual(api.requests.filter((r) => r.status === 401 || r.status === 403), [], 'the rendered Role and ClusterRole allow every call');
    assert.ok(api.requests.every((r) => r.user === 'system:serviceaccount:ml-train:cpu-train-fallback'));
    assert.equal(api.seen('GET', `${PODS}?`).filter((r) => r.status === 200).length, 3, 'the pod list is paged (2 per page)');
    assert.equal(api.seen('POST', '/api/v1/namespaces/ml-train/events').length, 3);
  });

  it('reports a pod it could not patch and an Event it could not record after the pass, with exit code 1', async () => {
    api.fault({ method: 'PATCH', path: `${PODS}/a`, status: 503, times: 5 });
    api.fault({ method: 'POST', path: '/api/v1/namespaces/ml-train/events', status: 403 });
    const run = await controller();
    assert.equal(run.code, 1);
    assert.deepEqual(tolerated(), ['b', 'c', 'd'], 'the other due pods were patched');
    assert.deepEqual(run.lines[run.lines.length - 1].summary, { pods: 5, fallback: 3, wait: 1, skip: 0, failed: 1, warnings: 1 });
    assert.deepEqual(run.stderr.trim().split('\n'), [
      'spot-fallback-controller: pod a: patching the pod failed: PATCH /api/v1/namespaces/ml-train/pods/a: HTTP 503: injected fault on PATCH /api/v1/namespaces/ml-train/pods/a (gave up after 5 attempts)',
      'spot-fallback-controller: pod b: the Event was not recorded: POST /api/v1/namespaces/ml-train/events: HTTP 403: injected fault on POST /api/v1/namespaces/ml-train/events',
    ]);
  });

  it('lets no pod fall back without the spot NodePool, and says why', async () => {
    api.objects.delete(NODEPOOL);
    const run = await controller();
    assert.equal(run.code, 1);
    assert.deepEqual(tolerated(), []);
    assert.match(run.stderr, /^spot-fallback-controller: pod a: the spot NodePool cpu-train does not exist, so its cost ceiling cannot be checked; not falling back$/m);
  });
});
