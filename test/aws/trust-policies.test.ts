// Every IAM trust policy the platform creates names exactly one principal, with conditions (issue 15/16),
// on the IAM documents captured under the Pulumi mocks; and every workload of the deployed chart that calls
// AWS got its identity from the AWS half.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Duration } from 'cdk8s';
import { CostPreset, ValidationError } from '../../src';
import { ModelPlatformStack, PodIdentityRole, SecureBucket } from '../../src/pulumi';
import { MOCK_ACCOUNT, promiseOf } from '../../src/testing/pulumi-mocks';
import { CHURN_MODEL, CHURN_PLATFORM } from '../../examples/churn';
import { parsePolicy, recorderReady } from '../support/pulumi';
import { workloadsWithoutAwsIdentity } from '../support/identity';

const OIDC_HOST = 'oidc.eks.us-east-1.amazonaws.com/id/C0FFEE';
const CLUSTER = {
  name: 'prod-eks',
  oidcProvider: { arn: `arn:aws:iam::${MOCK_ACCOUNT}:oidc-provider/${OIDC_HOST}`, url: `https://${OIDC_HOST}` },
  kubeconfig: 'apiVersion: v1\nkind: Config\n',
};
/** The churn platform on the DEV preset (no gateway or observability links needed) with an immutable, replicated DR policy and a drill. */
const PLATFORM = {
  ...CHURN_PLATFORM,
  preset: CostPreset.DEV,
  models: [{ ...CHURN_MODEL, preset: CostPreset.DEV, canary: false as const }],
  disasterRecovery: { rpo: Duration.hours(1), rto: Duration.hours(1), retention: Duration.days(30), drRegion: 'us-west-2', immutable: true },
  backups: { drill: {} },
};
/**
 * EC2 assumes instance-profile roles for the instance; the node role's trust is the one EKS and Karpenter document
 * (no confused-deputy keys are set by EC2 for it), so it is the one service trust without conditions.
 */
const UNCONDITIONED_SERVICES = ['ec2.amazonaws.com'];

describe('IAM trust policies under mocks', () => {
  it('name exactly one principal with conditions; IRSA roles one ServiceAccount with sub AND aud; the drill its own role', async () => {
    const rec = await recorderReady;
    const stack = new ModelPlatformStack('churn', { cluster: CLUSTER, platform: PLATFORM });
    const bindings = await promiseOf(stack.bindings);
    await rec.settle();
    const roles = rec.ofType('aws:iam/role:Role');
    assert.ok(roles.length >= 9, roles.map((r) => r.name).join(', '));
    const subjects: string[] = [];
    for (const role of roles) {
      const trust = parsePolicy(role.inputs.assumeRolePolicy);
      assert.equal(trust.Statement.length, 1, role.name);
      const [s] = trust.Statement;
      const principals = Object.values(s.Principal as Record<string, string | string[]>).flat();
      assert.equal(principals.length, 1, `${role.name}: exactly one principal`);
      if (s.Principal.Federated) {
        const eq = s.Condition.StringEquals as Record<string, unknown>;
        assert.deepEqual(Object.keys(eq).sort(), [`${OIDC_HOST}:aud`, `${OIDC_HOST}:sub`], role.name);
        assert.equal(eq[`${OIDC_HOST}:aud`], 'sts.amazonaws.com');
        assert.match(String(eq[`${OIDC_HOST}:sub`]), /^system:serviceaccount:[a-z0-9-]+:[a-z0-9.-]+$/, `${role.name}: one subject, a string`);
        subjects.push(String(eq[`${OIDC_HOST}:sub`]));
      } else if (!UNCONDITIONED_SERVICES.includes(String(s.Principal.Service).replace(/\.[a-z.]+$/, '.amazonaws.com'))) {
        assert.equal(s.Condition?.StringEquals?.['aws:SourceAccount'], MOCK_ACCOUNT, `${role.name}: confused-deputy condition`);
      }
    }
    assert.equal(new Set(subjects).size, subjects.length, `no ServiceAccount is trusted by two roles: ${subjects.join(', ')}`);
    // The drill's restored copy of the model has a role of its own in the scratch namespace.
    assert.ok(subjects.includes('system:serviceaccount:ml-churn:churn-model'));
    assert.ok(subjects.includes('system:serviceaccount:ml-churn-drill:churn-model'));
    assert.notEqual(await promiseOf(stack.models['churn-model'].restoreRoles['ml-churn-drill'].roleArn), bindings.models?.['churn-model'].roleArn);
    const replication = parsePolicy(rec.one('aws:iam/role:Role', 'churn-dr-model-artifacts-replication-role').inputs.assumeRolePolicy);
    assert.deepEqual(replication.Statement[0].Condition.ArnLike, { 'aws:SourceArn': 'arn:aws:s3:::churn-dr-model-artifacts-mock' }, 'S3 replicates only from its source bucket');

    // Every workload of the deployed chart that calls AWS got its identity from the AWS half.
    const objs = rec.one('kubernetes:yaml/v2:ConfigGroup').inputs.objs as any[];
    assert.deepEqual(workloadsWithoutAwsIdentity(objs), []);
    assert.ok(objs.filter((o) => o.kind === 'ServiceAccount' && o.metadata.annotations?.['eks.amazonaws.com/role-arn']).length >= 4);
  });

  it('makes the backups immutable: Object Lock on every replica, no delete-marker replication, explicit key policies', async () => {
    const rec = await recorderReady;
    const replicas = rec.ofType('aws:s3/bucket:Bucket').filter((b) => b.name.endsWith('-replica-bucket'));
    assert.ok(replicas.length >= 4, replicas.map((b) => b.name).join(', '));
    for (const b of replicas) {
      assert.equal(b.inputs.objectLockEnabled, true, b.name);
    }
    const locks = rec.ofType('aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration');
    assert.equal(locks.length, replicas.length);
    assert.deepEqual((locks[0].inputs.rule as any).defaultRetention, { mode: 'COMPLIANCE', days: 30 }, 'the vault lock mode, for the retention');
    for (const r of rec.ofType('aws:s3/bucketReplicationConfig:BucketReplicationConfig')) {
      assert.deepEqual((r.inputs.rules as any[])[0].deleteMarkerReplication, { status: 'Disabled' }, r.name);
    }
    assert.equal(rec.ofType('aws:backup/vaultLockConfiguration:VaultLockConfiguration').length, 2);
    for (const key of rec.ofType('aws:kms/key:Key')) {
      const policy = parsePolicy(key.inputs.policy);
      assert.deepEqual(policy.Statement.map((s) => s.Principal), [{ AWS: `arn:aws:iam::${MOCK_ACCOUNT}:root` }], `${key.name}: only this account, through IAM`);
    }
    const velero = rec.one('aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration', 'churn-dr-velero-encryption');
    assert.equal((velero.inputs.rules as any[])[0].applyServerSideEncryptionByDefault.sseAlgorithm, 'aws:kms', 'Velero backups hold Secrets: SSE-KMS');
  });

  it("lets Feast own the online tables' tags (feast apply re-tags them): Pulumi ignores tag changes", async () => {
    const rec = await recorderReady;
    const tables = rec.ofType('aws:dynamodb/table:Table');
    assert.equal(tables.length, 2);
    for (const t of tables) {
      assert.deepEqual([...t.ignoreChanges].sort(), ['tags', 'tagsAll'], t.name);
    }
  });
});

describe('EKS Pod Identity and bad input', () => {
  it('trusts pods.eks.amazonaws.com for one cluster, namespace and ServiceAccount, and associates the role', async () => {
    const rec = await recorderReady;
    rec.reset();
    new PodIdentityRole('drift', { clusterName: 'prod-eks', namespace: 'ml-churn', serviceAccount: 'churn-model-drift', statements: [{ actions: ['s3:GetObject'], resources: ['arn:aws:s3:::b/*'] }] });
    await rec.settle();
    const trust = parsePolicy(rec.one('aws:iam/role:Role').inputs.assumeRolePolicy);
    assert.deepEqual(trust.Statement, [{
      Sid: 'AllowEksAuthToAssumeRoleForPodIdentity', Effect: 'Allow', Principal: { Service: 'pods.eks.amazonaws.com' }, Action: ['sts:AssumeRole', 'sts:TagSession'],
      Condition: { StringEquals: { 'aws:RequestTag/eks-cluster-name': 'prod-eks', 'aws:RequestTag/kubernetes-namespace': 'ml-churn', 'aws:RequestTag/kubernetes-service-account': 'churn-model-drift' } },
    }]);
    const association = rec.one('aws:eks/podIdentityAssociation:PodIdentityAssociation');
    assert.deepEqual([association.inputs.clusterName, association.inputs.namespace, association.inputs.serviceAccount, association.inputs.roleArn],
      ['prod-eks', 'ml-churn', 'churn-model-drift', rec.one('aws:iam/role:Role').state.arn]);
  });

  it('refuses an existing artifact bucket with a DR policy, saying why, instead of ignoring it', async () => {
    const rec = await recorderReady;
    rec.reset();
    assert.throws(() => new ModelPlatformStack('x', { cluster: CLUSTER, platform: PLATFORM, artifacts: { existingBucketName: 'acme-models' } }),
      (e: unknown) => e instanceof ValidationError && e.property === 'artifacts.existingBucketName'
        && e.message.includes('cannot be used with a DR policy (stack config `existingArtifactBucket`)') && e.message.includes('never changes a bucket it does not own'));
    assert.throws(() => new SecureBucket('locked', { objectLock: { mode: 'COMPLIANCE', days: 30 }, forceDestroy: true }), /'forceDestroy' \(true\): contradicts 'objectLock'/);
    await rec.settle();
    assert.equal(rec.resources.length, 0, 'nothing registered');
  });
});
