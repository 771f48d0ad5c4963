import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import { ModelServingStack, clusterFromConfig, readServingStackConfig, servingStackFromConfig } from '../../src/pulumi';
import { MOCK_ACCOUNT, promiseOf } from '../../src/testing/pulumi-mocks';
import { CARD, IMAGE, VERSION } from '../support/fixtures';
import { recorderReady } from '../support/pulumi';
import { validateManifests } from '../support/schema';
import { assertValidationError } from '../support/assert';
import { TEST_LINKS } from '../support/synth';

const CLUSTER = {
  name: 'prod-eks',
  oidcProvider: { arn: `arn:aws:iam::${MOCK_ACCOUNT}:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/C0FFEE`, url: 'https://oidc.eks.us-east-1.amazonaws.com/id/C0FFEE' },
};
const MODELS = [
  { id: 'churn-model', image: IMAGE, version: VERSION, modelCard: CARD },
  { id: 'fraud-model', image: IMAGE, version: VERSION, modelCard: CARD },
];

describe('ModelServingStack', () => {
  beforeEach(async () => (await recorderReady).reset());

  it('shares one artifact bucket, gives every model its own role, and deploys the serving chart with the role ARNs', async () => {
    const rec = await recorderReady;
    const stack = new ModelServingStack('serving', { cluster: { ...CLUSTER, kubeconfig: 'apiVersion: v1\nkind: Config\n' }, namespace: 'ml-serving', models: MODELS, imageRepositories: true, links: TEST_LINKS });
    const bindings = await promiseOf(stack.bindings);
    assert.deepEqual(Object.keys(bindings), ['churn-model', 'fraud-model']);
    assert.equal(bindings['fraud-model'].modelUri, 's3://serving-artifacts-mock/models/fraud-model/');
    await rec.settle();
    assert.equal(rec.resources.length, 1 + 8 + 2 * (1 + 3 + 3) + 1 + 2, rec.resources.map((r) => `${r.type}/${r.name}`).join('\n'));
    assert.equal(rec.ofType('aws:s3/bucket:Bucket').length, 1);
    assert.equal(rec.ofType('aws:iam/role:Role').length, 2);
    assert.equal(rec.ofType('aws:ecr/repository:Repository').length, 2);
    assert.equal((rec.one('aws:s3/bucket:Bucket').inputs.tags as Record<string, string>)['ml-platform/cluster'], 'prod-eks');
    const group = rec.one('kubernetes:yaml/v2:ConfigGroup');
    assert.match(group.provider ?? '', /pulumi:providers:kubernetes::serving-k8s::/);
    const objs = group.inputs.objs as any[];
    for (const id of ['churn-model', 'fraud-model']) {
      const sa = objs.find((o) => o.kind === 'ServiceAccount' && o.metadata.name === id);
      assert.equal(sa.metadata.annotations['eks.amazonaws.com/role-arn'], bindings[id].roleArn);
    }
    await validateManifests(objs);
  });

  it('reads the cluster from stack configuration', async () => {
    const rec = await recorderReady;
    const config = readServingStackConfig({
      require: (k: string) => ({ clusterName: 'c1', oidcProviderArn: CLUSTER.oidcProvider.arn, oidcProviderUrl: CLUSTER.oidcProvider.url } as Record<string, string>)[k],
      get: (k: string) => ({ existingArtifactBucket: 'corp-models', ...TEST_LINKS } as Record<string, string | undefined>)[k],
      getSecret: () => undefined,
      getBoolean: () => undefined,
    } as never);
    assert.deepEqual({ ...config, kubeconfig: undefined }, { clusterName: 'c1', oidcProviderArn: CLUSTER.oidcProvider.arn, oidcProviderUrl: CLUSTER.oidcProvider.url,
      kubeconfig: undefined, namespace: undefined, existingArtifactBucket: 'corp-models', imageRepositories: undefined, ...TEST_LINKS });
    assert.deepEqual(clusterFromConfig(config), { name: 'c1', oidcProvider: CLUSTER.oidcProvider, kubeconfig: undefined });
    const stack = servingStackFromConfig('cfg', [MODELS[0]], config);
    assert.equal(await promiseOf(stack.artifacts.bucketName), 'corp-models');
    await rec.settle();
    assert.equal(rec.ofType('aws:s3/bucket:Bucket').length, 0, 'an existing bucket is imported, not created');
    assert.equal(rec.resources.length, 1 + 1 + (1 + 3) + 2);
    const rules = (rec.one('kubernetes:yaml/v2:ConfigGroup').inputs.objs as any[]).filter((o) => o.kind === 'PrometheusRule');
    const alerts = rules.flatMap((r) => r.spec.groups.flatMap((g: any) => g.rules)).filter((r: any) => r.alert);
    assert.ok(alerts.length > 0 && alerts.every((a: any) => a.annotations.runbook_url.startsWith(`${TEST_LINKS.runbookBaseUrl}/`)), 'links from the stack config');
  });

  it('refuses PRODUCTION models without absolute alert links before registering anything, naming the config keys', async () => {
    const rec = await recorderReady;
    assertValidationError(() => new ModelServingStack('nolinks', { cluster: CLUSTER, namespace: 'ml-serving', models: MODELS }),
      undefined, 'nolinks', "invalid 'links.runbookBaseUrl' (unset)", 'required by the preset production', 'stack config grafanaUrl and runbookBaseUrl');
    assertValidationError(() => new ModelServingStack('relative', { cluster: CLUSTER, namespace: 'ml-serving', models: MODELS, links: { ...TEST_LINKS, grafanaUrl: 'grafana' } }),
      'ml-platform:stacks:ModelServingStack(relative)', "invalid 'links.grafanaUrl' (\"grafana\")");
    await rec.settle();
    assert.equal(rec.resources.length, 0);
  });
});
