// Every alert the examples render, evaluated by Prometheus (`promtool test rules`): it fires on the
// condition it names, stays silent on a healthy series, and a freshly installed platform (one day of
// series, no drift check or restore drill run yet) fires nothing. Cases live in `*.alert-cases.ts`
// modules (test/support/alert-cases.ts); an alert without a case fails the suite.
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { stringify } from 'yaml';
import { AlertCase, AlertScenario, expectedAlert } from '../support/alert-cases';
import { allExampleObjects } from '../support/promql';
import { PromtoolTestGroup, RenderedAlertRule, alertRulesOf, promtoolSkip, promtoolTests, rulesFileOf, runPromtoolTest } from '../support/promtool';

const TEST_DIR = join(__dirname, '..');

interface CaseModule {
  readonly ALERT_CASES?: Record<string, AlertCase>;
  /** Alerts whose fire/silent promtool cases live in another test file (path from the repository root); the fresh-install run still covers them. */
  readonly ALERTS_TESTED_ELSEWHERE?: Record<string, string>;
}

async function loadModules(): Promise<CaseModule[]> {
  const files = readdirSync(TEST_DIR, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.alert-cases.ts')).sort();
  return Promise.all(files.map(async (file) => (await import(join(TEST_DIR, file))) as CaseModule));
}

async function loadCases(): Promise<Record<string, AlertCase>> {
  const cases: Record<string, AlertCase> = {};
  for (const mod of await loadModules()) {
    for (const [name, c] of Object.entries(mod.ALERT_CASES ?? {})) {
      assert.ok(!(name in cases), `alert ${name} has cases in two files`);
      cases[name] = c;
    }
  }
  return cases;
}

/** Alerts tested by `promtool test rules` in another file: that file must run promtool and name the alert. */
async function testedElsewhere(): Promise<Set<string>> {
  const names = new Set<string>();
  for (const mod of await loadModules()) {
    for (const [name, file] of Object.entries(mod.ALERTS_TESTED_ELSEWHERE ?? {})) {
      const text = readFileSync(join(TEST_DIR, '..', file), 'utf8');
      assert.ok(text.includes('runPromtoolTest') && text.includes(`'${name}'`), `${file} runs promtool on ${name}`);
      names.add(name);
    }
  }
  return names;
}

const objects = allExampleObjects().flatMap((e) => e.objects);
const prometheusRules = objects.filter((o) => o.kind === 'PrometheusRule');
const rendered = alertRulesOf(objects);

function exprOf(rule: RenderedAlertRule): string {
  return String(rule.expr);
}

function group(name: string, alert: string, rule: RenderedAlertRule, s: AlertScenario, firing: ReadonlyArray<Readonly<Record<string, string>>>): PromtoolTestGroup {
  return {
    name, interval: s.interval ?? '1m', input_series: [...s.input_series],
    alert_rule_test: [{ eval_time: s.eval_time, alertname: alert, exp_alerts: firing.map((labels) => expectedAlert(rule, labels, s.value)) }],
  };
}

describe('alerts evaluated by Prometheus (promtool test rules)', () => {
  it('has a case for every alert name an example renders', async () => {
    const cases = await loadCases();
    const elsewhere = await testedElsewhere();
    assert.ok(rendered.size >= 10, `${rendered.size} alert names`);
    assert.deepEqual([...rendered.keys()].filter((n) => !(n in cases) && !elsewhere.has(n)).sort(), [],
      'alerts without a promtool case (add one to a *.alert-cases.ts file)');
  });

  it('fires each alert on its condition and keeps it silent on healthy series', { skip: promtoolSkip }, async () => {
    const cases = await loadCases();
    const failures: string[] = [];
    for (const pr of prometheusRules) {
      const tests: PromtoolTestGroup[] = [];
      for (const [alert, rules] of alertRulesOf([pr])) {
        const c = cases[alert];
        if (!c) continue; // reported by the completeness test
        for (const rule of rules) {
          const fires = c.fires(rule, exprOf(rule));
          tests.push(group(`${alert} fires`, alert, rule, fires, fires.firing ?? [{}]));
          const healthy = c.healthy(rule, exprOf(rule));
          tests.push(group(`${alert} silent when healthy`, alert, rule, healthy, healthy.firing ?? []));
        }
      }
      if (tests.length === 0) continue;
      const r = runPromtoolTest(rulesFileOf(pr), promtoolTests(tests));
      if (!r.ok) failures.push(`${String((pr.metadata as { name?: string }).name)}:\n${r.output}`);
    }
    assert.deepEqual(failures, []);
  });

  it('fires nothing on a freshly installed platform (one day of series, no check or drill run yet)', { skip: promtoolSkip }, async () => {
    const cases = await loadCases();
    // All rules of all examples in one file (group names made unique), all their fresh-install series.
    const groups = prometheusRules.flatMap((pr, i) => ((pr.spec as { groups: Array<{ name: string }> }).groups).map((g) => ({ ...g, name: `${i}-${g.name}` })));
    const series = new Map<string, string>();
    for (const [alert, rules] of rendered) {
      for (const rule of rules) {
        for (const s of cases[alert]?.fresh(rule, exprOf(rule)) ?? []) series.set(s.series, s.values);
      }
    }
    // Rules evaluated every 5 minutes over the day (series scraped every minute): enough for every `for:`.
    const tests = promtoolTests([{
      name: 'fresh install',
      interval: '1m',
      input_series: [...series].map(([s, values]) => ({ series: s, values })),
      alert_rule_test: [...rendered.keys()].sort().flatMap((alertname) => ['360m', '1440m'].map((t) => ({ eval_time: t, alertname, exp_alerts: [] }))),
    }], '5m');
    const r = runPromtoolTest(stringify({ groups }, { lineWidth: 0 }), tests);
    assert.ok(r.ok, r.output);
  });
});
