// One way to give a workload an AWS identity (issue 15): AwsIdentity.irsa / podIdentity / external,
// and a ValidationError naming what to pass when a workload that calls AWS has none.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import {
  AWS_IDENTITY_ANNOTATION, AwsIdentity, CostPreset, DriftCronJob, FeatureStore, IRSA_ROLE_ARN_ANNOTATION, ModelService, OfflineStore, SpotTrainingPool,
} from '../../src';
import { ChurnFeaturesChart } from '../../examples/churn-features';
import { buildLayeredExamples } from '../../examples/gitops/layered';
import { CHURN_FEATURES } from '../../examples/churn-feature-definitions';
import { assertValidationError } from '../support/assert';
import { CARD, IMAGE, VERSION } from '../support/fixtures';
import { workloadsWithoutAwsIdentity } from '../support/identity';
import { findObject, synthValid, testChart } from '../support/synth';

const ROLE = 'arn:aws:iam::123456789012:role/ml-churn-drift';
const HINT = "pass AwsIdentity.irsa('arn:aws:iam::<account>:role/<role>'), AwsIdentity.podIdentity() (association created on the AWS side) or AwsIdentity.external() (provided elsewhere)";

function drift(identity: AwsIdentity | undefined, uri = 's3://ml-data/churn/reference.parquet') {
  const { chart } = testChart('ml-churn');
  const model = new ModelService(chart, 'churn-model', { image: IMAGE, version: VERSION, modelCard: CARD, preset: CostPreset.STAGING });
  new DriftCronJob(chart, 'drift', {
    model, reference: { uri }, current: { uri: uri.replace('reference', 'current') }, features: [{ name: 'age', type: 'numeric' }], awsIdentity: identity,
  });
  return chart;
}

describe('AwsIdentity', () => {
  it('annotates the ServiceAccount: the IRSA role, or the declared kind', async () => {
    const sa = async (identity: AwsIdentity) => findObject(await synthValid(drift(identity)), 'ServiceAccount', 'churn-model-drift').metadata.annotations;
    assert.deepEqual(await sa(AwsIdentity.irsa(ROLE)), { [IRSA_ROLE_ARN_ANNOTATION]: ROLE, [AWS_IDENTITY_ANNOTATION]: 'irsa' });
    assert.deepEqual(await sa(AwsIdentity.podIdentity()), { [AWS_IDENTITY_ANNOTATION]: 'pod-identity' }, 'EKS Pod Identity needs no annotation: the association is on the AWS side');
    assert.deepEqual(await sa(AwsIdentity.external()), { [AWS_IDENTITY_ANNOTATION]: 'external' });
  });

  it('rejects a role ARN that is not an IAM role', () => {
    assertValidationError(() => drift(AwsIdentity.irsa('arn:aws:iam::123:user/x')), 'test/drift', "'awsIdentity.roleArn'", 'must be an IAM role ARN');
  });

  it('fails a drift check that reads S3 without an identity, naming the property, the locations and what to pass', () => {
    assertValidationError(() => drift(undefined), 'test/drift', "'awsIdentity' (unset)",
      'the workload calls AWS (s3://ml-data/churn/reference.parquet, s3://ml-data/churn/current.parquet)', HINT);
  });

  it('asks nothing of a drift check on local files (it calls no AWS API)', async () => {
    const objects = await synthValid(drift(undefined, '/data/reference.csv'));
    assert.deepEqual(findObject(objects, 'ServiceAccount', 'churn-model-drift').metadata.annotations ?? {}, {});
  });

  it('refuses an identity that contradicts an IRSA annotation given as well', () => {
    const { chart } = testChart('ml-churn');
    const model = new ModelService(chart, 'churn-model', { image: IMAGE, version: VERSION, modelCard: CARD, preset: CostPreset.STAGING });
    assert.throws(() => new DriftCronJob(chart, 'drift', {
      model, reference: { uri: 's3://ml-data/r.csv' }, current: { uri: 's3://ml-data/c.csv' }, features: [{ name: 'age', type: 'numeric' }],
      awsIdentity: AwsIdentity.podIdentity(), serviceAccountAnnotations: { [IRSA_ROLE_ARN_ANNOTATION]: ROLE },
    }), /'awsIdentity' \("pod-identity"\): contradicts the 'eks.amazonaws.com\/role-arn' ServiceAccount annotation/);
  });

  it('fails a training job that checkpoints to S3 without an identity', () => {
    const { chart } = testChart('ml-train');
    const pool = new SpotTrainingPool(chart, 'pool', { clusterName: 'ml', nodeRole: 'KarpenterNodeRole-ml', limits: { cpu: 16, memory: Size.gibibytes(64) } });
    assertValidationError(() => pool.addTrainingJob('resnet', {
      image: 'myregistry.io/trainer:1.4.0', checkpoint: { uri: 's3://ckpt/resnet/' },
      resources: { cpu: { request: kplus.Cpu.units(1), limit: kplus.Cpu.units(1) }, memory: { request: Size.gibibytes(1), limit: Size.gibibytes(1) } },
    }), 'test/pool/resnet', "'awsIdentity' (unset)", 's3://ckpt/resnet/ (checkpoints)', HINT);
  });

  it('fails a feature store on S3 without an identity, and gives the jobs their own when asked', async () => {
    const props = { features: CHURN_FEATURES, preset: CostPreset.DEV, project: 'churn', offlineStore: OfflineStore.file({ baseUri: 's3://ml-features/offline/' }), registry: { path: 's3://ml-features/registry.db' } };
    assertValidationError(() => new FeatureStore(testChart('ml').chart, 'features', props), 'test/features', "'awsIdentity' (unset)", 's3://ml-features/registry.db (registry)', HINT);
    const { chart } = testChart('ml');
    new FeatureStore(chart, 'features', { ...props, awsIdentity: AwsIdentity.irsa(ROLE), jobsAwsIdentity: AwsIdentity.external() });
    const objects = await synthValid(chart);
    assert.equal(findObject(objects, 'ServiceAccount', 'features').metadata.annotations[IRSA_ROLE_ARN_ANNOTATION], ROLE);
    assert.deepEqual(findObject(objects, 'ServiceAccount', 'features-materialize').metadata.annotations, { [AWS_IDENTITY_ANNOTATION]: 'external' });
    assert.deepEqual(workloadsWithoutAwsIdentity(objects), []);
  });
});

describe('workloadsWithoutAwsIdentity (the audit the examples run)', () => {
  const cronJob = (sa: string) => ({
    kind: 'CronJob', metadata: { name: 'job', namespace: 'ml' },
    spec: { jobTemplate: { spec: { template: { spec: { serviceAccountName: sa, volumes: [{ name: 'files', configMap: { name: 'job' } }] } } } } },
  });
  const config = { kind: 'ConfigMap', metadata: { name: 'job', namespace: 'ml' }, data: { 'config.json': '{"reference":{"uri":"s3://b/k.csv"}}' } };

  it('flags a workload whose mounted config reads S3 and whose ServiceAccount declares nothing', () => {
    assert.deepEqual(workloadsWithoutAwsIdentity([cronJob('job'), config, { kind: 'ServiceAccount', metadata: { name: 'job', namespace: 'ml' } }]), ['CronJob/ml/job -> job']);
    assert.deepEqual(workloadsWithoutAwsIdentity([cronJob('job'), config]), ['CronJob/ml/job -> job'], 'a missing ServiceAccount is no identity');
  });

  it('accepts an IRSA role or a declared identity, and ignores workloads that call no AWS API', () => {
    const sa = (annotations: Record<string, string>) => ({ kind: 'ServiceAccount', metadata: { name: 'job', namespace: 'ml', annotations } });
    assert.deepEqual(workloadsWithoutAwsIdentity([cronJob('job'), config, sa({ [IRSA_ROLE_ARN_ANNOTATION]: ROLE })]), []);
    assert.deepEqual(workloadsWithoutAwsIdentity([cronJob('job'), config, sa({ [AWS_IDENTITY_ANNOTATION]: 'pod-identity' })]), []);
    assert.deepEqual(workloadsWithoutAwsIdentity([cronJob('job'), { ...config, data: { 'config.json': '{"prometheus":"http://p:9090"}' } }]), []);
  });

  it('passes the churn features example (GitOps): its store and jobs carry the IRSA role of the typed example config', async () => {
    const objects = await synthValid(new ChurnFeaturesChart(testChart().app));
    assert.deepEqual(workloadsWithoutAwsIdentity(objects), []);
    assert.equal(findObject(objects, 'ServiceAccount', 'features').metadata.annotations[IRSA_ROLE_ARN_ANNOTATION], 'arn:aws:iam::123456789012:role/ml-churn-dev-features');
  });

  it('passes the layered GitOps example (platform and churn team): every workload that calls AWS has a role or a declared identity', () => {
    const outdir = mkdtempSync(join(tmpdir(), 'identities-'));
    try {
      buildLayeredExamples(outdir);
      const files = readdirSync(outdir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile() && e.name.endsWith('.k8s.yaml'));
      const objects = files.flatMap((e) => parseAllDocuments(readFileSync(join(e.parentPath, e.name), 'utf8')).map((d) => d.toJS()));
      assert.ok(objects.some((o) => o?.kind === 'CronJob' && o.metadata.name === 'churn-model-drift'), 'the team renders its drift check');
      assert.deepEqual(workloadsWithoutAwsIdentity(objects.filter((o) => o !== null)), []);
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  });
});
