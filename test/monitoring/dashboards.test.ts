import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { App, Chart, Testing } from 'cdk8s';
import { parser } from '@prometheus-io/lezer-promql';
import {
  AwsIdentity, CanaryRollout, CostPreset, DriftCronJob, MODEL_PANELS, ModelService, PLATFORM_PANELS, SLO_SERIES, dashboardJson, platformDashboardSpec, setObservabilityLinks,
} from '../../src';
import { DRIFT_METRIC_HELP } from '../../src/drift/metrics';
import { DRILL_METRICS } from '../../src/dr/restore-drill';
import { CARD, IMAGE, VERSION } from '../support/fixtures';
import { assertValidationError } from '../support/assert';
import { TEST_LINKS, findObject, objectsOfKind, synthValid, testChart } from '../support/synth';

/**
 * Every metric a dashboard may query, with where it comes from. A panel that
 * queries anything else fails the test: add the metric here with its source.
 */
const KNOWN_METRICS: Readonly<Record<string, string>> = {
  // The model server (names configurable: monitoring.metricNames; prometheus-fastapi-instrumentator's defaults).
  http_requests_total: 'model server',
  http_request_duration_seconds_bucket: 'model server',
  // The library's own recording rules (src/monitoring/slo.ts).
  ...Object.fromEntries(Object.values(SLO_SERIES).map((m) => [m, 'SLO recording rules'])),
  // kube-state-metrics (kubernetes/kube-state-metrics docs/metrics/workload/*.md), shipped by kube-prometheus-stack.
  kube_pod_status_ready: 'kube-state-metrics',
  kube_horizontalpodautoscaler_status_desired_replicas: 'kube-state-metrics',
  kube_horizontalpodautoscaler_spec_min_replicas: 'kube-state-metrics',
  kube_horizontalpodautoscaler_spec_max_replicas: 'kube-state-metrics',
  kube_cronjob_status_last_successful_time: 'kube-state-metrics',
  // Argo Rollouts controller (argoproj/argo-rollouts docs/features/controller-metrics.md, pkg metrics/prommetrics.go).
  rollout_info_replicas_available: 'Argo Rollouts controller',
  rollout_info_replicas_desired: 'Argo Rollouts controller',
  analysis_run_info: 'Argo Rollouts controller',
  analysis_run_metric_phase: 'Argo Rollouts controller',
  // Drift checks through the Pushgateway (src/drift/metrics.ts).
  ...Object.fromEntries(Object.keys(DRIFT_METRIC_HELP).map((m) => [m, 'drift check (Pushgateway)'])),
  // Feast feature server (feast-dev/feast sdk/python/feast/feature_server.py metrics).
  feast_feature_server_request_total: 'Feast feature server',
  // Karpenter v1 (karpenter.sh/docs/reference/metrics).
  karpenter_nodepools_usage: 'Karpenter',
  karpenter_nodepools_limit: 'Karpenter',
  karpenter_interruption_received_messages_total: 'Karpenter',
  karpenter_nodeclaims_disrupted_total: 'Karpenter',
  // Velero server (vmware-tanzu/velero pkg/metrics/metrics.go).
  velero_backup_last_successful_timestamp: 'Velero',
  velero_backup_success_total: 'Velero',
  velero_backup_failure_total: 'Velero',
  // Restore drills through the Pushgateway (src/dr/restore-drill.ts).
  ...Object.fromEntries(Object.values(DRILL_METRICS).map((m) => [m, 'restore drill (Pushgateway)'])),
};

/** Parses a panel query as PromQL (Grafana's `$__rate_interval` replaced by a duration) and returns its metric names; fails on a syntax error. */
function metricsOf(expr: string): string[] {
  const promql = expr.replace(/\$__rate_interval/g, '5m');
  const tree = parser.parse(promql);
  const names: string[] = [];
  const errors: string[] = [];
  tree.iterate({
    enter: (n) => {
      if (n.type.isError) errors.push(`at ${n.from}: ${promql.slice(Math.max(0, n.from - 20), n.to + 20)}`);
      if (n.type.name === 'Identifier' && n.node.parent?.type.name === 'VectorSelector') names.push(promql.slice(n.from, n.to));
    },
  });
  assert.deepEqual(errors, [], `not PromQL: ${expr}`);
  return names;
}

interface Dashboard { uid: string; panels: Array<{ id: number; type: string; title: string; targets?: Array<{ expr: string }> }> }

function dashboardsOf(objects: Parameters<typeof objectsOfKind>[0]): Dashboard[] {
  return objectsOfKind(objects, 'ConfigMap').filter((c) => c.metadata.labels?.grafana_dashboard === '1')
    .flatMap((c) => Object.values(c.data as Record<string, string>).map((json) => JSON.parse(json) as Dashboard));
}

function assertQueriesKnown(d: Dashboard): number {
  let queries = 0;
  for (const p of d.panels.filter((x) => x.type !== 'row')) {
    assert.ok((p.targets ?? []).length > 0, `panel ${p.title} has queries`);
    for (const t of p.targets ?? []) {
      const names = metricsOf(t.expr);
      assert.ok(names.length > 0, `${p.title}: ${t.expr} reads a metric`);
      for (const n of names) assert.ok(KNOWN_METRICS[n], `${d.uid} panel '${p.title}' queries ${n}, which no rule of the library or known exporter produces`);
      queries++;
    }
  }
  return queries;
}

function fullModel() {
  const { chart } = testChart('ml-churn');
  const model = new ModelService(chart, 'churn-model', { image: IMAGE, version: VERSION, modelCard: CARD });
  new CanaryRollout(chart, 'canary', { model, meshCallers: ['ml-apps'] });
  new DriftCronJob(chart, 'drift', {
    model, reference: { uri: 's3://ml-data/churn/reference.parquet' }, current: { uri: 's3://ml-data/churn/current.csv' },
    features: [{ name: 'age', type: 'numeric' }], awsIdentity: AwsIdentity.external(),
  });
  return { chart, model };
}

describe('Grafana dashboards as code', () => {
  it('renders the model dashboard, with the canary and drift rows added later, as a sidecar ConfigMap whose queries parse and are known', async () => {
    const objects = await synthValid(fullModel().chart);
    const cm = findObject(objects, 'ConfigMap', 'churn-model-dashboard');
    assert.equal(cm.metadata.labels.grafana_dashboard, '1');
    const [d] = dashboardsOf(objects);
    assert.equal(d.uid, 'model-ml-churn-churn-model');
    assert.deepEqual(d.panels.filter((p) => p.type === 'row').map((p) => p.title), ['Requests', 'Latency and capacity', 'Service level objectives', 'Canary', 'Drift']);
    const ids = d.panels.map((p) => p.id);
    assert.equal(new Set(ids).size, ids.length, 'panel ids are unique');
    for (const id of Object.values(MODEL_PANELS)) assert.ok(ids.includes(id), `panel ${id} exists`);
    assert.ok(assertQueriesKnown(d) >= 20);
    const traffic = d.panels.find((p) => p.id === MODEL_PANELS.traffic);
    assert.match(traffic?.targets?.[0].expr ?? '', /handler!~"\/health\|\/ready\|\/metrics"/, 'probe paths excluded');
  });

  it('is deterministic and configurable (label, datasource) or disabled', async () => {
    const a = JSON.stringify(await synthValid(fullModel().chart));
    const b = JSON.stringify(await synthValid(fullModel().chart));
    assert.equal(a, b);
    const { chart } = testChart('ml');
    new ModelService(chart, 'm', { image: IMAGE, version: VERSION, modelCard: CARD, dashboard: { labels: { dashboards: 'ml' }, datasourceUid: 'thanos' } });
    const cm = findObject(await synthValid(chart), 'ConfigMap', 'm-dashboard');
    assert.deepEqual([cm.metadata.labels.dashboards, cm.metadata.labels.grafana_dashboard], ['ml', undefined]);
    assert.match(Object.values(cm.data as Record<string, string>)[0], /"uid": "thanos"/);
    const off = testChart('ml');
    new ModelService(off.chart, 'm', { image: IMAGE, version: VERSION, modelCard: CARD, dashboard: { enabled: false } });
    assert.equal(dashboardsOf(await synthValid(off.chart)).length, 0);
  });

  it('renders the platform dashboard with known, parseable queries', () => {
    const spec = platformDashboardSpec({
      featureStores: [{ namespace: 'ml', cronJob: 'features-materialize', service: 'features' }],
      nodePools: ['training-spot'], backupSchedules: ['ml-hourly'],
      drills: [{ name: 'drill', successMetric: DRILL_METRICS.success, durationMetric: DRILL_METRICS.duration, lastSuccessMetric: DRILL_METRICS.lastSuccess }],
    });
    const d = JSON.parse(dashboardJson(spec)) as Dashboard;
    assert.equal(d.uid, 'ml-platform');
    for (const id of Object.values(PLATFORM_PANELS)) assert.ok(d.panels.some((p) => p.id === id), `panel ${id}`);
    assert.ok(assertQueriesKnown(d) >= 10);
    assert.equal(dashboardJson(spec), dashboardJson(spec));
  });
});

describe('alert links', () => {
  it('links every alert of a model, its canary and its drift check to a dashboard panel and an absolute runbook', async () => {
    const objects = await synthValid(fullModel().chart);
    const [d] = dashboardsOf(objects);
    const rules = objectsOfKind(objects, 'PrometheusRule').flatMap((r) => r.spec.groups).flatMap((g: any) => g.rules).filter((r: any) => r.alert);
    assert.ok(rules.length >= 10);
    for (const r of rules) {
      const url = new URL(r.annotations.dashboard_url);
      assert.equal(`${url.origin}${url.pathname}`, `${TEST_LINKS.grafanaUrl}/d/${d.uid}`, r.alert);
      assert.ok(d.panels.some((p) => p.id === Number(url.searchParams.get('viewPanel'))), `${r.alert} links an existing panel`);
      assert.ok(r.annotations.runbook_url.startsWith(`${TEST_LINKS.runbookBaseUrl}/`), r.alert);
    }
    const byName = Object.fromEntries(rules.map((r: any) => [r.alert, new URL(r.annotations.dashboard_url).searchParams.get('viewPanel')]));
    assert.equal(byName.ModelHighErrorRate, String(MODEL_PANELS.errors));
    assert.equal(byName.ModelAvailabilityBurnRatePage, String(MODEL_PANELS.availabilityBurn));
    assert.equal(byName.ModelDataDrift, String(MODEL_PANELS.driftDetected));
  });

  it('puts the dashboard link into the runbooks', () => {
    const { model } = fullModel();
    const rb = model.runbooks().find((r) => r.alert.name === 'ModelLatencyBurnRatePage');
    assert.ok(rb, 'the burn-rate alerts have runbooks');
    assert.match(rb.alert.dashboardUrl ?? '', /viewPanel=11$/);
  });

  it('requires absolute links under presets with requireObservabilityLinks, set once per app or chart; others keep relative defaults', () => {
    const bare = () => {
      const app = Testing.app();
      return new Chart(app, 'c', { namespace: 'ml' });
    };
    const strict = { ...CostPreset.PRODUCTION, requireObservabilityLinks: true };
    assertValidationError(() => new ModelService(bare(), 'm', { image: IMAGE, version: VERSION, modelCard: CARD, preset: strict }), 'c/m', 'monitoring.runbookBaseUrl', 'setObservabilityLinks');
    const app: App = Testing.app();
    setObservabilityLinks(app, { runbookBaseUrl: 'https://git.example.com/runbooks' });
    assertValidationError(() => new ModelService(new Chart(app, 'c', { namespace: 'ml' }), 'm', { image: IMAGE, version: VERSION, modelCard: CARD, preset: strict }), 'c/m', 'grafanaUrl');
    const chartScoped = bare();
    setObservabilityLinks(chartScoped, { ...TEST_LINKS, grafanaUrl: 'https://grafana.ml.example.com/' });
    const prod = new ModelService(chartScoped, 'm', { image: IMAGE, version: VERSION, modelCard: CARD });
    assert.equal(prod.dashboardPanelUrl(3), 'https://grafana.ml.example.com/d/model-ml-m?viewPanel=3');
    const dev = new ModelService(bare(), 'm', { image: IMAGE, version: VERSION, preset: CostPreset.DEV });
    assert.equal(dev.alerts[0].runbookUrl, 'runbooks/ml-m-model-high-error-rate.md');
    assert.equal(dev.alerts[0].dashboardUrl, '/d/model-ml-m?viewPanel=3');
    assertValidationError(() => {
      const a = Testing.app();
      setObservabilityLinks(a, { grafanaUrl: 'grafana.local' });
      new ModelService(new Chart(a, 'c'), 'm', { image: IMAGE, version: VERSION, preset: CostPreset.DEV });
    }, 'c/m', 'grafanaUrl', 'http(s) URL');
  });
});
