// The canary gate evaluated by Prometheus itself (`promtool test rules`) on synthetic series, with
// Argo Rollouts' semantics applied to the results (argoproj/argo-rollouts utils/evaluate/evaluate.go
// EvaluateResult: failureCondition true -> Failed; neither condition true -> Inconclusive; else Successful;
// an AnalysisRun is Failed when any metric failed (failureLimit 0), else Inconclusive when any is, and an
// Inconclusive run pauses the rollout while a Failed one aborts it).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CanaryRollout, ModelService, TrafficRouting } from '../../src';
import { CARD, IMAGE, VERSION } from '../support/fixtures';
import { findObject, synthValid, testChart } from '../support/synth';
import { PromtoolExprTest, PromtoolTestGroup, promtoolSkip, promtoolTests, runPromtoolTest } from '../support/promtool';
import { promqlErrors } from '../support/promql';

type Phase = 'Successful' | 'Failed' | 'Inconclusive';
const HASH = 'c4n4ry';
const BASE = 'service="churn-model",namespace="ml-churn"';

/**
 * The PromQL filter equivalent to an Argo condition over a one-element `result` vector: the library's
 * gate conditions are conjunctions of `len(result) > 0`, `!isNaN(result[0])` and one `result[0] <op> <n>`.
 * A PromQL comparison keeps the sample exactly when it holds (NaN compares false; an empty vector
 * stays empty), so `count((Q) op n)` has a sample iff the condition is true. Any other form throws.
 */
function conditionAsPromQL(condition: string, query: string): string {
  let comparison: string | undefined;
  for (const clause of condition.split(' && ')) {
    const m = /^result\[0\] (<=|>=|<|>|==) (-?[0-9.e-]+)$/.exec(clause);
    if (m) {
      assert.equal(comparison, undefined, `one comparison per condition: ${condition}`);
      comparison = `${m[1]} ${m[2]}`;
    } else {
      assert.ok(clause === 'len(result) > 0' || clause === '!isNaN(result[0])', `unsupported clause '${clause}' in ${condition}`);
    }
  }
  assert.ok(comparison, `no comparison in ${condition}`);
  return `count((${query}) ${comparison})`;
}

/**
 * Counter and histogram series of pod groups over one hour at 1-minute scrapes: `perMinute` requests
 * with `status` on `handler`, all of them faster than `fastLe` seconds.
 */
function input(parts: Array<{ hash?: string; handler: string; status: string; perMinute: number; fastLe?: string }>) {
  return parts.flatMap((p) => {
    const l = `${BASE},rollouts_pod_template_hash="${p.hash ?? HASH}",handler="${p.handler}",status="${p.status}"`;
    return [
      { series: `http_requests_total{${l}}`, values: `0+${p.perMinute}x60` },
      ...['0.1', '0.25', '0.5', '1', '+Inf'].map((le) => ({
        series: `http_request_duration_seconds_bucket{${l},le="${le}"}`,
        values: le === '+Inf' || Number(le) >= Number(p.fastLe ?? '0.1') ? `0+${p.perMinute}x60` : '0+0x60',
      })),
    ];
  });
}

// Stable pods keep serving users during every scenario; the gate must look at the canary only.
const STABLE = { hash: 'st4bl3', handler: '/predict', status: '200', perMinute: 500 };
// Kubelet probes (every 10 s on /health and /ready) and a 30 s scrape on /metrics, per canary pod: 1,080+ per hour.
const PROBES = [
  { handler: '/health', status: '200', perMinute: 6 }, { handler: '/ready', status: '200', perMinute: 6 },
  { handler: '/metrics', status: '200', perMinute: 2 },
];

const SCENARIOS: Array<{ name: string; series: ReturnType<typeof input>; expect: Record<string, Phase>; run: Phase }> = [
  { name: 'no traffic at all', series: input([STABLE]), expect: { 'error-rate': 'Inconclusive', 'latency-p99': 'Inconclusive' }, run: 'Inconclusive' },
  { name: 'probe and scrape requests only', series: input([STABLE, ...PROBES]), expect: { 'error-rate': 'Inconclusive', 'latency-p99': 'Inconclusive' }, run: 'Inconclusive' },
  {
    name: 'errors above the limit but fewer user requests than the minimum sample',
    series: input([STABLE, ...PROBES, { handler: '/predict', status: '200', perMinute: 9 }, { handler: '/predict', status: '500', perMinute: 1 }]),
    expect: { 'error-rate': 'Inconclusive', 'latency-p99': 'Inconclusive' }, run: 'Inconclusive',
  },
  {
    name: '2% errors',
    series: input([STABLE, ...PROBES, { handler: '/predict', status: '200', perMinute: 49 }, { handler: '/predict', status: '500', perMinute: 1 }]),
    expect: { 'error-rate': 'Failed', 'latency-p99': 'Successful' }, run: 'Failed',
  },
  {
    name: 'slow p99 (most requests between 0.5 s and 1 s)',
    series: input([STABLE, ...PROBES, { handler: '/predict', status: '200', perMinute: 50, fastLe: '1' }]),
    expect: { 'error-rate': 'Successful', 'latency-p99': 'Failed' }, run: 'Failed',
  },
  {
    name: 'healthy: 0.1% errors, fast',
    series: input([STABLE, ...PROBES, { handler: '/predict', status: '200', perMinute: 999 }, { handler: '/predict', status: '500', perMinute: 1 }]),
    expect: { 'error-rate': 'Successful', 'latency-p99': 'Successful' }, run: 'Successful',
  },
];

/** Argo's AnalysisRun phase from its metrics' phases (failureLimit 0, inconclusiveLimit 0). */
function runPhase(phases: readonly Phase[]): Phase {
  return phases.includes('Failed') ? 'Failed' : phases.includes('Inconclusive') ? 'Inconclusive' : 'Successful';
}

describe('canary gate on Prometheus (promtool test rules)', () => {
  it('maps metric phases to the rollout like Argo: any Failed aborts, else any Inconclusive pauses', () => {
    assert.equal(runPhase(['Successful', 'Inconclusive']), 'Inconclusive');
    assert.equal(runPhase(['Inconclusive', 'Failed']), 'Failed');
    for (const s of SCENARIOS) assert.equal(runPhase(Object.values(s.expect)), s.run, s.name);
  });

  it('no traffic and probe-only traffic pause, 2% errors and a slow p99 abort, healthy traffic passes', { skip: promtoolSkip }, async () => {
    const { chart } = testChart('ml-churn');
    const model = new ModelService(chart, 'churn-model', { image: IMAGE, version: VERSION, modelCard: CARD });
    // The gate does not depend on how traffic is split; replica routing needs no edge or mesh objects.
    const rollout = new CanaryRollout(chart, 'churn-canary', { model, trafficRouting: TrafficRouting.REPLICAS });
    assert.ok(rollout.minimumSample > 600 && rollout.minimumSample < 3000, `the 10 req/min scenario is below, 50 req/min above the minimum (${rollout.minimumSample})`);
    const gate = findObject(await synthValid(chart), 'AnalysisTemplate', 'churn-model-canary-gate');
    const fill = (q: string) => q.replaceAll('{{args.canary-hash}}', HASH).replaceAll('{{args.window}}', '1h');
    const tests: PromtoolTestGroup[] = SCENARIOS.map((s) => {
      const exprs: PromtoolExprTest[] = gate.spec.metrics.flatMap((m: { name: string; successCondition: string; failureCondition: string; provider: { prometheus: { query: string } } }) => {
        const q = fill(m.provider.prometheus.query);
        assert.deepEqual(promqlErrors(q), []);
        const phase = s.expect[m.name];
        assert.ok(phase, `scenario '${s.name}' states the phase of ${m.name}`);
        const one = [{ labels: '{}', value: 1 }];
        return [
          { expr: conditionAsPromQL(m.successCondition, q), eval_time: '60m', exp_samples: phase === 'Successful' ? one : [] },
          { expr: conditionAsPromQL(m.failureCondition, q), eval_time: '60m', exp_samples: phase === 'Failed' ? one : [] },
        ];
      });
      return { name: s.name, interval: '1m', input_series: s.series, promql_expr_test: exprs };
    });
    const r = runPromtoolTest('groups: []\n', promtoolTests(tests));
    assert.ok(r.ok, r.output);
  });

  it('would notice a wrong expectation (the promtool run can fail)', { skip: promtoolSkip }, () => {
    const r = runPromtoolTest('groups: []\n', promtoolTests([{
      interval: '1m', input_series: [{ series: 'up{job="x"}', values: '1x10' }],
      promql_expr_test: [{ expr: 'count(up > 1)', eval_time: '5m', exp_samples: [{ labels: '{}', value: 1 }] }],
    }]));
    assert.equal(r.ok, false);
  });
});
