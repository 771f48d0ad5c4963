import { ApiObject, Duration, JsonPatch } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { ScaledObject } from '../../imports/scaledobject-keda.sh';
import { PropsValidator } from '../core/errors';
import { validateTimeZone } from '../core/time';
import { DEFAULT_PROMETHEUS_URL, promSelector } from '../monitoring/monitoring';
import { validateHttpUrl } from '../core/url';
import { CostPreset, WorkHours } from '../policy/presets';
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
  /** Prometheus the requests-per-second trigger queries. @default 'http://prometheus-operated.monitoring.svc:9090' (kube-prometheus-stack) */
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
    const preset = props.preset;
    const presetBounds = (preset ?? CostPreset.PRODUCTION).autoscaling;
    const minReplicas = props.autoscaling?.minReplicas ?? presetBounds.minReplicas;
    super(scope, id, { ...props, replicas: Number.isInteger(minReplicas) && minReplicas >= 1 ? minReplicas : 1 });
    const v: PropsValidator = new PropsValidator(this);
    v.check(props.replicas === undefined, 'replicas', props.replicas,
      "has no effect on an AutoscaledModel: set 'autoscaling.minReplicas' and 'autoscaling.maxReplicas' instead");

    const a = props.autoscaling ?? {};
    this.minReplicas = v.integer('autoscaling.minReplicas', minReplicas, 1, 1000);
    this.maxReplicas = v.integer('autoscaling.maxReplicas', a.maxReplicas ?? this.preset.autoscaling.maxReplicas, 1, 1000);
    v.check(this.minReplicas <= this.maxReplicas, 'autoscaling.minReplicas', this.minReplicas, `must be <= 'autoscaling.maxReplicas' (${this.maxReplicas})`);

    const cpu = this.utilization(v, 'autoscaling.cpuUtilization', a.cpuUtilization ?? 70);
    const memory = this.utilization(v, 'autoscaling.memoryUtilization', a.memoryUtilization ?? 80);
    const rps = a.requestsPerSecond === false ? undefined : v.positive('autoscaling.requestsPerSecond', a.requestsPerSecond ?? 100);
    v.check(cpu !== undefined || memory !== undefined || rps !== undefined, 'autoscaling', a,
      'needs at least one of cpuUtilization, memoryUtilization and requestsPerSecond');
    const rpsMetric = v.matches('autoscaling.requestsPerSecondMetric', a.requestsPerSecondMetric ?? 'http_requests_per_second',
      /^[a-zA-Z_:][a-zA-Z0-9_:]*$/, 'must be a Prometheus metric name');
    const behavior = this.behavior(v, a.scaleDown ?? {}, a.scaleUp ?? {});

    // Explicit props win: an explicit engine turns off the preset's working hours unless they are KEDA's.
    const explicitHours = props.workHours;
    if (explicitHours !== undefined && explicitHours !== false) {
      v.check(props.engine !== AutoscalingEngine.HPA, 'workHours', explicitHours,
        'needs the KEDA engine: a HorizontalPodAutoscaler cannot scale to zero');
    }
    const hours = explicitHours === false ? undefined
      : explicitHours ?? (props.engine === AutoscalingEngine.HPA ? undefined : this.preset.workHours);
    this.workHours = hours ? validateWorkHours(v, hours) : undefined;
    this.engine = props.engine ?? (this.workHours ? AutoscalingEngine.KEDA : AutoscalingEngine.HPA);
    if (props.keda !== undefined) {
      v.check(this.engine === AutoscalingEngine.KEDA, 'keda', props.keda, "has no effect unless 'engine' is AutoscalingEngine.KEDA");
    }

    this.registerAutoscaler(this.engine === AutoscalingEngine.HPA ? 'HorizontalPodAutoscaler' : 'ScaledObject');
    if (this.engine === AutoscalingEngine.HPA) {
      const metrics: kplus.Metric[] = [];
      if (cpu !== undefined) metrics.push(kplus.Metric.resourceCpu(kplus.MetricTarget.averageUtilization(cpu)));
      if (memory !== undefined) metrics.push(kplus.Metric.resourceMemory(kplus.MetricTarget.averageUtilization(memory)));
      if (rps !== undefined) metrics.push(kplus.Metric.pods({ name: rpsMetric, target: kplus.MetricTarget.averageValue(rps) }));
      this.hpa = new kplus.HorizontalPodAutoscaler(this, 'Autoscaler', {
        metadata: { name: this.name, labels: this.labels },
        target: this.deployment,
        minReplicas: this.minReplicas,
        maxReplicas: this.maxReplicas,
        metrics,
        scaleDown: {
          stabilizationWindow: behavior.scaleDown.stabilizationWindow,
          strategy: kplus.ScalingStrategy.MAX_CHANGE,
          policies: [{ replicas: kplus.Replicas.percent(behavior.scaleDown.maxPercent), duration: behavior.scaleDown.period }],
        },
        scaleUp: {
          stabilizationWindow: behavior.scaleUp.stabilizationWindow,
          strategy: kplus.ScalingStrategy.MAX_CHANGE,
          policies: [
            { replicas: kplus.Replicas.percent(behavior.scaleUp.maxPercent), duration: behavior.scaleUp.period },
            { replicas: kplus.Replicas.absolute(behavior.scaleUp.maxPods), duration: behavior.scaleUp.period },
          ],
        },
      });
    } else {
      const keda = props.keda ?? {};
      const server = validateHttpUrl(v, 'keda.prometheusServerAddress', keda.prometheusServerAddress ?? DEFAULT_PROMETHEUS_URL);
      const pollingInterval = v.integer('keda.pollingInterval', (keda.pollingInterval ?? Duration.seconds(30)).toSeconds(), 1, 3600);
      const cooldownPeriod = v.integer('keda.cooldownPeriod', (keda.cooldownPeriod ?? Duration.minutes(5)).toSeconds(), 0, 86400);
      const scope: Record<string, string> = { service: this.name };
      if (this.namespace) scope.namespace = this.namespace;
      const requestsMetric = props.monitoring?.metricNames?.requestsTotal ?? 'http_requests_total';
      const triggers: Array<{ type: string; name: string; metricType?: string; metadata: Record<string, string> }> = [];
      if (cpu !== undefined) triggers.push({ type: 'cpu', name: 'cpu', metricType: 'Utilization', metadata: { value: String(cpu) } });
      if (memory !== undefined) triggers.push({ type: 'memory', name: 'memory', metricType: 'Utilization', metadata: { value: String(memory) } });
      if (rps !== undefined) {
        triggers.push({
          type: 'prometheus',
          name: 'requests-per-second',
          metricType: 'AverageValue',
          metadata: { serverAddress: server, query: `sum(rate(${requestsMetric}${promSelector(scope)}[2m]))`, threshold: String(rps) },
        });
      }
      if (this.workHours) {
        const h = this.workHours;
        triggers.push({
          type: 'cron',
          name: 'work-hours',
          metadata: { timezone: h.timezone, start: `0 ${h.startHour} * * ${h.days}`, end: `0 ${h.endHour} * * ${h.days}`, desiredReplicas: String(this.minReplicas) },
        });
      }
      const ruleOf = (r: { stabilizationWindow: Duration; policies: Array<{ type: string; value: number; periodSeconds: number }> }) => ({
        stabilizationWindowSeconds: r.stabilizationWindow.toSeconds(), selectPolicy: 'Max', policies: r.policies,
      });
      this.scaledObject = new ScaledObject(this, 'Autoscaler', {
        metadata: { name: this.name, labels: this.labels },
        spec: {
          scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: this.name },
          minReplicaCount: this.workHours ? 0 : this.minReplicas,
          maxReplicaCount: this.maxReplicas,
          pollingInterval,
          cooldownPeriod,
          advanced: {
            horizontalPodAutoscalerConfig: {
              name: this.name,
              behavior: {
                scaleDown: ruleOf({
                  stabilizationWindow: behavior.scaleDown.stabilizationWindow,
                  policies: [{ type: 'Percent', value: behavior.scaleDown.maxPercent, periodSeconds: behavior.scaleDown.period.toSeconds() }],
                }),
                scaleUp: ruleOf({
                  stabilizationWindow: behavior.scaleUp.stabilizationWindow,
                  policies: [
                    { type: 'Percent', value: behavior.scaleUp.maxPercent, periodSeconds: behavior.scaleUp.period.toSeconds() },
                    { type: 'Pods', value: behavior.scaleUp.maxPods, periodSeconds: behavior.scaleUp.period.toSeconds() },
                  ],
                }),
              },
            },
          },
          triggers,
        },
      });
    }
  }

  protected override retargetAutoscaler(workload: WorkloadReference): void {
    const target = { apiVersion: workload.apiVersion, kind: workload.kind, name: workload.name };
    const owner = this.hpa ?? this.scaledObject;
    if (owner) {
      ApiObject.of(owner).addJsonPatch(JsonPatch.replace('/spec/scaleTargetRef', target));
    }
  }

  protected override get replicasOwnedByAutoscaler(): boolean {
    return true;
  }

  private utilization(v: PropsValidator, property: string, value: number | false): number | undefined {
    if (value === false) {
      return undefined;
    }
    return v.integer(property, value, 1, 100);
  }

  private behavior(v: PropsValidator, down: ScaleDownOptions, up: ScaleUpOptions) {
    const window = (property: string, d: Duration) => {
      v.integer(property, d.toSeconds(), 0, 3600);
      return d;
    };
    const period = (property: string, d: Duration) => {
      v.integer(property, d.toSeconds(), 1, 1800);
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
}

/** Validates working hours: an IANA time zone, a cron day-of-week field, and start < end within a day. */
export function validateWorkHours(v: PropsValidator, hours: WorkHours): WorkHours {
  validateTimeZone(v, 'workHours.timezone', hours.timezone);
  v.matches('workHours.days', hours.days, /^(\*|[0-6](-[0-6])?(,[0-6](-[0-6])?)*)$/, "must be a cron day-of-week field over 0-6 such as '1-5' or '1,3,5'");
  v.integer('workHours.startHour', hours.startHour, 0, 22);
  v.integer('workHours.endHour', hours.endHour, 1, 23);
  v.check(hours.endHour > hours.startHour, 'workHours.endHour', hours.endHour, `must be after 'workHours.startHour' (${hours.startHour})`);
  return hours;
}
