import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  FallbackConfig, NodePoolJson, PodJson, fallbackPatch, limitsBlock, parseQuantity, planFallback, podRequests,
  reconcileOnce,
} from '../../src/training/fallback';
import { JsonPatchOperation, KubeApi, KubeResult } from '../../src/kube/kube-client';

const NOW = new Date('2026-11-20T12:00:00Z');
const CONFIG: FallbackConfig = {
  pool: 'gpu-train',
  podSelector: 'ml-platform-constructs.dev/training-pool=gpu-train,ml-platform-constructs.dev/on-demand-fallback=allowed',
  afterSeconds: 1800,
  spotNodePool: 'gpu-train',
  fallbackNodePool: 'gpu-train-on-demand',
};

function pendingPod(name: string, ageSeconds: number, overrides: { spec?: Partial<PodJson['spec']>; status?: PodJson['status']; metadata?: Partial<PodJson['metadata']> } = {}): PodJson {
  return {
    metadata: {
      name,
      uid: `uid-${name}`,
      resourceVersion: '42',
      creationTimestamp: new Date(NOW.getTime() - ageSeconds * 1000).toISOString(),
      labels: { 'ml-platform-constructs.dev/training-pool': 'gpu-train', 'ml-platform-constructs.dev/on-demand-fallback': 'allowed' },
      annotations: { 'karpenter.sh/do-not-disrupt': 'true' },
      ...overrides.metadata,
    },
    spec: {
      tolerations: [{ key: 'ml-platform-constructs.dev/training-pool', operator: 'Equal', value: 'gpu-train', effect: 'NoSchedule' }],
      containers: [{ name: 'trainer', resources: { requests: { cpu: '7', memory: '28Gi', 'nvidia.com/gpu': '1' }, limits: { cpu: '8', memory: '30Gi', 'nvidia.com/gpu': '1' } } }],
      ...overrides.spec,
    },
    status: overrides.status ?? {
      phase: 'Pending',
      conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: '0/3 nodes are available' }],
    },
  };
}

const NODEPOOL_WITH_HEADROOM: NodePoolJson = { spec: { limits: { cpu: 96, memory: '384Gi', 'nvidia.com/gpu': 8 } }, status: { resources: { cpu: '48', memory: '192Gi', 'nvidia.com/gpu': '4', nodes: '4' } } };
const NODEPOOL_AT_GPU_LIMIT: NodePoolJson = { spec: { limits: { cpu: 96, memory: '384Gi', 'nvidia.com/gpu': 8 } }, status: { resources: { cpu: '48', memory: '192Gi', 'nvidia.com/gpu': '8' } } };

describe('on-demand fallback controller: decisions', () => {
  it('parses Kubernetes quantities', () => {
    assert.equal(parseQuantity('1500m'), 1.5);
    assert.equal(parseQuantity('2Gi'), 2 * 2 ** 30);
    assert.equal(parseQuantity('100M'), 1e8);
    assert.equal(parseQuantity('1e3'), 1000);
    assert.equal(parseQuantity(8), 8);
    assert.equal(parseQuantity('.5'), 0.5);
    assert.throws(() => parseQuantity('lots'), /not a Kubernetes quantity: "lots"/);
  });

  it('sums container requests (limits stand in for missing requests) and takes the larger init container', () => {
    const pod = pendingPod('p', 0, {
      spec: {
        containers: [{ resources: { requests: { cpu: '500m' } } }, { resources: { limits: { cpu: '1', memory: '1Gi' } } }],
        initContainers: [{ resources: { requests: { cpu: '4' } } }],
      },
    });
    assert.deepEqual(podRequests(pod), { cpu: 4, memory: 2 ** 30 });
  });

  it('lets a pod that was unschedulable longer than the delay fall back when the spot pool has headroom', () => {
    const [d] = planFallback([pendingPod('resnet-abc', 1900)], NODEPOOL_WITH_HEADROOM, CONFIG, NOW);
    assert.deepEqual(d, { pod: 'resnet-abc', action: 'fallback', reason: 'unschedulable for 1900s (>= 1800s) while the spot pool has headroom', pendingSeconds: 1900 });
  });

  it('makes younger pods wait, and pods not yet marked unschedulable', () => {
    const young = pendingPod('young', 600);
    const fresh = pendingPod('fresh', 2000, { status: { phase: 'Pending', conditions: [] } });
    assert.deepEqual(planFallback([young, fresh], NODEPOOL_WITH_HEADROOM, CONFIG, NOW).map((d) => [d.pod, d.action, d.reason]), [
      ['fresh', 'wait', 'not marked unschedulable by the scheduler yet'],
      ['young', 'wait', 'pending 600s of the 1800s it waits for spot'],
    ]);
  });

  it('does not move pods queued by the spot pool limits onto on-demand', () => {
    const [d] = planFallback([pendingPod('queued', 4000)], NODEPOOL_AT_GPU_LIMIT, CONFIG, NOW);
    assert.equal(d.action, 'wait');
    assert.match(d.reason, /the spot pool is at its limits \(nvidia.com\/gpu: 8 of 8 in use, the pod needs 1\): the pod is queued by the cost ceiling/);
    assert.equal(limitsBlock(pendingPod('q', 0), { spec: { limits: { nodes: 4 } }, status: { resources: { nodes: '4' } } })?.startsWith('the spot pool is at its limits (nodes: 4 of 4'), true);
    assert.equal(limitsBlock(pendingPod('q', 0), undefined), undefined);
  });

  it('skips pods that are scheduled, terminating, gated, not opted in or already allowed on on-demand', () => {
    const pods = [
      pendingPod('a-running', 4000, { spec: { nodeName: 'ip-10-0-0-1' }, status: { phase: 'Running' } }),
      pendingPod('b-terminating', 4000, { metadata: { deletionTimestamp: NOW.toISOString() } }),
      pendingPod('c-gated', 4000, { spec: { schedulingGates: [{ name: 'kueue' }], containers: [] } }),
      pendingPod('d-opted-out', 4000, { metadata: { labels: { 'ml-platform-constructs.dev/training-pool': 'gpu-train' } } }),
      pendingPod('e-done', 4000, { spec: { containers: [], tolerations: [{ key: 'ml-platform-constructs.dev/on-demand-fallback', operator: 'Equal', value: 'gpu-train', effect: 'NoSchedule' }] } }),
      pendingPod('f-no-timestamp', 4000, { metadata: { creationTimestamp: undefined } }),
    ];
    assert.deepEqual(planFallback(pods, NODEPOOL_WITH_HEADROOM, CONFIG, NOW).map((d) => [d.pod, d.action, d.reason]), [
      ['a-running', 'skip', 'scheduled on ip-10-0-0-1'],
      ['b-terminating', 'skip', 'terminating'],
      ['c-gated', 'skip', 'held by scheduling gates'],
      ['d-opted-out', 'skip', 'not labelled ml-platform-constructs.dev/on-demand-fallback=allowed'],
      ['e-done', 'skip', 'already allowed on on-demand'],
      ['f-no-timestamp', 'skip', 'no creation timestamp'],
    ]);
  });

  it('patches only what Kubernetes allows on a pod: an added toleration and an annotation, guarded by the resourceVersion', () => {
    assert.deepEqual(fallbackPatch(pendingPod('p', 1900), 'gpu-train', NOW), [
      { op: 'test', path: '/metadata/resourceVersion', value: '42' },
      { op: 'add', path: '/spec/tolerations/-', value: { key: 'ml-platform-constructs.dev/on-demand-fallback', operator: 'Equal', value: 'gpu-train', effect: 'NoSchedule' } },
      { op: 'add', path: '/metadata/annotations/ml-platform-constructs.dev~1on-demand-fallback-at', value: '2026-11-20T12:00:00.000Z' },
    ]);
    const bare = pendingPod('p', 1900, { spec: { tolerations: undefined, containers: [] }, metadata: { annotations: undefined, resourceVersion: undefined } });
    assert.deepEqual(fallbackPatch(bare, 'gpu-train', NOW), [
      { op: 'add', path: '/spec/tolerations', value: [{ key: 'ml-platform-constructs.dev/on-demand-fallback', operator: 'Equal', value: 'gpu-train', effect: 'NoSchedule' }] },
      { op: 'add', path: '/metadata/annotations', value: { 'ml-platform-constructs.dev/on-demand-fallback-at': '2026-11-20T12:00:00.000Z' } },
    ]);
  });
});

/** An in-memory Kubernetes API with the calls one pass makes; `answers` short-cuts a PATCH or POST by pod name. */
class FakeApi implements KubeApi {
  public readonly namespace = 'ml-train';
  public readonly patches: Array<{ path: string; ops: readonly JsonPatchOperation[] }> = [];
  public readonly posts: Array<{ path: string; body: any }> = [];
  public readonly gets: string[] = [];
  constructor(private readonly pods: PodJson[], private readonly nodePool: NodePoolJson | undefined,
    private readonly answers: Record<string, KubeResult<unknown> | Error> = {}) {}
  public getJson<T>(path: string): Promise<T | undefined> {
    this.gets.push(path);
    return Promise.resolve(this.nodePool as T | undefined);
  }
  public list<T>(path: string): Promise<T[]> {
    this.gets.push(path);
    return Promise.resolve(this.pods as T[]);
  }
  public jsonPatch(path: string, ops: readonly JsonPatchOperation[]): Promise<KubeResult<unknown>> {
    this.patches.push({ path, ops });
    return this.answer(`patch ${path.split('/').pop()}`);
  }
  public postJson(path: string, body: any): Promise<KubeResult<unknown>> {
    this.posts.push({ path, body });
    return this.answer(`event ${body.involvedObject.name}`);
  }
  private answer(key: string): Promise<KubeResult<unknown>> {
    const a = this.answers[key] ?? { ok: true, value: {} };
    return a instanceof Error ? Promise.reject(a) : Promise.resolve(a);
  }
}

describe('on-demand fallback controller: reconcile pass', () => {
  it('lists the pool pods, reads the spot NodePool, patches pods that waited too long and records an Event', async () => {
    const api = new FakeApi([pendingPod('late', 2000), pendingPod('early', 100)], NODEPOOL_WITH_HEADROOM);
    const decisions = await reconcileOnce(api, CONFIG, { now: NOW });
    assert.deepEqual(decisions.map((d) => [d.pod, d.action]), [['early', 'wait'], ['late', 'fallback']]);
    assert.deepEqual(api.gets, [
      '/api/v1/namespaces/ml-train/pods?labelSelector=ml-platform-constructs.dev%2Ftraining-pool%3Dgpu-train%2Cml-platform-constructs.dev%2Fon-demand-fallback%3Dallowed&fieldSelector=status.phase%3DPending',
      '/apis/karpenter.sh/v1/nodepools/gpu-train',
    ]);
    assert.equal(api.patches.length, 1);
    assert.equal(api.patches[0].path, '/api/v1/namespaces/ml-train/pods/late');
    assert.deepEqual(api.patches[0].ops, fallbackPatch(pendingPod('late', 2000), 'gpu-train', NOW));
    assert.equal(api.posts.length, 1);
    assert.equal(api.posts[0].path, '/api/v1/namespaces/ml-train/events');
    assert.deepEqual([api.posts[0].body.reason, api.posts[0].body.involvedObject], ['OnDemandFallback', {
      apiVersion: 'v1', kind: 'Pod', name: 'late', namespace: 'ml-train', uid: 'uid-late', resourceVersion: '42',
    }]);
    assert.match(api.posts[0].body.message, /^Allowed onto on-demand NodePool gpu-train-on-demand: unschedulable for 2000s/);
  });

  it('changes nothing in a dry run and leaves a pod that changed meanwhile for the next run', async () => {
    const dry = new FakeApi([pendingPod('late', 2000)], NODEPOOL_WITH_HEADROOM);
    assert.deepEqual((await reconcileOnce(dry, CONFIG, { now: NOW, dryRun: true })).map((d) => d.action), ['fallback']);
    assert.deepEqual([dry.patches.length, dry.posts.length], [0, 0]);
    const raced = new FakeApi([pendingPod('late', 2000)], NODEPOOL_WITH_HEADROOM, { 'patch late': { ok: false, outcome: 'invalid', status: 422, message: 'test failed' } });
    const [d] = await reconcileOnce(raced, { ...CONFIG, namespace: 'other' }, { now: NOW });
    assert.deepEqual([d.action, d.reason], ['wait', 'the pod changed while deciding (HTTP 422); checked again next run']);
    assert.equal(raced.patches[0].path, '/api/v1/namespaces/other/pods/late');
    assert.equal(raced.posts.length, 0);
  });

  it('handles each pod on its own: a vanished pod, a failed patch and a refused Event leave the other pods patched', async () => {
    const api = new FakeApi(['a', 'b', 'c', 'd', 'e'].map((n) => pendingPod(n, 2000)), NODEPOOL_WITH_HEADROOM, {
      'patch a': { ok: false, outcome: 'notFound', status: 404, message: 'pods "a" not found' },
      'patch b': new Error('PATCH /api/v1/namespaces/ml-train/pods/b: HTTP 500: etcd down (gave up after 5 attempts)'),
      'event c': { ok: false, outcome: 'notFound', status: 404, message: 'namespace gone' },
      'event d': new Error('POST /api/v1/namespaces/ml-train/events: HTTP 403: forbidden'),
      'event e': { ok: false, outcome: 'conflict', status: 409, message: 'already exists' },
    });
    const decisions = await reconcileOnce(api, CONFIG, { now: NOW });
    assert.deepEqual(decisions.map((d) => [d.pod, d.action, d.action === 'fallback' ? d.warning : d.reason]), [
      ['a', 'skip', 'the pod no longer exists'],
      ['b', 'failed', 'patching the pod failed: PATCH /api/v1/namespaces/ml-train/pods/b: HTTP 500: etcd down (gave up after 5 attempts)'],
      ['c', 'fallback', 'the Event was not recorded (HTTP 404: namespace gone)'],
      ['d', 'fallback', 'the Event was not recorded: POST /api/v1/namespaces/ml-train/events: HTTP 403: forbidden'],
      ['e', 'fallback', undefined],
    ]);
    assert.deepEqual(api.patches.map((p) => p.path.split('/').pop()), ['a', 'b', 'c', 'd', 'e'], 'every due pod was tried');
  });

  it('lets no pod fall back when the spot NodePool is missing: its cost ceiling cannot be checked', async () => {
    const api = new FakeApi([pendingPod('late', 2000), pendingPod('early', 100)], undefined);
    const decisions = await reconcileOnce(api, CONFIG, { now: NOW });
    assert.deepEqual(decisions.map((d) => [d.pod, d.action, d.reason]), [
      ['early', 'wait', 'pending 100s of the 1800s it waits for spot'],
      ['late', 'failed', 'the spot NodePool gpu-train does not exist, so its cost ceiling cannot be checked; not falling back'],
    ]);
    assert.equal(api.patches.length, 0);
  });
});
