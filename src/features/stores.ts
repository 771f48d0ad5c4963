import { Duration, Size, Yaml } from 'cdk8s';
import { EnvSource } from '../kube/env';
import { PropsValidator } from '../core/errors';
import { validateS3Uri } from '../core/url';
import { validatePinnedImage } from '../kube/image';
import { ComputeResources } from '../core/resources';
import { OptionsVariant } from '../core/variant';

/**
 * The Redis image of the in-cluster (dev) online store: the official image,
 * pinned to a release. Override with `OnlineStore.inClusterRedis({ image })`.
 */
export const REDIS_IMAGE = 'redis:7.4.2-alpine';

/** UID of the `redis` user of the official image. */
export const REDIS_UID = 999;

const REGION = /^[a-z]{2}(-gov)?-[a-z]+-\d$/;
const CIDR = /^[0-9a-fA-F:.]+\/\d{1,3}$/;

/** How the feature store is deployed. */
export enum FeatureStoreMode {
  /** Plain Kubernetes objects (ConfigMaps, `feast apply` Job, `feast serve` Deployment, CronJob): any cluster. */
  KUBERNETES = 'kubernetes',
  /** One `feast.dev/v1` FeatureStore object for the Feast operator, which renders the workloads. */
  OPERATOR = 'operator',
}

/**
 * Plain values of the AWS half (`FeatureStoreAws` in `/pulumi`), passed
 * through the bridge (`ChartDeployment` resolves the Pulumi outputs) or
 * written literally in a GitOps repository.
 */
export interface FeatureStoreAwsBinding {
  /** AWS region of the stores. */
  readonly region: string;
  /** `s3://bucket/key` of the registry file. */
  readonly registryPath: string;
  /** `s3://bucket/prefix/` of the offline Parquet data. */
  readonly offlineBaseUri: string;
  /** IRSA role of the feature server (the only role in operator mode). */
  readonly serverRoleArn: string;
  /** IRSA role of the `feast apply` Job and the materialization CronJob. @default - the server role (operator mode) */
  readonly materializationRoleArn?: string;
  /** ElastiCache Redis, when that is the online store. @default - none */
  readonly redis?: {
    /** Primary endpoint. */
    readonly host: string;
    /** Port. */
    readonly port: number;
    /** Secrets Manager secret holding the auth token. */
    readonly authTokenSecretName: string;
  };
  /** DynamoDB, when that is the online store. @default - none */
  readonly dynamoDb?: {
    /** Prefix of the table names. */
    readonly tableNamePrefix: string;
  };
}

/** Which online store serves the features. */
export enum OnlineStoreKind {
  /** An external Redis (ElastiCache in production). */
  REDIS = 'redis',
  /** A single-replica Redis StatefulSet with a PVC, for dev presets. */
  IN_CLUSTER_REDIS = 'in-cluster-redis',
  /** DynamoDB tables, one per feature view. */
  DYNAMODB = 'dynamodb',
}

/** An external Redis, for example an ElastiCache replication group. */
export interface RedisOnlineStoreOptions {
  /** Host name (the replication group's primary endpoint). */
  readonly host: string;
  /** Port. @default 6379 */
  readonly port?: number;
  /** TLS (ElastiCache in-transit encryption). @default true */
  readonly ssl?: boolean;
  /**
   * Password (the ElastiCache auth token), by reference only:
   * `EnvSource.fromAwsSecretsManager(secretName)` (synced by an
   * ExternalSecret) or, in plain Kubernetes mode, `EnvSource.fromSecret`.
   * @default - no password
   */
  readonly password?: EnvSource;
  /** Redis deployment type. @default 'redis' (a primary with replicas; 'redis_cluster' for cluster mode) */
  readonly redisType?: 'redis' | 'redis_cluster';
  /**
   * Addresses the feature store pods may reach Redis at (NetworkPolicy
   * egress on the Redis port only), for example the VPC CIDR.
   * @default '0.0.0.0/0'
   */
  readonly egressCidr?: string;
}

/** The in-cluster Redis of dev presets. */
export interface InClusterRedisOptions {
  /** Size of the data volume (PVC). @default Size.gibibytes(1) */
  readonly storage?: Size;
  /** Storage class of the PVC. @default - the cluster's default storage class */
  readonly storageClassName?: string;
  /** Redis image. @default REDIS_IMAGE */
  readonly image?: string;
  /** Requests and limits. @default - 100m/128Mi requests, 500m/512Mi limits */
  readonly resources?: ComputeResources;
}

/** DynamoDB tables (`<tableNamePrefix><project>.<feature view>`). */
export interface DynamoDbOnlineStoreOptions {
  /** AWS region of the tables. */
  readonly region: string;
  /** Prefix of every table name (FeatureStoreAws creates the tables with it). @default '' */
  readonly tableNamePrefix?: string;
  /** Strongly consistent reads. @default false */
  readonly consistentReads?: boolean;
}

/** The options of an {@link OnlineStore}, one variant per kind. */
export type OnlineStoreSpec =
  | { readonly kind: OnlineStoreKind.REDIS; readonly options: RedisOnlineStoreOptions }
  | { readonly kind: OnlineStoreKind.IN_CLUSTER_REDIS; readonly options: InClusterRedisOptions }
  | { readonly kind: OnlineStoreKind.DYNAMODB; readonly options: DynamoDbOnlineStoreOptions };

/** Where online features are served from: Redis (in-cluster or external) or DynamoDB. */
export class OnlineStore extends OptionsVariant<OnlineStoreSpec> {
  /** An external Redis, for example ElastiCache (TLS and an auth token by reference). */
  public static redis(options: RedisOnlineStoreOptions): OnlineStore {
    return new OnlineStore({ kind: OnlineStoreKind.REDIS, options });
  }

  /** A Redis StatefulSet with a PVC in the chart (dev presets; no replication, no backups). */
  public static inClusterRedis(options: InClusterRedisOptions = {}): OnlineStore {
    return new OnlineStore({ kind: OnlineStoreKind.IN_CLUSTER_REDIS, options });
  }

  /** DynamoDB tables (IAM through IRSA: no secret at all). */
  public static dynamoDb(options: DynamoDbOnlineStoreOptions): OnlineStore {
    return new OnlineStore({ kind: OnlineStoreKind.DYNAMODB, options });
  }

  private constructor(spec: OnlineStoreSpec) {
    super(spec);
  }

  /** The password reference of an external Redis. @internal */
  public get _password(): EnvSource | undefined {
    return this.spec.kind === OnlineStoreKind.REDIS ? this.spec.options.password : undefined;
  }

  /** The AWS region of a DynamoDB store. @internal */
  public get _region(): string | undefined {
    return this.spec.kind === OnlineStoreKind.DYNAMODB ? this.spec.options.region : undefined;
  }

  /**
   * The `online_store` section of `feature_store.yaml` (see {@link onlineStoreParameters}).
   * @param inClusterHost host of the in-cluster Redis Service
   * @internal
   */
  public _toFeastConfig(inClusterHost: string): Record<string, string | number | boolean> {
    const s = this.spec;
    switch (s.kind) {
      case OnlineStoreKind.IN_CLUSTER_REDIS:
        return { type: 'redis', redis_type: 'redis', connection_string: `${inClusterHost}:6379` };
      case OnlineStoreKind.REDIS: {
        const o = s.options;
        const parts = [`${o.host}:${o.port ?? 6379}`];
        if (o.ssl ?? true) parts.push('ssl=true');
        if (o.password) parts.push(`password=\${${REDIS_PASSWORD_ENV}}`);
        return { type: 'redis', redis_type: o.redisType ?? 'redis', connection_string: parts.join(',') };
      }
      case OnlineStoreKind.DYNAMODB: {
        const o = s.options;
        return {
          type: 'dynamodb',
          region: o.region,
          table_name_template: `${o.tableNamePrefix ?? ''}{project}.{table_name}`,
          consistent_reads: o.consistentReads ?? false,
        };
      }
    }
  }

  /** Validates the options (property `onlineStore`). @internal */
  public _validate(v: PropsValidator): void {
    const s = this.spec;
    switch (s.kind) {
      case OnlineStoreKind.REDIS: {
        const o = s.options;
        v.matches('onlineStore.host', o.host, /^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$/, 'must be a host name');
        v.integer('onlineStore.port', o.port ?? 6379, 1, 65535);
        if (o.egressCidr !== undefined) {
          v.matches('onlineStore.egressCidr', o.egressCidr, CIDR, 'must be an IPv4 or IPv6 CIDR such as 10.0.0.0/16');
        }
        if (o.password?.kind === 'value') {
          v.fail('onlineStore.password', '<redacted>', 'must be a reference (EnvSource.fromSecret or EnvSource.fromAwsSecretsManager), never a plain value');
        }
        break;
      }
      case OnlineStoreKind.IN_CLUSTER_REDIS: {
        const o = s.options;
        v.check((o.storage ?? Size.gibibytes(1)).toMebibytes() >= 64, 'onlineStore.storage', o.storage?.toMebibytes(), 'must be at least 64Mi');
        if (o.image !== undefined) {
          validatePinnedImage(v, 'onlineStore.image', o.image);
        }
        break;
      }
      case OnlineStoreKind.DYNAMODB: {
        const o = s.options;
        v.matches('onlineStore.region', o.region, REGION, 'must be an AWS region such as us-east-1');
        v.matches('onlineStore.tableNamePrefix', o.tableNamePrefix ?? '', /^[A-Za-z0-9_.-]{0,64}$/,
          'must be at most 64 of the characters DynamoDB table names allow (letters, digits, "_", "." and "-")');
        break;
      }
    }
  }
}

/** Parquet files on S3 read by Feast's `file` offline store. */
export interface FileOfflineStoreOptions {
  /** `s3://bucket/prefix/` relative file source paths are joined to. */
  readonly baseUri: string;
}

/** Redshift as the offline store (provisioned cluster or serverless workgroup). */
export interface RedshiftOfflineStoreOptions {
  /** AWS region. */
  readonly region: string;
  /** Database. */
  readonly database: string;
  /** `s3://` location Feast unloads query results to. */
  readonly s3StagingLocation: string;
  /** IAM role Redshift assumes to read and write the staging location. */
  readonly iamRole: string;
  /** Cluster identifier (provisioned); with `user`, or use `workgroup`. @default - none */
  readonly clusterId?: string;
  /** Database user (provisioned clusters). @default - none */
  readonly user?: string;
  /** Serverless workgroup; instead of `clusterId` and `user`. @default - none */
  readonly workgroup?: string;
}

/** Athena as the offline store. */
export interface AthenaOfflineStoreOptions {
  /** AWS region. */
  readonly region: string;
  /** Glue database. */
  readonly database: string;
  /** `s3://` location for query results. */
  readonly s3StagingLocation: string;
  /** Athena workgroup. @default 'primary' */
  readonly workgroup?: string;
  /** Data catalog. @default 'AwsDataCatalog' */
  readonly dataSource?: string;
}

/** The options of an {@link OfflineStore}, one variant per kind. */
export type OfflineStoreSpec =
  | { readonly kind: 'file'; readonly options: FileOfflineStoreOptions }
  | { readonly kind: 'redshift'; readonly options: RedshiftOfflineStoreOptions }
  | { readonly kind: 'athena'; readonly options: AthenaOfflineStoreOptions };

/** Where training data comes from: files on S3 (dev) or a warehouse (Redshift, Athena). */
export class OfflineStore extends OptionsVariant<OfflineStoreSpec> {
  /** Parquet files on S3 (Feast's `file` offline store). */
  public static file(options: FileOfflineStoreOptions): OfflineStore {
    return new OfflineStore({ kind: 'file', options });
  }

  /** Redshift. */
  public static redshift(options: RedshiftOfflineStoreOptions): OfflineStore {
    return new OfflineStore({ kind: 'redshift', options });
  }

  /** Athena. */
  public static athena(options: AthenaOfflineStoreOptions): OfflineStore {
    return new OfflineStore({ kind: 'athena', options });
  }

  private constructor(spec: OfflineStoreSpec) {
    super(spec);
  }

  /** The base URI of a `file` store, which relative file source paths are joined to. @internal */
  public get _baseUri(): string | undefined {
    return this.spec.kind === 'file' ? this.spec.options.baseUri : undefined;
  }

  /** The `offline_store` section of `feature_store.yaml` (see {@link offlineStoreParameters}). @internal */
  public _toFeastConfig(): Record<string, string> {
    const s = this.spec;
    switch (s.kind) {
      case 'file':
        return { type: 'file' };
      case 'redshift': {
        const o = s.options;
        return {
          type: 'redshift',
          region: o.region,
          database: o.database,
          s3_staging_location: o.s3StagingLocation,
          iam_role: o.iamRole,
          ...(o.clusterId !== undefined ? { cluster_id: o.clusterId } : {}),
          ...(o.user !== undefined ? { user: o.user } : {}),
          ...(o.workgroup !== undefined ? { workgroup: o.workgroup } : {}),
        };
      }
      case 'athena': {
        const o = s.options;
        return {
          type: 'athena',
          region: o.region,
          database: o.database,
          workgroup: o.workgroup ?? 'primary',
          data_source: o.dataSource ?? 'AwsDataCatalog',
          s3_staging_location: o.s3StagingLocation,
        };
      }
    }
  }

  /** Validates the options (property `offlineStore`). @internal */
  public _validate(v: PropsValidator): void {
    const s = this.spec;
    switch (s.kind) {
      case 'file':
        validateS3Uri(v, 'offlineStore.baseUri', s.options.baseUri);
        break;
      case 'redshift': {
        const o = s.options;
        v.matches('offlineStore.region', o.region, REGION, 'must be an AWS region such as us-east-1');
        v.nonEmpty('offlineStore.database', o.database);
        validateS3Uri(v, 'offlineStore.s3StagingLocation', o.s3StagingLocation);
        v.matches('offlineStore.iamRole', o.iamRole, /^arn:aws[a-z-]*:iam::\d{12}:role\/\S+$/, 'must be an IAM role ARN');
        const provisioned = o.clusterId !== undefined || o.user !== undefined;
        v.check(provisioned !== (o.workgroup !== undefined) && (!provisioned || (o.clusterId !== undefined && o.user !== undefined)),
          'offlineStore', 'redshift', "needs either 'clusterId' and 'user' (provisioned) or 'workgroup' (serverless)");
        break;
      }
      case 'athena': {
        const o = s.options;
        v.matches('offlineStore.region', o.region, REGION, 'must be an AWS region such as us-east-1');
        v.nonEmpty('offlineStore.database', o.database);
        validateS3Uri(v, 'offlineStore.s3StagingLocation', o.s3StagingLocation);
        break;
      }
    }
  }
}

/** The Feast registry: one file on S3. */
export interface RegistryOptions {
  /** `s3://bucket/key` of the registry file, for example `s3://features/registry/registry.db`. */
  readonly path: string;
  /** How long servers cache the registry before reading it again. @default Duration.seconds(60) */
  readonly cacheTtl?: Duration;
}

/** Name of the environment variable that carries the Redis password into `feature_store.yaml`. */
export const REDIS_PASSWORD_ENV = 'FEAST_REDIS_PASSWORD';

/** What {@link renderFeatureStoreConfig} needs. */
export interface FeatureStoreConfigInput {
  /** Feast project. */
  readonly project: string;
  /** The registry. */
  readonly registry: RegistryOptions;
  /** Online store parameters (`type` included), from {@link onlineStoreParameters}. */
  readonly onlineStore: Readonly<Record<string, string | number | boolean>>;
  /** The offline store. */
  readonly offlineStore: OfflineStore;
}

/**
 * The `feature_store.yaml` document as an object, keys in a stable order.
 * AWS stores (DynamoDB, Redshift, Athena) use the `aws` provider, the rest
 * `local`; both pass every call through to the configured stores.
 * @see https://docs.feast.dev/reference/feature-repository/feature-store-yaml
 */
export function renderFeatureStoreConfig(input: FeatureStoreConfigInput): Record<string, unknown> {
  const aws = input.onlineStore.type === 'dynamodb' || input.offlineStore.kind !== 'file';
  return {
    project: input.project,
    provider: aws ? 'aws' : 'local',
    registry: {
      registry_type: 'file',
      path: input.registry.path,
      cache_ttl_seconds: (input.registry.cacheTtl ?? Duration.seconds(60)).toSeconds(),
    },
    online_store: { ...input.onlineStore },
    offline_store: offlineStoreParameters(input.offlineStore),
    entity_key_serialization_version: 3,
  };
}

/** `feature_store.yaml` as text. */
export function renderFeatureStoreYaml(input: FeatureStoreConfigInput): string {
  return Yaml.stringify(renderFeatureStoreConfig(input));
}

/**
 * The `online_store` section. A Redis password is never written: the
 * connection string holds `${FEAST_REDIS_PASSWORD}`, which Feast expands from
 * the environment when it loads the file (the variable comes from a Secret).
 *
 * @param inClusterHost host of the in-cluster Redis Service
 */
export function onlineStoreParameters(store: OnlineStore, inClusterHost: string): Record<string, string | number | boolean> {
  return store._toFeastConfig(inClusterHost);
}

/** The `offline_store` section. */
export function offlineStoreParameters(store: OfflineStore): Record<string, string> {
  return store._toFeastConfig();
}

/** Validates the store settings (properties `onlineStore`, `offlineStore`, `registry`). */
export function validateStores(v: PropsValidator, online: OnlineStore, offline: OfflineStore, registry: RegistryOptions): void {
  online._validate(v);
  offline._validate(v);
  validateS3Uri(v, 'registry.path', registry.path, 'key');
  const ttl = (registry.cacheTtl ?? Duration.seconds(60)).toSeconds();
  v.integer('registry.cacheTtl', ttl, 1, 86400);
}
