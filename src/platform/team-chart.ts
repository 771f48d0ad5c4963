import { readFileSync } from 'node:fs';
import { Chart } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { AutoscaledModel } from '../serving/autoscaled-model';
import { PlatformBackups, VolumeBackupMethod } from '../dr/backups';
import { AbTest, AbTestProps } from '../rollout/ab-test';
import { CanaryRollout } from '../rollout/canary-rollout';
import { GatewayRef } from '../traffic/gateway';
import { TrainingCapacityLimits } from '../training/cost-profile';
import { PodToleration } from '../training/scheduling';
import { CheckpointOptions, ITrainingPool, TrainingJob, TrainingJobProps } from '../training/training-job';
import { DriftCronJob } from '../drift/drift-cron-job';
import { mountServiceAccountToken } from '../features/feature-store';
import { PropsValidator } from '../core/errors';
import { checkChartAtSynth } from '../core/chart-checks';
import { irsaAnnotations } from '../core/labels';
import { tcpPort } from '../kube/network';
import { DisasterRecoveryPolicy } from '../policy/disaster-recovery';
import { CostPresetSettings } from '../policy/presets';
import { observabilityLinksOf, setObservabilityLinks } from '../monitoring/links';
import { ContractTrainingPool, PlatformContract, contractDisasterRecovery, contractPreset, parsePlatformContract } from './contract';
import { bindModel, validateModelIds } from './models';
import { PlatformAwsBindings, PlatformModel, TrainingAwsBinding } from './platform-chart';

/** AWS values of a team's models and training jobs (from the Pulumi team stack, or literal values in a GitOps repo). */
export interface TeamAwsBindings extends Pick<PlatformAwsBindings, 'models' | 'driftRoles' | 'driftReports'> {
  /** IRSA role ARN and checkpoint URI of each training job, by job id. @default - none */
  readonly trainingJobs?: TrainingAwsBinding['jobs'];
}

/** One arm of a team's A/B test: a model of the team, by id. */
export interface TeamAbVariant {
  /** Variant name (DNS label), for example `control`. */
  readonly name: string;
  /** Id of the team's model that serves it (a model with `canary: false`: the experiment owns its Istio routes). */
  readonly model: string;
  /** Percent of users (integer; the weights of all variants sum to 100). */
  readonly weight: number;
}

/** A team's A/B test: an `AbTest` between its own models. */
export interface TeamAbTest extends Omit<AbTestProps, 'variants'> {
  /** Variants, control first. */
  readonly variants: readonly TeamAbVariant[];
}

/** A team's training job on one of the platform's spot pools. */
export interface TeamTrainingJob extends Omit<TrainingJobProps, 'checkpoint' | 'serviceAccountAnnotations' | 'onDemandFallback'> {
  /** Name of the platform's pool it runs on (one of the contract's `training.pools`). */
  readonly pool: string;
  /** How often it checkpoints; the location is its own prefix of the platform's checkpoint bucket, `s3://<buckets.checkpoints>/checkpoints/<team namespace>/<name>/`. @default - every 10 minutes */
  readonly checkpoint?: Omit<CheckpointOptions, 'uri'>;
  /** `s3://` prefixes of the training data it reads (read-only, in its IAM role). @default - none */
  readonly dataUris?: readonly string[];
}

/**
 * A training pool of the platform as a team's chart sees it, from the
 * contract: it renders nothing (the platform's chart owns the NodePools) and
 * places the team's jobs on the pool's nodes. No on-demand fallback: the
 * pool's fallback controller watches the platform's namespace only, so a
 * team's jobs wait for spot.
 */
export class PlatformTrainingPool extends Construct implements ITrainingPool {
  public readonly name: string;
  public readonly gpu: boolean;
  public readonly nodeSelector: Readonly<Record<string, string>>;
  public readonly tolerations: readonly PodToleration[];
  public readonly onDemandFallbackEnabled = false;
  public readonly maxJobSize?: TrainingCapacityLimits;

  constructor(scope: Construct, id: string, pool: ContractTrainingPool) {
    super(scope, id);
    checkChartAtSynth(this);
    this.name = pool.name;
    this.gpu = pool.gpu;
    this.nodeSelector = pool.nodeSelector;
    this.tolerations = pool.tolerations;
    this.maxJobSize = pool.maxJobSize;
  }

  /** Renders a training job on this pool (see `TrainingJob`). */
  public addTrainingJob(id: string, props: TrainingJobProps): TrainingJob {
    return new TrainingJob(this, id, { ...props, pool: this });
  }
}

/** The name of a team's training job (its Job, ServiceAccount and checkpoint prefix). */
export function teamTrainingJobName(id: string, job: Pick<TeamTrainingJob, 'name'>): string {
  return job.name ?? id;
}

/** A team job's props for its `TrainingJob` (`dataUris` are for its IAM role, the pool and checkpoint are set from the contract). */
function trainingJobProps({ pool: _pool, checkpoint: _checkpoint, dataUris: _dataUris, ...props }: TeamTrainingJob): Omit<TrainingJobProps, 'checkpoint'> {
  return props;
}

/**
 * Checks what a team adds on the platform against its contract, before
 * anything renders (the `TeamStack` calls it before it declares a
 * resource): features only from a platform with a store and of its feature
 * services, A/B variants that are models of the team without a canary, and
 * training jobs on a pool the platform offers, with a checkpoint bucket.
 */
export function validateTeamParts(v: PropsValidator, contract: PlatformContract, props: Pick<TeamChartProps, 'models' | 'abTests' | 'trainingJobs'>): void {
  const fs = contract.featureStore;
  props.models.forEach((m, i) => {
    v.check(m.features === undefined || fs !== null, `models[${i}].features`, m.features, 'needs a platform with a feature store');
    const service = m.features?.featureService;
    v.check(service === undefined || (fs?.featureServices ?? []).includes(service), `models[${i}].features.featureService`, service,
      `names no feature service of the platform's store (feature services: ${(fs?.featureServices ?? []).join(', ') || 'none'})`);
  });
  const ids = props.models.map((m) => m.id);
  (props.abTests ?? []).forEach((test, i) => test.variants.forEach((variant, j) => {
    const model = props.models.find((m) => m.id === variant.model);
    v.check(model !== undefined, `abTests[${i}].variants[${j}].model`, variant.model, `names no model of the team (models: ${ids.join(', ')})`);
    v.check(model.canary === false, `abTests[${i}].variants[${j}].model`, variant.model,
      "has a canary rollout: set 'canary: false' on a model in an experiment (the canary and the experiment would both own its Istio routes)");
  }));
  const pools = contract.training?.pools ?? [];
  for (const [id, job] of Object.entries(props.trainingJobs ?? {})) {
    v.check(pools.some((p) => p.name === job.pool), `trainingJobs.${id}.pool`, job.pool, pools.length === 0
      ? 'names no training pool: the platform offers none (its contract has no training pools)'
      : `names no training pool of the platform (pools: ${pools.map((p) => p.name).join(', ')})`);
    v.check(contract.buckets.checkpoints !== undefined, `trainingJobs.${id}`, job.pool,
      'needs the platform\'s checkpoint bucket, and its contract states none (buckets.checkpoints)');
  }
}

/** Properties of a {@link TeamChart}. */
export interface TeamChartProps {
  /** The team's id in the platform contract (`namespaces.teams`): its namespace comes from there. */
  readonly team: string;
  /** The platform's contract: `PlatformChart.contract`, or {@link readPlatformContract} of the JSON file the platform's synth wrote. */
  readonly platform: PlatformContract;
  /** The team's models: the same props as a `ModelPlatformChart`'s. */
  readonly models: readonly PlatformModel[];
  /** Preset of models that set none. @default - the platform's preset */
  readonly preset?: CostPresetSettings;
  /** A DR policy of the team's own (renders Velero schedules of its namespace); `false` for none. @default - the platform's, whose backups already cover this namespace */
  readonly disasterRecovery?: DisasterRecoveryPolicy | false;
  /** A/B tests between the team's models. @default - none */
  readonly abTests?: readonly TeamAbTest[];
  /** The model gateway the team's canaries and A/B tests bind their routes to. @default - the platform's model gateway from the contract; without one each canary and A/B test needs its own `gateway` or `meshCallers` */
  readonly gateway?: GatewayRef;
  /** Training jobs on the platform's spot pools, by id. @default - none */
  readonly trainingJobs?: Readonly<Record<string, TeamTrainingJob>>;
  /** AWS values. @default - none */
  readonly aws?: TeamAwsBindings;
}

/** Reads and checks the contract JSON file a platform's synth wrote (see {@link parsePlatformContract}). */
export function readPlatformContract(file: string): PlatformContract {
  const parsed: unknown = JSON.parse(readFileSync(file, 'utf8'));
  const v: PropsValidator = new PropsValidator(`platform contract of ${file}`);
  v.check(typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed), '<file>', typeof parsed, 'must hold a JSON object');
  return parsePlatformContract(Object.fromEntries(Object.entries(parsed)), file);
}

/**
 * An ML team's chart on a shared platform: its models (autoscaled service,
 * canary rollout, drift job), A/B tests between them and training jobs on
 * the platform's spot pools, in the namespace the platform created for the
 * team, on the platform's preset, reading features from the platform's
 * feature store, scraped by the platform's Prometheus and admitting its
 * gateway, all from the typed {@link PlatformContract}, never from strings
 * copied by hand. The objects of each model are the ones a
 * `ModelPlatformChart` renders for it.
 */
export class TeamChart extends Chart {
  /** The team's namespace (from the contract). */
  public readonly teamNamespace: string;
  /** Model services by id. */
  public readonly models: Readonly<Record<string, AutoscaledModel>>;
  /** Canary rollouts by model id. */
  public readonly canaries: Readonly<Record<string, CanaryRollout>>;
  /** Drift jobs by model id. */
  public readonly driftJobs: Readonly<Record<string, DriftCronJob>>;
  /** A/B tests by experiment id. */
  public readonly abTests: Readonly<Record<string, AbTest>>;
  /** Training jobs by id. */
  public readonly trainingJobs: Readonly<Record<string, TrainingJob>>;
  /** Backups, when the team set its own DR policy. */
  public readonly backups?: PlatformBackups;
  private readonly routeGateway?: GatewayRef;

  constructor(scope: Construct, id: string, props: TeamChartProps) {
    const contract = parsePlatformContract({ ...props.platform }, `TeamChart ${id}`);
    const namespace = contract.namespaces.teams[props.team];
    const early: PropsValidator = new PropsValidator(`${scope.node.path ? `${scope.node.path}/` : ''}${id}`);
    early.check(namespace !== undefined, 'team', props.team, `is no team of the platform (teams: ${Object.keys(contract.namespaces.teams).join(', ') || 'none'})`);
    super(scope, id, { namespace });
    checkChartAtSynth(this);
    // The team's alerts link where the platform's do, unless links are set above this chart.
    const { grafanaUrl, runbookBaseUrl } = contract.monitoring;
    const own = observabilityLinksOf(this);
    if (own.grafanaUrl === undefined && own.runbookBaseUrl === undefined && (grafanaUrl !== undefined || runbookBaseUrl !== undefined)) {
      setObservabilityLinks(this, { grafanaUrl, runbookBaseUrl });
    }
    this.teamNamespace = namespace;
    const g = contract.gateway;
    this.routeGateway = props.gateway ?? (g?.name !== undefined && g.domain !== undefined && g.port !== undefined
      ? { name: g.name, namespace: g.namespace, domain: g.domain, port: g.port, selectorLabels: g.podLabels } : undefined);
    const v: PropsValidator = new PropsValidator(this);
    validateModelIds(v, props.models.map((m) => m.id), 'aws.models', props.aws?.models);
    validateTeamParts(v, contract, props);
    for (const key of Object.keys(props.aws?.trainingJobs ?? {})) {
      v.check(props.trainingJobs?.[key] !== undefined, `aws.trainingJobs.${key}`, key, `names no training job (jobs: ${Object.keys(props.trainingJobs ?? {}).join(', ') || 'none'})`);
    }

    const preset = props.preset ?? contractPreset(contract);
    const models: Record<string, AutoscaledModel> = {};
    const canaries: Record<string, CanaryRollout> = {};
    const driftJobs: Record<string, DriftCronJob> = {};
    for (const m of props.models) {
      const parts = this.addModel(m, preset, contract, props.aws);
      models[m.id] = parts.model;
      if (parts.canary) canaries[m.id] = parts.canary;
      if (parts.drift) driftJobs[m.id] = parts.drift;
    }
    this.models = models;
    this.canaries = canaries;
    this.driftJobs = driftJobs;
    this.abTests = this.addAbTests(props.abTests ?? [], contract);
    this.trainingJobs = this.addTrainingJobs(props.trainingJobs ?? {}, contract, props.aws?.trainingJobs);
    // The platform's backups cover this namespace; a policy of the team's own adds schedules of its namespace.
    const dr = props.disasterRecovery === false ? undefined : props.disasterRecovery;
    this.backups = dr ? new PlatformBackups(this, 'backups', {
      name: `${namespace}-backups`, disasterRecovery: dr, namespaces: [namespace], volumeBackup: VolumeBackupMethod.NONE,
      services: Object.values(models).map((m) => ({ name: m.name, namespace: m.namespace, workload: m.workload })),
    }) : undefined;
  }

  /** A/B tests over the team's models; their analysis reads the platform's Prometheus. */
  private addAbTests(tests: readonly TeamAbTest[], contract: PlatformContract): Record<string, AbTest> {
    const out: Record<string, AbTest> = {};
    for (const { variants, analysis, ...test } of tests) {
      // Prometheus Operator's governing Service of the platform's Prometheus (the library's default, in the contract's namespace).
      const prometheusUrl = `http://prometheus-operated.${contract.monitoring.namespace}.svc:9090`;
      out[test.experimentId] = new AbTest(this, test.experimentId, {
        gateway: this.routeGateway,
        ...test,
        variants: variants.map((x) => ({ name: x.name, weight: x.weight, model: this.models[x.model] })),
        analysis: analysis === false ? false : { prometheusUrl, ...analysis },
      });
    }
    return out;
  }

  /** Training jobs on the platform's pools, bound to their IRSA roles; each checkpoints to its prefix of the platform's bucket. */
  private addTrainingJobs(jobs: Readonly<Record<string, TeamTrainingJob>>, contract: PlatformContract, aws: TeamAwsBindings['trainingJobs']): Record<string, TrainingJob> {
    const pools: Record<string, PlatformTrainingPool> = {};
    const out: Record<string, TrainingJob> = {};
    const v: PropsValidator = new PropsValidator(this);
    for (const [id, teamJob] of Object.entries(jobs)) {
      const { pool: poolName, checkpoint } = teamJob;
      const job = trainingJobProps(teamJob);
      const spec = (contract.training?.pools ?? []).find((p) => p.name === poolName);
      v.check(spec !== undefined, `trainingJobs.${id}.pool`, poolName, 'names no training pool of the platform');
      const pool = pools[poolName] ?? new PlatformTrainingPool(this, `training-pool-${poolName}`, spec);
      pools[poolName] = pool;
      const name = teamTrainingJobName(id, job);
      const binding = aws?.[id];
      out[id] = pool.addTrainingJob(id, {
        ...job,
        checkpoint: { ...checkpoint, uri: binding?.checkpointUri ?? `s3://${contract.buckets.checkpoints}/checkpoints/${this.teamNamespace}/${name}/` },
        ...(binding ? { serviceAccountAnnotations: irsaAnnotations(binding.roleArn) } : {}),
      });
    }
    return out;
  }

  /** The DR policy the team's namespace is under: its own, else the platform's. */
  public static disasterRecovery(props: Pick<TeamChartProps, 'disasterRecovery' | 'platform'>): DisasterRecoveryPolicy | undefined {
    return props.disasterRecovery === false ? undefined : props.disasterRecovery ?? contractDisasterRecovery(props.platform);
  }

  /** One model: its service (bound to its AWS values and to the platform), canary and drift job, as in `ModelPlatformChart`. */
  private addModel(m: PlatformModel, preset: CostPresetSettings, contract: PlatformContract, aws: TeamAwsBindings | undefined): {
    model: AutoscaledModel; canary?: CanaryRollout; drift?: DriftCronJob;
  } {
    const { id: modelId, canary, drift, features, ...modelProps } = m;
    const gateway = contract.gateway;
    const model = new AutoscaledModel(this, modelId, bindModel({
      preset,
      ...modelProps,
      monitoring: { namespace: contract.monitoring.namespace, selectorLabels: contract.monitoring.selectorLabels, ...modelProps.monitoring },
      // Without its own sources a model admits its namespace and the platform's gateway.
      networkPolicy: gateway && modelProps.networkPolicy?.allowFrom === undefined
        ? { ...modelProps.networkPolicy, allowFrom: [{ namespace: gateway.namespace, podLabels: gateway.podLabels }, {}] }
        : modelProps.networkPolicy,
    }, aws?.models?.[modelId]));
    const fs = contract.featureStore;
    if (features && fs) {
      // What FeatureStore.connect does in one chart, from the contract: the server's URL and project, and egress to its pods.
      model.container.env.addVariable('FEAST_FEATURE_SERVER_URL', kplus.EnvValue.fromValue(fs.serverUrl));
      model.container.env.addVariable('FEAST_PROJECT', kplus.EnvValue.fromValue(fs.project));
      if (features.featureService !== undefined) {
        model.container.env.addVariable('FEAST_FEATURE_SERVICE', kplus.EnvValue.fromValue(features.featureService));
      }
      model.allowEgress({
        to: [{ podSelector: { matchLabels: { ...fs.serverSelectorLabels } }, namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': fs.namespace } } }],
        ports: [tcpPort(fs.serverPort)],
      });
      // The token the authenticated feature server reviews (the shared chart lists the team namespaces as its clients).
      mountServiceAccountToken(model);
    }
    const rollout = canary !== false ? new CanaryRollout(this, `${modelId}-canary`, { model, gateway: this.routeGateway, ...canary }) : undefined;
    if (!drift) {
      return { model, canary: rollout };
    }
    const role = aws?.driftRoles?.[modelId];
    const reportPrefix = drift.outputs?.reportPrefix ?? aws?.driftReports?.[modelId] ?? `s3://${contract.buckets.reports}/reports/${model.name}/`;
    const driftJob = new DriftCronJob(this, `${modelId}-drift`, {
      model,
      ...drift,
      outputs: { ...drift.outputs, reportPrefix },
      ...(role ? { serviceAccountAnnotations: irsaAnnotations(role) } : {}),
    });
    return { model, canary: rollout, drift: driftJob };
  }
}
