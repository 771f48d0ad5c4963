import * as pulumi from '@pulumi/pulumi';
import { ObservabilityLinks, setObservabilityLinks } from '../monitoring/links';
import { App } from 'cdk8s';
import { componentLabel } from '../aws/policy';
import { SecureBucket, SecureBucketArgs } from '../aws/secure-bucket';
import { ChartDeployment } from '../bridge/chart-deployment';
import { PlatformBackupsAws } from '../dr/backups-aws';
import { FeatureStoreAws } from '../features/feature-store-aws';
import { SpotTrainingPoolAws } from '../training/spot-training-pool-aws';
import { PropsValidator } from '../core/errors';
import { CostPreset } from '../policy/presets';
import { FeatureStoreAwsBinding } from '../features/stores';
import { DisasterRecoveryAwsBinding } from '../dr/runbook';
import { ContractBuckets, PlatformContract } from './contract';
import { platformDisasterRecovery } from './platform-chart';
import { ExistingCluster, clusterResourceOptions, validateCluster, validateStackLinks, withLinks } from './serving-stack';
import { PlatformAwsArgs, platformBackupsAws, platformStoreAndPoolAws, trainingAwsBinding } from './platform-stack';
import { PlatformChart, PlatformChartAwsBindings, PlatformChartProps } from './shared-chart';

/** Arguments of a {@link PlatformStack}. */
export interface PlatformStackArgs extends PlatformAwsArgs {
  /** The existing EKS cluster. */
  readonly cluster: ExistingCluster;
  /** The platform: what the cdk8s `PlatformChart` takes, without what this stack fills in. */
  readonly platform: Omit<PlatformChartProps, 'aws' | 'cluster' | 'buckets'>;
  /** The model artifact bucket, when there is no DR policy (with one, the replicated `model-artifacts` bucket). @default - a new secure bucket */
  readonly artifacts?: SecureBucketArgs;
  /** The drift reports bucket, when there is no DR policy (with one, the replicated `drift-baselines` bucket). @default - a new secure bucket */
  readonly reports?: SecureBucketArgs;
}

/** The contract as one Output per field: export them as the stack's outputs (`export const { contractVersion, ... } = stack.outputs`). */
export type PlatformContractOutputs = { readonly [K in keyof PlatformContract]-?: pulumi.Output<NonNullable<PlatformContract[K]> | Extract<PlatformContract[K], null>> };

/**
 * The platform team's stack: the AWS halves of the shared parts (AWS Backup
 * and Velero from the DR policy, the artifact and reports buckets, the
 * feature store's online store, registry and roles, the spot training
 * prerequisites) and the {@link PlatformChart} through the bridge. Its
 * {@link PlatformContract} (`contract`, and `outputs` to export field by
 * field) is what team stacks read with `PlatformReference.fromStack`.
 */
export class PlatformStack extends pulumi.ComponentResource {
  /** Pulumi type token. */
  public static readonly TYPE = 'ml-platform:stacks:PlatformStack';

  /** Model artifacts (teams' models read their prefix). */
  public readonly artifacts: SecureBucket;
  /** Drift baselines and reports (teams' drift jobs write their prefix). */
  public readonly reports: SecureBucket;
  /** The feature store's AWS half. */
  public readonly featureStore?: FeatureStoreAws;
  /** Backups. */
  public readonly backups?: PlatformBackupsAws;
  /** Training pool prerequisites. */
  public readonly training?: SpotTrainingPoolAws;
  /** The contract the teams read. */
  public readonly contract: pulumi.Output<PlatformContract>;
  /** The contract, one Output per field (the stack outputs). */
  public readonly outputs: PlatformContractOutputs;
  /** The Kubernetes objects. */
  public readonly kubernetes: ChartDeployment<PlatformChartProps>;
  /** The cluster (the add-ons' cluster name, OIDC provider and Kubernetes provider come from here). */
  public readonly cluster: ExistingCluster;

  constructor(name: string, args: PlatformStackArgs, opts?: pulumi.ComponentResourceOptions) {
    const v: PropsValidator = new PropsValidator(componentLabel(PlatformStack.TYPE, name));
    validateCluster(v, args.cluster);
    const pool = args.platform.training?.pool;
    v.check(pool === undefined || pool.clusterName === args.cluster.name, 'platform.training.pool.clusterName', pool?.clusterName,
      `must equal 'cluster.name' (${args.cluster.name}): the node class's discovery tags and the Karpenter prerequisites must name one cluster`);
    validateStackLinks(v, [args.platform.preset], args.links);
    super(PlatformStack.TYPE, name, {}, opts);
    const p = args.platform;
    const ns = p.namespace;
    const oidc = args.cluster.oidcProvider;
    const tags = { 'ml-platform/cluster': args.cluster.name, ...args.tags };
    const child = { parent: this };
    const preset = p.preset ?? CostPreset.PRODUCTION;
    const dr = platformDisasterRecovery({ preset, disasterRecovery: p.disasterRecovery });
    this.backups = platformBackupsAws(name, args, dr, oidc, tags, child);
    this.artifacts = this.backups?.buckets['model-artifacts']
      ?? new SecureBucket(`${name}-artifacts`, { ...args.artifacts, tags: { ...tags, ...args.artifacts?.tags } }, child);
    this.reports = this.backups?.buckets['drift-baselines']
      ?? new SecureBucket(`${name}-reports`, { ...args.reports, tags: { ...tags, ...args.reports?.tags } }, child);
    const shared = platformStoreAndPoolAws(name, args, { ...p, preset }, { oidc, dr, backups: this.backups, tags }, child);
    ({ featureStore: this.featureStore, training: this.training } = shared);

    const aws = this.collectBindings(p);
    const cluster = pulumi.all([pulumi.output(args.cluster.oidcProvider.arn), pulumi.output(args.cluster.oidcProvider.url)])
      .apply(([arn, url]) => ({ name: args.cluster.name, oidcProviderArn: arn, oidcProviderUrl: url }));
    const checkpoints = this.training ? this.training.bucket.bucketName : pulumi.output(undefined);
    const buckets = pulumi.all([this.artifacts.bucketName, this.reports.bucketName, checkpoints])
      .apply(([artifacts, reports, c]): ContractBuckets => ({ artifacts, reports, ...(c !== undefined ? { checkpoints: c } : {}) }));
    this.kubernetes = new ChartDeployment<PlatformChartProps>(`${name}-platform`, {
      chart: withLinks((scope, props) => new PlatformChart(scope, ns, props), args.links),
      props: { ...p, cluster, buckets, aws },
    }, clusterResourceOptions(name, args.cluster, this));
    // The contract is what the chart states with the AWS values it received (rendered apart: a chart only computes, it declares no resource).
    this.contract = pulumi.all([cluster, buckets, aws])
      .apply(([c, b, a]) => new PlatformChart(linkedApp(args.links), ns, { ...p, cluster: c, buckets: b, aws: a }).contract);
    this.outputs = contractOutputs(this.contract);
    this.cluster = args.cluster;
    this.registerOutputs({ ...this.outputs });
  }

  private collectBindings(p: PlatformStackArgs['platform']): pulumi.Output<PlatformChartAwsBindings> {
    const none = pulumi.output(undefined);
    const featureStore: pulumi.Output<FeatureStoreAwsBinding | undefined> = this.featureStore ? this.featureStore.binding : none;
    const backups: pulumi.Output<DisasterRecoveryAwsBinding | undefined> = this.backups ? this.backups.runbookBinding : none;
    const training = trainingAwsBinding(this.training, p);
    return pulumi.all([featureStore, backups, training]).apply(([fs, bk, tr]) => ({
      ...(fs ? { featureStore: fs } : {}), ...(bk ? { backups: bk } : {}), ...(tr ? { training: tr } : {}),
    }));
  }
}

/** One Output per contract field. */
function contractOutputs(contract: pulumi.Output<PlatformContract>): PlatformContractOutputs {
  return {
    contractVersion: contract.apply((c) => c.contractVersion),
    cluster: contract.apply((c) => c.cluster),
    namespaces: contract.apply((c) => c.namespaces),
    preset: contract.apply((c) => c.preset),
    featureStore: contract.apply((c) => c.featureStore),
    buckets: contract.apply((c) => c.buckets),
    disasterRecovery: contract.apply((c) => c.disasterRecovery),
    gateway: contract.apply((c) => c.gateway),
    monitoring: contract.apply((c) => c.monitoring),
    training: contract.apply((c) => c.training ?? null),
  };
}

/** An App carrying the alerts' links, to render a chart apart from its deployment. */
function linkedApp(links: ObservabilityLinks | undefined): App {
  const app = new App();
  if (links) {
    setObservabilityLinks(app, links);
  }
  return app;
}
