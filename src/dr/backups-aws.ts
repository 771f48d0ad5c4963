import * as backup from '@pulumi/aws/backup';
import { getCallerIdentityOutput } from '@pulumi/aws/getCallerIdentity';
import { getPartitionOutput } from '@pulumi/aws/getPartition';
import { getRegionOutput } from '@pulumi/aws/getRegion';
import * as iam from '@pulumi/aws/iam';
import * as kms from '@pulumi/aws/kms';
import { Provider } from '@pulumi/aws/provider';
import * as pulumi from '@pulumi/pulumi';
import { Duration } from 'cdk8s';
import { IrsaRole, OidcProvider } from '../aws/irsa-role';
import { PolicyStatement, componentLabel, kmsKeyPolicy, serviceTrustPolicy } from '../aws/policy';
import { SecureBucket, SecureBucketArgs, defaultBucketPrefix } from '../aws/secure-bucket';
import {
  BackupCadence, BackupStores, DisasterRecoveryPolicy, DynamoDbPointInTimeRecovery, ElastiCacheSnapshotOptions, ElastiCacheSnapshotSettings,
  checkStore, deriveBackupCadence, dynamoDbPointInTimeRecovery, elastiCacheSnapshotSettings, retentionDays, validateDisasterRecovery,
} from '../policy/disaster-recovery';
import { PropsValidator } from '../core/errors';
import { DisasterRecoveryAwsBinding } from './runbook';

/** How AWS Backup Vault Lock protects recovery points. */
export enum VaultLockMode {
  /**
   * Compliance mode: after a grace period (`vaultLockChangeableForDays`, at
   * least 3 days) nobody, not even the account root, can shorten retention,
   * delete recovery points or remove the lock.
   */
  COMPLIANCE = 'compliance',
  /** Governance mode: principals with the right IAM permissions can still remove the lock. */
  GOVERNANCE = 'governance',
}

/** Velero's bucket and IAM role (IRSA). */
export interface VeleroAwsArgs {
  /** The cluster's OIDC provider, trusted by Velero's role. */
  readonly oidcProvider: OidcProvider;
  /** Velero's namespace. @default 'velero' */
  readonly namespace?: string;
  /** Velero's ServiceAccount (the Helm chart's `<release>-server` for a release named `velero`; `velero install` uses `velero`). @default 'velero-server' */
  readonly serviceAccount?: string;
  /** Settings of Velero's bucket. @default - a new secure bucket, replicated to the DR region */
  readonly bucket?: SecureBucketArgs;
  /**
   * Grant the EC2 permissions of the AWS plugin's volume snapshotter (native
   * EBS snapshots). Not needed for file-system backup or CSI snapshots (the
   * EBS CSI driver takes those with its own role).
   * @default false
   */
  readonly ebsSnapshots?: boolean;
}

/** Arguments of a {@link PlatformBackupsAws}. */
export interface PlatformBackupsAwsArgs {
  /** The policy the backup plan, retention and copies are derived from. */
  readonly disasterRecovery: DisasterRecoveryPolicy;
  /**
   * The primary region (where the primary vault and buckets are); the DR
   * region must differ from it.
   * @default - the stack's `aws:region` config, else AWS_REGION or AWS_DEFAULT_REGION
   */
  readonly primaryRegion?: string;
  /**
   * AWS provider for the DR region (for example one that assumes a role).
   * @default - a provider for `disasterRecovery.drRegion` with default credentials
   */
  readonly drProvider?: pulumi.ProviderResource;
  /** Name of the backup vault and plan (2-47 letters, digits, '-' and '_'); the DR vault is `<vaultName>-dr`. @default - the component name */
  readonly vaultName?: string;
  /** KMS key encrypting the vault. @default - a new key with rotation */
  readonly kmsKeyArn?: pulumi.Input<string>;
  /** KMS key in the DR region for the DR vault (and KMS-encrypted bucket replicas). @default - a new key with rotation */
  readonly drKmsKeyArn?: pulumi.Input<string>;
  /**
   * Add a continuous-backup rule (point-in-time restore of RDS, Aurora and S3,
   * kept at most 35 days). Required for an RPO under 1 hour: snapshot rules
   * run at most hourly. DynamoDB tables get such RPOs from their own
   * point-in-time recovery (`dynamoDbPointInTimeRecovery()`), not from this rule.
   * @default false
   */
  readonly continuousBackup?: boolean;
  /** Attach the S3 backup/restore managed policies, so tagged buckets can be backed up. @default - the value of `continuousBackup` */
  readonly s3Backups?: boolean;
  /** Resources with this tag are backed up by the plan. @default { key: 'ml-platform-constructs.dev/backup', value: <name> } */
  readonly selectionTag?: { readonly key: string; readonly value: string };
  /** Resources backed up by ARN as well. @default - none (tag selection only) */
  readonly resourceArns?: readonly pulumi.Input<string>[];
  /** Vault Lock mode when `disasterRecovery.immutable`. @default VaultLockMode.COMPLIANCE */
  readonly vaultLockMode?: VaultLockMode;
  /** Days the compliance-mode lock can still be removed (3 or more). @default 3 */
  readonly vaultLockChangeableForDays?: number;
  /**
   * Versioned buckets, replicated to the DR region, by purpose (the
   * purpose names them: `<name>-<purpose>`). Pass `{}` for none.
   * @default { 'model-artifacts': {}, 'feature-registry': {}, 'drift-baselines': {} }
   */
  readonly replicatedBuckets?: Readonly<Record<string, SecureBucketArgs>>;
  /** Velero's bucket and role. @default - none */
  readonly velero?: VeleroAwsArgs;
  /** Hour (UTC) of daily and weekly backups. @default 3 */
  readonly backupHourUtc?: number;
  /** Let `pulumi destroy` delete vaults with recovery points and non-empty buckets (not with `immutable`). @default false */
  readonly forceDestroy?: boolean;
  /** Tags of every created resource. @default - none */
  readonly tags?: Readonly<Record<string, string>>;
}

/** The purposes the guide names: model files, the feature registry and drift baselines. */
export const DEFAULT_REPLICATED_BUCKETS: Readonly<Record<string, SecureBucketArgs>> = Object.freeze({
  'model-artifacts': {},
  'feature-registry': {},
  'drift-baselines': {},
});

const SERVICE_ROLE_POLICIES = ['service-role/AWSBackupServiceRolePolicyForBackup', 'service-role/AWSBackupServiceRolePolicyForRestores'];
const S3_POLICIES = ['AWSBackupServiceRolePolicyForS3Backup', 'AWSBackupServiceRolePolicyForS3Restore'];
/** Velero expires backups itself (TTL = retention); a deleted object stays recoverable this long. */
const VELERO_NONCURRENT_DAYS = 7;

/**
 * The AWS half of disaster recovery, derived from one policy:
 *
 * - an AWS Backup vault (KMS encrypted, Vault Lock when `immutable`) and a
 *   backup plan whose snapshot rule runs at the RPO (at most hourly) and keeps
 *   recovery points for the retention, plus a continuous-backup rule on request;
 * - copies of every recovery point to a vault in the DR region (through a
 *   second AWS provider that reaches every DR-region child);
 * - a selection of the platform's resources by tag (and by ARN), with the
 *   backup IAM role and the AWS managed backup/restore policies;
 * - versioned buckets for model artifacts, feature registry and drift
 *   baselines, replicated to a bucket in the DR region with a least-privilege
 *   replication role; old versions kept for the retention;
 * - Velero's bucket (replicated the same way) and its IRSA role, with the
 *   permissions of Velero's AWS plugin.
 *
 * Stores owned by other components use its settings: tag them with
 * `selectionTags` (or call `protect`), and pass `dynamoDbPointInTimeRecovery()`
 * and `elastiCacheSnapshotSettings()` to the tables and caches they create.
 *
 * @see https://docs.aws.amazon.com/aws-backup/latest/devguide/creating-a-backup-plan.html
 * @see https://github.com/vmware-tanzu/velero-plugin-for-aws#set-permissions-for-velero
 */
export class PlatformBackupsAws extends pulumi.ComponentResource {
  /** Pulumi type token. */
  public static readonly TYPE = 'ml-platform:dr:PlatformBackupsAws';

  /** The validated policy. */
  public readonly policy: DisasterRecoveryPolicy;
  /** Schedule of the snapshot rule (interval, expression, retention). */
  public readonly cadence: BackupCadence;
  /** Name of the primary vault (and of the plan). */
  public readonly vaultName: string;
  /** Tags that put a resource into the backup plan. */
  public readonly selectionTags: Readonly<Record<string, string>>;
  /** The primary vault. */
  public readonly vault: backup.Vault;
  /** The vault in the DR region, when the policy has one. */
  public readonly drVault?: backup.Vault;
  /** The backup plan. */
  public readonly plan: backup.Plan;
  /** The role AWS Backup backs up and restores with. */
  public readonly backupRole: iam.Role;
  /** The tag selection. */
  public readonly selection: backup.Selection;
  /** The provider of DR-region resources. */
  public readonly drProvider?: pulumi.ProviderResource;
  /** Versioned (replicated) buckets by purpose. */
  public readonly buckets: Readonly<Record<string, SecureBucket>>;
  /** Their replicas in the DR region, by purpose. */
  public readonly replicaBuckets: Readonly<Record<string, SecureBucket>>;
  /** Velero's bucket. */
  public readonly veleroBucket?: SecureBucket;
  /** Replica of Velero's bucket in the DR region. */
  public readonly veleroReplicaBucket?: SecureBucket;
  /** Velero's IRSA role. */
  public readonly veleroRole?: IrsaRole;
  /** The names the restore runbook needs (feed `PlatformBackups`' `aws` prop; add the tables and caches other components own). */
  public readonly runbookBinding: pulumi.Output<DisasterRecoveryAwsBinding>;

  private readonly componentName: string;
  private readonly backupTags: Record<string, string>;
  private readonly objectLockMode: 'COMPLIANCE' | 'GOVERNANCE';

  constructor(name: string, args: PlatformBackupsAwsArgs, opts?: pulumi.ComponentResourceOptions) {
    // Validate before registering anything: invalid arguments leave no dangling component.
    const r = resolveBackupsAws(name, args);
    super(PlatformBackupsAws.TYPE, name, {}, opts);
    this.componentName = name;
    this.policy = r.policy;
    this.objectLockMode = r.lockMode === VaultLockMode.COMPLIANCE ? 'COMPLIANCE' : 'GOVERNANCE';
    this.cadence = r.cadence;
    this.vaultName = r.vaultName;
    this.selectionTags = { [r.selectionTag.key]: r.selectionTag.value };
    this.backupTags = { ...args.tags, 'ml-platform-constructs.dev/backup-plan': r.vaultName };
    const child = { parent: this };

    if (r.dr !== undefined) {
      this.drProvider = args.drProvider ?? new Provider(`${name}-dr-provider`, { region: r.dr }, child);
    }
    const vaults = this.createVaults(name, r, args);
    this.vault = vaults.vault;
    this.drVault = vaults.drVault;
    this.plan = new backup.Plan(`${name}-plan`, { name: r.vaultName, rules: this.planRules(r, args), tags: { ...args.tags } }, child);
    const { role, partition } = this.createBackupRole(name, r, args);
    this.backupRole = role;
    this.selection = new backup.Selection(`${name}-selection`, {
      name: `${r.vaultName}-tagged`.slice(0, 50),
      planId: this.plan.id,
      iamRoleArn: this.backupRole.arn,
      selectionTags: [{ type: 'STRINGEQUALS', key: r.selectionTag.key, value: r.selectionTag.value }],
    }, child);
    if (args.resourceArns && args.resourceArns.length > 0) {
      this.protect('arns', args.resourceArns);
    }

    const buckets: Record<string, SecureBucket> = {};
    const replicas: Record<string, SecureBucket> = {};
    for (const [purpose, bucketArgs] of Object.entries(r.purposes)) {
      const pair = this.replicatedBucket(`${name}-${purpose}`, { noncurrentVersionExpirationDays: r.days, ...bucketArgs }, vaults.drKeyArn, args, purpose);
      buckets[purpose] = pair.bucket;
      if (pair.replica) {
        replicas[purpose] = pair.replica;
      }
    }
    this.buckets = buckets;
    this.replicaBuckets = replicas;
    if (args.velero) {
      const velero = args.velero;
      // Velero's backups hold the namespaces' Secrets: SSE-KMS with a key of its own unless one is given.
      const kmsKeyArn = velero.bucket?.kmsKeyArn ?? new kms.Key(`${name}-velero-key`, {
        description: `Velero backups of ${name} (SSE-KMS)`, enableKeyRotation: true, deletionWindowInDays: 30, tags: { ...args.tags }, policy: this.keyPolicy(child),
      }, child).arn;
      const pair = this.replicatedBucket(`${name}-velero`, { noncurrentVersionExpirationDays: VELERO_NONCURRENT_DAYS, ...velero.bucket, kmsKeyArn }, vaults.drKeyArn, args, 'velero');
      this.veleroBucket = pair.bucket;
      this.veleroReplicaBucket = pair.replica;
      this.veleroRole = new IrsaRole(`${name}-velero-irsa`, {
        oidcProvider: velero.oidcProvider,
        namespace: velero.namespace ?? 'velero',
        serviceAccount: velero.serviceAccount ?? 'velero-server',
        statements: this.veleroStatements(pair.bucket, velero.ebsSnapshots ?? false, partition),
        description: `Velero (${velero.namespace ?? 'velero'}/${velero.serviceAccount ?? 'velero-server'}): backups in its bucket`,
        tags: args.tags,
      }, child);
    }
    this.runbookBinding = this.bindRunbook(r);

    this.registerOutputs({
      vaultArn: this.vault.arn,
      drVaultArn: this.drVault?.arn,
      planId: this.plan.id,
      backupRoleArn: this.backupRole.arn,
      veleroRoleArn: this.veleroRole?.roleArn,
      veleroBucketName: this.veleroBucket?.bucketName,
    });
  }

  /**
   * Backs up these resources (by ARN) with the platform's plan, for stores
   * another component creates (for example the feature store's DynamoDB
   * table): `backups.protect('features', [table.arn])`. Tagging them with
   * `selectionTags` does the same without a new selection.
   */
  public protect(id: string, resourceArns: readonly pulumi.Input<string>[]): backup.Selection {
    const v: PropsValidator = new PropsValidator(componentLabel(PlatformBackupsAws.TYPE, this.componentName));
    v.dnsLabel('protect.id', id, 30);
    v.check(resourceArns.length > 0, 'protect.resourceArns', resourceArns, 'must list at least one ARN');
    return new backup.Selection(`${this.componentName}-${id}-selection`, {
      name: `${this.vaultName}-${id}`.slice(0, 50),
      planId: this.plan.id,
      iamRoleArn: this.backupRole.arn,
      resources: [...resourceArns],
    }, { parent: this });
  }

  /** Point-in-time recovery settings of a DynamoDB table under this policy (`pointInTimeRecovery` argument). */
  public dynamoDbPointInTimeRecovery(): DynamoDbPointInTimeRecovery {
    return dynamoDbPointInTimeRecovery(this.policy, { validator: new PropsValidator(componentLabel(PlatformBackupsAws.TYPE, this.componentName)) });
  }

  /** Snapshot settings of an ElastiCache replication group under this policy (throws for an RPO under a day). */
  public elastiCacheSnapshotSettings(options: Omit<ElastiCacheSnapshotOptions, 'validator'> = {}): ElastiCacheSnapshotSettings {
    return elastiCacheSnapshotSettings(this.policy, { ...options, validator: new PropsValidator(componentLabel(PlatformBackupsAws.TYPE, this.componentName)) });
  }

  /** The primary vault and, with a DR region, the DR vault (KMS keys unless given), locked when the policy is immutable. */
  private createVaults(name: string, r: ResolvedBackupsAws, args: PlatformBackupsAwsArgs): Vaults {
    const tags = { ...args.tags };
    const child = { parent: this };
    const drChild = { parent: this, provider: this.drProvider };
    const forceDestroy = args.forceDestroy ?? false;
    const keyArn = args.kmsKeyArn ?? new kms.Key(`${name}-vault-key`, {
      description: `AWS Backup vault ${r.vaultName}`, enableKeyRotation: true, deletionWindowInDays: 30, tags, policy: this.keyPolicy(child),
    }, child).arn;
    const vault = new backup.Vault(`${name}-vault`, { name: r.vaultName, kmsKeyArn: keyArn, forceDestroy, tags }, child);
    let drKeyArn: pulumi.Input<string> | undefined;
    let drVault: backup.Vault | undefined;
    if (r.dr !== undefined) {
      drKeyArn = args.drKmsKeyArn ?? new kms.Key(`${name}-dr-vault-key`, {
        description: `AWS Backup vault ${r.vaultName}-dr (copies of ${r.vaultName})`, enableKeyRotation: true, deletionWindowInDays: 30, tags,
        policy: this.keyPolicy(child),
      }, drChild).arn;
      drVault = new backup.Vault(`${name}-dr-vault`, { name: `${r.vaultName}-dr`, kmsKeyArn: drKeyArn, forceDestroy, tags }, drChild);
    }
    if (r.immutable) {
      // Every job into a locked vault must keep its recovery point between the shortest and the longest rule retention.
      const changeable = r.lockMode === VaultLockMode.COMPLIANCE ? r.changeableForDays : undefined;
      new backup.VaultLockConfiguration(`${name}-vault-lock`, {
        backupVaultName: vault.name,
        minRetentionDays: r.continuous ? r.continuousDays : r.days,
        maxRetentionDays: r.days,
        changeableForDays: changeable,
      }, child);
      if (drVault) {
        // Only the snapshot rule copies: every copy keeps the full retention.
        new backup.VaultLockConfiguration(`${name}-dr-vault-lock`, {
          backupVaultName: drVault.name, minRetentionDays: r.days, maxRetentionDays: r.days, changeableForDays: changeable,
        }, drChild);
      }
    }
    return { vault, drVault, drKeyArn };
  }

  /** The snapshot rule (copied to the DR vault) and, on request, the continuous rule. */
  private planRules(r: ResolvedBackupsAws, args: PlatformBackupsAwsArgs): backup.PlanArgs['rules'] {
    const recoveryPointTags = { ...this.backupTags };
    const copyActions = this.drVault ? [{ destinationVaultArn: this.drVault.arn, lifecycle: { deleteAfter: r.days } }] : undefined;
    const rules: backup.PlanArgs['rules'] = [{
      ruleName: 'snapshots',
      targetVaultName: this.vault.name,
      schedule: r.scheduleExpression,
      scheduleExpressionTimezone: 'Etc/UTC',
      // AWS minimum; a backup that cannot start within the hour is late for an hourly RPO anyway.
      startWindow: 60,
      lifecycle: { deleteAfter: r.days },
      copyActions,
      recoveryPointTags,
    }];
    if (r.continuous) {
      rules.push({
        ruleName: 'continuous',
        targetVaultName: this.vault.name,
        enableContinuousBackup: true,
        // Continuous rules track changes all the time; their schedule only syncs the recovery point (and snapshots
        // resources without point-in-time restore). Daily, so it does not overlap the snapshot rule's runs.
        schedule: `cron(30 ${((args.backupHourUtc ?? 3) + 12) % 24} ? * * *)`,
        scheduleExpressionTimezone: 'Etc/UTC',
        startWindow: 60,
        lifecycle: { deleteAfter: r.continuousDays },
        recoveryPointTags,
      });
    }
    return rules;
  }

  /** The explicit policy of every key this component creates (see `kmsKeyPolicy`). */
  private keyPolicy(opts: pulumi.InvokeOptions): pulumi.Output<string> {
    return kmsKeyPolicy(getCallerIdentityOutput({}, opts).accountId, getPartitionOutput({}, opts).partition);
  }

  /** The role AWS Backup backs up and restores with, with the AWS managed policies (and the S3 ones on request). */
  private createBackupRole(name: string, r: ResolvedBackupsAws, args: PlatformBackupsAwsArgs): { role: iam.Role; partition: pulumi.Output<string> } {
    const child = { parent: this };
    const role = new iam.Role(`${name}-backup-role`, {
      description: `AWS Backup role of plan ${r.vaultName}: backup and restore`,
      // AWS Backup assumes the role only on behalf of this account (confused-deputy condition).
      assumeRolePolicy: serviceTrustPolicy('backup.amazonaws.com', { sourceAccount: getCallerIdentityOutput({}, child).accountId }),
      tags: { ...args.tags },
    }, child);
    const partition = getPartitionOutput({}, child).partition;
    const managed = [...SERVICE_ROLE_POLICIES, ...((args.s3Backups ?? r.continuous) ? S3_POLICIES : [])];
    for (const policyName of managed) {
      const short = policyName.replace(/^service-role\//, '').replace(/^AWSBackupServiceRolePolicyFor/, '').toLowerCase();
      new iam.RolePolicyAttachment(`${name}-backup-role-${short}`, {
        role: role.name,
        policyArn: pulumi.interpolate`arn:${partition}:iam::aws:policy/${policyName}`,
      }, child);
    }
    return { role, partition };
  }

  /** The names the restore runbook needs, once every name is known. */
  private bindRunbook(r: ResolvedBackupsAws): pulumi.Output<DisasterRecoveryAwsBinding> {
    const bucketBindings = Object.entries(this.buckets).map(([purpose, b]) => pulumi.all([b.bucketName, this.replicaBuckets[purpose]?.bucketName])
      .apply(([bucketName, replicaBucketName]) => ({ purpose, bucketName, ...(replicaBucketName ? { replicaBucketName } : {}) })));
    return pulumi.all([
      getRegionOutput({}, { parent: this }).region, this.vault.name, this.drVault?.name, this.backupRole.arn, pulumi.all(bucketBindings),
      this.veleroBucket?.bucketName, this.veleroReplicaBucket?.bucketName,
    ]).apply(([region, backupVaultName, drBackupVaultName, backupRoleArn, bucketList, veleroBucketName, veleroReplicaBucketName]) => ({
      region,
      backupVaultName,
      ...(drBackupVaultName ? { drBackupVaultName } : {}),
      backupSchedule: r.cadence.awsScheduleExpression,
      continuousBackup: r.continuous,
      backupRoleArn,
      selectionTag: `${r.selectionTag.key}=${r.selectionTag.value}`,
      buckets: bucketList,
      ...(veleroBucketName ? { veleroBucketName } : {}),
      ...(veleroReplicaBucketName ? { veleroReplicaBucketName } : {}),
    }));
  }

  /** A versioned bucket and, with a DR region, its replica there (created through the DR provider). */
  private replicatedBucket(bucketName: string, bucketArgs: SecureBucketArgs, drKeyArn: pulumi.Input<string> | undefined, args: PlatformBackupsAwsArgs,
    purpose: string): { bucket: SecureBucket; replica?: SecureBucket } {
    const tags = { ...args.tags, 'ml-platform-constructs.dev/purpose': purpose, ...bucketArgs.tags };
    const forceDestroy = bucketArgs.forceDestroy ?? args.forceDestroy;
    let replica: SecureBucket | undefined;
    if (this.drProvider) {
      // A KMS-encrypted source needs a key in the destination region for its replicas.
      const replicaKey = bucketArgs.kmsKeyArn ? drKeyArn : undefined;
      // Immutable backups: every replica version is locked for the retention (Object Lock, the vault lock's mode),
      // and deletes in the source are not replicated, so an attacker with the source account's keys cannot empty the replica.
      const immutable = this.policy.immutable ?? false;
      replica = new SecureBucket(`${bucketName}-replica`, {
        noncurrentVersionExpirationDays: bucketArgs.noncurrentVersionExpirationDays,
        noncurrentVersionsToKeep: bucketArgs.noncurrentVersionsToKeep,
        expirations: bucketArgs.expirations,
        kmsKeyArn: replicaKey,
        forceDestroy,
        tags,
        ...(immutable ? { objectLock: { mode: this.objectLockMode, days: retentionDays(this.policy.retention) } } : {}),
      }, { parent: this, provider: this.drProvider });
      const bucket = new SecureBucket(bucketName, {
        ...bucketArgs,
        forceDestroy,
        tags,
        replication: {
          destinationBucketArn: replica.bucketArn, destinationKmsKeyArn: replicaKey, dependsOn: replica.versioning ? [replica.versioning] : [],
          deleteMarkerReplication: !immutable,
        },
      }, { parent: this });
      return { bucket, replica };
    }
    return { bucket: new SecureBucket(bucketName, { ...bucketArgs, forceDestroy, tags }, { parent: this }) };
  }

  /** Velero's AWS plugin permissions: its bucket, and (for native EBS snapshots) EC2 volumes and snapshots of this region. */
  private veleroStatements(bucket: SecureBucket, ebsSnapshots: boolean, partition: pulumi.Output<string>): PolicyStatement[] {
    const statements: PolicyStatement[] = [
      {
        sid: 'BackupObjects',
        actions: ['s3:GetObject', 's3:DeleteObject', 's3:PutObject', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts'],
        resources: [pulumi.interpolate`${bucket.bucketArn}/*`],
      },
      { sid: 'ListBucket', actions: ['s3:ListBucket'], resources: [bucket.bucketArn] },
    ];
    if (bucket.kmsKeyArn) {
      statements.push({ sid: 'Kms', actions: ['kms:Decrypt', 'kms:GenerateDataKey'], resources: [bucket.kmsKeyArn] });
    }
    if (ebsSnapshots) {
      const region = getRegionOutput({}, { parent: this }).region;
      const account = getCallerIdentityOutput({}, { parent: this }).accountId;
      statements.push(
        // Describe calls support no resource-level permissions.
        { sid: 'DescribeVolumes', actions: ['ec2:DescribeVolumes', 'ec2:DescribeSnapshots'], resources: ['*'] },
        {
          sid: 'Snapshots',
          actions: ['ec2:CreateTags', 'ec2:CreateVolume', 'ec2:CreateSnapshot', 'ec2:DeleteSnapshot'],
          resources: [pulumi.interpolate`arn:${partition}:ec2:${region}:${account}:volume/*`, pulumi.interpolate`arn:${partition}:ec2:${region}::snapshot/*`],
        },
      );
    }
    return statements;
  }
}

/** The vaults of a {@link PlatformBackupsAws}, and the DR-region key replicas use. */
interface Vaults {
  readonly vault: backup.Vault;
  readonly drVault?: backup.Vault;
  readonly drKeyArn?: pulumi.Input<string>;
}

/** A {@link PlatformBackupsAws}'s arguments, resolved and validated. */
interface ResolvedBackupsAws {
  readonly policy: DisasterRecoveryPolicy;
  readonly dr?: string;
  readonly continuous: boolean;
  readonly cadence: BackupCadence;
  /** Schedule expression of the snapshot rule. */
  readonly scheduleExpression: string;
  readonly vaultName: string;
  readonly immutable: boolean;
  readonly lockMode: VaultLockMode;
  readonly changeableForDays: number;
  readonly selectionTag: { readonly key: string; readonly value: string };
  readonly purposes: Readonly<Record<string, SecureBucketArgs>>;
  /** Retention in days. */
  readonly days: number;
  /** Retention of the continuous rule (at most 35 days). */
  readonly continuousDays: number;
}

/** The region the default AWS provider deploys to: the stack's `aws:region`, else AWS_REGION / AWS_DEFAULT_REGION. */
function configuredRegion(): string | undefined {
  return new pulumi.Config('aws').get('region') ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
}

function resolveBackupsAws(name: string, args: PlatformBackupsAwsArgs): ResolvedBackupsAws {
  const v: PropsValidator = new PropsValidator(componentLabel(PlatformBackupsAws.TYPE, name));
  const policy = validateDisasterRecovery(v, 'disasterRecovery', args.disasterRecovery, args.primaryRegion ?? configuredRegion());
  const dr = policy.drRegion;
  const continuous = args.continuousBackup ?? false;
  const days = retentionDays(policy.retention);
  // Snapshot rules run at most hourly: a tighter RPO needs the continuous rule (and gets hourly snapshots besides).
  if (!continuous) {
    checkStore(v, 'disasterRecovery', policy, BackupStores.AWS_BACKUP_SNAPSHOTS);
  } else {
    checkStore(v, 'disasterRecovery', { ...policy, retention: Duration.days(Math.min(35, days)) }, BackupStores.AWS_BACKUP_CONTINUOUS);
  }
  const snapshotPolicy = { ...policy, rpo: Duration.seconds(Math.max(policy.rpo.toSeconds(), 3600)) };
  const cadence = deriveBackupCadence(snapshotPolicy, BackupStores.AWS_BACKUP_SNAPSHOTS, { validator: v, property: 'disasterRecovery', hourUtc: args.backupHourUtc });
  const scheduleExpression = cadence.awsScheduleExpression;
  // Always defined: the snapshot policy's RPO is at least an hour.
  v.check(scheduleExpression !== undefined, 'disasterRecovery.rpo', snapshotPolicy.rpo, 'must be at least 1 hour for an AWS Backup snapshot rule');
  const vaultName = v.matches('vaultName', args.vaultName ?? name, /^[a-zA-Z0-9_-]{2,47}$/, "must be 2-47 letters, digits, '-' or '_' (the DR vault appends '-dr')");
  v.check(args.drProvider === undefined || dr !== undefined, 'drProvider', 'provider', "has no effect without 'disasterRecovery.drRegion'");
  v.check(args.drKmsKeyArn === undefined || dr !== undefined, 'drKmsKeyArn', args.drKmsKeyArn, "has no effect without 'disasterRecovery.drRegion'");
  const immutable = policy.immutable ?? false;
  v.check(immutable || (args.vaultLockMode === undefined && args.vaultLockChangeableForDays === undefined), 'vaultLockMode', args.vaultLockMode,
    "has no effect unless 'disasterRecovery.immutable' is true");
  const lockMode = args.vaultLockMode ?? VaultLockMode.COMPLIANCE;
  v.check(lockMode === VaultLockMode.COMPLIANCE || args.vaultLockChangeableForDays === undefined, 'vaultLockChangeableForDays', args.vaultLockChangeableForDays,
    'applies to compliance mode only (governance-mode locks can be removed at any time)');
  const changeableForDays = v.integer('vaultLockChangeableForDays', args.vaultLockChangeableForDays ?? 3, 3, 36500);
  v.check(!(immutable && args.forceDestroy), 'forceDestroy', args.forceDestroy, "contradicts 'disasterRecovery.immutable': locked recovery points cannot be deleted");
  const selectionTag = args.selectionTag ?? { key: 'ml-platform-constructs.dev/backup', value: name };
  v.matches('selectionTag.key', selectionTag.key, /^[\w.:/=+@ -]{1,128}$/, 'must be an AWS tag key');
  v.matches('selectionTag.value', selectionTag.value, /^[\w.:/=+@ -]{0,256}$/, 'must be an AWS tag value');
  const purposes = args.replicatedBuckets ?? DEFAULT_REPLICATED_BUCKETS;
  validateBuckets(v, name, args, policy, purposes);
  return {
    policy, dr, continuous, cadence, scheduleExpression, vaultName, immutable, lockMode, changeableForDays, selectionTag, purposes, days,
    continuousDays: Math.min(35, days),
  };
}

/** The replicated buckets and Velero's: replication is derived from the policy, so it must meet the RPO and the names must fit. */
function validateBuckets(v: PropsValidator, name: string, args: PlatformBackupsAwsArgs, policy: DisasterRecoveryPolicy,
  purposes: Readonly<Record<string, SecureBucketArgs>>): void {
  const replicate = policy.drRegion !== undefined;
  if (replicate && Object.keys(purposes).length + (args.velero ? 1 : 0) > 0) {
    // S3 replication replaces schedules: the store has to meet the RPO itself.
    checkStore(v, 'disasterRecovery', policy, BackupStores.S3_REPLICATION);
  }
  for (const [purpose, bucketArgs] of Object.entries(purposes)) {
    v.dnsLabel(`replicatedBuckets.${purpose}`, purpose, 30);
    v.check(bucketArgs.existingBucketName === undefined || !replicate, `replicatedBuckets.${purpose}.existingBucketName`, bucketArgs.existingBucketName,
      'cannot be replicated by this component (replication is set up when the bucket is created); omit it to create a replicated bucket');
    v.check(bucketArgs.replication === undefined, `replicatedBuckets.${purpose}.replication`, 'set', 'is derived from the policy (a replica in the DR region); do not set it');
    checkPrefixes(v, `replicatedBuckets.${purpose}.bucketPrefix`, bucketArgs.bucketPrefix, `${name}-${purpose}`, replicate);
  }
  if (args.velero) {
    v.dnsLabel('velero.namespace', args.velero.namespace ?? 'velero');
    v.dnsSubdomain('velero.serviceAccount', args.velero.serviceAccount ?? 'velero-server');
    v.check(args.velero.bucket?.replication === undefined, 'velero.bucket.replication', 'set', 'is derived from the policy (a replica in the DR region); do not set it');
    v.check(args.velero.bucket?.existingBucketName === undefined || !replicate, 'velero.bucket.existingBucketName', args.velero.bucket?.existingBucketName,
      'cannot be replicated by this component; omit it to create a replicated bucket');
    checkPrefixes(v, 'velero.bucket.bucketPrefix', args.velero.bucket?.bucketPrefix, `${name}-velero`, replicate);
  }
}

/** The bucket prefixes SecureBucket derives (`<name>-`, and `<name>-replica-` for the replica) must be valid before anything registers. */
function checkPrefixes(v: PropsValidator, property: string, given: string | undefined, bucketName: string, replicate: boolean): void {
  const derived = [...(given === undefined ? [defaultBucketPrefix(bucketName)] : []), ...(replicate ? [defaultBucketPrefix(`${bucketName}-replica`)] : [])];
  for (const prefix of derived) {
    v.check(/^[a-z0-9][a-z0-9.-]{0,36}$/.test(prefix), property, prefix,
      'derived bucket prefix must be lower-case letters, digits, "." and "-": rename the component or the purpose');
  }
}
