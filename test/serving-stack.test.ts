import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { promiseOf } from '../src/testing/pulumi-mocks';
import { PulumiMockRecorder } from '../src/testing/pulumi-mocks';
import { validateManifests } from './support/schema';

// This file runs the example Pulumi program, which reads stack configuration:
// the mocks are installed with the project name of Pulumi.yaml and a config.
const recorderReady = PulumiMockRecorder.install({
  project: 'ml-platform-churn',
  stack: 'dev',
  config: {
    clusterName: 'prod-eks',
    oidcProviderArn: 'arn:aws:iam::123456789012:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/C0FFEE',
    oidcProviderUrl: 'https://oidc.eks.us-east-1.amazonaws.com/id/C0FFEE',
    kubeconfig: 'apiVersion: v1\nkind: Config\n',
    imageRepositories: 'true',
  },
  secretKeys: ['kubeconfig'],
});

describe('ModelServingStack through the example Pulumi program', () => {
  it('creates the AWS half and deploys the serving chart with the role ARN in the ServiceAccount', async () => {
    const rec = await recorderReady;
    const program = await import('../examples/pulumi/index');
    const bindings = await promiseOf(program.bindings);
    assert.deepEqual(bindings, {
      'churn-model': { roleArn: 'arn:aws:iam::123456789012:role/churn-churn-model-irsa-role-mock', modelUri: 's3://churn-artifacts-mock/models/churn-model/' },
    });
    assert.equal(await promiseOf(program.artifactBucket), 'churn-artifacts-mock');
    await rec.settle();
    const count = (type: string) => rec.ofType(type).length;
    assert.equal(rec.resources.length, 19, rec.resources.map((r) => `${r.type}/${r.name}`).join('\n'));
    assert.equal(count('aws:s3/bucket:Bucket'), 1);
    assert.equal(count('aws:iam/role:Role'), 1);
    assert.equal(count('aws:ecr/repository:Repository'), 1, 'imageRepositories config is honoured');
    assert.equal(count('pulumi:providers:kubernetes'), 1, 'a provider from the kubeconfig config');
    const tags = rec.one('aws:s3/bucket:Bucket').inputs.tags as Record<string, string>;
    assert.equal(tags['ml-platform/cluster'], 'prod-eks');

    const group = rec.one('kubernetes:yaml/v2:ConfigGroup');
    assert.match(group.provider ?? '', /pulumi:providers:kubernetes::churn-k8s::/);
    const objs = group.inputs.objs as any[];
    const sa = objs.find((o) => o.kind === 'ServiceAccount' && o.metadata.name === 'churn-model');
    assert.equal(sa.metadata.annotations['eks.amazonaws.com/role-arn'], bindings['churn-model'].roleArn);
    assert.equal(sa.metadata.namespace, 'ml-churn');
    const ns = objs.find((o) => o.kind === 'Namespace');
    assert.equal(ns.metadata.labels['pod-security.kubernetes.io/enforce'], 'restricted');
    assert.equal(ns.metadata.namespace, undefined);
    await validateManifests(objs);
  });

  it('has exactly one copy of @pulumi/pulumi installed (mocks only reach one copy)', () => {
    const out = execFileSync('npm', ['ls', '@pulumi/pulumi', '--all', '--parseable'], { encoding: 'utf8' });
    const copies = new Set(out.trim().split('\n').filter((line) => line.endsWith('node_modules/@pulumi/pulumi')));
    assert.equal(copies.size, 1, [...copies].join('\n'));
    const fromAws = require.resolve('@pulumi/pulumi', { paths: [require.resolve('@pulumi/aws')] });
    const fromK8s = require.resolve('@pulumi/pulumi', { paths: [require.resolve('@pulumi/kubernetes')] });
    assert.equal(fromAws, require.resolve('@pulumi/pulumi'));
    assert.equal(fromK8s, require.resolve('@pulumi/pulumi'));
  });

  it('prints an offline plan that says it is not pulumi preview', () => {
    const out = execFileSync('npx', ['--no-install', 'tsx', 'scripts/plan.ts'], { encoding: 'utf8', timeout: 120_000 });
    assert.match(out, /^# Offline plan \(mocks\) of examples\/pulumi: NOT `pulumi preview`/);
    assert.match(out, /\| aws:iam\/role:Role \| churn-churn-model-irsa-role \| churn-churn-model-irsa \|/);
    assert.match(out, /\| apps\/v1 \| Deployment \| ml-churn\/churn-model \|/);
    assert.match(out, /15 Pulumi resources; 11 Kubernetes objects\./);
  });
});
