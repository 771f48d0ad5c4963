import { Duration } from 'cdk8s';
import { PropsValidator } from '../core/errors';
import { validateHttpUrl } from '../core/url';

/** Severity of an alert, as the `severity` label Alertmanager routes on. */
export enum AlertSeverity {
  /** Users are affected now: page. */
  CRITICAL = 'critical',
  /** Degradation: act within working hours. */
  WARNING = 'warning',
}

/** Service level objectives of a model service; alerts and canary analysis use them. */
export interface ServiceLevelObjectives {
  /**
   * Highest acceptable share of 5xx responses (0..1).
   * @default 0.01 (the guide's "error rate > 1% for 5 minutes" incident trigger)
   */
  readonly errorRate?: number;
  /**
   * Highest acceptable 99th percentile request latency.
   * @default Duration.millis(500)
   */
  readonly latencyP99?: Duration;
}

/** Names of the request metrics the model server exports on its metrics endpoint. */
export interface RequestMetricNames {
  /**
   * Counter of handled requests.
   * @default 'http_requests_total'
   */
  readonly requestsTotal?: string;
  /**
   * Label of `requestsTotal` that carries the HTTP status code.
   * @default 'status'
   */
  readonly statusLabel?: string;
  /**
   * Histogram (the `_bucket` series) of request durations in seconds.
   * @default 'http_request_duration_seconds_bucket'
   */
  readonly durationBucket?: string;
  /**
   * Label of `requestsTotal` and `durationBucket` that carries the route or handler of the
   * request; probe and metrics paths are excluded from gates, autoscaling and alerts by it.
   * `handler` is what prometheus-fastapi-instrumentator (`http_requests_total{handler,method,status}`,
   * `http_request_duration_seconds{handler,method}`) and the Prometheus Go client's promhttp
   * middleware (`InstrumentHandlerCounter` with a `handler` curried label) emit.
   * @default 'handler'
   */
  readonly pathLabel?: string;
}

/** Prometheus operator settings of a model service. */
export interface MonitoringOptions {
  /**
   * Render a ServiceMonitor and a PrometheusRule (needs the Prometheus operator CRDs).
   * @default true
   */
  readonly enabled?: boolean;
  /**
   * Labels put on the ServiceMonitor and PrometheusRule so that Prometheus
   * selects them. kube-prometheus-stack only picks up objects labelled with
   * its Helm release name.
   * @default { release: 'kube-prometheus-stack' }
   */
  readonly selectorLabels?: Readonly<Record<string, string>>;
  /**
   * Namespace Prometheus runs in; the NetworkPolicy admits scrapes from it.
   * @default 'monitoring'
   */
  readonly namespace?: string;
  /**
   * Path of the metrics endpoint.
   * @default '/metrics'
   */
  readonly path?: string;
  /**
   * Scrape interval.
   * @default Duration.seconds(30)
   */
  readonly scrapeInterval?: Duration;
  /**
   * Base of every alert's `runbook_url`: `<base>/<namespace>-<model>-<alert>.md`. Point it
   * at where your runbooks are browsable (for example your GitOps repository).
   * @default 'runbooks' (relative: the `runbooks/` folder synthesized next to the manifests)
   */
  readonly runbookBaseUrl?: string;
  /**
   * Names of the request metrics the server exports.
   * @default - `http_requests_total{handler,status}` and `http_request_duration_seconds_bucket{handler}`
   */
  readonly metricNames?: RequestMetricNames;
  /**
   * Request paths that are not user traffic (probes, the metrics scrape): every query about
   * a model's requests (canary gates, A/B analysis, autoscaling, alerts, SLOs) drops series
   * whose {@link RequestMetricNames.pathLabel} is one of them. Exact paths, no regex.
   * @default ['/health', '/ready', '/metrics']
   */
  readonly excludedPaths?: readonly string[];
  /**
   * Prometheus HTTP API every gate, trigger and job queries.
   * @default DEFAULT_PROMETHEUS_URL
   */
  readonly prometheusUrl?: string;
  /**
   * How long Prometheus keeps samples (its `--storage.tsdb.retention.time`; kube-prometheus-stack
   * sets 10d). Queries never look further back; longer analyses read accumulated totals.
   * @default Duration.days(15) (Prometheus' own default retention)
   */
  readonly retention?: Duration;
}

/** One alert a construct defines; rendered into a PrometheusRule and into its runbook. */
export interface AlertDefinition {
  /** Alert name (`alert:` field), PascalCase. */
  readonly name: string;
  /** PromQL condition. */
  readonly expr: string;
  /** How long the condition must hold, in Prometheus duration syntax. */
  readonly for: string;
  /** Severity label. */
  readonly severity: AlertSeverity;
  /** One-line summary annotation. */
  readonly summary: string;
  /** Longer description annotation. */
  readonly description: string;
  /** The `runbook_url` annotation. */
  readonly runbookUrl: string;
  /** The `dashboard_url` annotation: the Grafana panel that shows the condition. @default - none */
  readonly dashboardUrl?: string;
}

/** Kebab-case of a PascalCase alert name (`HighErrorRate` -> `high-error-rate`). */
export function kebabCase(name: string): string {
  return name.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase();
}

/** A PromQL label matcher list from sorted label pairs: `{a="x",b="y"}`. */
export function promSelector(labels: Readonly<Record<string, string>>, extra: readonly string[] = []): string {
  const parts = Object.keys(labels).sort().map((k) => `${k}="${labels[k]}"`);
  return `{${[...parts, ...extra].join(',')}}`;
}

/** Prometheus duration syntax of a cdk8s Duration (`5m`, `90s`, `1h`). */
export function promDuration(d: Duration): string {
  const seconds = d.toSeconds();
  if (seconds % 3600 === 0) {
    return `${seconds / 3600}h`;
  }
  if (seconds % 60 === 0) {
    return `${seconds / 60}m`;
  }
  return `${seconds}s`;
}

/** Monitoring settings with defaults applied. */
export interface ResolvedMonitoring {
  /** Whether ServiceMonitors and PrometheusRules are rendered. */
  readonly enabled: boolean;
  /** Labels Prometheus selects monitors and rules by. */
  readonly selectorLabels: Readonly<Record<string, string>>;
  /** Namespace Prometheus runs in. */
  readonly namespace: string;
  /** Base of runbook URLs, without a trailing slash. */
  readonly runbookBaseUrl: string;
  /** Request metric names and labels, defaults applied. */
  readonly metrics: ResolvedRequestMetricNames;
  /** Paths that are not user traffic. */
  readonly excludedPaths: readonly string[];
  /** Prometheus HTTP API base URL. */
  readonly prometheusUrl: string;
  /** Prometheus retention. */
  readonly retention: Duration;
}

/** {@link RequestMetricNames} with defaults applied. */
export interface ResolvedRequestMetricNames {
  /** Counter of handled requests. */
  readonly requestsTotal: string;
  /** Label carrying the HTTP status code. */
  readonly statusLabel: string;
  /** `_bucket` series of the request duration histogram. */
  readonly durationBucket: string;
  /** Label carrying the route or handler. */
  readonly pathLabel: string;
}

/** Default of {@link MonitoringOptions.excludedPaths}: Kubernetes probes and the Prometheus scrape. */
export const DEFAULT_EXCLUDED_PATHS: readonly string[] = ['/health', '/ready', '/metrics'];

/**
 * Applies the documented defaults of {@link MonitoringOptions}. Pass a validator to
 * check names and paths (a ValidationError names the property under `monitoring.`).
 */
export function resolveMonitoring(m: MonitoringOptions = {}, v?: PropsValidator): ResolvedMonitoring {
  const names = m.metricNames ?? {};
  const metricName = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
  const labelName = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
  const check = (property: string, value: string, re: RegExp, allowed: string): string =>
    (v ? v.matches(property, value, re, allowed) : value);
  const excludedPaths = [...(m.excludedPaths ?? DEFAULT_EXCLUDED_PATHS)];
  excludedPaths.forEach((p, i) => check(`monitoring.excludedPaths[${i}]`, p, /^\/[^\s"\\]*$/, 'must be a path starting with / without quotes, backslashes or spaces'));
  const retention = m.retention ?? Duration.days(15);
  v?.check(retention.toSeconds() >= 3600, 'monitoring.retention', retention.toHumanString(), 'must be at least 1 hour');
  const prometheusUrl = m.prometheusUrl ?? DEFAULT_PROMETHEUS_URL;
  if (v) {
    validateHttpUrl(v, 'monitoring.prometheusUrl', prometheusUrl);
  }
  return {
    enabled: m.enabled ?? true,
    selectorLabels: m.selectorLabels ?? { release: 'kube-prometheus-stack' },
    namespace: m.namespace ?? 'monitoring',
    runbookBaseUrl: (m.runbookBaseUrl ?? 'runbooks').replace(/\/+$/, ''),
    metrics: {
      requestsTotal: check('monitoring.metricNames.requestsTotal', names.requestsTotal ?? 'http_requests_total', metricName, 'must be a Prometheus metric name'),
      statusLabel: check('monitoring.metricNames.statusLabel', names.statusLabel ?? 'status', labelName, 'must be a Prometheus label name'),
      durationBucket: check('monitoring.metricNames.durationBucket', names.durationBucket ?? 'http_request_duration_seconds_bucket', /^[a-zA-Z_:][a-zA-Z0-9_:]*_bucket$/, 'must be the _bucket series of a Prometheus histogram'),
      pathLabel: check('monitoring.metricNames.pathLabel', names.pathLabel ?? 'handler', labelName, 'must be a Prometheus label name'),
    },
    excludedPaths,
    prometheusUrl: prometheusUrl.replace(/\/+$/, ''),
    retention,
  };
}

/** Escapes a literal for a PromQL regex matcher (RE2 metacharacters, then the string quote). */
function promRegexLiteral(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\\\$&');
}

/**
 * Label matchers that keep only user traffic: `['handler!~"/health|/ready|/metrics"']`,
 * `[]` when no path is excluded. Add them to every selector of the request metrics.
 */
export function userTrafficMatchers(m: ResolvedMonitoring): string[] {
  if (m.excludedPaths.length === 0) {
    return [];
  }
  return [`${m.metrics.pathLabel}!~"${m.excludedPaths.map(promRegexLiteral).join('|')}"`];
}

/**
 * Matcher of failed requests: `status=~"5.."`. Matches numeric codes and the `5xx` of
 * prometheus-fastapi-instrumentator's grouped status codes.
 */
export function errorStatusMatcher(m: ResolvedMonitoring): string {
  return `${m.metrics.statusLabel}=~"5.."`;
}

/** The runbook URL of `alert` for the object `name` in `namespace`: `<base>/<namespace>-<name>-<alert>.md`. */
export function runbookUrl(base: string, namespace: string | undefined, name: string, alert: string): string {
  return `${base}/${namespace ? `${namespace}-` : ''}${name}-${kebabCase(alert)}.md`;
}

/**
 * Prometheus of kube-prometheus-stack: the operator's `prometheus-operated`
 * Service in the `monitoring` namespace. The default of every query the
 * library's gates, triggers and jobs run.
 */
export const DEFAULT_PROMETHEUS_URL = 'http://prometheus-operated.monitoring.svc:9090';

/** The prometheus-pushgateway chart's Service in the `monitoring` namespace: where the library's jobs push their results. */
export const DEFAULT_PUSHGATEWAY_URL = 'http://prometheus-pushgateway.monitoring.svc:9091';

