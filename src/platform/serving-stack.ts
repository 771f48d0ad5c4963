import * as k8s from '@pulumi/kubernetes';
import * as pulumi from '@pulumi/pulumi';
import { ObservabilityLinks, setObservabilityLinks } from '../monitoring/links';
import { OidcProvider } from '../aws/irsa-role';
import { componentLabel } from '../aws/policy';
import { SecureBucket, SecureBucketArgs } from '../aws/secure-bucket';
import { ChartDeployment, ChartFactory } from '../bridge/chart-deployment';
import { ModelServiceAws } from '../serving/model-service-aws';
import { PropsValidator } from '../core/errors';
import { CostPreset, CostPresetSettings } from '../policy/presets';
import { ModelAwsBinding, ServingChart, ServingChartProps, ServingModel } from './serving-chart';

/** The existing EKS cluster a stack deploys into. */
export interface ExistingCluster {
  /** Cluster name (tags, descriptions). */
  readonly name: string;
  /** Its IAM OIDC provider (for IRSA). */
  readonly oidcProvider: OidcProvider;
  /** Kubeconfig to reach it; a Kubernetes provider is created from it. @default - the `provider` given, or the ambient kubeconfig */
  readonly kubeconfig?: pulumi.Input<string>;
  /** A Kubernetes provider to use instead of `kubeconfig`. @default - none */
  readonly provider?: k8s.Provider;
}

/** Arguments of a {@link ModelServingStack}. */
export interface ModelServingStackArgs {
  /** The cluster. */
  readonly cluster: ExistingCluster;
  /** Namespace of the serving plane. */
  readonly namespace: string;
  /** The models. */
  readonly models: readonly ServingModel[];
  /** Preset of models that set none. @default - PRODUCTION */
  readonly preset?: CostPresetSettings;
  /** The shared model artifact bucket. @default - a new secure bucket */
  readonly artifacts?: SecureBucketArgs;
  /** Create an ECR repository per model. @default false */
  readonly imageRepositories?: boolean;
  /** Render the namespace. @default true */
  readonly createNamespace?: boolean;
  /** Tags of every AWS resource. @default { 'ml-platform/cluster': <cluster name> } */
  readonly tags?: Readonly<Record<string, string>>;
  /**
   * Where the rendered alerts link to (absolute runbook and Grafana panel URLs), as
   * `setObservabilityLinks(app, ...)` does for `cdk8s synth`; required by presets with `requireObservabilityLinks` (PRODUCTION).
   * @default - none: relative runbook links and dashboard paths
   */
  readonly links?: ObservabilityLinks;
}

/**
 * The serving plane on AWS for an existing EKS cluster: one secure artifact
 * bucket, per model an IRSA role reading only its own prefix (and optionally
 * an ECR repository), and the {@link ServingChart} deployed through the
 * bridge with the role ARNs and artifact URIs filled in.
 */
export class ModelServingStack extends pulumi.ComponentResource {
  /** Pulumi type token. */
  public static readonly TYPE = 'ml-platform:stacks:ModelServingStack';

  /** The artifact bucket. */
  public readonly artifacts: SecureBucket;
  /** AWS halves by model id. */
  public readonly models: Readonly<Record<string, ModelServiceAws>>;
  /** The Kubernetes objects. */
  public readonly kubernetes: ChartDeployment<ServingChartProps>;
  /** Role ARN and model URI by model id. */
  public readonly bindings: pulumi.Output<Record<string, ModelAwsBinding>>;

  constructor(name: string, args: ModelServingStackArgs, opts?: pulumi.ComponentResourceOptions) {
    const v: PropsValidator = new PropsValidator(componentLabel(ModelServingStack.TYPE, name));
    validateCluster(v, args.cluster);
    v.check(args.models.length > 0, 'models', args.models, 'must list at least one model');
    validateStackLinks(v, args.models.map((m) => m.preset ?? args.preset), args.links);
    super(ModelServingStack.TYPE, name, {}, opts);
    const tags = { 'ml-platform/cluster': args.cluster.name, ...args.tags };

    this.artifacts = new SecureBucket(`${name}-artifacts`, { ...args.artifacts, tags: { ...tags, ...args.artifacts?.tags } }, { parent: this });
    const models: Record<string, ModelServiceAws> = {};
    for (const model of args.models) {
      models[model.id] = new ModelServiceAws(`${name}-${model.id}`, {
        modelName: model.name ?? model.id,
        namespace: args.namespace,
        oidcProvider: args.cluster.oidcProvider,
        bucket: this.artifacts,
        imageRepository: args.imageRepositories,
        tags,
      }, { parent: this });
    }
    this.models = models;
    this.bindings = modelBindings(models);

    this.kubernetes = new ChartDeployment<ServingChartProps>(`${name}-serving`, {
      chart: withLinks((scope, props) => new ServingChart(scope, 'serving', props), args.links),
      props: {
        namespace: args.namespace,
        models: args.models,
        preset: args.preset,
        createNamespace: args.createNamespace,
        aws: this.bindings,
      },
    }, clusterResourceOptions(name, args.cluster, this));
    this.registerOutputs({ bindings: this.bindings, bucketName: this.artifacts.bucketName });
  }
}

/**
 * A chart factory whose charts render under the alerts' `links` (what
 * `setObservabilityLinks(app, ...)` does for `cdk8s synth`): the bridge renders
 * each deployment in an App of its own. @internal
 */
export function withLinks<P>(factory: ChartFactory<P>, links: ObservabilityLinks | undefined): ChartFactory<P> {
  return (scope, props) => {
    if (links) {
      setObservabilityLinks(scope, links);
    }
    factory(scope, props);
  };
}

/**
 * Checks, before anything is registered, that a stack whose presets require
 * absolute alert links (PRODUCTION; a preset left unset is PRODUCTION) has
 * them: otherwise the charts would fail inside a Pulumi apply. @internal
 */
export function validateStackLinks(v: PropsValidator, presets: ReadonlyArray<CostPresetSettings | undefined>, links: ObservabilityLinks | undefined): void {
  const requiring = presets.map((p) => p ?? CostPreset.PRODUCTION).filter((p) => p.requireObservabilityLinks === true).map((p) => p.name);
  if (requiring.length === 0) {
    return;
  }
  const hint = `are required by the preset ${[...new Set(requiring)].join(', ')}: pass links: { grafanaUrl, runbookBaseUrl } `
    + '(stack config grafanaUrl and runbookBaseUrl), absolute http(s) URLs';
  v.check(links?.runbookBaseUrl !== undefined && /^https?:\/\//.test(links.runbookBaseUrl), 'links.runbookBaseUrl', links?.runbookBaseUrl, hint);
  v.check(links?.grafanaUrl !== undefined && /^https?:\/\//.test(links.grafanaUrl), 'links.grafanaUrl', links?.grafanaUrl, hint);
}

/** Checks the cluster of a stack: `kubeconfig` and `provider` exclude each other. @internal */
export function validateCluster(v: PropsValidator, cluster: ExistingCluster): void {
  v.check(!(cluster.kubeconfig && cluster.provider), 'cluster.kubeconfig', '<kubeconfig>', "cannot be combined with 'cluster.provider'");
}

/**
 * Options of a stack's Kubernetes resources: child of `parent`, on the
 * cluster's provider, or on a provider (`<name>-k8s`) created from its
 * kubeconfig, or on the ambient kubeconfig. @internal
 */
export function clusterResourceOptions(name: string, cluster: ExistingCluster, parent: pulumi.Resource): pulumi.ComponentResourceOptions {
  const provider = cluster.provider ?? (cluster.kubeconfig ? new k8s.Provider(`${name}-k8s`, { kubeconfig: cluster.kubeconfig }, { parent }) : undefined);
  return { parent, ...(provider ? { providers: { kubernetes: provider } } : {}) };
}

/** Role ARN and artifact URI of every model, by model id. @internal */
export function modelBindings(models: Readonly<Record<string, ModelServiceAws>>): pulumi.Output<Record<string, ModelAwsBinding>> {
  return pulumi.all(Object.fromEntries(Object.entries(models)
    .map(([id, m]) => [id, pulumi.all([m.roleArn, m.modelUri]).apply(([roleArn, modelUri]): ModelAwsBinding => ({ roleArn, modelUri }))])));
}

/** The cluster a stack configuration names (see {@link readServingStackConfig}). */
export function clusterFromConfig(config: ServingStackConfig): ExistingCluster {
  return {
    name: config.clusterName,
    oidcProvider: { arn: config.oidcProviderArn, url: config.oidcProviderUrl },
    kubeconfig: config.kubeconfig,
  };
}

/** Stack configuration of {@link servingStackFromConfig}: what `pulumi config set` provides. */
export interface ServingStackConfig {
  /** `clusterName`: name of the existing EKS cluster. */
  readonly clusterName: string;
  /** `oidcProviderArn`: ARN of its IAM OIDC provider. */
  readonly oidcProviderArn: string;
  /** `oidcProviderUrl`: its issuer URL. */
  readonly oidcProviderUrl: string;
  /** `kubeconfig` (secret, optional): kubeconfig of the cluster. */
  readonly kubeconfig?: pulumi.Output<string>;
  /** `namespace` (optional): serving namespace. */
  readonly namespace?: string;
  /** `existingArtifactBucket` (optional): use this bucket for model artifacts. */
  readonly existingArtifactBucket?: string;
  /** `grafanaUrl` (optional): Grafana's web URL, for the alerts' `dashboard_url` (see {@link ObservabilityLinks}). */
  readonly grafanaUrl?: string;
  /** `runbookBaseUrl` (optional): web URL of the synthesized `runbooks/` folder, for the alerts' `runbook_url`. */
  readonly runbookBaseUrl?: string;
  /** `imageRepositories` (optional): create ECR repositories. */
  readonly imageRepositories?: boolean;
}

/** Reads the serving stack's configuration (only stacks read configuration; constructs take arguments). */
export function readServingStackConfig(config: pulumi.Config = new pulumi.Config()): ServingStackConfig {
  return {
    clusterName: config.require('clusterName'),
    oidcProviderArn: config.require('oidcProviderArn'),
    oidcProviderUrl: config.require('oidcProviderUrl'),
    kubeconfig: config.getSecret('kubeconfig'),
    namespace: config.get('namespace'),
    existingArtifactBucket: config.get('existingArtifactBucket'),
    imageRepositories: config.getBoolean('imageRepositories'),
    grafanaUrl: config.get('grafanaUrl'),
    runbookBaseUrl: config.get('runbookBaseUrl'),
  };
}

/** The alerts' links a stack configuration names (`grafanaUrl`, `runbookBaseUrl`), over `fallback` key by key; undefined when neither sets any. */
export function linksFromConfig(config: ServingStackConfig, fallback?: ObservabilityLinks): ObservabilityLinks | undefined {
  const grafanaUrl = config.grafanaUrl ?? fallback?.grafanaUrl;
  const runbookBaseUrl = config.runbookBaseUrl ?? fallback?.runbookBaseUrl;
  if (grafanaUrl === undefined && runbookBaseUrl === undefined) {
    return undefined;
  }
  return { ...(grafanaUrl !== undefined ? { grafanaUrl } : {}), ...(runbookBaseUrl !== undefined ? { runbookBaseUrl } : {}) };
}

/** A {@link ModelServingStack} from stack configuration and the models to serve. */
export function servingStackFromConfig(name: string, models: readonly ServingModel[], config: ServingStackConfig = readServingStackConfig(),
  extra: Partial<Omit<ModelServingStackArgs, 'cluster' | 'models'>> = {}): ModelServingStack {
  return new ModelServingStack(name, {
    ...extra,
    cluster: clusterFromConfig(config),
    namespace: config.namespace ?? extra.namespace ?? 'ml-serving',
    models,
    artifacts: config.existingArtifactBucket ? { existingBucketName: config.existingArtifactBucket } : extra.artifacts,
    imageRepositories: config.imageRepositories ?? extra.imageRepositories,
    links: linksFromConfig(config, extra.links),
  });
}
