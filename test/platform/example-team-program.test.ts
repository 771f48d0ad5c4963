// Runs the churn team's example Pulumi program (examples/teams/churn) under
// the Pulumi mocks, as `pulumi up` would run it from its Pulumi.yaml, on the
// outputs the example platform stack exports (mocked as the outputs of the
// stack it references).
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type * as pulumi from '@pulumi/pulumi';
import { parse } from 'yaml';
import { TeamAwsBindings } from '../../src';
import { PlatformStack } from '../../src/pulumi';
import { MOCK_ACCOUNT, PulumiMockRecorder, promiseOf } from '../../src/testing/pulumi-mocks';
import { SHARED_PLATFORM, TRAINING_POOL } from '../../examples/platform/platform';
import { validateManifests } from '../support/schema';
import { TEST_LINKS } from '../support/synth';

const DIR = join(__dirname, '..', '..', 'examples', 'teams', 'churn');
const project = parse(readFileSync(join(DIR, 'Pulumi.yaml'), 'utf8')) as { name: string; runtime: { name: string }; main: string; config: Record<string, { default?: string }> };
const PLATFORM_STACK = 'acme/platform/prod';
const recorderReady = PulumiMockRecorder.install({ project: project.name, stack: 'prod', config: { platformStack: PLATFORM_STACK } });
const OIDC = { arn: `arn:aws:iam::${MOCK_ACCOUNT}:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/C0FFEE`, url: 'https://oidc.eks.us-east-1.amazonaws.com/id/C0FFEE' };

describe('examples/teams/churn: the churn team\'s Pulumi program', () => {
  it('is a nodejs project whose main is the program, with the platform stack as config', () => {
    assert.equal(project.runtime.name, 'nodejs');
    assert.equal(project.main, 'index.ts');
    assert.ok(existsSync(join(DIR, project.main)));
    assert.equal(project.config.platformStack.default, 'organization/platform/prod', 'the platform project\'s name (examples/platform/Pulumi.yaml)');
    assert.equal(parse(readFileSync(join(DIR, '..', '..', 'platform', 'Pulumi.yaml'), 'utf8')).name, 'platform');
  });

  it('reads the platform stack\'s outputs and creates the team\'s models, A/B test and training job on them', async () => {
    const rec = await recorderReady;
    // The outputs the platform program exports (examples/platform/index.ts exports stack.outputs).
    const platform = new PlatformStack('platform', { cluster: { name: 'prod-eks', oidcProvider: OIDC }, platform: SHARED_PLATFORM, links: TEST_LINKS });
    const outputs = Object.fromEntries(await Promise.all(Object.entries(platform.outputs).map(async ([k, o]) => [k, await promiseOf(o as pulumi.Output<unknown>)])));
    await rec.settle();
    rec.reset();
    rec.stackOutputs.set(PLATFORM_STACK, outputs);

    const program = await import('../../examples/teams/churn/index');
    const { bindings } = await program.outputs;
    const b = await promiseOf(bindings) as TeamAwsBindings;
    await rec.settle();
    assert.equal(rec.one('pulumi:pulumi:StackReference').inputs.name, PLATFORM_STACK);
    assert.deepEqual(rec.ofType('ml-platform:serving:ModelServiceAws').map((r) => r.name), ['churn-churn-model', 'churn-offer-ranker', 'churn-offer-ranker-uplift']);
    assert.deepEqual(rec.ofType('ml-platform:drift:DriftMonitoringAws').map((r) => r.name), ['churn-churn-model-drift']);
    assert.equal(rec.ofType('aws:s3/bucket:Bucket').length, 0, 'every bucket is the platform\'s');
    assert.equal(b.models?.['offer-ranker'].modelUri, 's3://platform-dr-model-artifacts-mock/models/offer-ranker/');
    assert.deepEqual(b.trainingJobs?.['churn-retrain'], {
      roleArn: `arn:aws:iam::${MOCK_ACCOUNT}:role/churn-training-churn-retrain-irsa-role-mock`,
      checkpointUri: 's3://platform-training-checkpoints-mock/checkpoints/ml-churn/churn-retrain/',
    });

    const objs = rec.one('kubernetes:yaml/v2:ConfigGroup').inputs.objs as any[];
    await validateManifests(objs);
    // Only the gateway's per-host EnvoyFilters leave the team namespace: Istio applies a filter's workloadSelector in the filter's own namespace.
    const elsewhere = objs.filter((o) => !(o.kind === 'Namespace' || o.metadata.namespace === 'ml-churn' || o.kind.startsWith('Cluster')));
    assert.ok(elsewhere.length > 0 && elsewhere.every((o) => o.kind === 'EnvoyFilter' && o.metadata.namespace === 'istio-ingress'),
      `the team deploys into its namespace and the gateway's: ${elsewhere.map((o) => `${o.kind}/${o.metadata.namespace}/${o.metadata.name}`).join(', ')}`);
    const count = (kind: string) => objs.filter((o) => o.kind === kind).length;
    assert.equal(count('Rollout'), 1, 'the churn model\'s canary');
    assert.equal(count('Deployment'), 2, 'the two offer rankers of the experiment');
    assert.deepEqual(objs.filter((o) => o.kind === 'VirtualService').map((o) => o.metadata.name), ['churn-model', 'offer-uplift']);
    const job = objs.find((o) => o.kind === 'Job' && o.metadata.name === 'churn-retrain');
    assert.deepEqual(job.spec.template.spec.nodeSelector, { 'ml-platform-constructs.dev/training-pool': TRAINING_POOL });
    assert.equal(job.spec.template.spec.containers[0].env.find((e: any) => e.name === 'CHECKPOINT_URI').value, b.trainingJobs?.['churn-retrain'].checkpointUri);
    assert.equal(objs.find((o) => o.kind === 'ServiceAccount' && o.metadata.name === 'churn-retrain').metadata.annotations['eks.amazonaws.com/role-arn'],
      b.trainingJobs?.['churn-retrain'].roleArn);
  });
});
