import * as pulumi from '@pulumi/pulumi';
import { ObservabilityLinks } from '../monitoring/links';
import { OidcProvider } from '../aws/irsa-role';
import { componentLabel } from '../aws/policy';
import { SecureBucket, SecureBucketArgs } from '../aws/secure-bucket';
import { ChartDeployment } from '../bridge/chart-deployment';
import { PlatformBackupsAws, PlatformBackupsAwsArgs } from '../dr/backups-aws';
import { driftAthenaWindows, driftWorkgroupName, validateDriftEngine } from '../drift/athena-config';
import { DriftMonitoringAws } from '../drift/drift-cron-job-aws';
import { FeatureOnlineStoreEngine, FeatureStoreAws, FeatureStoreAwsArgs } from '../features/feature-store-aws';
import { ModelServiceAws } from '../serving/model-service-aws';
import { SpotTrainingPoolAws, SpotTrainingPoolAwsArgs } from '../training/spot-training-pool-aws';
import { PropsValidator } from '../core/errors';
import { valueAt } from '../core/json';
import { DisasterRecoveryAwsBinding } from '../dr/runbook';
import { DisasterRecoveryPolicy } from '../policy/disaster-recovery';
import { FeatureStoreAwsBinding } from '../features/stores';
import { ModelPlatformChart, ModelPlatformProps, PlatformAwsBindings, PlatformModel, TrainingAwsBinding, platformDisasterRecovery } from './platform-chart';
import { ExistingCluster, ServingStackConfig, clusterFromConfig, clusterResourceOptions, linksFromConfig, modelBindings, readServingStackConfig, validateCluster, validateStackLinks, withLinks } from './serving-stack';

/** The AWS sides of a platform's shared parts, and its alert links: what {@link ModelPlatformStack} and `PlatformStack` both take. */
export interface PlatformAwsArgs {
  /** AWS side of the feature store (online store engine and network). @default - DynamoDB online store */
  readonly featureStore?: Pick<FeatureStoreAwsArgs, 'onlineStore' | 'redis' | 'dynamoDb' | 'storage' | 'bucket' | 'offlineStoreStatements'>;
  /** AWS side of the backups. @default - vaults, plan and Velero bucket from the platform's DR policy */
  readonly backups?: Omit<PlatformBackupsAwsArgs, 'disasterRecovery'>;
  /** AWS side of the training pool. @default - Karpenter prerequisites and a checkpoint bucket */
  readonly training?: Omit<SpotTrainingPoolAwsArgs, 'poolName' | 'clusterName' | 'namespace' | 'oidcProvider' | 'jobs'>;
  /** Tags of every AWS resource. @default { 'ml-platform/cluster': <cluster name> } */
  readonly tags?: Readonly<Record<string, string>>;
  /**
   * Where the rendered alerts link to (absolute runbook and Grafana panel URLs), as
   * `setObservabilityLinks(app, ...)` does for `cdk8s synth`; required by presets with `requireObservabilityLinks` (PRODUCTION).
   * @default - none: relative runbook links and dashboard paths
   */
  readonly links?: ObservabilityLinks;
}

/** Arguments of a {@link ModelPlatformStack}. */
export interface ModelPlatformStackArgs extends PlatformAwsArgs {
  /** The existing EKS cluster. */
  readonly cluster: ExistingCluster;
  /** The platform: the same typed config the cdk8s chart takes. */
  readonly platform: Omit<ModelPlatformProps, 'aws'>;
  /** The shared model artifact bucket. @default - a new secure bucket */
  readonly artifacts?: SecureBucketArgs;
  /** Create an ECR repository per model. @default false */
  readonly imageRepositories?: boolean;
}

/**
 * The whole model platform on AWS for an existing EKS cluster: the AWS half
 * of every construct the platform config uses (artifact bucket and IRSA role
 * per model, drift buckets and roles, the feature store's online store,
 * registry and roles, AWS Backup vaults and plan with the Velero bucket,
 * spot training prerequisites and checkpoint roles), and the
 * {@link ModelPlatformChart} deployed through the bridge with every AWS value
 * filled in.
 */
export class ModelPlatformStack extends pulumi.ComponentResource {
  /** Pulumi type token. */
  public static readonly TYPE = 'ml-platform:stacks:ModelPlatformStack';

  /** Model artifacts. */
  public readonly artifacts: SecureBucket;
  /** AWS halves of the models, by id. */
  public readonly models: Readonly<Record<string, ModelServiceAws>>;
  /** AWS halves of the drift jobs, by model id. */
  public readonly drift: Readonly<Record<string, DriftMonitoringAws>>;
  /** The feature store's AWS half. */
  public readonly featureStore?: FeatureStoreAws;
  /** Backups. */
  public readonly backups?: PlatformBackupsAws;
  /** Training pool prerequisites. */
  public readonly training?: SpotTrainingPoolAws;
  /** Every AWS value the chart received. */
  public readonly bindings: pulumi.Output<PlatformAwsBindings>;
  /** The Kubernetes objects. */
  public readonly kubernetes: ChartDeployment<ModelPlatformProps>;

  constructor(name: string, args: ModelPlatformStackArgs, opts?: pulumi.ComponentResourceOptions) {
    const v: PropsValidator = new PropsValidator(componentLabel(ModelPlatformStack.TYPE, name));
    validateCluster(v, args.cluster);
    v.check(args.platform.models.length > 0, 'platform.models', [], 'must list at least one model');
    // With a DR policy the artifacts live in the backups' replicated bucket: an existing bucket cannot be used silently instead.
    v.check(!(platformDisasterRecovery(args.platform) && args.artifacts?.existingBucketName !== undefined), 'artifacts.existingBucketName', args.artifacts?.existingBucketName,
      'cannot be used with a DR policy (stack config `existingArtifactBucket`): cross-region replication, versioning and the replica are set up '
      + 'when the replicated model-artifacts bucket is created, and this stack never changes a bucket it does not own; copy the artifacts into '
      + "the stack's replicated bucket (output artifactBucket) and unset it, or set 'platform.disasterRecovery: false'");
    v.check(!(platformDisasterRecovery(args.platform) && args.artifacts !== undefined), 'artifacts', 'set',
      "is not used with a DR policy: configure the replicated bucket with 'backups.replicatedBuckets[\"model-artifacts\"]'");
    validateModelDriftEngines(v, 'platform.models', args.platform.models);
    validateStackLinks(v, [args.platform.preset, ...args.platform.models.map((m) => m.preset ?? args.platform.preset)], args.links);
    super(ModelPlatformStack.TYPE, name, {}, opts);
    const p = args.platform;
    const ns = p.namespace;
    const oidc = args.cluster.oidcProvider;
    const tags = { 'ml-platform/cluster': args.cluster.name, ...args.tags };
    const child = { parent: this };
    const dr = platformDisasterRecovery(p);
    const drillNamespace = p.backups?.drill ? (p.backups.drill.scratchNamespace ?? `${ns}-drill`) : undefined;

    this.backups = platformBackupsAws(name, args, dr, oidc, tags, child);
    // With a DR policy the artifacts live in the backups' replicated model-artifacts bucket.
    this.artifacts = this.backups?.buckets['model-artifacts']
      ?? new SecureBucket(`${name}-artifacts`, { ...args.artifacts, tags: { ...tags, ...args.artifacts?.tags } }, child);
    const halves = modelAwsHalves(name, p.models, {
      namespace: ns, oidcProvider: oidc, artifacts: this.artifacts, reports: this.backups?.buckets['drift-baselines'],
      imageRepositories: args.imageRepositories, drillNamespace, tags,
    }, child);
    this.models = halves.models;
    this.drift = halves.drift;

    ({ featureStore: this.featureStore, training: this.training } = platformStoreAndPoolAws(name, args, p, { oidc, dr, backups: this.backups, tags }, child));

    this.bindings = this.collectBindings(p);
    this.kubernetes = new ChartDeployment<ModelPlatformProps>(`${name}-platform`, {
      chart: withLinks((scope, props) => new ModelPlatformChart(scope, p.namespace, props), args.links),
      props: { ...p, aws: this.bindings },
    }, clusterResourceOptions(name, args.cluster, this));
    this.registerOutputs({ bindings: this.bindings, artifactBucket: this.artifacts.bucketName });
  }

  private collectBindings(p: Omit<ModelPlatformProps, 'aws'>): pulumi.Output<PlatformAwsBindings> {
    const record = (entries: Array<[string, pulumi.Output<string>]>): pulumi.Output<Record<string, string>> => pulumi.all(Object.fromEntries(entries));
    const models = modelBindings(this.models);
    const driftRoles = record(Object.entries(this.drift).map(([id, d]) => [id, d.roleArn]));
    const driftReports = record(Object.entries(this.drift).map(([id, d]) => [id, d.reportPrefix]));
    const none = pulumi.output(undefined);
    const featureStore: pulumi.Output<FeatureStoreAwsBinding | undefined> = this.featureStore ? this.featureStore.binding : none;
    const backups: pulumi.Output<DisasterRecoveryAwsBinding | undefined> = this.backups ? this.backups.runbookBinding : none;
    const training = trainingAwsBinding(this.training, p);
    return pulumi.all([models, driftRoles, driftReports, featureStore, backups, training])
      .apply(([m, dr, rep, fs, bk, tr]) => ({
        models: m, driftRoles: dr, driftReports: rep,
        ...(fs ? { featureStore: fs } : {}), ...(bk ? { backups: bk } : {}), ...(tr ? { training: tr } : {}),
      }));
  }
}

/** A {@link ModelPlatformStack} for the cluster in the stack configuration (see {@link readServingStackConfig}). */
export function platformStackFromConfig(name: string, platform: Omit<ModelPlatformProps, 'aws'>, config: ServingStackConfig = readServingStackConfig(),
  extra: Omit<ModelPlatformStackArgs, 'cluster' | 'platform'> = {}): ModelPlatformStack {
  return new ModelPlatformStack(name, {
    ...extra,
    cluster: clusterFromConfig(config),
    platform: { ...platform, namespace: config.namespace ?? platform.namespace },
    artifacts: config.existingArtifactBucket ? { existingBucketName: config.existingArtifactBucket } : extra.artifacts,
    imageRepositories: config.imageRepositories ?? extra.imageRepositories,
    links: linksFromConfig(config, extra.links),
  });
}

/** Where the AWS halves of a set of models go. @internal */
export interface ModelAwsHalvesOptions {
  readonly namespace: string;
  readonly oidcProvider: OidcProvider;
  readonly artifacts: SecureBucket;
  /** The shared drift reports bucket. @default - one bucket per drift role */
  readonly reports?: SecureBucket;
  readonly imageRepositories?: boolean;
  /** The restore drill's scratch namespace, whose copy of each model may use its role too. @default - none */
  readonly drillNamespace?: string;
  readonly tags: Readonly<Record<string, string>>;
}

/** The training pool's values for the chart: the instance profile, and each job's role and checkpoint prefix. @internal */
export function trainingAwsBinding(
  pool: SpotTrainingPoolAws | undefined, p: Pick<ModelPlatformProps, 'namespace' | 'training'>,
): pulumi.Output<TrainingAwsBinding | undefined> {
  if (!pool) return pulumi.output(undefined);
  return pulumi.all([
    pool.instanceProfileName ?? pulumi.output(undefined),
    pulumi.all(Object.fromEntries(Object.entries(pool.jobRoles).map(([job, role]) => [job, role.roleArn]))),
    pool.bucket.bucketName,
  ]).apply(([instanceProfile, roles, bucket]) => ({
    ...(instanceProfile ? { instanceProfile } : {}),
    jobs: Object.fromEntries(Object.entries(p.training?.jobs ?? {}).map(([id, job]) => {
      const jobName = job.name ?? id;
      return [id, { roleArn: roles[jobName], checkpointUri: `s3://${bucket}/checkpoints/${p.namespace}/${jobName}/` }];
    })),
  }));
}

/** The DR backups of a platform with a DR policy; Velero's bucket and IRSA role come with them unless configured. @internal */
export function platformBackupsAws(
  name: string, args: PlatformAwsArgs, dr: DisasterRecoveryPolicy | undefined, oidc: OidcProvider,
  tags: Readonly<Record<string, string>>, child: pulumi.ComponentResourceOptions,
): PlatformBackupsAws | undefined {
  if (!dr) return undefined;
  return new PlatformBackupsAws(`${name}-dr`, {
    ...args.backups, disasterRecovery: dr, velero: args.backups?.velero ?? { oidcProvider: oidc }, tags: { ...tags, ...args.backups?.tags },
  }, child);
}

/**
 * A platform's feature store (DynamoDB online store by default; with a DR
 * policy its registry in the replicated bucket and its online tables in the
 * backup plan) and spot training pool. One implementation for
 * `ModelPlatformStack` and `PlatformStack`. @internal
 */
export function platformStoreAndPoolAws(
  name: string,
  args: PlatformAwsArgs & { readonly cluster: ExistingCluster },
  p: Pick<ModelPlatformProps, 'namespace' | 'preset' | 'featureStore' | 'training'>,
  o: { oidc: OidcProvider; dr?: DisasterRecoveryPolicy; backups?: PlatformBackupsAws; tags: Readonly<Record<string, string>> },
  child: pulumi.ComponentResourceOptions,
): { featureStore?: FeatureStoreAws; training?: SpotTrainingPoolAws } {
  const fs = p.featureStore;
  const featureStore = fs && new FeatureStoreAws(`${name}-features`, {
    // DynamoDB needs no VPC wiring: the simplest online store to start with.
    onlineStore: FeatureOnlineStoreEngine.DYNAMODB,
    // With a DR policy the registry and offline data live in the replicated feature-registry bucket.
    ...(o.backups && !args.featureStore?.storage && !args.featureStore?.bucket ? { bucket: o.backups.buckets['feature-registry'] } : {}),
    ...args.featureStore,
    storeName: fs.name ?? 'features', namespace: p.namespace, project: fs.project ?? fs.name ?? 'features', features: fs.features, oidcProvider: o.oidc,
    mode: fs.mode, preset: p.preset, disasterRecovery: o.dr, tags: o.tags,
  }, child);
  if (o.backups && featureStore && Object.keys(featureStore.tables).length > 0) {
    // The online tables' point-in-time recovery stays in-region: the backup plan copies them to the DR region.
    o.backups.protect('feature-tables', Object.values(featureStore.tables).map((t) => t.arn));
  }
  const training = p.training;
  return {
    ...(featureStore ? { featureStore } : {}),
    ...(training ? {
      training: new SpotTrainingPoolAws(`${name}-training`, {
        ...args.training, poolName: training.pool.name ?? 'training', clusterName: args.cluster.name, namespace: p.namespace, oidcProvider: o.oidc,
        tags: { ...o.tags, ...args.training?.tags },
        jobs: Object.entries(training.jobs ?? {}).map(([id, job]) => ({ name: job.name ?? id, dataUris: training.dataUris?.[id] })),
      }, child),
    } : {}),
  };
}

/**
 * The drift checks' engine settings, checked before the stack registers
 * anything (their Athena tables and workgroups are created from them). @internal
 */
export function validateModelDriftEngines(v: PropsValidator, prefix: string, models: readonly PlatformModel[]): void {
  models.forEach((m, i) => {
    if (m.drift === undefined) return;
    const config = { ...m.drift, model: m.name ?? m.id };
    const workgroup = m.drift.athena?.workgroup;
    // the stack creates the workgroup the job's config names by default
    v.check(workgroup === undefined || workgroup === driftWorkgroupName(config.model), `${prefix}[${i}].drift.athena.workgroup`, workgroup,
      `must be omitted: the stack creates the workgroup '${driftWorkgroupName(config.model)}' the job uses by default`);
    const problem = validateDriftEngine(config)[0];
    if (problem === undefined) return;
    const at = problem.indexOf(': ');
    const path = problem.slice(0, at);
    v.fail(`${prefix}[${i}].drift.${path}`, valueAt(config, ...path.split(/\.|\[(\d+)\]/).filter((k) => k !== undefined && k !== '')), problem.slice(at + 2));
  });
}

/**
 * The AWS half of each model: its IRSA role on its artifact prefix (and ECR
 * repository), and a drift role for the models with a drift check. One
 * implementation for `ModelPlatformStack` and `TeamStack`, so both create the
 * same resources under the same names. @internal
 */
export function modelAwsHalves(name: string, models: readonly PlatformModel[], o: ModelAwsHalvesOptions, opts: pulumi.ComponentResourceOptions): {
  models: Record<string, ModelServiceAws>;
  drift: Record<string, DriftMonitoringAws>;
} {
  const out: Record<string, ModelServiceAws> = {};
  const drift: Record<string, DriftMonitoringAws> = {};
  for (const m of models) {
    out[m.id] = new ModelServiceAws(`${name}-${m.id}`, {
      modelName: m.name ?? m.id, namespace: o.namespace, oidcProvider: o.oidcProvider, bucket: o.artifacts, imageRepository: o.imageRepositories,
      restoreNamespaces: o.drillNamespace ? [o.drillNamespace] : undefined, tags: o.tags,
    }, opts);
    if (m.drift) {
      const dataUris = [m.drift.reference.uri, m.drift.current.uri].filter((u) => u.startsWith('s3://')).map((u) => u.replace(/[^/]*$/, ''));
      // engine 'athena': the workgroup the job's config names by default, the tables over S3 prefixes, and the grants
      const tables = driftAthenaWindows({ ...m.drift, model: m.name ?? m.id });
      drift[m.id] = new DriftMonitoringAws(`${name}-${m.id}-drift`, {
        modelName: m.name ?? m.id, namespace: o.namespace, oidcProvider: o.oidcProvider, dataUris, tags: o.tags, sharedBucket: o.reports,
        ...(tables.length > 0 ? { athena: { tables } } : {}),
      }, opts);
    }
  }
  return { models: out, drift };
}
