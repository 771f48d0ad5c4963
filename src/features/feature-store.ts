import { createHash } from 'node:crypto';
import { ApiObject, Chart, Cron, Duration, JsonPatch, Size, Yaml } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { ExternalSecret } from '../../imports/externalsecret-external-secrets.io';
import {
  FeatureStore as FeastFeatureStoreResource,
  FeatureStoreSpec,
  FeatureStoreSpecCronJob,
  FeatureStoreSpecCronJobContainerConfigsResourcesLimits,
  FeatureStoreSpecCronJobContainerConfigsResourcesRequests,
  FeatureStoreSpecFeastProjectDir,
  FeatureStoreSpecServices,
  FeatureStoreSpecServicesOfflineStorePersistenceStoreType,
  FeatureStoreSpecServicesOnlineStorePersistenceStoreType,
  FeatureStoreSpecServicesOnlineStoreServerLogLevel,
  FeatureStoreSpecServicesOnlineStoreServerResourcesLimits,
  FeatureStoreSpecServicesOnlineStoreServerResourcesRequests,
  FeatureStoreSpecServicesPodDisruptionBudgetsMaxUnavailable,
} from '../../imports/featurestore-feast.dev';
import { PrometheusRule } from '../../imports/prometheusrule-monitoring.coreos.com';
import { renderAlertRule } from '../monitoring/alert-rule';
import { platformAlertLinks } from '../monitoring/dashboards/platform';
import { ServiceMonitor } from '../../imports/servicemonitor-monitoring.coreos.com';
import { EnvSource, SecretStoreRef, renderExternalSecret, resolveEnv } from '../kube/env';
import { PropsValidator } from '../core/errors';
import { checkChartAtSynth } from '../core/chart-checks';
import { validatePinnedImage } from '../kube/image';
import { validateTimeZone } from '../core/time';
import { ANNOTATION_PREFIX, AwsIdentity, MANAGED_BY, awsIdentityAnnotations } from '../core/labels';
import { AlertDefinition, AlertSeverity, promDuration, promSelector, runbookUrl } from '../monitoring/monitoring';
import { IRunbookSource, Runbook, sh } from '../monitoring/runbooks';
import { addPodSeccomp, restrictedContainerSecurity, restrictedPodSecurity } from '../kube/pod-security';
import { clusterScoped } from '../kube/patches';
import { CostPreset, CostPresetSettings, TopologySpreadMode } from '../policy/presets';
import { ComputeResources, memoryMebibytes, validateComputeResources } from '../core/resources';
import { FeatureDefinitions, onlineFeatureViews, validateFeatureDefinitions } from './definitions';
import { FEATURE_REPOSITORY_FILE, renderFeatureRepository } from './python';
import { longestCronGapMinutes, validateSchedule } from '../core/cron';
import {
  FeatureStoreAwsBinding, FeatureStoreMode, InClusterRedisOptions, OfflineStore, OnlineStore, OnlineStoreKind,
  REDIS_IMAGE, REDIS_PASSWORD_ENV, REDIS_UID, RegistryOptions, renderFeatureStoreConfig, validateStores,
} from './stores';
import { ModelService } from '../serving/model-service';
import { EgressOptions, NetworkPeer, awsEgressRule, clusterLocalHost, dnsEgressRule, egressRules, networkPeer, tcpPort } from '../kube/network';
import { OptionsVariant } from '../core/variant';

/**
 * The public Feast feature server image, pinned to the release the
 * `feast.dev/v1` FeatureStore CRD in `../shared/crds/feast` comes from
 * (Feast v0.66.0), so both modes run the same Feast. The image ships the
 * Feast CLI (`feast apply`, `feast serve`, `feast materialize-incremental`)
 * with the AWS and Redis extras. Override `image` with a mirror or a digest.
 * @see https://hub.docker.com/r/feastdev/feature-server
 */
export const FEAST_IMAGE = 'feastdev/feature-server:0.66.0';

/** Port `feast serve` listens on (Feast's default, also the operator's). */
export const FEATURE_SERVER_PORT = 6566;
/** Port of the Prometheus endpoint `feast serve --metrics` starts. */
export const FEATURE_SERVER_METRICS_PORT = 8000;
/** Where the repository files are mounted in plain Kubernetes mode. */
export const FEATURE_REPO_DIR = '/feast/repo';

/** Options of a git feature repository for the operator. */
export interface GitProjectDirOptions {
  /** Repository URL. */
  readonly url: string;
  /** Commit, tag or branch; pin a commit or tag so the deployed definitions are known. */
  readonly ref: string;
  /** Path of the feature repository inside the git repository. @default 'feature_repo' */
  readonly featureRepoPath?: string;
}

/** Options of a feature repository packaged in an image. */
export interface PackagedProjectDirOptions {
  /** Absolute path of the feature repository inside the image. */
  readonly featureRepoPath: string;
  /** Image that holds the repository. @default - the feature server image */
  readonly image?: string;
}

/** The options of a {@link FeastProjectDir}, one variant per kind. */
export type FeastProjectDirSpec =
  | { readonly kind: 'git'; readonly options: GitProjectDirOptions }
  | { readonly kind: 'packaged'; readonly options: PackagedProjectDirOptions };

/**
 * Where the Feast operator finds the feature repository (the operator has no
 * way to read a ConfigMap): a git repository or an image. Commit the file
 * `FeatureStore.repositoryPython` renders there, so both modes apply the
 * same typed definitions.
 */
export class FeastProjectDir extends OptionsVariant<FeastProjectDirSpec> {
  /** Clone a git repository (a pinned ref). */
  public static git(options: GitProjectDirOptions): FeastProjectDir {
    return new FeastProjectDir({ kind: 'git', options });
  }

  /** A repository baked into an image. */
  public static packaged(options: PackagedProjectDirOptions): FeastProjectDir {
    return new FeastProjectDir({ kind: 'packaged', options });
  }

  private constructor(spec: FeastProjectDirSpec) {
    super(spec);
  }

  /**
   * The operator's `spec.feastProjectDir`.
   * @param defaultImage image of a packaged repository that names none
   * @internal
   */
  public _toOperatorSpec(defaultImage: string): FeatureStoreSpecFeastProjectDir {
    const s = this.spec;
    return s.kind === 'git'
      ? { git: { url: s.options.url, ref: s.options.ref, featureRepoPath: s.options.featureRepoPath ?? 'feature_repo' } }
      : { packaged: { featureRepoPath: s.options.featureRepoPath, image: s.options.image ?? defaultImage } };
  }

  /** Validates the options (property `operator.projectDir`). @internal */
  public _validate(v: PropsValidator): void {
    const s = this.spec;
    if (s.kind === 'git') {
      const o = s.options;
      v.matches('operator.projectDir.url', o.url, /^(https:\/\/|ssh:\/\/|git@)\S+$/, 'must be an https://, ssh:// or git@ repository URL');
      v.nonEmpty('operator.projectDir.ref', o.ref);
      if (o.featureRepoPath !== undefined) {
        v.check(!o.featureRepoPath.startsWith('/') && o.featureRepoPath.length > 0, 'operator.projectDir.featureRepoPath', o.featureRepoPath, 'must be a relative path inside the repository');
      }
    } else {
      const o = s.options;
      v.matches('operator.projectDir.featureRepoPath', o.featureRepoPath, /^\/[^/]+(\/[^/]+)*$/, 'must be an absolute path without a trailing "/"');
      v.check(!o.featureRepoPath.split('/').some((p) => p === '.' || p === '..'), 'operator.projectDir.featureRepoPath', o.featureRepoPath, 'must not contain "." or ".." segments');
      if (o.image !== undefined) validatePinnedImage(v, 'operator.projectDir.image', o.image);
    }
  }
}


/** The online feature server. */
export interface FeatureServerOptions {
  /** Requests and limits of the server container. @default - the preset's `resources` */
  readonly resources?: ComputeResources;
  /** Fewest replicas. @default - the preset's `autoscaling.minReplicas` */
  readonly minReplicas?: number;
  /** Most replicas; an HPA scales between the two when they differ. @default - the preset's `autoscaling.maxReplicas` */
  readonly maxReplicas?: number;
  /** Target average CPU utilization of the HPA (1-100). @default 70 */
  readonly cpuUtilization?: number;
  /** Gunicorn worker processes per replica. @default 1 */
  readonly workers?: number;
}

/** The materialization schedule (offline store to online store). */
export interface MaterializationOptions {
  /** When `feast materialize-incremental <now>` runs. @default Cron.schedule({ minute: '0' }) (hourly) */
  readonly schedule?: Cron;
  /** IANA time zone of the schedule. @default 'UTC' */
  readonly timeZone?: string;
  /** Alert when no run has succeeded for this many times the schedule's longest interval. @default 2 */
  readonly staleAfterIntervals?: number;
  /** Feature views to materialize. @default - every online feature view */
  readonly featureViews?: readonly string[];
  /** Longest a run may take. @default Duration.hours(1) */
  readonly activeDeadline?: Duration;
  /** Retries of a failed run. @default 2 */
  readonly backoffLimit?: number;
  /** Requests and limits of the job container. @default - 500m/1Gi requests, 2 CPU/4Gi limits */
  readonly resources?: ComputeResources;
}

/** Prometheus operator objects and alerts of the feature store. */
export interface FeatureStoreMonitoringOptions {
  /** Render a ServiceMonitor and a PrometheusRule. @default true */
  readonly enabled?: boolean;
  /** Labels that make Prometheus select them. @default { release: 'kube-prometheus-stack' } */
  readonly selectorLabels?: Readonly<Record<string, string>>;
  /** Namespace Prometheus scrapes from (admitted to the metrics port). @default 'monitoring' */
  readonly namespace?: string;
  /** Scrape interval. @default Duration.seconds(30) */
  readonly scrapeInterval?: Duration;
  /** Base of every `runbook_url`: `<base>/<name>-<alert>.md`. @default 'runbooks' */
  readonly runbookBaseUrl?: string;
  /** Share of failing feature server requests that alerts (0..1). @default 0.01 */
  readonly serverErrorRate?: number;
}

/** Feast operator settings. */
export interface FeatureStoreOperatorOptions {
  /** Where the operator finds the feature repository. */
  readonly projectDir: FeastProjectDir;
}

/** Options of {@link FeatureStore.connect}. */
export interface FeatureStoreConnectOptions {
  /** Feature service the model reads, passed as `FEAST_FEATURE_SERVICE`. @default - none */
  readonly featureService?: string;
}

/** Properties of a {@link FeatureStore}. */
export interface FeatureStoreProps {
  /** Feature definitions: entities, feature views and feature services. */
  readonly features: FeatureDefinitions;
  /** Name of every object (DNS-1035 label, at most 40 characters so derived names fit). @default - the construct id */
  readonly name?: string;
  /** Feast project (snake_case). @default - the name with '-' replaced by '_' */
  readonly project?: string;
  /** Plain Kubernetes objects or a Feast operator FeatureStore object. @default FeatureStoreMode.KUBERNETES */
  readonly mode?: FeatureStoreMode;
  /** Cost preset the defaults come from. @default CostPreset.PRODUCTION */
  readonly preset?: CostPresetSettings;
  /**
   * Online store.
   * @default - the ElastiCache Redis or DynamoDB of `aws`; else, for the DEV
   * preset, an in-cluster Redis StatefulSet with a PVC; else required
   */
  readonly onlineStore?: OnlineStore;
  /** Offline store. @default - Parquet files under `aws.offlineBaseUri`; else required */
  readonly offlineStore?: OfflineStore;
  /** Registry file on S3. @default - `aws.registryPath`; else required */
  readonly registry?: RegistryOptions;
  /** Values of the AWS half (IRSA roles, endpoint, table prefix, bucket). @default - none */
  readonly aws?: FeatureStoreAwsBinding;
  /**
   * AWS identity of the feature server (and, unless `jobsAwsIdentity` is set,
   * of the apply and materialization jobs) when `aws` gives no roles: required
   * when the store reads `s3://`, DynamoDB, Redshift or Athena.
   * @default - the IRSA roles of `aws`; else none (an error when the store calls AWS)
   */
  readonly awsIdentity?: AwsIdentity;
  /** AWS identity of the `feast apply` Job and the materialization CronJob. @default - `awsIdentity` */
  readonly jobsAwsIdentity?: AwsIdentity;
  /** Feast image, pinned by tag or digest. @default FEAST_IMAGE */
  readonly image?: string;
  /** Feature server sizing and scaling. @default - see {@link FeatureServerOptions} */
  readonly server?: FeatureServerOptions;
  /** Materialization schedule and job settings. @default - hourly, see {@link MaterializationOptions} */
  readonly materialization?: MaterializationOptions;
  /** Feast operator settings; required in operator mode, refused otherwise. @default - none */
  readonly operator?: FeatureStoreOperatorOptions;
  /**
   * Sources admitted to the feature server port besides the models passed to
   * {@link FeatureStore.connect} and the store's own jobs (always admitted).
   * @default - none
   */
  readonly allowFrom?: readonly NetworkPeer[];
  /** CIDRs that narrow the AWS egress on 443 (S3 registry, STS, DynamoDB, Athena, Redshift Data) of the server and jobs, and the server's API server egress (TokenReviews). @default - see {@link EgressOptions} */
  readonly network?: EgressOptions;
  /**
   * Authentication and authorization of the feature server (plain mode): callers present their Kubernetes
   * ServiceAccount token, the server has the API server review it, and only ServiceAccounts of
   * `clientNamespaces` may read. `false` serves everyone the NetworkPolicy admits, unauthenticated.
   * @default - on, for the feature store's namespace
   */
  readonly serverAuth?: FeatureServerAuthOptions | false;
  /** Store that Secrets Manager references are read from. @default { kind: 'ClusterSecretStore', name: 'aws-secrets-manager' } */
  readonly secretStore?: SecretStoreRef;
  /** ServiceMonitor, PrometheusRule and alert thresholds. @default - enabled */
  readonly monitoring?: FeatureStoreMonitoringOptions;
  /** UID (and GID) the Feast containers run as. @default 1000 */
  readonly runAsUser?: number;
}

/** Who may read from an authenticated feature server (see {@link FeatureStoreProps.serverAuth}). */
export interface FeatureServerAuthOptions {
  /**
   * Namespaces whose ServiceAccounts may describe the registry's objects and read online features (writes are
   * denied to everyone); {@link FeatureStore.connect} refuses a model from any other namespace.
   * @default - the feature store's namespace
   */
  readonly clientNamespaces?: readonly string[];
}

/** Where the Feast client and {@link FeatureStore.connect}ed models read the ServiceAccount token they present. */
export const FEATURE_SERVER_TOKEN_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

/**
 * The feature server's `auth` section (Feast 0.66). Its OIDC token parser sends every token that carries a
 * `kubernetes.io` claim (a ServiceAccount token) to a TokenReview and raises unless the API server authenticates
 * it; the caller's namespace comes from the reviewed username, so a `NamespaceBasedPolicy` cannot be forged, and
 * the server needs only `tokenreviews/create`. The `kubernetes` type is not used: for ServiceAccount tokens it
 * takes the identity and roles from the JWT decoded without verifying its signature (after a failed review it
 * carries on) and needs list access to RoleBindings and ClusterRoleBindings. Any other token goes to the
 * discovery document, here the cluster's own issuer, which has no OAuth endpoints (and answers no anonymous
 * fetch), so it is refused. `/health` takes no token, so the probes keep working.
 * @see https://docs.feast.dev/v0.66-branch/getting-started/components/authz_manager ("Multi-Token Support (OIDC + Kubernetes Service Account)")
 * @see https://github.com/feast-dev/feast/blob/v0.66.0/sdk/python/feast/permissions/auth/oidc_token_parser.py
 */
const FEAST_SERVER_AUTH = Object.freeze({
  type: 'oidc',
  auth_discovery_url: 'https://kubernetes.default.svc/.well-known/openid-configuration',
  ca_cert_path: `${FEATURE_SERVER_TOKEN_DIR}/ca.crt`,
});

const DEFAULT_JOB_RESOURCES: ComputeResources = {
  cpu: { request: kplus.Cpu.millis(500), limit: kplus.Cpu.millis(2000) },
  memory: { request: Size.gibibytes(1), limit: Size.gibibytes(4) },
};
const DEFAULT_REDIS_RESOURCES: ComputeResources = {
  cpu: { request: kplus.Cpu.millis(100), limit: kplus.Cpu.millis(500) },
  memory: { request: Size.mebibytes(128), limit: Size.mebibytes(512) },
};
const COMPONENT = 'app.kubernetes.io/component';

/** The feature server settings, resolved. */
interface ResolvedServer {
  readonly minReplicas: number;
  readonly maxReplicas: number;
  readonly cpuTarget: number;
  readonly workers: number;
  readonly resources: ComputeResources;
}

/** The materialization settings, resolved. */
interface ResolvedMaterialization {
  readonly schedule: Cron;
  readonly expression: string;
  readonly intervalMinutes: number;
  readonly timeZone: string;
  readonly staleAfter: number;
  /** ` --views <name>` arguments, empty for every online view. */
  readonly viewArgs: string;
  readonly activeDeadline: number;
  readonly backoffLimit: number;
  readonly resources: ComputeResources;
}

/** The monitoring settings, resolved. */
interface ResolvedMonitoring {
  readonly enabled: boolean;
  readonly selectorLabels: Readonly<Record<string, string>>;
  readonly namespace: string;
  readonly scrapeInterval: Duration;
  readonly runbookBaseUrl: string;
  readonly errorRate: number;
}

/** The props of a {@link FeatureStore}, resolved to defaults and validated once. */
interface ResolvedProps {
  readonly name: string;
  readonly project: string;
  readonly mode: FeatureStoreMode;
  readonly preset: CostPresetSettings;
  readonly image: string;
  readonly runAsUser: number;
  readonly features: FeatureDefinitions;
  readonly onlineStore: OnlineStore;
  readonly offlineStore: OfflineStore;
  readonly registry: RegistryOptions;
  readonly registryTtl: number;
  readonly aws?: FeatureStoreAwsBinding;
  readonly awsIdentity?: AwsIdentity;
  readonly jobsAwsIdentity?: AwsIdentity;
  readonly region?: string;
  readonly redisPassword?: EnvSource;
  readonly secretStore?: SecretStoreRef;
  /** Operator mode only. */
  readonly projectDir?: FeastProjectDir;
  /** Sources admitted to the feature server port (plain mode). */
  readonly allowFrom: readonly kplus.k8s.NetworkPolicyPeer[];
  readonly awsEgress: kplus.k8s.NetworkPolicyEgressRule;
  /** The server's egress to the API server (its TokenReviews). */
  readonly apiServerEgress: kplus.k8s.NetworkPolicyEgressRule;
  /** Namespaces that may read, when the server authenticates (plain mode): undefined means the store's namespace. */
  readonly serverAuth?: { readonly clientNamespaces?: readonly string[] };
  readonly server: ResolvedServer;
  readonly materialization: ResolvedMaterialization;
  readonly monitoring: ResolvedMonitoring;
}

/** Resolves and validates the props, in the order the errors are reported. */
function resolveProps(v: PropsValidator, id: string, props: FeatureStoreProps): ResolvedProps {
  const name = v.dnsLabel('name', props.name ?? id, 40);
  const project = v.matches('project', props.project ?? name.replace(/-/g, '_'), /^[a-z][a-z0-9_]{0,62}$/,
    'must be a Feast project name: lower-case letters, digits and underscores, starting with a letter, at most 63 characters');
  const mode = props.mode ?? FeatureStoreMode.KUBERNETES;
  const preset = props.preset ?? CostPreset.PRODUCTION;
  const image = props.image ?? FEAST_IMAGE;
  const runAsUser = v.integer('runAsUser', props.runAsUser ?? 1000, 1, 2147483647);
  const aws = props.aws;
  const onlineStore = props.onlineStore ?? defaultOnlineStore(v, preset, aws);
  const offlineStore = props.offlineStore ?? (aws ? OfflineStore.file({ baseUri: aws.offlineBaseUri })
    : v.fail('offlineStore', undefined, "is required without 'aws': use OfflineStore.file({ baseUri: 's3://bucket/prefix/' }), OfflineStore.redshift(...) or OfflineStore.athena(...)"));
  const registry = props.registry ?? (aws ? { path: aws.registryPath }
    : v.fail('registry', undefined, "is required without 'aws': give the registry file's s3://bucket/key"));
  const server = props.server ?? {};
  const minReplicas = v.integer('server.minReplicas', server.minReplicas ?? preset.autoscaling.minReplicas, 1, 1000);
  const maxReplicas = v.integer('server.maxReplicas', server.maxReplicas ?? preset.autoscaling.maxReplicas, 1, 1000);
  const features = validateFeatureDefinitions(v, 'features', props.features);
  validateStores(v, onlineStore, offlineStore, registry);
  validatePinnedImage(v, 'image', image);
  v.check(minReplicas <= maxReplicas, 'server.minReplicas', minReplicas, `must be <= 'server.maxReplicas' (${maxReplicas})`);
  const resolvedServer: ResolvedServer = {
    minReplicas,
    maxReplicas,
    cpuTarget: v.integer('server.cpuUtilization', server.cpuUtilization ?? 70, 1, 100),
    workers: v.integer('server.workers', server.workers ?? 1, 1, 64),
    resources: validateComputeResources(v, 'server.resources', server.resources ?? preset.resources),
  };
  const materialization = resolveMaterialization(v, props.materialization ?? {}, features, offlineStore);
  const monitoring = props.monitoring ?? {};
  const errorRate = v.range('monitoring.serverErrorRate', monitoring.serverErrorRate ?? 0.01, 0.0001, 0.5);
  const projectDir = validateMode(v, mode, props, onlineStore);
  const redisPassword = onlineStore._password;
  if (redisPassword) {
    resolveEnv(v, { [REDIS_PASSWORD_ENV]: redisPassword });
  }
  const monitoringNamespace = v.dnsLabel('monitoring.namespace', monitoring.namespace ?? 'monitoring');
  const allowFrom = (props.allowFrom ?? []).map((p, i) => networkPeer(v, p, `allowFrom[${i}]`));
  const awsEgress = awsEgressRule(v, props.network);
  const [apiServerEgress] = egressRules(v, { apiServer: true }, props.network, 'network');
  const auth = props.serverAuth;
  (auth ? auth.clientNamespaces ?? [] : []).forEach((ns, i) => v.dnsLabel(`serverAuth.clientNamespaces[${i}]`, ns));
  v.check(!auth || auth.clientNamespaces === undefined || auth.clientNamespaces.length > 0, 'serverAuth.clientNamespaces', auth ? auth.clientNamespaces : undefined,
    'must name at least one namespace: use serverAuth: false to serve unauthenticated');
  const serverAuth = auth === false || mode === FeatureStoreMode.OPERATOR ? undefined : { clientNamespaces: auth?.clientNamespaces };
  v.check(materialization.staleAfter * materialization.intervalMinutes > 0, 'materialization.staleAfterIntervals', materialization.staleAfter,
    'must give a positive threshold');
  return {
    name, project, mode, preset, image, runAsUser, features, onlineStore, offlineStore, registry, aws, redisPassword, projectDir, allowFrom, awsEgress,
    apiServerEgress, serverAuth,
    awsIdentity: props.awsIdentity, jobsAwsIdentity: props.jobsAwsIdentity,
    registryTtl: (registry.cacheTtl ?? Duration.seconds(60)).toSeconds(),
    region: aws?.region ?? onlineStore._region,
    secretStore: props.secretStore,
    server: resolvedServer,
    materialization,
    monitoring: {
      enabled: monitoring.enabled ?? true,
      selectorLabels: monitoring.selectorLabels ?? { release: 'kube-prometheus-stack' },
      namespace: monitoringNamespace,
      scrapeInterval: monitoring.scrapeInterval ?? Duration.seconds(30),
      runbookBaseUrl: (monitoring.runbookBaseUrl ?? 'runbooks').replace(/\/+$/, ''),
      errorRate,
    },
  };
}

function defaultOnlineStore(v: PropsValidator, preset: CostPresetSettings, aws: FeatureStoreAwsBinding | undefined): OnlineStore {
  if (aws?.redis) {
    return OnlineStore.redis({ host: aws.redis.host, port: aws.redis.port, ssl: true, password: EnvSource.fromAwsSecretsManager(aws.redis.authTokenSecretName) });
  }
  if (aws?.dynamoDb) {
    return OnlineStore.dynamoDb({ region: aws.region, tableNamePrefix: aws.dynamoDb.tableNamePrefix });
  }
  if (preset.name === CostPreset.DEV.name) {
    return OnlineStore.inClusterRedis();
  }
  return v.fail('onlineStore', undefined,
    `is required for the '${preset.name}' preset (only 'dev' defaults to an in-cluster Redis): use OnlineStore.redis (ElastiCache, see FeatureStoreAws) or OnlineStore.dynamoDb`);
}

function resolveMaterialization(v: PropsValidator, m: MaterializationOptions, features: FeatureDefinitions, offlineStore: OfflineStore): ResolvedMaterialization {
  const schedule = m.schedule ?? Cron.schedule({ minute: '0' });
  const expression = schedule.expressionString;
  const resources = validateComputeResources(v, 'materialization.resources', m.resources ?? DEFAULT_JOB_RESOURCES);
  // Batch sources must be read by the configured offline store.
  features.featureViews.forEach((fv, i) => {
    v.check(fv.source.kind === offlineStore.kind, `features.featureViews[${i}].source`, fv.source.name,
      `is a ${fv.source.kind} source but the offline store is '${offlineStore.kind}'; every source must be read by the offline store`);
  });
  validateSchedule(v, 'materialization.schedule', schedule, { property: 'materialization.timeZone', value: m.timeZone ?? 'UTC' });
  const intervalMinutes = longestCronGapMinutes(expression) ?? v.fail('materialization.schedule', expression,
    'must be a five-field cron schedule that runs at least twice in four years');
  const timeZone = m.timeZone ?? 'UTC';
  validateTimeZone(v, 'materialization.timeZone', timeZone);
  const staleAfter = v.integer('materialization.staleAfterIntervals', m.staleAfterIntervals ?? 2, 1, 100);
  const online = onlineFeatureViews(features);
  v.check(online.length > 0, 'features.featureViews', features.featureViews.map((fv) => fv.name),
    'must include at least one online feature view (online: true): nothing would be materialized or served');
  const views = m.featureViews ?? [];
  views.forEach((fv, i) => v.check(online.includes(fv), `materialization.featureViews[${i}]`, fv,
    `names no online feature view (online feature views: ${online.join(', ')})`));
  return {
    schedule, expression, intervalMinutes, timeZone, staleAfter, resources,
    viewArgs: views.map((fv) => ` --views ${fv}`).join(''),
    activeDeadline: v.seconds('materialization.activeDeadline', m.activeDeadline ?? Duration.hours(1), 60, 7 * 86400),
    backoffLimit: v.integer('materialization.backoffLimit', m.backoffLimit ?? 2, 0, 20),
  };
}

/** Checks the mode-specific props; returns the operator's project directory in operator mode. */
function validateMode(v: PropsValidator, mode: FeatureStoreMode, props: FeatureStoreProps, onlineStore: OnlineStore): FeastProjectDir | undefined {
  if (mode !== FeatureStoreMode.OPERATOR) {
    v.check(props.operator === undefined, 'operator', props.operator ? 'set' : undefined, "has no effect unless 'mode' is FeatureStoreMode.OPERATOR");
    return undefined;
  }
  const operator = props.operator;
  v.check(operator !== undefined, 'operator', undefined, "is required in operator mode: give 'operator.projectDir' (the operator reads the feature repository from git or an image)");
  operator.projectDir._validate(v);
  // The operator renders the feature server pods and has no NetworkPolicy settings.
  v.check(props.allowFrom === undefined, 'allowFrom', props.allowFrom, 'has no effect in operator mode: the operator renders no NetworkPolicy for the feature server');
  v.check(props.network === undefined, 'network', props.network, 'has no effect in operator mode: the operator renders no NetworkPolicy for the feature server');
  v.check(props.serverAuth === undefined, 'serverAuth', props.serverAuth,
    "has no effect in operator mode: set the operator's 'authz' on the FeatureStore resource");
  v.check(props.monitoring?.namespace === undefined, 'monitoring.namespace', props.monitoring?.namespace,
    'has no effect in operator mode: it only admits scrapes in the NetworkPolicy of plain Kubernetes mode');
  const password = onlineStore._password;
  v.check(password === undefined || password.kind === 'externalSecret', 'onlineStore.password', '<redacted>',
    "must be EnvSource.fromAwsSecretsManager in operator mode: the operator reads the whole Redis connection string from a Secret key named 'redis', which an ExternalSecret template renders");
  return operator.projectDir;
}

/** The objects of plain Kubernetes mode. */
interface PlainObjects {
  readonly configMap: kplus.ConfigMap;
  readonly repositoryConfigMap: kplus.ConfigMap;
  readonly serverServiceAccount: kplus.ServiceAccount;
  readonly jobServiceAccount: kplus.ServiceAccount;
  readonly deployment: kplus.Deployment;
  readonly container: kplus.Container;
  readonly service: kplus.Service;
  readonly autoscaler?: kplus.HorizontalPodAutoscaler;
  readonly podDisruptionBudget?: kplus.k8s.KubePodDisruptionBudget;
  readonly applyJob: kplus.Job;
  readonly cronJob: kplus.CronJob;
  readonly networkPolicy: kplus.k8s.KubeNetworkPolicy;
  readonly jobsNetworkPolicy: kplus.k8s.KubeNetworkPolicy;
}

/** What every Feast container of plain mode shares. */
interface PodContext {
  readonly env: Record<string, kplus.EnvValue>;
  readonly configVolume: kplus.Volume;
  readonly repositoryVolume: kplus.Volume;
  readonly annotations: Record<string, string>;
}

/**
 * A Feast feature store: the same typed feature definitions serve models
 * online and feed training (the guide's training/serving skew point).
 *
 * Plain Kubernetes mode (any cluster, public Feast image): `feature_store.yaml`
 * rendered from the store props into a ConfigMap, the definitions rendered
 * into a generated Python repository file in a ConfigMap, a `feast apply` Job
 * (named after a hash of what it applies, as Jobs are immutable), a
 * `feast serve` Deployment with a Service, probes on `/health`, an HPA, a PDB
 * and a NetworkPolicy, and a materialization CronJob running
 * `feast materialize-incremental <now>` one run at a time. Operator mode: one
 * `feast.dev/v1` FeatureStore object with the same stores, scaling and cron
 * materialization.
 *
 * Online stores: Redis (an in-cluster StatefulSet with a PVC for the DEV
 * preset, ElastiCache in production) or DynamoDB; offline: Parquet on S3,
 * Redshift or Athena; registry on S3. Secrets by reference only. A
 * PrometheusRule alerts when materialization has not succeeded for N times
 * its schedule and when the feature server fails requests.
 *
 * @see https://docs.feast.dev/reference/feature-servers/python-feature-server
 * @example
 * const store = new FeatureStore(chart, 'features', {
 *   preset: CostPreset.DEV,
 *   features: { entities: [customer], featureViews: [customerStats], featureServices: [churnV1] },
 *   offlineStore: OfflineStore.file({ baseUri: 's3://ml-features/offline/' }),
 *   registry: { path: 's3://ml-features/registry/registry.db' },
 * });
 * store.connect(churnModel, { featureService: 'churn_v1' });
 */
export class FeatureStore extends Construct implements IRunbookSource {
  /** Name of every object. */
  public readonly name: string;
  /** Namespace of the chart, if it has one. */
  public readonly namespace?: string;
  /** Feast project. */
  public readonly project: string;
  /** Deployment mode. */
  public readonly mode: FeatureStoreMode;
  /** The resolved preset. */
  public readonly preset: CostPresetSettings;
  /** Feast image. */
  public readonly image: string;
  /** The validated feature definitions. */
  public readonly features: FeatureDefinitions;
  /** The online store. */
  public readonly onlineStore: OnlineStore;
  /** The offline store. */
  public readonly offlineStore: OfflineStore;
  /** The registry. */
  public readonly registry: RegistryOptions;
  /** Fewest feature server replicas. */
  public readonly minReplicas: number;
  /** Most feature server replicas. */
  public readonly maxReplicas: number;
  /** Cron expression of the materialization. */
  public readonly materializationSchedule: string;
  /** Longest time between two materializations, in minutes. */
  public readonly materializationIntervalMinutes: number;
  /** Labels of every object. */
  public readonly labels: Readonly<Record<string, string>>;
  /** Labels that select the feature server pods. */
  public readonly serverSelectorLabels: Readonly<Record<string, string>>;
  /** `feature_store.yaml` as an object (what the ConfigMap holds, parsed). */
  public readonly featureStoreConfig: Record<string, unknown>;
  /** `feature_store.yaml` as rendered. */
  public readonly featureStoreYaml: string;
  /** The generated Python repository file (commit it for the operator's git or packaged repository). */
  public readonly repositoryPython: string;
  /** Namespaces whose ServiceAccounts may read from the authenticated feature server; undefined when it serves unauthenticated. */
  public readonly clientNamespaces?: readonly string[];
  /** Alerts (also rendered into the PrometheusRule). */
  public readonly alerts: readonly AlertDefinition[];

  /** ConfigMap with `feature_store.yaml` (plain mode). */
  public readonly configMap?: kplus.ConfigMap;
  /** ConfigMap with the generated repository file (plain mode). */
  public readonly repositoryConfigMap?: kplus.ConfigMap;
  /** ServiceAccount of the feature server (plain mode; in operator mode only with `aws`, for IRSA). */
  public readonly serverServiceAccount?: kplus.ServiceAccount;
  /** ServiceAccount of the apply Job and the materialization CronJob (plain mode). */
  public readonly jobServiceAccount?: kplus.ServiceAccount;
  /** The `feast serve` Deployment (plain mode). */
  public readonly deployment?: kplus.Deployment;
  /** The feature server container (plain mode). */
  public readonly container?: kplus.Container;
  /** The feature server Service (plain mode). */
  public readonly service?: kplus.Service;
  /** The HPA, when min and max replicas differ (plain mode). */
  public readonly autoscaler?: kplus.HorizontalPodAutoscaler;
  /** The PodDisruptionBudget, when more than one replica can run (plain mode). */
  public readonly podDisruptionBudget?: kplus.k8s.KubePodDisruptionBudget;
  /** NetworkPolicy of the feature server (plain mode). */
  public readonly networkPolicy?: kplus.k8s.KubeNetworkPolicy;
  /** NetworkPolicy of the apply and materialization pods (plain mode). */
  public readonly jobsNetworkPolicy?: kplus.k8s.KubeNetworkPolicy;
  /** The `feast apply` Job (plain mode). */
  public readonly applyJob?: kplus.Job;
  /** The materialization CronJob (plain mode). */
  public readonly materializationCronJob?: kplus.CronJob;
  /** The in-cluster Redis StatefulSet. */
  public readonly redisStatefulSet?: kplus.k8s.KubeStatefulSet;
  /** The in-cluster Redis Service. */
  public readonly redisService?: kplus.k8s.KubeService;
  /** NetworkPolicy of the in-cluster Redis. */
  public readonly redisNetworkPolicy?: kplus.k8s.KubeNetworkPolicy;
  /** ExternalSecret syncing the Redis password from AWS Secrets Manager. */
  public readonly externalSecret?: ExternalSecret;
  /** Secrets holding non-secret store parameters in the operator's format (operator mode). */
  public readonly storeParameterSecrets: readonly kplus.k8s.KubeSecret[];
  /** The `feast.dev/v1` FeatureStore object (operator mode). */
  public readonly featureStoreResource?: FeastFeatureStoreResource;
  /** The ServiceMonitor, when monitoring is enabled. */
  public readonly serviceMonitor?: ServiceMonitor;
  /** The PrometheusRule, when monitoring is enabled. */
  public readonly prometheusRule?: PrometheusRule;

  private readonly runAsUser: number;
  private readonly connected = new Set<string>();
  /** Ingress rules of the feature server's NetworkPolicy, held by reference in its props: {@link connect} adds to them. */
  private readonly serverIngress: kplus.k8s.NetworkPolicyIngressRule[] = [];

  constructor(scope: Construct, id: string, props: FeatureStoreProps) {
    super(scope, id);
    checkChartAtSynth(this);
    const v: PropsValidator = new PropsValidator(this);
    const r = resolveProps(v, id, props);
    this.name = r.name;
    this.namespace = Chart.of(this).namespace;
    this.project = r.project;
    this.mode = r.mode;
    this.preset = r.preset;
    this.image = r.image;
    this.runAsUser = r.runAsUser;
    this.features = r.features;
    this.onlineStore = r.onlineStore;
    this.offlineStore = r.offlineStore;
    this.registry = r.registry;
    this.minReplicas = r.server.minReplicas;
    this.maxReplicas = r.server.maxReplicas;
    this.materializationSchedule = r.materialization.expression;
    this.materializationIntervalMinutes = r.materialization.intervalMinutes;

    // ---- metadata and rendered files --------------------------------------
    this.labels = {
      'app.kubernetes.io/name': this.name,
      'app.kubernetes.io/instance': this.name,
      'app.kubernetes.io/part-of': this.name,
      'app.kubernetes.io/managed-by': MANAGED_BY,
    };
    this.serverSelectorLabels = this.mode === FeatureStoreMode.OPERATOR
      ? { 'feast.dev/name': this.name }
      : { 'app.kubernetes.io/name': this.name, 'app.kubernetes.io/instance': this.name, [COMPONENT]: 'feature-server' };
    this.clientNamespaces = r.serverAuth ? [...new Set(r.serverAuth.clientNamespaces ?? [this.namespace ?? 'default'])].sort() : undefined;
    this.repositoryPython = renderFeatureRepository(this.features, {
      project: this.project, offlineBaseUri: this.offlineStore._baseUri,
      readers: this.clientNamespaces ? { name: `${this.name}-readers`, namespaces: this.clientNamespaces } : undefined,
    });
    const onlineParameters = this.onlineStore._toFeastConfig(this.redisHost);
    this.featureStoreConfig = {
      ...renderFeatureStoreConfig({ project: this.project, registry: this.registry, onlineStore: onlineParameters, offlineStore: this.offlineStore }),
      ...(this.clientNamespaces ? { auth: { ...FEAST_SERVER_AUTH } } : {}),
    };
    this.featureStoreYaml = renderYaml(this.featureStoreConfig);

    // ---- online store (in-cluster Redis) ----------------------------------
    if (this.onlineStore.spec.kind === OnlineStoreKind.IN_CLUSTER_REDIS) {
      const redis = this.renderRedis(this.onlineStore.spec.options);
      this.redisStatefulSet = redis.statefulSet;
      this.redisService = redis.service;
      this.redisNetworkPolicy = redis.networkPolicy;
    }

    // ---- workloads ----------------------------------------------------------
    if (r.projectDir === undefined) {
      this.externalSecret = r.redisPassword?.kind === 'externalSecret' ? this.passwordExternalSecret(r.redisPassword, r.secretStore) : undefined;
      const plain = this.renderPlain(r);
      this.configMap = plain.configMap;
      this.repositoryConfigMap = plain.repositoryConfigMap;
      this.serverServiceAccount = plain.serverServiceAccount;
      this.jobServiceAccount = plain.jobServiceAccount;
      this.deployment = plain.deployment;
      this.container = plain.container;
      this.service = plain.service;
      this.autoscaler = plain.autoscaler;
      this.podDisruptionBudget = plain.podDisruptionBudget;
      this.networkPolicy = plain.networkPolicy;
      this.jobsNetworkPolicy = plain.jobsNetworkPolicy;
      this.applyJob = plain.applyJob;
      this.materializationCronJob = plain.cronJob;
      this.storeParameterSecrets = [];
      this.node.defaultChild = plain.deployment;
    } else {
      const secrets = this.renderOperatorSecrets(r, onlineParameters);
      this.externalSecret = secrets.externalSecret;
      this.storeParameterSecrets = secrets.parameterSecrets;
      if (r.aws || r.awsIdentity) {
        // The operator creates ServiceAccount feast-<name> and keeps the annotations it finds:
        // rendering it here is how its pods get the IRSA role (or carry the declared identity).
        this.serverServiceAccount = this.serviceAccount('ServerServiceAccount', `feast-${this.name}`, r, 'server', true);
      } else {
        // No identity: fails when the store calls AWS.
        this.identityAnnotations(r, 'server');
      }
      this.featureStoreResource = this.renderOperator(r, r.projectDir, secrets.offlineSecretName);
      this.node.defaultChild = this.featureStoreResource;
    }

    // ---- monitoring ---------------------------------------------------------
    this.alerts = this.defineAlerts(r);
    if (r.monitoring.enabled) {
      const monitoring = this.renderMonitoring(r.monitoring);
      this.serviceMonitor = monitoring.serviceMonitor;
      this.prometheusRule = monitoring.prometheusRule;
    }
  }

  /** Name of the feature server Service. */
  public get serviceName(): string {
    return this.mode === FeatureStoreMode.OPERATOR ? `feast-${this.name}-online` : this.name;
  }

  /** In-cluster URL of the feature server. */
  public get serverUrl(): string {
    const host = clusterLocalHost(this.serviceName, this.namespace);
    return `http://${host}:80`;
  }

  /** Runbooks of the feature store's alerts, with the commands for its objects. */
  public runbooks(): Runbook[] {
    const ns = this.namespace ? ` -n ${this.namespace}` : '';
    const cron = this.materializationCronJobName;
    const operator = this.mode === FeatureStoreMode.OPERATOR;
    const server = operator ? sh(`kubectl${ns} get featurestore ${this.name} -o yaml`, `kubectl${ns} get pods -l feast.dev/name=${this.name}`)
      : sh(`kubectl${ns} get deployment ${this.serviceName}`, `kubectl${ns} logs deployment/${this.serviceName} --tail=100`);
    const byName = Object.fromEntries(this.alerts.map((a) => [a.name, a]));
    const out: Runbook[] = [];
    if (byName.FeatureMaterializationStale) {
      out.push({
        alert: byName.FeatureMaterializationStale,
        investigate: [
          `Look at the materialization runs and the last error:\n${sh(`kubectl${ns} get cronjob ${cron}`, `kubectl${ns} get jobs --sort-by=.status.startTime | grep ${cron}`,
            `kubectl${ns} logs job/$(kubectl${ns} get jobs --sort-by=.status.startTime -o name | grep ${cron} | tail -1 | cut -d/ -f2)`)}`,
          'Check the offline source has new data for the window and that the online store is reachable (credentials, network policy, capacity).',
        ],
        mitigate: [
          `Fix the cause and materialize now:\n${sh(`kubectl${ns} create job --from=cronjob/${cron} ${cron}-manual`, `kubectl${ns} logs -f job/${cron}-manual`)}`,
          'Until features are fresh, models serve with stale features: consider the fallback (cached predictions) for feature-sensitive models.',
        ],
      });
    }
    if (byName.FeatureServerHighErrorRate) {
      out.push({
        alert: byName.FeatureServerHighErrorRate,
        investigate: [
          `Check the feature server pods and logs (online store or registry unreachable?):\n${server}`,
          `Check the online store:\n${this.redisStatefulSet ? sh(`kubectl${ns} get statefulset ${this.redisStatefulSet.name}`) : sh('aws elasticache describe-replication-groups', 'aws dynamodb list-tables')}`,
        ],
        mitigate: [
          operator ? `Restart the feature server:\n${sh(`kubectl${ns} delete pods -l feast.dev/name=${this.name}`)}`
            : `Restart the feature server:\n${sh(`kubectl${ns} rollout restart deployment/${this.serviceName}`)}`,
          'If the registry is broken after a change, re-apply the previous feature definitions (revert the commit; the apply Job runs again).',
        ],
      });
    }
    return out;
  }

  /** Name of the materialization CronJob (the operator names its own `feast-<name>`). */
  public get materializationCronJobName(): string {
    return this.mode === FeatureStoreMode.OPERATOR ? `feast-${this.name}` : `${this.name}-materialize`;
  }

  /**
   * Wires a model service to the feature server: `FEAST_FEATURE_SERVER_URL`,
   * `FEAST_PROJECT` (and `FEAST_FEATURE_SERVICE`) in its environment, an
   * egress rule to the feature server pods in its NetworkPolicy, and, for a
   * model in another namespace, an ingress rule in the feature server's.
   */
  public connect(model: ModelService, options: FeatureStoreConnectOptions = {}): void {
    const v: PropsValidator = new PropsValidator(this);
    const key = `${model.namespace ?? ''}/${model.name}`;
    v.check(!this.connected.has(key), 'connect', model.name, 'this model service is already connected to the feature store');
    if (options.featureService !== undefined) {
      const services = (this.features.featureServices ?? []).map((s) => s.name);
      v.check(services.includes(options.featureService), 'connect.featureService', options.featureService,
        `names no feature service of the repository (feature services: ${services.join(', ') || 'none'})`);
    }
    this.connected.add(key);
    const env = model.container.env;
    env.addVariable('FEAST_FEATURE_SERVER_URL', kplus.EnvValue.fromValue(this.serverUrl));
    env.addVariable('FEAST_PROJECT', kplus.EnvValue.fromValue(this.project));
    if (options.featureService !== undefined) {
      env.addVariable('FEAST_FEATURE_SERVICE', kplus.EnvValue.fromValue(options.featureService));
    }
    const sameNamespace = (model.namespace ?? '') === (this.namespace ?? '');
    model.allowEgress({
      to: [{
        podSelector: { matchLabels: { ...this.serverSelectorLabels } },
        ...(!sameNamespace && this.namespace ? { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': this.namespace } } } : {}),
      }],
      ports: [tcpPort(FEATURE_SERVER_PORT)],
    });
    if (this.clientNamespaces) {
      const ns = model.namespace ?? 'default';
      v.check(this.clientNamespaces.includes(ns), 'connect', model.name,
        `is in namespace '${ns}', whose ServiceAccounts may not read from the feature server: add it to 'serverAuth.clientNamespaces' (${this.clientNamespaces.join(', ')})`);
      mountServiceAccountToken(model);
    }
    // Only connected models reach the feature server (not the whole namespace).
    if (this.networkPolicy) {
      this.serverIngress.push({
        from: [{
          ...(!sameNamespace && model.namespace ? { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': model.namespace } } } : {}),
          podSelector: { matchLabels: { ...model.selectorLabels } },
        }],
        ports: [tcpPort(FEATURE_SERVER_PORT)],
      });
    }
  }

  // -------------------------------------------------------------------------

  private get redisHost(): string {
    return clusterLocalHost(`${this.name}-redis`, this.namespace);
  }

  private jobLabels(component: string): Record<string, string> {
    return { ...this.labels, [COMPONENT]: component };
  }

  /** A ServiceAccount carrying the AWS identity of the server or the jobs (see {@link FeatureStore.identityAnnotations}). */
  private serviceAccount(id: string, name: string, r: ResolvedProps, role: 'server' | 'jobs', automountToken: boolean): kplus.ServiceAccount {
    return new kplus.ServiceAccount(this, id, { metadata: { name, labels: this.labels, annotations: this.identityAnnotations(r, role) }, automountToken });
  }

  /**
   * The AWS identity of the server or the jobs: the IRSA role of `aws`, else
   * `awsIdentity` (`jobsAwsIdentity`); a store that calls AWS without one
   * fails naming the property.
   */
  private identityAnnotations(r: ResolvedProps, role: 'server' | 'jobs'): Record<string, string> {
    const roleArn = role === 'server' ? r.aws?.serverRoleArn : r.aws?.materializationRoleArn ?? r.aws?.serverRoleArn;
    const identity = roleArn ? AwsIdentity.irsa(roleArn) : role === 'server' ? r.awsIdentity : r.jobsAwsIdentity ?? r.awsIdentity;
    const offline = r.offlineStore._baseUri;
    const reads = [
      ...(r.registry.path.startsWith('s3://') ? [`${r.registry.path} (registry)`] : []),
      ...(r.onlineStore.kind === OnlineStoreKind.DYNAMODB ? ['DynamoDB (online store)'] : []),
      ...(role === 'jobs' && offline?.startsWith('s3://') ? [`${offline} (offline store)`] : []),
      ...(role === 'jobs' && offline === undefined ? [`${r.offlineStore.kind} (offline store)`] : []),
    ];
    const property = role === 'jobs' && r.jobsAwsIdentity ? 'jobsAwsIdentity' : 'awsIdentity';
    return awsIdentityAnnotations(new PropsValidator(this), { property, reads }, identity);
  }

  private renderRedis(options: InClusterRedisOptions) {
    const name = `${this.name}-redis`;
    const selector = { 'app.kubernetes.io/name': this.name, 'app.kubernetes.io/instance': this.name, [COMPONENT]: 'online-store' };
    const labels = { ...this.labels, [COMPONENT]: 'online-store' };
    const statefulSet = new kplus.k8s.KubeStatefulSet(this, 'RedisStatefulSet', {
      metadata: { name, labels },
      spec: {
        serviceName: name,
        replicas: 1,
        selector: { matchLabels: selector },
        template: {
          metadata: { labels },
          spec: {
            automountServiceAccountToken: false,
            securityContext: {
              runAsNonRoot: true, runAsUser: REDIS_UID, runAsGroup: REDIS_UID, fsGroup: REDIS_UID,
              fsGroupChangePolicy: 'OnRootMismatch', seccompProfile: { type: 'RuntimeDefault' },
            },
            containers: [redisContainer(options)],
          },
        },
        volumeClaimTemplates: [{
          metadata: { name: 'data', labels },
          spec: {
            accessModes: ['ReadWriteOnce'],
            ...(options.storageClassName ? { storageClassName: options.storageClassName } : {}),
            resources: { requests: { storage: kplus.k8s.Quantity.fromString(`${(options.storage ?? Size.gibibytes(1)).toMebibytes()}Mi`) } },
          },
        }],
      },
    });
    const service = new kplus.k8s.KubeService(this, 'RedisService', {
      metadata: { name, labels },
      spec: { clusterIp: 'None', selector, ports: [{ name: 'redis', port: 6379, targetPort: kplus.k8s.IntOrString.fromNumber(6379) }] },
    });
    const clients = this.mode === FeatureStoreMode.OPERATOR
      ? [{ podSelector: { matchLabels: { 'feast.dev/name': this.name } } }]
      : [{
        podSelector: {
          matchLabels: { 'app.kubernetes.io/name': this.name },
          matchExpressions: [{ key: COMPONENT, operator: 'In', values: ['feature-server', 'feature-apply', 'feature-materialization'] }],
        },
      }];
    const networkPolicy = new kplus.k8s.KubeNetworkPolicy(this, 'RedisNetworkPolicy', {
      metadata: { name, labels },
      spec: {
        podSelector: { matchLabels: selector },
        policyTypes: ['Ingress', 'Egress'],
        ingress: [{ from: clients, ports: [tcpPort(6379)] }],
        egress: [],
      },
    });
    return { statefulSet, service, networkPolicy };
  }

  private passwordExternalSecret(password: EnvSource, store: SecretStoreRef | undefined, template?: Record<string, string>): ExternalSecret {
    return renderExternalSecret(this, 'ExternalSecret', {
      name: `${this.name}-online-store`, labels: this.labels, entries: [{ secretKey: 'password', source: password }], store, template,
    });
  }

  private parameterSecret(id: string, name: string, key: string, parameters: Record<string, unknown>): kplus.k8s.KubeSecret {
    return new kplus.k8s.KubeSecret(this, id, {
      metadata: { name, labels: this.labels, annotations: { [`${ANNOTATION_PREFIX}/contents`]: 'store parameters in the Feast operator format; no credentials' } },
      type: 'Opaque',
      stringData: { [key]: renderYaml(parameters) },
    });
  }

  // ---- plain Kubernetes mode ------------------------------------------------

  private renderPlain(r: ResolvedProps): PlainObjects {
    const configMap = new kplus.ConfigMap(this, 'Config', {
      metadata: { name: `${this.name}-config`, labels: this.labels },
      data: { 'feature_store.yaml': this.featureStoreYaml },
    });
    const repositoryConfigMap = new kplus.ConfigMap(this, 'Repository', {
      metadata: { name: `${this.name}-repo`, labels: this.labels },
      data: { [FEATURE_REPOSITORY_FILE]: this.repositoryPython },
    });
    // With auth, the server reviews callers' tokens with its own (Feast's load_incluster_config reads the mounted token).
    const serverServiceAccount = this.serviceAccount('ServerServiceAccount', this.name, r, 'server', this.clientNamespaces !== undefined);
    if (this.clientNamespaces) {
      this.renderTokenReviewAccess(serverServiceAccount);
    }
    const jobServiceAccount = this.serviceAccount('JobServiceAccount', `${this.name}-materialize`, r, 'jobs', false);
    const pods: PodContext = {
      env: {
        FEAST_USAGE: kplus.EnvValue.fromValue('False'),
        HOME: kplus.EnvValue.fromValue('/tmp'),
        PYTHONDONTWRITEBYTECODE: kplus.EnvValue.fromValue('1'),
        PYTHONUNBUFFERED: kplus.EnvValue.fromValue('1'),
        ...(r.region ? { AWS_DEFAULT_REGION: kplus.EnvValue.fromValue(r.region), AWS_REGION: kplus.EnvValue.fromValue(r.region) } : {}),
      },
      configVolume: kplus.Volume.fromConfigMap(this, 'ConfigVolume', configMap, { name: 'config' }),
      repositoryVolume: kplus.Volume.fromConfigMap(this, 'RepositoryVolume', repositoryConfigMap, { name: 'repository' }),
      annotations: { [`${ANNOTATION_PREFIX}/config-sha256`]: sha256(this.featureStoreYaml) },
    };
    const server = this.renderServer(r, pods, serverServiceAccount);
    const applyJob = this.renderApplyJob(r, pods, jobServiceAccount);
    const cronJob = this.renderMaterializationCronJob(r, pods, jobServiceAccount);
    return { configMap, repositoryConfigMap, serverServiceAccount, jobServiceAccount, ...server, applyJob, cronJob, ...this.renderNetworkPolicies(r) };
  }

  /** Adds what every Feast container shares: the Redis password, `feature_store.yaml` (and the repository file) and a writable `/tmp`. */
  private configureFeastContainer(r: ResolvedProps, pods: PodContext, container: kplus.Container, idPrefix: string, withRepository = false): void {
    if (r.redisPassword) {
      container.env.addVariable(REDIS_PASSWORD_ENV,
        r.redisPassword._toEnvValue(this, `${idPrefix}PasswordSecret`, { secretName: `${this.name}-online-store`, key: 'password' }));
    }
    // subPath mounts: Feast resolves the repository's .py files to real paths, and the
    // `..data` symlinks of a whole-ConfigMap mount would give it an unimportable module name.
    container.mount(`${FEATURE_REPO_DIR}/feature_store.yaml`, pods.configVolume, { subPath: 'feature_store.yaml', readOnly: true });
    if (withRepository) {
      container.mount(`${FEATURE_REPO_DIR}/${FEATURE_REPOSITORY_FILE}`, pods.repositoryVolume, { subPath: FEATURE_REPOSITORY_FILE, readOnly: true });
    }
    container.mount('/tmp', kplus.Volume.fromEmptyDir(this, `${idPrefix}Tmp`, 'tmp', { sizeLimit: Size.gibibytes(1) }));
  }

  /**
   * What the authenticated server needs and nothing more: `create` on `tokenreviews` (cluster-scoped, so a
   * ClusterRole named after the namespace and store). It reads no RBAC objects and no Secrets.
   */
  private renderTokenReviewAccess(serviceAccount: kplus.ServiceAccount): void {
    const name = `${this.namespace ?? 'default'}-${this.name}-feast-tokenreview`;
    const role = new kplus.k8s.KubeClusterRole(this, 'TokenReviewClusterRole', {
      metadata: { name, labels: this.labels },
      rules: [{ apiGroups: ['authentication.k8s.io'], resources: ['tokenreviews'], verbs: ['create'] }],
    });
    const binding = new kplus.k8s.KubeClusterRoleBinding(this, 'TokenReviewClusterRoleBinding', {
      metadata: { name, labels: this.labels },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name },
      subjects: [{ kind: 'ServiceAccount', name: serviceAccount.name, namespace: this.namespace ?? 'default' }],
    });
    clusterScoped(role, binding);
  }

  private renderServer(r: ResolvedProps, pods: PodContext, serviceAccount: kplus.ServiceAccount) {
    const serverLabels = { ...this.labels, ...this.serverSelectorLabels };
    const deployment = new kplus.Deployment(this, 'Deployment', {
      metadata: { name: this.name, labels: serverLabels },
      podMetadata: { labels: serverLabels, annotations: pods.annotations },
      select: false,
      replicas: this.minReplicas === this.maxReplicas ? this.minReplicas : undefined,
      serviceAccount,
      automountServiceAccountToken: this.clientNamespaces !== undefined,
      securityContext: restrictedPodSecurity(this.runAsUser),
      terminationGracePeriod: Duration.seconds(30),
      strategy: kplus.DeploymentStrategy.rollingUpdate({ maxSurge: kplus.PercentOrAbsolute.percent(25), maxUnavailable: kplus.PercentOrAbsolute.absolute(0) }),
    });
    deployment.select(kplus.LabelSelector.of({ labels: this.serverSelectorLabels }));
    const health = (period: number, failureThreshold: number) => kplus.Probe.fromHttpGet('/health', {
      port: FEATURE_SERVER_PORT, periodSeconds: Duration.seconds(period), timeoutSeconds: Duration.seconds(2),
      failureThreshold, initialDelaySeconds: Duration.seconds(0),
    });
    const container = deployment.addContainer({
      name: 'feature-server',
      image: this.image,
      imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
      command: ['feast', 'serve', '--host', '0.0.0.0', '--port', String(FEATURE_SERVER_PORT), '--metrics',
        '--workers', String(r.server.workers), '--registry_ttl_sec', String(r.registryTtl)],
      workingDir: FEATURE_REPO_DIR,
      ports: [{ name: 'http', number: FEATURE_SERVER_PORT }, { name: 'metrics', number: FEATURE_SERVER_METRICS_PORT }],
      envVariables: pods.env,
      resources: r.server.resources,
      // /health answers 503 until the registry is loaded from S3: startup and readiness wait for it.
      startup: health(5, 60),
      readiness: health(5, 3),
      liveness: health(10, 3),
      securityContext: restrictedContainerSecurity(this.runAsUser),
    });
    this.configureFeastContainer(r, pods, container, 'Server');
    addPodSeccomp(ApiObject.of(deployment), '/spec/template/spec');
    this.addZoneSpread(deployment);
    const service = new kplus.Service(this, 'Service', {
      metadata: { name: this.name, labels: serverLabels },
      type: kplus.ServiceType.CLUSTER_IP,
      ports: [{ name: 'http', port: 80, targetPort: FEATURE_SERVER_PORT }, { name: 'metrics', port: FEATURE_SERVER_METRICS_PORT, targetPort: FEATURE_SERVER_METRICS_PORT }],
    });
    for (const [key, value] of Object.entries(this.serverSelectorLabels)) {
      service.selectLabel(key, value);
    }
    return { deployment, container, service, ...this.renderServerAvailability(r, deployment, serverLabels) };
  }

  /**
   * Spreads several replicas over zones. cdk8s-plus has no API for
   * `topologySpreadConstraints` (its `scheduling.spread` renders pod
   * anti-affinity), so this stays a JSON patch.
   */
  private addZoneSpread(deployment: kplus.Deployment): void {
    if (this.minReplicas <= 1 || this.preset.topologySpread === TopologySpreadMode.NONE) return;
    ApiObject.of(deployment).addJsonPatch(JsonPatch.add('/spec/template/spec/topologySpreadConstraints', [{
      maxSkew: 1,
      topologyKey: 'topology.kubernetes.io/zone',
      whenUnsatisfiable: this.preset.topologySpread === TopologySpreadMode.STRICT ? 'DoNotSchedule' : 'ScheduleAnyway',
      labelSelector: { matchLabels: { ...this.serverSelectorLabels } },
      matchLabelKeys: ['pod-template-hash'],
    }]));
  }

  private renderServerAvailability(r: ResolvedProps, deployment: kplus.Deployment, labels: Record<string, string>) {
    const autoscaler = this.maxReplicas > this.minReplicas ? new kplus.HorizontalPodAutoscaler(this, 'Autoscaler', {
      metadata: { name: this.name, labels },
      target: deployment,
      minReplicas: this.minReplicas,
      maxReplicas: this.maxReplicas,
      metrics: [kplus.Metric.resourceCpu(kplus.MetricTarget.averageUtilization(r.server.cpuTarget))],
      scaleDown: { stabilizationWindow: Duration.minutes(5) },
    }) : undefined;
    // Wherever more than one replica can run (the autoscaler's maximum): maxUnavailable 1 never blocks a drain of a single replica.
    const podDisruptionBudget = this.maxReplicas > 1 ? new kplus.k8s.KubePodDisruptionBudget(this, 'DisruptionBudget', {
      metadata: { name: this.name, labels },
      spec: {
        maxUnavailable: kplus.k8s.IntOrString.fromNumber(1),
        selector: { matchLabels: { ...this.serverSelectorLabels } },
        unhealthyPodEvictionPolicy: 'AlwaysAllow',
      },
    }) : undefined;
    return { autoscaler, podDisruptionBudget };
  }

  /** The `feast apply` Job, named after a hash of what it applies (Jobs are immutable). */
  private renderApplyJob(r: ResolvedProps, pods: PodContext, serviceAccount: kplus.ServiceAccount): kplus.Job {
    const labels = this.jobLabels('feature-apply');
    const digest = sha256(`${this.featureStoreYaml}\n${this.repositoryPython}\n${this.image}`).slice(0, 10);
    const job = new kplus.Job(this, 'ApplyJob', {
      metadata: { name: `${this.name}-apply-${digest}`, labels },
      podMetadata: { labels },
      select: false,
      serviceAccount,
      automountServiceAccountToken: false,
      securityContext: restrictedPodSecurity(this.runAsUser),
      restartPolicy: kplus.RestartPolicy.NEVER,
      backoffLimit: 4,
      activeDeadline: Duration.minutes(30),
    });
    const container = job.addContainer({
      name: 'feast-apply',
      image: this.image,
      imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
      command: ['feast', 'apply'],
      workingDir: FEATURE_REPO_DIR,
      envVariables: pods.env,
      resources: r.materialization.resources,
      securityContext: restrictedContainerSecurity(this.runAsUser),
    });
    this.configureFeastContainer(r, pods, container, 'Apply', true);
    addPodSeccomp(ApiObject.of(job), '/spec/template/spec');
    return job;
  }

  private renderMaterializationCronJob(r: ResolvedProps, pods: PodContext, serviceAccount: kplus.ServiceAccount): kplus.CronJob {
    const m = r.materialization;
    const labels = this.jobLabels('feature-materialization');
    const cronJob = new kplus.CronJob(this, 'MaterializationCronJob', {
      metadata: { name: `${this.name}-materialize`, labels },
      podMetadata: { labels, annotations: pods.annotations },
      select: false,
      schedule: m.schedule,
      timeZone: m.timeZone,
      concurrencyPolicy: kplus.ConcurrencyPolicy.FORBID,
      startingDeadline: Duration.minutes(startingDeadlineMinutes(m.intervalMinutes)),
      successfulJobsRetained: 3,
      failedJobsRetained: 3,
      backoffLimit: m.backoffLimit,
      activeDeadline: Duration.seconds(m.activeDeadline),
      serviceAccount,
      automountServiceAccountToken: false,
      restartPolicy: kplus.RestartPolicy.NEVER,
      securityContext: restrictedPodSecurity(this.runAsUser),
    });
    const container = cronJob.addContainer({
      name: 'feast-materialize',
      image: this.image,
      imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
      // The end timestamp is the time the run starts, in UTC (Feast treats naive timestamps as UTC).
      command: ['/bin/sh', '-c', `exec feast materialize-incremental "$(date -u +%Y-%m-%dT%H:%M:%S)"${m.viewArgs}`],
      workingDir: FEATURE_REPO_DIR,
      envVariables: pods.env,
      resources: m.resources,
      securityContext: restrictedContainerSecurity(this.runAsUser),
    });
    this.configureFeastContainer(r, pods, container, 'Materialize');
    addPodSeccomp(ApiObject.of(cronJob), '/spec/jobTemplate/spec/template/spec');
    return cronJob;
  }

  private renderNetworkPolicies(r: ResolvedProps) {
    const egress: kplus.k8s.NetworkPolicyEgressRule[] = [
      dnsEgressRule(),
      ...this.onlineStoreEgress(),
      // The registry (S3), STS (IRSA), DynamoDB, Redshift Data and Athena APIs over HTTPS: `network.awsCidrs`, else any address.
      r.awsEgress,
    ];
    const jobsSelector = {
      matchLabels: { 'app.kubernetes.io/name': this.name, 'app.kubernetes.io/instance': this.name },
      matchExpressions: [{ key: COMPONENT, operator: 'In', values: ['feature-apply', 'feature-materialization'] }],
    };
    this.serverIngress.push(
      // The store's own jobs, and the models connect() adds; `allowFrom` only when given (an empty `from` would admit everyone).
      { from: [{ podSelector: jobsSelector }, ...r.allowFrom], ports: [tcpPort(FEATURE_SERVER_PORT)] },
      { from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': r.monitoring.namespace } }, podSelector: {} }], ports: [tcpPort(FEATURE_SERVER_METRICS_PORT)] },
    );
    // `serverIngress` is held by reference: rules that connect() adds later are rendered too.
    const networkPolicy = new kplus.k8s.KubeNetworkPolicy(this, 'NetworkPolicy', {
      metadata: { name: this.name, labels: { ...this.labels, ...this.serverSelectorLabels } },
      spec: {
        podSelector: { matchLabels: { ...this.serverSelectorLabels } },
        policyTypes: ['Ingress', 'Egress'],
        ingress: this.serverIngress,
        // With auth, the server also calls the API server: one TokenReview per request.
        egress: this.clientNamespaces ? [...egress, r.apiServerEgress] : egress,
      },
    });
    const jobsNetworkPolicy = new kplus.k8s.KubeNetworkPolicy(this, 'JobsNetworkPolicy', {
      metadata: { name: `${this.name}-jobs`, labels: this.labels },
      spec: {
        podSelector: jobsSelector,
        policyTypes: ['Ingress', 'Egress'],
        ingress: [],
        egress,
      },
    });
    return { networkPolicy, jobsNetworkPolicy };
  }

  private onlineStoreEgress(): kplus.k8s.NetworkPolicyEgressRule[] {
    const s = this.onlineStore.spec;
    switch (s.kind) {
      case OnlineStoreKind.IN_CLUSTER_REDIS:
        return [{ to: [{ podSelector: { matchLabels: { 'app.kubernetes.io/name': this.name, 'app.kubernetes.io/instance': this.name, [COMPONENT]: 'online-store' } } }], ports: [tcpPort(6379)] }];
      case OnlineStoreKind.REDIS:
        return [{ to: [{ ipBlock: { cidr: s.options.egressCidr ?? '0.0.0.0/0' } }], ports: [tcpPort(s.options.port ?? 6379)] }];
      case OnlineStoreKind.DYNAMODB:
        return [];
    }
  }

  // ---- operator mode --------------------------------------------------------

  /** The store parameters the operator reads from Secrets (no credentials, except through an ExternalSecret template). */
  private renderOperatorSecrets(r: ResolvedProps, onlineParameters: Record<string, string | number | boolean>) {
    const parameterSecrets: kplus.k8s.KubeSecret[] = [];
    let externalSecret: ExternalSecret | undefined;
    const key = String(onlineParameters.type);
    const body = withoutType(onlineParameters);
    if (r.redisPassword) {
      // The operator wants the whole connection string under key 'redis'; only the
      // ExternalSecret's template ever sees the password.
      const templated = { ...body, connection_string: String(body.connection_string).replace(`\${${REDIS_PASSWORD_ENV}}`, '{{ .password }}') };
      externalSecret = this.passwordExternalSecret(r.redisPassword, r.secretStore, { [key]: renderYaml(templated) });
    } else {
      parameterSecrets.push(this.parameterSecret('OnlineStoreSecret', `${this.name}-online-store`, key, body));
    }
    let offlineSecretName: string | undefined;
    if (this.offlineStore.kind !== 'file') {
      offlineSecretName = `${this.name}-offline-store`;
      parameterSecrets.push(this.parameterSecret('OfflineStoreSecret', offlineSecretName, this.offlineStore.kind, withoutType(this.offlineStore._toFeastConfig())));
    }
    return { externalSecret, parameterSecrets, offlineSecretName };
  }

  private renderOperator(r: ResolvedProps, projectDir: FeastProjectDir, offlineSecretName: string | undefined): FeastFeatureStoreResource {
    const spec: FeatureStoreSpec = {
      feastProject: this.project,
      feastProjectDir: projectDir._toOperatorSpec(this.image),
      ...(this.maxReplicas > this.minReplicas ? {} : { replicas: this.minReplicas }),
      services: this.operatorServices(r, offlineSecretName),
      cronJob: this.operatorCronJob(r),
    };
    return new FeastFeatureStoreResource(this, 'Resource', { metadata: { name: this.name, labels: this.labels }, spec });
  }

  private operatorServices(r: ResolvedProps, offlineSecretName: string | undefined): FeatureStoreSpecServices {
    const limits = resourceStrings(r.server.resources, 'limit');
    const requests = resourceStrings(r.server.resources, 'request');
    return {
      onlineStore: {
        persistence: {
          store: {
            type: this.onlineStore.kind === OnlineStoreKind.DYNAMODB
              ? FeatureStoreSpecServicesOnlineStorePersistenceStoreType.DYNAMODB
              : FeatureStoreSpecServicesOnlineStorePersistenceStoreType.REDIS,
            secretRef: { name: `${this.name}-online-store` },
          },
        },
        server: {
          image: this.image,
          metrics: true,
          logLevel: FeatureStoreSpecServicesOnlineStoreServerLogLevel.INFO,
          workerConfigs: { workers: r.server.workers, registryTtlSeconds: r.registryTtl },
          resources: {
            limits: {
              cpu: FeatureStoreSpecServicesOnlineStoreServerResourcesLimits.fromString(limits.cpu),
              memory: FeatureStoreSpecServicesOnlineStoreServerResourcesLimits.fromString(limits.memory),
            },
            requests: {
              cpu: FeatureStoreSpecServicesOnlineStoreServerResourcesRequests.fromString(requests.cpu),
              memory: FeatureStoreSpecServicesOnlineStoreServerResourcesRequests.fromString(requests.memory),
            },
          },
          ...(r.region ? { env: [{ name: 'AWS_DEFAULT_REGION', value: r.region }, { name: 'AWS_REGION', value: r.region }] } : {}),
        },
      },
      ...(offlineSecretName ? {
        offlineStore: {
          persistence: {
            store: {
              type: this.offlineStore.kind === 'redshift' ? FeatureStoreSpecServicesOfflineStorePersistenceStoreType.REDSHIFT : FeatureStoreSpecServicesOfflineStorePersistenceStoreType.ATHENA,
              secretRef: { name: offlineSecretName },
            },
          },
        },
      } : {}),
      registry: { local: { persistence: { file: { path: this.registry.path, cacheTtlSeconds: r.registryTtl } } } },
      runFeastApplyOnInit: true,
      ...(this.maxReplicas > this.minReplicas ? {
        scaling: {
          autoscaling: {
            minReplicas: this.minReplicas,
            maxReplicas: this.maxReplicas,
            metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: r.server.cpuTarget } } }],
          },
        },
      } : {}),
      ...(this.minReplicas > 1 && this.preset.podDisruptionBudget
        ? { podDisruptionBudgets: { maxUnavailable: FeatureStoreSpecServicesPodDisruptionBudgetsMaxUnavailable.fromNumber(1) } }
        : {}),
      securityContext: {
        runAsNonRoot: true,
        runAsUser: this.runAsUser,
        runAsGroup: this.runAsUser,
        fsGroup: this.runAsUser,
        seccompProfile: { type: 'RuntimeDefault' },
      },
    };
  }

  private operatorCronJob(r: ResolvedProps): FeatureStoreSpecCronJob {
    const m = r.materialization;
    const limits = resourceStrings(m.resources, 'limit');
    const requests = resourceStrings(m.resources, 'request');
    return {
      schedule: m.expression,
      timeZone: m.timeZone,
      concurrencyPolicy: 'Forbid',
      startingDeadlineSeconds: 60 * startingDeadlineMinutes(m.intervalMinutes),
      successfulJobsHistoryLimit: 3,
      failedJobsHistoryLimit: 3,
      jobSpec: { backoffLimit: m.backoffLimit, activeDeadlineSeconds: m.activeDeadline },
      containerConfigs: {
        // The operator's CronJob runs each command with `bash -c` inside the feature server pod.
        commands: [`feast materialize-incremental $(date -u +'%Y-%m-%dT%H:%M:%S')${m.viewArgs}`],
        resources: {
          limits: {
            cpu: FeatureStoreSpecCronJobContainerConfigsResourcesLimits.fromString(limits.cpu),
            memory: FeatureStoreSpecCronJobContainerConfigsResourcesLimits.fromString(limits.memory),
          },
          requests: {
            cpu: FeatureStoreSpecCronJobContainerConfigsResourcesRequests.fromString(requests.cpu),
            memory: FeatureStoreSpecCronJobContainerConfigsResourcesRequests.fromString(requests.memory),
          },
        },
      },
    };
  }

  // ---- monitoring -----------------------------------------------------------

  private renderMonitoring(m: ResolvedMonitoring) {
    const labels = { ...this.labels, ...m.selectorLabels };
    const serviceMonitor = new ServiceMonitor(this, 'ServiceMonitor', {
      metadata: { name: this.name, labels },
      spec: {
        selector: {
          matchLabels: this.mode === FeatureStoreMode.OPERATOR
            ? { 'feast.dev/name': this.name, 'feast.dev/service-type': 'online' }
            : { ...this.serverSelectorLabels },
        },
        endpoints: [{ port: 'metrics', path: '/metrics', interval: promDuration(m.scrapeInterval) }],
      },
    });
    const prometheusRule = renderAlertRule(this, 'PrometheusRule', {
      name: this.name, labels, alertLabels: { feature_store: this.name }, alerts: this.alerts,
    });
    return { serviceMonitor, prometheusRule };
  }

  private defineAlerts(r: ResolvedProps): AlertDefinition[] {
    const staleAfter = r.materialization.staleAfter;
    const errorRate = r.monitoring.errorRate;
    const scope: Record<string, string> = {};
    if (this.namespace) scope.namespace = this.namespace;
    const cron = promSelector({ ...scope, cronjob: this.materializationCronJobName });
    const requests = promSelector({ ...scope, service: this.serviceName });
    const errors = promSelector({ ...scope, service: this.serviceName }, ['status=~"error|5.."']);
    const threshold = staleAfter * this.materializationIntervalMinutes * 60;
    const human = promDuration(Duration.seconds(threshold));
    const links = platformAlertLinks(this, r.monitoring.runbookBaseUrl);
    const alert = (name: string, rest: Omit<AlertDefinition, 'name' | 'runbookUrl'>): AlertDefinition =>
      ({ name, ...rest, runbookUrl: runbookUrl(links.runbookBaseUrl, this.namespace, this.name, name), dashboardUrl: links.dashboardUrl(name) });
    return [
      alert('FeatureMaterializationStale', {
        // A CronJob that never succeeded has no last-success series: measure from its creation then.
        expr: `((time() - max(kube_cronjob_status_last_successful_time${cron})) > ${threshold})`
          + ` or ((time() - max(kube_cronjob_created${cron})) > ${threshold} unless max(kube_cronjob_status_last_successful_time${cron}))`,
        for: '5m',
        severity: AlertSeverity.CRITICAL,
        summary: `${this.name}: online features are stale (no successful materialization for ${human})`,
        description: `CronJob ${this.materializationCronJobName} ('${this.materializationSchedule}') has not completed successfully for ${staleAfter} times its longest interval (${human}); models read stale features.`,
      }),
      alert('FeatureServerHighErrorRate', {
        expr: `(sum(rate(feast_feature_server_request_total${errors}[5m])) / sum(rate(feast_feature_server_request_total${requests}[5m]))) > ${errorRate}`,
        for: '5m',
        severity: AlertSeverity.CRITICAL,
        summary: `${this.name}: more than ${errorRate * 100}% of feature server requests fail`,
        description: `The share of failing requests of feature server ${this.serviceName} has been above ${errorRate * 100}% for 5 minutes (online store or registry unreachable?).`,
      }),
    ];
  }
}

function redisContainer(options: InClusterRedisOptions): kplus.k8s.Container {
  const resources = options.resources ?? DEFAULT_REDIS_RESOURCES;
  const q = (s: string) => kplus.k8s.Quantity.fromString(s);
  const tcp = (port: number) => ({ tcpSocket: { port: kplus.k8s.IntOrString.fromNumber(port) } });
  return {
    name: 'redis',
    image: options.image ?? REDIS_IMAGE,
    imagePullPolicy: 'IfNotPresent',
    // No password: only the feature store's pods may connect (see the NetworkPolicy).
    args: ['redis-server', '--appendonly', 'yes', '--dir', '/data', '--protected-mode', 'no'],
    ports: [{ name: 'redis', containerPort: 6379 }],
    resources: {
      requests: { cpu: q(resources.cpu.request.amount), memory: q(`${memoryMebibytes(resources.memory.request)}Mi`) },
      limits: { cpu: q(resources.cpu.limit.amount), memory: q(`${memoryMebibytes(resources.memory.limit)}Mi`) },
    },
    readinessProbe: { ...tcp(6379), periodSeconds: 5, failureThreshold: 3 },
    livenessProbe: { ...tcp(6379), initialDelaySeconds: 15, periodSeconds: 10, failureThreshold: 3 },
    securityContext: {
      runAsNonRoot: true, runAsUser: REDIS_UID, runAsGroup: REDIS_UID, allowPrivilegeEscalation: false, privileged: false,
      readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] }, seccompProfile: { type: 'RuntimeDefault' },
    },
    volumeMounts: [{ name: 'data', mountPath: '/data' }],
  };
}

/** How late a missed materialization may still start: half the longest interval, 1 to 60 minutes. */
function startingDeadlineMinutes(intervalMinutes: number): number {
  return Math.min(60, Math.max(1, Math.floor(intervalMinutes / 2)));
}

/** Requests or limits as the operator's quantity strings. */
function resourceStrings(r: ComputeResources, part: 'request' | 'limit'): { cpu: string; memory: string } {
  return { cpu: r.cpu[part].amount, memory: `${memoryMebibytes(r.memory[part])}Mi` };
}

function withoutType(parameters: Readonly<Record<string, unknown>>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(parameters).filter(([key]) => key !== 'type'));
}

/** YAML text with cdk8s's writer (the one the manifests are written with). */
function renderYaml(value: unknown): string {
  return Yaml.stringify(value);
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

const TOKEN_MOUNTED = new WeakSet<ModelService>();

/**
 * Gives a model's pods a token of their own ServiceAccount at the path the Feast client reads
 * ({@link FEATURE_SERVER_TOKEN_DIR}`/token`), for the `Authorization: Bearer` header of their feature server
 * requests: a projected token (audience the API server, which the server's TokenReview checks; rotated by the
 * kubelet every hour) while the ServiceAccount itself keeps `automountServiceAccountToken: false`. The model's
 * ServiceAccount has no RBAC rules, so the token grants nothing beyond being that ServiceAccount.
 * @see https://kubernetes.io/docs/concepts/storage/projected-volumes/#serviceaccounttoken
 */
export function mountServiceAccountToken(model: ModelService): void {
  if (TOKEN_MOUNTED.has(model)) return;
  TOKEN_MOUNTED.add(model);
  const index = model.deployment.containers.indexOf(model.container);
  ApiObject.of(model.deployment).addJsonPatch(
    JsonPatch.add('/spec/template/spec/volumes/-', {
      name: 'feature-server-token',
      projected: { sources: [{ serviceAccountToken: { path: 'token', expirationSeconds: 3600 } }] },
    }),
    JsonPatch.add(`/spec/template/spec/containers/${index}/volumeMounts/-`, { name: 'feature-server-token', mountPath: FEATURE_SERVER_TOKEN_DIR, readOnly: true }),
  );
}
