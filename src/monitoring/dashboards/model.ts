import { ResolvedMonitoring, errorStatusMatcher, promSelector, userTrafficMatchers } from '../monitoring';
import { ResolvedObjective, SLO_SERIES, errorRatio } from '../slo';
import { Duration } from 'cdk8s';
import { PanelSpec, RowSpec } from './dashboard';

/** Panel ids of a model dashboard: alerts link to them, so they never change. */
export const MODEL_PANELS = {
  traffic: 2,
  errors: 3,
  latency: 5,
  replicas: 6,
  /** Budget left and burn rate of the availability objective. */
  availabilityBudget: 8,
  availabilityBurn: 9,
  /** Budget left and burn rate of the latency objective. */
  latencyBudget: 10,
  latencyBurn: 11,
  /** Rows contributed by other constructs start here (canary 30-39, drift 40-49). */
  canaryTraffic: 31,
  canaryReplicas: 32,
  canaryAnalysis: 33,
  driftDetected: 41,
  driftPsi: 42,
  driftPvalue: 43,
  driftLastSuccess: 44,
} as const;

/** What the model dashboard needs to know about the model. */
export interface ModelDashboardInput {
  /** Model (Service) name. */
  readonly name: string;
  /** Namespace, if any. */
  readonly namespace?: string;
  /** Resolved monitoring of the model (metric names, excluded paths). */
  readonly monitoring: ResolvedMonitoring;
  /** The model's objectives. */
  readonly objectives: readonly ResolvedObjective[];
}

function requestMatchers(m: ModelDashboardInput): string[] {
  const scope: Record<string, string> = { service: m.name };
  if (m.namespace) scope.namespace = m.namespace;
  return [...Object.keys(scope).sort().map((k) => `${k}="${scope[k]}"`), ...userTrafficMatchers(m.monitoring)];
}

const sel = (matchers: readonly string[]) => `{${matchers.join(',')}}`;

/** The rows every model dashboard has: requests, errors, latency, capacity, and the SLOs. */
export function modelRows(m: ModelDashboardInput): RowSpec[] {
  const metrics = m.monitoring.metrics;
  const req = requestMatchers(m);
  const rate = (metric: string, extra: readonly string[] = []) => `rate(${metric}${sel([...req, ...extra])}[$__rate_interval])`;
  const ns: Record<string, string> = m.namespace ? { namespace: m.namespace } : {};
  const pods = promSelector({ ...ns, condition: 'true' }, [`pod=~"${m.name}-[a-z0-9]+-[a-z0-9]+"`]);
  // KEDA's ScaledObject drives an HPA named keda-hpa-<name> (https://keda.sh/docs/latest/concepts/scaling-deployments/).
  const hpa = promSelector(ns, [`horizontalpodautoscaler=~"${m.name}|keda-hpa-${m.name}"`]);
  const rows: RowSpec[] = [{
    id: 1,
    title: 'Requests',
    panels: [
      {
        id: MODEL_PANELS.traffic, kind: 'timeseries', title: 'Traffic by status', unit: 'reqps',
        description: `User requests per second by ${metrics.statusLabel} (probe and metrics paths excluded).`,
        queries: [{ expr: `sum by (${metrics.statusLabel}) (${rate(metrics.requestsTotal)})`, legend: `{{${metrics.statusLabel}}}` }],
      },
      {
        id: MODEL_PANELS.errors, kind: 'timeseries', title: 'Error rate (5xx share)', unit: 'percentunit',
        description: 'Share of user requests answered with a 5xx status.',
        queries: [{ expr: `(sum(${rate(metrics.requestsTotal, [errorStatusMatcher(m.monitoring)])}) or vector(0)) / sum(${rate(metrics.requestsTotal)})`, legend: '5xx share' }],
      },
    ],
  }, {
    id: 4,
    title: 'Latency and capacity',
    panels: [
      {
        id: MODEL_PANELS.latency, kind: 'timeseries', title: 'Latency percentiles', unit: 's',
        description: 'p50, p90 and p99 request latency from the duration histogram.',
        queries: [0.5, 0.9, 0.99].map((q) => ({ expr: `histogram_quantile(${q}, sum by (le) (${rate(metrics.durationBucket)}))`, legend: `p${q * 100}` })),
      },
      {
        id: MODEL_PANELS.replicas, kind: 'timeseries', title: 'Ready replicas and autoscaler target', unit: 'short',
        description: 'Ready pods (kube-state-metrics), and the desired, minimum and maximum replicas of the HPA (or KEDA\'s HPA) when the model is autoscaled.',
        queries: [
          { expr: `sum(kube_pod_status_ready${pods})`, legend: 'ready' },
          { expr: `max(kube_horizontalpodautoscaler_status_desired_replicas${hpa})`, legend: 'autoscaler target' },
          { expr: `max(kube_horizontalpodautoscaler_spec_min_replicas${hpa})`, legend: 'min' },
          { expr: `max(kube_horizontalpodautoscaler_spec_max_replicas${hpa})`, legend: 'max' },
        ],
      },
    ],
  }];
  if (m.objectives.length > 0) {
    rows.push({ id: 7, title: 'Service level objectives', panels: m.objectives.flatMap((o) => sloPanels(m, o)) });
  }
  return rows;
}

function sloPanels(m: ModelDashboardInput, o: ResolvedObjective): PanelSpec[] {
  const labels: Record<string, string> = { model: m.name, ...(m.namespace ? { namespace: m.namespace } : {}), slo: o.kind };
  const ids = o.kind === 'availability'
    ? { budget: MODEL_PANELS.availabilityBudget, burn: MODEL_PANELS.availabilityBurn }
    : { budget: MODEL_PANELS.latencyBudget, burn: MODEL_PANELS.latencyBurn };
  const what = o.kind === 'availability' ? 'Availability' : `Latency under ${o.thresholdSeconds}s`;
  const budget = Number((1 - o.target).toPrecision(10));
  return [
    {
      id: ids.budget, kind: 'stat', title: `${what}: error budget left (${o.target * 100}% over ${o.window.toHumanString()})`, unit: 'percentunit',
      description: 'Share of the window\'s error budget not yet spent (1 = untouched, 0 or less = objective missed).',
      queries: [{ expr: `${SLO_SERIES.budgetRemaining}${promSelector(labels)}` }],
    },
    {
      id: ids.burn, kind: 'timeseries', title: `${what}: burn rate`, unit: 'short',
      description: 'How fast the error budget burns (1 = exactly spent at the end of the window). Pages fire above 14.4 (1h) and 6 (6h) for a 30-day window.',
      queries: [Duration.minutes(5), Duration.hours(1), Duration.hours(6), Duration.days(3)].map((w) => ({
        expr: `${errorRatio(labels, w)} / ${budget}`, legend: w.toHumanString(),
      })),
    },
  ];
}

/** What the canary row needs: the model's request scope and the Argo Rollout. */
export interface CanaryRowInput {
  /** The model's dashboard input (request scope). */
  readonly model: ModelDashboardInput;
  /** Name of the Rollout. */
  readonly rollout: string;
  /** Prometheus label carrying the pod template hash on scraped series. */
  readonly hashLabel: string;
}

/**
 * The canary row: traffic share per pod template hash (the effective canary
 * weight, from the model's own request metrics), and the Argo Rollouts
 * controller's `rollout_info_replicas_available` and `analysis_run_info` /
 * `analysis_run_metric_phase` (argoproj/argo-rollouts docs/features/controller-metrics.md).
 */
export function canaryRow(c: CanaryRowInput): RowSpec {
  const metrics = c.model.monitoring.metrics;
  const req = sel(requestMatchers(c.model));
  // The controller's series carry the Rollout's namespace in `namespace`; scraped without honor_labels,
  // Prometheus renames it `exported_namespace` (the target's own label wins): match either.
  const controller = (metric: string, name: string) => (c.model.namespace
    ? `(${metric}{namespace="${c.model.namespace}",${name}} or ${metric}{exported_namespace="${c.model.namespace}",${name}})`
    : `${metric}{${name}}`);
  const runs = `name=~"${c.rollout}-.+"`;
  return {
    id: 30,
    title: 'Canary',
    panels: [
      {
        id: MODEL_PANELS.canaryTraffic, kind: 'timeseries', title: 'Traffic share by pod template (canary weight)', unit: 'percentunit',
        description: 'Share of user requests served by each pod template hash: during a canary, the canary hash\'s share is its effective weight.',
        queries: [{
          expr: `sum by (${c.hashLabel}) (rate(${metrics.requestsTotal}${req}[$__rate_interval])) / ignoring(${c.hashLabel}) group_left() sum(rate(${metrics.requestsTotal}${req}[$__rate_interval]))`,
          legend: `{{${c.hashLabel}}}`,
        }],
      },
      {
        id: MODEL_PANELS.canaryReplicas, kind: 'timeseries', title: 'Rollout replicas', unit: 'short',
        description: 'Available and desired replicas of the Rollout (Argo Rollouts controller metrics).',
        queries: [
          { expr: `max(${controller('rollout_info_replicas_available', `name="${c.rollout}"`)})`, legend: 'available' },
          { expr: `max(${controller('rollout_info_replicas_desired', `name="${c.rollout}"`)})`, legend: 'desired' },
        ],
      },
      {
        id: MODEL_PANELS.canaryAnalysis, kind: 'timeseries', title: 'Analysis runs by phase', unit: 'short',
        description: 'AnalysisRuns of the canary gates by phase, and each gate metric\'s last phase (Successful, Failed, Error, Inconclusive).',
        queries: [
          { expr: `count by (phase) (${controller('analysis_run_info', runs)})`, legend: '{{phase}}' },
          { expr: `max by (metric, phase) (${controller('analysis_run_metric_phase', runs)} == 1)`, legend: '{{metric}}: {{phase}}' },
        ],
      },
    ],
  };
}

/** The drift row: the Pushgateway metrics of the model's drift checks (src/drift/metrics.ts). */
export function driftRow(model: string): RowSpec {
  const s = promSelector({ model });
  const perFeature = promSelector({ model }, ['feature!=""']);
  return {
    id: 40,
    title: 'Drift',
    panels: [
      {
        id: MODEL_PANELS.driftDetected, kind: 'timeseries', title: 'Drift detected per feature', unit: 'short',
        description: 'ml_drift_detected of the last check: 1 where a feature drifted (overall: no feature label).',
        queries: [{ expr: `max by (feature) (ml_drift_detected${s})`, legend: '{{feature}}' }],
      },
      {
        id: MODEL_PANELS.driftPsi, kind: 'timeseries', title: 'PSI per feature', unit: 'short',
        description: 'Population Stability Index of each feature, current against reference window (0.1 moderate, 0.25 large shift).',
        queries: [{ expr: `max by (feature) (ml_drift_psi${perFeature})`, legend: '{{feature}}' }],
      },
      {
        id: MODEL_PANELS.driftPvalue, kind: 'timeseries', title: 'Adjusted p-value per feature', unit: 'short',
        description: 'KS or chi-square p-value corrected for multiple testing; below alpha with a large enough effect is drift.',
        queries: [{ expr: `max by (feature) (ml_drift_pvalue_adjusted${perFeature})`, legend: '{{feature}}' }],
      },
      {
        id: MODEL_PANELS.driftLastSuccess, kind: 'stat', title: 'Time since the last successful check', unit: 's',
        description: 'Seconds since ml_drift_last_success_timestamp_seconds; output errors of the last run alongside.',
        queries: [
          { expr: `time() - max(ml_drift_last_success_timestamp_seconds${s})`, legend: 'age' },
          { expr: `max(ml_drift_output_errors${s})`, legend: 'output errors' },
        ],
      },
    ],
  };
}

/** The drift row's panel that shows the condition of each drift alert. */
export function driftAlertPanel(alert: string): number {
  switch (alert) {
    case 'DriftCheckNotSucceeding':
    case 'DriftCheckOutputsFailing':
      return MODEL_PANELS.driftLastSuccess;
    case 'ModelDriftInsufficientData':
      return MODEL_PANELS.driftPvalue;
    default:
      return MODEL_PANELS.driftDetected;
  }
}
