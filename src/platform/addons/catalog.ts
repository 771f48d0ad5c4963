import { Duration } from 'cdk8s';
import { PropsValidator } from '../../core/errors';
import { IRSA_ROLE_ARN_ANNOTATION } from '../../core/labels';
import { stableJson, valueAt } from '../../core/json';
import { ResolvedMonitoring, promDuration, userTrafficMatchers } from '../../monitoring/monitoring';
import { PrerequisiteKind, Provision } from './prerequisites';

/** The cluster add-ons the library's objects need, by release name. */
export enum AddonName {
  /** Argo Rollouts: the `Rollout` and `AnalysisTemplate` controller (canaries). */
  ARGO_ROLLOUTS = 'argo-rollouts',
  /** KEDA: the `ScaledObject` controller and its external-metrics server. */
  KEDA = 'keda',
  /** prometheus-adapter: serves the HPAs' Pods metrics (`http_requests_per_second`) from Prometheus. */
  PROMETHEUS_ADAPTER = 'prometheus-adapter',
  /** Karpenter: the `NodePool` and `EC2NodeClass` controller (training capacity). */
  KARPENTER = 'karpenter',
  /** Velero with its AWS plugin: `Schedule` and `Restore` (backups). */
  VELERO = 'velero',
  /** External Secrets: `ExternalSecret` from AWS Secrets Manager. */
  EXTERNAL_SECRETS = 'external-secrets',
  /** The AWS Load Balancer Controller: NLBs and ALBs for Services and Ingresses. */
  AWS_LOAD_BALANCER_CONTROLLER = 'aws-load-balancer-controller',
  /** kube-prometheus-stack: Prometheus, the operator (`ServiceMonitor`, `PrometheusRule`) and Alertmanager. */
  KUBE_PROMETHEUS_STACK = 'kube-prometheus-stack',
}

/** A pinned Helm chart. */
export interface AddonChart {
  /** Helm repository URL (`oci://` for an OCI registry). */
  readonly repoUrl: string;
  /** Chart name. */
  readonly chart: string;
  /** Chart version (pinned: never a range). */
  readonly version: string;
  /** Version of the application the chart installs, for the reader. */
  readonly appVersion: string;
}

/**
 * The pinned chart of each add-on. The application versions match the CRDs
 * vendored in `crds/` (the objects are validated against those), and each
 * chart version is the upstream chart that ships that application:
 * argoproj/argo-helm `charts/argo-rollouts/Chart.yaml`, kedacore/charts,
 * prometheus-community/helm-charts `charts/prometheus-adapter` and
 * `charts/kube-prometheus-stack`, Karpenter's OCI chart (version = app
 * version), vmware-tanzu/helm-charts `charts/velero/Chart.yaml`,
 * external-secrets (version = app version) and aws/eks-charts
 * `stable/aws-load-balancer-controller/Chart.yaml`.
 */
export const ADDON_CHARTS: Readonly<Record<AddonName, AddonChart>> = {
  [AddonName.ARGO_ROLLOUTS]: { repoUrl: 'https://argoproj.github.io/argo-helm', chart: 'argo-rollouts', version: '2.41.0', appVersion: 'v1.9.0' },
  [AddonName.KEDA]: { repoUrl: 'https://kedacore.github.io/charts', chart: 'keda', version: '2.20.2', appVersion: '2.20.2' },
  [AddonName.PROMETHEUS_ADAPTER]: { repoUrl: 'https://prometheus-community.github.io/helm-charts', chart: 'prometheus-adapter', version: '5.3.0', appVersion: 'v0.12.0' },
  [AddonName.KARPENTER]: { repoUrl: 'oci://public.ecr.aws/karpenter', chart: 'karpenter', version: '1.14.1', appVersion: '1.14.1' },
  [AddonName.VELERO]: { repoUrl: 'https://vmware-tanzu.github.io/helm-charts', chart: 'velero', version: '12.1.0', appVersion: '1.18.1' },
  [AddonName.EXTERNAL_SECRETS]: { repoUrl: 'https://charts.external-secrets.io', chart: 'external-secrets', version: '2.9.0', appVersion: 'v2.9.0' },
  [AddonName.AWS_LOAD_BALANCER_CONTROLLER]: { repoUrl: 'https://aws.github.io/eks-charts', chart: 'aws-load-balancer-controller', version: '3.5.0', appVersion: 'v3.5.0' },
  [AddonName.KUBE_PROMETHEUS_STACK]: { repoUrl: 'https://prometheus-community.github.io/helm-charts', chart: 'kube-prometheus-stack', version: '88.5.3', appVersion: 'v0.93.1' },
};

/** Image of Velero's AWS object-store plugin (the init container the Velero chart's `initContainers` example installs). */
export const VELERO_AWS_PLUGIN_IMAGE = 'velero/velero-plugin-for-aws:v1.13.1';

/** A custom metric the prometheus-adapter serves from a request counter. */
export interface RequestRateMetric {
  /** Name of the Pods metric (the HPA's `requestsPerSecondMetric`). @default 'http_requests_per_second' */
  readonly metricName?: string;
  /** The request counter the model servers export (`ModelService.monitoring.metrics.requestsTotal`). */
  readonly requestsTotal: string;
  /** Label matchers selecting user traffic (`userTrafficMatchers(model.monitoring)`: probe paths excluded). @default - every request */
  readonly matchers?: readonly string[];
  /** Rate window. @default Duration.minutes(2) */
  readonly window?: Duration;
}

/**
 * The adapter metric serving a model's HPA: its request counter and the
 * matchers that keep probes out (`model.monitoring`, the one resolved
 * monitoring config), so the HPA scales on the same traffic the alerts and
 * gates count.
 */
export function requestRateMetricOf(model: { readonly monitoring: ResolvedMonitoring }, metricName?: string): RequestRateMetric {
  return { ...(metricName !== undefined ? { metricName } : {}), requestsTotal: model.monitoring.metrics.requestsTotal, matchers: userTrafficMatchers(model.monitoring) };
}

/** Settings of an add-on that needs nothing but being on. */
export interface AddonOptions {
  /** Namespace of the release. @default - the add-on's usual namespace */
  readonly namespace?: string;
}

/** prometheus-adapter settings. */
export interface PrometheusAdapterOptions extends AddonOptions {
  /** The Pods metrics it serves, one rule each. */
  readonly requestRates: readonly RequestRateMetric[];
  /** Prometheus URL, without the port. @default 'http://prometheus-operated.<monitoring namespace>.svc' */
  readonly prometheusUrl?: string;
  /** Prometheus port. @default 9090 */
  readonly prometheusPort?: number;
}

/** Karpenter settings. */
export interface KarpenterAddonOptions extends AddonOptions {
  /** IRSA role of the controller (`SpotTrainingPoolAws.controllerStatements()`; the Pulumi half creates it). */
  readonly roleArn: string;
  /** SQS interruption queue (`SpotTrainingPoolAws.interruptionQueueName`). @default - no interruption handling */
  readonly interruptionQueue?: string;
}

/** Velero settings. */
export interface VeleroAddonOptions extends AddonOptions {
  /** IRSA role of Velero's server (`PlatformBackupsAws.veleroRole`). */
  readonly roleArn: string;
  /** Bucket of the backup storage location. */
  readonly bucket: string;
  /** Region of the bucket. */
  readonly region: string;
  /** Name of the backup storage location the Schedules name (`PlatformBackups.storageLocation`). @default 'default' */
  readonly storageLocation?: string;
  /** Run the node agent (file-system backups of volumes). @default true */
  readonly nodeAgent?: boolean;
  /** Velero server's ServiceAccount (the one its IRSA role trusts). @default 'velero-server' */
  readonly serviceAccount?: string;
}

/** An add-on that only needs an IRSA role. */
export interface IrsaAddonOptions extends AddonOptions {
  /** IRSA role of the controller's ServiceAccount. */
  readonly roleArn: string;
}

/** AWS Load Balancer Controller settings. */
export interface LoadBalancerControllerOptions extends IrsaAddonOptions {
  /** VPC of the cluster (the controller otherwise asks IMDS, which a hop limit of 1 blocks in pods). */
  readonly vpcId: string;
  /** Region of the cluster. */
  readonly region: string;
}

/** kube-prometheus-stack settings. */
export interface KubePrometheusStackOptions extends AddonOptions {
  /** How long Prometheus keeps samples. @default Duration.days(15) */
  readonly retention?: Duration;
}

/**
 * Which add-ons to install and their settings. Each is on with `{}` (or its
 * settings) and off with `false` or unset, for a cluster that already has
 * it: the prerequisites check then needs it declared external.
 */
export interface PlatformAddonsOptions {
  /** Argo Rollouts. @default - off */
  readonly argoRollouts?: AddonOptions | false;
  /** KEDA. @default - off */
  readonly keda?: AddonOptions | false;
  /** prometheus-adapter. @default - off */
  readonly prometheusAdapter?: PrometheusAdapterOptions | false;
  /** Karpenter. @default - off */
  readonly karpenter?: KarpenterAddonOptions | false;
  /** Velero with the AWS plugin. @default - off */
  readonly velero?: VeleroAddonOptions | false;
  /** External Secrets. @default - off */
  readonly externalSecrets?: IrsaAddonOptions | false;
  /** AWS Load Balancer Controller. @default - off */
  readonly awsLoadBalancerController?: LoadBalancerControllerOptions | false;
  /** kube-prometheus-stack. @default - off */
  readonly kubePrometheusStack?: KubePrometheusStackOptions | false;
}

/** What every add-on's values depend on: the one cluster name and the platform's monitoring. */
export interface AddonCluster {
  /** EKS cluster name (the platform contract's `cluster.name`). */
  readonly clusterName: string;
  /** Namespace of Prometheus (the contract's `monitoring.namespace`). */
  readonly monitoringNamespace: string;
  /** Labels Prometheus selects ServiceMonitors and PrometheusRules by (the contract's `monitoring.selectorLabels`). */
  readonly selectorLabels: Readonly<Record<string, string>>;
}

/** One add-on as installed: a pinned chart, its namespace and values, and what it provides the cluster. */
export interface AddonRelease {
  /** Release name. */
  readonly name: AddonName;
  /** Namespace of the release (created with it). */
  readonly namespace: string;
  /** The pinned chart. */
  readonly chart: AddonChart;
  /** Helm values. */
  readonly values: Readonly<Record<string, unknown>>;
  /** What the cluster gets from it (CRDs, metrics, namespaces, controllers). */
  readonly provides: readonly Provision[];
}

const crd = (name: string): Provision => ({ kind: PrerequisiteKind.CRD, name });
const ns = (name: string): Provision => ({ kind: PrerequisiteKind.NAMESPACE, name });
const irsa = (roleArn: string) => ({ [IRSA_ROLE_ARN_ANNOTATION]: roleArn });

/**
 * The add-on releases of `options`, in install order (Prometheus and its
 * operator first, since the others' ServiceMonitors need its CRDs). Pure
 * data: the GitOps half renders them as Argo CD Applications, the Pulumi
 * half as Helm releases, so both install the same pins with the same values.
 */
export function addonReleases(v: PropsValidator, cluster: AddonCluster, options: PlatformAddonsOptions): AddonRelease[] {
  v.matches('clusterName', cluster.clusterName, /^[0-9A-Za-z][A-Za-z0-9_-]{0,99}$/, "must be an EKS cluster name: letters, digits, '-' and '_'");
  const out: AddonRelease[] = [];
  const add = (name: AddonName, o: AddonOptions, defaultNs: string, values: Record<string, unknown>, provides: Provision[]) => {
    const namespace = v.dnsLabel(`${camel(name)}.namespace`, o.namespace ?? defaultNs);
    out.push({ name, namespace, chart: ADDON_CHARTS[name], values, provides: [...provides, ns(namespace)] });
  };
  if (options.kubePrometheusStack) {
    add(AddonName.KUBE_PROMETHEUS_STACK, options.kubePrometheusStack, cluster.monitoringNamespace, kubePrometheusStackValues(cluster, options.kubePrometheusStack),
      ['ServiceMonitor', 'PodMonitor', 'PrometheusRule', 'Prometheus', 'Alertmanager'].map((k) => crd(`${k}.monitoring.coreos.com`)));
  }
  if (options.argoRollouts) {
    add(AddonName.ARGO_ROLLOUTS, options.argoRollouts, 'argo-rollouts', {}, ['Rollout', 'AnalysisTemplate', 'AnalysisRun', 'Experiment'].map((k) => crd(`${k}.argoproj.io`)));
  }
  if (options.keda) {
    add(AddonName.KEDA, options.keda, 'keda', {}, [crd('ScaledObject.keda.sh'), crd('ScaledJob.keda.sh'), crd('TriggerAuthentication.keda.sh'),
      { kind: PrerequisiteKind.EXTERNAL_METRIC, name: '*' }]);
  }
  if (options.prometheusAdapter) {
    const a = options.prometheusAdapter;
    const rules = uniqueRules(v, a.requestRates.map((r, i) => requestRateRule(v, `prometheusAdapter.requestRates[${i}]`, r)));
    v.check(rules.length > 0, 'prometheusAdapter.requestRates', a.requestRates, 'must list at least one metric: an adapter without rules serves nothing');
    const port = v.integer('prometheusAdapter.prometheusPort', a.prometheusPort ?? 9090, 1, 65535);
    add(AddonName.PROMETHEUS_ADAPTER, a, cluster.monitoringNamespace, {
      prometheus: { url: a.prometheusUrl ?? `http://prometheus-operated.${cluster.monitoringNamespace}.svc`, port },
      rules: { default: false, custom: rules },
    }, a.requestRates.map((r) => ({ kind: PrerequisiteKind.CUSTOM_METRIC, name: `pods/${r.metricName ?? 'http_requests_per_second'}` })));
  }
  if (options.karpenter) {
    const k = options.karpenter;
    add(AddonName.KARPENTER, k, 'kube-system', {
      settings: { clusterName: cluster.clusterName, ...(k.interruptionQueue !== undefined ? { interruptionQueue: k.interruptionQueue } : {}) },
      serviceAccount: { annotations: irsa(k.roleArn) },
    }, [crd('NodePool.karpenter.sh'), crd('NodeClaim.karpenter.sh'), crd('EC2NodeClass.karpenter.k8s.aws')]);
  }
  if (options.velero) {
    add(AddonName.VELERO, options.velero, 'velero', veleroValues(options.velero), ['Schedule', 'Backup', 'Restore', 'BackupStorageLocation'].map((k) => crd(`${k}.velero.io`)));
  }
  if (options.externalSecrets) {
    add(AddonName.EXTERNAL_SECRETS, options.externalSecrets, 'external-secrets', {
      installCRDs: true, serviceAccount: { name: 'external-secrets', annotations: irsa(options.externalSecrets.roleArn) },
    }, ['ExternalSecret', 'SecretStore', 'ClusterSecretStore'].map((k) => crd(`${k}.external-secrets.io`)));
  }
  if (options.awsLoadBalancerController) {
    const l = options.awsLoadBalancerController;
    add(AddonName.AWS_LOAD_BALANCER_CONTROLLER, l, 'kube-system', {
      clusterName: cluster.clusterName, region: l.region, vpcId: l.vpcId,
      serviceAccount: { create: true, name: 'aws-load-balancer-controller', annotations: irsa(l.roleArn) },
    }, [{ kind: PrerequisiteKind.CONTROLLER, name: 'aws-load-balancer-controller' }, crd('TargetGroupBinding.elbv2.k8s.aws')]);
  }
  return out;
}

/**
 * The prometheus-adapter discovery rule serving a request rate as a Pods
 * metric (kubernetes-sigs/prometheus-adapter `docs/config.md`): discovery by
 * `seriesQuery`, `namespace` and `pod` labels mapped to the resources,
 * the counter renamed to the metric name, and a `metricsQuery` template
 * whose `<<.Series>>`, `<<.LabelMatchers>>` and `<<.GroupBy>>` the adapter
 * fills per HPA query, with the user-traffic matchers appended so probes do
 * not count as load.
 */
export function requestRateRule(v: PropsValidator, property: string, r: RequestRateMetric): Record<string, unknown> {
  const counter = v.matches(`${property}.requestsTotal`, r.requestsTotal, /^[a-zA-Z_:][a-zA-Z0-9_:]*$/, 'must be a Prometheus metric name');
  const metric = v.matches(`${property}.metricName`, r.metricName ?? 'http_requests_per_second', /^[a-z][a-z0-9_]*$/, 'must be a metric name (lower case, digits, _)');
  const window = r.window ?? Duration.minutes(2);
  v.check(window.toSeconds() >= 60, `${property}.window`, window, 'must be at least 1 minute (a rate needs two scrapes)');
  const matchers = (r.matchers ?? []).map((m, i) => v.matches(`${property}.matchers[${i}]`, m, /^[a-zA-Z_][a-zA-Z0-9_]*(=|!=|=~|!~)".*"$/, 'must be one PromQL label matcher, e.g. handler!~"/health"'));
  return {
    seriesQuery: `{__name__="${counter}",namespace!="",pod!=""}`,
    resources: { overrides: { namespace: { resource: 'namespace' }, pod: { resource: 'pod' } } },
    name: { matches: `^${counter}$`, as: metric },
    metricsQuery: `sum(rate(<<.Series>>{${['<<.LabelMatchers>>', ...matchers].join(',')}}[${promDuration(window)}])) by (<<.GroupBy>>)`,
  };
}

/** Identical rules once (models sharing a counter); two different queries for one metric name are an error (the adapter serves one). */
function uniqueRules(v: PropsValidator, rules: ReadonlyArray<Record<string, unknown>>): Array<Record<string, unknown>> {
  const byMetric = new Map<string, Record<string, unknown>>();
  for (const rule of rules) {
    const metric = stableJson(valueAt(rule, 'name', 'as'));
    const seen = byMetric.get(metric);
    v.check(seen === undefined || stableJson(seen) === stableJson(rule), 'prometheusAdapter.requestRates', rule.name,
      'serve one metric name from one query: models with different counters or excluded paths need different metric names');
    byMetric.set(metric, rule);
  }
  return [...byMetric.values()];
}

function kubePrometheusStackValues(cluster: AddonCluster, o: KubePrometheusStackOptions): Record<string, unknown> {
  const selector = { matchLabels: { ...cluster.selectorLabels } };
  return {
    prometheus: {
      prometheusSpec: {
        // The library labels its ServiceMonitors and PrometheusRules with the contract's selectorLabels, in the models' namespaces.
        serviceMonitorSelector: selector, serviceMonitorNamespaceSelector: {},
        podMonitorSelector: selector, podMonitorNamespaceSelector: {},
        ruleSelector: selector, ruleNamespaceSelector: {},
        retention: promDuration(o.retention ?? Duration.days(15)),
      },
    },
  };
}

function veleroValues(o: VeleroAddonOptions): Record<string, unknown> {
  return {
    configuration: {
      backupStorageLocation: [{ name: o.storageLocation ?? 'default', provider: 'aws', bucket: o.bucket, default: true, config: { region: o.region } }],
      volumeSnapshotLocation: [{ name: 'default', provider: 'aws', config: { region: o.region } }],
    },
    initContainers: [{ name: 'velero-plugin-for-aws', image: VELERO_AWS_PLUGIN_IMAGE, volumeMounts: [{ mountPath: '/target', name: 'plugins' }] }],
    // IRSA instead of a credentials Secret; the name is what PlatformBackupsAws trusts.
    credentials: { useSecret: false },
    serviceAccount: { server: { name: o.serviceAccount ?? 'velero-server', annotations: irsa(o.roleArn) } },
    deployNodeAgent: o.nodeAgent ?? true,
  };
}

function camel(name: string): string {
  return name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}
