import * as dynamodb from '@pulumi/aws/dynamodb';
import * as ec2 from '@pulumi/aws/ec2';
import * as elasticache from '@pulumi/aws/elasticache';
import { getRegionOutput } from '@pulumi/aws/getRegion';
import * as secretsmanager from '@pulumi/aws/secretsmanager';
import * as vpc from '@pulumi/aws/vpc';
import * as pulumi from '@pulumi/pulumi';
import { IrsaRole, OidcProvider } from '../aws/irsa-role';
import { PolicyStatement, componentLabel, validateStatements } from '../aws/policy';
import { SecureBucket, SecureBucketArgs } from '../aws/secure-bucket';
import { DisasterRecoveryPolicy, dynamoDbPointInTimeRecovery, elastiCacheSnapshotSettings } from '../policy/disaster-recovery';
import { PropsValidator } from '../core/errors';
import type { CostPresetSettings } from '../policy/presets';
import { FeatureDefinitions, onlineFeatureViews, validateFeatureDefinitions } from './definitions';
import { FeatureStoreAwsBinding, FeatureStoreMode } from './stores';

/** Which AWS service holds the online features. */
export enum FeatureOnlineStoreEngine {
  /** An ElastiCache Redis replication group. */
  REDIS = 'redis',
  /** DynamoDB tables, one per online feature view. */
  DYNAMODB = 'dynamodb',
}

/** Where the replication group lives and who may reach it. */
export interface ElastiCacheNetworkArgs {
  /** VPC of the cluster. */
  readonly vpcId: pulumi.Input<string>;
  /** Private subnets of the cache nodes (one per zone; two or more for multi-AZ). */
  readonly subnetIds: readonly pulumi.Input<string>[];
  /** Security groups admitted to the Redis port, for example the EKS node (or pod) security group. @default - none */
  readonly allowedSecurityGroupIds?: readonly pulumi.Input<string>[];
  /** CIDR blocks admitted to the Redis port. @default - none */
  readonly allowedCidrBlocks?: readonly string[];
}

/** The ElastiCache Redis replication group. */
export interface ElastiCacheRedisArgs {
  /** Network placement and admitted clients. */
  readonly network: ElastiCacheNetworkArgs;
  /** Node type. @default - 'cache.r7g.large' in production presets, 'cache.t4g.small' for DEV */
  readonly nodeType?: string;
  /** Redis engine version. @default '7.1' */
  readonly engineVersion?: string;
  /** Cache nodes (a primary and its replicas). @default - 2 in production presets, 1 for DEV */
  readonly nodes?: number;
  /** Multi-AZ with automatic failover. @default - on in production presets, off for DEV */
  readonly multiAz?: boolean;
  /** KMS key of encryption at rest (and of the auth token secret). @default - AWS managed keys */
  readonly kmsKeyArn?: pulumi.Input<string>;
  /**
   * Version of the auth token: increase it to rotate the token (a new random
   * token is written to the replication group and the secret; both are
   * write-only, so the token never lands in the Pulumi state). ElastiCache's
   * default ROTATE strategy keeps the old token valid, so pods keep working
   * until the ExternalSecret refreshes and they restart.
   * @default 1
   */
  readonly authTokenVersion?: number;
  /** Daily snapshot window (UTC). @default '03:00-04:00' */
  readonly snapshotWindow?: string;
  /** Weekly maintenance window (UTC). @default 'sun:05:00-sun:06:00' */
  readonly maintenanceWindow?: string;
}

/** The DynamoDB tables. */
export interface DynamoDbTablesArgs {
  /** Prefix of every table name (`<prefix><project>.<feature view>`). @default `<name>.` */
  readonly tableNamePrefix?: string;
  /** KMS key of server-side encryption. @default - the AWS owned key */
  readonly kmsKeyArn?: pulumi.Input<string>;
}

/** Arguments of a {@link FeatureStoreAws}. */
export interface FeatureStoreAwsArgs {
  /** Name of the Kubernetes FeatureStore (its ServiceAccounts are derived from it). */
  readonly storeName: string;
  /** Namespace of the FeatureStore. */
  readonly namespace: string;
  /** Feast project (as in the FeatureStore). */
  readonly project: string;
  /** The feature definitions: one DynamoDB table per online feature view. */
  readonly features: FeatureDefinitions;
  /** The cluster's OIDC provider, trusted by the IRSA roles. */
  readonly oidcProvider: OidcProvider;
  /** Online store service. */
  readonly onlineStore: FeatureOnlineStoreEngine;
  /** ElastiCache settings; required with the REDIS engine, refused otherwise. @default - none */
  readonly redis?: ElastiCacheRedisArgs;
  /** DynamoDB settings (DYNAMODB engine only). @default - `<name>.` prefix, AWS owned key */
  readonly dynamoDb?: DynamoDbTablesArgs;
  /**
   * How the Kubernetes half runs. In operator mode materialization runs inside
   * the feature server pod (the operator's CronJob execs into it), so one role,
   * for ServiceAccount `feast-<storeName>`, gets both sets of permissions.
   * @default FeatureStoreMode.KUBERNETES
   */
  readonly mode?: FeatureStoreMode;
  /** Cost preset: every preset except DEV gets multi-AZ, failover and deletion protection. @default - PRODUCTION */
  readonly preset?: CostPresetSettings;
  /**
   * Disaster-recovery policy: ElastiCache snapshot retention and the DynamoDB
   * point-in-time recovery period follow its retention (both at most 35 days,
   * the AWS limit; longer retention needs the DR constructs' backup copies).
   * @default - 7 days of snapshots in production presets, none for DEV; PITR 35 days
   */
  readonly disasterRecovery?: DisasterRecoveryPolicy;
  /** A bucket shared with other stores; when set, `storage` must be unset. @default - a bucket of its own */
  readonly bucket?: SecureBucket;
  /** Settings of the store's own bucket. @default - a new secure bucket */
  readonly storage?: SecureBucketArgs;
  /** Key of the registry file. @default 'registry/registry.db' */
  readonly registryKey?: string;
  /** Key prefix of the offline Parquet data. @default 'offline/' */
  readonly offlinePrefix?: string;
  /** Extra permissions of the materialization role, for a Redshift or Athena offline store. @default - none */
  readonly offlineStoreStatements?: readonly PolicyStatement[];
  /** Tags of every created resource. @default - none */
  readonly tags?: Readonly<Record<string, string>>;
}

const MAX_AWS_RETENTION_DAYS = 35;
const REDIS_PORT = 6379;
/** Statement ids the roles use; extra offline store statements must not reuse them (IAM wants unique ids). */
const RESERVED_SIDS = ['RegistryRead', 'RegistryBucket', 'RegistryReadWrite', 'Bucket', 'OfflineRead', 'OnlineRead', 'OnlineWrite', 'BucketKms', 'TableKms'];

/** ElastiCache settings, resolved to defaults and validated. */
interface ResolvedRedis {
  readonly network: ElastiCacheNetworkArgs;
  readonly nodeType: string;
  readonly engineVersion: string;
  readonly nodes: number;
  readonly multiAz: boolean;
  readonly kmsKeyArn?: pulumi.Input<string>;
  readonly authTokenVersion: number;
  readonly snapshotWindow: string;
  /** Days snapshots are kept, when a DR policy says. */
  readonly snapshotRetentionLimit?: number;
  readonly maintenanceWindow: string;
}

/** The online store engine with its resolved settings. */
type ResolvedOnlineStore =
  | { readonly engine: FeatureOnlineStoreEngine.REDIS; readonly redis: ResolvedRedis }
  | { readonly engine: FeatureOnlineStoreEngine.DYNAMODB; readonly tableNamePrefix: string; readonly kmsKeyArn?: pulumi.Input<string> };

/** The arguments of a {@link FeatureStoreAws}, resolved to defaults and validated once (before anything registers). */
interface ResolvedArgs {
  readonly production: boolean;
  readonly mode: FeatureStoreMode;
  /** Online feature views (one DynamoDB table each). */
  readonly views: readonly string[];
  readonly registryKey: string;
  readonly offlinePrefix: string;
  readonly online: ResolvedOnlineStore;
  readonly snapshotRetentionDays: number;
  readonly pointInTimeRecoveryDays: number;
  readonly tags: Readonly<Record<string, string>>;
}

function resolveArgs(name: string, args: FeatureStoreAwsArgs): ResolvedArgs {
  const v: PropsValidator = new PropsValidator(componentLabel(FeatureStoreAws.TYPE, name));
  v.dnsLabel('storeName', args.storeName, 40);
  v.dnsLabel('namespace', args.namespace);
  v.matches('project', args.project, /^[a-z][a-z0-9_]{0,62}$/, 'must be a Feast project name: lower-case letters, digits and underscores, starting with a letter');
  validateFeatureDefinitions(v, 'features', args.features);
  const views = onlineFeatureViews(args.features);
  v.check(views.length > 0, 'features.featureViews', args.features.featureViews.map((fv) => fv.name), 'must include at least one online feature view');
  const production = (args.preset?.name ?? 'production') !== 'dev';
  v.check(!(args.bucket && args.storage), 'storage', args.storage, "cannot be combined with 'bucket' (a shared bucket)");
  const registryKey = v.matches('registryKey', args.registryKey ?? 'registry/registry.db', /^[A-Za-z0-9!_.*'()-]+(\/[A-Za-z0-9!_.*'()-]+)*$/,
    "must be an S3 key without a leading or trailing '/'");
  const offlinePrefix = v.matches('offlinePrefix', args.offlinePrefix ?? 'offline/', /^[A-Za-z0-9!_.*'()-]+(\/[A-Za-z0-9!_.*'()-]+)*\/$/,
    "must be an S3 key prefix ending with '/' (no leading '/')");
  v.check(!registryKey.startsWith(offlinePrefix), 'registryKey', registryKey, `must not be under 'offlinePrefix' (${offlinePrefix}): the server may read the registry, not the offline data`);
  if (args.offlineStoreStatements !== undefined) {
    validateStatements(v, 'offlineStoreStatements', args.offlineStoreStatements);
    const sids = args.offlineStoreStatements.map((s) => s.sid).filter((s): s is string => s !== undefined);
    sids.forEach((sid, i) => v.check(sids.indexOf(sid) === i && !RESERVED_SIDS.includes(sid), 'offlineStoreStatements', sid,
      `statement ids must be unique and not one of ${RESERVED_SIDS.join(', ')}`));
  }
  // Backups derive from the one DR policy: an RPO or retention a store cannot meet is an error naming it.
  const dr = args.disasterRecovery;
  const pitr = dr && args.onlineStore === FeatureOnlineStoreEngine.DYNAMODB ? dynamoDbPointInTimeRecovery(dr, { validator: v }) : undefined;
  let online: ResolvedOnlineStore;
  let snapshotRetentionDays = production ? 7 : 0;
  if (args.onlineStore === FeatureOnlineStoreEngine.REDIS) {
    const redis = args.redis;
    v.check(redis !== undefined, 'redis', undefined, 'is required with the REDIS engine: give network.vpcId, network.subnetIds and the admitted clients');
    v.check(args.dynamoDb === undefined, 'dynamoDb', args.dynamoDb, 'has no effect with the REDIS engine');
    const resolved = resolveRedis(v, redis, production, dr);
    snapshotRetentionDays = resolved.snapshotRetentionLimit ?? snapshotRetentionDays;
    online = { engine: FeatureOnlineStoreEngine.REDIS, redis: resolved };
  } else {
    v.check(args.redis === undefined, 'redis', 'set', 'has no effect with the DYNAMODB engine');
    const tableNamePrefix = v.matches('dynamoDb.tableNamePrefix', args.dynamoDb?.tableNamePrefix ?? `${name}.`, /^[A-Za-z0-9_.-]{0,64}$/,
      'must be at most 64 of the characters DynamoDB table names allow (letters, digits, "_", "." and "-")');
    for (const view of views) {
      const table = `${tableNamePrefix}${args.project}.${view}`;
      v.check(table.length <= 255, 'dynamoDb.tableNamePrefix', tableNamePrefix, `makes table name ${table} longer than 255 characters`);
    }
    online = { engine: FeatureOnlineStoreEngine.DYNAMODB, tableNamePrefix, kmsKeyArn: args.dynamoDb?.kmsKeyArn };
  }
  return {
    production, views, registryKey, offlinePrefix, online, snapshotRetentionDays,
    mode: args.mode ?? FeatureStoreMode.KUBERNETES,
    pointInTimeRecoveryDays: pitr?.recoveryPeriodInDays ?? MAX_AWS_RETENTION_DAYS,
    tags: { ...args.tags, 'feast-project': args.project },
  };
}

/** @param dr the policy snapshot retention and the window's checks come from, if there is one */
function resolveRedis(v: PropsValidator, r: ElastiCacheRedisArgs, production: boolean, dr: DisasterRecoveryPolicy | undefined): ResolvedRedis {
  const multiAz = r.multiAz ?? production;
  const nodes = v.integer('redis.nodes', r.nodes ?? (production ? 2 : 1), 1, 6);
  v.check(!multiAz || nodes >= 2, 'redis.nodes', nodes, 'must be at least 2 with multi-AZ: automatic failover needs a replica in another zone');
  v.check(r.network.subnetIds.length >= (multiAz ? 2 : 1), 'redis.network.subnetIds', r.network.subnetIds.length,
    multiAz ? 'must list at least 2 subnets (in different zones) for multi-AZ' : 'must list at least 1 subnet');
  v.check((r.network.allowedSecurityGroupIds?.length ?? 0) + (r.network.allowedCidrBlocks?.length ?? 0) > 0, 'redis.network', 'no clients',
    'must admit at least one security group or CIDR block: otherwise no feature store pod can reach Redis');
  (r.network.allowedCidrBlocks ?? []).forEach((c, i) => v.matches(`redis.network.allowedCidrBlocks[${i}]`, c, /^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/, 'must be an IPv4 CIDR such as 10.0.0.0/16'));
  const nodeType = v.matches('redis.nodeType', r.nodeType ?? (production ? 'cache.r7g.large' : 'cache.t4g.small'), /^cache\.[a-z0-9]+\.[a-z0-9]+$/, 'must be an ElastiCache node type such as cache.r7g.large');
  return {
    network: r.network,
    nodeType,
    engineVersion: v.matches('redis.engineVersion', r.engineVersion ?? '7.1', /^\d+(\.\d+)?$/, 'must be a Redis engine version such as 7.1'),
    nodes,
    multiAz,
    kmsKeyArn: r.kmsKeyArn,
    authTokenVersion: v.integer('redis.authTokenVersion', r.authTokenVersion ?? 1, 1, 1_000_000),
    ...resolveSnapshots(v, r, dr),
    maintenanceWindow: v.matches('redis.maintenanceWindow', r.maintenanceWindow ?? 'sun:05:00-sun:06:00', /^[a-z]{3}:\d{2}:\d{2}-[a-z]{3}:\d{2}:\d{2}$/, 'must be ddd:hh:mm-ddd:hh:mm (UTC)'),
  };
}

/**
 * The AWS half of a FeatureStore: an S3 bucket for the registry and the
 * offline data (a {@link SecureBucket}), the online store (an ElastiCache
 * Redis replication group with encryption at rest and in transit, an auth
 * token generated into Secrets Manager, multi-AZ with automatic failover in
 * production presets and snapshots kept as the DR policy says; or DynamoDB
 * tables with on-demand billing, point-in-time recovery and deletion
 * protection in production), and IRSA roles: the feature server reads the
 * online store and the registry; the materialization job reads the offline
 * data and the registry and writes the online store and the registry
 * (`feast apply` and incremental materialization both record state there).
 *
 * `binding` resolves to the plain values the Kubernetes half takes as `aws`
 * (through {@link ChartDeployment}).
 */
export class FeatureStoreAws extends pulumi.ComponentResource {
  /** Pulumi type token. */
  public static readonly TYPE = 'ml-platform:features:FeatureStoreAws';

  /** The registry and offline data bucket. */
  public readonly bucket: SecureBucket;
  /** IRSA role of the feature server (in operator mode, of every Feast pod). */
  public readonly serverRole: IrsaRole;
  /** IRSA role of the apply Job and the materialization CronJob (plain Kubernetes mode). */
  public readonly materializationRole?: IrsaRole;
  /** The replication group (REDIS engine). */
  public readonly replicationGroup?: elasticache.ReplicationGroup;
  /** The Secrets Manager secret holding the auth token (REDIS engine). */
  public readonly authTokenSecret?: secretsmanager.Secret;
  /** Security group of the replication group (REDIS engine). */
  public readonly securityGroup?: ec2.SecurityGroup;
  /** The online tables by feature view (DYNAMODB engine). */
  public readonly tables: Readonly<Record<string, dynamodb.Table>>;
  /** Prefix of the DynamoDB table names (DYNAMODB engine). */
  public readonly tableNamePrefix?: string;
  /** Days automatic ElastiCache snapshots are kept (0: none). */
  public readonly snapshotRetentionDays: number;
  /** Days of DynamoDB point-in-time recovery. */
  public readonly pointInTimeRecoveryDays: number;
  /** Whether the production safeguards (multi-AZ, failover, deletion protection) are on. */
  public readonly production: boolean;
  /** `s3://bucket/key` of the registry file. */
  public readonly registryPath: pulumi.Output<string>;
  /** `s3://bucket/prefix/` of the offline data. */
  public readonly offlineBaseUri: pulumi.Output<string>;
  /** The values the Kubernetes FeatureStore takes as `aws`. */
  public readonly binding: pulumi.Output<FeatureStoreAwsBinding>;

  constructor(name: string, args: FeatureStoreAwsArgs, opts?: pulumi.ComponentResourceOptions) {
    // Validate before registering anything: invalid arguments leave no dangling component.
    const r = resolveArgs(name, args);
    super(FeatureStoreAws.TYPE, name, {}, opts);
    const child = { parent: this };
    this.production = r.production;
    this.snapshotRetentionDays = r.snapshotRetentionDays;
    this.pointInTimeRecoveryDays = r.pointInTimeRecoveryDays;

    // ---- storage --------------------------------------------------------
    this.bucket = args.bucket ?? new SecureBucket(`${name}-storage`, { ...args.storage, tags: { ...r.tags, ...args.storage?.tags } }, child);
    this.registryPath = pulumi.interpolate`s3://${this.bucket.bucketName}/${r.registryKey}`;
    this.offlineBaseUri = pulumi.interpolate`s3://${this.bucket.bucketName}/${r.offlinePrefix}`;
    const region = getRegionOutput({}, child).region;

    // ---- online store ---------------------------------------------------
    let online: pulumi.Output<Pick<FeatureStoreAwsBinding, 'redis' | 'dynamoDb'>>;
    if (r.online.engine === FeatureOnlineStoreEngine.REDIS) {
      const redis = this.createRedis(name, args, r, r.online.redis);
      this.authTokenSecret = redis.authTokenSecret;
      this.securityGroup = redis.securityGroup;
      this.replicationGroup = redis.replicationGroup;
      this.tables = {};
      online = pulumi.all([redis.replicationGroup.primaryEndpointAddress, redis.authTokenSecret.name])
        .apply(([host, secret]) => ({ redis: { host, port: REDIS_PORT, authTokenSecretName: secret } }));
    } else {
      this.tableNamePrefix = r.online.tableNamePrefix;
      this.tables = this.createTables(name, args, r, r.online.tableNamePrefix, r.online.kmsKeyArn);
      online = pulumi.output({ dynamoDb: { tableNamePrefix: r.online.tableNamePrefix } });
    }

    // ---- IRSA roles -----------------------------------------------------
    const roles = this.createRoles(name, args, r);
    this.serverRole = roles.server;
    this.materializationRole = roles.materialization;

    // ---- binding --------------------------------------------------------
    this.binding = pulumi.all([region, this.registryPath, this.offlineBaseUri, this.serverRole.roleArn, this.materializationRole?.roleArn, online])
      .apply(([regionName, registryPath, offlineBaseUri, serverRoleArn, materializationRoleArn, store]) => ({
        region: regionName,
        registryPath,
        offlineBaseUri,
        serverRoleArn,
        ...(materializationRoleArn ? { materializationRoleArn } : {}),
        ...store,
      }));
    this.registerOutputs({
      bucketName: this.bucket.bucketName,
      registryPath: this.registryPath,
      offlineBaseUri: this.offlineBaseUri,
      serverRoleArn: this.serverRole.roleArn,
      materializationRoleArn: this.materializationRole?.roleArn,
      redisEndpoint: this.replicationGroup?.primaryEndpointAddress,
      authTokenSecretArn: this.authTokenSecret?.arn,
    });
  }

  /** The replication group, its auth token (write-only, never in the state), subnet group and security group. */
  private createRedis(name: string, args: FeatureStoreAwsArgs, r: ResolvedArgs, redis: ResolvedRedis) {
    const child = { parent: this };
    const tags = r.tags;
    const authTokenSecret = new secretsmanager.Secret(`${name}-redis-auth`, {
      description: `Auth token of the ElastiCache Redis of feature store ${args.namespace}/${args.storeName}`,
      kmsKeyId: redis.kmsKeyArn,
      recoveryWindowInDays: r.production ? 30 : 7,
      tags,
    }, child);
    // Alphanumeric only: the token goes into a Redis connection string (',' and '=' separate its parts).
    const token = secretsmanager.getRandomPasswordOutput({ passwordLength: 64, excludePunctuation: true, requireEachIncludedType: true }, child).randomPassword;
    const secretToken = pulumi.secret(token);
    new secretsmanager.SecretVersion(`${name}-redis-auth-value`, {
      secretId: authTokenSecret.id,
      secretStringWo: secretToken,
      secretStringWoVersion: redis.authTokenVersion,
    }, child);
    const subnets = new elasticache.SubnetGroup(`${name}-redis-subnets`, {
      description: `Subnets of the feature store Redis ${args.namespace}/${args.storeName}`,
      subnetIds: [...redis.network.subnetIds],
      tags,
    }, child);
    const securityGroup = this.createRedisSecurityGroup(name, args, redis.network, tags);
    const replicationGroup = new elasticache.ReplicationGroup(`${name}-redis`, {
      description: `Online store of Feast project ${args.project} (${args.namespace}/${args.storeName})`,
      engine: 'redis',
      engineVersion: redis.engineVersion,
      nodeType: redis.nodeType,
      port: REDIS_PORT,
      numCacheClusters: redis.nodes,
      multiAzEnabled: redis.multiAz,
      automaticFailoverEnabled: redis.multiAz,
      atRestEncryptionEnabled: true,
      kmsKeyId: redis.kmsKeyArn,
      transitEncryptionEnabled: true,
      authTokenWo: secretToken,
      authTokenWoVersion: redis.authTokenVersion,
      subnetGroupName: subnets.name,
      securityGroupIds: [securityGroup.id],
      snapshotRetentionLimit: r.snapshotRetentionDays,
      snapshotWindow: r.snapshotRetentionDays > 0 ? redis.snapshotWindow : undefined,
      maintenanceWindow: redis.maintenanceWindow,
      autoMinorVersionUpgrade: true,
      applyImmediately: !r.production,
      tags,
    }, child);
    return { authTokenSecret, securityGroup, replicationGroup };
  }

  /** A security group admitting the Redis port from the admitted security groups and CIDR blocks only. */
  private createRedisSecurityGroup(name: string, args: FeatureStoreAwsArgs, network: ElastiCacheNetworkArgs, tags: Readonly<Record<string, string>>): ec2.SecurityGroup {
    const child = { parent: this };
    const securityGroup = new ec2.SecurityGroup(`${name}-redis-sg`, {
      vpcId: network.vpcId,
      description: `Redis of feature store ${args.namespace}/${args.storeName}: port ${REDIS_PORT} from the admitted clients only`,
      tags,
    }, child);
    const securityGroupId = securityGroup.id;
    (network.allowedSecurityGroupIds ?? []).forEach((sg, i) => new vpc.SecurityGroupIngressRule(`${name}-redis-from-sg-${i}`, {
      securityGroupId, referencedSecurityGroupId: sg, ipProtocol: 'tcp', fromPort: REDIS_PORT, toPort: REDIS_PORT,
      description: 'Feast pods', tags,
    }, child));
    (network.allowedCidrBlocks ?? []).forEach((cidr, i) => new vpc.SecurityGroupIngressRule(`${name}-redis-from-cidr-${i}`, {
      securityGroupId, cidrIpv4: cidr, ipProtocol: 'tcp', fromPort: REDIS_PORT, toPort: REDIS_PORT,
      description: 'Feast pods', tags,
    }, child));
    return securityGroup;
  }

  /** One on-demand table per online feature view, with PITR (and deletion protection in production). */
  private createTables(name: string, args: FeatureStoreAwsArgs, r: ResolvedArgs, tableNamePrefix: string,
    kmsKeyArn: pulumi.Input<string> | undefined): Record<string, dynamodb.Table> {
    const tables: Record<string, dynamodb.Table> = {};
    for (const view of r.views) {
      // `feast apply` tries CreateTable and treats "already exists" as success, so it uses these
      // tables (key `entity_id`, a string) with their PITR and deletion protection.
      tables[view] = new dynamodb.Table(`${name}-table-${view.replace(/_/g, '-')}`, {
        name: `${tableNamePrefix}${args.project}.${view}`,
        billingMode: 'PAY_PER_REQUEST',
        hashKey: 'entity_id',
        attributes: [{ name: 'entity_id', type: 'S' }],
        pointInTimeRecovery: { enabled: true, recoveryPeriodInDays: r.pointInTimeRecoveryDays },
        deletionProtectionEnabled: r.production,
        serverSideEncryption: { enabled: true, kmsKeyArn },
        tags: r.tags,
        // `feast apply` owns the tags after creation: the DynamoDB online store's update() re-tags every table with
        // `online_store.tags` and untags every other key (DynamoDBOnlineStore._update_tags, feast-dev/feast
        // sdk/python/feast/infra/online_stores/dynamodb.py). Pulumi sets them once and ignores what Feast does
        // next, so `pulumi up` and `feast apply` do not fight. Backups select these tables by ARN, not by tag.
      }, { parent: this, ignoreChanges: ['tags', 'tagsAll'] });
    }
    return tables;
  }

  /** The IRSA roles: server and materialization (plain mode) or one role for every operator pod. */
  private createRoles(name: string, args: FeatureStoreAwsArgs, r: ResolvedArgs): { server: IrsaRole; materialization?: IrsaRole } {
    const statements = roleStatements(this.bucket, r, Object.values(this.tables).map((t) => t.arn), args.dynamoDb?.kmsKeyArn, args.offlineStoreStatements ?? []);
    const role = (suffix: string, serviceAccount: string, policy: PolicyStatement[], description: string) => new IrsaRole(`${name}-${suffix}`, {
      oidcProvider: args.oidcProvider, namespace: args.namespace, serviceAccount, statements: policy, description, tags: r.tags,
    }, { parent: this });
    if (r.mode === FeatureStoreMode.OPERATOR) {
      return {
        server: role('server', `feast-${args.storeName}`, [...statements.writer, ...statements.server.filter((s) => s.sid === 'OnlineRead')],
          `Feast operator pods of ${args.namespace}/${args.storeName}: serve, apply and materialize`),
      };
    }
    return {
      server: role('server', args.storeName, statements.server,
        `Feature server ${args.namespace}/${args.storeName}: reads the registry and the online store`),
      materialization: role('materialize', `${args.storeName}-materialize`, statements.writer,
        `feast apply and materialization of ${args.namespace}/${args.storeName}: read offline data, write the online store and the registry`),
    };
  }
}

/** The snapshot window (and retention) from the DR policy, else the window given. */
function resolveSnapshots(v: PropsValidator, r: ElastiCacheRedisArgs,
  dr: DisasterRecoveryPolicy | undefined): { snapshotWindow: string; snapshotRetentionLimit?: number } {
  if (dr) {
    return elastiCacheSnapshotSettings(dr, { validator: v, snapshotWindow: r.snapshotWindow });
  }
  return { snapshotWindow: v.matches('redis.snapshotWindow', r.snapshotWindow ?? '03:00-04:00', /^\d{2}:\d{2}-\d{2}:\d{2}$/, 'must be hh:mm-hh:mm (UTC)') };
}

/** The statements of the server (read) and of the apply and materialization jobs (write). */
function roleStatements(bucket: SecureBucket, r: ResolvedArgs, tableArns: pulumi.Output<string>[], tableKms: pulumi.Input<string> | undefined,
  offlineStoreStatements: readonly PolicyStatement[]): { server: PolicyStatement[]; writer: PolicyStatement[] } {
  const bucketArn = bucket.bucketArn;
  const registryObject = pulumi.interpolate`${bucketArn}/${r.registryKey}`;
  const kms = bucket.kmsKeyArn;
  const server: PolicyStatement[] = [
    { sid: 'RegistryRead', actions: ['s3:GetObject'], resources: [registryObject] },
    // Feast checks the bucket with HeadBucket before every registry read, which needs ListBucket.
    { sid: 'RegistryBucket', actions: ['s3:ListBucket'], resources: [bucketArn] },
    ...(tableArns.length > 0 ? [{ sid: 'OnlineRead', actions: ['dynamodb:BatchGetItem', 'dynamodb:GetItem'], resources: tableArns }] : []),
    ...(kms ? [{ sid: 'BucketKms', actions: ['kms:Decrypt'], resources: [kms] }] : []),
    ...(tableKms ? [{ sid: 'TableKms', actions: ['kms:Decrypt'], resources: [tableKms] }] : []),
  ];
  const writer: PolicyStatement[] = [
    { sid: 'RegistryReadWrite', actions: ['s3:GetObject', 's3:PutObject'], resources: [registryObject] },
    { sid: 'Bucket', actions: ['s3:ListBucket'], resources: [bucketArn] },
    { sid: 'OfflineRead', actions: ['s3:GetObject'], resources: [pulumi.interpolate`${bucketArn}/${r.offlinePrefix}*`] },
    // BatchWriteItem writes features. `feast apply` (DynamoDB online store update()) always calls
    // CreateTable on these tables and ignores ResourceInUseException, then describes and tags them.
    ...(tableArns.length > 0 ? [{
      sid: 'OnlineWrite',
      actions: ['dynamodb:BatchWriteItem', 'dynamodb:CreateTable', 'dynamodb:DescribeTable', 'dynamodb:ListTagsOfResource', 'dynamodb:TagResource', 'dynamodb:UntagResource'],
      resources: tableArns,
    }] : []),
    ...(kms ? [{ sid: 'BucketKms', actions: ['kms:Decrypt', 'kms:GenerateDataKey'], resources: [kms] }] : []),
    ...(tableKms ? [{ sid: 'TableKms', actions: ['kms:Decrypt', 'kms:GenerateDataKey'], resources: [tableKms] }] : []),
    ...offlineStoreStatements,
  ];
  return { server, writer };
}
