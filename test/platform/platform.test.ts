import assert from 'node:assert/strict';
import { linkedApp } from '../support/synth';
import { execFileSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { ModelPlatformChart, ServingChart, ValidationError, synthObjects } from '../../src';
import { MOCK_ACCOUNT, PulumiMockRecorder, promiseOf } from '../../src/testing/pulumi-mocks';
import { CHURN_MODEL, CHURN_PLATFORM, ChurnChart } from '../../examples/churn';
import { validateManifests } from '../support/schema';

// This file runs the example Pulumi program, which reads stack configuration:
// the mocks are installed with the project name of Pulumi.yaml and a config.
const recorderReady = PulumiMockRecorder.install({
  project: 'ml-platform-churn',
  stack: 'dev',
  config: {
    clusterName: 'prod-eks',
    oidcProviderArn: `arn:aws:iam::${MOCK_ACCOUNT}:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/C0FFEE`,
    oidcProviderUrl: 'https://oidc.eks.us-east-1.amazonaws.com/id/C0FFEE',
    grafanaUrl: 'https://grafana.example.com',
    runbookBaseUrl: 'https://git.example.com/ml-gitops/blob/main/dist/runbooks',
    kubeconfig: 'apiVersion: v1\nkind: Config\n',
  },
  secretKeys: ['kubeconfig'],
});

function kinds(objects: ReadonlyArray<{ kind: string }>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const o of objects) out[o.kind] = (out[o.kind] ?? 0) + 1;
  return out;
}

describe('ModelPlatformChart', () => {
  it('composes the whole platform from one config: canary, drift, features, backups, training', async () => {
    const app = linkedApp();
    new ChurnChart(app);
    const objects = synthObjects(app);
    await validateManifests(objects);
    const k = kinds(objects);
    assert.equal(k.Deployment, 1, 'only the feature server: the model runs as a Rollout');
    assert.equal(k.Rollout, 1);
    assert.equal(k.AnalysisTemplate, 2);
    assert.equal(k.NodePool, 2, 'spot pool and its on-demand fallback');
    assert.equal(k.Schedule, 1);
    assert.equal(k.PrometheusRule, 5, 'model, model SLO, features, drift and backups alerts');
    const hpa = objects.find((o) => o.kind === 'HorizontalPodAutoscaler' && o.metadata?.name === 'churn-model') as any;
    assert.equal(hpa.spec.scaleTargetRef.kind, 'Rollout');
    const rollout = objects.find((o) => o.kind === 'Rollout') as any;
    const env = rollout.spec.template.spec.containers[0].env.map((e: any) => e.name);
    assert.ok(env.includes('FEAST_FEATURE_SERVER_URL'), 'the model reads features from the shared store');
    const schedule = objects.find((o) => o.kind === 'Schedule') as any;
    assert.equal(schedule.spec.schedule, '0 * * * *', 'hourly backups from a 1-hour RPO');
    assert.deepEqual(schedule.spec.template.includedNamespaces, ['ml-churn']);
  });

  it('serves several models with one feature store, backup policy and preset, without repetition', () => {
    const app = linkedApp();
    const chart = new ModelPlatformChart(app, 'two', {
      ...CHURN_PLATFORM,
      featureStore: undefined,
      training: undefined,
      models: [
        { ...CHURN_MODEL, features: undefined, drift: undefined },
        { ...CHURN_MODEL, id: 'churn-model-v2', features: undefined, drift: undefined, canary: false },
      ],
    });
    const objects = synthObjects(app);
    assert.deepEqual(Object.keys(chart.models), ['churn-model', 'churn-model-v2']);
    assert.equal(kinds(objects).Rollout, 1);
    assert.equal(kinds(objects).Deployment, 1, 'the second model opted out of the canary');
    const drill = objects.find((o) => o.kind === 'ConfigMap' && o.metadata?.name === 'ml-churn-backups-restore-drill') as any;
    assert.ok(drill, 'one drill covers the namespace');
  });

  it('renders its Namespace cluster-scoped, enforcing Pod Security restricted (the ServingChart also warns)', () => {
    const app = linkedApp();
    new ModelPlatformChart(app, 'ns', { ...CHURN_PLATFORM, featureStore: undefined, training: undefined, models: [{ ...CHURN_MODEL, features: undefined, drift: undefined }] });
    const { image, version, modelCard } = CHURN_MODEL;
    new ServingChart(app, 'serving', { namespace: 'ml-serving', models: [{ id: 'm', image, version, modelCard }] });
    const namespaces = synthObjects(app).filter((o) => o.kind === 'Namespace');
    assert.deepEqual(namespaces.map((n) => n.metadata), [
      { name: 'ml-churn', labels: { 'pod-security.kubernetes.io/enforce': 'restricted', 'pod-security.kubernetes.io/enforce-version': 'v1.28' } },
      { name: 'ml-serving', labels: { 'pod-security.kubernetes.io/enforce': 'restricted', 'pod-security.kubernetes.io/enforce-version': 'v1.28', 'pod-security.kubernetes.io/warn': 'restricted' } },
    ]);
  });

  it('rejects bad platform config with the property named', () => {
    assert.throws(() => new ModelPlatformChart(linkedApp(), 'x', { ...CHURN_PLATFORM, models: [CHURN_MODEL, CHURN_MODEL] }),
      (e: unknown) => e instanceof ValidationError && e.message.includes("'models' (\"churn-model\"): model ids must be unique"));
    assert.throws(() => new ModelPlatformChart(linkedApp(), 'y', { ...CHURN_PLATFORM, featureStore: undefined }),
      /'models\[0\]\.features'.*needs the platform featureStore/);
  });
});

describe('ModelPlatformStack through the example Pulumi program', () => {
  it('creates every AWS half and deploys the platform with AWS values in the objects', async () => {
    const rec = await recorderReady;
    const program = await import('../../examples/pulumi/index');
    const bindings = await promiseOf(program.bindings) as any;
    await rec.settle();
    // 144: the restore drill's own model role (component, role, policy) and the Velero bucket's KMS key came with issue 15/16.
    assert.equal(rec.resources.length, 144 + 1, 'every resource of the offline plan, plus the provider from the kubeconfig config');
    assert.equal(bindings.models['churn-model'].modelUri, 's3://churn-dr-model-artifacts-mock/models/churn-model/', 'artifacts in the replicated DR bucket');
    const group = rec.one('kubernetes:yaml/v2:ConfigGroup');
    assert.match(group.provider ?? '', /pulumi:providers:kubernetes::churn-k8s::/);
    const objs = group.inputs.objs as any[];
    await validateManifests(objs);
    const sa = (name: string) => objs.find((o) => o.kind === 'ServiceAccount' && o.metadata.name === name);
    assert.equal(sa('churn-model').metadata.annotations['eks.amazonaws.com/role-arn'], bindings.models['churn-model'].roleArn);
    assert.equal(sa('churn-model-drift').metadata.annotations['eks.amazonaws.com/role-arn'], bindings.driftRoles['churn-model']);
    assert.equal(sa('churn-train').metadata.annotations['eks.amazonaws.com/role-arn'], bindings.training.jobs['churn-train'].roleArn);
    const drift = JSON.parse(objs.find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'churn-model-drift').data['config.json']);
    assert.equal(drift.outputs.json, `${bindings.driftReports['churn-model']}drift-report.json`);
    const job = objs.find((o) => o.kind === 'Job' && o.metadata.name === 'churn-train');
    const env = Object.fromEntries(job.spec.template.spec.containers[0].env.map((e: any) => [e.name, e.value]));
    assert.equal(env.CHECKPOINT_URI, bindings.training.jobs['churn-train'].checkpointUri);
    const nodeClass = objs.find((o) => o.kind === 'EC2NodeClass');
    assert.equal(nodeClass.spec.instanceProfile, bindings.training.instanceProfile);
    const fsConfig = objs.find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'churn-features-config');
    assert.match(fsConfig.data['feature_store.yaml'], /type: dynamodb/);
    assert.equal(rec.ofType('aws:dynamodb/table:Table').length, 2);
    assert.equal(rec.ofType('aws:backup/plan:Plan').length, 1);
    // Every stateful part is covered by the DR policy: replicated buckets, and the online tables in the backup plan.
    const buckets = rec.ofType('ml-platform:aws:SecureBucket').map((b) => b.name).sort();
    assert.ok(!buckets.includes('churn-features-storage') && !buckets.includes('churn-churn-model-drift-bucket'), buckets.join(', '));
    assert.equal(bindings.featureStore.registryPath.startsWith('s3://churn-dr-feature-registry-mock/'), true, bindings.featureStore.registryPath);
    assert.match(bindings.driftReports['churn-model'], /^s3:\/\/churn-dr-drift-baselines-mock\/reports\/churn-model\/$/);
    const selections = rec.ofType('aws:backup/selection:Selection');
    assert.ok(selections.some((s) => (s.inputs.resources as string[] | undefined)?.some((r) => r.includes('dynamodb') || r.includes('table'))), 'the online tables are selected');
    const trainPolicy = rec.ofType('aws:iam/rolePolicy:RolePolicy').find((r) => r.name === 'churn-training-churn-train-irsa-policy')!;
    assert.match(String(trainPolicy.inputs.policy), /arn:aws:s3:::acme-ml-churn-data\/training\/\*/, 'the training job can read its data');
  });

  it('prints an offline plan that says it is not pulumi preview', () => {
    const out = execFileSync('npx', ['--no-install', 'tsx', 'scripts/plan.ts'], { encoding: 'utf8', timeout: 180_000 });
    assert.match(out, /^# Offline plan \(mocks\) of examples\/pulumi: NOT `pulumi preview`/);
    assert.match(out, /\| aws:iam\/role:Role \| churn-churn-model-irsa-role \| churn-churn-model-irsa \|/);
    assert.match(out, /\| argoproj\.io\/v1alpha1 \| Rollout \| ml-churn\/churn-model \|/);
    // The totals agree with the tables above them (no number in the README or here is typed by hand).
    const totals = /(\d+) Pulumi resources; (\d+) Kubernetes objects\./.exec(out);
    assert.ok(totals, 'prints the totals');
    const [resources, objects] = out.split(/^## Kubernetes objects/m).map((part) => part.split('\n').filter((l) => /^\| \d+ \|/.test(l)).length);
    assert.deepEqual([Number(totals[1]), Number(totals[2])], [resources, objects]);
    assert.ok(resources > 100 && objects > 50, `${resources} resources, ${objects} objects`);
  });
});
