import { createHash } from 'node:crypto';
import { getCallerIdentityOutput } from '@pulumi/aws/getCallerIdentity';
import * as iam from '@pulumi/aws/iam';
import * as s3 from '@pulumi/aws/s3';
import * as pulumi from '@pulumi/pulumi';
import { PropsValidator } from '../core/errors';
import { PolicyStatement, componentLabel, policyDocument, serviceTrustPolicy } from './policy';

/** Cross-region replication of a bucket. */
export interface BucketReplicationArgs {
  /** ARN of the destination bucket (versioning on, in the DR region). */
  readonly destinationBucketArn: pulumi.Input<string>;
  /** KMS key in the destination region for replicas. @default - SSE-S3 on the destination */
  readonly destinationKmsKeyArn?: pulumi.Input<string>;
  /** Storage class of replicas. @default 'STANDARD_IA' */
  readonly storageClass?: string;
  /**
   * Resources the replication must wait for, typically the destination's
   * versioning (S3 rejects replication to a bucket without it).
   * @default - none
   */
  readonly dependsOn?: readonly pulumi.Resource[];
  /**
   * Replicate delete markers. Off for immutable backups: a delete in the
   * source (by an attacker or a mistake) then never hides the replica's
   * current version.
   * @default true
   */
  readonly deleteMarkerReplication?: boolean;
}

/** S3 Object Lock retention of every new object version (WORM). */
export interface BucketObjectLockArgs {
  /** `COMPLIANCE` (nobody, not even root, can shorten or remove it) or `GOVERNANCE` (principals with `s3:BypassGovernanceRetention` can). */
  readonly mode: 'COMPLIANCE' | 'GOVERNANCE';
  /** Days every object version is locked for. */
  readonly days: number;
}

/** Arguments of a {@link SecureBucket}. */
export interface SecureBucketArgs {
  /**
   * Use this existing bucket instead of creating one: nothing is created or
   * changed; grants and outputs refer to it.
   * @default - a new bucket is created
   */
  readonly existingBucketName?: string;
  /** Name prefix of the new bucket (AWS appends a unique suffix). @default - `${name}-`, shortened with a hash of the name beyond 37 characters */
  readonly bucketPrefix?: string;
  /** KMS key for server-side encryption. @default - SSE-S3 (AES256) */
  readonly kmsKeyArn?: pulumi.Input<string>;
  /** Days a non-current object version is kept before it expires. @default 90 */
  readonly noncurrentVersionExpirationDays?: number;
  /** Non-current versions always kept regardless of age. @default 5 */
  readonly noncurrentVersionsToKeep?: number;
  /** Expire current objects under these prefixes after N days (for example old checkpoints). @default - none */
  readonly expirations?: ReadonlyArray<{ readonly prefix: string; readonly days: number }>;
  /** Replicate to a bucket in another region. @default - no replication */
  readonly replication?: BucketReplicationArgs;
  /**
   * Object Lock default retention (enabled at creation: S3 cannot add it to
   * the bucket later without support). For replicas of immutable backups.
   * @default - no Object Lock
   */
  readonly objectLock?: BucketObjectLockArgs;
  /** Allow `pulumi destroy` to delete a non-empty bucket. @default false */
  readonly forceDestroy?: boolean;
  /** Tags of every created resource. @default - none */
  readonly tags?: Readonly<Record<string, string>>;
}

/**
 * An S3 bucket with the guarantees every bucket of the platform needs:
 * versioning on, server-side encryption (KMS optional, bucket key on),
 * public access blocked, ACLs disabled, a TLS-only bucket policy, lifecycle
 * of non-current versions and optional cross-region replication with a
 * least-privilege replication role. Or an existing bucket, imported by name.
 */
export class SecureBucket extends pulumi.ComponentResource {
  /** Pulumi type token. */
  public static readonly TYPE = 'ml-platform:aws:SecureBucket';

  /** Bucket name. */
  public readonly bucketName: pulumi.Output<string>;
  /** Bucket ARN. */
  public readonly bucketArn: pulumi.Output<string>;
  /** KMS key ARN, when SSE-KMS is used. */
  public readonly kmsKeyArn?: pulumi.Output<string>;
  /** The bucket (undefined for an imported bucket). */
  public readonly bucket?: s3.Bucket;
  /** The replication role, when replicating. */
  public readonly replicationRole?: iam.Role;
  /** The versioning configuration (undefined for an imported bucket); replicas depend on it. */
  public readonly versioning?: s3.BucketVersioning;

  constructor(name: string, args: SecureBucketArgs = {}, opts?: pulumi.ComponentResourceOptions) {
    // Validate before registering anything: invalid arguments leave no dangling component.
    const v: PropsValidator = new PropsValidator(componentLabel(SecureBucket.TYPE, name));
    const { noncurrentDays, keep, bucketPrefix } = validateSecureBucket(v, name, args);
    const existing = args.existingBucketName;
    super(SecureBucket.TYPE, name, {}, opts);
    this.kmsKeyArn = args.kmsKeyArn ? pulumi.output(args.kmsKeyArn) : undefined;

    if (existing !== undefined) {
      this.bucketName = pulumi.output(existing);
      this.bucketArn = pulumi.output(`arn:aws:s3:::${existing}`);
      this.registerOutputs({ bucketName: this.bucketName, bucketArn: this.bucketArn });
      return;
    }

    const child = { parent: this };
    const tags = { ...args.tags };
    this.bucket = new s3.Bucket(`${name}-bucket`, {
      bucketPrefix, forceDestroy: args.forceDestroy ?? false, tags, ...(args.objectLock ? { objectLockEnabled: true } : {}),
    }, child);
    this.bucketName = this.bucket.bucket;
    this.bucketArn = this.bucket.arn;

    const versioning = this.versioning = new s3.BucketVersioning(`${name}-versioning`, {
      bucket: this.bucket.id,
      versioningConfiguration: { status: 'Enabled' },
    }, child);
    new s3.BucketServerSideEncryptionConfiguration(`${name}-encryption`, {
      bucket: this.bucket.id,
      rules: [{
        applyServerSideEncryptionByDefault: args.kmsKeyArn
          ? { sseAlgorithm: 'aws:kms', kmsMasterKeyId: args.kmsKeyArn }
          : { sseAlgorithm: 'AES256' },
        bucketKeyEnabled: args.kmsKeyArn ? true : undefined,
      }],
    }, child);
    if (args.objectLock) {
      // Default retention of every new version; versioning is on (Object Lock requires it).
      new s3.BucketObjectLockConfiguration(`${name}-object-lock`, {
        bucket: this.bucket.id,
        rule: { defaultRetention: { mode: args.objectLock.mode, days: args.objectLock.days } },
      }, { parent: this, dependsOn: [versioning] });
    }
    const publicAccess = new s3.BucketPublicAccessBlock(`${name}-public-access`, {
      bucket: this.bucket.id,
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    }, child);
    new s3.BucketOwnershipControls(`${name}-ownership`, {
      bucket: this.bucket.id,
      rule: { objectOwnership: 'BucketOwnerEnforced' },
    }, child);
    new s3.BucketPolicy(`${name}-policy`, {
      bucket: this.bucket.id,
      policy: policyDocument([{
        sid: 'DenyInsecureTransport',
        effect: 'Deny',
        actions: ['s3:*'],
        resources: [this.bucket.arn, pulumi.interpolate`${this.bucket.arn}/*`],
        conditions: { Bool: { 'aws:SecureTransport': 'false' } },
      }], { principal: '*' }),
    }, { parent: this, dependsOn: [publicAccess] });
    new s3.BucketLifecycleConfiguration(`${name}-lifecycle`, {
      bucket: this.bucket.id,
      rules: [
        {
          id: 'expire-noncurrent-versions',
          status: 'Enabled',
          filter: { prefix: '' },
          noncurrentVersionExpiration: { noncurrentDays: noncurrentDays, newerNoncurrentVersions: keep > 0 ? keep : undefined },
          abortIncompleteMultipartUpload: { daysAfterInitiation: 7 },
        },
        ...(args.expirations ?? []).map((e) => ({
          id: `expire-${e.prefix.replace(/[^A-Za-z0-9-]/g, '-').replace(/-+$/, '')}`,
          status: 'Enabled',
          filter: { prefix: e.prefix },
          expiration: { days: e.days },
        })),
      ],
    }, { parent: this, dependsOn: [versioning] });

    if (args.replication) {
      this.replicationRole = this.replicate(name, this.bucket, args.replication, versioning);
    }
    this.registerOutputs({ bucketName: this.bucketName, bucketArn: this.bucketArn });
  }

  /** Statements granting read-only access to `prefix` (or the whole bucket). */
  public readStatements(prefix = ''): PolicyStatement[] {
    const objects = pulumi.interpolate`${this.bucketArn}/${prefix}*`;
    const statements: PolicyStatement[] = [
      { sid: 'ReadObjects', actions: ['s3:GetObject', 's3:GetObjectVersion'], resources: [objects] },
      {
        sid: 'ListPrefix',
        actions: ['s3:ListBucket'],
        resources: [this.bucketArn],
        ...(prefix ? { conditions: { StringLike: { 's3:prefix': [`${prefix}*`] } } } : {}),
      },
    ];
    return [...statements, ...this.kmsStatements(['kms:Decrypt'])];
  }

  /** Statements granting read and write (no delete of versions) to `prefix`. */
  public readWriteStatements(prefix = ''): PolicyStatement[] {
    const objects = pulumi.interpolate`${this.bucketArn}/${prefix}*`;
    return [
      ...this.readStatements(prefix).filter((s) => s.sid !== 'Kms'),
      { sid: 'WriteObjects', actions: ['s3:PutObject', 's3:AbortMultipartUpload', 's3:DeleteObject'], resources: [objects] },
      ...this.kmsStatements(['kms:Decrypt', 'kms:GenerateDataKey']),
    ];
  }

  /** Statements granting write-only access to `prefix`. */
  public writeStatements(prefix = ''): PolicyStatement[] {
    const objects = pulumi.interpolate`${this.bucketArn}/${prefix}*`;
    return [
      { sid: 'WriteObjects', actions: ['s3:PutObject', 's3:AbortMultipartUpload'], resources: [objects] },
      ...this.kmsStatements(['kms:GenerateDataKey']),
    ];
  }

  private kmsStatements(actions: string[]): PolicyStatement[] {
    return this.kmsKeyArn ? [{ sid: 'Kms', actions, resources: [this.kmsKeyArn] }] : [];
  }

  private replicate(name: string, bucket: s3.Bucket, replication: BucketReplicationArgs, versioning: s3.BucketVersioning): iam.Role {
    // S3 assumes the role only for this account and this source bucket (confused-deputy conditions).
    const role = new iam.Role(`${name}-replication-role`, {
      description: `S3 replication of ${name}`,
      assumeRolePolicy: serviceTrustPolicy('s3.amazonaws.com', { sourceAccount: getCallerIdentityOutput({}, { parent: this }).accountId, sourceArn: bucket.arn }),
    }, { parent: this });
    const statements: PolicyStatement[] = [
      { sid: 'SourceConfiguration', actions: ['s3:GetReplicationConfiguration', 's3:ListBucket'], resources: [bucket.arn] },
      {
        sid: 'SourceObjects',
        actions: ['s3:GetObjectVersionForReplication', 's3:GetObjectVersionAcl', 's3:GetObjectVersionTagging'],
        resources: [pulumi.interpolate`${bucket.arn}/*`],
      },
      {
        sid: 'DestinationObjects',
        actions: ['s3:ReplicateObject', 's3:ReplicateDelete', 's3:ReplicateTags'],
        resources: [pulumi.interpolate`${replication.destinationBucketArn}/*`],
      },
    ];
    if (this.kmsKeyArn) {
      statements.push({ sid: 'SourceKms', actions: ['kms:Decrypt'], resources: [this.kmsKeyArn] });
    }
    if (replication.destinationKmsKeyArn) {
      statements.push({ sid: 'DestinationKms', actions: ['kms:Encrypt'], resources: [replication.destinationKmsKeyArn] });
    }
    new iam.RolePolicy(`${name}-replication-policy`, { role: role.id, policy: policyDocument(statements) }, { parent: this });
    new s3.BucketReplicationConfig(`${name}-replication`, {
      bucket: bucket.id,
      role: role.arn,
      rules: [{
        id: 'replicate-all',
        status: 'Enabled',
        filter: { prefix: '' },
        deleteMarkerReplication: { status: replication.deleteMarkerReplication === false ? 'Disabled' : 'Enabled' },
        ...(this.kmsKeyArn ? { sourceSelectionCriteria: { sseKmsEncryptedObjects: { status: 'Enabled' } } } : {}),
        destination: {
          bucket: replication.destinationBucketArn,
          storageClass: replication.storageClass ?? 'STANDARD_IA',
          ...(replication.destinationKmsKeyArn ? { encryptionConfiguration: { replicaKmsKeyId: replication.destinationKmsKeyArn } } : {}),
        },
      }],
    }, { parent: this, dependsOn: [versioning, ...(replication.dependsOn ?? [])] });
    return role;
  }
}

/** Longest bucket prefix: S3 names have at most 63 characters and AWS appends a 26-character unique suffix. */
const MAX_PREFIX = 37;

/**
 * The default bucket prefix of a SecureBucket named `name`: `<name>-`, or for a long component name (nested stacks add up) its first
 * characters and a hash of the whole name, so that prefixes stay distinct.
 */
export function defaultBucketPrefix(name: string): string {
  if (name.length + 1 <= MAX_PREFIX) return `${name}-`;
  const hash = createHash('sha256').update(name).digest('hex').slice(0, 7);
  return `${name.slice(0, MAX_PREFIX - hash.length - 2)}-${hash}-`;
}

/** Validates a {@link SecureBucket}'s arguments before anything registers; returns the resolved lifecycle and prefix. */
function validateSecureBucket(v: PropsValidator, name: string, args: SecureBucketArgs): { noncurrentDays: number; keep: number; bucketPrefix: string } {
    const noncurrentDays = v.integer('noncurrentVersionExpirationDays', args.noncurrentVersionExpirationDays ?? 90, 1, 36500);
    const keep = v.integer('noncurrentVersionsToKeep', args.noncurrentVersionsToKeep ?? 5, 0, 100);
    (args.expirations ?? []).forEach((e, i) => {
      v.check(e.prefix.length > 0 && !e.prefix.startsWith('/'), `expirations[${i}].prefix`, e.prefix, "must be a non-empty key prefix without a leading '/'");
      v.integer(`expirations[${i}].days`, e.days, 1, 36500);
    });
    const existing = args.existingBucketName;
    if (existing !== undefined) {
      v.check(args.replication === undefined && args.bucketPrefix === undefined && args.expirations === undefined, 'existingBucketName', existing,
        'an imported bucket is used as it is: bucketPrefix, expirations and replication cannot be applied to it');
      v.matches('existingBucketName', existing, /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'must be an S3 bucket name');
    }
    if (args.replication && args.kmsKeyArn !== undefined) {
      v.check(args.replication.destinationKmsKeyArn !== undefined, 'replication.destinationKmsKeyArn', undefined,
        'is required when the bucket uses a KMS key: S3 replicates SSE-KMS objects only with a key in the destination region');
    }
    if (args.objectLock) {
      v.integer('objectLock.days', args.objectLock.days, 1, 36500);
      v.check(!args.forceDestroy, 'forceDestroy', args.forceDestroy, "contradicts 'objectLock': locked object versions cannot be deleted");
      v.check(existing === undefined, 'objectLock', args.objectLock, 'cannot be applied to an imported bucket');
    }
    const bucketPrefix = v.matches('bucketPrefix', args.bucketPrefix ?? defaultBucketPrefix(name), /^[a-z0-9][a-z0-9.-]{0,36}$/,
      'must be lower-case letters, digits, "." and "-", at most 37 characters');
  return { noncurrentDays, keep, bucketPrefix };
}
