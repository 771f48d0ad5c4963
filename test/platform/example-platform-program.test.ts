// Runs the platform team's example Pulumi program (examples/platform) under
// the Pulumi mocks, as `pulumi up` would run it from its Pulumi.yaml: the
// project name and the required config come from that file.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { PLATFORM_CONTRACT_VERSION, parsePlatformContract } from '../../src';
import { MOCK_ACCOUNT, PulumiMockRecorder, promiseOf } from '../../src/testing/pulumi-mocks';
import { TRAINING_POOL } from '../../examples/platform/platform';
import type * as pulumi from '@pulumi/pulumi';
import { validateManifests } from '../support/schema';

const DIR = join(__dirname, '..', '..', 'examples', 'platform');
const project = parse(readFileSync(join(DIR, 'Pulumi.yaml'), 'utf8')) as { name: string; runtime: { name: string }; main: string; config: Record<string, { default?: unknown }> };
const CONFIG: Record<string, string> = {
  clusterName: 'prod-eks',
  oidcProviderArn: `arn:aws:iam::${MOCK_ACCOUNT}:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/C0FFEE`,
  oidcProviderUrl: 'https://oidc.eks.us-east-1.amazonaws.com/id/C0FFEE',
  grafanaUrl: 'https://grafana.example.com',
  runbookBaseUrl: 'https://git.example.com/ml-gitops/blob/main/dist/runbooks',
  kubeconfig: 'apiVersion: v1\nkind: Config\n',
};
const recorderReady = PulumiMockRecorder.install({ project: project.name, stack: 'prod', config: CONFIG, secretKeys: ['kubeconfig'] });

describe('examples/platform: the platform team\'s Pulumi program', () => {
  it('is a nodejs project whose main is the program, and declares the config it requires', () => {
    assert.equal(project.runtime.name, 'nodejs');
    assert.equal(project.main, 'index.ts');
    assert.ok(existsSync(join(DIR, project.main)));
    assert.equal(project.name, 'platform', 'team stacks reference <org>/platform/<stack>');
    const required = Object.entries(project.config).filter(([, c]) => c.default === undefined).map(([k]) => k).sort();
    assert.deepEqual(required, ['clusterName', 'grafanaUrl', 'oidcProviderArn', 'oidcProviderUrl', 'runbookBaseUrl']);
  });

  it('creates the platform\'s AWS halves and chart, and exports the contract one output per field', async () => {
    const rec = await recorderReady;
    const program = await import('../../examples/platform/index');
    const outputs = Object.fromEntries(await Promise.all(Object.entries(program).map(async ([k, o]) => [k, await promiseOf(o as pulumi.Output<unknown>)])));
    await rec.settle();
    const contract = parsePlatformContract(outputs, 'examples/platform');
    assert.equal(contract.contractVersion, PLATFORM_CONTRACT_VERSION);
    assert.deepEqual(contract.namespaces, { platform: 'ml-platform', teams: { churn: 'ml-churn' } });
    assert.equal(contract.cluster.name, 'prod-eks');
    assert.equal(contract.buckets.artifacts, 'platform-dr-model-artifacts-mock', 'the DR-replicated artifact bucket');
    assert.equal(contract.buckets.checkpoints, 'platform-training-checkpoints-mock', 'the training pool\'s checkpoint bucket');
    assert.deepEqual(contract.training?.pools.map((p) => p.name), [TRAINING_POOL]);

    for (const type of ['ml-platform:stacks:PlatformStack', 'ml-platform:dr:PlatformBackupsAws', 'ml-platform:training:SpotTrainingPoolAws', 'aws:iam/instanceProfile:InstanceProfile']) {
      assert.equal(rec.ofType(type).length, 1, type);
    }
    assert.equal(rec.ofType('aws:dynamodb/table:Table').length, 2, 'the feature store\'s online tables');
    assert.equal(rec.ofType('ml-platform:serving:ModelServiceAws').length, 0, 'no models: they are the teams\'');
    assert.equal(rec.ofType('aws:iam/rolePolicy:RolePolicy').filter((r) => r.name.includes('-irsa-')).some((r) => r.name.startsWith('platform-training-')), false,
      'no training job roles: the jobs are the teams\'');
    const group = rec.one('kubernetes:yaml/v2:ConfigGroup');
    assert.match(group.provider ?? '', /pulumi:providers:kubernetes::platform-k8s::/, 'deployed with the kubeconfig of the stack config');
    const objs = group.inputs.objs as any[];
    await validateManifests(objs);
    assert.deepEqual(objs.filter((o) => o.kind === 'NodePool').map((o) => o.metadata.name), [TRAINING_POOL]);
    const taints = objs.find((o) => o.kind === 'NodePool').spec.template.spec.taints;
    assert.deepEqual(taints.map((t: any) => ({ ...t, operator: 'Equal' })), contract.training?.pools[0].tolerations, 'the contract\'s toleration is the pool\'s taint');
    assert.deepEqual(objs.filter((o) => o.kind === 'Namespace').map((o) => o.metadata.name), ['ml-platform', 'ml-churn']);

    // Karpenter, installed by the program, on one cluster name, passing the node role and reading the queue.
    const karpenter = rec.one('kubernetes:helm.sh/v3:Release', 'platform-addons-karpenter').inputs as any;
    assert.deepEqual(karpenter.values.settings, { clusterName: contract.cluster.name, interruptionQueue: outputs.interruptionQueueName });
    const nodeClass = objs.find((o) => o.kind === 'EC2NodeClass');
    assert.deepEqual(nodeClass.spec.subnetSelectorTerms, [{ tags: { 'karpenter.sh/discovery': contract.cluster.name } }], 'discovery tags name the cluster');
    const controller = JSON.parse(String(rec.one('aws:iam/rolePolicy:RolePolicy', 'platform-addons-karpenter-irsa-policy').inputs.policy)).Statement as any[];
    const nodeRole = rec.one('aws:iam/role:Role', 'platform-training-node-role').state.arn;
    assert.deepEqual(controller.filter((st) => st.Action.includes('iam:PassRole')).map((st) => st.Resource), [[nodeRole]]);
    assert.deepEqual(controller.find((st) => st.Sid === 'AllowInterruptionQueueActions').Resource,
      [`arn:aws:sqs:us-east-1:${MOCK_ACCOUNT}:${String(outputs.interruptionQueueName)}`]);
  });
});
