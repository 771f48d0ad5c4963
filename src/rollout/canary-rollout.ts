import { Duration } from 'cdk8s';
import { Construct } from 'constructs';
import {
  AnalysisTemplate, AnalysisTemplateSpecMetrics, AnalysisTemplateSpecMetricsConsecutiveErrorLimit, AnalysisTemplateSpecMetricsCount,
  AnalysisTemplateSpecMetricsFailureLimit,
} from '../../imports/analysistemplate-argoproj.io';
import { DestinationRule } from '../../imports/destinationrule-networking.istio.io';
import {
  Rollout, RolloutProps, RolloutSpecStrategyCanary, RolloutSpecStrategyCanaryMaxSurge, RolloutSpecStrategyCanaryMaxUnavailable,
  RolloutSpecStrategyCanarySteps, RolloutSpecStrategyCanaryStepsPauseDuration,
} from '../../imports/rollout-argoproj.io';
import { VirtualService } from '../../imports/virtualservice-networking.istio.io';
import { PropsValidator, ValidationError, addSynthCheck } from '../core/errors';
import { checkChartAtSynth } from '../core/chart-checks';
import { isRecord, stableJson, valueAt } from '../core/json';
import { validateHttpUrl } from '../core/url';
import { clusterLocalHost, networkPeer, tcpPort } from '../kube/network';
import { CircuitBreakerOptions, RetryOptions, istioRetries, istioTrafficPolicy } from './mesh';
import { errorStatusMatcher, promDuration, promSelector, userTrafficMatchers } from '../monitoring/monitoring';
import { requiredSampleSize } from '../stats/ab';
import { canaryRow } from '../monitoring/dashboards/model';
import { ModelService } from '../serving/model-service';
import { EdgeRoute, RouteExposure } from '../traffic/route';
import { edgeSettings } from '../policy/presets';

/** One canary step: shift `weight` percent of traffic to the new version, then wait. */
export class RolloutStep {
  /**
   * Shift `weight` percent of traffic to the canary and pause.
   * @param weight percent of traffic on the canary (1-100)
   * @param pause how long to watch before the next step; `undefined` on the last (100%) step
   */
  public static setWeight(weight: number, pause?: Duration): RolloutStep {
    return new RolloutStep(weight, pause);
  }

  private constructor(
    /** Percent of traffic on the canary. */
    public readonly weight: number,
    /** Watch time after the shift. */
    public readonly pause?: Duration,
  ) {}
}

/** The guide's schedule: 5% for 1 hour, 25% for 4 hours, 50% overnight (12 hours), then 100%. */
export const GUIDE_ROLLOUT_STEPS: readonly RolloutStep[] = Object.freeze([
  RolloutStep.setWeight(5, Duration.hours(1)),
  RolloutStep.setWeight(25, Duration.hours(4)),
  RolloutStep.setWeight(50, Duration.hours(12)),
  RolloutStep.setWeight(100),
]);

/** How canary traffic is split. */
export enum TrafficRouting {
  /** Istio: exact weights through a VirtualService and DestinationRule subsets, with retries and circuit breaking. */
  ISTIO = 'istio',
  /** No mesh: the weight is approximated by the share of canary replicas behind the one Service. */
  REPLICAS = 'replicas',
}

/**
 * Automatic analysis of each canary step on Prometheus, with Argo Rollouts'
 * own semantics (argoproj/argo-rollouts `utils/evaluate/evaluate.go`
 * `EvaluateResult`: a measurement matching neither its `successCondition` nor
 * its `failureCondition` is Inconclusive; a metric with only a success
 * condition would count a miss as Failed, so every gate metric states both).
 * An Inconclusive AnalysisRun pauses the rollout; a Failed one (any metric
 * beyond its `failureLimit`, default 0) aborts it and sends all traffic back
 * to stable.
 *
 * Only user traffic counts: series whose path label is one of the model's
 * `monitoring.excludedPaths` (probes, the metrics scrape) are dropped, and
 * every query uses the model's `monitoring.metricNames`. Each gate query
 * returns a value only when the canary served at least the minimum sample
 * during the step, so:
 *
 * | At the end of a step                                   | error-rate   | latency-p99  | Rollout |
 * |--------------------------------------------------------|--------------|--------------|---------|
 * | no traffic, or fewer user requests than the minimum    | Inconclusive | Inconclusive | paused (a person resumes, retries or aborts) |
 * | probe and scrape requests only                         | Inconclusive | Inconclusive | paused  |
 * | minimum reached, 5xx share above `maxErrorRate`        | Failed       | any          | aborted |
 * | minimum reached, p99 above `maxLatencyP99`             | any          | Failed       | aborted |
 * | minimum reached, both within limits                    | Successful   | Successful   | next step |
 *
 * The background analysis (every `interval` during the whole rollout) judges
 * only intervals with at least the minimum sample too; a quieter interval is
 * Successful (nothing to judge), a breach aborts.
 */
export interface CanaryAnalysisOptions {
  /** Prometheus address. @default - the model's `monitoring.prometheusUrl` */
  readonly prometheusAddress?: string;
  /** Highest canary 5xx share. @default - the model's SLO error rate (1%) */
  readonly maxErrorRate?: number;
  /** Highest canary p99 latency. @default - the model's SLO p99 latency */
  readonly maxLatencyP99?: Duration;
  /** Error rate of the stable version, the baseline of the sample size. @default 0.001 */
  readonly baselineErrorRate?: number;
  /** Rise of the error rate the step must be able to detect (absolute). @default - maxErrorRate - baselineErrorRate */
  readonly detectableIncrease?: number;
  /** Significance level of the sample size. @default 0.05 */
  readonly alpha?: number;
  /** Power of the sample size. @default 0.8 */
  readonly power?: number;
  /** Interval of the background analysis that runs during the whole rollout. @default Duration.minutes(5) */
  readonly interval?: Duration;
}

/** Properties of a {@link CanaryRollout}; the {@link RouteExposure} props (`gateway`, `meshCallers`, `hostname`, `limits`) say which proxies apply its route (Istio only). */
export interface CanaryRolloutProps extends RouteExposure {
  /** The model service whose pods the rollout takes over. */
  readonly model: ModelService;
  /** Traffic steps; weights strictly increase and end at 100. @default GUIDE_ROLLOUT_STEPS */
  readonly steps?: readonly RolloutStep[];
  /** How traffic is split. @default TrafficRouting.ISTIO */
  readonly trafficRouting?: TrafficRouting;
  /** Retries of the Istio route (Istio only). @default - 3 attempts, 2s per try */
  readonly retries?: RetryOptions;
  /** Circuit breaking of the Istio destination (Istio only). @default - 5 consecutive 5xx eject for 60s */
  readonly circuitBreaker?: CircuitBreakerOptions;
  /** Step analysis; `false` turns it off (not recommended). @default - error rate, p99 latency and minimum sample from the model's SLO */
  readonly analysis?: CanaryAnalysisOptions | false;
}

const ROUTE = 'primary';
const STABLE = 'stable';
const CANARY = 'canary';
const HASH_LABEL = 'rollouts-pod-template-hash';
const HASH_PROM_LABEL = 'rollouts_pod_template_hash';

/**
 * A progressive rollout of a model service with Argo Rollouts: the model's
 * Deployment becomes an `argoproj.io/v1alpha1` Rollout with its own pod
 * template (nothing scales a Git-managed Deployment to zero), its autoscaler
 * targets the Rollout, traffic shifts step by step (5% → 25% → 50% → 100% by
 * default) through an Istio VirtualService and DestinationRule, and every
 * step is gated by an AnalysisTemplate on Prometheus.
 *
 * Argo Rollouts edits the VirtualService weights and the DestinationRule
 * subset labels while it works; see {@link CanaryRollout.argoCdIgnoreDifferences}
 * for the Argo CD setting that keeps those edits from showing as drift.
 *
 * @see https://argoproj.github.io/argo-rollouts/features/traffic-management/istio/
 */
export class CanaryRollout extends Construct {
  /** The model service. */
  public readonly model: ModelService;
  /** The resolved steps. */
  public readonly steps: readonly RolloutStep[];
  /** Traffic routing mode. */
  public readonly trafficRouting: TrafficRouting;
  /** Minimum canary requests a step needs before it may pass (0 without analysis). */
  public readonly minimumSample: number;
  /** The Argo Rollout (the generated class of `imports/`); also `node.defaultChild`. */
  public readonly rollout: Rollout;
  /** The VirtualService (Istio). */
  public readonly virtualService?: VirtualService;
  /** The route's binding to the gateway and in-mesh callers (Istio). */
  public readonly edge?: EdgeRoute;
  /** The DestinationRule (Istio). */
  public readonly destinationRule?: DestinationRule;
  /** The step-gate AnalysisTemplate. */
  public readonly gateTemplate?: AnalysisTemplate;
  /** The background AnalysisTemplate. */
  public readonly watchTemplate?: AnalysisTemplate;

  constructor(scope: Construct, id: string, props: CanaryRolloutProps) {
    super(scope, id);
    checkChartAtSynth(this);
    const v: PropsValidator = new PropsValidator(this);
    const model = props.model;
    this.model = model;
    this.trafficRouting = props.trafficRouting ?? TrafficRouting.ISTIO;
    this.steps = props.steps ?? GUIDE_ROLLOUT_STEPS;
    validateSteps(v, this.steps);
    const istio = this.trafficRouting === TrafficRouting.ISTIO;
    if (!istio) {
      v.check(props.retries === undefined, 'retries', props.retries, 'needs TrafficRouting.ISTIO: without a mesh nothing applies retries');
      v.check(props.circuitBreaker === undefined, 'circuitBreaker', props.circuitBreaker, 'needs TrafficRouting.ISTIO: without a mesh nothing applies circuit breaking');
      v.check(props.gateway === undefined && props.meshCallers === undefined, 'gateway', props.gateway ?? props.meshCallers,
        'needs TrafficRouting.ISTIO: without Istio routes the model is reached through its Service only');
    }

    const analysis = props.analysis === false ? undefined : this.resolveAnalysis(v, props.analysis ?? {});
    this.minimumSample = analysis?.minimumSample ?? 0;

    const host = clusterLocalHost(model.name, model.namespace);
    if (istio) {
      this.edge = new EdgeRoute(this, 'Edge', {
        ...props, name: model.name, modelName: model.name, internalHost: host, defaults: edgeSettings(model.preset), labels: model.labels,
      });
      // The proxies that apply the route (gateway pods, in-mesh callers) must reach the model's pods.
      this.edge.callers.forEach((peer, i) => model.allowIngress({ from: [networkPeer(v, peer, `edge.callers[${i}]`)], ports: [tcpPort(model.port)] }));
      this.virtualService = this.renderVirtualService(v, host, props.retries ?? {});
      this.destinationRule = this.renderDestinationRule(v, host, props.circuitBreaker ?? {});
    }
    if (analysis) {
      this.gateTemplate = this.renderTemplate('GateTemplate', `${model.name}-canary-gate`, analysis, true);
      this.watchTemplate = this.renderTemplate('WatchTemplate', `${model.name}-canary-watch`, analysis, false);
      // Canary and stable pods differ by the pod-template-hash label Argo Rollouts sets; scrape it so queries can tell them apart.
      model.scrapePodLabel(HASH_LABEL);
      model.addDashboardRow(canaryRow({ model, rollout: model.name, hashLabel: HASH_PROM_LABEL }));
    }

    const podTemplate = model.adoptWorkload({ apiVersion: Rollout.GVK.apiVersion, kind: Rollout.GVK.kind, name: model.name });
    this.rollout = new AdoptingRollout(this, 'Rollout', {
      metadata: { name: model.name, labels: { ...model.labels } },
      spec: {
        replicas: model.autoscaler === undefined ? model.replicas : undefined,
        revisionHistoryLimit: 5,
        selector: { matchLabels: { ...model.selectorLabels } },
        strategy: { canary: this.canaryStrategy(istio, analysis !== undefined) },
      },
    }, podTemplate);
    this.node.defaultChild = this.rollout;
    addSynthCheck(this, () => this.crossCheck());
  }

  /**
   * Argo CD `ignoreDifferences` entries for the fields Argo Rollouts edits at
   * run time (route weights, subset labels): put them in the Application so a
   * rollout in progress is not reported as drift or undone by self-heal.
   */
  public argoCdIgnoreDifferences(): Array<Record<string, unknown>> {
    if (this.trafficRouting !== TrafficRouting.ISTIO) {
      return [];
    }
    const ns = this.model.namespace;
    return [
      { group: 'networking.istio.io', kind: 'VirtualService', name: this.model.name, ...(ns ? { namespace: ns } : {}), jsonPointers: ['/spec/http/0/route'] },
      { group: 'networking.istio.io', kind: 'DestinationRule', name: this.model.name, ...(ns ? { namespace: ns } : {}), jsonPointers: ['/spec/subsets'] },
    ];
  }

  private resolveAnalysis(v: PropsValidator, a: CanaryAnalysisOptions): ResolvedAnalysis {
    const maxErrorRate = v.range('analysis.maxErrorRate', a.maxErrorRate ?? this.model.slo.errorRate, 0.0001, 0.5);
    const baseline = v.range('analysis.baselineErrorRate', a.baselineErrorRate ?? 0.001, 0, 0.5);
    v.check(baseline < maxErrorRate, 'analysis.baselineErrorRate', baseline, `must be below 'analysis.maxErrorRate' (${maxErrorRate})`);
    const increase = v.range('analysis.detectableIncrease', a.detectableIncrease ?? maxErrorRate - baseline, 0.00001, 1 - baseline);
    const alpha = v.range('analysis.alpha', a.alpha ?? 0.05, 0.0001, 0.5);
    const power = v.range('analysis.power', a.power ?? 0.8, 0.5, 0.9999);
    const latency = a.maxLatencyP99 ?? this.model.slo.latencyP99;
    v.check(latency.toMilliseconds() > 0, 'analysis.maxLatencyP99', latency, 'must be longer than 0');
    const interval = a.interval ?? Duration.minutes(5);
    v.seconds('analysis.interval', interval, 30, 3600);
    const sample = requiredSampleSize({ baselineRate: baseline, minDetectableEffect: increase, alpha, power });
    const address = validateHttpUrl(v, 'analysis.prometheusAddress', a.prometheusAddress ?? this.model.monitoring.prometheusUrl);
    return { maxErrorRate, latencySeconds: latency.toMilliseconds() / 1000, interval, minimumSample: sample.treatment, address };
  }

  private canaryStrategy(istio: boolean, analysed: boolean): RolloutSpecStrategyCanary {
    const name = this.model.name;
    const canaryHash = { name: 'canary-hash', valueFrom: { podTemplateHashValue: 'Latest' } };
    return {
      maxSurge: RolloutSpecStrategyCanaryMaxSurge.fromString('25%'),
      maxUnavailable: RolloutSpecStrategyCanaryMaxUnavailable.fromNumber(0),
      abortScaleDownDelaySeconds: 30,
      trafficRouting: istio ? {
        istio: {
          virtualService: { name, routes: [ROUTE] },
          destinationRule: { name, canarySubsetName: CANARY, stableSubsetName: STABLE },
        },
      } : undefined,
      analysis: analysed ? { templates: [{ templateName: `${name}-canary-watch` }], startingStep: 1, args: [canaryHash] } : undefined,
      steps: this.renderSteps(analysed, canaryHash),
    };
  }

  private renderSteps(gated: boolean, canaryHash: { name: string; valueFrom: { podTemplateHashValue: string } }): RolloutSpecStrategyCanarySteps[] {
    const steps: RolloutSpecStrategyCanarySteps[] = [];
    for (const step of this.steps) {
      steps.push({ setWeight: step.weight });
      if (step.pause) {
        const window = promDuration(step.pause);
        steps.push({ pause: { duration: RolloutSpecStrategyCanaryStepsPauseDuration.fromString(window) } });
        if (gated) {
          steps.push({ analysis: { templates: [{ templateName: `${this.model.name}-canary-gate` }], args: [canaryHash, { name: 'window', value: window }] } });
        }
      }
    }
    return steps;
  }

  /**
   * The canary's user-traffic queries over `window`. `errorRate` and `latency` return a value only
   * when the canary served at least `minimumSample` user requests in the window (`and on()` the
   * filtered count): with fewer, the result is empty and matches neither condition.
   */
  private queries(window: string, minimumSample: number) {
    const model = this.model;
    const m = model.monitoring;
    const { requestsTotal, durationBucket } = m.metrics;
    const scope: Record<string, string> = { service: model.name };
    if (model.namespace) scope.namespace = model.namespace;
    const canary = `${HASH_PROM_LABEL}="{{args.canary-hash}}"`;
    const user = userTrafficMatchers(m);
    const sel = promSelector(scope, [canary, ...user]);
    const errSel = promSelector(scope, [canary, errorStatusMatcher(m), ...user]);
    const requests = `sum(increase(${requestsTotal}${sel}[${window}]))`;
    const enough = `and on() (${requests} >= ${minimumSample})`;
    return {
      // `or vector(0)`: with no 5xx at all the numerator has no series; the ratio must be 0, not empty.
      errorRate: `((sum(rate(${requestsTotal}${errSel}[${window}])) or vector(0)) / sum(rate(${requestsTotal}${sel}[${window}]))) ${enough}`,
      latency: `histogram_quantile(0.99, sum by (le) (rate(${durationBucket}${sel}[${window}]))) ${enough}`,
    };
  }

  private renderTemplate(id: string, name: string, a: ResolvedAnalysis, gate: boolean): AnalysisTemplate {
    const prometheus = (query: string) => ({ prometheus: { address: a.address, query } });
    const metrics: AnalysisTemplateSpecMetrics[] = [];
    const once = AnalysisTemplateSpecMetricsCount.fromNumber(1);
    const errorLimit = AnalysisTemplateSpecMetricsConsecutiveErrorLimit.fromNumber(4);
    if (gate) {
      // One measurement at the end of a step over the whole step: no data or too few user requests
      // give an empty result, which matches neither condition: Inconclusive, the rollout pauses.
      const q = this.queries('{{args.window}}', a.minimumSample);
      metrics.push(
        {
          name: 'error-rate', count: once,
          successCondition: `len(result) > 0 && !isNaN(result[0]) && result[0] <= ${a.maxErrorRate}`,
          failureCondition: `len(result) > 0 && !isNaN(result[0]) && result[0] > ${a.maxErrorRate}`,
          provider: prometheus(q.errorRate),
        },
        {
          name: 'latency-p99', count: once,
          successCondition: `len(result) > 0 && !isNaN(result[0]) && result[0] <= ${a.latencySeconds}`,
          failureCondition: `len(result) > 0 && !isNaN(result[0]) && result[0] > ${a.latencySeconds}`,
          provider: prometheus(q.latency),
        },
      );
    } else {
      // Watches the whole rollout; a quiet interval (below the minimum sample) is not a failure, a breach is.
      const q = this.queries(promDuration(a.interval), a.minimumSample);
      const interval = promDuration(a.interval);
      metrics.push(
        {
          name: 'error-rate', interval, failureLimit: AnalysisTemplateSpecMetricsFailureLimit.fromNumber(0), consecutiveErrorLimit: errorLimit,
          successCondition: `len(result) == 0 || isNaN(result[0]) || result[0] <= ${a.maxErrorRate}`,
          failureCondition: `len(result) > 0 && !isNaN(result[0]) && result[0] > ${a.maxErrorRate}`,
          provider: prometheus(q.errorRate),
        },
        {
          name: 'latency-p99', interval, failureLimit: AnalysisTemplateSpecMetricsFailureLimit.fromNumber(1), consecutiveErrorLimit: errorLimit,
          successCondition: `len(result) == 0 || isNaN(result[0]) || result[0] <= ${a.latencySeconds}`,
          failureCondition: `len(result) > 0 && !isNaN(result[0]) && result[0] > ${a.latencySeconds}`,
          provider: prometheus(q.latency),
        },
      );
    }
    return new AnalysisTemplate(this, id, {
      metadata: { name, labels: { ...this.model.labels } },
      spec: {
        args: gate ? [{ name: 'canary-hash' }, { name: 'window' }] : [{ name: 'canary-hash' }],
        metrics,
      },
    });
  }

  private renderVirtualService(v: PropsValidator, host: string, r: RetryOptions): VirtualService {
    const port = { number: this.model.servicePort };
    return new VirtualService(this, 'VirtualService', {
      metadata: { name: this.model.name, labels: { ...this.model.labels } },
      spec: {
        hosts: [...this.edge?.hosts ?? [host]],
        gateways: [...this.edge?.gateways ?? []],
        http: [{
          name: ROUTE,
          route: [
            { destination: { host, subset: STABLE, port }, weight: 100 },
            { destination: { host, subset: CANARY, port }, weight: 0 },
          ],
          retries: istioRetries(v, r),
        }],
      },
    });
  }

  private renderDestinationRule(v: PropsValidator, host: string, c: CircuitBreakerOptions): DestinationRule {
    return new DestinationRule(this, 'DestinationRule', {
      metadata: { name: this.model.name, labels: { ...this.model.labels } },
      spec: {
        host,
        trafficPolicy: istioTrafficPolicy(v, c),
        subsets: [
          { name: STABLE, labels: { ...this.model.selectorLabels } },
          { name: CANARY, labels: { ...this.model.selectorLabels } },
        ],
      },
    });
  }

  /** Checks across the rendered objects (after JSON patches), run at synth. */
  private crossCheck(): ValidationError[] {
    const errors: ValidationError[] = [];
    const fail = (property: string, value: unknown, rule: string) => errors.push(new ValidationError(this.node.path, property, value, rule));
    const canary = valueAt(this.rollout.toJson(), 'spec', 'strategy', 'canary');
    const istio = valueAt(canary, 'trafficRouting', 'istio');
    if (istio !== undefined && this.virtualService && this.destinationRule) {
      const routes = list(valueAt(this.virtualService.toJson(), 'spec', 'http')).map((h) => valueAt(h, 'name'));
      for (const route of list(valueAt(istio, 'virtualService', 'routes'))) {
        if (!routes.includes(route)) {
          fail('trafficRouting', route, `the Rollout routes traffic through VirtualService route '${String(route)}', which the VirtualService does not have (routes: ${routes.join(', ') || 'none'})`);
        }
      }
      const subsets = list(valueAt(this.destinationRule.toJson(), 'spec', 'subsets')).map((s) => valueAt(s, 'name'));
      for (const subset of [valueAt(istio, 'destinationRule', 'canarySubsetName'), valueAt(istio, 'destinationRule', 'stableSubsetName')]) {
        if (!subsets.includes(subset)) {
          fail('trafficRouting', subset, `the Rollout uses DestinationRule subset '${String(subset)}', which the DestinationRule does not define (subsets: ${subsets.join(', ') || 'none'})`);
        }
      }
    }
    const weights = list(valueAt(canary, 'steps')).map((s) => valueAt(s, 'setWeight')).filter((w) => typeof w === 'number');
    if (!weights.every((w, i) => i === 0 || w > weights[i - 1]) || weights.at(-1) !== 100) {
      fail('steps', weights, `canary weights must strictly increase and end at 100, got ${weights.join(', ')}`);
    }
    for (const template of [this.gateTemplate, this.watchTemplate]) {
      for (const metric of list(valueAt(template?.toJson(), 'spec', 'metrics'))) {
        const query = valueAt(metric, 'provider', 'prometheus', 'query');
        const q = typeof query === 'string' ? query : '';
        if (!q.includes(`service="${this.model.name}"`) || (this.model.namespace && !q.includes(`namespace="${this.model.namespace}"`))) {
          fail('analysis', valueAt(metric, 'name'), `analysis metric '${String(valueAt(metric, 'name'))}' does not select service="${this.model.name}"${this.model.namespace ? ` in namespace "${this.model.namespace}"` : ''}: ${q}`);
        }
      }
    }
    return errors;
  }
}

/** The analysis options, resolved and validated. */
interface ResolvedAnalysis {
  readonly maxErrorRate: number;
  readonly latencySeconds: number;
  readonly interval: Duration;
  readonly minimumSample: number;
  readonly address: string;
}

/**
 * The generated Rollout, with the pod template of the model's Deployment.
 * The generated `toJson` maps `spec.template` through the Argo Rollouts
 * schema, which wants int-or-string fields (probe ports) as wrapper objects
 * and drops fields the CRD does not list (`setHostnameAsFQDN`); the adopted
 * template is already rendered JSON (with the model's and the user's JSON
 * patches), so it is set after that mapping, its keys sorted like cdk8s sorts props. Change the pod template through
 * the model (its container, `deployment.scheduling`, JSON patches under
 * `/spec/template` of the Deployment): JSON patches of the Rollout apply
 * before the template is set, so they cannot reach it.
 */
class AdoptingRollout extends Rollout {
  constructor(scope: Construct, id: string, props: RolloutProps, private readonly podTemplate: () => Readonly<Record<string, unknown>>) {
    super(scope, id, props);
  }

  public override toJson(): Record<string, unknown> {
    const json: unknown = super.toJson();
    const spec = valueAt(json, 'spec');
    if (!isRecord(json) || !isRecord(spec)) {
      throw new Error(`${this.node.path}: the generated Rollout rendered no spec`);
    }
    // Keys sorted at every level, as cdk8s renders the props of an ApiObject.
    const template: unknown = JSON.parse(stableJson(rolloutPodTemplate(this.podTemplate())));
    return { ...json, spec: { ...spec, template } };
  }
}

/** The elements of a JSON array (none when `value` is not an array). */
function list(value: unknown): readonly unknown[] {
  return Array.isArray(value) ? value : [];
}

/** Steps: weights 1-100 strictly increasing, ending at 100; a pause (1s-7d) on every step but the last. */
export function validateSteps(v: PropsValidator, steps: readonly RolloutStep[]): void {
  v.check(steps.length > 0, 'steps', [], 'must list at least one step');
  steps.forEach((step, i) => {
    v.check(Number.isInteger(step.weight) && step.weight >= 1 && step.weight <= 100, `steps[${i}].weight`, step.weight, 'must be an integer from 1 to 100');
    if (i > 0) {
      v.check(step.weight > steps[i - 1].weight, `steps[${i}].weight`, step.weight, `must be greater than the previous step's weight (${steps[i - 1].weight}): weights strictly increase`);
    }
    const last = i === steps.length - 1;
    if (last) {
      v.check(step.weight === 100, `steps[${i}].weight`, step.weight, 'the last step must send 100% of traffic to the new version');
      v.check(step.pause === undefined, `steps[${i}].pause`, step.pause, 'the last (100%) step has nothing left to wait for; leave its pause unset');
    } else {
      v.check(step.pause !== undefined, `steps[${i}].pause`, step.pause, 'every step before 100% needs a pause to watch the canary');
      const seconds = step.pause.toMilliseconds() / 1000;
      v.check(Number.isInteger(seconds) && seconds >= 1 && seconds <= 7 * 24 * 3600, `steps[${i}].pause`, step.pause, 'must be a whole number of seconds from 1 second to 7 days');
    }
  });
}

/**
 * The Deployment's pod template as a Rollout's: ReplicaSets of a Rollout are
 * labelled `rollouts-pod-template-hash` (not `pod-template-hash`), so
 * topology spread must key on that to spread each version on its own.
 */
function rolloutPodTemplate(template: Readonly<Record<string, unknown>>): Readonly<Record<string, unknown>> {
  const spec = template.spec;
  if (!isRecord(spec) || !Array.isArray(spec.topologySpreadConstraints)) {
    return template;
  }
  return {
    ...template,
    spec: {
      ...spec,
      topologySpreadConstraints: list(spec.topologySpreadConstraints).map((c) => (isRecord(c) && c.matchLabelKeys
        ? { ...c, matchLabelKeys: list(c.matchLabelKeys).map((k) => (k === 'pod-template-hash' ? HASH_LABEL : k)) }
        : c)),
    },
  };
}
