import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import { Provider } from '@pulumi/aws/provider';
import { Chart, Duration, Testing } from 'cdk8s';
import { PlatformBackups } from '../../src/dr/backups';
import { PlatformBackupsAws, PlatformBackupsAwsArgs, VaultLockMode } from '../../src/dr/backups-aws';
import { DisasterRecoveryPolicy } from '../../src/policy/disaster-recovery';
import { RegisteredResource, promiseOf } from '../../src/testing/pulumi-mocks';
import { parsePolicy, recorderReady } from '../support/pulumi';
import { assertValidationError } from '../support/assert';

const OIDC = { arn: 'arn:aws:iam::123456789012:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/AB12', url: 'https://oidc.eks.us-east-1.amazonaws.com/id/AB12' };
const POLICY: DisasterRecoveryPolicy = { rpo: Duration.hours(1), rto: Duration.hours(1), retention: Duration.days(30), drRegion: 'us-west-2' };
const LOCAL: DisasterRecoveryPolicy = { ...POLICY, drRegion: undefined };
const TAGS = { 'ml-platform-constructs.dev/backup-plan': 'platform' };

/** Resources per SecureBucket: the component and its 7 children, plus 3 with replication. */
const BUCKET = 8;
const REPLICATED_PAIR = BUCKET + 3 + BUCKET;
/** Component, vault key, vault, plan, backup role, 2 managed-policy attachments, tag selection. */
const CORE = 8;
/** Velero's IRSA role and policy, and the KMS key of its bucket. */
const VELERO = 4;
/** DR provider, DR key, DR vault. */
const DR = 3;

function backups(args: Partial<PlatformBackupsAwsArgs> = {}, opts?: { provider?: Provider }) {
  return new PlatformBackupsAws('platform', { disasterRecovery: POLICY, ...args }, opts);
}

const providerName = (r: RegisteredResource) => r.provider?.split('::')[3];

function assertInvalid(fn: () => unknown, ...fragments: string[]): void {
  assertValidationError(fn, 'ml-platform:dr:PlatformBackupsAws(platform)', ...fragments);
}

describe('PlatformBackupsAws', () => {
  beforeEach(async () => (await recorderReady).reset());

  it('derives an hourly snapshot rule with the retention and a copy to the DR vault, all encrypted', async () => {
    const rec = await recorderReady;
    const b = backups({ replicatedBuckets: {} });
    await rec.settle();
    assert.equal(rec.resources.length, CORE + DR, rec.resources.map((r) => `${r.type}/${r.name}`).join(', '));
    const [rule, ...others] = rec.one('aws:backup/plan:Plan').inputs.rules as any[];
    assert.equal(others.length, 0);
    assert.deepEqual(rule, {
      ruleName: 'snapshots',
      targetVaultName: 'platform',
      schedule: 'cron(0 * ? * * *)',
      scheduleExpressionTimezone: 'Etc/UTC',
      startWindow: 60,
      lifecycle: { deleteAfter: 30 },
      copyActions: [{ destinationVaultArn: 'arn:aws:mock:us-east-1:123456789012:vault/platform-dr-vault', lifecycle: { deleteAfter: 30 } }],
      recoveryPointTags: TAGS,
    });
    assert.equal(rec.one('aws:backup/plan:Plan').inputs.name, 'platform');
    const vault = rec.one('aws:backup/vault:Vault', 'platform-vault').inputs;
    assert.deepEqual([vault.name, vault.kmsKeyArn, vault.forceDestroy], ['platform', 'arn:aws:kms:us-east-1:123456789012:key/platform-vault-key-key-id', false]);
    const drVault = rec.one('aws:backup/vault:Vault', 'platform-dr-vault').inputs;
    assert.deepEqual([drVault.name, drVault.kmsKeyArn], ['platform-dr', 'arn:aws:kms:us-east-1:123456789012:key/platform-dr-vault-key-key-id']);
    assert.equal(rec.one('aws:kms/key:Key', 'platform-vault-key').inputs.enableKeyRotation, true);
    assert.equal(rec.ofType('aws:backup/vaultLockConfiguration:VaultLockConfiguration').length, 0, 'no lock unless immutable');
    // The DR provider is created from the policy and reaches every DR-region child, and only those.
    assert.equal(rec.one('pulumi:providers:aws').inputs.region, 'us-west-2');
    for (const r of rec.resources.filter((x) => x.custom && x.type.startsWith('aws:'))) {
      assert.equal(providerName(r), r.name.startsWith('platform-dr-') ? 'platform-dr-provider' : undefined, r.name);
    }
    assert.equal(b.cadence.awsScheduleExpression, 'cron(0 * ? * * *)');
  });

  it('selects the platform by tag with the backup role and the AWS managed backup and restore policies', async () => {
    const rec = await recorderReady;
    const b = backups({ replicatedBuckets: {}, disasterRecovery: LOCAL, selectionTag: { key: 'team', value: 'ml' } });
    await rec.settle();
    assert.equal(rec.resources.length, CORE);
    assert.deepEqual(b.selectionTags, { team: 'ml' });
    const selection = rec.one('aws:backup/selection:Selection').inputs;
    assert.deepEqual(selection.selectionTags, [{ type: 'STRINGEQUALS', key: 'team', value: 'ml' }]);
    assert.equal(selection.iamRoleArn, 'arn:aws:iam::123456789012:role/platform-backup-role-mock');
    assert.equal(selection.planId, 'platform-plan-id');
    assert.deepEqual(parsePolicy(rec.one('aws:iam/role:Role').inputs.assumeRolePolicy).Statement[0].Principal, { Service: 'backup.amazonaws.com' });
    assert.deepEqual(rec.ofType('aws:iam/rolePolicyAttachment:RolePolicyAttachment').map((a) => a.inputs.policyArn).sort(), [
      'arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup',
      'arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForRestores',
    ]);
    assert.equal((rec.one('aws:backup/plan:Plan').inputs.rules as any[])[0].copyActions, undefined, 'no DR region, no copies');
  });

  it('turns several RPOs into schedule expressions', async () => {
    const rec = await recorderReady;
    const cases: Array<[Duration, string]> = [
      [Duration.hours(1), 'cron(0 * ? * * *)'],
      [Duration.hours(6), 'cron(0 0/6 ? * * *)'],
      [Duration.hours(30), 'cron(0 3 ? * * *)'],
      [Duration.days(7), 'cron(0 3 ? * SUN *)'],
    ];
    for (const [rpo, schedule] of cases) {
      rec.reset();
      backups({ replicatedBuckets: {}, disasterRecovery: { ...LOCAL, rpo, retention: Duration.days(35) } });
      await rec.settle();
      assert.equal(rec.resources.length, CORE);
      assert.equal((rec.one('aws:backup/plan:Plan').inputs.rules as any[])[0].schedule, schedule);
    }
  });

  it('locks both vaults when immutable: compliance mode after 3 days by default, governance on request', async () => {
    const rec = await recorderReady;
    backups({ replicatedBuckets: {}, disasterRecovery: { ...POLICY, immutable: true } });
    await rec.settle();
    assert.equal(rec.resources.length, CORE + DR + 2);
    const locks = rec.ofType('aws:backup/vaultLockConfiguration:VaultLockConfiguration');
    assert.deepEqual(locks.map((l) => [l.name, l.inputs.backupVaultName, l.inputs.minRetentionDays, l.inputs.maxRetentionDays, l.inputs.changeableForDays, providerName(l)]), [
      ['platform-vault-lock', 'platform', 30, 30, 3, undefined],
      ['platform-dr-vault-lock', 'platform-dr', 30, 30, 3, 'platform-dr-provider'],
    ]);

    rec.reset();
    backups({ replicatedBuckets: {}, disasterRecovery: { ...LOCAL, immutable: true }, vaultLockMode: VaultLockMode.GOVERNANCE });
    await rec.settle();
    assert.equal(rec.resources.length, CORE + 1);
    assert.equal(rec.one('aws:backup/vaultLockConfiguration:VaultLockConfiguration').inputs.changeableForDays, undefined, 'governance mode');
  });

  it('adds a continuous rule for an RPO under an hour, and names the store when the RPO cannot be met', async () => {
    const rec = await recorderReady;
    assertInvalid(() => backups({ replicatedBuckets: {}, disasterRecovery: { ...LOCAL, rpo: Duration.minutes(15) } }),
      "'disasterRecovery.rpo' (15 minutes): store 'AWS Backup snapshot rule' cannot meet RPO 15 minutes; the best it supports is 1 hour", 'continuous backup');
    assertInvalid(() => backups({ replicatedBuckets: {}, continuousBackup: true, disasterRecovery: { ...LOCAL, rpo: Duration.minutes(2) } }),
      "store 'AWS Backup continuous backup' cannot meet RPO 2 minutes; the best it supports is 5 minutes");
    assertInvalid(() => backups({ continuousBackup: true, disasterRecovery: { ...POLICY, rpo: Duration.minutes(10) } }),
      "store 'S3 cross-region replication' cannot meet RPO 10 minutes; the best it supports is 15 minutes", 'Replication Time Control');
    await rec.settle();
    assert.equal(rec.resources.length, 0, 'invalid arguments register nothing');

    backups({ replicatedBuckets: {}, continuousBackup: true, disasterRecovery: { ...POLICY, rpo: Duration.minutes(15), retention: Duration.days(90), immutable: true } });
    await rec.settle();
    assert.equal(rec.resources.length, CORE + DR + 2 + 2, 'two more managed policies (S3) and two locks');
    const rules = rec.one('aws:backup/plan:Plan').inputs.rules as any[];
    assert.deepEqual(rules.map((r) => [r.ruleName, r.schedule, r.enableContinuousBackup, r.lifecycle.deleteAfter, r.copyActions?.length]), [
      ['snapshots', 'cron(0 * ? * * *)', undefined, 90, 1],
      ['continuous', 'cron(30 15 ? * * *)', true, 35, undefined],
    ]);
    assert.deepEqual(rec.ofType('aws:iam/rolePolicyAttachment:RolePolicyAttachment').map((a) => a.inputs.policyArn).sort(), [
      'arn:aws:iam::aws:policy/AWSBackupServiceRolePolicyForS3Backup',
      'arn:aws:iam::aws:policy/AWSBackupServiceRolePolicyForS3Restore',
      'arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup',
      'arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForRestores',
    ]);
    const locks = rec.ofType('aws:backup/vaultLockConfiguration:VaultLockConfiguration');
    assert.deepEqual(locks.map((l) => [l.inputs.minRetentionDays, l.inputs.maxRetentionDays]), [[35, 90], [90, 90]], 'continuous points live 35 days, copies 90');
  });

  it('replicates model artifacts, feature registry and drift baselines to the DR region with a least-privilege role', async () => {
    const rec = await recorderReady;
    const b = backups();
    await rec.settle();
    assert.equal(rec.resources.length, CORE + DR + 3 * REPLICATED_PAIR);
    assert.deepEqual(Object.keys(b.buckets), ['model-artifacts', 'feature-registry', 'drift-baselines']);
    const config = rec.one('aws:s3/bucketReplicationConfig:BucketReplicationConfig', 'platform-model-artifacts-replication');
    assert.equal(config.parent?.name, 'platform-model-artifacts');
    assert.equal(providerName(config), undefined, 'the source stays in the primary region');
    const rule = (config.inputs.rules as any[])[0];
    assert.equal(rule.destination.bucket, 'arn:aws:s3:::platform-model-artifacts-replica-mock');
    assert.deepEqual(rule.deleteMarkerReplication, { status: 'Enabled' });
    assert.equal(config.inputs.role, 'arn:aws:iam::123456789012:role/platform-model-artifacts-replication-role-mock');
    const policy = parsePolicy(rec.one('aws:iam/rolePolicy:RolePolicy', 'platform-model-artifacts-replication-policy').inputs.policy);
    assert.deepEqual(policy.Statement.map((s) => [s.Action, s.Resource]), [
      [['s3:GetReplicationConfiguration', 's3:ListBucket'], ['arn:aws:s3:::platform-model-artifacts-mock']],
      [['s3:GetObjectVersionForReplication', 's3:GetObjectVersionAcl', 's3:GetObjectVersionTagging'], ['arn:aws:s3:::platform-model-artifacts-mock/*']],
      [['s3:ReplicateObject', 's3:ReplicateDelete', 's3:ReplicateTags'], ['arn:aws:s3:::platform-model-artifacts-replica-mock/*']],
    ]);
    const replica = rec.one('aws:s3/bucket:Bucket', 'platform-model-artifacts-replica-bucket');
    assert.equal(providerName(replica), 'platform-dr-provider', 'the replica is created in the DR region');
    for (const name of ['platform-model-artifacts-lifecycle', 'platform-model-artifacts-replica-lifecycle']) {
      const rules = rec.one('aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration', name).inputs.rules as any[];
      assert.equal(rules[0].noncurrentVersionExpiration.noncurrentDays, 30, `${name}: old versions kept for the retention`);
    }
    assert.equal((rec.one('aws:s3/bucket:Bucket', 'platform-drift-baselines-bucket').inputs.tags as any)['ml-platform-constructs.dev/purpose'], 'drift-baselines');
    for (const r of rec.resources.filter((x) => x.custom && x.type.startsWith('aws:'))) {
      assert.equal(providerName(r), /-replica-|^platform-dr-/.test(r.name) ? 'platform-dr-provider' : undefined, r.name);
    }
  });

  it('encrypts replicas of a KMS-encrypted bucket with the DR-region key', async () => {
    const rec = await recorderReady;
    backups({ replicatedBuckets: { 'model-artifacts': { kmsKeyArn: 'arn:aws:kms:us-east-1:123456789012:key/k1' } }, drKmsKeyArn: 'arn:aws:kms:us-west-2:123456789012:key/dr1' });
    await rec.settle();
    assert.equal(rec.resources.length, CORE + DR - 1 + REPLICATED_PAIR, 'no DR key created when one is given');
    const rule = (rec.one('aws:s3/bucketReplicationConfig:BucketReplicationConfig').inputs.rules as any[])[0];
    assert.deepEqual(rule.destination.encryptionConfiguration, { replicaKmsKeyId: 'arn:aws:kms:us-west-2:123456789012:key/dr1' });
    assert.deepEqual(rule.sourceSelectionCriteria, { sseKmsEncryptedObjects: { status: 'Enabled' } });
    const sse = rec.one('aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration', 'platform-model-artifacts-replica-encryption').inputs.rules as any[];
    assert.equal(sse[0].applyServerSideEncryptionByDefault.kmsMasterKeyId, 'arn:aws:kms:us-west-2:123456789012:key/dr1');
    const policy = parsePolicy(rec.one('aws:iam/rolePolicy:RolePolicy').inputs.policy);
    assert.deepEqual(policy.Statement.slice(3).map((s) => [s.Sid, s.Action, s.Resource]), [
      ['SourceKms', ['kms:Decrypt'], ['arn:aws:kms:us-east-1:123456789012:key/k1']],
      ['DestinationKms', ['kms:Encrypt'], ['arn:aws:kms:us-west-2:123456789012:key/dr1']],
    ]);
  });

  it("creates Velero's replicated bucket and an IRSA role with exactly the AWS plugin's permissions", async () => {
    const rec = await recorderReady;
    const b = backups({ replicatedBuckets: {}, velero: { oidcProvider: OIDC } });
    await rec.settle();
    assert.equal(rec.resources.length, CORE + DR + REPLICATED_PAIR + VELERO, 'the role, its policy and the SSE-KMS key of the bucket');
    const trust = parsePolicy(rec.one('aws:iam/role:Role', 'platform-velero-irsa-role').inputs.assumeRolePolicy);
    assert.equal(trust.Statement[0].Condition.StringEquals['oidc.eks.us-east-1.amazonaws.com/id/AB12:sub'], 'system:serviceaccount:velero:velero-server');
    const policy = parsePolicy(rec.one('aws:iam/rolePolicy:RolePolicy', 'platform-velero-irsa-policy').inputs.policy);
    assert.deepEqual(policy.Statement, [
      {
        Sid: 'BackupObjects', Effect: 'Allow',
        Action: ['s3:GetObject', 's3:DeleteObject', 's3:PutObject', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts'],
        Resource: ['arn:aws:s3:::platform-velero-mock/*'],
      },
      { Sid: 'ListBucket', Effect: 'Allow', Action: ['s3:ListBucket'], Resource: ['arn:aws:s3:::platform-velero-mock'] },
      { Sid: 'Kms', Effect: 'Allow', Action: ['kms:Decrypt', 'kms:GenerateDataKey'], Resource: ['arn:aws:kms:us-east-1:123456789012:key/platform-velero-key-key-id'] },
    ]);
    // Velero's backups hold Secrets: SSE-KMS with its own key, whose policy is explicit.
    const encryption = rec.one('aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration', 'platform-velero-encryption').inputs.rules as any[];
    assert.deepEqual(encryption[0].applyServerSideEncryptionByDefault, { sseAlgorithm: 'aws:kms', kmsMasterKeyId: 'arn:aws:kms:us-east-1:123456789012:key/platform-velero-key-key-id' });
    assert.deepEqual(parsePolicy(rec.one('aws:kms/key:Key', 'platform-velero-key').inputs.policy).Statement, [{
      Sid: 'EnableIamPoliciesOfThisAccount', Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::123456789012:root' }, Action: 'kms:*', Resource: '*',
    }]);
    const rules = rec.one('aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration', 'platform-velero-lifecycle').inputs.rules as any[];
    assert.equal(rules[0].noncurrentVersionExpiration.noncurrentDays, 7, 'Velero expires backups itself; deleted objects stay a week');
    assert.equal(await promiseOf(b.veleroRole!.roleArn), 'arn:aws:iam::123456789012:role/platform-velero-irsa-role-mock');

    rec.reset();
    new PlatformBackupsAws('ebs', { disasterRecovery: LOCAL, replicatedBuckets: {}, velero: { oidcProvider: OIDC, ebsSnapshots: true, serviceAccount: 'velero', namespace: 'backup' } });
    await rec.settle();
    assert.equal(rec.resources.length, CORE + BUCKET + VELERO);
    const ebs = parsePolicy(rec.one('aws:iam/rolePolicy:RolePolicy', 'ebs-velero-irsa-policy').inputs.policy);
    assert.deepEqual(ebs.Statement.slice(3).map((s) => [s.Sid, s.Action, s.Resource]), [
      ['DescribeVolumes', ['ec2:DescribeVolumes', 'ec2:DescribeSnapshots'], ['*']],
      ['Snapshots', ['ec2:CreateTags', 'ec2:CreateVolume', 'ec2:CreateSnapshot', 'ec2:DeleteSnapshot'],
        ['arn:aws:ec2:us-east-1:123456789012:volume/*', 'arn:aws:ec2:us-east-1::snapshot/*']],
    ]);
    const ebsTrust = parsePolicy(rec.one('aws:iam/role:Role', 'ebs-velero-irsa-role').inputs.assumeRolePolicy);
    assert.equal(ebsTrust.Statement[0].Condition.StringEquals['oidc.eks.us-east-1.amazonaws.com/id/AB12:sub'], 'system:serviceaccount:backup:velero');
  });

  it('uses the given DR provider for DR-region children and the component provider for the others', async () => {
    const rec = await recorderReady;
    const primary = new Provider('primary', { region: 'eu-west-1' });
    const dr = new Provider('dr', { region: 'eu-central-1' });
    await rec.settle();
    rec.reset();
    const b = backups({ drProvider: dr, disasterRecovery: { ...POLICY, drRegion: 'eu-central-1' }, replicatedBuckets: { 'model-artifacts': {} } }, { provider: primary });
    await rec.settle();
    assert.equal(rec.resources.length, CORE + DR - 1 + REPLICATED_PAIR, 'no provider of its own');
    assert.equal(b.drProvider, dr);
    const custom = rec.resources.filter((x) => x.custom);
    assert.ok(custom.length > 20);
    for (const r of custom) {
      assert.equal(providerName(r), /-replica-|^platform-dr-/.test(r.name) ? 'dr' : 'primary', r.name);
    }
  });

  it('protects resources other components own, by ARN, and hands them PITR and snapshot settings', async () => {
    const rec = await recorderReady;
    const b = backups({ replicatedBuckets: {}, disasterRecovery: LOCAL, resourceArns: ['arn:aws:rds:us-east-1:123456789012:db:registry'] });
    const selection = b.protect('features', ['arn:aws:dynamodb:us-east-1:123456789012:table/churn-features']);
    await rec.settle();
    assert.equal(rec.resources.length, CORE + 2);
    assert.deepEqual(rec.one('aws:backup/selection:Selection', 'platform-features-selection').inputs.resources, ['arn:aws:dynamodb:us-east-1:123456789012:table/churn-features']);
    assert.equal(rec.one('aws:backup/selection:Selection', 'platform-features-selection').inputs.name, 'platform-features');
    assert.deepEqual(rec.one('aws:backup/selection:Selection', 'platform-arns-selection').inputs.resources, ['arn:aws:rds:us-east-1:123456789012:db:registry']);
    assert.equal(await promiseOf(selection.planId), 'platform-plan-id');
    assert.deepEqual(b.dynamoDbPointInTimeRecovery(), { enabled: true, recoveryPeriodInDays: 30 });
    assert.throws(() => b.elastiCacheSnapshotSettings(),
      /^ValidationError: ml-platform:dr:PlatformBackupsAws\(platform\): invalid 'disasterRecovery.rpo' \(60 minutes\): store 'ElastiCache automatic snapshots' cannot meet RPO 1 hour; the best it supports is 1 day/);
    assert.throws(() => b.protect('Bad_Id', ['arn']), /'protect.id'/);
  });

  it('hands the restore runbook its AWS names', async () => {
    const rec = await recorderReady;
    const b = backups({ replicatedBuckets: { 'model-artifacts': {} }, velero: { oidcProvider: OIDC } });
    const binding = await promiseOf(b.runbookBinding);
    await rec.settle();
    assert.equal(rec.resources.length, CORE + DR + 2 * REPLICATED_PAIR + VELERO);
    assert.deepEqual(binding, {
      region: 'us-east-1',
      backupVaultName: 'platform',
      drBackupVaultName: 'platform-dr',
      backupSchedule: 'cron(0 * ? * * *)',
      continuousBackup: false,
      backupRoleArn: 'arn:aws:iam::123456789012:role/platform-backup-role-mock',
      selectionTag: 'ml-platform-constructs.dev/backup=platform',
      buckets: [{ purpose: 'model-artifacts', bucketName: 'platform-model-artifacts-mock', replicaBucketName: 'platform-model-artifacts-replica-mock' }],
      veleroBucketName: 'platform-velero-mock',
      veleroReplicaBucketName: 'platform-velero-replica-mock',
    });
    const chart = new Chart(Testing.app(), 'k8s');
    const md = new PlatformBackups(chart, 'platform', { disasterRecovery: POLICY, namespaces: ['ml-churn'], aws: { ...binding, dynamoDbTables: ['churn-features'] } }).runbookMarkdown();
    assert.ok(md.includes('velero -n velero backup-location create dr-replica --provider aws --bucket platform-velero-replica-mock --config region=us-west-2 --access-mode ReadOnly'));
    // No placeholder to fill in: the recovery point is looked up by command, then restored with the backup role.
    assert.ok(md.includes('aws backup start-restore-job --recovery-point-arn "$RECOVERY_POINT" --iam-role-arn arn:aws:iam::123456789012:role/platform-backup-role-mock'));
    assert.match(md, /^RECOVERY_POINT=\$\(aws backup list-recovery-points-by-backup-vault --backup-vault-name platform /m);
    assert.doesNotMatch(md, /<[a-z-]+>/);
    assert.ok(md.includes('aws dynamodb restore-table-to-point-in-time --source-table-name churn-features'));
  });

  it('rejects arguments that have no effect or contradict the policy, registering nothing', async () => {
    const rec = await recorderReady;
    const dr = new Provider('unused-dr', { region: 'us-west-2' });
    await rec.settle();
    rec.reset();
    assertInvalid(() => backups({ disasterRecovery: LOCAL, drProvider: dr }), "'drProvider'", "has no effect without 'disasterRecovery.drRegion'");
    assertInvalid(() => backups({ vaultLockMode: VaultLockMode.GOVERNANCE }), "'vaultLockMode' (\"governance\")", "unless 'disasterRecovery.immutable' is true");
    assertInvalid(() => backups({ disasterRecovery: { ...POLICY, immutable: true }, vaultLockChangeableForDays: 1 }), "'vaultLockChangeableForDays' (1)", 'from 3 to 36500');
    assertInvalid(() => backups({ disasterRecovery: { ...POLICY, immutable: true }, forceDestroy: true }), "'forceDestroy' (true)", 'locked recovery points cannot be deleted');
    assertInvalid(() => backups({ vaultName: 'platform vault' }), "'vaultName' (\"platform vault\")");
    assertInvalid(() => backups({ replicatedBuckets: { 'model-artifacts': { existingBucketName: 'models-prod' } } }),
      "'replicatedBuckets.model-artifacts.existingBucketName' (\"models-prod\")", 'cannot be replicated by this component');
    assertInvalid(() => backups({ replicatedBuckets: { 'model-artifacts': { replication: { destinationBucketArn: 'arn:aws:s3:::x' } } } }),
      "'replicatedBuckets.model-artifacts.replication'", 'derived from the policy');
    assertInvalid(() => backups({ disasterRecovery: { ...POLICY, retention: Duration.minutes(30) } }), "'disasterRecovery.retention' (30 minutes)", 'at least the RPO');
    await rec.settle();
    assert.equal(rec.resources.length, 0);
  });
});
