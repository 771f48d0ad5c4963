/**
 * `promtool test rules` cases for alerts the library renders. Every alert name that any example
 * renders must have a case in some `test/**\/*.alert-cases.ts` module exporting
 * `ALERT_CASES: Record<string, AlertCase>`; `test/monitoring/alerts.promtool.test.ts` runs them all
 * against the rules as rendered and fails for an alert without a case.
 *
 * Series are built from the rendered expression itself ({@link matchersOf}), so a case keeps
 * working when names, namespaces or thresholds of the examples change.
 */
import { PromtoolExpectedAlert, RenderedAlertRule } from './promtool';

/** One input series in promtool's expanding notation. */
export interface InputSeries {
  readonly series: string;
  readonly values: string;
}

/** A scenario: series, when to look, and the series labels of each alert expected to fire ([] = none). */
export interface AlertScenario {
  /** Scrape interval of the series. @default '1m' */
  readonly interval?: string;
  readonly input_series: readonly InputSeries[];
  readonly eval_time: string;
  /** Labels the expression keeps, one entry per expected alert. @default [{}] for `fires`, [] for `healthy` */
  readonly firing?: ReadonlyArray<Readonly<Record<string, string>>>;
  /** `$value` at eval time, for annotations using it. @default - none used */
  readonly value?: number;
}

/** How to make one alert fire, stay silent, and what a freshly installed platform exports for it. */
export interface AlertCase {
  /** The condition the alert names: it must fire. */
  readonly fires: (rule: RenderedAlertRule, expr: string) => AlertScenario;
  /** A healthy system: it must stay silent. */
  readonly healthy: (rule: RenderedAlertRule, expr: string) => AlertScenario;
  /**
   * What a freshly installed platform exports for it during its first day at 1-minute scrapes
   * (traffic served, CronJobs created, no check or drill run yet): merged over all alerts, none may fire.
   */
  readonly fresh: (rule: RenderedAlertRule, expr: string) => readonly InputSeries[];
}

/**
 * The label matchers of the first selector of `metric` in `expr`, usable as series labels:
 * `=` as is, `=~"a|b"` as its first alternative; negative matchers are dropped (pick values that
 * do not match them). An empty value (`feature=""`, "label absent") is dropped too.
 */
export function matchersOf(expr: string, metric: string): Record<string, string> {
  const m = new RegExp(`(?:^|[^a-zA-Z0-9_:])${metric.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\{([^}]*)\\}`).exec(expr);
  if (!m) throw new Error(`no selector of ${metric} in ${expr}`);
  const labels: Record<string, string> = {};
  for (const part of m[1].matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)(=~|!~|!=|=)"((?:[^"\\]|\\.)*)"/g)) {
    const [, name, op, value] = part;
    if (op === '=' && value !== '') labels[name] = value;
    if (op === '=~') labels[name] = value.split('|')[0];
  }
  return labels;
}

/** `metric{labels}` in series notation. */
export function seriesOf(metric: string, labels: Readonly<Record<string, string>>): string {
  return `${metric}{${Object.entries(labels).map(([k, v]) => `${k}="${v}"`).join(',')}}`;
}

/** The first number after `op` in `expr` (`> 907200` -> 907200): thresholds as rendered. */
export function thresholdOf(expr: string, op: string): number {
  const m = new RegExp(`${op.replace(/[<>]/g, '\\$&')}\\s*(-?[0-9.e+]+)`).exec(expr);
  if (!m) throw new Error(`no '${op} <number>' in ${expr}`);
  return Number(m[1]);
}

/** Prometheus' `humanizeDuration` template function for whole seconds (template/template.go). */
export function humanizeDuration(seconds: number): string {
  const s = Math.floor(seconds);
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  if (d > 0) return `${d}d ${h}h ${m}m ${sec}s`;
  if (h > 0) return `${h}h ${m}m ${sec}s`;
  if (m > 0) return `${m}m ${sec}s`;
  return `${sec}s`;
}

/** The alert promtool should report: the rule's labels and annotations, templates expanded. */
export function expectedAlert(rule: RenderedAlertRule, labels: Readonly<Record<string, string>>, value?: number): PromtoolExpectedAlert {
  const expand = (text: string) => text
    .replace(/\{\{\s*\$labels\.([a-zA-Z_]+)\s*\}\}/g, (_, l: string) => labels[l] ?? '')
    .replace(/\{\{\s*\$value\s*\|\s*humanizeDuration\s*\}\}/g, () => humanizeDuration(value ?? Number.NaN))
    .replace(/\{\{\s*\$value\s*\}\}/g, () => String(value));
  const annotations = Object.fromEntries(Object.entries(rule.annotations ?? {}).map(([k, v]) => [k, expand(v)]));
  return { exp_labels: { ...labels, ...rule.labels }, exp_annotations: annotations };
}
