import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeEach, describe, it } from 'node:test';
import { PlatformAddonsStack, PlatformStack } from '../../src/pulumi';
import { LOAD_BALANCER_CONTROLLER_STATEMENTS } from '../../src/platform/addons/load-balancer-controller-policy-aws';
import { promiseOf } from '../../src/testing/pulumi-mocks';
import { SHARED_PLATFORM } from '../../examples/platform/platform';
import { assertValidationError } from '../support/assert';
import { parsePolicy, recorderReady } from '../support/pulumi';
import { TEST_LINKS } from '../support/synth';

const OIDC = { arn: 'arn:aws:iam::123456789012:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/AB12', url: 'https://oidc.eks.us-east-1.amazonaws.com/id/AB12' };
const CLUSTER = { name: 'prod-eks', oidcProvider: OIDC };

function platformStack(): PlatformStack {
  return new PlatformStack('platform', { cluster: CLUSTER, platform: SHARED_PLATFORM, links: TEST_LINKS });
}

const ALL = {
  kubePrometheusStack: {}, argoRollouts: {}, keda: {}, karpenter: {}, velero: {},
  prometheusAdapter: { requestRates: [{ requestsTotal: 'http_requests_total', matchers: ['handler!~"/health|/ready|/metrics"'] }] },
  externalSecrets: { secretArns: ['arn:aws:secretsmanager:us-east-1:123456789012:secret:ml-platform/redis-AbCdEf'] },
  awsLoadBalancerController: { vpcId: 'vpc-0a1b2c3d4e5f67890' },
};

describe('PlatformAddonsStack (Pulumi half)', () => {
  beforeEach(async () => (await recorderReady).reset());

  it('installs Karpenter whose controller can pass exactly the node role and read the queue, with the one cluster name and the queue in its values', async () => {
    const rec = await recorderReady;
    const platform = platformStack();
    const addons = new PlatformAddonsStack('addons', { platform, ...ALL });
    await rec.settle();
    const queue = await promiseOf(platform.training?.interruptionQueueName ?? assert.fail('no queue'));
    assert.equal(await promiseOf(addons.interruptionQueueName ?? assert.fail('no output')), queue);
    const release = rec.one('kubernetes:helm.sh/v3:Release', 'addons-karpenter').inputs as any;
    assert.deepEqual([release.name, release.chart, release.version, release.namespace], ['karpenter', 'oci://public.ecr.aws/karpenter/karpenter', '1.14.1', 'kube-system']);
    const roleArn = await promiseOf(addons.roles.karpenter?.roleArn ?? assert.fail('no role'));
    assert.deepEqual(release.values.settings, { clusterName: 'prod-eks', interruptionQueue: queue });
    assert.deepEqual(release.values.serviceAccount.annotations, { 'eks.amazonaws.com/role-arn': roleArn });

    const trust = parsePolicy(rec.one('aws:iam/role:Role', 'addons-karpenter-irsa-role').inputs.assumeRolePolicy);
    assert.deepEqual(trust.Statement[0].Condition.StringEquals, {
      'oidc.eks.us-east-1.amazonaws.com/id/AB12:sub': 'system:serviceaccount:kube-system:karpenter', 'oidc.eks.us-east-1.amazonaws.com/id/AB12:aud': 'sts.amazonaws.com',
    });
    const policy = parsePolicy(rec.one('aws:iam/rolePolicy:RolePolicy', 'addons-karpenter-irsa-policy').inputs.policy);
    const passRole = policy.Statement.filter((s) => s.Action.includes('iam:PassRole'));
    assert.deepEqual(passRole.map((s) => s.Resource), [[await promiseOf(platform.training?.nodeRoleArn ?? assert.fail('no node role'))]]);
    const sqs = policy.Statement.find((s) => s.Sid === 'AllowInterruptionQueueActions');
    assert.deepEqual(sqs?.Resource, [`arn:aws:sqs:us-east-1:123456789012:${queue}`]);
    assert.deepEqual(sqs?.Action, ['sqs:DeleteMessage', 'sqs:GetQueueUrl', 'sqs:ReceiveMessage']);
  });

  it('installs every add-on as a pinned Helm release, with the IRSA roles and values that matter', async () => {
    const rec = await recorderReady;
    const platform = platformStack();
    new PlatformAddonsStack('addons', { platform, ...ALL });
    await rec.settle();
    const releases = rec.ofType('kubernetes:helm.sh/v3:Release');
    assert.deepEqual(releases.map((r) => [r.inputs.name, r.inputs.version]).sort(), [
      ['argo-rollouts', '2.41.0'], ['aws-load-balancer-controller', '3.5.0'], ['external-secrets', '2.9.0'], ['karpenter', '1.14.1'], ['keda', '2.20.2'],
      ['kube-prometheus-stack', '88.5.3'], ['prometheus-adapter', '5.3.0'], ['velero', '12.1.0'],
    ]);
    assert.ok(releases.every((r) => r.inputs.createNamespace === true && r.inputs.atomic === true));
    const values = (n: string) => rec.one('kubernetes:helm.sh/v3:Release', `addons-${n}`).inputs.values as any;
    assert.equal(values('prometheus-adapter').rules.custom[0].name.as, 'http_requests_per_second');
    assert.match(values('prometheus-adapter').rules.custom[0].metricsQuery, /handler!~"\/health\|\/ready\|\/metrics"/);
    const velero = values('velero');
    assert.deepEqual(velero.serviceAccount.server.annotations, { 'eks.amazonaws.com/role-arn': await promiseOf(platform.backups?.veleroRole?.roleArn ?? assert.fail('no velero role')) });
    assert.equal(velero.configuration.backupStorageLocation[0].bucket, await promiseOf(platform.backups?.veleroBucket?.bucketName ?? assert.fail('no bucket')));
    assert.equal(velero.configuration.backupStorageLocation[0].config.region, 'us-east-1');
    assert.equal(values('aws-load-balancer-controller').clusterName, 'prod-eks');
    const eso = parsePolicy(rec.one('aws:iam/rolePolicy:RolePolicy', 'addons-external-secrets-irsa-policy').inputs.policy);
    assert.deepEqual(eso.Statement.map((s) => s.Resource), [ALL.externalSecrets.secretArns], 'reads the secrets in use only');
    assert.deepEqual(values('kube-prometheus-stack').prometheus.prometheusSpec.serviceMonitorSelector, { matchLabels: { release: 'kube-prometheus-stack' } });
  });

  it('gives the AWS Load Balancer Controller the upstream policy (the vendored iam_policy.json of v3.5.0)', async () => {
    const rec = await recorderReady;
    new PlatformAddonsStack('addons', { platform: platformStack(), awsLoadBalancerController: ALL.awsLoadBalancerController });
    await rec.settle();
    const upstream = JSON.parse(readFileSync(join(__dirname, '..', 'fixtures', 'addons', 'aws-load-balancer-controller-iam-policy.json'), 'utf8')) as { Statement: any[] };
    const list = (x: unknown) => (Array.isArray(x) ? x : [x]);
    const normalized = upstream.Statement.map((s) => ({ Effect: s.Effect, Action: list(s.Action), Resource: list(s.Resource), ...(s.Condition ? { Condition: s.Condition } : {}) }));
    assert.equal(LOAD_BALANCER_CONTROLLER_STATEMENTS.length, upstream.Statement.length);
    assert.deepEqual(parsePolicy(rec.one('aws:iam/rolePolicy:RolePolicy', 'addons-aws-load-balancer-controller-irsa-policy').inputs.policy).Statement, normalized);
  });

  it('refuses Karpenter without the platform\'s Karpenter pool, Velero without its backups, External Secrets without secrets', () => {
    const platform = new PlatformStack('bare', { cluster: CLUSTER, platform: { ...SHARED_PLATFORM, training: undefined, disasterRecovery: false }, links: TEST_LINKS });
    assertValidationError(() => new PlatformAddonsStack('a1', { platform, karpenter: {} }), 'ml-platform:stacks:PlatformAddonsStack(a1)', 'karpenter');
    assertValidationError(() => new PlatformAddonsStack('a2', { platform, velero: {} }), 'ml-platform:stacks:PlatformAddonsStack(a2)', 'velero');
    assertValidationError(() => new PlatformAddonsStack('a3', { platform, externalSecrets: { secretArns: [] } }), 'ml-platform:stacks:PlatformAddonsStack(a3)', 'externalSecrets.secretArns');
  });

  it('refuses a training pool naming another cluster than the stack\'s', () => {
    const pool = SHARED_PLATFORM.training?.pool ?? assert.fail('no pool');
    assertValidationError(() => new PlatformStack('p', { cluster: { ...CLUSTER, name: 'other-eks' }, platform: { ...SHARED_PLATFORM, training: { pool } } }),
      'ml-platform:stacks:PlatformStack(p)', 'platform.training.pool.clusterName', "must equal 'cluster.name' (other-eks)");
  });
});
