/**
 * Prometheus metrics of a drift run, in the text exposition format, pushed to
 * a Pushgateway under the grouping key `job/<job>/model/<model>`.
 *
 * A successful run replaces the whole group (HTTP PUT): stale per-feature
 * series of removed features disappear. A failed run only updates
 * `ml_drift_last_run_timestamp_seconds` (HTTP POST replaces just the metrics
 * it names), so `ml_drift_last_success_timestamp_seconds` keeps its old value
 * and an alert on its age fires.
 */
import type { DriftCheckResult } from './check';
import { DriftOutputError, describeError } from './errors';

/** A metric sample: name, labels (in output order) and value. */
interface Sample {
  readonly name: string;
  readonly labels: ReadonlyArray<readonly [string, string]>;
  readonly value: number;
}

/** HELP text of every metric the checker writes. */
export const DRIFT_METRIC_HELP: Readonly<Record<string, string>> = {
  ml_drift_psi: 'Population Stability Index of a feature (current vs reference window).',
  ml_drift_ks_pvalue: 'Two-sample Kolmogorov-Smirnov p-value of a numeric feature.',
  ml_drift_chi2_pvalue: 'Chi-square test p-value of a categorical feature.',
  ml_drift_pvalue_adjusted: 'p-value of a feature\'s test (KS or chi-square) corrected for multiple testing over the features of the check.',
  ml_drift_effect_size: 'Effect size of a feature: KS distance D (numeric) or total variation distance (categories).',
  ml_drift_detected: 'Drift detected (1) or not (0), per feature and overall (no feature label).',
  ml_drift_insufficient_data: 'Too few rows for a verdict (1) or not (0), per feature and overall (no feature label).',
  ml_drift_attribution_ndcg: 'NDCG of the features\' ranking by mean absolute attribution, current against reference.',
  ml_drift_output_errors: 'Outputs (reports, webhook) of the last run that could not be written.',
  ml_model_accuracy: 'Model accuracy over the most recent labelled rows of the current window.',
  ml_model_labelled_samples: 'Labelled rows the accuracy was computed over.',
  ml_drift_last_run_timestamp_seconds: 'Unix time of the last drift check run, successful or not.',
  ml_drift_last_success_timestamp_seconds: 'Unix time of the last drift check run that completed.',
};

function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

function render(samples: readonly Sample[]): string {
  const lines: string[] = [];
  // families in order of first appearance (a Map iterates in insertion order)
  const byName = new Map<string, Sample[]>();
  for (const s of samples) {
    const family = byName.get(s.name);
    if (family === undefined) byName.set(s.name, [s]);
    else family.push(s);
  }
  for (const [name, family] of byName) {
    lines.push(`# HELP ${name} ${DRIFT_METRIC_HELP[name] ?? name}`, `# TYPE ${name} gauge`);
    for (const s of family) {
      const labels = s.labels.map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(',');
      lines.push(`${name}{${labels}} ${formatValue(s.value)}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

/**
 * Metrics of a completed run (families in a fixed order, features in config
 * order). Timestamps are `nowSeconds`.
 */
export function renderDriftMetrics(result: DriftCheckResult, nowSeconds: number, outputErrors = 0): string {
  const model = result.model;
  const m = (name: string, value: number, feature?: string): Sample =>
    ({ name, value, labels: feature === undefined ? [['model', model]] : [['model', model], ['feature', feature]] });
  const samples: Sample[] = [];
  for (const f of result.features) samples.push(m('ml_drift_psi', f.psi.value, f.name));
  for (const f of result.features) if (f.type === 'numeric') samples.push(m('ml_drift_ks_pvalue', f.ks.pvalue, f.name));
  for (const f of result.features) if (f.type === 'categorical') samples.push(m('ml_drift_chi2_pvalue', f.chi2.pvalue, f.name));
  for (const f of result.features) if (f.verdict.adjustedPvalue !== null) samples.push(m('ml_drift_pvalue_adjusted', f.verdict.adjustedPvalue, f.name));
  for (const f of result.features) samples.push(m('ml_drift_effect_size', f.verdict.effect.value, f.name));
  for (const f of result.features) samples.push(m('ml_drift_detected', f.drift ? 1 : 0, f.name));
  samples.push(m('ml_drift_detected', result.driftDetected ? 1 : 0));
  for (const f of result.features) samples.push(m('ml_drift_insufficient_data', f.verdict.status === 'insufficient_data' ? 1 : 0, f.name));
  samples.push(m('ml_drift_insufficient_data', result.insufficientFeatures.length > 0 || result.attribution?.status === 'insufficient_data' ? 1 : 0));
  if (result.attribution !== undefined && result.attribution.ndcg !== null) samples.push(m('ml_drift_attribution_ndcg', result.attribution.ndcg));
  if (result.concept !== undefined) {
    if (result.concept.status !== 'insufficient_labels' && result.concept.value !== null) samples.push(m('ml_model_accuracy', result.concept.value));
    samples.push(m('ml_model_labelled_samples', result.concept.samples));
  }
  samples.push(m('ml_drift_output_errors', outputErrors));
  samples.push(m('ml_drift_last_run_timestamp_seconds', nowSeconds));
  samples.push(m('ml_drift_last_success_timestamp_seconds', nowSeconds));
  return render(samples);
}

/** The only metric of a failed run. */
export function renderFailedRunMetrics(model: string, nowSeconds: number): string {
  return render([{ name: 'ml_drift_last_run_timestamp_seconds', labels: [['model', model]], value: nowSeconds }]);
}

/** `<url>/metrics/job/<job>/model/<model>` */
export function pushgatewayGroupUrl(url: string, job: string, model: string): string {
  return `${url.replace(/\/+$/, '')}/metrics/job/${encodeURIComponent(job)}/model/${encodeURIComponent(model)}`;
}

/**
 * Sends metrics to a Pushgateway group: PUT replaces the group, POST replaces
 * only the metric families in `body`.
 * @throws DriftOutputError when the request fails or is not answered with 2xx
 */
export async function pushMetrics(groupUrl: string, body: string, method: 'PUT' | 'POST', timeoutMs = 15000): Promise<void> {
  let res: Response;
  try {
    res = await fetch(groupUrl, {
      method,
      body,
      headers: { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' },
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (err) {
    const cause = err instanceof Error && err.cause !== undefined ? describeError(err.cause) : describeError(err);
    throw new DriftOutputError(`cannot push metrics to ${groupUrl}: ${cause}`);
  }
  const text = (await res.text()).trim().split('\n')[0];
  if (!res.ok) throw new DriftOutputError(`cannot push metrics to ${groupUrl}: HTTP ${res.status}${text === '' ? '' : ` ${text}`}`);
}
