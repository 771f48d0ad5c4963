import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { AddressInfo } from 'node:net';
import { createServer as createHttpServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { App, Duration } from 'cdk8s';
import { AbTest, AbTestProps, CanaryRollout, CostPreset, ModelService, synthObjects } from '../../src';
import { analyse } from '../../src/rollout/ab-analysis';
import { assignVariant, requiredSampleSize } from '../../src/stats';
import { CARD, IMAGE, TEST_GATEWAY, VERSION } from '../support/fixtures';
import { runNode } from '../support/process';
import { findObject, objectsOfKind, synthValid, testChart } from '../support/synth';
import { assertValidationError } from '../support/assert';
import { promtoolSkip, promtoolTests, rulesFileOf, runPromtoolTest } from '../support/promtool';

const DESIGN = { dailyUsers: 20000, baselineRate: 0.75, minDetectableEffect: 0.02, plannedDuration: Duration.days(14) };

function experiment(props: Partial<AbTestProps> = {}, modelsCount = 2) {
  const { chart } = testChart('ml-churn');
  const models = ['churn-v1', 'churn-v2', 'churn-v3'].slice(0, modelsCount)
    .map((name) => new ModelService(chart, name, { image: IMAGE, version: VERSION, modelCard: CARD, preset: CostPreset.STAGING }));
  const weights = modelsCount === 2 ? [50, 50] : [40, 30, 30];
  const ab = new AbTest(chart, 'churn-ab', {
    experimentId: 'churn-xgb-v2',
    variants: models.map((model, i) => ({ name: i === 0 ? 'control' : `treatment-${i}`, model, weight: weights[i] })),
    design: DESIGN,
    gateway: TEST_GATEWAY,
    ...props,
  });
  return { chart, ab, models };
}

function assertInvalid(props: Partial<AbTestProps>, ...fragments: string[]): void {
  assertValidationError(() => experiment(props), undefined, ...fragments);
}

describe('AbTest', () => {
  it('routes each bucket range to its variant and everything else to control', async () => {
    const { chart, ab } = experiment();
    const objects = await synthValid(chart);
    const vs = findObject(objects, 'VirtualService', 'churn-xgb-v2');
    // Bound to the gateway, which computes the bucket header; destinations stay the cluster-local Services.
    assert.deepEqual(vs.spec.hosts, ['churn-v1.models.example.com']);
    assert.deepEqual(vs.spec.gateways, ['istio-ingress/models']);
    assert.deepEqual(ab.ranges, [{ name: 'control', from: 0, to: 49 }, { name: 'treatment-1', from: 50, to: 99 }]);
    const [treatment, fallback] = vs.spec.http;
    assert.equal(treatment.name, 'variant-treatment-1');
    const regex = new RegExp(treatment.match[0].headers['x-ab-bucket'].regex);
    for (let b = 0; b < 100; b++) {
      assert.equal(regex.test(String(b)), b >= 50, `bucket ${b}`);
    }
    assert.equal(regex.test('5'), false);
    assert.equal(regex.test('050'), false);
    assert.equal(treatment.route[0].destination.host, 'churn-v2.ml-churn.svc.cluster.local');
    assert.equal(fallback.match, undefined, 'the last route has no match: unrouted users get control');
    assert.equal(fallback.route[0].destination.host, 'churn-v1.ml-churn.svc.cluster.local');
    assert.equal(fallback.retries.attempts, 3);
    const drs = objectsOfKind(objects, 'DestinationRule');
    assert.deepEqual(drs.map((d) => d.spec.host), ['churn-v1.ml-churn.svc.cluster.local', 'churn-v2.ml-churn.svc.cluster.local']);
    assert.equal(drs[0].spec.trafficPolicy.outlierDetection.consecutive5xxErrors, 5);
  });

  it('makes the routing VirtualService its default child', () => {
    const { ab } = experiment();
    assert.equal(ab.node.defaultChild, ab.virtualService);
  });

  it('uses the same assignment function as the routes: a user always lands in the routed range', () => {
    const { ab } = experiment();
    for (const user of ['u-1', 'u-2', 'alice', 'bob', '12345']) {
      const { bucket, variant } = assignVariant(user, 'churn-xgb-v2', [{ name: 'control', weight: 50 }, { name: 'treatment-1', weight: 50 }]);
      const range = ab.ranges.find((r) => bucket >= r.from && bucket <= r.to)!;
      assert.equal(range.name, variant);
      assert.deepEqual(assignVariant(user, 'churn-xgb-v2', [{ name: 'control', weight: 50 }, { name: 'treatment-1', weight: 50 }]).bucket, bucket, 'sticky');
    }
  });

  it('checks the planned duration against the required sample size, with the numbers in the error', () => {
    const n = requiredSampleSize({ baselineRate: 0.75, minDetectableEffect: 0.02, alpha: 0.05, power: 0.8 });
    const { ab } = experiment();
    assert.deepEqual(ab.requiredSamples, [n.control, n.treatment]);
    assert.equal(ab.requiredDays, Math.ceil(n.control / 10000));
    assertInvalid({ design: { ...DESIGN, dailyUsers: 200 } }, "'design.plannedDuration' (14 days)", `${n.control} users in control`, 'at 200 users/day that takes');
  });

  it('splits alpha over several treatments (Bonferroni)', () => {
    const { ab } = experiment({}, 3);
    const n = requiredSampleSize({ baselineRate: 0.75, minDetectableEffect: 0.02, alpha: 0.025, power: 0.8, ratio: 30 / 40 });
    assert.equal(ab.requiredSamples[1], n.treatment);
  });

  it('renders a restricted analysis CronJob that runs the bundled script on the Node.js image', async () => {
    const { chart, ab } = experiment({ analysis: { pushgatewayUrl: 'http://pushgateway.monitoring:9091' } });
    const objects = await synthValid(chart);
    const cj = findObject(objects, 'CronJob', 'churn-xgb-v2-analysis');
    assert.equal(cj.spec.schedule, '0 6 * * *');
    assert.equal(cj.spec.concurrencyPolicy, 'Forbid');
    assert.equal(cj.spec.timeZone, 'UTC');
    const pod = cj.spec.jobTemplate.spec.template.spec;
    assert.match(pod.containers[0].image, /^node:\d+\.\d+\.\d+-slim$/);
    assert.deepEqual(pod.containers[0].command, ['node', '/opt/ml-platform/ab-analysis.js', 'run', '--config', '/opt/ml-platform/config.json', '--out', '/tmp/ab-analysis']);
    assert.deepEqual(pod.securityContext.seccompProfile, { type: 'RuntimeDefault' });
    assert.equal(pod.containers[0].securityContext.readOnlyRootFilesystem, true);
    const cm = findObject(objects, 'ConfigMap', 'churn-xgb-v2-analysis');
    const config = JSON.parse(cm.data['config.json']);
    assert.equal(config.variants[1].successQuery, 'sum(increase(model_outcome_success_total{namespace="ml-churn",service="churn-v2"}[336h]))');
    assert.equal(config.pushgatewayUrl, 'http://pushgateway.monitoring:9091');
    assert.ok(cm.data['ab-analysis.js'].length > 1000);
    assert.deepEqual(ab.analysisJob?.command.slice(0, 2), ['node', '/opt/ml-platform/ab-analysis.js']);
  });

  it('rejects bad variants', () => {
    assertInvalid({ variants: [] }, "'variants'", 'control and at least one treatment');
    const { chart } = testChart();
    const a = new ModelService(chart, 'a', { image: IMAGE, version: VERSION, preset: CostPreset.DEV });
    const b = new ModelService(chart, 'b', { image: IMAGE, version: VERSION, preset: CostPreset.DEV });
    assert.throws(() => new AbTest(chart, 'x', { experimentId: 'e', design: DESIGN, variants: [{ name: 'c', model: a, weight: 60 }, { name: 't', model: b, weight: 30 }] }),
      /weights must sum to 100 \(they sum to 90\)/);
    assert.throws(() => new AbTest(chart, 'y', { experimentId: 'e', design: DESIGN, variants: [{ name: 'c', model: a, weight: 50 }, { name: 'c', model: b, weight: 50 }] }),
      /variant names must be unique/);
    new CanaryRollout(chart, 'canary', { model: b, gateway: TEST_GATEWAY });
    // Checked at synth (test/core/bad-input.test.ts covers both construction orders).
    new AbTest(chart, 'z', { experimentId: 'e', design: DESIGN, gateway: TEST_GATEWAY, variants: [{ name: 'c', model: a, weight: 50 }, { name: 't', model: b, weight: 50 }] });
    assertValidationError(() => synthObjects(chart.node.root as App), undefined, "test/z: invalid 'variants[1].model' (\"b\"): is run by a Rollout");
  });
});

describe('A/B analysis job', () => {
  let server: Server;
  let url: string;
  const pushed: string[] = [];
  // A recorded Prometheus instant-query response per query (values as Prometheus returns them: strings).
  const recorded = (value: string) => ({ status: 'success', data: { resultType: 'vector', result: [{ metric: {}, value: [1764150000.123, value] }] } });
  const answers: Record<string, string> = {
    'model_outcome_success_total{namespace="ml-churn",service="churn-v1"}': '7500',
    'model_outcome_total{namespace="ml-churn",service="churn-v1"}': '10000',
    'model_outcome_success_total{namespace="ml-churn",service="churn-v2"}': '7800',
    'model_outcome_total{namespace="ml-churn",service="churn-v2"}': '10000',
  };

  /** Faults for the next Prometheus queries, in order: an error answer, or a stall. */
  const faults: Array<{ status?: number; body?: unknown; stall?: boolean }> = [];
  const queries: string[] = [];

  before(async () => {
    server = createHttpServer((req: IncomingMessage, res: ServerResponse) => {
      const u = new URL(req.url ?? '/', 'http://127.0.0.1');
      if (req.method === 'GET') {
        queries.push(u.searchParams.get('query') ?? '');
        const fault = faults.shift();
        if (fault?.stall) {
          return;
        }
        if (fault) {
          res.writeHead(fault.status ?? 500, { 'content-type': 'application/json' });
          res.end(JSON.stringify(fault.body ?? {}));
          return;
        }
      }
      if (req.method === 'PUT') {
        let body = '';
        req.on('data', (c: Buffer) => (body += c.toString()));
        req.on('end', () => { pushed.push(`${u.pathname}\n${body}`); res.end(); });
        return;
      }
      const q = u.searchParams.get('query') ?? '';
      const key = Object.keys(answers).find((k) => q.includes(k));
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(key ? recorded(answers[key]) : { status: 'success', data: { resultType: 'vector', result: [] } }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => {
    server.closeAllConnections();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });

  /** Runs the CronJob's exact command with the ConfigMap laid out as the volume would, the config changed by `overrides`. */
  async function runJob(overrides: Record<string, unknown>) {
    const { chart, ab } = experiment({ analysis: { prometheusUrl: 'http://prometheus.invalid:9090', pushgatewayUrl: 'http://pushgateway.invalid:9091' } });
    const cm = findObject(await synthValid(chart), 'ConfigMap', 'churn-xgb-v2-analysis');
    const dir = mkdtempSync(join(tmpdir(), 'ab-job-'));
    try {
      writeFileSync(join(dir, 'ab-analysis.js'), cm.data['ab-analysis.js']);
      writeFileSync(join(dir, 'config.json'), JSON.stringify({ ...JSON.parse(cm.data['config.json']), prometheusUrl: url, pushgatewayUrl: url, ...overrides }));
      const command = ab.analysisJob!.command.map((part) => part.replace('/opt/ml-platform', dir).replace('/tmp/ab-analysis', join(dir, 'out')));
      const run = await runNode(command.slice(1));
      let result: any;
      try {
        result = JSON.parse(readFileSync(join(dir, 'out', 'result.json'), 'utf8'));
      } catch {
        result = undefined;
      }
      return { ...run, result };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  it('reports insufficient_data, not "continue", when a variant\'s query returns no series', async () => {
    const saved = answers['model_outcome_total{namespace="ml-churn",service="churn-v2"}'];
    delete answers['model_outcome_total{namespace="ml-churn",service="churn-v2"}'];
    pushed.length = 0;
    try {
      const run = await runJob({});
      assert.equal(run.code, 0, run.stderr);
      assert.equal(run.result.recommendation, 'insufficient_data');
      assert.deepEqual(run.result.missingSeries, ['treatment-1: sum(increase(model_outcome_total{namespace="ml-churn",service="churn-v2"}[336h]))']);
      assert.match(run.stderr, /^ab-analysis: insufficient data: Prometheus returned no series for treatment-1: sum\(increase\(model_outcome_total/);
      assert.match(run.stdout, /\*\*Recommendation: insufficient_data\*\*/);
      assert.match(pushed[0], /ml_ab_recommendation\{experiment="churn-xgb-v2",recommendation="insufficient_data"\} 1/);
      assert.match(pushed[0], /ml_ab_recommendation\{experiment="churn-xgb-v2",recommendation="continue"\} 0/);
    } finally {
      answers['model_outcome_total{namespace="ml-churn",service="churn-v2"}'] = saved;
    }
  });

  it('retries a 500, a 429, a 503 and a stalled query within the run, then analyses', async () => {
    faults.push({ status: 500 }, { status: 429 }, { status: 503, body: { status: 'error', errorType: 'unavailable', error: 'starting up' } }, { stall: true });
    const run = await runJob({ requestTimeoutSeconds: 0.3 });
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.result.recommendation, 'deploy-treatment');
  });

  it('fails naming Prometheus, its URL and the query, with Prometheus\'s own error', async () => {
    faults.push({ status: 400, body: { status: 'error', errorType: 'bad_data', error: 'invalid parameter "query": 1:1: parse error: unexpected character' } });
    const bad = await runJob({});
    assert.equal(bad.code, 2);
    assert.equal(bad.stderr, `ab-analysis: Prometheus at ${url} (query: sum(increase(model_outcome_success_total{namespace="ml-churn",service="churn-v1"}[336h]))): `
      + 'HTTP 400: bad_data: invalid parameter "query": 1:1: parse error: unexpected character\n');
    const server2 = createHttpServer();
    await new Promise<void>((resolve) => server2.listen(0, '127.0.0.1', resolve));
    const closed = `http://127.0.0.1:${(server2.address() as AddressInfo).port}`;
    await new Promise<void>((resolve) => server2.close(() => resolve()));
    const down = await runJob({ prometheusUrl: closed });
    assert.equal(down.code, 2);
    assert.match(down.stderr, new RegExp(`^ab-analysis: Prometheus at ${closed} \\(query: sum\\(increase\\(model_outcome_success_total.*\\)\\): unreachable: fetch failed: .*ECONNREFUSED.* \\(gave up after 5 attempts\\)\n$`));
  });

  it('runs the exact command of the CronJob against a recorded Prometheus response', async () => {
    pushed.length = 0;
    const { chart, ab } = experiment({ analysis: { prometheusUrl: 'http://prometheus.invalid:9090', pushgatewayUrl: 'http://pushgateway.invalid:9091' } });
    const cm = findObject(await synthValid(chart), 'ConfigMap', 'churn-xgb-v2-analysis');
    const dir = mkdtempSync(join(tmpdir(), 'ab-job-'));
    try {
      // Lay the ConfigMap out as the volume would, pointing the job at the local stand-ins.
      const config = { ...JSON.parse(cm.data['config.json']), prometheusUrl: url, pushgatewayUrl: url };
      writeFileSync(join(dir, 'ab-analysis.js'), cm.data['ab-analysis.js']);
      writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
      const command = ab.analysisJob!.command.map((part) => part.replace('/opt/ml-platform', dir).replace('/tmp/ab-analysis', join(dir, 'out')));
      // Asynchronously: the Prometheus stand-in runs in this process and must keep serving.
      const run = await promisify(execFile)(command[0] === 'node' ? process.execPath : command[0], command.slice(1), { encoding: 'utf8', timeout: 60_000 });
      const result = JSON.parse(readFileSync(join(dir, 'out', 'result.json'), 'utf8'));
      const expected = analyse('churn-xgb-v2', [{ name: 'control', successes: 7500, total: 10000 }, { name: 'treatment-1', successes: 7800, total: 10000 }], 0.05);
      assert.deepEqual(result, JSON.parse(JSON.stringify(expected)));
      assert.equal(result.recommendation, 'deploy-treatment');
      assert.match(run.stdout, /\*\*Recommendation: deploy-treatment\*\* \(treatment-1\)/);
      assert.match(readFileSync(join(dir, 'out', 'result.md'), 'utf8'), /\| treatment-1 \| 7800 \| 10000 \| 78\.00% \| 4\.00% \|/);
      assert.equal(pushed.length, 1);
      assert.match(pushed[0], /^\/metrics\/job\/ml-ab-analysis\/experiment\/churn-xgb-v2\n/);
      assert.match(pushed[0], /ml_ab_recommendation\{experiment="churn-xgb-v2",recommendation="deploy-treatment"\} 1/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('fails with exit code 2 and a clear message when Prometheus is unreachable', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ab-job-'));
    try {
      writeFileSync(join(dir, 'config.json'), JSON.stringify({ experimentId: 'e', prometheusUrl: 'http://127.0.0.1:9', alpha: 0.05, variants: [] }));
      const script = join(__dirname, '..', '..', 'bundles', 'ab-analysis.js');
      const run = spawnSync(process.execPath, [script, 'run', '--config', join(dir, 'config.json'), '--out', join(dir, 'out')], { encoding: 'utf8' });
      assert.equal(run.status, 2);
      assert.match(run.stderr, /^ab-analysis: experiment e: needs a control and at least one treatment/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('keeps the committed bundle identical to its sources', async () => {
    const { buildBundle } = await import('../../scripts/bundles');
    const fresh = await buildBundle('ab-analysis');
    assert.equal(readFileSync(join(__dirname, '..', '..', 'bundles', 'ab-analysis.js'), 'utf8'), fresh, 'run `npm run bundle` and commit bundles/');
  });
});

describe('AbTest analysis window and Prometheus retention', () => {
  const long = { ...DESIGN, plannedDuration: Duration.days(30) };

  it('reads increase() over the planned duration while it fits in the declared retention', async () => {
    const { chart } = experiment({ design: { ...DESIGN, plannedDuration: Duration.days(15) } });
    const config = JSON.parse(findObject(await synthValid(chart), 'ConfigMap', 'churn-xgb-v2-analysis').data['config.json']);
    assert.match(config.variants[0].totalQuery, /\[360h\]\)\)$/);
  });

  it('reads recorded running totals, never a truncated window, when the experiment outlives the retention', async () => {
    const { chart, ab } = experiment({ design: long });
    const objects = await synthValid(chart);
    const config = JSON.parse(findObject(objects, 'ConfigMap', 'churn-xgb-v2-analysis').data['config.json']);
    assert.equal(config.variants[1].totalQuery, 'max(ml_ab:outcome:running_total{experiment="churn-xgb-v2",variant="treatment-1"})');
    assert.ok(!JSON.stringify(config).includes('[720h]'), 'no window longer than the retention');
    const rule = findObject(objects, 'PrometheusRule', 'churn-xgb-v2-running-totals');
    assert.equal(rule.spec.groups.length, 1);
    assert.equal(rule.spec.groups[0].interval, '1m', 'each evaluation adds exactly one interval of increase');
    assert.equal(rule.spec.groups[0].rules.length, 4);
    assert.equal(ab.runningTotals?.name, 'churn-xgb-v2-running-totals');
  });

  it('accumulates the totals like the counter grows (promtool test rules)', { skip: promtoolSkip }, async () => {
    const { chart } = experiment({ design: long });
    const rule = findObject(await synthValid(chart), 'PrometheusRule', 'churn-xgb-v2-running-totals');
    const r = runPromtoolTest(rulesFileOf(rule), promtoolTests([{
      interval: '1m',
      input_series: [
        { series: 'model_outcome_total{namespace="ml-churn",service="churn-v1",pod="a"}', values: '0+10x180' },
        { series: 'model_outcome_success_total{namespace="ml-churn",service="churn-v1",pod="a"}', values: '0+7x180' },
        // A counter reset (pod restart) half-way: increase() handles it, the running total keeps growing.
        { series: 'model_outcome_total{namespace="ml-churn",service="churn-v2",pod="b"}', values: '0+10x90 0+10x89' },
      ],
      promql_expr_test: [
        { expr: 'ml_ab:outcome:running_total{variant="control"}', eval_time: '180m', exp_samples: [{ labels: 'ml_ab:outcome:running_total{experiment="churn-xgb-v2",variant="control"}', value: 1800 }] },
        { expr: 'ml_ab:outcome_success:running_total{variant="control"}', eval_time: '180m', exp_samples: [{ labels: 'ml_ab:outcome_success:running_total{experiment="churn-xgb-v2",variant="control"}', value: 1260 }] },
        { expr: 'ml_ab:outcome:running_total{variant="treatment-1"}', eval_time: '180m', exp_samples: [{ labels: 'ml_ab:outcome:running_total{experiment="churn-xgb-v2",variant="treatment-1"}', value: 1790 }] },
      ],
    }]));
    assert.ok(r.ok, r.output);
  });

  it('rejects an experiment longer than the retention when the control model renders no rules', () => {
    const { chart } = testChart('ml-churn');
    const models = ['churn-v1', 'churn-v2'].map((name) => new ModelService(chart, name, {
      image: IMAGE, version: VERSION, modelCard: CARD, preset: CostPreset.STAGING, monitoring: { enabled: false, retention: Duration.days(10) },
    }));
    assertValidationError(() => new AbTest(chart, 'churn-ab', {
      experimentId: 'churn-xgb-v2', design: { ...DESIGN, plannedDuration: Duration.days(11) }, gateway: TEST_GATEWAY,
      variants: models.map((model, i) => ({ name: i === 0 ? 'control' : 'treatment', model, weight: 50 })),
    }), 'test/churn-ab', "'design.plannedDuration'", 'longer than Prometheus keeps samples', 'monitoring.retention 10 days');
  });
});
