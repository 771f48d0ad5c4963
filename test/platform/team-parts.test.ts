import assert from 'node:assert/strict';
import { linkedApp } from '../support/synth';
import { beforeEach, describe, it } from 'node:test';
import {
  PLATFORM_CONTRACT_VERSION, PlatformChart, PlatformContract, TeamChart, ValidationError, parsePlatformContract, synthObjects,
} from '../../src';
import { PlatformReference, TeamStack } from '../../src/pulumi';
import { MOCK_ACCOUNT, promiseOf } from '../../src/testing/pulumi-mocks';
import { CHURN_MODEL } from '../../examples/churn';
import { GITOPS_PLATFORM, TRAINING_POOL } from '../../examples/platform/platform';
import { CHURN_TEAM_AB_TESTS, CHURN_TEAM_MODELS, CHURN_TEAM_TRAINING, churnTeamChart } from '../../examples/teams/churn/team';
import { parsePolicy, recorderReady } from '../support/pulumi';
import { validateManifests } from '../support/schema';

/** The contract the example platform states (its PlatformChart's, as the JSON file carries it). */
const CONTRACT: PlatformContract = JSON.parse(JSON.stringify(new PlatformChart(linkedApp(), 'platform', GITOPS_PLATFORM).contract));
const OIDC_HOST = 'oidc.eks.us-east-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE';
/** `record` without `key`. */
function without<T extends object>(record: T, key: keyof T): Partial<T> {
  return Object.fromEntries(Object.entries(record).filter(([k]) => k !== key)) as Partial<T>;
}
const TEAM = { team: 'churn', models: CHURN_TEAM_MODELS, abTests: CHURN_TEAM_AB_TESTS, trainingJobs: CHURN_TEAM_TRAINING };

function kubernetesObjects(rec: Awaited<typeof recorderReady>): any[] {
  return rec.one('kubernetes:yaml/v2:ConfigGroup').inputs.objs as any[];
}

describe('the training pool in the platform contract', () => {
  it('offers the platform chart\'s pool: its node selector, toleration and limits, and the checkpoint bucket', () => {
    assert.deepEqual(CONTRACT.training, {
      pools: [{
        name: TRAINING_POOL, gpu: false,
        nodeSelector: { 'ml-platform-constructs.dev/training-pool': TRAINING_POOL },
        tolerations: [{ key: 'ml-platform-constructs.dev/training-pool', operator: 'Equal', value: TRAINING_POOL, effect: 'NoSchedule' }],
        maxJobSize: { cpu: 64, memoryGiB: 256 },
      }],
    });
    assert.equal(CONTRACT.buckets.checkpoints, 'acme-ml-training-checkpoints');
    assert.equal(CONTRACT.contractVersion, PLATFORM_CONTRACT_VERSION, 'an optional addition: the version stays');
  });

  it('reads a contract of an earlier writer (no training output) as a platform without training, and names a mistyped pool field', () => {
    const earlier = without(CONTRACT, 'training');
    assert.equal(parsePlatformContract(earlier, 'old').training, null);
    const bad = { ...CONTRACT, training: { pools: [{ ...CONTRACT.training?.pools[0], tolerations: [{ key: 'k', operator: 'Equal', effect: 'NoSchedule' }] }] } };
    assert.throws(() => parsePlatformContract(bad, 'file x.json'), (e: unknown) => e instanceof ValidationError
      && e.property === 'training.pools[0].tolerations' && e.message.startsWith('platform contract of file x.json'));
    const twice = { ...CONTRACT, training: { pools: [CONTRACT.training?.pools[0], CONTRACT.training?.pools[0]] } };
    assert.throws(() => parsePlatformContract(twice, 'x'), (e: unknown) => e instanceof ValidationError && e.property === 'training.pools[1].name');
  });
});

describe('TeamChart: A/B tests and training jobs', () => {
  it('renders the A/B test over the team\'s models and the job on the platform\'s pool, in the team namespace, every object schema-valid', async () => {
    const app = linkedApp();
    const chart = churnTeamChart(app, CONTRACT);
    const objects = synthObjects(app) as any[];
    await validateManifests(objects);
    const vs = objects.find((o) => o.kind === 'VirtualService' && o.metadata.name === 'offer-uplift');
    assert.equal(vs.metadata.namespace, 'ml-churn');
    assert.deepEqual(vs.spec.http.map((r: any) => r.route[0].destination.host), ['offer-ranker-uplift.ml-churn.svc.cluster.local', 'offer-ranker.ml-churn.svc.cluster.local']);
    const analysis = JSON.parse(objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'offer-uplift-analysis').data['config.json']);
    assert.equal(analysis.prometheusUrl, 'http://prometheus-operated.monitoring.svc:9090', 'the Prometheus of the contract\'s monitoring namespace');
    assert.deepEqual(Object.keys(chart.abTests), ['offer-uplift']);

    const job = objects.find((o) => o.kind === 'Job' && o.metadata.name === 'churn-retrain');
    assert.equal(job.metadata.namespace, 'ml-churn');
    const pod = job.spec.template.spec;
    assert.deepEqual(pod.nodeSelector, CONTRACT.training?.pools[0].nodeSelector);
    assert.deepEqual(pod.tolerations, [{ key: 'ml-platform-constructs.dev/training-pool', operator: 'Equal', value: TRAINING_POOL, effect: 'NoSchedule' }]);
    const env = Object.fromEntries(pod.containers[0].env.map((e: any) => [e.name, e.value]));
    assert.equal(env.CHECKPOINT_URI, 's3://acme-ml-training-checkpoints/checkpoints/ml-churn/churn-retrain/', 'its prefix of the platform\'s bucket');
    assert.equal(job.metadata.labels['ml-platform-constructs.dev/on-demand-fallback'], undefined, 'no fallback: its controller watches the platform namespace only');
    assert.equal(objects.filter((o) => o.kind === 'NodePool').length, 0, 'the pool is the platform\'s');
  });

  it('refuses a job on a pool the platform does not offer, naming the job and the pools it offers', () => {
    const jobs = { 'gpu-train': { ...CHURN_TEAM_TRAINING['churn-retrain'], pool: 'gpu-training' } };
    assert.throws(() => new TeamChart(linkedApp(), 'churn', { ...TEAM, trainingJobs: jobs, platform: CONTRACT }), (e: unknown) => e instanceof ValidationError
      && e.property === 'trainingJobs.gpu-train.pool' && e.message.includes(`names no training pool of the platform (pools: ${TRAINING_POOL})`));
    assert.throws(() => new TeamChart(linkedApp(), 'churn', { ...TEAM, platform: { ...CONTRACT, training: null } }), (e: unknown) => e instanceof ValidationError
      && e.property === 'trainingJobs.churn-retrain.pool' && e.message.includes('the platform offers none'));
    const buckets = { artifacts: CONTRACT.buckets.artifacts, reports: CONTRACT.buckets.reports };
    assert.throws(() => new TeamChart(linkedApp(), 'churn', { ...TEAM, platform: { ...CONTRACT, buckets } }), (e: unknown) => e instanceof ValidationError
      && e.property === 'trainingJobs.churn-retrain' && e.message.includes('buckets.checkpoints'));
  });

  it('refuses an A/B variant that is no model of the team, or a model with a canary', () => {
    const test = CHURN_TEAM_AB_TESTS[0];
    const variants = (model: string) => [{ ...test, variants: [test.variants[0], { ...test.variants[1], model }] }];
    assert.throws(() => new TeamChart(linkedApp(), 'churn', { ...TEAM, abTests: variants('nope'), platform: CONTRACT }), (e: unknown) => e instanceof ValidationError
      && e.property === 'abTests[0].variants[1].model' && e.message.includes('names no model of the team (models: churn-model, offer-ranker, offer-ranker-uplift)'));
    assert.throws(() => new TeamChart(linkedApp(), 'churn', { ...TEAM, abTests: variants('churn-model'), platform: CONTRACT }), (e: unknown) => e instanceof ValidationError
      && e.property === 'abTests[0].variants[1].model' && e.message.includes("set 'canary: false'"));
  });
});

describe('TeamStack: the AWS half of a team\'s training jobs', () => {
  beforeEach(async () => (await recorderReady).reset());

  it('creates each job\'s IRSA role on its checkpoint prefix of the platform\'s bucket (SpotTrainingPoolAws\'s role), and binds the job to it', async () => {
    const rec = await recorderReady;
    rec.stackOutputs.set('org/platform/prod', { ...CONTRACT });
    const team = new TeamStack('churn', { platform: await PlatformReference.fromStack('org/platform/prod'), ...TEAM });
    const bindings = await promiseOf(team.bindings);
    await rec.settle();
    assert.equal(rec.ofType('aws:s3/bucket:Bucket').length, 0, 'the checkpoint bucket is the platform\'s');
    const roleArn = `arn:aws:iam::${MOCK_ACCOUNT}:role/churn-training-churn-retrain-irsa-role-mock`;
    assert.deepEqual(bindings.trainingJobs, { 'churn-retrain': { roleArn, checkpointUri: 's3://acme-ml-training-checkpoints/checkpoints/ml-churn/churn-retrain/' } });
    const policy = parsePolicy(rec.one('aws:iam/rolePolicy:RolePolicy', 'churn-training-churn-retrain-irsa-policy').inputs.policy);
    const bySid = Object.fromEntries(policy.Statement.map((s) => [s.Sid, s]));
    assert.deepEqual(bySid.WriteObjects.Resource, ['arn:aws:s3:::acme-ml-training-checkpoints/checkpoints/ml-churn/churn-retrain/*']);
    assert.deepEqual(bySid.ListPrefix.Condition, { StringLike: { 's3:prefix': ['checkpoints/ml-churn/churn-retrain/*'] } });
    assert.deepEqual(bySid.DataList0.Condition, { StringLike: { 's3:prefix': ['training/*'] } }, 'and reads its training data');
    const trust = parsePolicy(rec.one('aws:iam/role:Role', 'churn-training-churn-retrain-irsa-role').inputs.assumeRolePolicy);
    assert.equal(trust.Statement[0].Condition.StringEquals[`${OIDC_HOST}:sub`], 'system:serviceaccount:ml-churn:churn-retrain', 'trusted by the job\'s ServiceAccount only');

    const objects = kubernetesObjects(rec);
    await validateManifests(objects);
    const sa = objects.find((o) => o.kind === 'ServiceAccount' && o.metadata.name === 'churn-retrain');
    assert.equal(sa.metadata.annotations['eks.amazonaws.com/role-arn'], roleArn);
    const job = objects.find((o) => o.kind === 'Job' && o.metadata.name === 'churn-retrain');
    assert.equal(job.spec.template.spec.containers[0].env.find((e: any) => e.name === 'CHECKPOINT_URI').value, bindings.trainingJobs?.['churn-retrain'].checkpointUri);
    assert.ok(objects.some((o) => o.kind === 'VirtualService' && o.metadata.name === 'offer-uplift'), 'the A/B test deploys with the team');
  });

  it('refuses a job on a pool the platform does not offer before declaring anything', async () => {
    const rec = await recorderReady;
    const platform = PlatformReference.fromContract(CONTRACT);
    assert.throws(() => new TeamStack('churn', { platform, ...TEAM, trainingJobs: { x: { ...CHURN_TEAM_TRAINING['churn-retrain'], pool: 'gpu-training' } } }),
      (e: unknown) => e instanceof ValidationError && e.property === 'trainingJobs.x.pool' && e.message.includes(`(pools: ${TRAINING_POOL})`)
        && e.message.startsWith('ml-platform:stacks:TeamStack(churn)'));
    await rec.settle();
    assert.equal(rec.resources.length, 0);
  });

  it('reads null outputs (a platform without a gateway) and a missing training output (an earlier writer) through the StackReference', async () => {
    const rec = await recorderReady;
    const earlier = without(CONTRACT, 'training');
    rec.stackOutputs.set('org/platform/old', { ...earlier, gateway: null });
    const platform = await PlatformReference.fromStack('org/platform/old');
    assert.equal(platform.contract.gateway, null);
    assert.equal(platform.contract.training, null);
    // Without a gateway no proxy would apply a canary's route (a ValidationError): the model deploys without one.
    new TeamStack('churn', { platform, team: 'churn', models: [{ ...CHURN_MODEL, drift: undefined, canary: false }] });
    await rec.settle();
    const policy = kubernetesObjects(rec).find((o) => o.kind === 'NetworkPolicy' && o.metadata.name === 'churn-model');
    assert.ok(policy, 'the team deploys without the gateway');
  });
});
