import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { brotliDecompressSync } from 'node:zlib';
import { after, describe, it } from 'node:test';
import { Cron } from 'cdk8s';
import { CostPreset, DriftCronJob, DriftCronJobProps, ModelService, ValidationError } from '../../src';
import { readBundle } from '../../src/core/bundles';
import { computeDrift } from '../../src/drift/check';
import { parseDriftConfig } from '../../src/drift/config';
import { renderDriftMetrics } from '../../src/drift/metrics';
import type { DataColumn, DataWindow } from '../../src/drift/readers';
import { CARD, IMAGE, VERSION } from '../support/fixtures';
import { findObject, synthValid, testChart } from '../support/synth';
import { churnRows, tempDir, writeChurnFiles } from '../fixtures/drift/data';

const FEATURES: DriftCronJobProps['features'] = [
  { name: 'age', type: 'numeric' },
  { name: 'income', type: 'numeric', psiBuckets: 5 },
  { name: 'plan', type: 'categorical' },
];

function drift(props: Partial<DriftCronJobProps> = {}) {
  const { chart } = testChart('ml-churn');
  const model = new ModelService(chart, 'churn-model', { image: IMAGE, version: VERSION, modelCard: CARD, preset: CostPreset.STAGING });
  const job = new DriftCronJob(chart, 'drift', {
    model,
    reference: { uri: 's3://ml-data/churn/reference.parquet' },
    current: { uri: 's3://ml-data/churn/current.csv' },
    features: FEATURES,
    outputs: { reportPrefix: 's3://ml-reports/reports/churn-model/' },
    serviceAccountAnnotations: { 'eks.amazonaws.com/role-arn': 'arn:aws:iam::123456789012:role/churn-drift' },
    ...props,
  });
  return { chart, model, job };
}

describe('DriftCronJob', () => {
  const tmp = tempDir('drift-job-');
  after(() => tmp.remove());

  it('renders a weekly, one-at-a-time, time-boxed CronJob under Pod Security restricted', async () => {
    const objects = await synthValid(drift().chart);
    const cj = findObject(objects, 'CronJob', 'churn-model-drift');
    assert.equal(cj.spec.schedule, '0 3 * * 1');
    assert.equal(cj.spec.timeZone, 'UTC');
    assert.equal(cj.spec.concurrencyPolicy, 'Forbid');
    assert.equal(cj.spec.startingDeadlineSeconds, 3600);
    assert.equal(cj.spec.successfulJobsHistoryLimit, 3);
    assert.equal(cj.spec.failedJobsHistoryLimit, 3);
    assert.equal(cj.spec.jobTemplate.spec.backoffLimit, 2);
    assert.equal(cj.spec.jobTemplate.spec.activeDeadlineSeconds, 3600);
    const pod = cj.spec.jobTemplate.spec.template.spec;
    assert.equal(pod.serviceAccountName, 'churn-model-drift');
    assert.equal(pod.automountServiceAccountToken, false);
    assert.deepEqual(pod.securityContext.seccompProfile, { type: 'RuntimeDefault' });
    const c = pod.containers[0];
    assert.equal(c.securityContext.readOnlyRootFilesystem, true);
    assert.deepEqual(c.securityContext.capabilities, { drop: ['ALL'] });
    // one feature at a time on the main thread: DRIFT_WORKERS is the whole cores of the CPU request
    assert.deepEqual(c.resources, { requests: { cpu: '1000m', memory: '1024Mi' }, limits: { cpu: '2000m', memory: '2048Mi' } });
    assert.deepEqual(c.env, [{ name: 'DRIFT_WORKERS', value: '1' }]);
    assert.deepEqual(c.command.slice(0, 2), ['node', '-e']);
    assert.deepEqual(c.command.slice(3), ['--', '/opt/ml-platform/ml-drift.js.br', 'run', '--config', '/opt/ml-platform/config.json']);
    const sa = findObject(objects, 'ServiceAccount', 'churn-model-drift');
    assert.equal(sa.metadata.annotations['eks.amazonaws.com/role-arn'], 'arn:aws:iam::123456789012:role/churn-drift');
  });

  it('ships the checker gzipped and its config rendered from the typed props', async () => {
    const objects = await synthValid(drift().chart);
    const cm = findObject(objects, 'ConfigMap', 'churn-model-drift');
    assert.equal(brotliDecompressSync(Buffer.from(cm.binaryData['ml-drift.js.br'], 'base64')).toString('utf8'), readBundle('ml-drift'));
    assert.ok(cm.binaryData['ml-drift.js.br'].length < 262_144 - 40_000, 'fits the client-side apply annotation with room to spare');
    assert.equal(cm.binaryData['ml-drift-athena.js.br'], undefined, 'the Athena engine is not shipped to an in-memory job');
    assert.deepEqual(JSON.parse(cm.data['config.json']), {
      current: { uri: 's3://ml-data/churn/current.csv' },
      features: FEATURES,
      model: 'churn-model',
      outputs: {
        html: 's3://ml-reports/reports/churn-model/drift-report.html',
        json: 's3://ml-reports/reports/churn-model/drift-report.json',
        pushgateway: { url: 'http://prometheus-pushgateway.monitoring.svc:9091' },
      },
      reference: { uri: 's3://ml-data/churn/reference.parquet' },
    });
  });

  it('alerts on drift, on an accuracy drop and on a check that stopped succeeding, with runbooks', async () => {
    const { chart, job } = drift({ labels: { prediction: 'predicted', actual: 'churned', baselineAccuracy: 0.9 }, schedule: Cron.schedule({ minute: '0', hour: '4' }) });
    const rule = findObject(await synthValid(chart), 'PrometheusRule', 'churn-model-drift');
    const byName = Object.fromEntries(rule.spec.groups[0].rules.map((r: any) => [r.alert, r]));
    assert.equal(byName.ModelDataDrift.expr, 'max(ml_drift_detected{feature="",model="churn-model"}) > 0');
    assert.equal(byName.ModelAccuracyDrop.expr, 'max(ml_model_accuracy{model="churn-model"}) < 0.85');
    assert.equal(byName.ModelAccuracyDrop.labels.severity, 'critical');
    // Daily schedule: stale after 1.5 days.
    // Before the first success the age counts from the CronJob's creation (kube-state-metrics), not from install.
    assert.match(byName.DriftCheckNotSucceeding.expr,
      /> 129600 or \(\(time\(\) - max\(kube_cronjob_created\{cronjob="[a-z0-9-]+",namespace="ml-churn"\}\)\) > 129600 unless max\(ml_drift_last_success_timestamp_seconds\{model="churn-model"\}\)\)$/);
    assert.equal(rule.metadata.labels.release, 'kube-prometheus-stack');
    for (const r of rule.spec.groups[0].rules) {
      // Under the model's runbook base: the test app's links (test/support/synth.ts TEST_LINKS).
      assert.match(r.annotations.runbook_url, /^https:\/\/git\.example\.com\/ml-gitops\/blob\/main\/dist\/runbooks\/ml-churn-churn-model-[a-z-]+\.md$/);
      assert.match(r.annotations.dashboard_url, /^https:\/\/grafana\.example\.com\/d\/model-ml-churn-churn-model\?viewPanel=4[1-4]$/);
    }
    const runbooks = job.runbooks();
    assert.deepEqual(runbooks.map((r) => r.alert.name), ['ModelDataDrift', 'DriftCheckNotSucceeding', 'ModelDriftInsufficientData', 'DriftCheckOutputsFailing', 'ModelAccuracyDrop']);
    assert.equal(byName.ModelDriftInsufficientData.expr, 'max(ml_drift_insufficient_data{feature="",model="churn-model"}) > 0');
    assert.equal(byName.DriftCheckOutputsFailing.expr, 'max(ml_drift_output_errors{model="churn-model"}) > 0');
    assert.equal(byName.ModelFeatureAttributionDrift, undefined, 'off without attribution columns');
    assert.ok(runbooks[0].investigate.some((s) => s.includes('aws s3 cp s3://ml-reports/reports/churn-model/drift-report.html .')));
    assert.ok(runbooks[1].mitigate.some((s) => s.includes('kubectl -n ml-churn create job --from=cronjob/churn-model-drift churn-model-drift-manual')));
  });

  it('alerts on attribution drift below the NDCG threshold (SageMaker Clarify: 0.9), with a runbook', async () => {
    const { chart, job } = drift({ attribution: {} });
    const rule = findObject(await synthValid(chart), 'PrometheusRule', 'churn-model-drift');
    const alert = rule.spec.groups[0].rules.find((r: any) => r.alert === 'ModelFeatureAttributionDrift');
    assert.equal(alert.expr, 'min(ml_drift_attribution_ndcg{model="churn-model"}) < 0.9');
    assert.equal(drift({ attribution: { threshold: 0.8 } }).job.alerts.find((a) => a.name === 'ModelFeatureAttributionDrift')?.expr, 'min(ml_drift_attribution_ndcg{model="churn-model"}) < 0.8');
    const runbook = job.runbooks().find((r) => r.alert.name === 'ModelFeatureAttributionDrift');
    assert.ok(runbook?.investigate.some((s) => s.includes('attribution chart')));
    assert.deepEqual(job.config.attribution, {});
  });

  it('every alert reads a metric the checker pushes (metrics and alerts stay consistent)', () => {
    const { job } = drift({ labels: { prediction: 'predicted', actual: 'churned', baselineAccuracy: 0.9 }, attribution: {} });
    // a completed run of the same config, with every optional part present, rendered as the checker pushes it
    const config = parseDriftConfig(job.config);
    const n = 200; // >= the labels' minSamples, so the accuracy is pushed
    const col = (name: string, f: (i: number) => number): [string, DataColumn] => [name, { name, type: 'numeric', values: Float64Array.from({ length: n }, (_, i) => f(i)) }];
    const columns = new Map<string, DataColumn>([
      col('age', (i) => i), col('income', (i) => i * 3), ['plan', { name: 'plan', type: 'categorical', categories: ['a', 'b'], codes: Uint32Array.from({ length: n }, (_, i) => i % 2) }],
      col('shap_age', () => 1), col('shap_income', () => 2), col('shap_plan', () => 3),
    ]);
    const w = (role: 'reference' | 'current'): DataWindow => ({
      role, uri: `${role}.csv`, format: 'csv', rows: n, columns, ...(role === 'current' ? { labels: { labelled: n, recent: new Uint8Array(n).fill(1) } } : {}),
    });
    const pushed = renderDriftMetrics(computeDrift(config, w('reference'), w('current'), new Date(0)), 0, 0);
    const families = new Set([...pushed.matchAll(/^# TYPE (\w+) gauge$/gm)].map((m) => m[1]));
    assert.ok(job.alerts.length >= 6);
    for (const alert of job.alerts) {
      const used = [...alert.expr.matchAll(/\b(ml_\w+)\{/g)].map((m) => m[1]);
      assert.ok(used.length > 0, `${alert.name} reads no ml_ metric`);
      for (const metric of used) assert.ok(families.has(metric), `${alert.name} reads ${metric}, which the checker does not push`);
    }
  });

  it('keeps the run deadline inside the job deadline', () => {
    assert.throws(() => drift({ timeouts: { deadlineSeconds: 4000 } }), /'timeouts\.deadlineSeconds' \(4000\): must be below the job's activeDeadline \(3600 s\)/);
    assert.deepEqual(drift({ timeouts: { readSeconds: 10 } }).job.config.timeouts, { readSeconds: 10 });
  });

  it('renders no drift alert when metrics are not pushed', async () => {
    const { chart, job } = drift({ outputs: { pushgatewayUrl: false } });
    const objects = await synthValid(chart);
    assert.equal(objects.filter((o) => o.kind === 'PrometheusRule' && o.metadata?.name === 'churn-model-drift').length, 0);
    assert.equal(job.alerts.length, 0);
  });

  it('runs the exact command of the CronJob with node against files on disk', async () => {
    const dir = join(tmp.dir, 'run');
    mkdirSync(join(dir, 'data'), { recursive: true });
    writeChurnFiles(join(dir, 'data'), 'ref', churnRows(2000, 1));
    writeChurnFiles(join(dir, 'data'), 'cur', churnRows(1500, 3, { ageShift: 6 }));
    const { chart, job } = drift({
      reference: { uri: join(dir, 'data', 'ref.csv') },
      current: { uri: join(dir, 'data', 'cur.parquet') },
      outputs: { reportPrefix: `${join(dir, 'out')}/`, pushgatewayUrl: false },
    });
    const cm = findObject(await synthValid(chart), 'ConfigMap', 'churn-model-drift');
    // Lay the ConfigMap out as the volume does and run the container's command.
    const mount = join(dir, 'opt');
    mkdirSync(mount);
    writeFileSync(join(mount, 'config.json'), cm.data['config.json']);
    writeFileSync(join(mount, 'ml-drift.js.br'), Buffer.from(cm.binaryData['ml-drift.js.br'], 'base64'));
    const [node, ...args] = job.job.command.map((a) => a.replace('/opt/ml-platform', mount));
    assert.equal(node, 'node');
    const run = await promisify(execFile)(process.execPath, args, { encoding: 'utf8' }).then(() => ({ code: 0 }), (e: { code: number; stderr: string }) => e);
    assert.equal(run.code, 1, 'exit code 1: ran and found drift');
    const result = JSON.parse(readFileSync(join(dir, 'out', 'drift-report.json'), 'utf8'));
    assert.equal(result.model, 'churn-model');
    assert.equal(result.driftDetected, true);
    assert.equal(result.features.find((f: any) => f.name === 'age').drift, true);
    const html = readFileSync(join(dir, 'out', 'drift-report.html'), 'utf8');
    assert.match(html, /^<!DOCTYPE html>/i);
    assert.equal((html.match(/<svg/g) ?? []).length >= FEATURES.length, true, 'one plot per feature');
  });

  it('rejects an invalid checker configuration and bad outputs, naming the problem', () => {
    assert.throws(() => drift({ features: [] }), (e: unknown) => e instanceof ValidationError && e.property === 'features' && /must be a non-empty array of features/.test(e.message));
    // Each problem under the property it came from, not all under 'features'.
    assert.throws(() => drift({ features: [{ name: 'plan', type: 'categorical', ksAlpha: 0.01 } as never] }),
      (e: unknown) => e instanceof ValidationError && e.property === 'features[0].ksAlpha' && e.value === 0.01);
    assert.throws(() => drift({ outputs: { reportPrefix: 's3://b/reports' } }), /'outputs\.reportPrefix' \("s3:\/\/b\/reports"\): must end with '\/'/);
    assert.throws(() => drift({ outputs: { pushgatewayUrl: 'pushgateway:9091' } }), /'outputs\.pushgatewayUrl'/);
  });

  it('has the CronJob as its default child', () => {
    const { job } = drift();
    assert.equal(job.node.defaultChild, job.job.cronJob);
  });
});
