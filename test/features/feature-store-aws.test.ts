import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import { Chart, Duration } from 'cdk8s';
import { Construct } from 'constructs';
import { parse } from 'yaml';
import { CostPreset } from '../../src';
import { FeatureStore } from '../../src/features/feature-store';
import { FeatureOnlineStoreEngine, FeatureStoreAws, FeatureStoreAwsArgs } from '../../src/features/feature-store-aws';
import { FeatureStoreAwsBinding, FeatureStoreMode } from '../../src/features/stores';
import { ChartDeployment, SecureBucket } from '../../src/pulumi';
import { MOCK_ACCOUNT, MOCK_RANDOM_PASSWORD, promiseOf } from '../../src/testing/pulumi-mocks';
import { CHURN_FEATURES } from '../../examples/churn-feature-definitions';
import { parsePolicy, recorderReady } from '../support/pulumi';
import { validateManifests } from '../support/schema';

const OIDC = { arn: 'arn:aws:iam::123456789012:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/AB12', url: 'https://oidc.eks.us-east-1.amazonaws.com/id/AB12' };
const ISSUER = 'oidc.eks.us-east-1.amazonaws.com/id/AB12';
const TOKEN = MOCK_RANDOM_PASSWORD;
const NETWORK = { vpcId: 'vpc-0abc', subnetIds: ['subnet-a', 'subnet-b'], allowedSecurityGroupIds: ['sg-eks-nodes'], allowedCidrBlocks: ['10.20.0.0/16'] };

const REDIS: FeatureStoreAwsArgs = {
  storeName: 'features', namespace: 'ml-churn', project: 'churn', features: CHURN_FEATURES, oidcProvider: OIDC,
  onlineStore: FeatureOnlineStoreEngine.REDIS, redis: { network: NETWORK },
};
const DYNAMO: FeatureStoreAwsArgs = {
  storeName: 'features', namespace: 'ml-churn', project: 'churn', features: CHURN_FEATURES, oidcProvider: OIDC, onlineStore: FeatureOnlineStoreEngine.DYNAMODB,
};

/** Pulumi's wire signature of a secret value. */
const SECRET_SIG = '4dabf18193072939515e22adb298388d';

/** The value of an input that must be marked secret; fails when it is not. */
function secretValue(input: unknown): unknown {
  const wrapped = input as Record<string, unknown> | undefined;
  assert.equal(wrapped?.[SECRET_SIG], '1b47061264138c4ac30d75fd1eb44270', 'the input is marked secret');
  return wrapped?.value;
}

function statementsOf(rec: Awaited<typeof recorderReady>, roleComponent: string): Array<Record<string, any>> {
  const policy = rec.ofType('aws:iam/rolePolicy:RolePolicy').find((p) => p.parent?.name === roleComponent);
  assert.ok(policy, `a policy of ${roleComponent}`);
  return parsePolicy(policy.inputs.policy).Statement;
}

function trustSubject(rec: Awaited<typeof recorderReady>, roleComponent: string): string {
  const role = rec.ofType('aws:iam/role:Role').find((r) => r.parent?.name === roleComponent);
  assert.ok(role, `a role of ${roleComponent}`);
  return parsePolicy(role.inputs.assumeRolePolicy).Statement[0].Condition.StringEquals[`${ISSUER}:sub`] as string;
}

describe('FeatureStoreAws', () => {
  beforeEach(async () => (await recorderReady).reset());

  it('creates a multi-AZ, encrypted ElastiCache Redis with a generated auth token and DR snapshots in production', async () => {
    const rec = await recorderReady;
    const aws = new FeatureStoreAws('features', { ...REDIS, disasterRecovery: { rpo: Duration.hours(24), rto: Duration.hours(1), retention: Duration.days(14) } });
    await promiseOf(aws.binding);
    await rec.settle();
    assert.equal(rec.resources.length, 1 + 8 + 7 + 6, rec.resources.map((r) => r.type).join(', '));
    const group = rec.one('aws:elasticache/replicationGroup:ReplicationGroup').inputs;
    assert.equal(group.engine, 'redis');
    assert.equal(group.engineVersion, '7.1');
    assert.equal(group.nodeType, 'cache.r7g.large');
    assert.equal(group.numCacheClusters, 2);
    assert.equal(group.multiAzEnabled, true);
    assert.equal(group.automaticFailoverEnabled, true);
    assert.equal(group.atRestEncryptionEnabled, true);
    assert.equal(group.transitEncryptionEnabled, true);
    assert.equal(group.snapshotRetentionLimit, 14, 'the DR policy retention');
    assert.equal(group.snapshotWindow, '03:00-04:00');
    assert.equal(secretValue(group.authTokenWo), TOKEN, 'the generated token, write-only (never stored in the state)');
    assert.equal(group.authTokenWoVersion, 1);
    assert.equal(group.authToken, undefined);
    assert.equal(group.applyImmediately, false);
    assert.equal(aws.snapshotRetentionDays, 14);
    const version = rec.one('aws:secretsmanager/secretVersion:SecretVersion').inputs;
    assert.equal(secretValue(version.secretStringWo), TOKEN, 'the same token lands in Secrets Manager');
    assert.equal(version.secretStringWoVersion, 1);
    assert.equal(version.secretString, undefined);
    assert.equal(rec.one('aws:secretsmanager/secret:Secret').inputs.recoveryWindowInDays, 30);
    assert.deepEqual(rec.one('aws:elasticache/subnetGroup:SubnetGroup').inputs.subnetIds, ['subnet-a', 'subnet-b']);
    const rules = rec.ofType('aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule').map((r) => r.inputs);
    assert.deepEqual(rules.map((r) => [r.referencedSecurityGroupId ?? r.cidrIpv4, r.ipProtocol, r.fromPort, r.toPort]), [
      ['sg-eks-nodes', 'tcp', 6379, 6379],
      ['10.20.0.0/16', 'tcp', 6379, 6379],
    ]);
    assert.equal(rec.ofType('aws:ec2/securityGroup:SecurityGroup')[0].inputs.vpcId, 'vpc-0abc');
  });

  it('grants the feature server the registry only and the materialization job the registry and offline data, nothing more', async () => {
    const rec = await recorderReady;
    new FeatureStoreAws('features', REDIS);
    await rec.settle();
    assert.equal(rec.resources.length, 22);
    const bucket = 'arn:aws:s3:::features-storage-mock';
    assert.equal(trustSubject(rec, 'features-server'), 'system:serviceaccount:ml-churn:features');
    assert.deepEqual(statementsOf(rec, 'features-server'), [
      { Sid: 'RegistryRead', Effect: 'Allow', Action: ['s3:GetObject'], Resource: [`${bucket}/registry/registry.db`] },
      { Sid: 'RegistryBucket', Effect: 'Allow', Action: ['s3:ListBucket'], Resource: [bucket] },
    ]);
    assert.equal(trustSubject(rec, 'features-materialize'), 'system:serviceaccount:ml-churn:features-materialize');
    assert.deepEqual(statementsOf(rec, 'features-materialize'), [
      { Sid: 'RegistryReadWrite', Effect: 'Allow', Action: ['s3:GetObject', 's3:PutObject'], Resource: [`${bucket}/registry/registry.db`] },
      { Sid: 'Bucket', Effect: 'Allow', Action: ['s3:ListBucket'], Resource: [bucket] },
      { Sid: 'OfflineRead', Effect: 'Allow', Action: ['s3:GetObject'], Resource: [`${bucket}/offline/*`] },
    ]);
  });

  it('runs a single small node without failover or snapshots for DEV', async () => {
    const rec = await recorderReady;
    const aws = new FeatureStoreAws('dev-features', { ...REDIS, preset: CostPreset.DEV, redis: { network: { ...NETWORK, subnetIds: ['subnet-a'] } } });
    await rec.settle();
    assert.equal(rec.resources.length, 22);
    const group = rec.one('aws:elasticache/replicationGroup:ReplicationGroup').inputs;
    assert.equal(group.numCacheClusters, 1);
    assert.equal(group.multiAzEnabled, false);
    assert.equal(group.automaticFailoverEnabled, false);
    assert.equal(group.nodeType, 'cache.t4g.small');
    assert.equal(group.snapshotRetentionLimit, 0);
    assert.equal(group.atRestEncryptionEnabled, true, 'encryption regardless of the preset');
    assert.equal(group.transitEncryptionEnabled, true);
    assert.equal(aws.production, false);
  });

  it('derives snapshot retention and PITR from the DR policy and refuses what a store cannot meet', async () => {
    const rec = await recorderReady;
    assert.throws(() => new FeatureStoreAws('hourly-redis', { ...REDIS, disasterRecovery: { rpo: Duration.hours(1), rto: Duration.hours(1), retention: Duration.days(7) } }),
      /store 'ElastiCache automatic snapshots' cannot meet RPO 1 hour; the best it supports is 1 day/);
    const redis = new FeatureStoreAws('daily-redis', { ...REDIS, disasterRecovery: { rpo: Duration.days(1), rto: Duration.hours(1), retention: Duration.days(14) } });
    const dynamo = new FeatureStoreAws('long-dynamo', { ...DYNAMO, disasterRecovery: { rpo: Duration.hours(1), rto: Duration.hours(1), retention: Duration.days(90) } });
    await rec.settle();
    assert.equal(rec.resources.length, 22 + 17);
    assert.equal(rec.one('aws:elasticache/replicationGroup:ReplicationGroup').inputs.snapshotRetentionLimit, 14);
    assert.equal(redis.snapshotRetentionDays, 14);
    // PITR covers at most 35 days; longer retention is the AWS Backup plan's job.
    assert.deepEqual(rec.ofType('aws:dynamodb/table:Table').map((t) => (t.inputs.pointInTimeRecovery as any).recoveryPeriodInDays), [35, 35]);
    assert.equal(dynamo.pointInTimeRecoveryDays, 35);
  });

  it('creates one on-demand DynamoDB table per online view with PITR, encryption and deletion protection in production', async () => {
    const rec = await recorderReady;
    const aws = new FeatureStoreAws('features', { ...DYNAMO, disasterRecovery: { rpo: Duration.hours(1), rto: Duration.hours(1), retention: Duration.days(7) } });
    await rec.settle();
    assert.equal(rec.resources.length, 1 + 8 + 2 + 6, rec.resources.map((r) => r.type).join(', '));
    const tables = rec.ofType('aws:dynamodb/table:Table').map((t) => t.inputs);
    assert.deepEqual(tables.map((t) => t.name), ['features.churn.customer_statistics', 'features.churn.customer_activity'], 'none for the offline-only view');
    for (const t of tables) {
      assert.equal(t.billingMode, 'PAY_PER_REQUEST');
      assert.equal(t.hashKey, 'entity_id');
      assert.deepEqual(t.attributes, [{ name: 'entity_id', type: 'S' }]);
      assert.deepEqual(t.pointInTimeRecovery, { enabled: true, recoveryPeriodInDays: 7 });
      assert.equal(t.deletionProtectionEnabled, true);
      assert.deepEqual(t.serverSideEncryption, { enabled: true });
    }
    assert.equal(aws.tableNamePrefix, 'features.');
    const arns = tables.map((t) => `arn:aws:mock:us-east-1:${MOCK_ACCOUNT}:table/features-table-${String(t.name).split('.').pop()!.replace(/_/g, '-')}`);
    const server = statementsOf(rec, 'features-server');
    assert.deepEqual(server.find((s) => s.Sid === 'OnlineRead'), { Sid: 'OnlineRead', Effect: 'Allow', Action: ['dynamodb:BatchGetItem', 'dynamodb:GetItem'], Resource: arns });
    assert.equal(server.length, 3);
    const writer = statementsOf(rec, 'features-materialize');
    assert.deepEqual(writer.find((s) => s.Sid === 'OnlineWrite'), { Sid: 'OnlineWrite', Effect: 'Allow', Action: ['dynamodb:BatchWriteItem', 'dynamodb:CreateTable', 'dynamodb:DescribeTable', 'dynamodb:ListTagsOfResource', 'dynamodb:TagResource', 'dynamodb:UntagResource'], Resource: arns });
    assert.equal(rec.ofType('aws:elasticache/replicationGroup:ReplicationGroup').length, 0);
  });

  it('leaves DEV tables deletable, keeps PITR on, and adds KMS grants for customer keys', async () => {
    const rec = await recorderReady;
    new FeatureStoreAws('features', {
      ...DYNAMO, preset: CostPreset.DEV, dynamoDb: { tableNamePrefix: 'dev-', kmsKeyArn: 'arn:aws:kms:us-east-1:123456789012:key/t1' },
      storage: { kmsKeyArn: 'arn:aws:kms:us-east-1:123456789012:key/b1' },
    });
    await rec.settle();
    assert.equal(rec.resources.length, 17);
    const tables = rec.ofType('aws:dynamodb/table:Table').map((t) => t.inputs);
    assert.deepEqual(tables.map((t) => [t.name, t.deletionProtectionEnabled, (t.pointInTimeRecovery as any).enabled]), [
      ['dev-churn.customer_statistics', false, true],
      ['dev-churn.customer_activity', false, true],
    ]);
    assert.deepEqual(tables[0].serverSideEncryption, { enabled: true, kmsKeyArn: 'arn:aws:kms:us-east-1:123456789012:key/t1' });
    const server = statementsOf(rec, 'features-server');
    assert.deepEqual(server.filter((s) => s.Sid.endsWith('Kms')).map((s) => [s.Sid, s.Action]), [['BucketKms', ['kms:Decrypt']], ['TableKms', ['kms:Decrypt']]]);
    const writer = statementsOf(rec, 'features-materialize');
    assert.deepEqual(writer.filter((s) => s.Sid.endsWith('Kms')).map((s) => [s.Sid, s.Action]), [
      ['BucketKms', ['kms:Decrypt', 'kms:GenerateDataKey']], ['TableKms', ['kms:Decrypt', 'kms:GenerateDataKey']],
    ]);
  });

  it('gives the operator\'s ServiceAccount one role with both permission sets in operator mode', async () => {
    const rec = await recorderReady;
    const aws = new FeatureStoreAws('features', { ...DYNAMO, mode: FeatureStoreMode.OPERATOR });
    await rec.settle();
    assert.equal(rec.resources.length, 1 + 8 + 2 + 3);
    assert.equal(aws.materializationRole, undefined);
    assert.equal(trustSubject(rec, 'features-server'), 'system:serviceaccount:ml-churn:feast-features');
    assert.deepEqual(statementsOf(rec, 'features-server').map((s) => s.Sid), ['RegistryReadWrite', 'Bucket', 'OfflineRead', 'OnlineWrite', 'OnlineRead']);
    const binding = await promiseOf(aws.binding);
    assert.equal(binding.materializationRoleArn, undefined);
  });

  it('adds warehouse statements to the materialization role and shares a bucket', async () => {
    const rec = await recorderReady;
    const bucket = new SecureBucket('shared-features');
    new FeatureStoreAws('features', {
      ...DYNAMO, bucket, offlinePrefix: 'churn/offline/', registryKey: 'churn/registry.db',
      offlineStoreStatements: [{ sid: 'AthenaQuery', actions: ['athena:StartQueryExecution', 'athena:GetQueryResults'], resources: ['arn:aws:athena:us-east-1:123456789012:workgroup/primary'] }],
    });
    await rec.settle();
    assert.equal(rec.resources.length, 8 + 1 + 2 + 6, 'one bucket, shared');
    assert.equal(rec.ofType('aws:s3/bucket:Bucket').length, 1);
    const writer = statementsOf(rec, 'features-materialize');
    assert.deepEqual(writer.at(-1), { Sid: 'AthenaQuery', Effect: 'Allow', Action: ['athena:StartQueryExecution', 'athena:GetQueryResults'], Resource: ['arn:aws:athena:us-east-1:123456789012:workgroup/primary'] });
    assert.deepEqual(writer.find((s) => s.Sid === 'OfflineRead')!.Resource, ['arn:aws:s3:::shared-features-mock/churn/offline/*']);
    assert.deepEqual(statementsOf(rec, 'features-server')[0].Resource, ['arn:aws:s3:::shared-features-mock/churn/registry.db']);
  });

  it('rejects invalid arguments before registering anything', async () => {
    const rec = await recorderReady;
    const invalid = (args: Partial<FeatureStoreAwsArgs>, pattern: RegExp) =>
      assert.throws(() => new FeatureStoreAws('bad', { ...REDIS, ...args }), pattern);
    invalid({ redis: undefined }, /invalid 'redis' \(unset\): is required with the REDIS engine/);
    invalid({ dynamoDb: { tableNamePrefix: 'x.' } }, /invalid 'dynamoDb' .*has no effect with the REDIS engine/);
    invalid({ onlineStore: FeatureOnlineStoreEngine.DYNAMODB }, /invalid 'redis' \("set"\): has no effect with the DYNAMODB engine/);
    invalid({ redis: { network: NETWORK, nodes: 1 } }, /invalid 'redis.nodes' \(1\): must be at least 2 with multi-AZ/);
    invalid({ redis: { network: { ...NETWORK, subnetIds: ['subnet-a'] } } }, /invalid 'redis.network.subnetIds' \(1\): must list at least 2 subnets/);
    invalid({ redis: { network: { vpcId: 'vpc-1', subnetIds: ['a', 'b'] } } }, /invalid 'redis.network' \("no clients"\): must admit at least one security group or CIDR block/);
    invalid({ redis: { network: { ...NETWORK, allowedCidrBlocks: ['10.0.0.0'] } } }, /invalid 'redis.network.allowedCidrBlocks\[0\]'/);
    invalid({ storage: {}, bucket: new SecureBucket('unused') }, /invalid 'storage' .*cannot be combined with 'bucket'/);
    invalid({ registryKey: 'offline/registry.db' }, /invalid 'registryKey' \("offline\/registry.db"\): must not be under 'offlinePrefix'/);
    invalid({ offlinePrefix: '/offline' }, /invalid 'offlinePrefix'/);
    invalid({ disasterRecovery: { rpo: Duration.days(1), rto: Duration.hours(1), retention: Duration.hours(1) } }, /invalid 'disasterRecovery.retention'/);
    invalid({ offlineStoreStatements: [{ sid: 'OfflineRead', actions: ['s3:GetObject'], resources: ['arn:aws:s3:::x/*'] }] }, /statement ids must be unique and not one of/);
    invalid({ offlineStoreStatements: [{ actions: ['*'], resources: ['*'] }] }, /invalid 'offlineStoreStatements\[0\].actions'/);
    invalid({ features: { ...CHURN_FEATURES, featureViews: [{ ...CHURN_FEATURES.featureViews[0], entities: ['account'] }] } }, /invalid 'features.featureViews\[0\].entities\[0\]' \("account"\)/);
    invalid({ storeName: 'Features' }, /ml-platform:features:FeatureStoreAws\(bad\): invalid 'storeName' \("Features"\): must be a DNS-1035 label/);
    await rec.settle();
    // Only the SecureBucket built as an argument registered anything.
    assert.equal(rec.resources.length, 8);
    assert.deepEqual([...new Set(rec.resources.map((r) => r.parent?.name ?? r.name))], ['unused']);
  });
});

describe('FeatureStoreAws through the bridge', () => {
  beforeEach(async () => (await recorderReady).reset());

  function featuresChart(scope: Construct, props: { binding: FeatureStoreAwsBinding }): void {
    const chart = new Chart(scope, 'features', { namespace: 'ml-churn' });
    new FeatureStore(chart, 'features', { features: CHURN_FEATURES, project: 'churn', preset: CostPreset.PRODUCTION, aws: props.binding });
  }

  it('renders feature_store.yaml with the real ElastiCache endpoint and bucket, and never the token', async () => {
    const rec = await recorderReady;
    const aws = new FeatureStoreAws('features', REDIS);
    const deployment = new ChartDeployment<{ binding: FeatureStoreAwsBinding }>('features-k8s', { chart: featuresChart, props: { binding: aws.binding } });
    const objects = await promiseOf(deployment.objects);
    await rec.settle();
    assert.equal(rec.resources.length, 22 + 2, 'the AWS half, the ChartDeployment and its ConfigGroup');
    const objs = rec.one('kubernetes:yaml/v2:ConfigGroup').inputs.objs as any[];
    assert.equal(objs.length, objects.length);
    const config = parse(objs.find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'features-config').data['feature_store.yaml']);
    assert.deepEqual(config.registry, { registry_type: 'file', path: 's3://features-storage-mock/registry/registry.db', cache_ttl_seconds: 60 });
    assert.equal(config.online_store.connection_string, 'master.features-redis.abc123.use1.cache.amazonaws.com:6379,ssl=true,password=${FEAST_REDIS_PASSWORD}');
    const repo = objs.find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'features-repo').data['features.py'] as string;
    assert.ok(repo.includes('    path="s3://features-storage-mock/offline/customer_stats.parquet",'));
    const es = objs.find((o) => o.kind === 'ExternalSecret');
    assert.deepEqual(es.spec.data[0].remoteRef, { key: 'features-redis-auth-mock' });
    const sa = (name: string) => objs.find((o) => o.kind === 'ServiceAccount' && o.metadata.name === name).metadata.annotations['eks.amazonaws.com/role-arn'];
    assert.equal(sa('features'), 'arn:aws:iam::123456789012:role/features-server-role-mock');
    assert.equal(sa('features-materialize'), 'arn:aws:iam::123456789012:role/features-materialize-role-mock');
    const region = objs.find((o) => o.kind === 'Deployment').spec.template.spec.containers[0].env.find((e: any) => e.name === 'AWS_REGION');
    assert.equal(region.value, 'us-east-1');
    assert.ok(!JSON.stringify(objs).includes(TOKEN), 'the auth token is in no object');
    await validateManifests(objs);
  });

  it('renders feature_store.yaml with the DynamoDB table prefix the tables were created with', async () => {
    const rec = await recorderReady;
    const aws = new FeatureStoreAws('features', DYNAMO);
    const deployment = new ChartDeployment<{ binding: FeatureStoreAwsBinding }>('features-k8s', { chart: featuresChart, props: { binding: aws.binding } });
    const objects = await promiseOf(deployment.objects);
    const configMap = objects.find((o) => o.kind === 'ConfigMap' && o.metadata?.name === 'features-config') as any;
    const config = parse(configMap.data['feature_store.yaml']);
    assert.deepEqual(config.online_store, { type: 'dynamodb', region: 'us-east-1', table_name_template: 'features.{project}.{table_name}', consistent_reads: false });
    const tables = rec.ofType('aws:dynamodb/table:Table').map((t) => t.inputs.name as string);
    for (const view of ['customer_statistics', 'customer_activity']) {
      const feastName = config.online_store.table_name_template.replace('{project}', config.project).replace('{table_name}', view);
      assert.ok(tables.includes(feastName), `Feast looks up ${feastName}, which Pulumi created`);
    }
    await rec.settle();
    assert.equal(rec.resources.length, 17 + 2);
  });
});
