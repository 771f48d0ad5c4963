/**
 * Service level objectives as code: typed objectives rendered into recording
 * rules and multi-window, multi-burn-rate alerts (Google SRE Workbook,
 * "Alerting on SLOs", https://sre.google/workbook/alerting-on-slos/ , table 5-8:
 * page on 2% of the budget in 1h (14.4x over 1h and 5m) or 5% in 6h (6x over
 * 6h and 30m), ticket on 10% in 3 days (1x over 3d and 6h), for a 30-day window).
 *
 * Compared with the generators it learns from:
 * - Sloth (slok/sloth, `internal/prometheus/recording_rules.go`) records the
 *   error ratio once per alert window (`slo:sli_error:ratio_rate5m`, `_rate30m`,
 *   `_rate1h`, `_rate2h`, `_rate6h`, `_rate1d`, `_rate3d` and the period): seven
 *   or more rules per SLO, each re-reading the raw counters over its window.
 *   Here two rules per objective record the 5-minute rates of bad and of all
 *   events; every longer window is `sum_over_time` of those two series, which is
 *   the exact ratio of sums over the window (the 5-minute overlap weights
 *   numerator and denominator alike) instead of an average of ratios.
 * - Pyrra (pyrra-dev/pyrra, `slo/rules.go`) renders similar rules from a
 *   `ServiceLevelObjective` CRD watched by its operator; here the rules are
 *   plain PrometheusRule objects synthesized with the model: no extra CRD or controller.
 */
import { Duration } from 'cdk8s';
import { PropsValidator } from '../core/errors';
import { AlertSeverity, promDuration, promSelector } from './monitoring';

/** Which alerts a model's error rate and latency objectives render. */
export enum SloAlerting {
  /** Multi-window, multi-burn-rate alerts on the error budget (page and ticket). */
  BURN_RATE = 'burn-rate',
  /** The fixed thresholds of `slo.errorRate` (5xx share over 5 minutes) and `slo.latencyP99`. */
  FIXED_THRESHOLD = 'fixed-threshold',
  /** Both. */
  BOTH = 'both',
}

/** An availability objective: the share of requests that must not fail (5xx). */
export interface AvailabilityObjective {
  /** Share of good requests, for example 0.999. @default - the preset's `serviceLevels.availability` */
  readonly target?: number;
}

/** A latency objective: the share of requests that must be faster than a threshold. */
export interface LatencyObjective {
  /**
   * Latency threshold; must be a bucket boundary (`le`) of the request duration histogram.
   * @default - the model's `slo.latencyP99`
   */
  readonly threshold?: Duration;
  /** Share of requests faster than the threshold, for example 0.99. @default - the preset's `serviceLevels.latency` */
  readonly target?: number;
}

/** The SLOs of a model service. */
export interface ServiceLevelOptions {
  /** Availability objective; `false` renders none. @default - the preset's target */
  readonly availability?: AvailabilityObjective | false;
  /** Latency objective; `false` renders none. @default - the preset's target at `slo.latencyP99` */
  readonly latency?: LatencyObjective | false;
  /** Rolling window of the objectives and their error budgets. @default - the preset's `serviceLevels.window` */
  readonly window?: Duration;
  /**
   * Which alerts are rendered. BOTH keeps the guide's fixed thresholds (a 5xx share above
   * `slo.errorRate` for 5 minutes, p99 above `slo.latencyP99`) next to the burn-rate alerts.
   * @default SloAlerting.BOTH
   */
  readonly alerting?: SloAlerting;
}

/** One resolved objective. */
export interface ResolvedObjective {
  /** `availability` or `latency` (the `slo` label of the recorded series). */
  readonly kind: 'availability' | 'latency';
  /** Share of good events. */
  readonly target: number;
  /** Rolling window. */
  readonly window: Duration;
  /** Latency threshold in seconds (latency objectives). */
  readonly thresholdSeconds?: number;
}

/** A burn-rate alert tier of the SRE Workbook, by budget consumption. */
export interface BurnRateWindow {
  /** Share of the whole window's error budget spent within `long` that fires the alert. */
  readonly budgetConsumed: number;
  /** Long window: the budget spent in it. */
  readonly long: Duration;
  /** Short window (1/12 of the long one): resets the alert soon after the errors stop. */
  readonly short: Duration;
}

/**
 * The SRE Workbook's three tiers (table 5-8): two page conditions and one ticket.
 * The burn-rate factor of a tier is `budgetConsumed * window / long`: 14.4, 6 and 1 for 30 days.
 */
export const BURN_RATE_TIERS: { readonly page: readonly BurnRateWindow[]; readonly ticket: readonly BurnRateWindow[] } = {
  page: [
    { budgetConsumed: 0.02, long: Duration.hours(1), short: Duration.minutes(5) },
    { budgetConsumed: 0.05, long: Duration.hours(6), short: Duration.minutes(30) },
  ],
  ticket: [{ budgetConsumed: 0.1, long: Duration.days(3), short: Duration.hours(6) }],
};

/** Recorded series names (the `model_slo:` prefix: level `model`, the rule's subject, the operation). */
export const SLO_SERIES = {
  /** Rate of all events over 5m. */
  events: 'model_slo:events:rate5m',
  /** Rate of bad events (5xx, or slower than the threshold) over 5m. */
  badEvents: 'model_slo:bad_events:rate5m',
  /** The objective's target (a constant, for dashboards). */
  objective: 'model_slo:objective:ratio',
  /** Share of the window's error budget left (1 = untouched, below 0 = objective missed). */
  budgetRemaining: 'model_slo:error_budget_remaining:ratio',
} as const;

/** A Prometheus recording rule. */
export interface RecordingRule {
  /** Name of the recorded series. */
  readonly record: string;
  /** PromQL expression. */
  readonly expr: string;
  /** Labels added to the recorded series. */
  readonly labels: Readonly<Record<string, string>>;
}

/** Resolves and validates the objectives of a model. */
export function resolveObjectives(v: PropsValidator, o: ServiceLevelOptions | undefined, defaults: {
  readonly availability: number; readonly latency: number; readonly window: Duration; readonly latencyThreshold: Duration;
}): { objectives: ResolvedObjective[]; alerting: SloAlerting } {
  const window = o?.window ?? defaults.window;
  v.check(window.toSeconds() >= Duration.days(3).toSeconds() && window.toSeconds() <= Duration.days(90).toSeconds(),
    'serviceLevels.window', window.toHumanString(), 'must be from 3 to 90 days (the ticket alert looks back 3 days)');
  const objectives: ResolvedObjective[] = [];
  const target = (property: string, value: number) => {
    v.range(property, value, 0.5, 0.99999);
    // The highest tier must be reachable: factor * budget < 1 (a ratio cannot exceed 1).
    const factor = burnFactor(BURN_RATE_TIERS.page[0], window);
    v.check(factor * (1 - value) < 1, property, value,
      `leaves so large an error budget that the ${round(factor)}x page burn rate over ${window.toHumanString()} can never be reached: raise it above ${round(1 - 1 / factor)}`);
    return value;
  };
  if (o?.availability !== false) {
    objectives.push({ kind: 'availability', window, target: target('serviceLevels.availability.target', o?.availability?.target ?? defaults.availability) });
  }
  if (o?.latency !== false) {
    const threshold = o?.latency?.threshold ?? defaults.latencyThreshold;
    v.check(threshold.toMilliseconds() > 0, 'serviceLevels.latency.threshold', threshold.toHumanString(), 'must be longer than 0');
    objectives.push({
      kind: 'latency', window, target: target('serviceLevels.latency.target', o?.latency?.target ?? defaults.latency),
      thresholdSeconds: threshold.toMilliseconds() / 1000,
    });
  }
  return { objectives, alerting: o?.alerting ?? SloAlerting.BOTH };
}

/** The burn-rate factor of a tier for an objective window: `budgetConsumed * window / long`. */
export function burnFactor(tier: BurnRateWindow, window: Duration): number {
  return round((tier.budgetConsumed * window.toSeconds()) / tier.long.toSeconds());
}

function round(x: number): number {
  return Number(x.toPrecision(10));
}

/**
 * Matcher of a histogram bucket boundary. Prometheus 3 normalises `le` of classic
 * histograms to float formatting (`le="1"` scraped becomes `le="1.0"`, see the
 * Prometheus 3 migration guide, https://prometheus.io/docs/prometheus/latest/migration/ );
 * Prometheus 2 keeps what the client wrote: whole numbers match both spellings.
 */
export function bucketMatcher(seconds: number): string {
  return Number.isInteger(seconds) ? `le=~"${seconds}|${seconds}\\\\.0"` : `le="${seconds}"`;
}

/** Where a model's request series are and how to select them. */
export interface SloSubject {
  /** Labels of the recorded series (`model`, `namespace`). */
  readonly labels: Readonly<Record<string, string>>;
  /** Label matchers of the model's request series (scope and user traffic, no braces). */
  readonly matchers: readonly string[];
  /** Matcher of failed requests (`status=~"5.."`). */
  readonly errorMatcher: string;
  /** Counter of requests. */
  readonly requestsTotal: string;
  /** `_bucket` series of the request duration histogram. */
  readonly durationBucket: string;
}

function sel(matchers: readonly string[]): string {
  return `{${matchers.join(',')}}`;
}

/** The recording rules of one objective: 5m rates of all and bad events, the target, the budget left. */
export function sloRecordingRules(subject: SloSubject, o: ResolvedObjective): RecordingRule[] {
  const labels = { ...subject.labels, slo: o.kind };
  const rate = (metric: string, extra: readonly string[]) => `sum(rate(${metric}${sel([...subject.matchers, ...extra])}[5m]))`;
  let events: string;
  let bad: string;
  if (o.kind === 'availability') {
    events = rate(subject.requestsTotal, []);
    // `or vector(0)`: no 5xx series at all means no bad events, not an unknown ratio.
    bad = `${rate(subject.requestsTotal, [subject.errorMatcher])} or vector(0)`;
  } else {
    events = rate(subject.durationBucket, ['le="+Inf"']);
    bad = `${events} - ${rate(subject.durationBucket, [bucketMatcher(o.thresholdSeconds ?? 0)])}`;
  }
  const s = promSelector(labels);
  const w = promDuration(o.window);
  return [
    { record: SLO_SERIES.events, expr: events, labels },
    { record: SLO_SERIES.badEvents, expr: bad, labels },
    { record: SLO_SERIES.objective, expr: `vector(${o.target})`, labels },
    {
      record: SLO_SERIES.budgetRemaining,
      expr: `1 - (sum_over_time(${SLO_SERIES.badEvents}${s}[${w}]) / sum_over_time(${SLO_SERIES.events}${s}[${w}])) / ${budget(o)}`,
      labels,
    },
  ];
}

function budget(o: ResolvedObjective): number {
  return round(1 - o.target);
}

/** Error ratio of an objective over `window`, from the recorded 5m rates. */
export function errorRatio(labels: Readonly<Record<string, string>>, window: Duration): string {
  const s = promSelector(labels);
  if (window.toSeconds() === 300) {
    return `(${SLO_SERIES.badEvents}${s} / ${SLO_SERIES.events}${s})`;
  }
  const w = promDuration(window);
  return `(sum_over_time(${SLO_SERIES.badEvents}${s}[${w}]) / sum_over_time(${SLO_SERIES.events}${s}[${w}]))`;
}

/** The PromQL condition of a burn-rate alert: any tier whose long and short windows both burn faster than its factor. */
export function burnRateExpr(labels: Readonly<Record<string, string>>, o: ResolvedObjective, tiers: readonly BurnRateWindow[]): string {
  return tiers.map((t) => {
    const threshold = `${burnFactor(t, o.window)} * ${budget(o)}`;
    return `(${errorRatio(labels, t.long)} > (${threshold}) and ${errorRatio(labels, t.short)} > (${threshold}))`;
  }).join(' or ');
}

/** A burn-rate alert, before its construct adds names and links. */
export interface BurnRateAlert {
  /** Alert name suffix: `Page` or `Ticket`. */
  readonly tier: 'Page' | 'Ticket';
  /** PromQL condition. */
  readonly expr: string;
  /** `for:` duration. */
  readonly for: string;
  /** Severity. */
  readonly severity: AlertSeverity;
  /** Human summary of what fires it. */
  readonly condition: string;
}

/**
 * The page (critical) and ticket (warning) alerts of an objective. `for: 2m`
 * on pages rides out a single slow evaluation; the short window already makes
 * them reset within minutes of recovery.
 */
export function burnRateAlerts(labels: Readonly<Record<string, string>>, o: ResolvedObjective): BurnRateAlert[] {
  const tierText = (tiers: readonly BurnRateWindow[]) => tiers
    .map((t) => `${t.budgetConsumed * 100}% of the ${o.window.toHumanString()} error budget within ${t.long.toHumanString()} (${burnFactor(t, o.window)}x burn rate over ${promDuration(t.long)} and ${promDuration(t.short)})`)
    .join(', or ');
  const l = { ...labels, slo: o.kind };
  return [
    { tier: 'Page', expr: burnRateExpr(l, o, BURN_RATE_TIERS.page), for: '2m', severity: AlertSeverity.CRITICAL, condition: tierText(BURN_RATE_TIERS.page) },
    { tier: 'Ticket', expr: burnRateExpr(l, o, BURN_RATE_TIERS.ticket), for: '15m', severity: AlertSeverity.WARNING, condition: tierText(BURN_RATE_TIERS.ticket) },
  ];
}

/** Human text of an objective: `99.9% of requests succeed over 30 days`. */
export function describeObjective(o: ResolvedObjective): string {
  const pct = `${round(o.target * 100)}%`;
  return o.kind === 'availability'
    ? `${pct} of requests succeed (no 5xx) over ${o.window.toHumanString()}`
    : `${pct} of requests are faster than ${o.thresholdSeconds}s over ${o.window.toHumanString()}`;
}
