import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import { PLATFORM_CONTRACT_VERSION, PlatformContract, ValidationError, parsePlatformContract } from '../../src';
import { ModelPlatformStack, PlatformReference, PlatformStack, TeamStack } from '../../src/pulumi';
import { MOCK_ACCOUNT, RegisteredResource, promiseOf } from '../../src/testing/pulumi-mocks';
import { CHURN_MODEL, CHURN_PLATFORM } from '../../examples/churn';
import { SHARED_PLATFORM } from '../../examples/platform/platform';
import { recorderReady } from '../support/pulumi';
import { validateManifests } from '../support/schema';
import { TEST_LINKS } from '../support/synth';

const OIDC = { arn: `arn:aws:iam::${MOCK_ACCOUNT}:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/C0FFEE`, url: 'https://oidc.eks.us-east-1.amazonaws.com/id/C0FFEE' };
const CLUSTER = { name: 'prod-eks', oidcProvider: OIDC };

/**
 * What the platform stack of the single-stack example would export for the
 * churn team: its buckets are the DR-replicated ones `ModelPlatformStack`
 * creates under the name `churn` (mock names), its drill namespace the one
 * CHURN_PLATFORM's drill uses.
 */
const CONTRACT: PlatformContract = {
  contractVersion: PLATFORM_CONTRACT_VERSION,
  cluster: { name: 'prod-eks', oidcProviderArn: OIDC.arn, oidcProviderUrl: OIDC.url },
  namespaces: { platform: 'ml-platform', teams: { churn: 'ml-churn' } },
  preset: 'production',
  featureStore: {
    name: 'churn-features', namespace: 'ml-platform', project: 'churn', serverUrl: 'http://churn-features.ml-platform.svc.cluster.local:80', serverPort: 6566,
    serverSelectorLabels: { 'app.kubernetes.io/name': 'churn-features', 'app.kubernetes.io/instance': 'churn-features', 'app.kubernetes.io/component': 'feature-server' },
    featureServices: ['churn_v1'],
  },
  buckets: { artifacts: 'churn-dr-model-artifacts-mock', reports: 'churn-dr-drift-baselines-mock' },
  disasterRecovery: { rpoSeconds: 3600, rtoSeconds: 3600, retentionSeconds: 2592000, drRegion: 'us-west-2', drillNamespace: 'ml-churn-drill' },
  // CHURN_PLATFORM's ModelGateway (defaults: name 'models', HTTP port 80 behind the ALB).
  gateway: { namespace: 'istio-ingress', podLabels: { istio: 'ingressgateway' }, name: 'models', domain: 'models.acme.example', port: 80 },
  monitoring: {
    namespace: 'monitoring', selectorLabels: { release: 'kube-prometheus-stack' },
    grafanaUrl: 'https://grafana.example.com', runbookBaseUrl: 'https://git.example.com/ml-gitops/blob/main/dist/runbooks',
  },
};

/**
 * The AWS resources of the churn model (its service half and its drift half,
 * with every child), comparable across stacks: everything but the type of the
 * stack component at the top (ModelPlatformStack or TeamStack).
 */
function modelResources(resources: readonly RegisteredResource[]): Array<Pick<RegisteredResource, 'type' | 'name' | 'inputs' | 'parent'>> {
  return resources.filter((r) => r.name.startsWith('churn-churn-model'))
    .map(({ type, name, inputs, parent }) => ({ type, name, inputs, parent: parent?.type.startsWith('ml-platform:stacks:') ? { type: 'stack', name: parent.name } : parent }))
    .sort((a, b) => `${a.type}/${a.name}`.localeCompare(`${b.type}/${b.name}`));
}

function kubernetesObjects(rec: Awaited<typeof recorderReady>): any[] {
  return rec.one('kubernetes:yaml/v2:ConfigGroup').inputs.objs as any[];
}

describe('TeamStack on a platform read through a StackReference', () => {
  beforeEach(async () => (await recorderReady).reset());

  it('creates the same model resources (types, names, inputs) as the single ModelPlatformStack', async () => {
    const rec = await recorderReady;
    const single = new ModelPlatformStack('churn', { cluster: CLUSTER, platform: CHURN_PLATFORM, links: { grafanaUrl: CONTRACT.monitoring.grafanaUrl, runbookBaseUrl: CONTRACT.monitoring.runbookBaseUrl } });
    const singleBindings = await promiseOf(single.bindings);
    await rec.settle();
    const expected = modelResources(rec.resources);
    const singleObjects = kubernetesObjects(rec).filter((o) => o.metadata.namespace === 'ml-churn' && o.metadata.name.startsWith('churn-model'));
    assert.ok(expected.length >= 8, expected.map((r) => r.name).join(', '));

    rec.reset();
    rec.stackOutputs.set('org/platform/prod', { ...CONTRACT });
    const platform = await PlatformReference.fromStack('org/platform/prod');
    const team = new TeamStack('churn', { platform, team: 'churn', models: [CHURN_MODEL] });
    const bindings = await promiseOf(team.bindings);
    await rec.settle();
    assert.deepEqual(rec.one('pulumi:pulumi:StackReference').inputs.name, 'org/platform/prod');
    assert.deepEqual(modelResources(rec.resources), expected);
    assert.deepEqual(bindings.models, singleBindings.models);
    assert.deepEqual(bindings.driftReports, singleBindings.driftReports);
    assert.equal(rec.ofType('aws:s3/bucket:Bucket').length, 0, 'the platform owns the buckets');

    const objects = kubernetesObjects(rec);
    await validateManifests(objects);
    const inventory = (objs: any[]) => objs.map((o) => `${o.kind}/${o.metadata.name}`).sort();
    assert.deepEqual(inventory(objects.filter((o) => o.metadata.namespace === 'ml-churn' && o.metadata.name.startsWith('churn-model'))), inventory(singleObjects), 'the same model objects');
    // The per-host limits apply at the gateway: Istio applies an EnvoyFilter's workloadSelector in the filter's own namespace.
    assert.deepEqual(objects.filter((o) => o.metadata.namespace !== 'ml-churn' && o.kind !== 'Namespace').map((o) => `${o.kind}/${o.metadata.namespace}/${o.metadata.name}`),
      ['EnvoyFilter/istio-ingress/churn-model-edge-limits']);
    const sa = objects.find((o) => o.kind === 'ServiceAccount' && o.metadata.name === 'churn-model');
    assert.equal(sa.metadata.namespace, 'ml-churn');
    assert.equal(sa.metadata.annotations['eks.amazonaws.com/role-arn'], bindings.models?.['churn-model'].roleArn);
    const rollout = objects.find((o) => o.kind === 'Rollout');
    const env = Object.fromEntries(rollout.spec.template.spec.containers[0].env.map((e: any) => [e.name, e.value]));
    assert.equal(env.FEAST_FEATURE_SERVER_URL, CONTRACT.featureStore?.serverUrl, 'features from the platform contract');
    const policy = objects.find((o) => o.kind === 'NetworkPolicy' && o.metadata.name === 'churn-model');
    assert.ok(policy.spec.egress.some((e: any) => e.to?.[0]?.namespaceSelector?.matchLabels?.['kubernetes.io/metadata.name'] === 'ml-platform'), 'egress to the feature server in the platform namespace');
    const rules = objects.filter((o) => o.kind === 'PrometheusRule').flatMap((r) => r.spec.groups.flatMap((g: any) => g.rules)).filter((r: any) => r.alert);
    assert.ok(rules.length > 0);
    for (const rule of rules) {
      assert.ok(rule.annotations.runbook_url.startsWith(`${CONTRACT.monitoring.runbookBaseUrl}/`), `${rule.alert}: runbook link from the platform contract`);
      assert.ok(rule.annotations.dashboard_url.startsWith(`${CONTRACT.monitoring.grafanaUrl}/d/`), `${rule.alert}: panel link from the platform contract`);
    }
  });

  it('binds the team\'s routes to the gateway it is given, as TeamChart does', async () => {
    const rec = await recorderReady;
    rec.stackOutputs.set('org/platform/prod', { ...CONTRACT });
    const platform = await PlatformReference.fromStack('org/platform/prod');
    const gateway = { name: 'models', namespace: 'istio-ingress', domain: 'models.example.com', port: 443, selectorLabels: { istio: 'ingressgateway' } };
    const team = new TeamStack('churn', { platform, team: 'churn', models: [CHURN_MODEL], gateway });
    await promiseOf(team.bindings);
    await rec.settle();
    const objects = kubernetesObjects(rec);
    await validateManifests(objects);
    const vs = objects.find((o) => o.kind === 'VirtualService' && o.metadata.name === 'churn-model');
    assert.deepEqual(vs.spec.gateways, ['istio-ingress/models'], 'applied by the platform\'s ingress gateway');
    assert.deepEqual(vs.spec.hosts, ['churn-model.models.example.com']);
    const filter = objects.find((o) => o.kind === 'EnvoyFilter');
    assert.equal(filter?.metadata.namespace, 'istio-ingress', 'the edge limits go to the gateway\'s namespace');
  });

  it('fails on a contract of another version, naming the output, the stack and both versions', async () => {
    const rec = await recorderReady;
    rec.stackOutputs.set('org/platform/next', { ...CONTRACT, contractVersion: PLATFORM_CONTRACT_VERSION + 1 });
    await assert.rejects(PlatformReference.fromStack('org/platform/next'), (e: unknown) => e instanceof ValidationError
      && e.message.startsWith("platform contract of stack org/platform/next: invalid 'contractVersion' (2)")
      && e.message.includes(`reads platform contract version ${PLATFORM_CONTRACT_VERSION}`));
  });

  it('fails on a missing or mistyped output, naming it', async () => {
    const rec = await recorderReady;
    rec.stackOutputs.set('org/platform/old', Object.fromEntries(Object.entries(CONTRACT).filter(([k]) => k !== 'buckets')));
    await assert.rejects(PlatformReference.fromStack('org/platform/old'), (e: unknown) => e instanceof ValidationError
      && e.property === 'buckets' && e.message.includes('missing output'));
    rec.stackOutputs.set('org/platform/odd', { ...CONTRACT, featureStore: { ...CONTRACT.featureStore, serverUrl: 42 } });
    await assert.rejects(PlatformReference.fromStack('org/platform/odd'), (e: unknown) => e instanceof ValidationError
      && e.property === 'featureStore.serverUrl' && e.message.includes('must be a string'));
    await assert.rejects(PlatformReference.fromStack('org/platform/absent'), (e: unknown) => e instanceof ValidationError
      && e.property === 'contractVersion' && e.message.includes('missing output'));
  });

  it('refuses a team the platform does not know', () => {
    const platform = PlatformReference.fromContract(CONTRACT);
    assert.throws(() => new TeamStack('fraud', { platform, team: 'fraud', models: [CHURN_MODEL] }),
      (e: unknown) => e instanceof ValidationError && e.property === 'team' && e.message.includes('(teams: churn)'));
  });
});

describe('PlatformStack', () => {
  beforeEach(async () => (await recorderReady).reset());

  it('exports a valid contract with its AWS values, which a team stack then builds on', async () => {
    const rec = await recorderReady;
    const stack = new PlatformStack('platform', { cluster: CLUSTER, platform: SHARED_PLATFORM, links: TEST_LINKS });
    const contract = await promiseOf(stack.contract);
    await rec.settle();
    const outputs = Object.fromEntries(await Promise.all(Object.entries(stack.outputs).map(async ([k, o]) => [k, await promiseOf(o as any)])));
    assert.deepEqual(parsePlatformContract(outputs, 'test'), contract);
    assert.equal(contract.buckets.artifacts, 'platform-dr-model-artifacts-mock');
    assert.equal(contract.buckets.reports, 'platform-dr-drift-baselines-mock');
    assert.match(contract.featureStore?.binding?.serverRoleArn ?? '', /^arn:aws:iam::123456789012:role\//);
    assert.deepEqual(contract.namespaces, { platform: 'ml-platform', teams: { churn: 'ml-churn' } });
    const objects = kubernetesObjects(rec);
    await validateManifests(objects);
    assert.deepEqual(objects.filter((o) => o.kind === 'Namespace').map((n) => [n.metadata.name, n.metadata.labels['pod-security.kubernetes.io/enforce']]),
      [['ml-platform', 'restricted'], ['ml-churn', 'restricted']]);
    assert.deepEqual(objects.filter((o) => o.kind === 'Schedule').flatMap((s) => s.spec.template.includedNamespaces).sort(), ['ml-churn', 'ml-platform'], 'the teams are backed up by the platform');
    assert.equal(rec.ofType('ml-platform:serving:ModelServiceAws').length, 0, 'no models: they are the teams\'');

    rec.reset();
    rec.stackOutputs.set('org/platform/prod', outputs);
    const team = new TeamStack('churn', { platform: await PlatformReference.fromStack('org/platform/prod'), team: 'churn', models: [CHURN_MODEL] });
    const bindings = await promiseOf(team.bindings);
    assert.equal(bindings.models?.['churn-model'].modelUri, 's3://platform-dr-model-artifacts-mock/models/churn-model/');
    await rec.settle();
    await validateManifests(kubernetesObjects(rec));
  });
});
