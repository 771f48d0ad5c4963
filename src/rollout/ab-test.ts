import { Cron, Duration } from 'cdk8s';
import { Construct } from 'constructs';
import { DestinationRule } from '../../imports/destinationrule-networking.istio.io';
import { VirtualService } from '../../imports/virtualservice-networking.istio.io';
import { AbAnalysisConfig } from './ab-analysis';
import { readBundle } from '../core/bundles';
import { PropsValidator, ValidationError, addSynthCheck } from '../core/errors';
import { checkChartAtSynth } from '../core/chart-checks';
import { validateHttpUrl } from '../core/url';
import { validateSchedule } from '../core/cron';
import { clusterLocalHost, networkPeer, tcpPort } from '../kube/network';
import { CircuitBreakerOptions, RetryOptions, istioRetries, istioTrafficPolicy } from './mesh';
import { MANAGED_BY } from '../core/labels';
import { promDuration, promSelector } from '../monitoring/monitoring';
import { renderAlertRule } from '../monitoring/alert-rule';
import { RecordingRule } from '../monitoring/slo';
import { PrometheusRule } from '../../imports/prometheusrule-monitoring.coreos.com';
import { bucketRanges, requiredSampleSize } from '../stats/ab';
import { ModelService } from '../serving/model-service';
import { NodeScriptCronJob } from '../kube/node-script-job';
import { EdgeRoute, RouteExposure } from '../traffic/route';
import { StickyUserId } from '../traffic/envoy';
import { edgeSettings } from '../policy/presets';

/** One arm of an experiment: a model service and its share of users. */
export interface AbVariant {
  /** Variant name (DNS label), for example `control` or `xgb-v2`. */
  readonly name: string;
  /** The model service that serves it. */
  readonly model: ModelService;
  /** Percent of users (integer; the weights of all variants sum to 100). */
  readonly weight: number;
}

/** What the experiment must be able to detect, and the traffic it gets. */
export interface ExperimentDesign {
  /** Users entering the experiment per day (all variants together). */
  readonly dailyUsers: number;
  /** Success rate of control, for example 0.75. */
  readonly baselineRate: number;
  /** Smallest absolute change of the success rate worth detecting, for example 0.02. */
  readonly minDetectableEffect: number;
  /** Significance level (two-sided). @default 0.05 */
  readonly alpha?: number;
  /** Power. @default 0.8 */
  readonly power?: number;
  /** Planned duration; shorter than the sample size needs is an error. */
  readonly plannedDuration: Duration;
}

/** Settings of the analysis job. */
export interface AbAnalysisJobOptions {
  /** When the analysis runs. @default - daily at 06:00 */
  readonly schedule?: Cron;
  /** Time zone of the schedule. @default 'UTC' */
  readonly timeZone?: string;
  /** Prometheus base URL. @default - the control model's `monitoring.prometheusUrl` */
  readonly prometheusUrl?: string;
  /** Counter of successful outcomes per request, labelled by `service`. @default 'model_outcome_success_total' */
  readonly successMetric?: string;
  /** Counter of all outcomes, labelled by `service`. @default 'model_outcome_total' */
  readonly totalMetric?: string;
  /** Pushgateway for the ml_ab_* result metrics. @default - none */
  readonly pushgatewayUrl?: string;
  /** Job image. @default NODE_IMAGE */
  readonly image?: string;
}

/**
 * Properties of an {@link AbTest}. The {@link RouteExposure} props say which
 * proxies apply its route: at the `gateway` the bucket header is computed
 * from the user id (a caller-supplied one is removed); `meshCallers` call
 * `host` through their sidecars and must set the header themselves (`assignVariant`).
 */
export interface AbTestProps extends RouteExposure {
  /** Experiment id (DNS label): part of the assignment hash and of object names. */
  readonly experimentId: string;
  /** Variants, control first. */
  readonly variants: readonly AbVariant[];
  /** Expected traffic and the effect to detect. */
  readonly design: ExperimentDesign;
  /** Host in-mesh callers call. @default - the control model's Service */
  readonly host?: string;
  /** Where the gateway reads the user id from (header first, then cookie). @default { header: 'x-user-id' } */
  readonly userId?: StickyUserId;
  /** Header carrying the user's bucket (0-99), set by the caller or an edge filter with `assignVariant` (`src/stats/ab.ts`). @default 'x-ab-bucket' */
  readonly bucketHeader?: string;
  /** Retries of every route. @default - 3 attempts, 2s per try */
  readonly retries?: RetryOptions;
  /** Circuit breaking of every variant's destination. @default - 5 consecutive 5xx eject for 60s */
  readonly circuitBreaker?: CircuitBreakerOptions;
  /** The analysis CronJob; `false` for none. @default - daily at 06:00 UTC */
  readonly analysis?: AbAnalysisJobOptions | false;
}

/**
 * A sticky A/B experiment between model services on Istio. Users are
 * assigned by `bucket = FNV-1a(experimentId + ':' + userId) mod 100`
 * (`assignVariant`, computed by the caller or an edge filter into a
 * header); the VirtualService routes each variant's bucket range to its
 * model and everything else, including requests without the header, to
 * control. At synth time the planned duration is checked against the sample
 * size the design needs. A CronJob analyses the outcome counts in Prometheus
 * with a chi-square test and recommends continue / deploy / keep control.
 */
export class AbTest extends Construct {
  /** Bucket ranges per variant (inclusive), from `bucketRanges`. */
  public readonly ranges: ReadonlyArray<{ readonly name: string; readonly from: number; readonly to: number }>;
  /** Required users per variant (control first). */
  public readonly requiredSamples: readonly number[];
  /** Days the design needs at the given traffic. */
  public readonly requiredDays: number;
  /** The routing VirtualService. */
  public readonly virtualService: VirtualService;
  /** The route's binding to the gateway (with the sticky assignment filter) and in-mesh callers. */
  public readonly edge: EdgeRoute;
  /** Circuit breaking per variant host. */
  public readonly destinationRules: readonly DestinationRule[];
  /** The analysis job, if any. */
  public readonly analysisJob?: NodeScriptCronJob;
  /**
   * Recording rules of running outcome totals, rendered when the planned duration is longer
   * than Prometheus keeps samples (the control model's `monitoring.retention`).
   */
  public readonly runningTotals?: PrometheusRule;

  constructor(scope: Construct, id: string, props: AbTestProps) {
    super(scope, id);
    checkChartAtSynth(this);
    const v: PropsValidator = new PropsValidator(this);
    const experimentId = v.dnsLabel('experimentId', props.experimentId, 40);
    const [control, treatments] = validateVariants(v, props.variants);
    // At synth, not now: a canary created after the experiment adopts the model's pods too.
    addSynthCheck(this, () => canaryConflicts(this.node.path, props.variants));
    const header = v.matches('bucketHeader', props.bucketHeader ?? 'x-ab-bucket', /^[a-z0-9][a-z0-9-]*$/, 'must be a lower-case HTTP header name');
    const design = checkDesign(v, props.design, control, treatments);
    this.requiredSamples = design.requiredSamples;
    this.requiredDays = design.requiredDays;
    this.ranges = bucketRanges(props.variants.map((x) => ({ name: x.name, weight: x.weight })));

    const labels = { 'app.kubernetes.io/name': experimentId, 'app.kubernetes.io/component': 'ab-test', 'app.kubernetes.io/managed-by': MANAGED_BY };
    this.edge = this.bindEdge(v, experimentId, labels, header, props, control);
    this.virtualService = this.renderVirtualService(v, experimentId, labels, header, props, control, treatments);
    const trafficPolicy = istioTrafficPolicy(v, props.circuitBreaker);
    this.destinationRules = props.variants.map((x) => new DestinationRule(this, `DestinationRule-${x.name}`, {
      metadata: { name: `${experimentId}-${x.name}`, labels },
      spec: { host: hostOf(x.model), trafficPolicy },
    }));
    if (props.analysis !== false) {
      const a = props.analysis ?? {};
      const counters = this.outcomeCounters(v, experimentId, a, props.variants, props.design.plannedDuration);
      this.runningTotals = counters.rule;
      this.analysisJob = this.renderAnalysis(v, experimentId, labels, a, counters.queries, design.alpha, control.model);
    }
    this.node.defaultChild = this.virtualService;
  }

  private bindEdge(v: PropsValidator, experimentId: string, labels: Record<string, string>, header: string, props: AbTestProps, control: AbVariant): EdgeRoute {
    const name = (p: string, x: string | undefined) => (x === undefined ? undefined : v.matches(p, x, /^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/, 'must be an HTTP header or cookie name'));
    const userId = props.userId ?? { header: 'x-user-id' };
    const id = { header: name('userId.header', userId.header)?.toLowerCase(), cookie: name('userId.cookie', userId.cookie) };
    v.check(id.header !== undefined || id.cookie !== undefined, 'userId', userId, 'needs a header or a cookie');
    const edge = new EdgeRoute(this, 'Edge', {
      ...props,
      name: experimentId, modelName: control.model.name, internalHost: props.host ?? hostOf(control.model),
      defaults: edgeSettings(control.model.preset), labels,
      sticky: props.gateway ? { experimentId, bucketHeader: header, userId: id } : undefined,
    });
    // Every variant's pods are reached by the proxies that apply the route.
    for (const x of props.variants) {
      edge.callers.forEach((peer, i) => x.model.allowIngress({ from: [networkPeer(v, peer, `edge.callers[${i}]`)], ports: [tcpPort(x.model.port)] }));
    }
    return edge;
  }

  private renderVirtualService(v: PropsValidator, experimentId: string, labels: Record<string, string>, header: string,
    props: AbTestProps, control: AbVariant, treatments: readonly AbVariant[]): VirtualService {
    const retries = istioRetries(v, props.retries);
    const route = (x: AbVariant) => [{ destination: { host: hostOf(x.model), port: { number: x.model.servicePort } } }];
    return new VirtualService(this, 'VirtualService', {
      metadata: { name: experimentId, labels },
      spec: {
        hosts: [...this.edge.hosts],
        gateways: [...this.edge.gateways],
        http: [
          ...treatments.map((t, i) => ({
            name: `variant-${t.name}`,
            match: [{ headers: { [header]: { regex: bucketRegex(this.ranges[i + 1].from, this.ranges[i + 1].to) } } }],
            route: route(t),
            retries,
          })),
          { name: `control-${control.name}`, route: route(control), retries },
        ],
      },
    });
  }

  /**
   * The outcome queries of every variant. Within the retention of Prometheus (the control
   * model's `monitoring.retention`) they are `increase` over the planned duration. A longer
   * experiment would read truncated counts, so it gets recording rules that accumulate running
   * totals from the moment they are installed (each evaluation adds the last minute's increase
   * to the previous total; the recorded series is always fresh, so retention does not cut it)
   * and the job reads those totals. Needs the control model's monitoring enabled.
   */
  private outcomeCounters(v: PropsValidator, experimentId: string, a: AbAnalysisJobOptions,
    variants: readonly AbVariant[], plannedDuration: Duration): { queries: AbAnalysisConfig['variants']; rule?: PrometheusRule } {
    const metric = (p: string, m: string) => v.matches(p, m, /^[a-zA-Z_:][a-zA-Z0-9_:]*$/, 'must be a Prometheus metric name');
    const success = metric('analysis.successMetric', a.successMetric ?? 'model_outcome_success_total');
    const totalMetric = metric('analysis.totalMetric', a.totalMetric ?? 'model_outcome_total');
    const monitoring = variants[0].model.monitoring;
    const scopeOf = (x: AbVariant) => promSelector(x.model.namespace ? { namespace: x.model.namespace, service: x.model.name } : { service: x.model.name });
    if (plannedDuration.toSeconds() <= monitoring.retention.toSeconds()) {
      const window = promDuration(plannedDuration);
      return {
        queries: variants.map((x) => ({
          name: x.name,
          successQuery: `sum(increase(${success}${scopeOf(x)}[${window}]))`,
          totalQuery: `sum(increase(${totalMetric}${scopeOf(x)}[${window}]))`,
        })),
      };
    }
    v.check(monitoring.enabled, 'design.plannedDuration', plannedDuration,
      `is longer than Prometheus keeps samples (monitoring.retention ${monitoring.retention.toHumanString()} of '${variants[0].model.name}'): `
      + 'the running-total recording rules it then needs require monitoring enabled on the control model');
    const lookback = promDuration(monitoring.retention);
    const records: RecordingRule[] = [];
    const queries = variants.map((x) => {
      const series = (counter: string, record: string) => {
        const labels = { experiment: experimentId, variant: x.name };
        // running total = the last minute's increase + the previous total (0 before the first evaluation).
        records.push({
          record, labels,
          expr: `(sum(increase(${counter}${scopeOf(x)}[1m])) or vector(0)) + on() (sum(last_over_time(${record}${promSelector(labels)}[${lookback}])) or vector(0))`,
        });
        return `max(${record}${promSelector(labels)})`;
      };
      return { name: x.name, successQuery: series(success, AB_SUCCESS_RECORD), totalQuery: series(totalMetric, AB_TOTAL_RECORD) };
    });
    const rule = renderAlertRule(this, 'RunningTotals', {
      name: `${experimentId}-running-totals`, labels: { ...variants[0].model.labels, ...monitoring.selectorLabels }, alertLabels: {}, alerts: [], records,
      recordsInterval: '1m',
    });
    return { queries, rule };
  }

  private renderAnalysis(v: PropsValidator, experimentId: string, labels: Record<string, string>, a: AbAnalysisJobOptions,
    queries: AbAnalysisConfig['variants'], alpha: number, control: ModelService): NodeScriptCronJob {
    const config: AbAnalysisConfig = {
      experimentId,
      prometheusUrl: validateHttpUrl(v, 'analysis.prometheusUrl', a.prometheusUrl ?? control.monitoring.prometheusUrl),
      alpha,
      ...(a.pushgatewayUrl ? { pushgatewayUrl: validateHttpUrl(v, 'analysis.pushgatewayUrl', a.pushgatewayUrl) } : {}),
      variants: queries,
    };
    return new NodeScriptCronJob(this, 'Analysis', {
      name: `${experimentId}-analysis`,
      scriptName: 'ab-analysis.js',
      script: readBundle('ab-analysis'),
      config,
      args: ['run', '--config', '{config}', '--out', '/tmp/ab-analysis'],
      schedule: validatedSchedule(v, a),
      timeZone: a.timeZone,
      image: a.image,
      labels,
      // Default-deny NetworkPolicy: DNS, Prometheus and the Pushgateway only.
      egress: { urls: [config.prometheusUrl, ...(config.pushgatewayUrl ? [config.pushgatewayUrl] : [])] },
    });
  }
}

/** Recorded running total of an experiment's successful outcomes (labels `experiment`, `variant`). */
export const AB_SUCCESS_RECORD = 'ml_ab:outcome_success:running_total';
/** Recorded running total of an experiment's outcomes (labels `experiment`, `variant`). */
export const AB_TOTAL_RECORD = 'ml_ab:outcome:running_total';

function hostOf(model: ModelService): string {
  return clusterLocalHost(model.name, model.namespace);
}

/** The analysis schedule (daily at 06:00 by default), by the library's one cron parser, with its time zone. */
function validatedSchedule(v: PropsValidator, a: AbAnalysisJobOptions): Cron {
  const schedule = a.schedule ?? Cron.schedule({ minute: '0', hour: '6' });
  validateSchedule(v, 'analysis.schedule', schedule, { property: 'analysis.timeZone', value: a.timeZone ?? 'UTC' });
  return schedule;
}

/**
 * A model in an experiment cannot also be in a canary rollout (both would own
 * its Istio routes): checked at synth, so the order the constructs are
 * created in does not matter.
 */
function canaryConflicts(path: string, variants: readonly AbVariant[]): ValidationError[] {
  return variants.flatMap((x, i) => x.model.workload.kind === 'Deployment' ? [] : [new ValidationError(path, `variants[${i}].model`, x.model.name,
    `is run by a ${x.model.workload.kind}; a model in an experiment cannot also be in a canary rollout (both would own its Istio routes)`)]);
}

/** Validates the variants; returns control and the treatments. */
function validateVariants(v: PropsValidator, variants: readonly AbVariant[]): [AbVariant, AbVariant[]] {
  const [control, ...treatments] = variants;
  v.check(control !== undefined && treatments.length >= 1, 'variants', variants.map((x) => x.name), 'needs a control and at least one treatment');
  const names = variants.map((x) => x.name);
  names.forEach((n, i) => v.dnsLabel(`variants[${i}].name`, n, 30));
  v.check(new Set(names).size === names.length, 'variants', names, 'variant names must be unique');
  const models = variants.map((x) => x.model.name);
  v.check(new Set(models).size === models.length, 'variants', models, 'each variant needs its own model service');
  variants.forEach((x, i) => v.integer(`variants[${i}].weight`, x.weight, 1, 99));
  const total = variants.reduce((s, x) => s + x.weight, 0);
  v.check(total === 100, 'variants', variants.map((x) => x.weight), `weights must sum to 100 (they sum to ${total})`);
  return [control, treatments];
}

/** Checks the planned duration against the sample size the design needs (Bonferroni over treatments). */
function checkDesign(v: PropsValidator, d: ExperimentDesign, control: AbVariant, treatments: readonly AbVariant[]) {
  v.positive('design.dailyUsers', d.dailyUsers);
  v.range('design.baselineRate', d.baselineRate, 0.0001, 0.9999);
  v.range('design.minDetectableEffect', d.minDetectableEffect, 0.0001, 1 - d.baselineRate);
  const alpha = v.range('design.alpha', d.alpha ?? 0.05, 0.0001, 0.5);
  const power = v.range('design.power', d.power ?? 0.8, 0.5, 0.9999);
  // Bonferroni: each treatment is compared with control at alpha / treatments.
  const perComparisonAlpha = alpha / treatments.length;
  const samples = treatments.map((t) => requiredSampleSize({
    baselineRate: d.baselineRate, minDetectableEffect: d.minDetectableEffect, alpha: perComparisonAlpha, power, ratio: t.weight / control.weight,
  }));
  const requiredSamples = [Math.max(...samples.map((s) => s.control)), ...samples.map((s) => s.treatment)];
  const variants = [control, ...treatments];
  const daysFor = (users: number, weight: number) => users / (d.dailyUsers * weight / 100);
  const requiredDays = Math.ceil(Math.max(...variants.map((x, i) => daysFor(requiredSamples[i], x.weight))));
  const plannedDays = d.plannedDuration.toHours() / 24;
  v.check(plannedDays >= requiredDays, 'design.plannedDuration', d.plannedDuration,
    `is too short: detecting a ${d.minDetectableEffect} change from a ${d.baselineRate} baseline (alpha ${alpha}, power ${power}) needs `
    + variants.map((x, i) => `${requiredSamples[i]} users in ${x.name}`).join(', ')
    + `; at ${d.dailyUsers} users/day that takes ${requiredDays} days, planned ${Number(plannedDays.toFixed(2))}`);
  return { alpha, requiredSamples, requiredDays };
}

/** An RE2 regex matching the decimal integers from..to (inclusive), as the bucket header carries them. */
export function bucketRegex(from: number, to: number): string {
  const values: string[] = [];
  for (let b = from; b <= to; b++) {
    values.push(String(b));
  }
  return `^(${values.join('|')})$`;
}
