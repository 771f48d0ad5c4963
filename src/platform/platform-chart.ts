import { ApiObject, Chart, JsonPatch } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { AutoscaledModel, AutoscaledModelProps } from '../serving/autoscaled-model';
import { PlatformBackups, PlatformBackupsProps, VolumeBackupMethod } from '../dr/backups';
import { CanaryRollout, CanaryRolloutProps } from '../rollout/canary-rollout';
import { DriftCronJob, DriftCronJobProps } from '../drift/drift-cron-job';
import { FeatureStore, FeatureStoreConnectOptions, FeatureStoreProps } from '../features/feature-store';
import { SpotTrainingPool, SpotTrainingPoolProps, TrainingJob, TrainingJobProps } from '../training/spot-training-pool';
import { DisasterRecoveryPolicy } from '../policy/disaster-recovery';
import { PropsValidator } from '../core/errors';
import { CostPresetSettings } from '../policy/presets';
import { DisasterRecoveryAwsBinding } from '../dr/runbook';
import { FeatureStoreAwsBinding } from '../features/stores';
import { ModelAwsBinding } from './serving-chart';

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
}

/**
 * A complete model platform as one chart, from one typed config and a
 * preset: per model an autoscaled service with a canary rollout (Argo
 * Rollouts + Istio, analysis on Prometheus), optional drift detection and
 * feature store wiring; a shared Feast feature store; Velero backups derived
 * from the DR policy with a restore runbook; a spot training pool; and the
 * monitoring alerts of every part, each with its runbook. The same class
 * renders for `cdk8s synth` and, with AWS bindings, through the Pulumi
 * {@link ModelPlatformStack}.
 */
export class ModelPlatformChart extends Chart {
  /**
   * Whether `x` is a ModelPlatformChart. (Use this, not `instanceof`: cdk8s
   * makes `instanceof` of every Chart subclass true for any chart.)
   */
  public static isModelPlatformChart(x: unknown): x is ModelPlatformChart {
    return typeof x === 'object' && x !== null && (x as Record<symbol, unknown>)[PLATFORM_CHART] === true;
  }

  /** Model services by id. */
  public readonly models: Readonly<Record<string, AutoscaledModel>>;
  /** Canary rollouts by model id. */
  public readonly canaries: Readonly<Record<string, CanaryRollout>>;
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

  constructor(scope: Construct, id: string, props: ModelPlatformProps) {
    super(scope, id, { namespace: props.namespace });
    Object.defineProperty(this, PLATFORM_CHART, { value: true });
    const v: PropsValidator = new PropsValidator(this);
    v.dnsLabel('namespace', props.namespace);
    v.check(props.models.length > 0, 'models', [], 'must list at least one model');
    const ids = props.models.map((m) => m.id);
    const duplicate = ids.find((x, i) => ids.indexOf(x) !== i);
    v.check(duplicate === undefined, 'models', duplicate, 'model ids must be unique');
    for (const key of Object.keys(props.aws?.models ?? {})) {
      v.check(ids.includes(key), `aws.models.${key}`, key, `names no model (models: ${ids.join(', ')})`);
    }
    props.models.forEach((m, i) => {
      v.check(m.features === undefined || props.featureStore !== undefined, `models[${i}].features`, m.features, 'needs the platform featureStore');
    });

    if (props.createNamespace ?? true) {
      const ns = new kplus.Namespace(this, 'Namespace', {
        metadata: {
          name: props.namespace,
          // No sidecar injection: Istio applies the canary routes and circuit breaking at the callers
          // (ingress gateway or injected clients), so the platform's pods (and its Jobs, which an
          // injected sidecar would keep running on 1.28) need no proxy, and no NET_ADMIN init container.
          labels: { 'pod-security.kubernetes.io/enforce': 'restricted', 'pod-security.kubernetes.io/enforce-version': 'v1.28' },
        },
      });
      // Namespaces are cluster-scoped: drop the chart namespace cdk8s stamps on every object.
      ApiObject.of(ns).addJsonPatch(JsonPatch.remove('/metadata/namespace'));
    }

    this.featureStore = props.featureStore
      ? new FeatureStore(this, 'feature-store', { preset: props.preset, ...props.featureStore, aws: props.aws?.featureStore })
      : undefined;

    const models: Record<string, AutoscaledModel> = {};
    const canaries: Record<string, CanaryRollout> = {};
    const driftJobs: Record<string, DriftCronJob> = {};
    for (const { id: modelId, canary, drift, features, ...modelProps } of props.models) {
      const binding = props.aws?.models?.[modelId];
      const model = new AutoscaledModel(this, modelId, {
        preset: props.preset,
        ...modelProps,
        serviceAccountAnnotations: { ...modelProps.serviceAccountAnnotations, ...(binding ? { 'eks.amazonaws.com/role-arn': binding.roleArn } : {}) },
        env: { ...modelProps.env, ...(binding ? { MODEL_URI: binding.modelUri } : {}) },
        networkPolicy: binding ? {
          ...modelProps.networkPolicy,
          // S3 and STS (IRSA token exchange) are reached over HTTPS on public AWS endpoints.
          allowTo: [...(modelProps.networkPolicy?.allowTo ?? []), { cidr: '0.0.0.0/0', ports: [443] }],
        } : modelProps.networkPolicy,
      });
      models[modelId] = model;
      if (features && this.featureStore) {
        this.featureStore.connect(model, features);
      }
      if (canary !== false) {
        canaries[modelId] = new CanaryRollout(this, `${modelId}-canary`, { model, ...canary });
      }
      if (drift) {
        const role = props.aws?.driftRoles?.[modelId];
        const reportPrefix = drift.outputs?.reportPrefix ?? props.aws?.driftReports?.[modelId];
        driftJobs[modelId] = new DriftCronJob(this, `${modelId}-drift`, {
          model,
          ...drift,
          outputs: { ...drift.outputs, ...(reportPrefix ? { reportPrefix } : {}) },
          ...(role ? { serviceAccountAnnotations: { 'eks.amazonaws.com/role-arn': role } } : {}),
        });
      }
    }
    this.models = models;
    this.canaries = canaries;
    this.driftJobs = driftJobs;

    const jobs: Record<string, TrainingJob> = {};
    if (props.training) {
      const aws = props.aws?.training;
      const pool = aws?.instanceProfile ? { ...props.training.pool, nodeRole: undefined, instanceProfile: aws.instanceProfile } : props.training.pool;
      this.trainingPool = new SpotTrainingPool(this, 'training', pool);
      for (const [jobId, job] of Object.entries(props.training.jobs ?? {})) {
        const binding = aws?.jobs[jobId];
        jobs[jobId] = this.trainingPool.addTrainingJob(jobId, binding ? {
          ...job,
          checkpoint: { ...job.checkpoint, uri: binding.checkpointUri },
          serviceAccountAnnotations: { ...job.serviceAccountAnnotations, 'eks.amazonaws.com/role-arn': binding.roleArn },
        } : job);
      }
    }
    this.trainingJobs = jobs;

    // Last: the backups read the final workloads (a canary replaces a Deployment by a Rollout).
    const dr = platformDisasterRecovery(props);
    if (dr) {
      // File-system backups only when an in-cluster store has data on a volume; everything else
      // on these pods is scratch (emptyDir), and copying it hourly only risks PartiallyFailed backups.
      const volumes = this.featureStore?.redisStatefulSet ? VolumeBackupMethod.FILE_SYSTEM : VolumeBackupMethod.NONE;
      this.backups = new PlatformBackups(this, 'backups', {
        name: `${props.namespace}-backups`,
        volumeBackup: volumes,
        ...props.backups,
        disasterRecovery: dr,
        namespaces: [props.namespace],
        services: Object.values(models).map((m) => ({ name: m.name, namespace: m.namespace, workload: m.workload })),
        aws: props.aws?.backups,
      });
    }
  }
}

/** The DR policy a platform uses: its own, else its preset's; `false` turns backups off. */
export function platformDisasterRecovery(props: Pick<ModelPlatformProps, 'disasterRecovery' | 'preset'>): DisasterRecoveryPolicy | undefined {
  if (props.disasterRecovery === false) {
    return undefined;
  }
  return props.disasterRecovery ?? props.preset?.disasterRecovery;
}
