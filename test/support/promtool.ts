import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';

/**
 * Prometheus' own rule checker and unit-test runner (`promtool`, Debian package `prometheus`;
 * `.ci/run` installs it). Docs: https://prometheus.io/docs/prometheus/latest/configuration/unit_testing_rules/
 *
 * API (stable, shared with the SLO tests):
 * - `promtoolSkip`: pass as `it(name, { skip: promtoolSkip }, ...)`; a reason string when promtool is
 *   absent and `CI` is unset, `false` otherwise. Under CI a missing promtool throws at import.
 * - `runPromtoolTest(rulesYaml, testsYaml)`: `promtool test rules` on a rule file and a unit-test file.
 * - `runPromtoolCheck(rulesYaml)`: `promtool check rules`.
 * - `rulesFileOf(prometheusRule)`: the rule file (`groups:`) of a rendered PrometheusRule object.
 * - `promtoolTests(tests)`: a unit-test file from typed {@link PromtoolTestGroup}s.
 */

/** How a promtool run ended: `ok` when it exited 0; `output` is stdout and stderr. */
export interface PromtoolResult {
  readonly ok: boolean;
  readonly output: string;
}

function findPromtool(): string | undefined {
  const which = spawnSync('sh', ['-c', 'command -v promtool'], { encoding: 'utf8' });
  const path = which.stdout.trim();
  return which.status === 0 && path ? path : undefined;
}

/** Absolute path of promtool, undefined when it is not installed. */
export const PROMTOOL: string | undefined = findPromtool();

if (!PROMTOOL && process.env.CI) {
  throw new Error('promtool is required under CI (apt-get install prometheus; .ci/run does it)');
}

/** The `skip` option of tests that need promtool: a reason when it is absent (never under CI), else false. */
export const promtoolSkip: string | false = PROMTOOL ? false
  : 'promtool not installed (apt-get install prometheus, or download it from prometheus.io); CI installs it';

function runInTempDir(files: Record<string, string>, args: (dir: string) => string[]): PromtoolResult {
  if (!PROMTOOL) {
    throw new Error(`promtool is not installed: ${promtoolSkip}`);
  }
  const dir = mkdtempSync(join(tmpdir(), 'promtool-'));
  try {
    for (const [name, text] of Object.entries(files)) {
      writeFileSync(join(dir, name), text);
    }
    const run = spawnSync(PROMTOOL, args(dir), { cwd: dir, encoding: 'utf8', timeout: 300_000 });
    return { ok: run.status === 0, output: `${run.stdout ?? ''}${run.stderr ?? ''}${run.error ? String(run.error) : ''}` };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * `promtool test rules` with `rulesYaml` as `rules.yaml` and `testsYaml` as the unit-test file.
 * `testsYaml` may omit `rule_files` (it is set to `[rules.yaml]`).
 */
export function runPromtoolTest(rulesYaml: string, testsYaml: string): PromtoolResult {
  const tests = /^rule_files:/m.test(testsYaml) ? testsYaml : `rule_files:\n  - rules.yaml\n${testsYaml}`;
  return runInTempDir({ 'rules.yaml': rulesYaml, 'tests.yaml': tests }, () => ['test', 'rules', 'tests.yaml']);
}

/** `promtool check rules` on one rule file. */
export function runPromtoolCheck(rulesYaml: string): PromtoolResult {
  return runInTempDir({ 'rules.yaml': rulesYaml }, () => ['check', 'rules', 'rules.yaml']);
}

/** The rule file of a rendered PrometheusRule object (its `spec`, i.e. `groups:`). */
export function rulesFileOf(prometheusRule: { spec?: unknown }): string {
  return stringify(prometheusRule.spec, { lineWidth: 0 });
}

/** An expected alert of `alert_rule_test`. */
export interface PromtoolExpectedAlert {
  readonly exp_labels?: Readonly<Record<string, string>>;
  readonly exp_annotations?: Readonly<Record<string, string>>;
}

/** One `alert_rule_test` entry: which alerts named `alertname` fire at `eval_time` ([] = none). */
export interface PromtoolAlertTest {
  readonly eval_time: string;
  readonly alertname: string;
  readonly exp_alerts: readonly PromtoolExpectedAlert[];
}

/** One `promql_expr_test` entry. */
export interface PromtoolExprTest {
  readonly expr: string;
  readonly eval_time: string;
  readonly exp_samples: readonly { readonly labels: string; readonly value: number }[];
}

/** One test group of a promtool unit-test file. */
export interface PromtoolTestGroup {
  /** Name printed by promtool on failure. */
  readonly name?: string;
  /** Scrape interval of the input series (`1m` if unset). */
  readonly interval?: string;
  /** Series in expanding notation: `{ series: 'm{a="b"}', values: '0+10x60' }`. */
  readonly input_series: readonly { readonly series: string; readonly values: string }[];
  readonly alert_rule_test?: readonly PromtoolAlertTest[];
  readonly promql_expr_test?: readonly PromtoolExprTest[];
}

/** A unit-test file (without `rule_files`, which {@link runPromtoolTest} adds) from typed groups. */
export function promtoolTests(tests: readonly PromtoolTestGroup[], evaluationInterval = '1m'): string {
  return stringify({ evaluation_interval: evaluationInterval, tests }, { lineWidth: 0 });
}

/** A rendered alerting rule, as in a PrometheusRule's `spec.groups[].rules[]`. */
export interface RenderedAlertRule {
  readonly alert?: string;
  readonly expr?: unknown;
  readonly labels?: Readonly<Record<string, string>>;
  readonly annotations?: Readonly<Record<string, string>>;
}

/**
 * The expected alert of a firing `rule` in an `alert_rule_test`: the rule's own labels and
 * annotations (promtool compares both exactly), plus the labels the expression keeps.
 */
export function firing(rule: RenderedAlertRule, seriesLabels: Readonly<Record<string, string>> = {}): PromtoolExpectedAlert {
  return { exp_labels: { ...seriesLabels, ...rule.labels }, exp_annotations: { ...rule.annotations } };
}

/** Every alerting rule of rendered PrometheusRule objects, by alert name. */
export function alertRulesOf(objects: readonly unknown[]): Map<string, RenderedAlertRule[]> {
  const byName = new Map<string, RenderedAlertRule[]>();
  for (const o of objects) {
    const spec = (o as { kind?: string; spec?: { groups?: Array<{ rules?: RenderedAlertRule[] }> } });
    if (spec.kind !== 'PrometheusRule') continue;
    for (const group of spec.spec?.groups ?? []) {
      for (const rule of group.rules ?? []) {
        if (rule.alert) byName.set(rule.alert, [...(byName.get(rule.alert) ?? []), rule]);
      }
    }
  }
  return byName;
}
