import { createHash } from 'node:crypto';
import { ApiObject, Chart, Cron, Duration, JsonPatch, Size, Yaml } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { ExternalSecret } from '../../imports/externalsecret-external-secrets.io';
import {
  FeatureStore as FeastFeatureStoreResource,
  FeatureStoreSpec,
  FeatureStoreSpecCronJobContainerConfigsResourcesLimits,
  FeatureStoreSpecCronJobContainerConfigsResourcesRequests,
  FeatureStoreSpecServicesOfflineStorePersistenceStoreType,
  FeatureStoreSpecServicesOnlineStorePersistenceStoreType,
  FeatureStoreSpecServicesOnlineStoreServerLogLevel,
  FeatureStoreSpecServicesOnlineStoreServerResourcesLimits,
  FeatureStoreSpecServicesOnlineStoreServerResourcesRequests,
  FeatureStoreSpecServicesPodDisruptionBudgetsMaxUnavailable,
} from '../../imports/featurestore-feast.dev';
import { PrometheusRule } from '../../imports/prometheusrule-monitoring.coreos.com';
import { renderAlertRule } from '../monitoring/alert-rule';
import { ServiceMonitor } from '../../imports/servicemonitor-monitoring.coreos.com';
import { EnvSource, SecretStoreRef, renderExternalSecret, resolveEnv } from '../kube/env';
import { PropsValidator } from '../core/errors';
import { validatePinnedImage } from '../kube/image';
import { validateTimeZone } from '../core/time';
import { ANNOTATION_PREFIX, MANAGED_BY } from '../core/labels';
import { AlertDefinition, AlertSeverity, promDuration, promSelector, runbookUrl } from '../monitoring/monitoring';
import { IRunbookSource, Runbook, sh } from '../monitoring/runbooks';
import { addPodSeccomp, restrictedContainerSecurity, restrictedPodSecurity } from '../kube/pod-security';
import { CostPreset, CostPresetSettings, TopologySpreadMode } from '../policy/presets';
import { ComputeResources, memoryMebibytes, validateComputeResources } from '../core/resources';
import { FeatureDefinitions, onlineFeatureViews, validateFeatureDefinitions } from './definitions';
import { FEATURE_REPOSITORY_FILE, renderFeatureRepository } from './python';
import { longestCronGapMinutes } from './schedule';
import {
  DynamoDbOnlineStoreOptions, FeatureStoreAwsBinding, FeatureStoreMode, FileOfflineStoreOptions, InClusterRedisOptions, OfflineStore, OnlineStore, OnlineStoreKind,
  REDIS_IMAGE, REDIS_PASSWORD_ENV, REDIS_UID, RedisOnlineStoreOptions, RegistryOptions,
  offlineStoreParameters, onlineStoreParameters, renderFeatureStoreConfig, validateStores,
} from './stores';
import { ModelService } from '../serving/model-service';
import { NetworkPeer, clusterLocalHost, dnsEgressRule, networkPeer, tcpPort } from '../kube/network';

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

/**
 * Where the Feast operator finds the feature repository (the operator has no
 * way to read a ConfigMap): a git repository or an image. Commit the file
 * `FeatureStore.repositoryPython` renders there, so both modes apply the
 * same typed definitions.
 */
export class FeastProjectDir {
  /** Clone a git repository (a pinned ref). */
  public static git(options: GitProjectDirOptions): FeastProjectDir {
    return new FeastProjectDir('git', options);
  }

  /** A repository baked into an image. */
  public static packaged(options: PackagedProjectDirOptions): FeastProjectDir {
    return new FeastProjectDir('packaged', options);
  }

  private constructor(
    /** The source kind. */
    public readonly kind: 'git' | 'packaged',
    /** The options. */
    public readonly options: GitProjectDirOptions | PackagedProjectDirOptions,
  ) {}
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
  /** Feast image, pinned by tag or digest. @default FEAST_IMAGE */
  readonly image?: string;
  /** Feature server sizing and scaling. @default - see {@link FeatureServerOptions} */
  readonly server?: FeatureServerOptions;
  /** Materialization schedule and job settings. @default - hourly, see {@link MaterializationOptions} */
  readonly materialization?: MaterializationOptions;
  /** Feast operator settings; required in operator mode, refused otherwise. @default - none */
  readonly operator?: FeatureStoreOperatorOptions;
  /** Sources admitted to the feature server port. @default - pods of the own namespace */
  readonly allowFrom?: readonly NetworkPeer[];
  /** Store that Secrets Manager references are read from. @default { kind: 'ClusterSecretStore', name: 'aws-secrets-manager' } */
  readonly secretStore?: SecretStoreRef;
  /** ServiceMonitor, PrometheusRule and alert thresholds. @default - enabled */
  readonly monitoring?: FeatureStoreMonitoringOptions;
  /** UID (and GID) the Feast containers run as. @default 1000 */
  readonly runAsUser?: number;
}

const DEFAULT_JOB_RESOURCES: ComputeResources = {
  cpu: { request: kplus.Cpu.millis(500), limit: kplus.Cpu.millis(2000) },
  memory: { request: Size.gibibytes(1), limit: Size.gibibytes(4) },
};
const DEFAULT_REDIS_RESOURCES: ComputeResources = {
  cpu: { request: kplus.Cpu.millis(100), limit: kplus.Cpu.millis(500) },
  memory: { request: Size.mebibytes(128), limit: Size.mebibytes(512) },
};
const COMPONENT = 'app.kubernetes.io/component';

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
  /** The PodDisruptionBudget, when more than one replica runs (plain mode). */
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

  constructor(scope: Construct, id: string, props: FeatureStoreProps) {
    super(scope, id);
    const v: PropsValidator = new PropsValidator(this);

    // ---- resolve --------------------------------------------------------
    this.name = v.dnsLabel('name', props.name ?? id, 40);
    this.namespace = Chart.of(this).namespace;
    this.project = v.matches('project', props.project ?? this.name.replace(/-/g, '_'), /^[a-z][a-z0-9_]{0,62}$/,
      'must be a Feast project name: lower-case letters, digits and underscores, starting with a letter, at most 63 characters');
    this.mode = props.mode ?? FeatureStoreMode.KUBERNETES;
    this.preset = props.preset ?? CostPreset.PRODUCTION;
    this.image = props.image ?? FEAST_IMAGE;
    this.runAsUser = v.integer('runAsUser', props.runAsUser ?? 1000, 1, 2147483647);
    const aws = props.aws;
    this.onlineStore = props.onlineStore ?? this.defaultOnlineStore(v, aws);
    this.offlineStore = props.offlineStore ?? (aws ? OfflineStore.file({ baseUri: aws.offlineBaseUri })
      : v.fail('offlineStore', undefined, "is required without 'aws': use OfflineStore.file({ baseUri: 's3://bucket/prefix/' }), OfflineStore.redshift(...) or OfflineStore.athena(...)"));
    this.registry = props.registry ?? (aws ? { path: aws.registryPath }
      : v.fail('registry', undefined, "is required without 'aws': give the registry file's s3://bucket/key"));
    const server = props.server ?? {};
    this.minReplicas = v.integer('server.minReplicas', server.minReplicas ?? this.preset.autoscaling.minReplicas, 1, 1000);
    this.maxReplicas = v.integer('server.maxReplicas', server.maxReplicas ?? this.preset.autoscaling.maxReplicas, 1, 1000);
    const materialization = props.materialization ?? {};
    this.materializationSchedule = (materialization.schedule ?? Cron.schedule({ minute: '0' })).expressionString;
    const monitoring = props.monitoring ?? {};

    // ---- validate -------------------------------------------------------
    this.features = validateFeatureDefinitions(v, 'features', props.features);
    validateStores(v, this.onlineStore, this.offlineStore, this.registry);
    validatePinnedImage(v, 'image', this.image);
    v.check(this.minReplicas <= this.maxReplicas, 'server.minReplicas', this.minReplicas, `must be <= 'server.maxReplicas' (${this.maxReplicas})`);
    const cpuTarget = v.integer('server.cpuUtilization', server.cpuUtilization ?? 70, 1, 100);
    const workers = v.integer('server.workers', server.workers ?? 1, 1, 64);
    const serverResources = validateComputeResources(v, 'server.resources', server.resources ?? this.preset.resources);
    const jobResources = validateComputeResources(v, 'materialization.resources', materialization.resources ?? DEFAULT_JOB_RESOURCES);
    this.validateSourceKinds(v);
    const interval = longestCronGapMinutes(this.materializationSchedule);
    this.materializationIntervalMinutes = interval ?? v.fail('materialization.schedule', this.materializationSchedule,
      'must be a five-field cron schedule that runs at least twice in four years');
    const timeZone = materialization.timeZone ?? 'UTC';
    validateTimeZone(v, 'materialization.timeZone', timeZone);
    const staleAfter = v.integer('materialization.staleAfterIntervals', materialization.staleAfterIntervals ?? 2, 1, 100);
    const online = onlineFeatureViews(this.features);
    v.check(online.length > 0, 'features.featureViews', this.features.featureViews.map((fv) => fv.name),
      'must include at least one online feature view (online: true): nothing would be materialized or served');
    (materialization.featureViews ?? []).forEach((fv, i) => v.check(online.includes(fv), `materialization.featureViews[${i}]`, fv,
      `names no online feature view (online feature views: ${online.join(', ')})`));
    const activeDeadline = v.integer('materialization.activeDeadline', (materialization.activeDeadline ?? Duration.hours(1)).toSeconds(), 60, 7 * 86400);
    const backoffLimit = v.integer('materialization.backoffLimit', materialization.backoffLimit ?? 2, 0, 20);
    const errorRate = v.range('monitoring.serverErrorRate', monitoring.serverErrorRate ?? 0.01, 0.0001, 0.5);
    if (this.mode === FeatureStoreMode.OPERATOR) {
      v.check(props.operator !== undefined, 'operator', undefined, "is required in operator mode: give 'operator.projectDir' (the operator reads the feature repository from git or an image)");
      validateProjectDir(v, props.operator!.projectDir);
      // The operator renders the feature server pods and has no NetworkPolicy settings.
      v.check(props.allowFrom === undefined, 'allowFrom', props.allowFrom, 'has no effect in operator mode: the operator renders no NetworkPolicy for the feature server');
      v.check(monitoring.namespace === undefined, 'monitoring.namespace', monitoring.namespace,
        'has no effect in operator mode: it only admits scrapes in the NetworkPolicy of plain Kubernetes mode');
      const password = this.onlineStore.kind === OnlineStoreKind.REDIS ? (this.onlineStore.options as RedisOnlineStoreOptions).password : undefined;
      v.check(password === undefined || password.kind === 'externalSecret', 'onlineStore.password', '<redacted>',
        "must be EnvSource.fromAwsSecretsManager in operator mode: the operator reads the whole Redis connection string from a Secret key named 'redis', which an ExternalSecret template renders");
    } else {
      v.check(props.operator === undefined, 'operator', props.operator ? 'set' : undefined, "has no effect unless 'mode' is FeatureStoreMode.OPERATOR");
    }
    const redisPassword = this.onlineStore.kind === OnlineStoreKind.REDIS ? (this.onlineStore.options as RedisOnlineStoreOptions).password : undefined;
    if (redisPassword) {
      resolveEnv(v, { [REDIS_PASSWORD_ENV]: redisPassword });
    }

    // ---- metadata -------------------------------------------------------
    this.labels = {
      'app.kubernetes.io/name': this.name,
      'app.kubernetes.io/instance': this.name,
      'app.kubernetes.io/part-of': this.name,
      'app.kubernetes.io/managed-by': MANAGED_BY,
    };
    this.serverSelectorLabels = this.mode === FeatureStoreMode.OPERATOR
      ? { 'feast.dev/name': this.name }
      : { 'app.kubernetes.io/name': this.name, 'app.kubernetes.io/instance': this.name, [COMPONENT]: 'feature-server' };

    // ---- rendered files -------------------------------------------------
    const offlineBaseUri = this.offlineStore.kind === 'file' ? (this.offlineStore.options as FileOfflineStoreOptions).baseUri : undefined;
    this.repositoryPython = renderFeatureRepository(this.features, { project: this.project, offlineBaseUri });
    const onlineParameters = onlineStoreParameters(this.onlineStore, this.redisHost);
    this.featureStoreConfig = renderFeatureStoreConfig({
      project: this.project, registry: this.registry, onlineStore: onlineParameters, offlineStore: this.offlineStore,
    });
    this.featureStoreYaml = renderYaml(this.featureStoreConfig);

    // ---- online store (in-cluster Redis) and secrets --------------------
    if (this.onlineStore.kind === OnlineStoreKind.IN_CLUSTER_REDIS) {
      const redis = this.renderRedis(this.onlineStore.options as InClusterRedisOptions);
      this.redisStatefulSet = redis.statefulSet;
      this.redisService = redis.service;
      this.redisNetworkPolicy = redis.networkPolicy;
    }
    const region = aws?.region ?? (this.onlineStore.kind === OnlineStoreKind.DYNAMODB ? (this.onlineStore.options as DynamoDbOnlineStoreOptions).region : undefined);
    const storeSecrets: kplus.k8s.KubeSecret[] = [];

    if (this.mode === FeatureStoreMode.KUBERNETES) {
      this.externalSecret = redisPassword?.kind === 'externalSecret' ? this.passwordExternalSecret(redisPassword, props.secretStore) : undefined;
      const plain = this.renderPlain({
        region, redisPassword, serverResources, jobResources, workers, cpuTarget, timeZone, activeDeadline, backoffLimit, materialization, aws,
        allowFrom: props.allowFrom, monitoring,
      });
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
    } else {
      const onlineSecret = this.operatorOnlineStoreSecret(onlineParameters, redisPassword, props.secretStore);
      if (onlineSecret.secret) storeSecrets.push(onlineSecret.secret);
      this.externalSecret = onlineSecret.externalSecret;
      let offlineSecret: string | undefined;
      if (this.offlineStore.kind !== 'file') {
        offlineSecret = `${this.name}-offline-store`;
        storeSecrets.push(this.parameterSecret('OfflineStoreSecret', offlineSecret, this.offlineStore.kind, withoutType(offlineStoreParameters(this.offlineStore))));
      }
      if (aws) {
        // The operator creates ServiceAccount feast-<name> and keeps the annotations it finds:
        // rendering it here is how its pods get the IRSA role.
        this.serverServiceAccount = new kplus.ServiceAccount(this, 'ServerServiceAccount', {
          metadata: { name: `feast-${this.name}`, labels: this.labels, annotations: { 'eks.amazonaws.com/role-arn': aws.serverRoleArn } },
          automountToken: true,
        });
      }
      this.featureStoreResource = this.renderOperator({
        projectDir: props.operator!.projectDir, region, serverResources, jobResources, workers, cpuTarget, timeZone, activeDeadline,
        backoffLimit, materialization, offlineSecret,
      });
    }
    this.storeParameterSecrets = storeSecrets;

    // ---- monitoring -----------------------------------------------------
    this.alerts = this.defineAlerts(v, monitoring, staleAfter, errorRate);
    if (monitoring.enabled ?? true) {
      const selectorLabels = monitoring.selectorLabels ?? { release: 'kube-prometheus-stack' };
      this.serviceMonitor = new ServiceMonitor(this, 'ServiceMonitor', {
        metadata: { name: this.name, labels: { ...this.labels, ...selectorLabels } },
        spec: {
          selector: {
            matchLabels: this.mode === FeatureStoreMode.OPERATOR
              ? { 'feast.dev/name': this.name, 'feast.dev/service-type': 'online' }
              : { ...this.serverSelectorLabels },
          },
          endpoints: [{ port: 'metrics', path: '/metrics', interval: promDuration(monitoring.scrapeInterval ?? Duration.seconds(30)) }],
        },
      });
      this.prometheusRule = renderAlertRule(this, 'PrometheusRule', {
        name: this.name, labels: { ...this.labels, ...selectorLabels }, alertLabels: { feature_store: this.name }, alerts: this.alerts,
      });
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

  /** Name of the materialization CronJob (the operator names its own `feast-<name>`). */
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
          `Check the online store:\n${sh(this.redisStatefulSet ? `kubectl${ns} get statefulset ${this.redisStatefulSet.name}` : 'aws elasticache describe-replication-groups  # or: aws dynamodb describe-table --table-name <table>')}`,
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
    if (!sameNamespace && this.networkPolicy && model.namespace) {
      ApiObject.of(this.networkPolicy).addJsonPatch(JsonPatch.add('/spec/ingress/-', {
        from: [{
          namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': model.namespace } },
          podSelector: { matchLabels: { ...model.selectorLabels } },
        }],
        ports: [tcpPort(FEATURE_SERVER_PORT)],
      }));
    }
  }

  // -------------------------------------------------------------------------

  private get redisHost(): string {
    return clusterLocalHost(`${this.name}-redis`, this.namespace);
  }

  private defaultOnlineStore(v: PropsValidator, aws: FeatureStoreAwsBinding | undefined): OnlineStore {
    if (aws?.redis) {
      return OnlineStore.redis({ host: aws.redis.host, port: aws.redis.port, ssl: true, password: EnvSource.fromAwsSecretsManager(aws.redis.authTokenSecretName) });
    }
    if (aws?.dynamoDb) {
      return OnlineStore.dynamoDb({ region: aws.region, tableNamePrefix: aws.dynamoDb.tableNamePrefix });
    }
    if (this.preset.name === CostPreset.DEV.name) {
      return OnlineStore.inClusterRedis();
    }
    return v.fail('onlineStore', undefined,
      `is required for the '${this.preset.name}' preset (only 'dev' defaults to an in-cluster Redis): use OnlineStore.redis (ElastiCache, see FeatureStoreAws) or OnlineStore.dynamoDb`);
  }

  /** Batch sources must be read by the configured offline store. */
  private validateSourceKinds(v: PropsValidator): void {
    this.features.featureViews.forEach((fv, i) => {
      v.check(fv.source.kind === this.offlineStore.kind, `features.featureViews[${i}].source`, fv.source.name,
        `is a ${fv.source.kind} source but the offline store is '${this.offlineStore.kind}'; every source must be read by the offline store`);
    });
  }

  private jobLabels(component: string): Record<string, string> {
    return { ...this.labels, [COMPONENT]: component };
  }

  private renderRedis(options: InClusterRedisOptions) {
    const name = `${this.name}-redis`;
    const selector = { 'app.kubernetes.io/name': this.name, 'app.kubernetes.io/instance': this.name, [COMPONENT]: 'online-store' };
    const labels = { ...this.labels, [COMPONENT]: 'online-store' };
    const resources = options.resources ?? DEFAULT_REDIS_RESOURCES;
    const q = (s: string) => kplus.k8s.Quantity.fromString(s);
    const security = {
      runAsNonRoot: true, runAsUser: REDIS_UID, runAsGroup: REDIS_UID, allowPrivilegeEscalation: false, privileged: false,
      readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] }, seccompProfile: { type: 'RuntimeDefault' },
    };
    const tcp = (port: number) => ({ tcpSocket: { port: kplus.k8s.IntOrString.fromNumber(port) } });
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
            containers: [{
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
              securityContext: security,
              volumeMounts: [{ name: 'data', mountPath: '/data' }],
            }],
          },
        },
        volumeClaimTemplates: [{
          metadata: { name: 'data', labels },
          spec: {
            accessModes: ['ReadWriteOnce'],
            ...(options.storageClassName ? { storageClassName: options.storageClassName } : {}),
            resources: { requests: { storage: q(`${(options.storage ?? Size.gibibytes(1)).toMebibytes()}Mi`) } },
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
        ingress: [{ from: clients, ports: [{ protocol: 'TCP', port: kplus.k8s.IntOrString.fromNumber(6379) }] }],
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

  private operatorOnlineStoreSecret(parameters: Record<string, string | number | boolean>, password: EnvSource | undefined, store: SecretStoreRef | undefined) {
    const name = `${this.name}-online-store`;
    const key = String(parameters.type);
    const body = withoutType(parameters);
    if (password) {
      // The operator wants the whole connection string under key 'redis'; only the
      // ExternalSecret's template ever sees the password.
      const templated = { ...body, connection_string: String(body.connection_string).replace(`\${${REDIS_PASSWORD_ENV}}`, '{{ .password }}') };
      return { externalSecret: this.passwordExternalSecret(password, store, { [key]: renderYaml(templated) }), secret: undefined };
    }
    return { externalSecret: undefined, secret: this.parameterSecret('OnlineStoreSecret', name, key, body) };
  }

  private renderPlain(o: {
    region?: string; redisPassword?: EnvSource; serverResources: ComputeResources; jobResources: ComputeResources; workers: number; cpuTarget: number;
    timeZone: string; activeDeadline: number; backoffLimit: number; materialization: MaterializationOptions; aws?: FeatureStoreAwsBinding;
    allowFrom?: readonly NetworkPeer[]; monitoring: FeatureStoreMonitoringOptions;
  }) {
    const v: PropsValidator = new PropsValidator(this);
    const configDigest = sha256(this.featureStoreYaml);
    const configMap = new kplus.ConfigMap(this, 'Config', {
      metadata: { name: `${this.name}-config`, labels: this.labels },
      data: { 'feature_store.yaml': this.featureStoreYaml },
    });
    const repositoryConfigMap = new kplus.ConfigMap(this, 'Repository', {
      metadata: { name: `${this.name}-repo`, labels: this.labels },
      data: { [FEATURE_REPOSITORY_FILE]: this.repositoryPython },
    });
    const serverServiceAccount = new kplus.ServiceAccount(this, 'ServerServiceAccount', {
      metadata: { name: this.name, labels: this.labels, annotations: o.aws ? { 'eks.amazonaws.com/role-arn': o.aws.serverRoleArn } : {} },
      automountToken: false,
    });
    const jobRole = o.aws?.materializationRoleArn ?? o.aws?.serverRoleArn;
    const jobServiceAccount = new kplus.ServiceAccount(this, 'JobServiceAccount', {
      metadata: { name: `${this.name}-materialize`, labels: this.labels, annotations: jobRole ? { 'eks.amazonaws.com/role-arn': jobRole } : {} },
      automountToken: false,
    });

    const env: Record<string, kplus.EnvValue> = {
      FEAST_USAGE: kplus.EnvValue.fromValue('False'),
      HOME: kplus.EnvValue.fromValue('/tmp'),
      PYTHONDONTWRITEBYTECODE: kplus.EnvValue.fromValue('1'),
      PYTHONUNBUFFERED: kplus.EnvValue.fromValue('1'),
      ...(o.region ? { AWS_DEFAULT_REGION: kplus.EnvValue.fromValue(o.region), AWS_REGION: kplus.EnvValue.fromValue(o.region) } : {}),
    };
    const addPassword = (container: kplus.Container, id: string) => {
      if (!o.redisPassword) return;
      container.env.addVariable(REDIS_PASSWORD_ENV, o.redisPassword._toEnvValue(this, id, { secretName: `${this.name}-online-store`, key: 'password' }));
    };
    const configVolume = kplus.Volume.fromConfigMap(this, 'ConfigVolume', configMap, { name: 'config' });
    const repositoryVolume = kplus.Volume.fromConfigMap(this, 'RepositoryVolume', repositoryConfigMap, { name: 'repository' });
    // subPath mounts: Feast resolves the repository's .py files to real paths, and the
    // `..data` symlinks of a whole-ConfigMap mount would give it an unimportable module name.
    const mountConfig = (c: kplus.Container) => c.mount(`${FEATURE_REPO_DIR}/feature_store.yaml`, configVolume, { subPath: 'feature_store.yaml', readOnly: true });
    const mountTmp = (c: kplus.Container, id: string) => c.mount('/tmp', kplus.Volume.fromEmptyDir(this, id, 'tmp', { sizeLimit: Size.gibibytes(1) }));
    const containerResources = (r: ComputeResources) => ({
      cpu: { request: r.cpu.request, limit: r.cpu.limit },
      memory: { request: r.memory.request, limit: r.memory.limit },
    });

    // ---- feature server --------------------------------------------------
    const serverLabels = { ...this.labels, ...this.serverSelectorLabels };
    const podAnnotations = { [`${ANNOTATION_PREFIX}/config-sha256`]: configDigest };
    const deployment = new kplus.Deployment(this, 'Deployment', {
      metadata: { name: this.name, labels: serverLabels },
      podMetadata: { labels: serverLabels, annotations: podAnnotations },
      select: false,
      replicas: this.minReplicas === this.maxReplicas ? this.minReplicas : undefined,
      serviceAccount: serverServiceAccount,
      automountServiceAccountToken: false,
      securityContext: restrictedPodSecurity(this.runAsUser),
      terminationGracePeriod: Duration.seconds(30),
      strategy: kplus.DeploymentStrategy.rollingUpdate({ maxSurge: kplus.PercentOrAbsolute.percent(25), maxUnavailable: kplus.PercentOrAbsolute.absolute(0) }),
    });
    deployment.select(kplus.LabelSelector.of({ labels: this.serverSelectorLabels }));
    const registryTtl = (this.registry.cacheTtl ?? Duration.seconds(60)).toSeconds();
    const health = (period: number, failureThreshold: number, initialDelay = 0) => kplus.Probe.fromHttpGet('/health', {
      port: FEATURE_SERVER_PORT, periodSeconds: Duration.seconds(period), timeoutSeconds: Duration.seconds(2),
      failureThreshold, initialDelaySeconds: Duration.seconds(initialDelay),
    });
    const container = deployment.addContainer({
      name: 'feature-server',
      image: this.image,
      imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
      command: ['feast', 'serve', '--host', '0.0.0.0', '--port', String(FEATURE_SERVER_PORT), '--metrics',
        '--workers', String(o.workers), '--registry_ttl_sec', String(registryTtl)],
      workingDir: FEATURE_REPO_DIR,
      ports: [{ name: 'http', number: FEATURE_SERVER_PORT }, { name: 'metrics', number: FEATURE_SERVER_METRICS_PORT }],
      envVariables: env,
      resources: containerResources(o.serverResources),
      // /health answers 503 until the registry is loaded from S3: startup and readiness wait for it.
      startup: health(5, 60),
      readiness: health(5, 3),
      liveness: health(10, 3),
      securityContext: restrictedContainerSecurity(this.runAsUser),
    });
    addPassword(container, 'ServerPasswordSecret');
    mountConfig(container);
    mountTmp(container, 'ServerTmp');
    const podSpec = ApiObject.of(deployment);
    addPodSeccomp(podSpec, '/spec/template/spec');
    if (this.minReplicas > 1 && this.preset.topologySpread !== TopologySpreadMode.NONE) {
      podSpec.addJsonPatch(JsonPatch.add('/spec/template/spec/topologySpreadConstraints', [{
        maxSkew: 1,
        topologyKey: 'topology.kubernetes.io/zone',
        whenUnsatisfiable: this.preset.topologySpread === TopologySpreadMode.STRICT ? 'DoNotSchedule' : 'ScheduleAnyway',
        labelSelector: { matchLabels: { ...this.serverSelectorLabels } },
        matchLabelKeys: ['pod-template-hash'],
      }]));
    }
    const service = new kplus.Service(this, 'Service', {
      metadata: { name: this.name, labels: serverLabels },
      type: kplus.ServiceType.CLUSTER_IP,
      ports: [{ name: 'http', port: 80, targetPort: FEATURE_SERVER_PORT }, { name: 'metrics', port: FEATURE_SERVER_METRICS_PORT, targetPort: FEATURE_SERVER_METRICS_PORT }],
    });
    for (const [key, value] of Object.entries(this.serverSelectorLabels)) {
      service.selectLabel(key, value);
    }
    let autoscaler: kplus.HorizontalPodAutoscaler | undefined;
    if (this.maxReplicas > this.minReplicas) {
      autoscaler = new kplus.HorizontalPodAutoscaler(this, 'Autoscaler', {
        metadata: { name: this.name, labels: serverLabels },
        target: deployment,
        minReplicas: this.minReplicas,
        maxReplicas: this.maxReplicas,
        metrics: [kplus.Metric.resourceCpu(kplus.MetricTarget.averageUtilization(o.cpuTarget))],
        scaleDown: { stabilizationWindow: Duration.minutes(5) },
      });
    }
    let podDisruptionBudget: kplus.k8s.KubePodDisruptionBudget | undefined;
    if (this.minReplicas > 1 && this.preset.podDisruptionBudget) {
      podDisruptionBudget = new kplus.k8s.KubePodDisruptionBudget(this, 'DisruptionBudget', {
        metadata: { name: this.name, labels: serverLabels },
        spec: {
          maxUnavailable: kplus.k8s.IntOrString.fromNumber(1),
          selector: { matchLabels: { ...this.serverSelectorLabels } },
          unhealthyPodEvictionPolicy: 'AlwaysAllow',
        },
      });
    }

    // ---- feast apply Job -------------------------------------------------
    const applyLabels = this.jobLabels('feature-apply');
    const applyDigest = sha256(`${this.featureStoreYaml}\n${this.repositoryPython}\n${this.image}`).slice(0, 10);
    const applyJob = new kplus.Job(this, 'ApplyJob', {
      metadata: { name: `${this.name}-apply-${applyDigest}`, labels: applyLabels },
      podMetadata: { labels: applyLabels },
      select: false,
      serviceAccount: jobServiceAccount,
      automountServiceAccountToken: false,
      securityContext: restrictedPodSecurity(this.runAsUser),
      restartPolicy: kplus.RestartPolicy.NEVER,
      backoffLimit: 4,
      activeDeadline: Duration.minutes(30),
    });
    const applyContainer = applyJob.addContainer({
      name: 'feast-apply',
      image: this.image,
      imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
      command: ['feast', 'apply'],
      workingDir: FEATURE_REPO_DIR,
      envVariables: env,
      resources: containerResources(o.jobResources),
      securityContext: restrictedContainerSecurity(this.runAsUser),
    });
    addPassword(applyContainer, 'ApplyPasswordSecret');
    mountConfig(applyContainer);
    applyContainer.mount(`${FEATURE_REPO_DIR}/${FEATURE_REPOSITORY_FILE}`, repositoryVolume, { subPath: FEATURE_REPOSITORY_FILE, readOnly: true });
    mountTmp(applyContainer, 'ApplyTmp');
    addPodSeccomp(ApiObject.of(applyJob), '/spec/template/spec');

    // ---- materialization CronJob ----------------------------------------
    const materializeLabels = this.jobLabels('feature-materialization');
    const views = (o.materialization.featureViews ?? []).map((fv) => ` --views ${fv}`).join('');
    const cronJob = new kplus.CronJob(this, 'MaterializationCronJob', {
      metadata: { name: `${this.name}-materialize`, labels: materializeLabels },
      podMetadata: { labels: materializeLabels, annotations: podAnnotations },
      select: false,
      schedule: o.materialization.schedule ?? Cron.schedule({ minute: '0' }),
      timeZone: o.timeZone,
      concurrencyPolicy: kplus.ConcurrencyPolicy.FORBID,
      startingDeadline: Duration.minutes(Math.min(60, Math.max(1, Math.floor(this.materializationIntervalMinutes / 2)))),
      successfulJobsRetained: 3,
      failedJobsRetained: 3,
      backoffLimit: o.backoffLimit,
      activeDeadline: Duration.seconds(o.activeDeadline),
      serviceAccount: jobServiceAccount,
      automountServiceAccountToken: false,
      restartPolicy: kplus.RestartPolicy.NEVER,
      securityContext: restrictedPodSecurity(this.runAsUser),
    });
    const materializeContainer = cronJob.addContainer({
      name: 'feast-materialize',
      image: this.image,
      imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
      // The end timestamp is the time the run starts, in UTC (Feast treats naive timestamps as UTC).
      command: ['/bin/sh', '-c', `exec feast materialize-incremental "$(date -u +%Y-%m-%dT%H:%M:%S)"${views}`],
      workingDir: FEATURE_REPO_DIR,
      envVariables: env,
      resources: containerResources(o.jobResources),
      securityContext: restrictedContainerSecurity(this.runAsUser),
    });
    addPassword(materializeContainer, 'MaterializePasswordSecret');
    mountConfig(materializeContainer);
    mountTmp(materializeContainer, 'MaterializeTmp');
    addPodSeccomp(ApiObject.of(cronJob), '/spec/jobTemplate/spec/template/spec');

    // ---- network policies -----------------------------------------------
    const tcp = (port: number) => ({ protocol: 'TCP', port: kplus.k8s.IntOrString.fromNumber(port) });
    const egress: kplus.k8s.NetworkPolicyEgressRule[] = [
      dnsEgressRule(),
      ...this.onlineStoreEgress(tcp),
      // The registry (S3), STS (IRSA), DynamoDB, Redshift Data and Athena APIs: public AWS endpoints over HTTPS.
      { to: [{ ipBlock: { cidr: '0.0.0.0/0' } }], ports: [tcp(443)] },
    ];
    const monitoringNamespace = v.dnsLabel('monitoring.namespace', o.monitoring.namespace ?? 'monitoring');
    const sources = (o.allowFrom ?? [{}]).map((p, i) => networkPeer(v, p, `allowFrom[${i}]`));
    const networkPolicy = new kplus.k8s.KubeNetworkPolicy(this, 'NetworkPolicy', {
      metadata: { name: this.name, labels: serverLabels },
      spec: {
        podSelector: { matchLabels: { ...this.serverSelectorLabels } },
        policyTypes: ['Ingress', 'Egress'],
        ingress: [
          { from: sources, ports: [tcp(FEATURE_SERVER_PORT)] },
          { from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': monitoringNamespace } }, podSelector: {} }], ports: [tcp(FEATURE_SERVER_METRICS_PORT)] },
        ],
        egress,
      },
    });
    const jobsNetworkPolicy = new kplus.k8s.KubeNetworkPolicy(this, 'JobsNetworkPolicy', {
      metadata: { name: `${this.name}-jobs`, labels: this.labels },
      spec: {
        podSelector: {
          matchLabels: { 'app.kubernetes.io/name': this.name, 'app.kubernetes.io/instance': this.name },
          matchExpressions: [{ key: COMPONENT, operator: 'In', values: ['feature-apply', 'feature-materialization'] }],
        },
        policyTypes: ['Ingress', 'Egress'],
        ingress: [],
        egress,
      },
    });
    return {
      configMap, repositoryConfigMap, serverServiceAccount, jobServiceAccount, deployment, container, service, autoscaler,
      podDisruptionBudget, networkPolicy, jobsNetworkPolicy, applyJob, cronJob,
    };
  }

  private onlineStoreEgress(tcp: (port: number) => kplus.k8s.NetworkPolicyPort): kplus.k8s.NetworkPolicyEgressRule[] {
    switch (this.onlineStore.kind) {
      case OnlineStoreKind.IN_CLUSTER_REDIS:
        return [{ to: [{ podSelector: { matchLabels: { 'app.kubernetes.io/name': this.name, 'app.kubernetes.io/instance': this.name, [COMPONENT]: 'online-store' } } }], ports: [tcp(6379)] }];
      case OnlineStoreKind.REDIS: {
        const o = this.onlineStore.options as RedisOnlineStoreOptions;
        return [{ to: [{ ipBlock: { cidr: o.egressCidr ?? '0.0.0.0/0' } }], ports: [tcp(o.port ?? 6379)] }];
      }
      case OnlineStoreKind.DYNAMODB:
        return [];
    }
  }

  private renderOperator(o: {
    projectDir: FeastProjectDir; region?: string; serverResources: ComputeResources; jobResources: ComputeResources; workers: number; cpuTarget: number;
    timeZone: string; activeDeadline: number; backoffLimit: number; materialization: MaterializationOptions; offlineSecret?: string;
  }): FeastFeatureStoreResource {
    const q = (r: ComputeResources, part: 'request' | 'limit') => ({ cpu: r.cpu[part].amount, memory: `${memoryMebibytes(r.memory[part])}Mi` });
    const serverLimits = q(o.serverResources, 'limit');
    const serverRequests = q(o.serverResources, 'request');
    const jobLimits = q(o.jobResources, 'limit');
    const jobRequests = q(o.jobResources, 'request');
    const views = (o.materialization.featureViews ?? []).map((fv) => ` --views ${fv}`).join('');
    const onlineType = this.onlineStore.kind === OnlineStoreKind.DYNAMODB
      ? FeatureStoreSpecServicesOnlineStorePersistenceStoreType.DYNAMODB
      : FeatureStoreSpecServicesOnlineStorePersistenceStoreType.REDIS;
    const autoscale = this.maxReplicas > this.minReplicas;
    const git = o.projectDir.options as GitProjectDirOptions;
    const packaged = o.projectDir.options as PackagedProjectDirOptions;
    const spec: FeatureStoreSpec = {
      feastProject: this.project,
      feastProjectDir: o.projectDir.kind === 'git'
        ? { git: { url: git.url, ref: git.ref, featureRepoPath: git.featureRepoPath ?? 'feature_repo' } }
        : { packaged: { featureRepoPath: packaged.featureRepoPath, image: packaged.image ?? this.image } },
      ...(autoscale ? {} : { replicas: this.minReplicas }),
      services: {
        onlineStore: {
          persistence: { store: { type: onlineType, secretRef: { name: `${this.name}-online-store` } } },
          server: {
            image: this.image,
            metrics: true,
            logLevel: FeatureStoreSpecServicesOnlineStoreServerLogLevel.INFO,
            workerConfigs: { workers: o.workers, registryTtlSeconds: (this.registry.cacheTtl ?? Duration.seconds(60)).toSeconds() },
            resources: {
              limits: {
                cpu: FeatureStoreSpecServicesOnlineStoreServerResourcesLimits.fromString(serverLimits.cpu),
                memory: FeatureStoreSpecServicesOnlineStoreServerResourcesLimits.fromString(serverLimits.memory),
              },
              requests: {
                cpu: FeatureStoreSpecServicesOnlineStoreServerResourcesRequests.fromString(serverRequests.cpu),
                memory: FeatureStoreSpecServicesOnlineStoreServerResourcesRequests.fromString(serverRequests.memory),
              },
            },
            ...(o.region ? { env: [{ name: 'AWS_DEFAULT_REGION', value: o.region }, { name: 'AWS_REGION', value: o.region }] } : {}),
          },
        },
        ...(o.offlineSecret ? {
          offlineStore: {
            persistence: {
              store: {
                type: this.offlineStore.kind === 'redshift' ? FeatureStoreSpecServicesOfflineStorePersistenceStoreType.REDSHIFT : FeatureStoreSpecServicesOfflineStorePersistenceStoreType.ATHENA,
                secretRef: { name: o.offlineSecret },
              },
            },
          },
        } : {}),
        registry: {
          local: {
            persistence: { file: { path: this.registry.path, cacheTtlSeconds: (this.registry.cacheTtl ?? Duration.seconds(60)).toSeconds() } },
          },
        },
        runFeastApplyOnInit: true,
        ...(autoscale ? {
          scaling: {
            autoscaling: {
              minReplicas: this.minReplicas,
              maxReplicas: this.maxReplicas,
              metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: o.cpuTarget } } }],
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
      },
      cronJob: {
        schedule: this.materializationSchedule,
        timeZone: o.timeZone,
        concurrencyPolicy: 'Forbid',
        startingDeadlineSeconds: 60 * Math.min(60, Math.max(1, Math.floor(this.materializationIntervalMinutes / 2))),
        successfulJobsHistoryLimit: 3,
        failedJobsHistoryLimit: 3,
        jobSpec: { backoffLimit: o.backoffLimit, activeDeadlineSeconds: o.activeDeadline },
        containerConfigs: {
          // The operator's CronJob runs each command with `bash -c` inside the feature server pod.
          commands: [`feast materialize-incremental $(date -u +'%Y-%m-%dT%H:%M:%S')${views}`],
          resources: {
            limits: {
              cpu: FeatureStoreSpecCronJobContainerConfigsResourcesLimits.fromString(jobLimits.cpu),
              memory: FeatureStoreSpecCronJobContainerConfigsResourcesLimits.fromString(jobLimits.memory),
            },
            requests: {
              cpu: FeatureStoreSpecCronJobContainerConfigsResourcesRequests.fromString(jobRequests.cpu),
              memory: FeatureStoreSpecCronJobContainerConfigsResourcesRequests.fromString(jobRequests.memory),
            },
          },
        },
      },
    };
    return new FeastFeatureStoreResource(this, 'Resource', { metadata: { name: this.name, labels: this.labels }, spec });
  }

  private defineAlerts(v: PropsValidator, monitoring: FeatureStoreMonitoringOptions, staleAfter: number, errorRate: number): AlertDefinition[] {
    const base = (monitoring.runbookBaseUrl ?? 'runbooks').replace(/\/+$/, '');
    const scope: Record<string, string> = {};
    if (this.namespace) scope.namespace = this.namespace;
    const cron = promSelector({ ...scope, cronjob: this.materializationCronJobName });
    const requests = promSelector({ ...scope, service: this.serviceName });
    const errors = promSelector({ ...scope, service: this.serviceName }, ['status=~"error|5.."']);
    const threshold = staleAfter * this.materializationIntervalMinutes * 60;
    const human = promDuration(Duration.seconds(threshold));
    v.check(threshold > 0, 'materialization.staleAfterIntervals', staleAfter, 'must give a positive threshold');
    const alert = (name: string, rest: Omit<AlertDefinition, 'name' | 'runbookUrl'>): AlertDefinition =>
      ({ name, ...rest, runbookUrl: runbookUrl(base, this.namespace, this.name, name) });
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


function validateProjectDir(v: PropsValidator, dir: FeastProjectDir): void {
  if (dir.kind === 'git') {
    const o = dir.options as GitProjectDirOptions;
    v.matches('operator.projectDir.url', o.url, /^(https:\/\/|ssh:\/\/|git@)\S+$/, 'must be an https://, ssh:// or git@ repository URL');
    v.nonEmpty('operator.projectDir.ref', o.ref);
    if (o.featureRepoPath !== undefined) {
      v.check(!o.featureRepoPath.startsWith('/') && o.featureRepoPath.length > 0, 'operator.projectDir.featureRepoPath', o.featureRepoPath, 'must be a relative path inside the repository');
    }
  } else {
    const o = dir.options as PackagedProjectDirOptions;
    v.matches('operator.projectDir.featureRepoPath', o.featureRepoPath, /^\/[^/]+(\/[^/]+)*$/, 'must be an absolute path without a trailing "/"');
    v.check(!o.featureRepoPath.split('/').some((s) => s === '.' || s === '..'), 'operator.projectDir.featureRepoPath', o.featureRepoPath, 'must not contain "." or ".." segments');
  }
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
