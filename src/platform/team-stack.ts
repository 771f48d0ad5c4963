import * as pulumi from '@pulumi/pulumi';
import { ObservabilityLinks } from '../monitoring/links';
import { componentLabel } from '../aws/policy';
import { SecureBucket } from '../aws/secure-bucket';
import { ChartDeployment } from '../bridge/chart-deployment';
import { DriftMonitoringAws } from '../drift/drift-cron-job-aws';
import { ModelServiceAws } from '../serving/model-service-aws';
import { IrsaRole } from '../aws/irsa-role';
import { TrainingJobAccess, resolveTrainingJobAccess, trainingJobRoles } from '../training/spot-training-pool-aws';
import { PropsValidator } from '../core/errors';
import { DisasterRecoveryPolicy } from '../policy/disaster-recovery';
import { CostPresetSettings } from '../policy/presets';
import { PlatformModel } from './platform-chart';
import { modelAwsHalves, validateModelDriftEngines } from './platform-stack';
import { GatewayRef } from '../traffic/gateway';
import { PlatformReference } from './platform-reference-stack';
import { ExistingCluster, clusterResourceOptions, modelBindings, withLinks } from './serving-stack';
import { TeamAbTest, TeamAwsBindings, TeamChart, TeamChartProps, TeamTrainingJob, teamTrainingJobName, validateTeamParts } from './team-chart';

/** Arguments of a {@link TeamStack}. */
export interface TeamStackArgs {
  /** The platform, read from its stack (`await PlatformReference.fromStack('org/platform/prod')`). */
  readonly platform: PlatformReference;
  /** The team's id in the platform's contract (`namespaces.teams`). */
  readonly team: string;
  /** The team's models. */
  readonly models: readonly PlatformModel[];
  /** A/B tests between the team's models (variants with `canary: false`). @default - none */
  readonly abTests?: readonly TeamAbTest[];
  /** Training jobs on the platform's spot pools, by id; each gets an IRSA role on its checkpoint prefix and data. @default - none */
  readonly trainingJobs?: Readonly<Record<string, TeamTrainingJob>>;
  /** Preset of models that set none. @default - the platform's */
  readonly preset?: CostPresetSettings;
  /** A DR policy of the team's own; `false` for none. @default - the platform's (its backups cover the team's namespace) */
  readonly disasterRecovery?: DisasterRecoveryPolicy | false;
  /**
   * The model gateway the team's canaries and A/B tests bind their routes to, as `TeamChart`'s `gateway`.
   * @default - the platform's model gateway from the contract; without one each canary and A/B test needs its own `gateway` or `meshCallers`
   */
  readonly gateway?: GatewayRef;
  /** How the team reaches the platform's cluster. @default - the ambient kubeconfig */
  readonly clusterAccess?: Pick<ExistingCluster, 'kubeconfig' | 'provider'>;
  /** Create an ECR repository per model. @default false */
  readonly imageRepositories?: boolean;
  /** Tags of every AWS resource. @default { 'ml-platform/cluster': <the platform's cluster> } */
  readonly tags?: Readonly<Record<string, string>>;
  /**
   * Where the rendered alerts link to (absolute runbook and Grafana panel URLs), as
   * `setObservabilityLinks(app, ...)` does for `cdk8s synth`; required by presets with `requireObservabilityLinks` (PRODUCTION).
   * @default - none: relative runbook links and dashboard paths
   */
  readonly links?: ObservabilityLinks;
}

/**
 * An ML team's stack on a shared platform: per model the AWS half (IRSA
 * role reading its prefix of the platform's artifact bucket, optional ECR
 * repository) and the drift job's role writing to the platform's reports
 * bucket, per training job the IRSA role reading and writing its prefix of
 * the platform's checkpoint bucket (the role `SpotTrainingPoolAws` creates
 * for the platform's own jobs), then the {@link TeamChart} (models, A/B
 * tests, training jobs) through the bridge with every AWS value filled in. Everything shared (cluster, OIDC provider, buckets, preset, DR
 * policy, feature store, monitoring, gateway) comes from the platform's
 * typed contract. Its model resources are those `ModelPlatformStack`
 * creates for the same models (same types, names and inputs).
 */
export class TeamStack extends pulumi.ComponentResource {
  /** Pulumi type token. */
  public static readonly TYPE = 'ml-platform:stacks:TeamStack';

  /** The platform's artifact bucket (imported by name). */
  public readonly artifacts: SecureBucket;
  /** The platform's reports bucket (imported by name), when a model has a drift job. */
  public readonly reports?: SecureBucket;
  /** AWS halves of the models, by id. */
  public readonly models: Readonly<Record<string, ModelServiceAws>>;
  /** AWS halves of the drift jobs, by model id. */
  public readonly drift: Readonly<Record<string, DriftMonitoringAws>>;
  /** The platform's checkpoint bucket (imported by name), when the team has training jobs. */
  public readonly checkpoints?: SecureBucket;
  /** IRSA roles of the training jobs, by job id. */
  public readonly trainingRoles: Readonly<Record<string, IrsaRole>>;
  /** Every AWS value the chart received. */
  public readonly bindings: pulumi.Output<TeamAwsBindings>;
  /** The Kubernetes objects. */
  public readonly kubernetes: ChartDeployment<TeamChartProps>;

  constructor(name: string, args: TeamStackArgs, opts?: pulumi.ComponentResourceOptions) {
    const v: PropsValidator = new PropsValidator(componentLabel(TeamStack.TYPE, name));
    const contract = args.platform.contract;
    const ns = contract.namespaces.teams[args.team];
    v.check(ns !== undefined, 'team', args.team, `is no team of the platform of ${args.platform.source} (teams: ${Object.keys(contract.namespaces.teams).join(', ') || 'none'})`);
    v.check(args.models.length > 0, 'models', [], 'must list at least one model');
    validateTeamParts(v, contract, args);
    validateModelDriftEngines(v, 'models', args.models);
    const jobs = Object.entries(args.trainingJobs ?? {})
      .map(([id, job]): [string, TrainingJobAccess] => [id, { name: teamTrainingJobName(id, job), dataUris: job.dataUris }]);
    // The platform's bucket expires `checkpoints/`: each job's prefix is `checkpoints/<namespace>/<job>/`.
    const access = resolveTrainingJobAccess(v, ns, jobs.map(([, job]) => job), true);
    super(TeamStack.TYPE, name, {}, opts);
    const cluster = args.platform.cluster(args.clusterAccess);
    const oidc = cluster.oidcProvider;
    const tags = { 'ml-platform/cluster': cluster.name, ...args.tags };
    const child = { parent: this };
    const drillNamespace = contract.disasterRecovery?.drillNamespace;

    this.artifacts = new SecureBucket(`${name}-artifacts`, { existingBucketName: contract.buckets.artifacts }, child);
    this.reports = args.models.some((m) => m.drift) ? new SecureBucket(`${name}-reports`, { existingBucketName: contract.buckets.reports }, child) : undefined;
    const halves = modelAwsHalves(name, args.models, {
      namespace: ns, oidcProvider: oidc, artifacts: this.artifacts, reports: this.reports, imageRepositories: args.imageRepositories, drillNamespace, tags,
    }, child);
    this.models = halves.models;
    this.drift = halves.drift;
    const checkpointBucket = contract.buckets.checkpoints;
    this.checkpoints = jobs.length > 0 && checkpointBucket !== undefined
      ? new SecureBucket(`${name}-checkpoints`, { existingBucketName: checkpointBucket }, child) : undefined;
    const roles = this.checkpoints
      ? trainingJobRoles(`${name}-training`, { oidcProvider: oidc, namespace: ns, bucket: this.checkpoints, jobs: jobs.map(([, job]) => job), access, tags }, this)
      : {};
    this.trainingRoles = Object.fromEntries(jobs.map(([id, job]) => [id, roles[job.name]]));
    const trainingJobs = pulumi.all(Object.fromEntries(jobs.map(([id, job]) => [id, this.trainingRoles[id].roleArn.apply((roleArn) => ({
      roleArn, checkpointUri: `s3://${checkpointBucket}/${access.prefixes[job.name]}`,
    }))])));

    const record = (entries: Array<[string, pulumi.Output<string>]>): pulumi.Output<Record<string, string>> => pulumi.all(Object.fromEntries(entries));
    this.bindings = pulumi.all([
      modelBindings(this.models),
      record(Object.entries(this.drift).map(([id, d]) => [id, d.roleArn])),
      record(Object.entries(this.drift).map(([id, d]) => [id, d.reportPrefix])),
      trainingJobs,
    ]).apply(([m, driftRoles, driftReports, t]) => ({ models: m, driftRoles, driftReports, ...(jobs.length > 0 ? { trainingJobs: t } : {}) }));
    this.kubernetes = new ChartDeployment<TeamChartProps>(`${name}-team`, {
      chart: withLinks((scope, props) => new TeamChart(scope, args.team, props), args.links),
      props: {
        team: args.team, platform: contract, models: args.models, abTests: args.abTests, trainingJobs: args.trainingJobs,
        preset: args.preset, disasterRecovery: args.disasterRecovery, gateway: args.gateway, aws: this.bindings,
      },
    }, clusterResourceOptions(name, cluster, this));
    this.registerOutputs({ bindings: this.bindings });
  }
}
