import { ApiObject, Chart, Duration, JsonPatch, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { ExternalSecret } from '../../imports/externalsecret-external-secrets.io';
import { PrometheusRule } from '../../imports/prometheusrule-monitoring.coreos.com';
import { renderAlertRule } from '../monitoring/alert-rule';
import { ServiceMonitor } from '../../imports/servicemonitor-monitoring.coreos.com';
import { EnvMap, EnvSource, SecretStoreRef, renderExternalSecret, resolveEnv } from '../kube/env';
import { PropsValidator, ValidationError, addSynthCheck } from '../core/errors';
import { checkChartAtSynth } from '../core/chart-checks';
import { validatePinnedImage } from '../kube/image';
import { MANAGED_BY, ANNOTATION_PREFIX } from '../core/labels';
import { NetworkPeer, clusterLocalHost, dnsEgressRule, networkPeer, tcpPort, urlEgressRule } from '../kube/network';
import { ModelTracingOptions, otelEnvironment } from '../traffic/tracing';
import { addPodSeccomp, restrictedContainerSecurity, restrictedPodSecurity } from '../kube/pod-security';
import { isRecord, stableJson, valueAt } from '../core/json';
import { ModelCard, ModelVersion, renderModelCardMarkdown, validateModelCard, validateModelVersion } from './model-metadata';
import {
  AlertDefinition, AlertSeverity, MonitoringOptions, ResolvedMonitoring, ServiceLevelObjectives,
  errorStatusMatcher, promDuration, promSelector, resolveMonitoring, runbookUrl, userTrafficMatchers,
} from '../monitoring/monitoring';
import { CapacityPolicy, CostPreset, CostPresetSettings, TopologySpreadMode } from '../policy/presets';
import { IRunbookSource, Runbook, sh } from '../monitoring/runbooks';
import { ComputeResources, validateComputeResources } from '../core/resources';
import { addExtendedResource, addNodeSelector } from '../kube/patches';
import { DashboardOptions } from '../monitoring/dashboards/config-map';
import { RowSpec } from '../monitoring/dashboards/dashboard';
import { ResolvedObjective, ServiceLevelOptions } from '../monitoring/slo';
import {
  ModelObservability, linkModelAlerts, modelPanelUrl, renderModelDashboard, renderSloRule, renderedModelAlerts, resolveModelObservability, sloAlerts, sloRunbooks,
} from './model-observability';

/** Timings of one HTTP probe; unset fields keep the probe's default. */
export interface HttpProbeOptions {
  /** HTTP path probed. @default - `/health` (liveness, startup) or `/ready` (readiness) */
  readonly path?: string;
  /** Delay before the first probe. @default - liveness 30s, readiness 10s, startup 0s */
  readonly initialDelay?: Duration;
  /** Time between probes. @default - liveness 10s, readiness 5s, startup 10s */
  readonly period?: Duration;
  /** Time a probe may take. @default Duration.seconds(1) (liveness, readiness), 5s (startup) */
  readonly timeout?: Duration;
  /** Failures in a row before the probe fails. @default - 3 (liveness, readiness), 30 (startup: 5 minutes to load a model) */
  readonly failureThreshold?: number;
}

/** The three probes of the model server container. */
export interface ModelProbes {
  /** Liveness probe: restart the container when it fails. @default - GET /health, 30s initial delay, every 10s, 3 failures */
  readonly liveness?: HttpProbeOptions;
  /** Readiness probe: take the pod out of the Service when it fails. @default - GET /ready, 10s initial delay, every 5s, 3 failures */
  readonly readiness?: HttpProbeOptions;
  /**
   * Startup probe: holds liveness off while a large model loads.
   * @default - GET /health every 10s, up to 30 failures (5 minutes)
   */
  readonly startup?: HttpProbeOptions;
}

/** GPU request of the model server. */
export interface GpuOptions {
  /** Number of GPUs per replica. */
  readonly count: number;
  /** Extended resource name. @default 'nvidia.com/gpu' */
  readonly resourceName?: string;
  /** Node selector of GPU nodes. @default { 'nvidia.com/gpu.present': 'true' } (NVIDIA GPU feature discovery label) */
  readonly nodeSelector?: Readonly<Record<string, string>>;
  /** Key of the taint GPU nodes carry; tolerated with `Exists`/`NoSchedule`. @default 'nvidia.com/gpu' */
  readonly tolerationKey?: string;
}

/** Settings of the PodDisruptionBudget. */
export interface DisruptionBudgetOptions {
  /** Pods that may be unavailable at once during voluntary disruptions (node drains). @default 1 */
  readonly maxUnavailable?: number;
}

/** Graceful shutdown of a replica. */
export interface ShutdownOptions {
  /**
   * Sleep in a preStop hook so load balancers stop sending traffic before the
   * server gets SIGTERM (runs `sleep`, which the image must have).
   * @default Duration.seconds(10)
   */
  readonly preStopDelay?: Duration;
  /** Time from the start of termination to SIGKILL; must exceed `preStopDelay`. @default Duration.seconds(45) */
  readonly terminationGracePeriod?: Duration;
}

/** A destination the model server may connect to. */
export interface NetworkDestination extends NetworkPeer {
  /** TCP ports allowed. */
  readonly ports: readonly number[];
}

/** Who may talk to the model server and where it may connect. */
export interface NetworkPolicyOptions {
  /** Sources admitted to the model port. @default - pods of the model's own namespace */
  readonly allowFrom?: readonly NetworkPeer[];
  /** Destinations allowed besides DNS. @default - none: DNS only */
  readonly allowTo?: readonly NetworkDestination[];
}

/** A workload object by API version, kind and name (the target of an autoscaler). */
export interface WorkloadReference {
  /** API group and version, for example `argoproj.io/v1alpha1`. */
  readonly apiVersion: string;
  /** Kind, for example `Rollout`. */
  readonly kind: string;
  /** Object name. */
  readonly name: string;
}

/** Properties of a {@link ModelService}. */
export interface ModelServiceProps {
  /** Container image of the model server, pinned by tag or digest (not `latest`). */
  readonly image: string;
  /** Name of every object of the service (DNS-1035 label, at most 52 characters so derived names fit). @default - the construct id */
  readonly name?: string;
  /** Port the server listens on. @default 8000 */
  readonly port?: number;
  /** Port of the Service in front of it. @default 80 */
  readonly servicePort?: number;
  /** Port serving `/metrics`. @default - the model port */
  readonly metricsPort?: number;
  /** Version metadata of the served model. */
  readonly version: ModelVersion;
  /** The model card; required by presets with `requireModelCard` (PRODUCTION). @default - none */
  readonly modelCard?: ModelCard;
  /** Cost preset the defaults below come from. @default CostPreset.PRODUCTION */
  readonly preset?: CostPresetSettings;
  /** Replicas (without an autoscaler). @default - the preset's `replicas` */
  readonly replicas?: number;
  /** Requests and limits of the server container. @default - the preset's `resources` */
  readonly resources?: ComputeResources;
  /** GPUs per replica. @default - no GPU */
  readonly gpu?: GpuOptions;
  /** Container command. @default - the image's entrypoint */
  readonly command?: readonly string[];
  /** Container arguments. @default - the image's command */
  readonly args?: readonly string[];
  /** Environment variables; secrets only through {@link EnvSource} references. @default - none */
  readonly env?: EnvMap;
  /** Store that `EnvSource.fromAwsSecretsManager` entries are read from. @default { kind: 'ClusterSecretStore', name: 'aws-secrets-manager' } */
  readonly secretStore?: SecretStoreRef;
  /** Probe paths and timings. @default - the guide's probes, see {@link ModelProbes} */
  readonly probes?: ModelProbes;
  /** PodDisruptionBudget; `false` disables it, `true` or options require more than one replica. @default - the preset's, when more than one replica runs */
  readonly podDisruptionBudget?: boolean | DisruptionBudgetOptions;
  /** Spread over zones and nodes (applies with more than one replica). @default - the preset's `topologySpread` */
  readonly topologySpread?: TopologySpreadMode;
  /** Capacity type the pods may run on. @default - the preset's `capacity` */
  readonly capacity?: CapacityPolicy;
  /** Graceful shutdown timings. @default - 10s preStop delay, 45s grace period */
  readonly shutdown?: ShutdownOptions;
  /** NetworkPolicy sources and destinations. @default - ingress from the own namespace, egress DNS only */
  readonly networkPolicy?: NetworkPolicyOptions;
  /** Prometheus operator objects and alerts. @default - enabled, see {@link MonitoringOptions} */
  readonly monitoring?: MonitoringOptions;
  /** Service level objectives used by alerts (and canary analysis). @default - 1% errors, 500ms p99 */
  readonly slo?: ServiceLevelObjectives;
  /**
   * Service level objectives with error budgets: recording rules and multi-window,
   * multi-burn-rate alerts in the `<name>-slo` PrometheusRule.
   * @default - availability and latency (at `slo.latencyP99`) at the preset's `serviceLevels`, both alert kinds
   */
  readonly serviceLevels?: ServiceLevelOptions;
  /** The model's Grafana dashboard ConfigMap. @default - rendered with the kube-prometheus-stack sidecar label `grafana_dashboard: "1"` */
  readonly dashboard?: DashboardOptions;
  /** UID (and GID) the server runs as. @default 1000 */
  readonly runAsUser?: number;
  /** Size limit of the writable `/tmp` emptyDir (the root filesystem is read-only). @default Size.gibibytes(1) */
  readonly tmpSize?: Size;
  /** Extra annotations of the ServiceAccount, for example the IRSA role (`eks.amazonaws.com/role-arn`). @default - none */
  readonly serviceAccountAnnotations?: Readonly<Record<string, string>>;
  /** Value of `app.kubernetes.io/part-of`. @default - the service name */
  readonly partOf?: string;
  /** Image pull policy. @default kplus.ImagePullPolicy.IF_NOT_PRESENT */
  readonly imagePullPolicy?: kplus.ImagePullPolicy;
  /** Tracing with the OpenTelemetry SDK: the standard `OTEL_*` environment (service name, model version, commit and data version) and egress to the collector. @default - none */
  readonly tracing?: ModelTracingOptions;
}

const DEFAULT_PORT = 8000;
const CONTAINER_NAME = 'model-server';
const SPOT_LABELS: ReadonlyArray<[string, string]> = [['karpenter.sh/capacity-type', 'spot'], ['eks.amazonaws.com/capacityType', 'SPOT']];
const ON_DEMAND_LABELS: ReadonlyArray<[string, string]> = [['karpenter.sh/capacity-type', 'on-demand'], ['eks.amazonaws.com/capacityType', 'ON_DEMAND']];

/** The props of a {@link ModelService}, resolved and validated once. */
interface ResolvedModelService {
  readonly name: string;
  readonly namespace?: string;
  readonly preset: CostPresetSettings;
  readonly port: number;
  readonly servicePort: number;
  readonly metricsPort: number;
  readonly replicas: number;
  readonly resources: ComputeResources;
  readonly version: ModelVersion;
  readonly modelCard?: ModelCard;
  readonly slo: Required<ServiceLevelObjectives>;
  readonly selectorLabels: Readonly<Record<string, string>>;
  readonly labels: Readonly<Record<string, string>>;
  readonly versionAnnotations: Readonly<Record<string, string>>;
  readonly image: string;
  readonly imagePullPolicy: kplus.ImagePullPolicy;
  readonly command?: string[];
  readonly args?: string[];
  readonly env: Array<[string, EnvSource]>;
  readonly probes: { readonly liveness: kplus.Probe; readonly readiness: kplus.Probe; readonly startup: kplus.Probe };
  readonly shutdown: { readonly preStopDelay: Duration; readonly terminationGracePeriod: Duration };
  readonly runAsUser: number;
  readonly tmpSize: Size;
  readonly gpu?: { readonly count: number; readonly resourceName: string; readonly nodeSelector: Readonly<Record<string, string>>; readonly tolerationKey: string };
  readonly topologySpread: TopologySpreadMode;
  readonly capacity: CapacityPolicy;
  /** `maxUnavailable` of the PodDisruptionBudget; undefined: no budget. */
  readonly pdbMaxUnavailable?: number;
  readonly monitoring: MonitoringOptions;
}

/** Resolves the props of a {@link ModelService} against its preset and validates them. */
function resolveModelService(v: PropsValidator, id: string, namespace: string | undefined, props: ModelServiceProps,
  scalesTo: number | undefined): ResolvedModelService {
  const name = v.dnsLabel('name', props.name ?? id, 52);
  const preset = props.preset ?? CostPreset.PRODUCTION;
  const port = v.integer('port', props.port ?? DEFAULT_PORT, 1, 65535);
  const servicePort = v.integer('servicePort', props.servicePort ?? 80, 1, 65535);
  const metricsPort = v.integer('metricsPort', props.metricsPort ?? port, 1, 65535);
  const replicas = v.integer('replicas', props.replicas ?? preset.replicas, 1, 1000);
  const resources = props.resources ?? preset.resources;
  const gpuCount = props.gpu ? v.integer('gpu.count', props.gpu.count, 1, 16) : 0;
  const slo = {
    errorRate: v.range('slo.errorRate', props.slo?.errorRate ?? 0.01, 0.0001, 0.5),
    latencyP99: props.slo?.latencyP99 ?? Duration.millis(500),
  };
  const runAsUser = v.integer('runAsUser', props.runAsUser ?? 1000, 1, 2147483647);

  validatePinnedImage(v, 'image', props.image);
  validateModelVersion(v, 'version', props.version);
  if (props.modelCard) {
    validateModelCard(v, 'modelCard', props.modelCard);
  } else {
    v.check(!preset.requireModelCard, 'modelCard', undefined,
      `is required by the '${preset.name}' preset: production models must ship a model card (purpose, training data, metrics, limitations, intended use, not intended for)`);
  }
  validateComputeResources(v, 'resources', resources);
  v.check(slo.latencyP99.toMilliseconds() > 0, 'slo.latencyP99', slo.latencyP99, 'must be longer than 0');
  const env = resolveEnv(v, props.env);
  const shutdown = {
    preStopDelay: props.shutdown?.preStopDelay ?? Duration.seconds(10),
    terminationGracePeriod: props.shutdown?.terminationGracePeriod ?? Duration.seconds(45),
  };
  v.check(shutdown.terminationGracePeriod.toSeconds() > shutdown.preStopDelay.toSeconds(), 'shutdown.terminationGracePeriod',
    shutdown.terminationGracePeriod, `must be longer than 'shutdown.preStopDelay' (${shutdown.preStopDelay.toHumanString()}) so the server gets time to drain after SIGTERM`);
  const pdbMaxUnavailable = resolveDisruptionBudget(v, props.podDisruptionBudget, preset, Math.max(replicas, scalesTo ?? replicas));

  const selectorLabels = { 'app.kubernetes.io/name': name, 'app.kubernetes.io/instance': name };
  const labels = {
    ...selectorLabels,
    'app.kubernetes.io/version': props.version.model,
    'app.kubernetes.io/component': 'model-server',
    'app.kubernetes.io/part-of': v.dnsLabel('partOf', props.partOf ?? name),
    'app.kubernetes.io/managed-by': MANAGED_BY,
  };
  const versionAnnotations = {
    [`${ANNOTATION_PREFIX}/model-version`]: props.version.model,
    [`${ANNOTATION_PREFIX}/training-commit`]: props.version.trainingCommit,
    [`${ANNOTATION_PREFIX}/data-version`]: props.version.dataVersion,
    [`${ANNOTATION_PREFIX}/hyperparameters`]: stableJson(props.version.hyperparameters ?? {}),
    [`${ANNOTATION_PREFIX}/cost-preset`]: preset.name,
  };
  const probes = props.probes ?? {};
  return {
    name, namespace, preset, port, servicePort, metricsPort, replicas, resources, version: props.version, modelCard: props.modelCard, slo,
    selectorLabels, labels, versionAnnotations, env, shutdown, runAsUser, pdbMaxUnavailable,
    image: props.image,
    imagePullPolicy: props.imagePullPolicy ?? kplus.ImagePullPolicy.IF_NOT_PRESENT,
    command: props.command ? [...props.command] : undefined,
    args: props.args ? [...props.args] : undefined,
    probes: {
      liveness: httpProbe(v, port, 'probes.liveness', probes.liveness, { path: '/health', initialDelay: 30, period: 10, timeout: 1, failureThreshold: 3 }),
      readiness: httpProbe(v, port, 'probes.readiness', probes.readiness, { path: '/ready', initialDelay: 10, period: 5, timeout: 1, failureThreshold: 3 }),
      startup: httpProbe(v, port, 'probes.startup', probes.startup, { path: '/health', initialDelay: 0, period: 10, timeout: 5, failureThreshold: 30 }),
    },
    tmpSize: props.tmpSize ?? Size.gibibytes(1),
    gpu: props.gpu ? {
      count: gpuCount,
      resourceName: v.nonEmpty('gpu.resourceName', props.gpu.resourceName ?? 'nvidia.com/gpu'),
      nodeSelector: props.gpu.nodeSelector ?? { 'nvidia.com/gpu.present': 'true' },
      tolerationKey: props.gpu.tolerationKey ?? 'nvidia.com/gpu',
    } : undefined,
    topologySpread: props.topologySpread ?? preset.topologySpread,
    capacity: props.capacity ?? preset.capacity,
    monitoring: props.monitoring ?? {},
  };
}

/**
 * `maxUnavailable` of the PodDisruptionBudget, or undefined when none is rendered. `replicas` is the most
 * replicas that can run (an autoscaler's maximum), so an autoscaled model that starts at one replica (or
 * zero, with KEDA) still gets a budget for when it has scaled out. The budget is `maxUnavailable` and never
 * `minAvailable`: at 1 replica it allows 1 eviction and at 0 there is nothing to evict, so it never blocks a
 * node drain; `unhealthyPodEvictionPolicy: AlwaysAllow` lets not-ready pods go regardless
 * (https://kubernetes.io/docs/tasks/run-application/configure-pdb/#unhealthy-pod-eviction-policy).
 */
function resolveDisruptionBudget(v: PropsValidator, requested: boolean | DisruptionBudgetOptions | undefined,
  preset: CostPresetSettings, replicas: number): number | undefined {
  if (requested !== undefined && requested !== false) {
    v.check(replicas > 1, 'podDisruptionBudget', requested,
      `needs more than one replica (at most ${replicas} can run): a budget over a single pod either blocks node drains or protects nothing`);
  }
  const maxUnavailable = typeof requested === 'object' ? v.integer('podDisruptionBudget.maxUnavailable', requested.maxUnavailable ?? 1, 1, 1000) : 1;
  if (typeof requested === 'object') {
    v.check(maxUnavailable < replicas, 'podDisruptionBudget.maxUnavailable', maxUnavailable, `must be less than replicas (${replicas})`);
  }
  const wanted = requested === undefined ? preset.podDisruptionBudget && replicas > 1 : requested !== false;
  return wanted ? maxUnavailable : undefined;
}

/** An HTTP GET probe on `port`, from the options over the defaults. */
function httpProbe(v: PropsValidator, port: number, property: string, options: HttpProbeOptions | undefined,
  defaults: { path: string; initialDelay: number; period: number; timeout: number; failureThreshold: number }): kplus.Probe {
  const path = options?.path ?? defaults.path;
  v.check(path.startsWith('/'), `${property}.path`, path, "must start with '/'");
  const period = options?.period ?? Duration.seconds(defaults.period);
  const timeout = options?.timeout ?? Duration.seconds(defaults.timeout);
  const initialDelay = options?.initialDelay ?? Duration.seconds(defaults.initialDelay);
  // cdk8s refuses a fraction of a second (Duration.millis(1500)): name the property.
  v.convert(`${property}.period`, period, () => period.toSeconds());
  v.convert(`${property}.timeout`, timeout, () => timeout.toSeconds());
  v.convert(`${property}.initialDelay`, initialDelay, () => initialDelay.toSeconds());
  v.check(period.toSeconds() >= 1, `${property}.period`, period, 'must be at least 1 second');
  v.check(timeout.toSeconds() >= 1 && timeout.toSeconds() <= period.toSeconds(), `${property}.timeout`, timeout,
    `must be at least 1 second and at most the period (${period.toHumanString()})`);
  v.check(initialDelay.toSeconds() >= 0, `${property}.initialDelay`, initialDelay, 'must not be negative');
  return kplus.Probe.fromHttpGet(path, {
    port,
    initialDelaySeconds: initialDelay,
    periodSeconds: period,
    timeoutSeconds: timeout,
    failureThreshold: v.integer(`${property}.failureThreshold`, options?.failureThreshold ?? defaults.failureThreshold, 1, 1000),
  });
}

/**
 * A model server as production needs it: a Deployment and ClusterIP Service
 * with `/health` and `/ready` probes, requests and limits, Pod Security
 * "restricted", a dedicated ServiceAccount without a mounted token, a
 * PodDisruptionBudget and zone spread when it runs more than one replica, a
 * NetworkPolicy, model version metadata, a model card ConfigMap, and a
 * ServiceMonitor and PrometheusRule with the guide's alerts.
 *
 * @example
 * new ModelService(chart, 'churn-model', {
 *   image: 'myregistry.io/churn-model:v1.2.0',
 *   version: { model: '1.2.0', trainingCommit: '9f1c2ab', dataVersion: 'churn-2026-11-01' },
 *   preset: CostPreset.DEV,
 * });
 */
export class ModelService extends Construct implements IRunbookSource {
  /** Name of every object of the service. */
  public readonly name: string;
  /** Namespace of the chart, if it has one. */
  public readonly namespace?: string;
  /** Model server port. */
  public readonly port: number;
  /** Service port. */
  public readonly servicePort: number;
  /** Metrics port. */
  public readonly metricsPort: number;
  /** The resolved preset. */
  public readonly preset: CostPresetSettings;
  /** The model version. */
  public readonly version: ModelVersion;
  /** The model card, if any. */
  public readonly modelCard?: ModelCard;
  /** Requests and limits of the server container. */
  public readonly resources: ComputeResources;
  /** GPUs per replica (0 without GPU). */
  public readonly gpuCount: number;
  /** Replicas without an autoscaler (the minimum with one). */
  public readonly replicas: number;
  /** Resolved service level objectives. */
  public readonly slo: Required<ServiceLevelObjectives>;
  /** Labels that select the pods (immutable once deployed). */
  public readonly selectorLabels: Readonly<Record<string, string>>;
  /** Labels of every object of the service. */
  public readonly labels: Readonly<Record<string, string>>;
  /** Alerts defined for this service (also rendered into the PrometheusRule). */
  public readonly alerts: readonly AlertDefinition[];
  /** Resolved monitoring settings, shared with constructs that add alerts about this model (drift, backups). */
  public readonly monitoring: ResolvedMonitoring;

  /**
   * The cdk8s-plus Deployment (escape hatch). Once a {@link adoptWorkload | canary adopts the pods}
   * it is no longer synthesized: changes to its pod template still reach the new workload,
   * other changes fail synth (see {@link adoptWorkload}).
   */
  public readonly deployment: kplus.Deployment;
  /** The model server container. */
  public readonly container: kplus.Container;
  /** The ClusterIP Service. */
  public readonly service: kplus.Service;
  /** The dedicated ServiceAccount. */
  public readonly serviceAccount: kplus.ServiceAccount;
  /** The model card ConfigMap, if a card was given. */
  public readonly modelCardConfigMap?: kplus.ConfigMap;
  /** The PodDisruptionBudget, when rendered. */
  public readonly podDisruptionBudget?: kplus.k8s.KubePodDisruptionBudget;
  /** The NetworkPolicy. */
  public readonly networkPolicy: kplus.k8s.KubeNetworkPolicy;
  private readonly ingressRules: kplus.k8s.NetworkPolicyIngressRule[] = [];
  private readonly egressRules: kplus.k8s.NetworkPolicyEgressRule[] = [];
  private readonly podTargetLabels: string[] = [];
  /** The ExternalSecret, when env references AWS Secrets Manager. */
  public readonly externalSecret?: ExternalSecret;
  /** The ServiceMonitor, when monitoring is enabled. */
  public readonly serviceMonitor?: ServiceMonitor;
  /** The PrometheusRule, when monitoring is enabled. */
  public readonly prometheusRule?: PrometheusRule;
  /** Links, objectives and dashboard settings, resolved. */
  public readonly observability: ModelObservability;
  /** The service level objectives. */
  public readonly objectives: readonly ResolvedObjective[];
  /** The burn-rate alerts of the objectives (rendered into {@link sloRule}). */
  public readonly sloAlerts: readonly AlertDefinition[];
  /** The `<name>-slo` PrometheusRule (recording rules and burn-rate alerts), when monitoring is enabled and objectives are set. */
  public readonly sloRule?: PrometheusRule;
  /** The dashboard ConfigMap the Grafana sidecar loads, when monitoring and the dashboard are enabled. */
  public readonly dashboardConfigMap?: kplus.k8s.KubeConfigMap;
  private readonly guideAlerts: readonly AlertDefinition[];
  private readonly dashboardRows: RowSpec[] = [];

  private autoscalerKind?: string;
  private adoptedBy?: WorkloadReference;

  constructor(scope: Construct, id: string, props: ModelServiceProps) {
    super(scope, id);
    checkChartAtSynth(this);
    const v: PropsValidator = new PropsValidator(this);
    const r = resolveModelService(v, id, Chart.of(this).namespace, props, this.scalesTo(props));
    this.name = r.name;
    this.namespace = r.namespace;
    this.preset = r.preset;
    this.port = r.port;
    this.servicePort = r.servicePort;
    this.metricsPort = r.metricsPort;
    this.replicas = r.replicas;
    this.resources = r.resources;
    this.version = r.version;
    this.modelCard = r.modelCard;
    this.gpuCount = r.gpu?.count ?? 0;
    this.slo = r.slo;
    this.selectorLabels = r.selectorLabels;
    this.labels = r.labels;

    this.serviceAccount = new kplus.ServiceAccount(this, 'ServiceAccount', {
      metadata: { name: this.name, labels: this.labels, annotations: { ...props.serviceAccountAnnotations } },
      automountToken: false,
    });
    this.deployment = this.renderDeployment(r);
    this.container = this.renderContainer(r);
    this.externalSecret = this.addEnv(r.env, props.secretStore);
    if (props.tracing) {
      const { model: version, trainingCommit, dataVersion } = this.version;
      const traced = { name: this.name, namespace: this.namespace, version, trainingCommit, dataVersion };
      for (const [name, value] of otelEnvironment(v, traced, props.tracing)) {
        v.check(!r.env.some(([n]) => n === name), `env.${name}`, name, 'is set by `tracing`; leave it out of env');
        this.container.env.addVariable(name, kplus.EnvValue.fromValue(value));
      }
      this.allowEgress(urlEgressRule(props.tracing.otlpEndpoint));
    }
    this.schedulePods(r);
    this.service = this.renderService();
    this.networkPolicy = this.renderNetworkPolicy(v, props.networkPolicy, r.monitoring);
    this.podDisruptionBudget = r.pdbMaxUnavailable === undefined ? undefined : this.renderDisruptionBudget(r.pdbMaxUnavailable);
    this.modelCardConfigMap = this.modelCard ? this.renderModelCard(r.versionAnnotations) : undefined;

    this.observability = resolveModelObservability(this, v, {
      name: this.name, namespace: this.namespace, preset: this.preset, slo: this.slo,
      monitoring: props.monitoring, serviceLevels: props.serviceLevels, dashboard: props.dashboard,
    });
    this.monitoring = resolveMonitoring({ ...r.monitoring, runbookBaseUrl: this.observability.links.runbookBaseUrl }, v);
    this.objectives = this.observability.objectives;
    this.guideAlerts = linkModelAlerts(this, this.defineAlerts());
    this.alerts = renderedModelAlerts(this, this.guideAlerts);
    this.sloAlerts = sloAlerts(this);
    if (this.monitoring.enabled) {
      this.serviceMonitor = this.renderServiceMonitor(r.monitoring);
      this.prometheusRule = renderAlertRule(this, 'PrometheusRule', {
        name: this.name, labels: { ...this.labels, ...this.monitoring.selectorLabels }, alertLabels: { model: this.name }, alerts: this.alerts,
      });
      this.sloRule = renderSloRule(this, this, this.labels, this.sloAlerts);
      this.dashboardConfigMap = renderModelDashboard(this, this, this.labels, this.dashboardRows);
    }
    this.node.defaultChild = this.deployment;
  }

  /**
   * Runbooks of the service's alerts, with the commands for its objects
   * (Deployment or, under a canary, the Argo Rollout; its autoscaler).
   */
  public runbooks(): Runbook[] {
    const ns = this.namespace ? ` -n ${this.namespace}` : '';
    const sel = `-l app.kubernetes.io/name=${this.name}`;
    const rollout = this.workload.kind === 'Rollout';
    const workload = rollout ? `rollout/${this.name}` : `deployment/${this.name}`;
    const history = rollout ? `kubectl argo rollouts get rollout ${this.name}${ns}` : `kubectl${ns} rollout history ${workload}`;
    const rollback = rollout
      ? sh(`kubectl argo rollouts abort ${this.name}${ns}    # a canary in progress: all traffic back to stable`,
        `kubectl argo rollouts undo ${this.name}${ns}     # a finished rollout: back to the previous revision`)
      : sh(`kubectl${ns} rollout undo ${workload}`, `kubectl${ns} rollout status ${workload}`);
    const autoscaler = this.autoscaler === 'HorizontalPodAutoscaler' ? `kubectl${ns} describe hpa ${this.name}`
      : this.autoscaler === 'ScaledObject' ? `kubectl${ns} describe scaledobject ${this.name}` : `kubectl${ns} get ${workload} -o jsonpath='{.spec.replicas}'`;
    const byName = Object.fromEntries(this.guideAlerts.map((a) => [a.name, a]));
    const common = [
      `Check which model version is live:\n${sh(`kubectl${ns} get ${workload} -o jsonpath='{.spec.template.metadata.annotations.ml-platform-constructs\\.dev/model-version}'`)}`,
      `Look at the pods and recent changes:\n${sh(`kubectl${ns} get pods ${sel} -o wide`, history)}`,
      `Read the logs (input validation? model errors? dependency timeouts?):\n${sh(`kubectl${ns} logs ${sel} --tail=100 --prefix`)}`,
    ];
    const guide = [
      {
        alert: byName.ModelHighErrorRate,
        investigate: [...common, `Check what the server may reach (feature store, databases):\n${sh(`kubectl${ns} get networkpolicy ${this.name} -o yaml`)}`],
        mitigate: [
          `If a deployment preceded the errors, roll back and watch the error rate fall:\n${rollback}`,
          'If the input data is bad, enable the fallback (cached predictions or the previous model) and alert the data team.',
          `If pods are unhealthy, restart them one by one (the PodDisruptionBudget keeps capacity):\n${sh(': "${POD:?set POD to an unhealthy pod from the list above}"', `kubectl${ns} delete pod "$POD" --wait`)}`,
        ],
      },
      {
        alert: byName.ModelHighLatencyP99,
        investigate: [
          ...common,
          `Check CPU and memory against the limits, and what the autoscaler is doing:\n${sh(`kubectl${ns} top pods ${sel}`, autoscaler)}`,
        ],
        mitigate: [
          `Add capacity now (temporary: GitOps restores the declared value; make it permanent in the construct's props):\n${sh(
            this.autoscaler === 'HorizontalPodAutoscaler' ? `kubectl${ns} patch hpa ${this.name} --type merge -p '{"spec":{"minReplicas":${Math.min(this.replicas * 2, 1000)}}}'`
              : `kubectl${ns} scale ${workload} --replicas=${Math.min(this.replicas * 2, 1000)}`)}`,
          `If a new version is slower, roll back:\n${rollback}`,
        ],
      },
      {
        alert: byName.ModelReplicasUnavailable,
        investigate: [
          `Find the pods that are not ready and why:\n${sh(`kubectl${ns} get pods ${sel}`, `kubectl${ns} describe pods ${sel} | grep -A5 -E 'State|Conditions|Events'`,
            `kubectl${ns} get events --sort-by=.lastTimestamp | tail -30`)}`,
          `Pending pods: is there capacity (Karpenter, node groups)?\n${sh('kubectl get nodeclaims', 'kubectl get nodes -L karpenter.sh/capacity-type,topology.kubernetes.io/zone')}`,
          ...(this.podDisruptionBudget ? [`Evictions blocked or allowed?\n${sh(`kubectl${ns} get pdb ${this.name}`)}`] : []),
        ],
        mitigate: [
          `Crash loop after a deployment: roll back:\n${rollback}`,
          'Failing readiness while the model loads: raise the startup probe budget in the construct (probes.startup.failureThreshold).',
          'No capacity: check the NodePool limits and spot availability; the PRODUCTION preset keeps serving on on-demand nodes.',
        ],
      },
    ].filter((rb) => rb.alert !== undefined);
    // Runbooks of alerts left out by `serviceLevels.alerting` still serve as the burn-rate alerts' templates.
    const twins = Object.fromEntries(guide.map((rb) => [rb.alert.name, rb]));
    return [...guide.filter((rb) => this.alerts.includes(rb.alert)), ...sloRunbooks(this, this.sloAlerts, twins)];
  }

  /**
   * Adds a row to the model's dashboard (for example a canary's or a drift
   * check's). Rows are state: the dashboard renders every row added before synth.
   */
  public addDashboardRow(row: RowSpec): void {
    this.dashboardRows.push(row);
  }

  /** The `dashboard_url` of panel `panelId` of the model's dashboard (`<grafanaUrl>/d/<uid>?viewPanel=<id>`). */
  public dashboardPanelUrl(panelId: number): string {
    return modelPanelUrl(this, panelId);
  }

  /** The model card as Markdown (undefined without a card). */
  public modelCardMarkdown(): string {
    if (!this.modelCard) {
      return '';
    }
    return renderModelCardMarkdown({ name: this.name, namespace: this.namespace, version: this.version, card: this.modelCard });
  }

  /** In-cluster URL of the Service. */
  public get url(): string {
    const host = clusterLocalHost(this.name, this.namespace);
    return `http://${host}:${this.servicePort}`;
  }

  /** Kind of the autoscaler that owns the replica count, if any. */
  public get autoscaler(): string | undefined {
    return this.autoscalerKind;
  }

  /**
   * Records that an autoscaler of `kind` owns the Deployment's replica count
   * and drops `spec.replicas` from the Deployment. A second autoscaler on the
   * same target is an error: HPA and KEDA would fight over the replicas.
   */
  public registerAutoscaler(kind: string): void {
    if (this.autoscalerKind !== undefined) {
      new PropsValidator(this).fail('autoscaling', kind,
        `the Deployment is already scaled by a ${this.autoscalerKind}; two autoscalers on one target fight over its replicas`);
    }
    this.autoscalerKind = kind;
    this.deployment.markHasAutoscaler();
  }

  /**
   * Hands the pods over to another workload (an Argo Rollout): the Deployment
   * leaves the synthesized output (nothing else manages the same pods), and
   * the autoscaler, if any, targets the new workload. Returns the pod
   * template as the Deployment would have rendered it (resolved lazily at
   * synth, so later changes to the container, the pod scheduling or JSON
   * patches under `/spec/template` are included).
   *
   * Later changes to the now detached {@link deployment} outside its pod
   * template (its metadata, spec fields, JSON patches elsewhere, constructs
   * added under it) would be lost: synth fails on them with an error that
   * names the changed fields.
   */
  public adoptWorkload(workload: WorkloadReference): () => Record<string, unknown> {
    const v: PropsValidator = new PropsValidator(this);
    v.check(this.adoptedBy === undefined, 'workload', workload.kind, `the pods are already run by ${this.adoptedBy?.kind} ${this.adoptedBy?.name}`);
    this.adoptedBy = workload;
    const deployment = ApiObject.of(this.deployment);
    const fieldsAtAdoption = fieldsOutsidePodTemplate(deployment.toJson());
    const childrenAtAdoption = this.deployment.node.children.map((c) => c.node.id);
    this.node.tryRemoveChild(this.deployment.node.id);
    addSynthCheck(this, () => {
      const now = fieldsOutsidePodTemplate(deployment.toJson());
      const changed = [...new Set([...fieldsAtAdoption.keys(), ...now.keys()])].filter((f) => fieldsAtAdoption.get(f) !== now.get(f));
      changed.push(...this.deployment.node.children.map((c) => c.node.id).filter((id) => !childrenAtAdoption.includes(id)).map((id) => `child construct '${id}'`));
      return changed.length === 0 ? [] : [new ValidationError(this.node.path, 'deployment', changed,
        `the Deployment is not synthesized since ${workload.kind} ${workload.name} runs its pods, but it changed outside its pod template after that `
        + `(${changed.join(', ')}); only pod template changes reach the ${workload.kind}: make the others on the ${workload.kind}`)];
    });
    return () => {
      const template = valueAt(deployment.toJson(), 'spec', 'template');
      if (!isRecord(template)) {
        throw new Error(`${this.node.path}: the Deployment rendered no pod template`);
      }
      return template;
    };
  }

  /** The workload that runs the pods instead of the Deployment, if any. */
  public get workload(): WorkloadReference {
    return this.adoptedBy ?? { apiVersion: 'apps/v1', kind: 'Deployment', name: this.name };
  }

  /**
   * Whether an autoscaler subclass owns the replica count; the Deployment then
   * leaves `spec.replicas` unset (read during construction, so a getter).
   */
  protected get replicasOwnedByAutoscaler(): boolean {
    return false;
  }

  /**
   * The most replicas an autoscaler subclass can scale to, read from the props during construction
   * (before the subclass has validated them); undefined without an autoscaler. Decides the PodDisruptionBudget.
   */
  protected scalesTo(_props: ModelServiceProps): number | undefined {
    return undefined;
  }

  private containerPorts(): kplus.ContainerPort[] {
    const ports: kplus.ContainerPort[] = [{ name: 'http', number: this.port }];
    if (this.metricsPort !== this.port) {
      ports.push({ name: 'metrics', number: this.metricsPort });
    }
    return ports;
  }

  private servicePorts(): kplus.ServicePort[] {
    const ports: kplus.ServicePort[] = [{ name: 'http', port: this.servicePort, targetPort: this.port }];
    if (this.metricsPort !== this.port) {
      ports.push({ name: 'metrics', port: this.metricsPort, targetPort: this.metricsPort });
    }
    return ports;
  }

  private addEnv(env: Array<[string, EnvSource]>, store: SecretStoreRef | undefined): ExternalSecret | undefined {
    const externalSecretName = `${this.name}-env`;
    for (const [name, source] of env) {
      this.container.env.addVariable(name, source._toEnvValue(this, `EnvSecret${name}`, { secretName: externalSecretName, key: name }));
    }
    const entries = env.filter(([, source]) => source.kind === 'externalSecret').map(([secretKey, source]) => ({ secretKey, source }));
    if (entries.length === 0) {
      return undefined;
    }
    return renderExternalSecret(this, 'ExternalSecret', { name: externalSecretName, labels: this.labels, entries, store });
  }

  private renderDeployment(r: ResolvedModelService): kplus.Deployment {
    const deployment = new kplus.Deployment(this, 'Deployment', {
      metadata: { name: this.name, labels: this.labels, annotations: r.versionAnnotations },
      podMetadata: { labels: this.labels, annotations: r.versionAnnotations },
      select: false,
      replicas: this.replicasOwnedByAutoscaler ? undefined : this.replicas,
      serviceAccount: this.serviceAccount,
      automountServiceAccountToken: false,
      terminationGracePeriod: r.shutdown.terminationGracePeriod,
      securityContext: restrictedPodSecurity(r.runAsUser),
      strategy: kplus.DeploymentStrategy.rollingUpdate({
        maxSurge: kplus.PercentOrAbsolute.percent(25),
        maxUnavailable: kplus.PercentOrAbsolute.absolute(0),
      }),
    });
    deployment.select(kplus.LabelSelector.of({ labels: this.selectorLabels }));
    return deployment;
  }

  private renderContainer(r: ResolvedModelService): kplus.Container {
    const container = this.deployment.addContainer({
      name: CONTAINER_NAME,
      image: r.image,
      imagePullPolicy: r.imagePullPolicy,
      command: r.command,
      args: r.args,
      ports: this.containerPorts(),
      resources: {
        cpu: { request: this.resources.cpu.request, limit: this.resources.cpu.limit },
        memory: { request: this.resources.memory.request, limit: this.resources.memory.limit },
      },
      liveness: r.probes.liveness,
      readiness: r.probes.readiness,
      startup: r.probes.startup,
      lifecycle: { preStop: kplus.Handler.fromCommand(['sleep', String(r.shutdown.preStopDelay.toSeconds())]) },
      securityContext: restrictedContainerSecurity(r.runAsUser),
    });
    container.mount('/tmp', kplus.Volume.fromEmptyDir(this, 'TmpVolume', 'tmp', { sizeLimit: r.tmpSize }));
    return container;
  }

  /**
   * Scheduling: tolerations and node affinity through cdk8s-plus; GPU
   * resources, the GPU node selector, topology spread and pod seccomp by JSON
   * patch, because cdk8s-plus has no API for them (user patches still apply after these).
   */
  private schedulePods(r: ResolvedModelService): void {
    const scheduling = this.deployment.scheduling;
    const apiObject = ApiObject.of(this.deployment);
    const podSpec = '/spec/template/spec';
    addPodSeccomp(apiObject, podSpec);
    if (r.gpu) {
      addExtendedResource(apiObject, podSpec, r.gpu.resourceName, r.gpu.count);
      if (Object.keys(r.gpu.nodeSelector).length > 0) {
        addNodeSelector(apiObject, podSpec, r.gpu.nodeSelector);
      }
      scheduling.tolerate(kplus.Node.tainted(kplus.NodeTaintQuery.exists(r.gpu.tolerationKey, { effect: kplus.TaintEffect.NO_SCHEDULE })));
    }
    if (r.capacity === CapacityPolicy.SPOT_PREFERRED) {
      // Spot nodes are often tainted so only workloads that opted in land there.
      scheduling.tolerate(kplus.Node.tainted(kplus.NodeTaintQuery.is('karpenter.sh/capacity-type', 'spot', { effect: kplus.TaintEffect.NO_SCHEDULE })));
    }
    this.attractToCapacity(r.capacity);
    if (r.topologySpread !== TopologySpreadMode.NONE && this.replicas > 1) {
      const zoneMode = r.topologySpread === TopologySpreadMode.STRICT ? 'DoNotSchedule' : 'ScheduleAnyway';
      const constraint = (topologyKey: string, whenUnsatisfiable: string) => ({
        maxSkew: 1,
        topologyKey,
        whenUnsatisfiable,
        labelSelector: { matchLabels: { ...this.selectorLabels } },
        matchLabelKeys: ['pod-template-hash'],
      });
      apiObject.addJsonPatch(JsonPatch.add(`${podSpec}/topologySpreadConstraints`, [
        constraint('topology.kubernetes.io/zone', zoneMode),
        constraint('kubernetes.io/hostname', 'ScheduleAnyway'),
      ]));
    }
  }

  private attractToCapacity(capacity: CapacityPolicy): void {
    const scheduling = this.deployment.scheduling;
    const preferOn = (labels: ReadonlyArray<[string, string]>) => {
      for (const [key, value] of labels) {
        scheduling.attract(kplus.Node.labeled(kplus.NodeLabelQuery.in(key, [value])), { weight: 50 });
      }
    };
    switch (capacity) {
      case CapacityPolicy.ON_DEMAND:
        // NotIn also admits nodes without the label (clusters without Karpenter or node groups).
        scheduling.attract(kplus.Node.labeled(...SPOT_LABELS.map(([key, value]) => kplus.NodeLabelQuery.notIn(key, [value]))));
        return;
      case CapacityPolicy.SPOT_ALLOWED:
        return preferOn(ON_DEMAND_LABELS);
      case CapacityPolicy.SPOT_PREFERRED:
        return preferOn(SPOT_LABELS);
    }
  }

  private renderService(): kplus.Service {
    const service = new kplus.Service(this, 'Service', {
      metadata: { name: this.name, labels: this.labels },
      type: kplus.ServiceType.CLUSTER_IP,
      ports: this.servicePorts(),
    });
    for (const [key, value] of Object.entries(this.selectorLabels)) {
      service.selectLabel(key, value);
    }
    return service;
  }

  private renderDisruptionBudget(maxUnavailable: number): kplus.k8s.KubePodDisruptionBudget {
    return new kplus.k8s.KubePodDisruptionBudget(this, 'DisruptionBudget', {
      metadata: { name: this.name, labels: this.labels },
      spec: {
        maxUnavailable: kplus.k8s.IntOrString.fromNumber(maxUnavailable),
        selector: { matchLabels: { ...this.selectorLabels } },
        unhealthyPodEvictionPolicy: 'AlwaysAllow',
      },
    });
  }

  private renderModelCard(versionAnnotations: Readonly<Record<string, string>>): kplus.ConfigMap {
    return new kplus.ConfigMap(this, 'ModelCard', {
      metadata: { name: `${this.name}-model-card`, labels: this.labels, annotations: versionAnnotations },
      data: {
        'model-card.md': this.modelCardMarkdown(),
        'model-card.json': stableJson({ name: this.name, version: this.version, card: this.modelCard }, 2),
      },
    });
  }

  private renderServiceMonitor(monitoring: MonitoringOptions): ServiceMonitor {
    const podTargetLabels = this.podTargetLabels;
    return new ServiceMonitor(this, 'ServiceMonitor', {
      metadata: { name: this.name, labels: { ...this.labels, ...this.monitoring.selectorLabels } },
      spec: {
        selector: { matchLabels: { ...this.selectorLabels } },
        // Read at synth, so labels added by scrapePodLabel after construction are rendered.
        get podTargetLabels() { return podTargetLabels.length > 0 ? [...podTargetLabels] : undefined; },
        endpoints: [{
          port: this.metricsPort === this.port ? 'http' : 'metrics',
          path: monitoring.path ?? '/metrics',
          interval: promDuration(monitoring.scrapeInterval ?? Duration.seconds(30)),
        }],
      },
    });
  }

  /**
   * Adds an egress rule to the model's NetworkPolicy (for example a
   * collaborator such as a feature store it must reach). Rules are state: the
   * policy renders every rule added before synth, after the ones from props.
   */
  public allowEgress(rule: kplus.k8s.NetworkPolicyEgressRule): void {
    this.egressRules.push(rule);
  }

  /**
   * Copies the pod label `label` onto every scraped series (the
   * ServiceMonitor's `podTargetLabels`), for example the pod-template-hash
   * label that tells canary from stable pods. Rendered at synth; no effect
   * without monitoring.
   */
  public scrapePodLabel(label: string): void {
    if (!this.podTargetLabels.includes(label)) {
      this.podTargetLabels.push(label);
    }
  }

  /** Adds an ingress rule to the model's NetworkPolicy; rendered at synth like {@link allowEgress}. */
  public allowIngress(rule: kplus.k8s.NetworkPolicyIngressRule): void {
    this.ingressRules.push(rule);
  }

  private renderNetworkPolicy(v: PropsValidator, options: NetworkPolicyOptions | undefined, monitoring: MonitoringOptions): kplus.k8s.KubeNetworkPolicy {
    const peer = (p: NetworkPeer, property: string) => networkPeer(v, p, property);
    const sources = (options?.allowFrom ?? [{}]).map((p, i) => peer(p, `networkPolicy.allowFrom[${i}]`));
    const ingress = this.ingressRules;
    ingress.push({ from: sources, ports: [tcpPort(this.port)] });
    if (monitoring.enabled ?? true) {
      ingress.push({
        from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': v.dnsLabel('monitoring.namespace', monitoring.namespace ?? 'monitoring') } }, podSelector: {} }],
        ports: [tcpPort(this.metricsPort)],
      });
    }
    const egress = this.egressRules;
    egress.push(dnsEgressRule());
    (options?.allowTo ?? []).forEach((d, i) => {
      v.check(d.ports.length > 0, `networkPolicy.allowTo[${i}].ports`, d.ports, 'must list at least one port');
      d.ports.forEach((p, j) => v.integer(`networkPolicy.allowTo[${i}].ports[${j}]`, p, 1, 65535));
      egress.push({ to: [peer(d, `networkPolicy.allowTo[${i}]`)], ports: d.ports.map(tcpPort) });
    });
    // The L1 object keeps these arrays by reference and serialises them at synth,
    // so rules added later through allowEgress/allowIngress are rendered too.
    return new kplus.k8s.KubeNetworkPolicy(this, 'NetworkPolicy', {
      metadata: { name: this.name, labels: this.labels },
      spec: {
        podSelector: { matchLabels: { ...this.selectorLabels } },
        policyTypes: ['Ingress', 'Egress'],
        ingress,
        egress,
      },
    });
  }

  private defineAlerts(): AlertDefinition[] {
    const { requestsTotal: requests, durationBucket: bucket } = this.monitoring.metrics;
    const base = this.monitoring.runbookBaseUrl;
    const scope: Record<string, string> = { service: this.name };
    if (this.namespace) {
      scope.namespace = this.namespace;
    }
    // Probe and scrape paths are not user traffic: excluded like in the canary gates and autoscaling.
    const user = userTrafficMatchers(this.monitoring);
    const sel = promSelector(scope, user);
    const errSel = promSelector(scope, [errorStatusMatcher(this.monitoring), ...user]);
    const latency = this.slo.latencyP99.toMilliseconds() / 1000;
    // Pods of a Deployment or of an Argo Rollout are both named <name>-<template hash>-<suffix>,
    // so the readiness alert does not depend on which workload runs them.
    const pods: Record<string, string> = { condition: 'false' };
    if (this.namespace) {
      pods.namespace = this.namespace;
    }
    const podSel = promSelector(pods, [`pod=~"${this.name}-[a-z0-9]+-[a-z0-9]+"`]);
    const alert = (name: string, rest: Omit<AlertDefinition, 'name' | 'runbookUrl'>): AlertDefinition =>
      ({ name, ...rest, runbookUrl: runbookUrl(base, this.namespace, this.name, name) });
    return [
      alert('ModelHighErrorRate', {
        expr: `(sum(rate(${requests}${errSel}[5m])) / sum(rate(${requests}${sel}[5m]))) > ${this.slo.errorRate}`,
        for: '5m',
        severity: AlertSeverity.CRITICAL,
        summary: `${this.name}: more than ${this.slo.errorRate * 100}% of requests fail`,
        description: `The 5xx share of ${this.name} requests has been above ${this.slo.errorRate * 100}% for 5 minutes.`,
      }),
      alert('ModelHighLatencyP99', {
        expr: `histogram_quantile(0.99, sum by (le) (rate(${bucket}${sel}[5m]))) > ${latency}`,
        for: '10m',
        severity: AlertSeverity.WARNING,
        summary: `${this.name}: p99 latency above the ${this.slo.latencyP99.toHumanString()} SLO`,
        description: `The 99th percentile latency of ${this.name} has been above ${latency}s for 10 minutes.`,
      }),
      alert('ModelReplicasUnavailable', {
        expr: `sum(kube_pod_status_ready${podSel}) > 0`,
        for: '10m',
        severity: AlertSeverity.WARNING,
        summary: `${this.name}: replicas unavailable`,
        description: `Some replicas of ${this.name} have been unavailable for 10 minutes (crash loop, failing readiness, or no capacity).`,
      }),
    ];
  }
}

/** The rendered fields of a Deployment outside `spec.template`, by path, as stable JSON. */
function fieldsOutsidePodTemplate(deployment: unknown): Map<string, string> {
  const fields = new Map<string, string>();
  for (const [key, value] of Object.entries(isRecord(deployment) ? deployment : {})) {
    if (key === 'spec' && isRecord(value)) {
      for (const [field, specValue] of Object.entries(value)) {
        if (field !== 'template') fields.set(`spec.${field}`, stableJson(specValue));
      }
    } else {
      fields.set(key, stableJson(value));
    }
  }
  return fields;
}
