import { Chart } from 'cdk8s';
import { Construct } from 'constructs';
import { AutoscaledModel, AutoscaledModelProps } from '../serving/autoscaled-model';
import { PlatformBackups, PlatformBackupsProps, VolumeBackupMethod } from '../dr/backups';
import { CanaryRollout, CanaryRolloutProps } from '../rollout/canary-rollout';
import { ModelGateway, ModelGatewayProps } from '../traffic/gateway';
import { DriftCronJob, DriftCronJobProps } from '../drift/drift-cron-job';
import { FeatureStore, FeatureStoreConnectOptions, FeatureStoreProps } from '../features/feature-store';
import { SpotTrainingPool, SpotTrainingPoolProps, TrainingJob, TrainingJobProps } from '../training/spot-training-pool';
import { DisasterRecoveryPolicy } from '../policy/disaster-recovery';
import { PropsValidator } from '../core/errors';
import { checkChartAtSynth } from '../core/chart-checks';
import { irsaAnnotations } from '../core/labels';
import { podSecurityNamespace } from '../kube/pod-security';
import { CostPresetSettings } from '../policy/presets';
import { DisasterRecoveryAwsBinding } from '../dr/runbook';
import { FeatureStoreAwsBinding } from '../features/stores';
import { DashboardOptions } from '../monitoring/dashboards/config-map';
import { renderPlatformDashboard } from '../monitoring/dashboards/platform';
import { DRILL_METRICS } from '../dr/restore-drill';
import { ModelAwsBinding, bindModel, validateModelIds } from './models';

const PLATFORM_CHART = Symbol.for('ml-platform-constructs.ModelPlatformChart');

/** One model of a platform: the model service and what surrounds it. */
export interface PlatformModel extends AutoscaledModelProps {
  /** Construct id and object name. */
  readonly id: string;
  /** Progressive delivery; `false` to deploy without a canary. @default - the guide's canary schedule with analysis */
  readonly canary?: Omit<CanaryRolloutProps, 'model'> | false;
  /** Scheduled drift detection. @default - none */
  readonly drift?: Omit<DriftCronJobProps, 'model' | 'serviceAccountAnnotations'>;
  /** Read online features from the platform's feature store. @default - not connected */
  readonly features?: FeatureStoreConnectOptions;
}

/** AWS values of the spot training pool. */
export interface TrainingAwsBinding {
  /** Instance profile of the nodes (replaces the pool's `nodeRole`). @default - the pool's own setting */
  readonly instanceProfile?: string;
  /** IRSA role ARN and checkpoint URI per training job id. */
  readonly jobs: Readonly<Record<string, { readonly roleArn: string; readonly checkpointUri: string }>>;
}

/** AWS values the platform's Kubernetes objects need (from the Pulumi stack, or literal values in a GitOps repo). */
export interface PlatformAwsBindings {
  /** Role ARN and artifact URI per model id. @default - none */
  readonly models?: Readonly<Record<string, ModelAwsBinding>>;
  /** IRSA role ARN of each model's drift job, by model id. @default - none */
  readonly driftRoles?: Readonly<Record<string, string>>;
  /** Report prefix of each model's drift job, by model id (when its outputs set none). @default - none */
  readonly driftReports?: Readonly<Record<string, string>>;
  /** Training pool values. @default - none */
  readonly training?: TrainingAwsBinding;
  /** Endpoints, tables, bucket and roles of the feature store. @default - none */
  readonly featureStore?: FeatureStoreAwsBinding;
  /** Names for the restore runbook (vaults, buckets, tables). @default - none */
  readonly backups?: DisasterRecoveryAwsBinding;
}

/** Properties of a {@link ModelPlatformChart}. */
export interface ModelPlatformProps {
  /** Namespace of the platform. */
  readonly namespace: string;
  /** Preset of every part that sets none. @default - each construct's default (PRODUCTION) */
  readonly preset?: CostPresetSettings;
  /** The models (two or more share the feature store, backups and preset). */
  readonly models: readonly PlatformModel[];
  /** The shared feature store. @default - none */
  readonly featureStore?: Omit<FeatureStoreProps, 'aws' | 'preset'>;
  /** The DR policy of every stateful part; renders Velero schedules, the restore runbook and optionally a drill; `false` for none. @default - the preset's policy when a preset is set, else no backups */
  readonly disasterRecovery?: DisasterRecoveryPolicy | false;
  /** Backup settings besides the policy. @default - file-system backups, no drill */
  readonly backups?: Omit<PlatformBackupsProps, 'disasterRecovery' | 'namespaces' | 'services' | 'aws'>;
  /** A spot training pool and its jobs (`dataUris`: the `s3://` prefixes each job reads, for its IAM role). @default - none */
  readonly training?: {
    readonly pool: SpotTrainingPoolProps;
    readonly jobs?: Readonly<Record<string, TrainingJobProps>>;
    readonly dataUris?: Readonly<Record<string, readonly string[]>>;
  };
  /** AWS values. @default - none */
  readonly aws?: PlatformAwsBindings;
  /** Render the Namespace (Pod Security `restricted` enforced). @default true */
  readonly createNamespace?: boolean;
  /** The model gateway (Istio Gateway, ALB, edge limits) the canary routes bind to. @default - none: each canary then needs its own `gateway` or `meshCallers` */
  readonly gateway?: ModelGatewayProps;
  /** The platform's Grafana dashboard (feature freshness, training capacity, backups, drills). @default - rendered for the kube-prometheus-stack sidecar */
  readonly dashboard?: DashboardOptions;
}

/**
 * A complete model platform as one chart, from one typed config and a
 * preset: per model an autoscaled service with a canary rollout (Argo
 * Rollouts + Istio, analysis on Prometheus), optional drift detection and
 * feature store wiring; a shared Feast feature store; Velero backups derived
 * from the DR policy with a restore runbook; a spot training pool; and the
 * monitoring alerts of every part, each with its runbook. The same class
 * renders for `cdk8s synth` and, with AWS bindings, through the Pulumi
 * `ModelPlatformStack` (`ml-platform-constructs/pulumi`).
 */
export class ModelPlatformChart extends Chart {
  /**
   * Whether `x` is a ModelPlatformChart. (Use this, not `instanceof`: cdk8s
   * makes `instanceof` of every Chart subclass true for any chart.)
   */
  public static isModelPlatformChart(x: unknown): x is ModelPlatformChart {
    return typeof x === 'object' && x !== null && PLATFORM_CHART in x && x[PLATFORM_CHART] === true;
  }

  /** Model services by id. */
  public readonly models: Readonly<Record<string, AutoscaledModel>>;
  /** Canary rollouts by model id. */
  public readonly canaries: Readonly<Record<string, CanaryRollout>>;
  /** The model gateway, when `gateway` is set. */
  public readonly gateway?: ModelGateway;
  /** Drift jobs by model id. */
  public readonly driftJobs: Readonly<Record<string, DriftCronJob>>;
  /** The feature store. */
  public readonly featureStore?: FeatureStore;
  /** Backups. */
  public readonly backups?: PlatformBackups;
  /** The training pool. */
  public readonly trainingPool?: SpotTrainingPool;
  /** Training jobs by id. */
  public readonly trainingJobs: Readonly<Record<string, TrainingJob>>;
  /** The platform dashboard ConfigMap, when rendered. */
  public readonly dashboardConfigMap?: ReturnType<typeof renderPlatformDashboard>;

  constructor(scope: Construct, id: string, props: ModelPlatformProps) {
    super(scope, id, { namespace: props.namespace });
    checkChartAtSynth(this);
    Object.defineProperty(this, PLATFORM_CHART, { value: true });
    const v: PropsValidator = new PropsValidator(this);
    v.dnsLabel('namespace', props.namespace);
    validateModelIds(v, props.models.map((m) => m.id), 'aws.models', props.aws?.models);
    props.models.forEach((m, i) => {
      v.check(m.features === undefined || props.featureStore !== undefined, `models[${i}].features`, m.features, 'needs the platform featureStore');
    });

    if (props.createNamespace ?? true) {
      // No sidecar injection: Istio applies the canary routes and circuit breaking at the callers
      // (ingress gateway or injected clients), so the platform's pods (and its Jobs, which an
      // injected sidecar would keep running on 1.28) need no proxy, and no NET_ADMIN init container.
      podSecurityNamespace(this, props.namespace);
    }
    this.gateway = props.gateway ? new ModelGateway(this, 'gateway', { preset: props.preset, ...props.gateway }) : undefined;
    this.featureStore = props.featureStore
      ? new FeatureStore(this, 'feature-store', { preset: props.preset, ...props.featureStore, aws: props.aws?.featureStore })
      : undefined;

    const models: Record<string, AutoscaledModel> = {};
    const canaries: Record<string, CanaryRollout> = {};
    const driftJobs: Record<string, DriftCronJob> = {};
    for (const model of props.models) {
      const parts = this.addModel(model, props);
      models[model.id] = parts.model;
      if (parts.canary) canaries[model.id] = parts.canary;
      if (parts.drift) driftJobs[model.id] = parts.drift;
    }
    this.models = models;
    this.canaries = canaries;
    this.driftJobs = driftJobs;

    const training = props.training ? this.addTraining(props.training, props.aws?.training) : undefined;
    this.trainingPool = training?.pool;
    this.trainingJobs = training?.jobs ?? {};
    // Last: the backups read the final workloads (a canary replaces a Deployment by a Rollout).
    this.backups = this.addBackups(props, Object.values(models));
    this.dashboardConfigMap = renderPlatformDashboard(this, 'dashboard', () => ({
      featureStores: this.featureStore
        ? [{ namespace: this.featureStore.namespace, cronJob: this.featureStore.materializationCronJobName, service: this.featureStore.serviceName }] : [],
      nodePools: this.trainingPool ? [this.trainingPool.name] : [],
      backupSchedules: Object.values(this.backups?.scheduleNames ?? {}),
      drills: this.backups?.drill
        ? [{
          name: this.backups.drill.name, successMetric: DRILL_METRICS.success, durationMetric: DRILL_METRICS.duration, lastSuccessMetric: DRILL_METRICS.lastSuccess,
        }] : [],
    }), props.dashboard);
  }

  /** One model: its service (bound to its AWS values), feature store connection, canary and drift job. */
  private addModel(m: PlatformModel, props: ModelPlatformProps): { model: AutoscaledModel; canary?: CanaryRollout; drift?: DriftCronJob } {
    const { id: modelId, canary, drift, features, ...modelProps } = m;
    const model = new AutoscaledModel(this, modelId, bindModel({ preset: props.preset, ...modelProps }, props.aws?.models?.[modelId]));
    if (features && this.featureStore) {
      this.featureStore.connect(model, features);
    }
    const rollout = canary !== false ? new CanaryRollout(this, `${modelId}-canary`, { model, gateway: this.gateway, ...canary }) : undefined;
    if (!drift) {
      return { model, canary: rollout };
    }
    const role = props.aws?.driftRoles?.[modelId];
    const reportPrefix = drift.outputs?.reportPrefix ?? props.aws?.driftReports?.[modelId];
    const driftJob = new DriftCronJob(this, `${modelId}-drift`, {
      model,
      ...drift,
      outputs: { ...drift.outputs, ...(reportPrefix ? { reportPrefix } : {}) },
      ...(role ? { serviceAccountAnnotations: irsaAnnotations(role) } : {}),
    });
    return { model, canary: rollout, drift: driftJob };
  }

  /** The spot training pool and its jobs, bound to their instance profile, IRSA roles and checkpoint URIs. */
  private addTraining(training: NonNullable<ModelPlatformProps['training']>, aws: TrainingAwsBinding | undefined): { pool: SpotTrainingPool; jobs: Record<string, TrainingJob> } {
    const poolProps = aws?.instanceProfile ? { ...training.pool, nodeRole: undefined, instanceProfile: aws.instanceProfile } : training.pool;
    const pool = new SpotTrainingPool(this, 'training', poolProps);
    const jobs: Record<string, TrainingJob> = {};
    for (const [jobId, job] of Object.entries(training.jobs ?? {})) {
      const binding = aws?.jobs[jobId];
      jobs[jobId] = pool.addTrainingJob(jobId, binding ? {
        ...job,
        checkpoint: { ...job.checkpoint, uri: binding.checkpointUri },
        serviceAccountAnnotations: { ...job.serviceAccountAnnotations, ...irsaAnnotations(binding.roleArn) },
      } : job);
    }
    return { pool, jobs };
  }

  /** Velero backups of the platform's namespace and services, when a DR policy applies. */
  private addBackups(props: ModelPlatformProps, models: readonly AutoscaledModel[]): PlatformBackups | undefined {
    const dr = platformDisasterRecovery(props);
    if (!dr) {
      return undefined;
    }
    // File-system backups only when an in-cluster store has data on a volume; everything else
    // on these pods is scratch (emptyDir), and copying it hourly only risks PartiallyFailed backups.
    const volumes = this.featureStore?.redisStatefulSet ? VolumeBackupMethod.FILE_SYSTEM : VolumeBackupMethod.NONE;
    return new PlatformBackups(this, 'backups', {
      name: `${props.namespace}-backups`,
      volumeBackup: volumes,
      ...props.backups,
      disasterRecovery: dr,
      namespaces: [props.namespace],
      services: models.map((m) => ({ name: m.name, namespace: m.namespace, workload: m.workload })),
      aws: props.aws?.backups,
    });
  }
}

/** The DR policy a platform uses: its own, else its preset's; `false` turns backups off. */
export function platformDisasterRecovery(props: Pick<ModelPlatformProps, 'disasterRecovery' | 'preset'>): DisasterRecoveryPolicy | undefined {
  if (props.disasterRecovery === false) {
    return undefined;
  }
  return props.disasterRecovery ?? props.preset?.disasterRecovery;
}
