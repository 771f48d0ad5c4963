import { Duration } from 'cdk8s';

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
   * @default - `http_requests_total{status}` and `http_request_duration_seconds_bucket`
   */
  readonly metricNames?: RequestMetricNames;
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
}

/** Applies the documented defaults of {@link MonitoringOptions}. */
export function resolveMonitoring(m: MonitoringOptions = {}): ResolvedMonitoring {
  return {
    enabled: m.enabled ?? true,
    selectorLabels: m.selectorLabels ?? { release: 'kube-prometheus-stack' },
    namespace: m.namespace ?? 'monitoring',
    runbookBaseUrl: (m.runbookBaseUrl ?? 'runbooks').replace(/\/+$/, ''),
  };
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

