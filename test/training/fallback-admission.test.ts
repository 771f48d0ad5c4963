// The fallback controller's ValidatingAdmissionPolicy, evaluated with a CEL engine (@bufbuild/cel) against
// the controller's own patch (allowed) and against what a hijacked token would try (denied).
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { Duration } from 'cdk8s';
import { fallbackPatch } from '../../src/training/fallback';
import { FALLBACK_AT_ANNOTATION, FALLBACK_POD_LABEL, FALLBACK_TAINT_KEY, TRAINING_POOL_LABEL } from '../../src/training/scheduling';
import { evaluatePolicy } from '../support/admission';
import { ManifestObject } from '../support/schema';
import { findObject, objectsOfKind, synthValid } from '../support/synth';
import { JOB, cpuPool } from './fixtures';

const SA = 'system:serviceaccount:ml-train:cpu-train-fallback';

function pod(): any {
  return {
    metadata: {
      name: 'train-1', namespace: 'ml-train', uid: 'u1', creationTimestamp: '2026-01-01T00:00:00Z',
      labels: { [TRAINING_POOL_LABEL]: 'cpu-train', [FALLBACK_POD_LABEL]: 'allowed', app: 'resnet' },
      annotations: { team: 'vision' },
      ownerReferences: [{ apiVersion: 'batch/v1', kind: 'Job', name: 'resnet', uid: 'j1' }],
    },
    spec: {
      containers: [{ name: 'train', image: 'myregistry.io/trainer:1.4.0' }],
      tolerations: [{ key: 'ml-platform-constructs.dev/training-pool', operator: 'Equal', value: 'cpu-train', effect: 'NoSchedule' }],
      nodeSelector: { 'karpenter.sh/nodepool': 'cpu-train' },
      terminationGracePeriodSeconds: 30,
    },
    status: { phase: 'Pending' },
  };
}

/** Applies JSON Patch `add`/`test` operations (all the controller sends) to a copy. */
function patched(doc: Record<string, any>, ops: ReadonlyArray<{ op: string; path: string; value?: unknown }>): Record<string, any> {
  const out = structuredClone(doc);
  for (const op of ops.filter((o) => o.op === 'add')) {
    const keys = op.path.split('/').slice(1).map((k) => k.replace(/~1/g, '/').replace(/~0/g, '~'));
    const last = keys.pop() ?? '';
    const parent = keys.reduce<any>((v, k) => v[k], out);
    if (Array.isArray(parent) && last === '-') parent.push(op.value);
    else parent[last] = op.value;
  }
  return out;
}

describe('spot fallback controller: admission policy (CEL evaluated)', () => {
  let objects: ManifestObject[];
  let policy: Record<string, any>;
  const now = new Date('2026-01-01T01:00:00Z');
  const allowedUpdate = () => patched(pod(), fallbackPatch(pod(), 'cpu-train', now));
  const check = (object: unknown, oldObject: unknown = pod(), username = SA) => evaluatePolicy({ spec: policy.spec }, { object, oldObject, operation: 'UPDATE', username });

  before(async () => {
    objects = await synthValid(cpuPool({ onDemandFallback: { after: Duration.minutes(30) } }).chart);
    policy = findObject(objects, 'ValidatingAdmissionPolicy', 'ml-train-cpu-train-fallback');
  });

  it('renders a v1 policy bound with Deny, matching pod UPDATEs in the namespace by the controller only, and failing closed', () => {
    const binding = findObject(objects, 'ValidatingAdmissionPolicyBinding', 'ml-train-cpu-train-fallback');
    assert.equal(policy.apiVersion, 'admissionregistration.k8s.io/v1');
    assert.equal(policy.metadata.namespace, undefined);
    assert.equal(policy.spec.failurePolicy, 'Fail');
    assert.deepEqual(policy.spec.matchConstraints.resourceRules, [{ apiGroups: [''], apiVersions: ['v1'], resources: ['pods'], operations: ['UPDATE'] }]);
    assert.deepEqual(policy.spec.matchConstraints.namespaceSelector, { matchLabels: { 'kubernetes.io/metadata.name': 'ml-train' } });
    assert.deepEqual(binding.spec, { policyName: policy.metadata.name, validationActions: ['Deny'] });
  });

  it("admits the controller's own patch: the fallback toleration and the annotation", () => {
    const update = allowedUpdate();
    assert.ok(update.spec.tolerations.some((t: any) => t.key === FALLBACK_TAINT_KEY));
    assert.ok(FALLBACK_AT_ANNOTATION in update.metadata.annotations);
    assert.deepEqual(check(update), { matched: true, denied: [] });
  });

  it('admits the patch of a pod without tolerations or annotations', () => {
    const bare = pod();
    delete bare.spec.tolerations;
    delete bare.metadata.annotations;
    assert.deepEqual(check(patched(bare, fallbackPatch(bare, 'cpu-train', now)), bare).denied, []);
  });

  it('ignores everyone else (matchConditions on the username)', () => {
    const update = allowedUpdate();
    update.spec.containers[0].image = 'evil.io/miner:1';
    assert.equal(check(update, pod(), 'system:serviceaccount:ml-train:other').matched, false);
  });

  const forbidden: Array<[string, (p: Record<string, any>) => void, RegExp]> = [
    ['an image change', (p) => { p.spec.containers[0].image = 'evil.io/miner:1'; }, /images/],
    ['a label change', (p) => { p.metadata.labels.app = 'other'; }, /labels/],
    ['a removed label', (p) => { delete p.metadata.labels.app; }, /labels/],
    ['another annotation', (p) => { p.metadata.annotations['iam.amazonaws.com/role'] = 'admin'; }, /annotations/],
    ['an extra toleration', (p) => { p.spec.tolerations.push({ key: 'dedicated', operator: 'Exists' }); }, /only add the toleration/],
    ['a wildcard toleration instead', (p) => { p.spec.tolerations[p.spec.tolerations.length - 1] = { operator: 'Exists' }; }, /only add the toleration/],
    ["another pool's toleration", (p) => { p.spec.tolerations[p.spec.tolerations.length - 1].value = 'gpu-train'; }, /only add the toleration/],
    ['a toleration with tolerationSeconds', (p) => { p.spec.tolerations[p.spec.tolerations.length - 1].tolerationSeconds = 5; }, /only add the toleration/],
    ['a changed deadline', (p) => { p.spec.activeDeadlineSeconds = 1; }, /deadlines/],
    ['a new owner', (p) => { p.metadata.ownerReferences = []; }, /owners/],
  ];
  for (const [what, change, message] of forbidden) {
    it(`denies ${what}`, () => {
      const update = allowedUpdate();
      change(update);
      const outcome = check(update);
      assert.equal(outcome.matched, true);
      assert.ok(outcome.denied.some((m) => message.test(m)), `denied: ${outcome.denied.join(' | ')}`);
    });
  }

  it('denies a patch without the toleration (annotation only)', () => {
    const update = pod();
    update.metadata.annotations[FALLBACK_AT_ANNOTATION] = now.toISOString();
    assert.ok(check(update).denied.some((m) => /only add the toleration/.test(m)));
  });

  it("denies patching a pod that is not one of the pool's fallback candidates", () => {
    const other = pod();
    other.metadata.labels[FALLBACK_POD_LABEL] = 'denied';
    assert.ok(check(patched(other, fallbackPatch(other, 'cpu-train', now)), other).denied.some((m) => /may only update pods labelled/.test(m)));
  });

  it('has a default-deny NetworkPolicy whose only egress besides DNS is the API server', () => {
    const np = findObject(objects, 'NetworkPolicy', 'cpu-train-fallback');
    const cron = findObject(objects, 'CronJob', 'cpu-train-fallback');
    const podLabels = cron.spec.jobTemplate.spec.template.metadata.labels;
    assert.ok(Object.entries(np.spec.podSelector.matchLabels).every(([k, v]) => podLabels[k] === v));
    assert.deepEqual(np.spec.policyTypes, ['Ingress', 'Egress']);
    assert.deepEqual(np.spec.ingress, []);
    assert.equal(np.spec.egress.length, 2);
    assert.deepEqual(np.spec.egress[1].ports.map((p: any) => p.port), [443, 6443]);
    assert.equal(objectsOfKind(objects, 'NetworkPolicy').length, 1);
  });

  it('narrows the API server egress to the declared CIDRs', async () => {
    const narrowed = await synthValid(cpuPool({ onDemandFallback: { after: Duration.minutes(30), network: { apiServerCidrs: ['10.0.0.0/16'] } } }).chart);
    assert.deepEqual(findObject(narrowed, 'NetworkPolicy', 'cpu-train-fallback').spec.egress[1].to, [{ ipBlock: { cidr: '10.0.0.0/16' } }]);
  });
});

describe('training job: default-deny NetworkPolicy', () => {
  it('admits egress to DNS, AWS on 443 (narrowed to network.awsCidrs) and the declared endpoints only', async () => {
    const { chart, pool } = cpuPool();
    pool.addTrainingJob('resnet', { ...JOB, egressUrls: ['http://mlflow.tracking.svc:5000'], network: { awsCidrs: ['10.0.8.0/24'] } });
    const np = findObject(await synthValid(chart), 'NetworkPolicy', 'resnet');
    assert.deepEqual(np.spec.policyTypes, ['Ingress', 'Egress']);
    assert.deepEqual(np.spec.egress.slice(1), [
      { to: [{ ipBlock: { cidr: '10.0.8.0/24' } }], ports: [{ protocol: 'TCP', port: 443 }] },
      { to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'tracking' } }, podSelector: {} }], ports: [{ protocol: 'TCP', port: 5000 }] },
    ]);
    assert.throws(() => cpuPool().pool.addTrainingJob('bad', { ...JOB, egressUrls: ['mlflow:5000'] }), /egressUrls\[0\]/);
  });
});
