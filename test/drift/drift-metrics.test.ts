/**
 * Pushgateway metrics and the webhook, against a recording HTTP server on
 * 127.0.0.1 (the CLI runs in-process).
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { main } from '../../src/cli/drift';
import { churnRows, tempDir, writeChurnFiles } from '../fixtures/drift/data';

interface Recorded {
  method: string;
  url: string;
  contentType: string;
  body: string;
}

describe('ml-drift metrics and webhook', () => {
  const tmp = tempDir();
  const requests: Recorded[] = [];
  let status = 200;
  let server: http.Server;
  let base: string;

  before(async () => {
    writeChurnFiles(tmp.dir, 'ref', churnRows(2000, 1));
    writeChurnFiles(tmp.dir, 'cur', churnRows(1500, 3, { ageShift: 4, planWeights: [0.45, 0.4, 0.15], accuracy: 0.8 }));
    fs.writeFileSync(path.join(tmp.dir, 'bad.csv'), 'age,income,plan\n1,x,a\n');
    server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        requests.push({ method: req.method ?? '', url: req.url ?? '', contentType: req.headers['content-type'] ?? '', body });
        const code = req.url?.startsWith('/metrics/') ? status : 200;
        res.writeHead(code, { 'content-type': 'text/plain' });
        res.end(code === 200 ? '' : 'pushed metrics are invalid or inconsistent with existing metrics\n');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    tmp.remove();
  });
  beforeEach(() => {
    requests.length = 0;
    status = 200;
  });

  const runWith = async (current: string, extra: Record<string, unknown> = {}): Promise<{ code: number; err: string[] }> => {
    const cfg = path.join(tmp.dir, 'cfg.json');
    fs.writeFileSync(cfg, JSON.stringify({
      model: 'churn',
      reference: { uri: 'ref.csv' },
      current: { uri: current },
      features: [{ name: 'age', type: 'numeric' }, { name: 'income', type: 'numeric' }, { name: 'plan', type: 'categorical' }],
      labels: { prediction: 'predicted', actual: 'churned', baselineAccuracy: 0.9 },
      outputs: { pushgateway: { url: `${base}/` }, webhook: { url: `${base}/hooks/drift` }, ...extra },
    }));
    const err: string[] = [];
    const code = await main(['run', '--config', cfg, '--now', '2024-06-01T00:00:00Z'], { out: () => undefined, err: (l) => err.push(l), readStdin: () => Promise.resolve(''), env: {} });
    return { code, err };
  };

  it('PUTs every metric to /metrics/job/ml-drift/model/<model> after a successful run', async () => {
    const r = await runWith('cur.csv');
    assert.equal(r.code, 1);
    assert.deepEqual(r.err, []);
    const put = requests.find((q) => q.method === 'PUT');
    assert.ok(put !== undefined);
    assert.equal(put.url, '/metrics/job/ml-drift/model/churn');
    assert.equal(put.contentType, 'text/plain; version=0.0.4; charset=utf-8');
    const samples = put.body.split('\n').filter((l) => l !== '' && !l.startsWith('#'));
    const names = samples.map((l) => l.replace(/ .*$/, ''));
    assert.deepEqual(names, [
      'ml_drift_psi{model="churn",feature="age"}',
      'ml_drift_psi{model="churn",feature="income"}',
      'ml_drift_psi{model="churn",feature="plan"}',
      'ml_drift_ks_pvalue{model="churn",feature="age"}',
      'ml_drift_ks_pvalue{model="churn",feature="income"}',
      'ml_drift_chi2_pvalue{model="churn",feature="plan"}',
      'ml_drift_pvalue_adjusted{model="churn",feature="age"}',
      'ml_drift_pvalue_adjusted{model="churn",feature="income"}',
      'ml_drift_pvalue_adjusted{model="churn",feature="plan"}',
      'ml_drift_effect_size{model="churn",feature="age"}',
      'ml_drift_effect_size{model="churn",feature="income"}',
      'ml_drift_effect_size{model="churn",feature="plan"}',
      'ml_drift_detected{model="churn",feature="age"}',
      'ml_drift_detected{model="churn",feature="income"}',
      'ml_drift_detected{model="churn",feature="plan"}',
      'ml_drift_detected{model="churn"}',
      'ml_drift_insufficient_data{model="churn",feature="age"}',
      'ml_drift_insufficient_data{model="churn",feature="income"}',
      'ml_drift_insufficient_data{model="churn",feature="plan"}',
      'ml_drift_insufficient_data{model="churn"}',
      'ml_model_accuracy{model="churn"}',
      'ml_model_labelled_samples{model="churn"}',
      'ml_drift_output_errors{model="churn"}',
      'ml_drift_last_run_timestamp_seconds{model="churn"}',
      'ml_drift_last_success_timestamp_seconds{model="churn"}',
    ]);
    assert.ok(samples.includes('ml_drift_detected{model="churn",feature="age"} 1'));
    assert.ok(samples.includes('ml_drift_detected{model="churn",feature="income"} 0'));
    assert.ok(samples.includes('ml_drift_detected{model="churn"} 1'));
    assert.ok(samples.includes('ml_drift_insufficient_data{model="churn"} 0'));
    assert.ok(samples.includes('ml_drift_output_errors{model="churn"} 0'));
    assert.ok(samples.includes('ml_model_accuracy{model="churn"} 0.792'));
    assert.ok(samples.includes('ml_model_labelled_samples{model="churn"} 1000'));
    assert.ok(samples.includes('ml_drift_last_run_timestamp_seconds{model="churn"} 1717200000'));
    assert.ok(samples.includes('ml_drift_last_success_timestamp_seconds{model="churn"} 1717200000'));
    assert.match(put.body, /^# HELP ml_drift_psi .+\n# TYPE ml_drift_psi gauge\n/);
    assert.equal(put.body.match(/# TYPE ml_drift_detected gauge/g)?.length, 1, 'one TYPE line per family');
  });

  it('POSTs a JSON summary to the webhook', async () => {
    await runWith('cur.csv');
    const hook = requests.find((q) => q.url === '/hooks/drift');
    assert.ok(hook !== undefined);
    assert.equal(hook.method, 'POST');
    assert.equal(hook.contentType, 'application/json');
    const body = JSON.parse(hook.body);
    assert.equal(body.text, 'ml-drift DRIFT: model churn: drift detected in 2 of 3 features (age, plan); accuracy degraded: accuracy 79.20% over the last 1000 labelled rows is 10.80% below the baseline 90.00% (max drop 5.00%)');
    assert.equal(body.status, 'drift');
    assert.deepEqual(body.driftedFeatures, ['age', 'plan']);
    assert.deepEqual(Object.keys(body.features[0]), ['name', 'type', 'status', 'drift', 'psi', 'pvalue', 'adjustedPvalue', 'effect']);
    assert.deepEqual(body.insufficientFeatures, []);
    assert.deepEqual(body.concept, { status: 'degraded', accuracy: 0.792, baseline: 0.9, samples: 1000 });
  });

  it('a failed run only POSTs the last-run timestamp, so last-success keeps its old value', async () => {
    const r = await runWith('bad.csv');
    assert.equal(r.code, 2);
    assert.deepEqual(requests.map((q) => [q.method, q.url]), [['POST', '/metrics/job/ml-drift/model/churn']]);
    assert.equal(requests[0].body, '# HELP ml_drift_last_run_timestamp_seconds Unix time of the last drift check run, successful or not.\n'
      + '# TYPE ml_drift_last_run_timestamp_seconds gauge\nml_drift_last_run_timestamp_seconds{model="churn"} 1717200000\n');
  });

  it('keeps the verdict (exit 1) when the Pushgateway rejects the push, and prints the failure', async () => {
    status = 400;
    const r = await runWith('cur.csv', { pushgateway: { url: base, job: 'drift-nightly' } });
    assert.equal(r.code, 1, 'drift stays drift: the scheduler can tell it from no drift');
    assert.deepEqual(r.err, [`ml-drift: warning: output not written: cannot push metrics to ${base}/metrics/job/drift-nightly/model/churn: HTTP 400 pushed metrics are invalid or inconsistent with existing metrics`]);
    assert.deepEqual(requests.map((q) => q.method), ['POST', 'PUT'], 'webhook, then the push');
  });

  it('exit 2 when the Pushgateway rejects the push and outputs are mandatory', async () => {
    status = 400;
    const r = await runWith('cur.csv', { pushgateway: { url: base, job: 'drift-nightly' }, mandatory: true });
    assert.equal(r.code, 2);
    assert.deepEqual(r.err, [`ml-drift: cannot push metrics to ${base}/metrics/job/drift-nightly/model/churn: HTTP 400 pushed metrics are invalid or inconsistent with existing metrics`]);
  });

  it('counts a report that cannot be written in ml_drift_output_errors and keeps the verdict', async () => {
    fs.writeFileSync(path.join(tmp.dir, 'blocker'), 'a file, not a directory');
    const r = await runWith('cur.csv', { json: 'blocker/drift.json' });
    assert.equal(r.code, 1);
    assert.equal(r.err.length, 1);
    assert.match(r.err[0], /^ml-drift: warning: output not written: cannot write .*blocker\/drift\.json: /);
    const put = requests.find((q) => q.method === 'PUT');
    assert.ok(put !== undefined, 'the full metrics are pushed');
    assert.match(put.body, /^ml_drift_output_errors\{model="churn"\} 1$/m);
    assert.match(put.body, /^ml_drift_last_success_timestamp_seconds\{model="churn"\} 1717200000$/m);
  });
});
