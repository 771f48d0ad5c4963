import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Duration } from 'cdk8s';
import { CostPreset, ModelService, ModelServiceProps, SloAlerting, burnFactor, BURN_RATE_TIERS } from '../../src';
import { CARD, IMAGE, VERSION } from '../support/fixtures';
import { assertValidationError } from '../support/assert';
import { findObject, synthValid, testChart } from '../support/synth';
import { PromtoolAlertTest, promtoolSkip, promtoolTests, rulesFileOf, runPromtoolCheck, runPromtoolTest } from '../support/promtool';

function model(props: Partial<ModelServiceProps> = {}) {
  const { chart } = testChart('ml');
  const service = new ModelService(chart, 'churn', { image: IMAGE, version: VERSION, modelCard: CARD, ...props });
  return { chart, service };
}

async function sloRule(props: Partial<ModelServiceProps> = {}): Promise<Record<string, any>> {
  return findObject(await synthValid(model(props).chart), 'PrometheusRule', 'churn-slo');
}

const SCOPE = 'namespace="ml",service="churn"';
/** `n` requests per minute of which `bad` fail (5xx), as two counters in promtool's expanding notation, for `minutes`. */
function traffic(segments: ReadonlyArray<{ minutes: number; perMinute: number; errors: number; slow?: number }>) {
  const counters = { ok: [] as string[], err: [] as string[], fast: [] as string[], all: [] as string[] };
  const totals = { ok: 0, err: 0, fast: 0, all: 0 };
  let first = true;
  for (const s of segments) {
    const step = { ok: s.perMinute - s.errors, err: s.errors, fast: s.perMinute - (s.slow ?? 0), all: s.perMinute };
    for (const k of ['ok', 'err', 'fast', 'all'] as const) {
      const start = first ? 0 : totals[k] + step[k];
      const n = first ? s.minutes : s.minutes - 1;
      counters[k].push(`${start}+${step[k]}x${n}`);
      totals[k] = start + step[k] * n;
    }
    first = false;
  }
  return [
    { series: `http_requests_total{${SCOPE},handler="/predict",status="200"}`, values: counters.ok.join(' ') },
    { series: `http_requests_total{${SCOPE},handler="/predict",status="500"}`, values: counters.err.join(' ') },
    // Probes are not user traffic: failing health checks must not burn the budget.
    { series: `http_requests_total{${SCOPE},handler="/health",status="503"}`, values: `0+1000x${segments.reduce((a, s) => a + s.minutes, 0)}` },
    { series: `http_request_duration_seconds_bucket{${SCOPE},handler="/predict",le="0.5"}`, values: counters.fast.join(' ') },
    { series: `http_request_duration_seconds_bucket{${SCOPE},handler="/predict",le="+Inf"}`, values: counters.all.join(' ') },
  ];
}

/** A rule group of the `churn-slo` PrometheusRule by its name suffix. */
function group(rule: Record<string, any>, suffix: 'records' | 'slo-alerts'): Record<string, any> {
  const found = rule.spec.groups.find((g: any) => g.name === `churn-slo.${suffix}`);
  assert.ok(found, `group churn-slo.${suffix}`);
  return found;
}

/** The alert firing once, with the labels and annotations the rule renders. */
function firing(rule: Record<string, any>, alertname: string, eval_time: string, slo: string): PromtoolAlertTest {
  const a = group(rule, 'slo-alerts').rules.find((r: any) => r.alert === alertname);
  return { eval_time, alertname, exp_alerts: [{ exp_labels: { ...a.labels, namespace: 'ml', slo }, exp_annotations: a.annotations }] };
}
const silent = (alertname: string, eval_time: string): PromtoolAlertTest => ({ eval_time, alertname, exp_alerts: [] });

describe('SLOs as code (multi-window, multi-burn-rate, SRE Workbook ch. 5)', () => {
  it('derives the Workbook burn-rate factors from budget consumption: 14.4x, 6x and 1x for 30 days', () => {
    const month = Duration.days(30);
    assert.deepEqual([...BURN_RATE_TIERS.page, ...BURN_RATE_TIERS.ticket].map((t) => burnFactor(t, month)), [14.4, 6, 1]);
    assert.equal(burnFactor(BURN_RATE_TIERS.page[0], Duration.days(7)), 3.36);
  });

  it('records 4 series per objective (not one per window as Sloth does) and renders page and ticket alerts', async () => {
    const rule = await sloRule();
    const alerts = group(rule, 'slo-alerts');
    const records = group(rule, 'records');
    assert.equal(records.rules.length, 8, 'availability and latency: events, bad events, objective, budget left');
    assert.deepEqual(alerts.rules.map((r: any) => r.alert),
      ['ModelAvailabilityBurnRatePage', 'ModelAvailabilityBurnRateTicket', 'ModelLatencyBurnRatePage', 'ModelLatencyBurnRateTicket']);
    const page = alerts.rules[0];
    assert.equal(page.labels.severity, 'critical');
    assert.match(page.expr, /> \(14\.4 \* 0\.001\)/);
    assert.match(page.expr, /\[1h\]\) .* > \(6 \* 0\.001\)/);
    assert.match(page.annotations.description, /99\.9% of requests succeed .* 30 days/);
    assert.equal(page.annotations.runbook_url, 'https://git.example.com/ml-gitops/blob/main/dist/runbooks/ml-churn-model-availability-burn-rate-page.md');
    assert.equal(page.annotations.dashboard_url, 'https://grafana.example.com/d/model-ml-churn?viewPanel=9');
    for (const r of records.rules) {
      assert.doesNotMatch(r.expr, /handler="\/health"/);
    }
    assert.match(records.rules[0].expr, /handler!~"\/health\|\/ready\|\/metrics"/, 'probe and metrics paths are excluded');
  });

  it('takes targets and window from the preset and props, and can render fixed thresholds only', async () => {
    const dev = await sloRule({ preset: CostPreset.DEV });
    assert.match(group(dev, 'slo-alerts').rules[0].expr, /> \(3\.36 \* 0\.01\)/, 'DEV: 99% over 7 days');
    const custom = await sloRule({ serviceLevels: { availability: { target: 0.995 }, latency: false, window: Duration.days(28) } });
    assert.equal(group(custom, 'records').rules.length, 4);
    assert.match(group(custom, 'slo-alerts').rules[0].expr, /> \(13\.44 \* 0\.005\)/);
    const { chart } = model({ serviceLevels: { alerting: SloAlerting.FIXED_THRESHOLD } });
    const objects = await synthValid(chart);
    assert.deepEqual(findObject(objects, 'PrometheusRule', 'churn-slo').spec.groups.map((g: any) => g.name), ['churn-slo.records']);
    const burnOnly = await synthValid(model({ serviceLevels: { alerting: SloAlerting.BURN_RATE } }).chart);
    assert.deepEqual(findObject(burnOnly, 'PrometheusRule', 'churn').spec.groups[0].rules.map((r: any) => r.alert), ['ModelReplicasUnavailable'],
      'burn-rate only: the fixed error-rate and p99 alerts are left out');
  });

  it('rejects targets whose page burn rate can never be reached and windows shorter than the ticket window', () => {
    assertValidationError(() => model({ serviceLevels: { availability: { target: 0.9 } } }), 'test/churn', 'serviceLevels.availability.target', 'can never be reached');
    assertValidationError(() => model({ serviceLevels: { window: Duration.days(1) } }), 'test/churn', 'serviceLevels.window');
  });

  it('passes promtool check rules', { skip: promtoolSkip }, async () => {
    const result = runPromtoolCheck(rulesFileOf(await sloRule()));
    assert.ok(result.ok, result.output);
  });

  it('pages after 2% of the 30-day budget is spent in an hour, and stays silent when healthy (promtool)', { skip: promtoolSkip }, async () => {
    const rule = await sloRule();
    const rules = rulesFileOf(rule);
    // 99.9%: budget 0.1%. 2.88% errors = 28.8x burn: the 1h window crosses 14.4x after 30 min (plus the 5m rate and for: 2m).
    // Budget spent by then: 28.8 * 30 min / 30 days = 2%, the Workbook's page condition.
    const tests = promtoolTests([
      {
        name: 'availability page',
        interval: '1m',
        input_series: traffic([{ minutes: 120, perMinute: 10000, errors: 1 }, { minutes: 60, perMinute: 10000, errors: 288 }]),
        alert_rule_test: [
          silent('ModelAvailabilityBurnRatePage', '119m'),
          silent('ModelAvailabilityBurnRateTicket', '119m'),
          silent('ModelAvailabilityBurnRatePage', '145m'),
          firing(rule, 'ModelAvailabilityBurnRatePage', '160m', 'availability'),
          silent('ModelLatencyBurnRatePage', '160m'),
        ],
        // 0.01% errors spend a tenth of the 0.1% budget: 90% left.
        promql_expr_test: [{
          expr: 'round(model_slo:error_budget_remaining:ratio{slo="availability"}, 0.01)',
          eval_time: '119m',
          exp_samples: [{ labels: '{model="churn",namespace="ml",slo="availability"}', value: 0.9 }],
        }],
      },
      {
        name: 'latency page',
        interval: '1m',
        // 99% under 0.5s: budget 1%. 28.8% slow requests = 28.8x burn.
        input_series: traffic([{ minutes: 120, perMinute: 10000, errors: 0, slow: 10 }, { minutes: 60, perMinute: 10000, errors: 0, slow: 2880 }]),
        alert_rule_test: [
          silent('ModelLatencyBurnRatePage', '119m'),
          silent('ModelLatencyBurnRatePage', '145m'),
          firing(rule, 'ModelLatencyBurnRatePage', '160m', 'latency'),
          silent('ModelAvailabilityBurnRatePage', '160m'),
        ],
      },
      {
        name: 'freshly installed, healthy',
        interval: '1m',
        input_series: traffic([{ minutes: 1440, perMinute: 600, errors: 0, slow: 1 }]),
        alert_rule_test: ['ModelAvailabilityBurnRatePage', 'ModelAvailabilityBurnRateTicket', 'ModelLatencyBurnRatePage', 'ModelLatencyBurnRateTicket']
          .flatMap((a) => [silent(a, '10m'), silent(a, '1d')]),
      },
    ]);
    const result = runPromtoolTest(rules, tests);
    assert.ok(result.ok, result.output);
  });

  it('files a ticket after 10% of the budget is spent in 3 days (promtool)', { skip: promtoolSkip }, async () => {
    const rule = await sloRule({ serviceLevels: { latency: false } });
    const rules = rulesFileOf(rule);
    // 3 healthy days, then 0.2% errors (2x burn): the 3-day window crosses 1x after 1.5 days, when 2 * 1.5 d / 30 d = 10% is spent.
    const day = 1440;
    const tests = promtoolTests([{
      name: 'availability ticket',
      interval: '1m',
      input_series: traffic([{ minutes: 3 * day, perMinute: 1000, errors: 0 }, { minutes: 2 * day, perMinute: 1000, errors: 2 }]),
      alert_rule_test: [
        silent('ModelAvailabilityBurnRateTicket', `${3 * day + Math.round(1.4 * day)}m`),
        firing(rule, 'ModelAvailabilityBurnRateTicket', `${3 * day + Math.round(1.6 * day)}m`, 'availability'),
        silent('ModelAvailabilityBurnRatePage', `${3 * day + Math.round(1.6 * day)}m`),
      ],
    }], '5m');
    const result = runPromtoolTest(rules, tests);
    assert.ok(result.ok, result.output);
  });
});
