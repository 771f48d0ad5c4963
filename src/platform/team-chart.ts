import { readFileSync } from 'node:fs';
import { Chart } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { AutoscaledModel } from '../serving/autoscaled-model';
import { PlatformBackups, VolumeBackupMethod } from '../dr/backups';
import { CanaryRollout } from '../rollout/canary-rollout';
import { DriftCronJob } from '../drift/drift-cron-job';
import { PropsValidator } from '../core/errors';
import { irsaAnnotations } from '../core/labels';
import { tcpPort } from '../kube/network';
import { DisasterRecoveryPolicy } from '../policy/disaster-recovery';
import { CostPresetSettings } from '../policy/presets';
import { PlatformContract, contractDisasterRecovery, contractPreset, parsePlatformContract } from './contract';
import { bindModel, validateModelIds } from './models';
import { PlatformAwsBindings, PlatformModel } from './platform-chart';

/** AWS values of a team's models (from the Pulumi team stack, or literal values in a GitOps repo). */
export type TeamAwsBindings = Pick<PlatformAwsBindings, 'models' | 'driftRoles' | 'driftReports'>;

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
 * canary rollout, drift job) in the namespace the platform created for the
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
  /** Backups, when the team set its own DR policy. */
  public readonly backups?: PlatformBackups;

  constructor(scope: Construct, id: string, props: TeamChartProps) {
    const contract = parsePlatformContract({ ...props.platform }, `TeamChart ${id}`);
    const namespace = contract.namespaces.teams[props.team];
    const early: PropsValidator = new PropsValidator(`${scope.node.path ? `${scope.node.path}/` : ''}${id}`);
    early.check(namespace !== undefined, 'team', props.team, `is no team of the platform (teams: ${Object.keys(contract.namespaces.teams).join(', ') || 'none'})`);
    super(scope, id, { namespace });
    this.teamNamespace = namespace;
    const v: PropsValidator = new PropsValidator(this);
    validateModelIds(v, props.models.map((m) => m.id), 'aws.models', props.aws?.models);
    const fs = contract.featureStore;
    props.models.forEach((m, i) => {
      v.check(m.features === undefined || fs !== null, `models[${i}].features`, m.features, 'needs a platform with a feature store');
      const service = m.features?.featureService;
      v.check(service === undefined || (fs?.featureServices ?? []).includes(service), `models[${i}].features.featureService`, service,
        `names no feature service of the platform's store (feature services: ${(fs?.featureServices ?? []).join(', ') || 'none'})`);
    });

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
    // The platform's backups cover this namespace; a policy of the team's own adds schedules of its namespace.
    const dr = props.disasterRecovery === false ? undefined : props.disasterRecovery;
    this.backups = dr ? new PlatformBackups(this, 'backups', {
      name: `${namespace}-backups`, disasterRecovery: dr, namespaces: [namespace], volumeBackup: VolumeBackupMethod.NONE,
      services: Object.values(models).map((m) => ({ name: m.name, namespace: m.namespace, workload: m.workload })),
    }) : undefined;
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
    }
    const rollout = canary !== false ? new CanaryRollout(this, `${modelId}-canary`, { model, ...canary }) : undefined;
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
