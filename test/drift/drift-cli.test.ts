/**
 * End to end: the bundled CLI run with node, as the CronJob runs it
 * (`node ml-drift.cjs run --config /etc/ml-drift/config.json`).
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as zlib from 'node:zlib';
import { BROTLI_LOADER } from '../../src/kube/node-script-job';
import { readBundle } from '../../src/core/bundles';
import { buildBundle } from '../../scripts/bundles';
import type { DriftCheckResult } from '../../src/drift/check';
import type { DriftCheckConfig } from '../../src/drift/config';
import { churnRows, tempDir, writeChurnFiles } from '../fixtures/drift/data';
import { ProcessRun, runNode } from '../support/process';



const NOW = '2024-06-01T00:00:00Z';
const FEATURES: DriftCheckConfig['features'] = [
  { name: 'age', type: 'numeric' },
  { name: 'income', type: 'numeric' },
  { name: 'plan', type: 'categorical' },
  { name: 'region', type: 'categorical' },
];

describe('ml-drift bundle, end to end', () => {
  const tmp = tempDir();
  let bundle: string;
  let bundleBr: string;
  let bundleBytes = 0;

  const writeConfig = (name: string, config: DriftCheckConfig): string => {
    const file = path.join(tmp.dir, `${name}.json`);
    fs.writeFileSync(file, JSON.stringify(config, null, 2));
    return file;
  };
  const cli = (args: string[], extra: { stdin?: string; env?: NodeJS.ProcessEnv } = {}): Promise<ProcessRun> =>
    runNode([bundle, ...args], { cwd: tmp.dir, ...extra });
  const readJson = (file: string): DriftCheckResult => JSON.parse(fs.readFileSync(path.join(tmp.dir, file), 'utf8')) as DriftCheckResult;

  before(() => {
    // The committed bundle: what the CronJob ships.
    const code = readBundle('ml-drift');
    bundleBytes = Buffer.byteLength(code, 'utf8');
    bundle = path.join(tmp.dir, 'ml-drift.cjs');
    bundleBr = path.join(tmp.dir, 'ml-drift.cjs.br');
    fs.writeFileSync(bundle, code);
    fs.writeFileSync(bundleBr, zlib.brotliCompressSync(Buffer.from(code, 'utf8')));
    fs.mkdirSync(path.join(tmp.dir, 'data'));
    writeChurnFiles(path.join(tmp.dir, 'data'), 'ref', churnRows(2000, 1));
    writeChurnFiles(path.join(tmp.dir, 'data'), 'stable', churnRows(1500, 2));
    writeChurnFiles(path.join(tmp.dir, 'data'), 'drifted', churnRows(1500, 3, { ageShift: 4, planWeights: [0.45, 0.4, 0.15], accuracy: 0.8 }));
    writeChurnFiles(path.join(tmp.dir, 'data'), 'fewlabels', churnRows(1500, 2, { labelled: 60 }));
  });
  after(() => tmp.remove());

  it('ships a single-file bundle identical to a fresh build of the sources', async () => {
    const again = { code: await buildBundle('ml-drift') };
    assert.equal(again.code, fs.readFileSync(bundle, 'utf8'), 'run `npm run bundle` and commit bundles/');
    // everything is bundled in: only Node built-ins are required (plus the AWS SDK's optional CRT signer, loaded in a try/catch for SigV4a only)
    const required = new Set([...again.code.matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1]).filter((m) => !m.startsWith('node:')));
    assert.deepEqual([...required].sort(), ['@aws-sdk/signature-v4-crt', 'stream']);
    assert.ok(bundleBytes < 1024 * 1024, `bundle is ${bundleBytes} bytes`);
  });

  it('prints help with the exit codes', async () => {
    const r = await cli(['--help']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /Exit codes:\n {2}0 {2}ran, no drift\n {2}1 {2}ran, drift found/);
    assert.match(r.stdout, /\n {2}3 {2}ran, no drift found, but some feature had too few rows \(insufficient_data\)\n/);
    assert.match(r.stdout, /the exit code keeps the verdict\nunless outputs\.mandatory is true/);
  });

  it('exit 0: no drift (CSV reference, parquet current); JSON equals scipy; HTML has one plot per feature', async () => {
    const cfg = writeConfig('stable', {
      model: 'churn',
      reference: { uri: 'data/ref.csv' },
      current: { uri: 'data/stable.parquet' },
      features: FEATURES,
      labels: { prediction: 'predicted', actual: 'churned', baselineAccuracy: 0.9 },
      outputs: { json: 'out/stable.json', html: 'out/stable.html' },
    });
    const r = await cli(['run', '--config', cfg, '--now', NOW]);
    assert.equal(r.stderr, '');
    assert.equal(r.code, 0);
    assert.match(r.stdout, /model churn: no drift in 4 features; accuracy ok \(91\.10%\)/);
    const result = readJson('out/stable.json');
    assert.equal(result.status, 'pass');
    assert.equal(result.passed, true);
    assert.equal(result.driftDetected, false);
    assert.equal(result.generatedAt, '2024-06-01T00:00:00.000Z');
    assert.deepEqual(result.reference, { uri: 'data/ref.csv', format: 'csv', rows: 2000 });
    assert.deepEqual(result.current, { uri: 'data/stable.parquet', format: 'parquet', rows: 1500 });
    assert.deepEqual(result.features.map((f) => [f.name, f.type, f.drift]), [['age', 'numeric', false], ['income', 'numeric', false], ['plan', 'categorical', false], ['region', 'categorical', false]]);
    // scipy 1.17.1: ks_2samp / chi2_contingency on the same data
    const [age, income, plan, region] = result.features;
    assert.ok(age.type === 'numeric' && income.type === 'numeric' && plan.type === 'categorical' && region.type === 'categorical');
    assert.equal(age.ks.statistic, 0.025333333333333333);
    assert.equal(age.ks.pvalue, 0.6329226245486813);
    assert.equal(income.ks.pvalue, 0.6904701656488692);
    assert.ok(Math.abs(plan.chi2.pvalue - 0.7864576897620097) < 1e-14);
    assert.ok(Math.abs(region.chi2.statistic - 4.682246279051032) < 1e-12);
    assert.ok(Math.abs(age.psi.value - 0.004462248921566698) < 1e-15);
    assert.deepEqual(Object.keys(age), ['name', 'type', 'comparedAs', 'drift', 'verdict', 'reasons', 'ks', 'psi', 'summary', 'histogram']);
    // issue 17: the p-values are corrected together over the 4 features (Holm), the raw ones are unchanged
    assert.equal(age.verdict.pvalue, age.ks.pvalue);
    assert.equal(age.verdict.familySize, 4);
    assert.ok(age.verdict.adjustedPvalue !== null && age.verdict.adjustedPvalue >= age.ks.pvalue);
    assert.deepEqual(result.insufficientFeatures, []);
    assert.equal(result.concept?.status, 'ok');
    assert.equal(result.concept?.value, 0.911);
    const html = fs.readFileSync(path.join(tmp.dir, 'out/stable.html'), 'utf8');
    assert.equal(html.match(/<svg class="plot"/g)?.length, 4);
    assert.equal(html.match(/<section class="card /g)?.length, 4);
    assert.match(html, /<strong>No drift<\/strong>/);
    assert.doesNotMatch(html, /<script|<link|src="http/i, 'self-contained');
  });

  it('exit 1: drift found (parquet reference, JSON Lines current) with concept drift; drifted features first in the HTML', async () => {
    const cfg = writeConfig('drifted', {
      model: 'churn',
      reference: { uri: 'data/ref.parquet' },
      current: { uri: 'data/drifted.jsonl' },
      features: FEATURES,
      labels: { prediction: 'predicted', actual: 'churned', baselineAccuracy: 0.9 },
      outputs: { json: 'out/drifted.json', html: 'out/drifted.html' },
    });
    const r = await cli(['run', '--config', cfg, '--now', NOW]);
    assert.equal(r.stderr, '');
    assert.equal(r.code, 1);
    const result = readJson('out/drifted.json');
    assert.equal(result.status, 'drift');
    assert.equal(result.driftDetected, true);
    assert.deepEqual(result.driftedFeatures, ['age', 'plan']);
    const age = result.features[0];
    assert.ok(age.type === 'numeric');
    assert.ok(Math.abs(age.ks.pvalue - 1.415210329270562e-17) < 1e-28);
    assert.equal(result.concept?.status, 'degraded');
    assert.equal(result.concept?.value, 0.792);
    const html = fs.readFileSync(path.join(tmp.dir, 'out/drifted.html'), 'utf8');
    assert.equal(html.match(/<svg class="plot"/g)?.length, 4);
    const order = [...html.matchAll(/<section class="card (\w+)" id="feature-(\d)">/g)].map((m) => [m[1], m[2]]);
    assert.deepEqual(order.slice(0, 2).map((o) => o[0]), ['drift', 'drift']);
    assert.deepEqual(order.slice(0, 2).map((o) => o[1]).sort(), ['0', '2']);
    assert.match(html, /<strong>Drift detected<\/strong>2 of 4 features drifted: age, plan; model accuracy degraded/);
    assert.match(html, /Concept drift <span class="badge drift">DEGRADED<\/span>/);
  });

  it('exit 1: fewer than minSamples labels is "insufficient labels", not a pass', async () => {
    const cfg = writeConfig('fewlabels', {
      model: 'churn',
      reference: { uri: 'data/ref.csv' },
      current: { uri: 'data/fewlabels.csv' },
      features: FEATURES,
      labels: { prediction: 'predicted', actual: 'churned', baselineAccuracy: 0.9 },
      outputs: { json: 'out/fewlabels.json' },
    });
    const r = await cli(['run', '--config', cfg, '--now', NOW]);
    assert.equal(r.code, 1);
    const result = readJson('out/fewlabels.json');
    assert.equal(result.status, 'insufficient_labels');
    assert.equal(result.driftDetected, false);
    assert.equal(result.passed, false);
    assert.equal(result.concept?.samples, 60);
    assert.match(r.stdout, /concept drift not evaluated: only 60 labelled rows, at least 100 are needed/);
  });

  it('produces byte-identical JSON and HTML for identical input, with --config - from stdin', async () => {
    const config: DriftCheckConfig = {
      model: 'churn',
      reference: { uri: 'data/ref.csv' },
      current: { uri: 'data/drifted.parquet' },
      features: FEATURES,
      outputs: { json: 'out/det.json', html: 'out/det.html' },
    };
    const a = await cli(['run', '--config', '-', '--now', NOW], { stdin: JSON.stringify(config) });
    assert.equal(a.code, 1);
    const json1 = fs.readFileSync(path.join(tmp.dir, 'out/det.json'));
    const html1 = fs.readFileSync(path.join(tmp.dir, 'out/det.html'));
    const b = await cli(['run', '--config', '-', '--now', NOW], { stdin: JSON.stringify(config) });
    assert.equal(b.code, 1);
    assert.ok(json1.equals(fs.readFileSync(path.join(tmp.dir, 'out/det.json'))));
    assert.ok(html1.equals(fs.readFileSync(path.join(tmp.dir, 'out/det.html'))));
    assert.equal(html1.toString().match(/\d{4}-\d{2}-\d{2}T/g)?.length, 1, 'the only timestamp is the run time');
  });

  it('validate checks the config without reading data', async () => {
    const cfg = writeConfig('validate', { model: 'churn', reference: { uri: 'data/none.csv' }, current: { uri: 'data/none.parquet' }, features: FEATURES, outputs: {} });
    const r = await cli(['validate', '--config', cfg]);
    assert.equal(r.code, 0);
    assert.equal(r.stdout, 'config is valid: model churn, 4 features\n');
  });

  it('exit 2: invalid config gives one line on stderr, no stack trace', async () => {
    const cfg = path.join(tmp.dir, 'bad.json');
    fs.writeFileSync(cfg, JSON.stringify({ model: 'churn', reference: { uri: 'data/ref.csv' }, current: { uri: 'data/stable.csv' }, features: [{ name: 'age', type: 'numeric', ksAlpha: 5 }], outputs: {} }));
    const r = await cli(['run', '--config', cfg]);
    assert.equal(r.code, 2);
    assert.equal(r.stdout, '');
    assert.equal(r.stderr, `ml-drift: invalid config ${cfg}: features[0].ksAlpha: must be a number > 0 and < 1, got 5\n`);
    const notJson = await cli(['run', '--config', '-'], { stdin: '{"model": ' });
    assert.equal(notJson.code, 2);
    assert.match(notJson.stderr, /^ml-drift: config from stdin is not valid JSON: .+\n$/);
    const usage = await cli(['check']);
    assert.equal(usage.code, 2);
    assert.equal(usage.stderr, "ml-drift: unknown command 'check'; expected run or validate (see --help)\n");
  });

  it('exit 2: bad data gives one line on stderr; DEBUG=1 adds the stack', async () => {
    fs.writeFileSync(path.join(tmp.dir, 'data/bad.csv'), 'age,income,plan,region\n41,5,pro,eu\n42,inf,pro,eu\n');
    const cfg = writeConfig('baddata', { model: 'churn', reference: { uri: 'data/ref.csv' }, current: { uri: 'data/bad.csv' }, features: FEATURES, outputs: { json: 'out/bad.json' } });
    const r = await cli(['run', '--config', cfg]);
    assert.equal(r.code, 2);
    assert.equal(r.stderr, "ml-drift: current data (data/bad.csv): column 'income', row 2 (line 3): value \"inf\" is not a finite number (NaN and Infinity are not allowed)\n");
    assert.equal(fs.existsSync(path.join(tmp.dir, 'out/bad.json')), false, 'no report for a failed run');
    const debug = await cli(['run', '--config', cfg], { env: { DEBUG: '1' } });
    assert.equal(debug.code, 2);
    assert.match(debug.stderr, /\n {4}at /);
  });

  it('exit 3: too few rows for a verdict is insufficient_data, reported per feature', async () => {
    writeChurnFiles(path.join(tmp.dir, 'data'), 'tiny', churnRows(50, 4));
    const cfg = writeConfig('tiny', { model: 'churn', reference: { uri: 'data/ref.csv' }, current: { uri: 'data/tiny.csv' }, features: FEATURES, outputs: { json: 'out/tiny.json' } });
    const r = await cli(['run', '--config', cfg, '--now', NOW]);
    assert.equal(r.stderr, '');
    assert.equal(r.code, 3);
    assert.match(r.stdout, /model churn: no drift in 0 of 4 features; insufficient data for age, income, plan, region/);
    const result = readJson('out/tiny.json');
    assert.equal(result.status, 'insufficient_data');
    assert.deepEqual(result.features.map((f) => f.verdict.status), ['insufficient_data', 'insufficient_data', 'insufficient_data', 'insufficient_data']);
    assert.ok(result.features.every((f) => f.verdict.adjustedPvalue === null && !f.drift));
  });

  it('checks the numeric features in worker threads (plain and brotli bundle) with reports identical to a single-threaded run', async () => {
    // above the radix sort's threshold, so the workers sort in place; CSV (one pass) against Parquet (a column at a time)
    writeChurnFiles(path.join(tmp.dir, 'data'), 'bigref', churnRows(6000, 11));
    writeChurnFiles(path.join(tmp.dir, 'data'), 'bigcur', churnRows(5000, 12, { ageShift: 4 }));
    const config = (name: string): string => writeConfig(name, {
      model: 'churn', reference: { uri: 'data/bigref.csv' }, current: { uri: 'data/bigcur.parquet' }, features: FEATURES, outputs: { json: `out/${name}.json` },
    });
    const one = await cli(['run', '--config', config('workers-1'), '--now', NOW], { env: { DRIFT_WORKERS: '1' } });
    const two = await cli(['run', '--config', config('workers-2'), '--now', NOW], { env: { DRIFT_WORKERS: '2' } });
    const br = await runNode(['-e', BROTLI_LOADER, '--', bundleBr, 'run', '--config', config('workers-br'), '--now', NOW], { cwd: tmp.dir, env: { DRIFT_WORKERS: '2' } });
    for (const r of [one, two, br]) assert.equal(r.stderr, '');
    assert.equal(one.code, two.code);
    assert.match(one.stdout, /^read 6000 reference rows and 5000 current rows$/m);
    assert.match(two.stdout, /^read 6000 reference rows and 5000 current rows \(2 feature workers\)$/m);
    assert.match(br.stdout, /\(2 feature workers\)/);
    const report = (name: string): string => fs.readFileSync(path.join(tmp.dir, 'out', `${name}.json`), 'utf8');
    assert.equal(report('workers-2'), report('workers-1'), 'bit-identical with and without workers');
    assert.equal(report('workers-br'), report('workers-1'));
    const result = readJson('out/workers-2.json');
    assert.equal(result.reference.rows, 6000);
    assert.ok(result.features.find((f) => f.name === 'age')?.drift, 'the shifted age drifts');
  });

  it('runs the brotli-compressed bundle through the ConfigMap loader', async () => {
    const cfg = path.join(tmp.dir, 'stable.json');
    const r = await runNode(['-e', BROTLI_LOADER, '--', bundleBr, 'run', '--config', cfg, '--now', NOW], { cwd: tmp.dir });
    assert.equal(r.stderr, '');
    assert.equal(r.code, 0);
    assert.match(r.stdout, /no drift in 4 features/);
  });
});
