import { Duration } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { ScaledObject } from '../../imports/scaledobject-keda.sh';
import { PropsValidator } from '../core/errors';
import { validateTimeZone } from '../core/time';
import { validateSchedule } from '../core/cron';
import { promSelector, userTrafficMatchers } from '../monitoring/monitoring';
import { validateHttpUrl } from '../core/url';
import { CostPreset, CostPresetSettings, WorkHours } from '../policy/presets';
import { ModelService, ModelServiceProps, WorkloadReference } from './model-service';

/** Which controller scales the model. */
export enum AutoscalingEngine {
  /** A `autoscaling/v2` HorizontalPodAutoscaler (requests per second through a custom-metrics adapter such as prometheus-adapter). */
  HPA = 'hpa',
  /** A KEDA `keda.sh/v1alpha1` ScaledObject (Prometheus query scaling, scale to zero off-hours). */
  KEDA = 'keda',
}

/** How fast replicas are removed. */
export interface ScaleDownOptions {
  /** Window over which the highest recommendation wins, so load dips do not flap replicas. @default Duration.minutes(5) */
  readonly stabilizationWindow?: Duration;
  /** Largest share of replicas removed per period (1-100). @default 50 */
  readonly maxPercent?: number;
  /** Period of `maxPercent`. @default Duration.minutes(1) */
  readonly period?: Duration;
}

/** How fast replicas are added. */
export interface ScaleUpOptions {
  /** Stabilization window for scale-up. @default Duration.seconds(0) */
  readonly stabilizationWindow?: Duration;
  /** Largest growth per period in percent; the larger of this and `maxPods` applies. @default 100 */
  readonly maxPercent?: number;
  /** Largest growth per period in pods. @default 4 */
  readonly maxPods?: number;
  /** Period of both policies. @default Duration.minutes(1) */
  readonly period?: Duration;
}

/** Bounds and targets of the autoscaler. `false` turns a metric off. */
export interface AutoscalingOptions {
  /** Fewest replicas (during working hours with scale to zero). @default - the preset's (PRODUCTION: 3) */
  readonly minReplicas?: number;
  /** Most replicas. @default - the preset's (PRODUCTION: 20) */
  readonly maxReplicas?: number;
  /** Target average CPU utilization in percent of the request (1-100). @default 70 */
  readonly cpuUtilization?: number | false;
  /** Target average memory utilization in percent of the request (1-100). @default 80 */
  readonly memoryUtilization?: number | false;
  /** Target average requests per second per pod. @default 100 */
  readonly requestsPerSecond?: number | false;
  /** Pods metric the HPA reads requests per second from (served by a custom-metrics adapter). @default 'http_requests_per_second' */
  readonly requestsPerSecondMetric?: string;
  /** Scale-down behaviour. @default - 300s stabilization, at most 50% per 60s */
  readonly scaleDown?: ScaleDownOptions;
  /** Scale-up behaviour. @default - no stabilization, the larger of +100% and +4 pods per 60s */
  readonly scaleUp?: ScaleUpOptions;
}

/** KEDA-specific settings. */
export interface KedaOptions {
  /** Prometheus the requests-per-second trigger queries. @default - the model's `monitoring.prometheusUrl` */
  readonly prometheusServerAddress?: string;
  /** How often KEDA checks the triggers. @default Duration.seconds(30) */
  readonly pollingInterval?: Duration;
  /** Wait after the last active trigger before scaling to zero. @default Duration.minutes(5) */
  readonly cooldownPeriod?: Duration;
}

/** Properties of an {@link AutoscaledModel}. */
export interface AutoscaledModelProps extends ModelServiceProps {
  /** Autoscaling bounds, targets and behaviour. @default - the preset's bounds, CPU 70%, memory 80%, 100 requests/s per pod */
  readonly autoscaling?: AutoscalingOptions;
  /** The autoscaler. @default - KEDA when the model scales to zero off-hours, else HPA */
  readonly engine?: AutoscalingEngine;
  /** Scale to zero outside these hours (KEDA only); `false` keeps replicas around the clock. @default - the preset's `workHours` (DEV: Mon-Fri 08-20 UTC) */
  readonly workHours?: WorkHours | false;
  /** KEDA settings. @default - see {@link KedaOptions} */
  readonly keda?: KedaOptions;
}

/**
 * A {@link ModelService} whose replica count an autoscaler owns: an
 * `autoscaling/v2` HorizontalPodAutoscaler on CPU, memory and requests per
 * second with scale-down stabilization, or a KEDA ScaledObject with the same
 * targets plus scale to zero outside working hours. The Deployment leaves
 * `spec.replicas` unset so GitOps never fights the autoscaler.
 */
export class AutoscaledModel extends ModelService {
  /** The resolved minimum replicas (during working hours). */
  public readonly minReplicas: number;
  /** The resolved maximum replicas. */
  public readonly maxReplicas: number;
  /** The engine in use. */
  public readonly engine: AutoscalingEngine;
  /** Working hours when the model scales to zero outside them. */
  public readonly workHours?: WorkHours;
  /** The HorizontalPodAutoscaler (HPA engine). */
  public readonly hpa?: kplus.HorizontalPodAutoscaler;
  /** The KEDA ScaledObject (KEDA engine). */
  public readonly scaledObject?: ScaledObject;

  constructor(scope: Construct, id: string, props: AutoscaledModelProps) {
    const presetBounds = (props.preset ?? CostPreset.PRODUCTION).autoscaling;
    const minReplicas = props.autoscaling?.minReplicas ?? presetBounds.minReplicas;
    super(scope, id, { ...props, replicas: Number.isInteger(minReplicas) && minReplicas >= 1 ? minReplicas : 1 });
    const v: PropsValidator = new PropsValidator(this);
    v.check(props.replicas === undefined, 'replicas', props.replicas,
      "has no effect on an AutoscaledModel: set 'autoscaling.minReplicas' and 'autoscaling.maxReplicas' instead");
    const r = resolveAutoscaling(v, props, minReplicas, this.preset, this.monitoring.prometheusUrl);
    this.minReplicas = r.minReplicas;
    this.maxReplicas = r.maxReplicas;
    this.workHours = r.workHours;
    this.engine = r.engine;

    this.registerAutoscaler(this.engine === AutoscalingEngine.HPA ? 'HorizontalPodAutoscaler' : 'ScaledObject');
    if (r.keda) {
      this.scaledObject = this.renderScaledObject(r, r.keda);
    } else {
      this.hpa = this.renderHorizontalPodAutoscaler(r);
    }
  }

  private renderHorizontalPodAutoscaler(r: ResolvedAutoscaling): kplus.HorizontalPodAutoscaler {
    const metrics: kplus.Metric[] = [];
    if (r.cpu !== undefined) metrics.push(kplus.Metric.resourceCpu(kplus.MetricTarget.averageUtilization(r.cpu)));
    if (r.memory !== undefined) metrics.push(kplus.Metric.resourceMemory(kplus.MetricTarget.averageUtilization(r.memory)));
    if (r.rps !== undefined) metrics.push(kplus.Metric.pods({ name: r.rpsMetric, target: kplus.MetricTarget.averageValue(r.rps) }));
    const { scaleDown, scaleUp } = r.behavior;
    return new kplus.HorizontalPodAutoscaler(this, 'Autoscaler', {
      metadata: { name: this.name, labels: this.labels },
      target: this.scalingTarget(),
      minReplicas: this.minReplicas,
      maxReplicas: this.maxReplicas,
      metrics,
      scaleDown: {
        stabilizationWindow: scaleDown.stabilizationWindow,
        strategy: kplus.ScalingStrategy.MAX_CHANGE,
        policies: [{ replicas: kplus.Replicas.percent(scaleDown.maxPercent), duration: scaleDown.period }],
      },
      scaleUp: {
        stabilizationWindow: scaleUp.stabilizationWindow,
        strategy: kplus.ScalingStrategy.MAX_CHANGE,
        policies: [
          { replicas: kplus.Replicas.percent(scaleUp.maxPercent), duration: scaleUp.period },
          { replicas: kplus.Replicas.absolute(scaleUp.maxPods), duration: scaleUp.period },
        ],
      },
    });
  }

  private renderScaledObject(r: ResolvedAutoscaling, keda: ResolvedKeda): ScaledObject {
    const scope: Record<string, string> = { service: this.name };
    if (this.namespace) scope.namespace = this.namespace;
    // User traffic only: probes and scrapes (monitoring.excludedPaths) would keep a model awake at zero users.
    const selector = promSelector(scope, userTrafficMatchers(this.monitoring));
    const requestsMetric = this.monitoring.metrics.requestsTotal;
    const triggers: Array<{ type: string; name: string; metricType?: string; metadata: Record<string, string> }> = [];
    if (r.cpu !== undefined) triggers.push({ type: 'cpu', name: 'cpu', metricType: 'Utilization', metadata: { value: String(r.cpu) } });
    if (r.memory !== undefined) triggers.push({ type: 'memory', name: 'memory', metricType: 'Utilization', metadata: { value: String(r.memory) } });
    if (r.rps !== undefined) {
      triggers.push({
        type: 'prometheus',
        name: 'requests-per-second',
        metricType: 'AverageValue',
        metadata: { serverAddress: keda.server, query: `sum(rate(${requestsMetric}${selector}[2m]))`, threshold: String(r.rps) },
      });
    }
    const h = this.workHours;
    if (h) {
      triggers.push({
        type: 'cron',
        name: 'work-hours',
        metadata: { timezone: h.timezone, start: `0 ${h.startHour} * * ${h.days}`, end: `0 ${h.endHour} * * ${h.days}`, desiredReplicas: String(this.minReplicas) },
      });
    }
    const { scaleDown, scaleUp } = r.behavior;
    const rule = (window: Duration, policies: Array<{ type: string; value: number; periodSeconds: number }>) => ({
      stabilizationWindowSeconds: window.toSeconds(), selectPolicy: 'Max', policies,
    });
    return new ScaledObject(this, 'Autoscaler', {
      metadata: { name: this.name, labels: this.labels },
      spec: {
        scaleTargetRef: this.scaleTargetRef(),
        minReplicaCount: h ? 0 : this.minReplicas,
        maxReplicaCount: this.maxReplicas,
        pollingInterval: keda.pollingInterval,
        cooldownPeriod: keda.cooldownPeriod,
        advanced: {
          horizontalPodAutoscalerConfig: {
            name: this.name,
            behavior: {
              scaleDown: rule(scaleDown.stabilizationWindow, [{ type: 'Percent', value: scaleDown.maxPercent, periodSeconds: scaleDown.period.toSeconds() }]),
              scaleUp: rule(scaleUp.stabilizationWindow, [
                { type: 'Percent', value: scaleUp.maxPercent, periodSeconds: scaleUp.period.toSeconds() },
                { type: 'Pods', value: scaleUp.maxPods, periodSeconds: scaleUp.period.toSeconds() },
              ]),
            },
          },
        },
        triggers,
      },
    });
  }

  /**
   * The autoscaler's target reference, read at synth: the Deployment, or the
   * workload that adopted its pods (an Argo Rollout), so nothing patches the autoscaler.
   */
  private scaleTargetRef(): WorkloadReference {
    const workload = () => this.workload;
    return {
      get apiVersion() { return workload().apiVersion; },
      get kind() { return workload().kind; },
      get name() { return workload().name; },
    };
  }

  /** The Deployment as the HPA's target, with the reference of {@link scaleTargetRef} (the HPA reads it at synth). */
  private scalingTarget(): kplus.IScalable {
    const deployment = this.deployment;
    const target = this.scaleTargetRef();
    return {
      get hasAutoscaler() { return deployment.hasAutoscaler; },
      markHasAutoscaler: () => deployment.markHasAutoscaler(),
      toScalingTarget: () => ({ ...deployment.toScalingTarget(), apiVersion: target.apiVersion, kind: target.kind, name: target.name }),
    };
  }

  protected override get replicasOwnedByAutoscaler(): boolean {
    return true;
  }

  /** The autoscaler's maximum (validated later by `resolveAutoscaling`), so a PDB covers the scaled-out replicas. */
  protected override scalesTo(props: AutoscaledModelProps): number | undefined {
    const max = props.autoscaling?.maxReplicas ?? (props.preset ?? CostPreset.PRODUCTION).autoscaling.maxReplicas;
    return Number.isInteger(max) && max >= 1 ? max : undefined;
  }
}

/** The autoscaling props, resolved and validated once. */
interface ResolvedAutoscaling {
  readonly minReplicas: number;
  readonly maxReplicas: number;
  readonly cpu?: number;
  readonly memory?: number;
  readonly rps?: number;
  readonly rpsMetric: string;
  readonly behavior: ReturnType<typeof resolveBehavior>;
  readonly workHours?: WorkHours;
  readonly engine: AutoscalingEngine;
  /** KEDA settings, with the KEDA engine only. */
  readonly keda?: ResolvedKeda;
}

interface ResolvedKeda {
  readonly server: string;
  readonly pollingInterval: number;
  readonly cooldownPeriod: number;
}

function resolveAutoscaling(v: PropsValidator, props: AutoscaledModelProps, minReplicasProp: number, preset: CostPresetSettings,
  prometheusUrl: string): ResolvedAutoscaling {
  const a = props.autoscaling ?? {};
  const minReplicas = v.integer('autoscaling.minReplicas', minReplicasProp, 1, 1000);
  const maxReplicas = v.integer('autoscaling.maxReplicas', a.maxReplicas ?? preset.autoscaling.maxReplicas, 1, 1000);
  v.check(minReplicas <= maxReplicas, 'autoscaling.minReplicas', minReplicas, `must be <= 'autoscaling.maxReplicas' (${maxReplicas})`);

  const cpu = utilization(v, 'autoscaling.cpuUtilization', a.cpuUtilization ?? 70);
  const memory = utilization(v, 'autoscaling.memoryUtilization', a.memoryUtilization ?? 80);
  const rps = a.requestsPerSecond === false ? undefined : v.positive('autoscaling.requestsPerSecond', a.requestsPerSecond ?? 100);
  v.check(cpu !== undefined || memory !== undefined || rps !== undefined, 'autoscaling', a,
    'needs at least one of cpuUtilization, memoryUtilization and requestsPerSecond');
  const rpsMetric = v.matches('autoscaling.requestsPerSecondMetric', a.requestsPerSecondMetric ?? 'http_requests_per_second',
    /^[a-zA-Z_:][a-zA-Z0-9_:]*$/, 'must be a Prometheus metric name');
  const behavior = resolveBehavior(v, a.scaleDown ?? {}, a.scaleUp ?? {});

  // Explicit props win: an explicit engine turns off the preset's working hours unless they are KEDA's.
  const explicitHours = props.workHours;
  if (explicitHours !== undefined && explicitHours !== false) {
    v.check(props.engine !== AutoscalingEngine.HPA, 'workHours', explicitHours,
      'needs the KEDA engine: a HorizontalPodAutoscaler cannot scale to zero');
  }
  const hours = explicitHours === false ? undefined
    : explicitHours ?? (props.engine === AutoscalingEngine.HPA ? undefined : preset.workHours);
  const workHours = hours ? validateWorkHours(v, hours) : undefined;
  const engine = props.engine ?? (workHours ? AutoscalingEngine.KEDA : AutoscalingEngine.HPA);
  if (props.keda !== undefined) {
    v.check(engine === AutoscalingEngine.KEDA, 'keda', props.keda, "has no effect unless 'engine' is AutoscalingEngine.KEDA");
  }
  const keda = engine === AutoscalingEngine.KEDA ? resolveKeda(v, props.keda ?? {}, prometheusUrl) : undefined;
  return { minReplicas, maxReplicas, cpu, memory, rps, rpsMetric, behavior, workHours, engine, keda };
}

function resolveKeda(v: PropsValidator, keda: KedaOptions, prometheusUrl: string): ResolvedKeda {
  return {
    server: validateHttpUrl(v, 'keda.prometheusServerAddress', keda.prometheusServerAddress ?? prometheusUrl),
    pollingInterval: v.seconds('keda.pollingInterval', keda.pollingInterval ?? Duration.seconds(30), 1, 3600),
    cooldownPeriod: v.seconds('keda.cooldownPeriod', keda.cooldownPeriod ?? Duration.minutes(5), 0, 86400),
  };
}

function utilization(v: PropsValidator, property: string, value: number | false): number | undefined {
  return value === false ? undefined : v.integer(property, value, 1, 100);
}

function resolveBehavior(v: PropsValidator, down: ScaleDownOptions, up: ScaleUpOptions) {
  const window = (property: string, d: Duration) => {
    v.seconds(property, d, 0, 3600);
    return d;
  };
  const period = (property: string, d: Duration) => {
    v.seconds(property, d, 1, 1800);
    return d;
  };
  return {
    scaleDown: {
      stabilizationWindow: window('autoscaling.scaleDown.stabilizationWindow', down.stabilizationWindow ?? Duration.minutes(5)),
      maxPercent: v.integer('autoscaling.scaleDown.maxPercent', down.maxPercent ?? 50, 1, 100),
      period: period('autoscaling.scaleDown.period', down.period ?? Duration.minutes(1)),
    },
    scaleUp: {
      stabilizationWindow: window('autoscaling.scaleUp.stabilizationWindow', up.stabilizationWindow ?? Duration.seconds(0)),
      maxPercent: v.integer('autoscaling.scaleUp.maxPercent', up.maxPercent ?? 100, 1, 1000),
      maxPods: v.integer('autoscaling.scaleUp.maxPods', up.maxPods ?? 4, 1, 1000),
      period: period('autoscaling.scaleUp.period', up.period ?? Duration.minutes(1)),
    },
  };
}

/** Validates working hours: an IANA time zone, a cron day-of-week field, and start < end within a day. */
export function validateWorkHours(v: PropsValidator, hours: WorkHours): WorkHours {
  validateTimeZone(v, 'workHours.timezone', hours.timezone);
  v.matches('workHours.days', hours.days, /^(\*|[0-6](-[0-6])?(,[0-6](-[0-6])?)*)$/, "must be a cron day-of-week field over 0-6 such as '1-5' or '1,3,5'");
  v.integer('workHours.startHour', hours.startHour, 0, 22);
  v.integer('workHours.endHour', hours.endHour, 1, 23);
  v.check(hours.endHour > hours.startHour, 'workHours.endHour', hours.endHour, `must be after 'workHours.startHour' (${hours.startHour})`);
  // The KEDA cron trigger's start and end go through the library's one cron parser.
  validateSchedule(v, 'workHours', `0 ${hours.startHour} * * ${hours.days}`);
  validateSchedule(v, 'workHours', `0 ${hours.endHour} * * ${hours.days}`);
  return hours;
}
