// promtool cases of the alerts of ModelService, DriftCronJob, FeatureStore and PlatformBackups
// (see test/support/alert-cases.ts). Metric sources: the model server's request metrics
// (prometheus-fastapi-instrumentator names by default), kube-state-metrics (kube_pod_status_ready,
// kube_cronjob_created, kube_cronjob_status_last_successful_time, kube_namespace_created: docs/metrics/
// workload/{pod,cronjob}-metrics.md, cluster/namespace-metrics.md), the Pushgateway metrics of the
// library's jobs, Velero's server metrics (pkg/metrics/metrics.go), Feast's feature server.
import { AlertCase, InputSeries, matchersOf, seriesOf, thresholdOf } from '../support/alert-cases';

const DAY = 1440; // samples of one day at 1-minute scrapes

function metricBefore(expr: string, pattern: RegExp): string {
  const m = pattern.exec(expr);
  if (!m) throw new Error(`no metric matching ${String(pattern)} in ${expr}`);
  return m[1];
}

/** A request counter and its label names, read from a `sum(rate(<m>{...status=~"5.."...}[5m]))` ratio. */
function requestParts(expr: string) {
  const metric = metricBefore(expr, /rate\(([a-zA-Z_:][a-zA-Z0-9_:]*)\{/);
  const status = metricBefore(expr, /([a-zA-Z_]+)=~"(?:error\|)?5\.\."/);
  const path = /([a-zA-Z_]+)!~"/.exec(expr)?.[1];
  const base = matchersOf(expr, metric);
  delete base[status];
  const at = (handler: string, code: string) => seriesOf(metric, { ...base, ...(path ? { [path]: handler } : {}), [status]: code });
  return { at, path };
}

function requestRatio(): AlertCase {
  return {
    fires: (_, expr) => {
      const { at } = requestParts(expr);
      return { input_series: [{ series: at('/predict', '200'), values: '0+97x30' }, { series: at('/predict', '500'), values: '0+3x30' }], eval_time: '15m' };
    },
    healthy: (_, expr) => {
      const { at, path } = requestParts(expr);
      // Failing readiness probes (503 on /ready while a replica warms up) are not user errors
      // (for metrics with a path label the alert excludes; the feature server's have none).
      return {
        input_series: [
          { series: at('/predict', '200'), values: '0+199x30' }, { series: at('/predict', '500'), values: '0+1x30' },
          ...(path ? [{ series: at('/ready', '503'), values: '0+50x30' }] : []),
        ],
        eval_time: '15m',
      };
    },
    fresh: (_, expr) => [{ series: requestParts(expr).at('/predict', '200'), values: `0+100x${DAY}` }, { series: requestParts(expr).at('/health', '200'), values: `0+12x${DAY}` }],
  };
}

function latency(): AlertCase {
  const buckets = (expr: string, slowest: number, perMinute: number): InputSeries[] => {
    const metric = metricBefore(expr, /rate\(([a-zA-Z_:][a-zA-Z0-9_:]*_bucket)\{/);
    const base = matchersOf(expr, metric);
    const path = /([a-zA-Z_]+)!~"/.exec(expr)?.[1];
    const labels = path ? { ...base, [path]: '/predict' } : base;
    return ['0.05', '0.1', '0.25', '0.5', '1', '2.5', '+Inf'].map((le) => ({
      series: seriesOf(metric, { ...labels, le }), values: le === '+Inf' || Number(le) >= slowest ? `0+${perMinute}x${DAY}` : `0+0x${DAY}`,
    }));
  };
  return {
    fires: (_, expr) => ({ input_series: buckets(expr, 2.5, 10).map((s) => ({ ...s, values: s.values.replace(`x${DAY}`, 'x40') })), eval_time: '30m' }),
    healthy: (_, expr) => ({ input_series: buckets(expr, 0.05, 10).map((s) => ({ ...s, values: s.values.replace(`x${DAY}`, 'x40') })), eval_time: '30m' }),
    fresh: (_, expr) => buckets(expr, 0.05, 100),
  };
}

function replicas(): AlertCase {
  const pod = (expr: string, value: string): InputSeries[] => {
    const prefix = metricBefore(expr, /pod=~"([a-z0-9-]+)-\[a-z0-9\]\+-\[a-z0-9\]\+"/);
    const base = matchersOf(expr, 'kube_pod_status_ready');
    delete base.pod;
    return ['true', 'false'].map((condition) => ({
      series: seriesOf('kube_pod_status_ready', { ...base, pod: `${prefix}-7d9f8c6b5-x2x4z`, condition }),
      values: condition === 'false' ? value : value.replace(/^(\d)/, (d) => String(1 - Number(d))),
    }));
  };
  return {
    fires: (_, expr) => ({ input_series: pod(expr, '1x30'), eval_time: '25m' }),
    healthy: (_, expr) => ({ input_series: pod(expr, '0x30'), eval_time: '25m' }),
    fresh: (_, expr) => pod(expr, `0x${DAY}`),
  };
}

/** A gauge the alert compares against a threshold: `bad` fires, `good` does not; nothing pushed on a fresh install. */
function gauge(op: '>' | '<' | '==', bad: (t: number) => number, good: (t: number) => number, forMinutes = 0): AlertCase {
  const at = (expr: string, value: number, samples = 30): InputSeries[] => {
    const metric = metricBefore(expr, /(?:max|min)\(([a-zA-Z_:][a-zA-Z0-9_:]*)\{/);
    return [{ series: seriesOf(metric, { ...matchersOf(expr, metric), job: 'pushgateway' }), values: `${value}x${samples}` }];
  };
  return {
    fires: (_, expr) => ({ input_series: at(expr, bad(thresholdOf(expr, op))), eval_time: `${forMinutes + 5}m`, value: bad(thresholdOf(expr, op)) }),
    healthy: (_, expr) => ({ input_series: at(expr, good(thresholdOf(expr, op))), eval_time: `${forMinutes + 5}m` }),
    fresh: () => [],
  };
}

/**
 * A "last success" timestamp that must not get older than the rendered threshold, with the CronJob's
 * creation as the start before the first success: fires when the last success is too old and when
 * it never succeeded since creation; silent while successes are fresh and on a fresh install.
 */
function staleness(successMetric: (expr: string) => string, cronJob: (expr: string) => Record<string, string>): AlertCase {
  // 2-minute scrapes (within Prometheus' 5-minute lookback) until 4 hours past the threshold.
  const samples = (expr: string) => Math.ceil(thresholdOf(expr, '>') / 120) + 120;
  const created = (expr: string, n: number): InputSeries => ({ series: seriesOf('kube_cronjob_created', cronJob(expr)), values: `0x${n}` });
  const success = (expr: string) => seriesOf(successMetric(expr), { ...matchersOf(expr, successMetric(expr)), job: 'pushgateway' });
  return {
    // Created at 0, never succeeded: fires once the threshold (and `for`) have passed since creation.
    fires: (_, expr) => ({ interval: '2m', input_series: [created(expr, samples(expr))], eval_time: `${samples(expr) * 2}m` }),
    healthy: (_, expr) => ({
      interval: '2m',
      input_series: [created(expr, samples(expr)), { series: success(expr), values: `0+120x${samples(expr)}` }],
      eval_time: `${samples(expr) * 2}m`,
    }),
    fresh: (_, expr) => [created(expr, DAY)],
  };
}

function driftCronJob(expr: string): Record<string, string> {
  return matchersOf(expr, 'kube_cronjob_created');
}

function materialization(): AlertCase {
  const minutes = (expr: string) => Math.ceil(thresholdOf(expr, '>') / 60) + 20;
  const cron = (expr: string) => matchersOf(expr, 'kube_cronjob_created');
  return {
    fires: (_, expr) => ({ input_series: [{ series: seriesOf('kube_cronjob_created', cron(expr)), values: `0x${minutes(expr)}` }], eval_time: `${minutes(expr)}m` }),
    healthy: (_, expr) => ({
      input_series: [
        { series: seriesOf('kube_cronjob_created', cron(expr)), values: `0x${minutes(expr)}` },
        { series: seriesOf('kube_cronjob_status_last_successful_time', cron(expr)), values: `0+60x${minutes(expr)}` },
      ],
      eval_time: `${minutes(expr)}m`,
    }),
    fresh: (_, expr) => [
      { series: seriesOf('kube_cronjob_created', cron(expr)), values: `0x${DAY}` },
      { series: seriesOf('kube_cronjob_status_last_successful_time', cron(expr)), values: `0+60x${DAY}` },
    ],
  };
}

function velero(): AlertCase {
  const schedules = (expr: string) => metricBefore(expr, /schedule=~"([^"]+)"/).split('|');
  const samples = (expr: string) => Math.ceil(thresholdOf(expr, '>') / 120) + 60;
  const ns = (expr: string) => matchersOf(expr, 'kube_namespace_created');
  const healthySchedule = (s: string, n: number): InputSeries[] => [
    { series: seriesOf('velero_backup_attempt_total', { schedule: s }), values: `0+1x${n}` },
    { series: seriesOf('velero_backup_last_successful_timestamp', { schedule: s }), values: `1+120x${n}` },
  ];
  return {
    fires: (_, expr) => {
      const [first, ...rest] = schedules(expr);
      const n = samples(expr);
      return {
        interval: '2m',
        input_series: [
          { series: seriesOf('kube_namespace_created', ns(expr)), values: `0x${n}` },
          // The first schedule's last backup succeeded at t=1s, then backups stopped.
          { series: seriesOf('velero_backup_attempt_total', { schedule: first }), values: `0+1x${n}` },
          { series: seriesOf('velero_backup_last_successful_timestamp', { schedule: first }), values: `1x${n}` },
          ...rest.flatMap((s) => healthySchedule(s, n)),
        ],
        eval_time: `${n * 2}m`,
        firing: [{ schedule: first }],
      };
    },
    healthy: (_, expr) => ({
      interval: '2m',
      input_series: [{ series: seriesOf('kube_namespace_created', ns(expr)), values: `0x${samples(expr)}` }, ...schedules(expr).flatMap((s) => healthySchedule(s, samples(expr)))],
      eval_time: `${samples(expr) * 2}m`,
    }),
    // Velero runs from the install on: the schedules' backups succeed as planned.
    fresh: (_, expr) => [
      { series: seriesOf('kube_namespace_created', ns(expr)), values: `0x${DAY}` },
      ...schedules(expr).flatMap((s) => healthySchedule(s, DAY).map((x) => ({ ...x, values: x.values.replace('1+120x', '1+60x') }))),
    ],
  };
}

function drillStale(): AlertCase {
  return staleness(() => 'ml_platform_restore_drill_last_success_timestamp_seconds', (expr) => matchersOf(expr, 'kube_cronjob_created'));
}

/** The cases of the library's own alerts (SLO burn-rate alerts have theirs next to the SLO tests). */
export const ALERT_CASES: Record<string, AlertCase> = {
  ModelHighErrorRate: requestRatio(),
  FeatureServerHighErrorRate: requestRatio(),
  ModelHighLatencyP99: latency(),
  ModelReplicasUnavailable: replicas(),
  ModelDataDrift: gauge('>', () => 1, () => 0),
  ModelDriftInsufficientData: gauge('>', () => 1, () => 0),
  DriftCheckOutputsFailing: gauge('>', () => 1, () => 0),
  ModelFeatureAttributionDrift: gauge('<', (t) => t / 2, () => 1),
  ModelAccuracyDrop: gauge('<', (t) => t / 2, () => 1),
  DriftCheckNotSucceeding: staleness(() => 'ml_drift_last_success_timestamp_seconds', driftCronJob),
  FeatureMaterializationStale: materialization(),
  VeleroBackupOlderThanRpo: velero(),
  RestoreDrillFailed: gauge('==', () => 0, () => 1, 5),
  RestoreDrillExceededRto: gauge('>', (t) => 2 * t, (t) => t / 2, 5),
  RestoreDrillStale: drillStale(),
};
