/**
 * The A/B analysis job: queries Prometheus for each variant's success and
 * total counts over the experiment window, runs the significance test and
 * writes a JSON and Markdown summary (and, optionally, metrics to a
 * Pushgateway). Pure functions plus small I/O helpers, so the job's exact
 * command can run locally against a recorded Prometheus response.
 */
import { isRecord, valueAt } from '../core/json';
import { MultiVariantResult, VariantCounts, multiVariantTest } from '../stats/ab';

/** Configuration of the analysis job (rendered by {@link AbTest} into config.json). */
export interface AbAnalysisConfig {
  /** Experiment id. */
  readonly experimentId: string;
  /** Prometheus base URL. */
  readonly prometheusUrl: string;
  /** Variants, control first, with their PromQL queries (window already filled in). */
  readonly variants: ReadonlyArray<{ readonly name: string; readonly successQuery: string; readonly totalQuery: string }>;
  /** Significance level. */
  readonly alpha: number;
  /** Pushgateway base URL for result metrics. */
  readonly pushgatewayUrl?: string;
}

/** The analysis result: the counts and the multi-variant test of `src/stats`. */
export interface AbAnalysisResult extends MultiVariantResult {
  /** Experiment id. */
  readonly experimentId: string;
  /** Counts per variant, control first. */
  readonly counts: readonly VariantCounts[];
}

/**
 * Runs {@link multiVariantTest} on the counts (omnibus chi-square, then each
 * treatment against control with Yates at the Bonferroni level). A variant
 * without outcomes yet means "continue", not an error.
 */
export function analyse(experimentId: string, counts: readonly VariantCounts[], alpha: number): AbAnalysisResult {
  if (counts.length < 2) {
    throw new Error(`experiment ${experimentId}: needs a control and at least one treatment, got ${counts.length} variant(s)`);
  }
  const empty = counts.filter((c) => c.total === 0).map((c) => c.name);
  if (empty.length > 0) {
    const controlRate = counts[0].total > 0 ? counts[0].successes / counts[0].total : Number.NaN;
    return {
      experimentId, counts, control: counts[0].name, controlRate, statistic: Number.NaN, pvalue: Number.NaN, dof: counts.length - 1, significant: false,
      comparisons: [], recommendation: 'continue', reason: `no outcomes recorded yet for ${empty.join(', ')}`,
    };
  }
  return { experimentId, counts, ...multiVariantTest(counts, { alpha }) };
}

/** Reads the one scalar of a Prometheus instant-query response (an empty vector is 0). */
export function scalarOf(response: unknown, query: string): number {
  const data = valueAt(response, 'data');
  if (valueAt(response, 'status') !== 'success' || !isRecord(data)) {
    const error = valueAt(response, 'error');
    throw new Error(`Prometheus query failed (${typeof error === 'string' ? error : 'no data'}): ${query}`);
  }
  const result: readonly unknown[] = Array.isArray(data.result) ? data.result : [];
  if (data.resultType !== 'vector') {
    throw new Error(`expected a vector from Prometheus, got ${String(data.resultType)}: ${query}`);
  }
  if (result.length === 0) {
    return 0;
  }
  if (result.length > 1) {
    throw new Error(`expected one series from Prometheus, got ${result.length} (wrap the query in sum()): ${query}`);
  }
  const sample = valueAt(result[0], 'value');
  const raw: unknown = Array.isArray(sample) ? sample[1] : undefined;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0) {
    throw new Error(`Prometheus returned ${String(raw)} for ${query}`);
  }
  return Math.round(value);
}

/** Queries Prometheus for every variant's counts. */
export async function fetchCounts(config: AbAnalysisConfig, fetcher: typeof fetch = fetch): Promise<VariantCounts[]> {
  const query = async (q: string) => {
    const url = `${config.prometheusUrl.replace(/\/+$/, '')}/api/v1/query?query=${encodeURIComponent(q)}`;
    const res = await fetcher(url);
    if (!res.ok) {
      throw new Error(`Prometheus answered HTTP ${res.status} for ${q}`);
    }
    return scalarOf(await res.json(), q);
  };
  const out: VariantCounts[] = [];
  for (const v of config.variants) {
    const successes = await query(v.successQuery);
    const total = await query(v.totalQuery);
    if (successes > total) {
      throw new Error(`variant ${v.name}: ${successes} successes exceed ${total} outcomes; check the queries`);
    }
    out.push({ name: v.name, successes, total });
  }
  return out;
}

/** Markdown summary of a result. */
export function renderMarkdown(r: AbAnalysisResult): string {
  const pct = (x: number) => (Number.isFinite(x) ? `${(x * 100).toFixed(2)}%` : 'n/a');
  const lines = [
    `# A/B experiment ${r.experimentId}`,
    '',
    `**Recommendation: ${r.recommendation}** (${r.winner ?? r.control}): ${r.reason}.`,
    '',
    `Omnibus chi-square ${Number.isFinite(r.statistic) ? r.statistic.toPrecision(4) : 'n/a'} (dof ${r.dof}), p = ${Number.isFinite(r.pvalue) ? r.pvalue.toPrecision(4) : 'n/a'}.`,
    '',
    '| variant | successes | total | rate | lift vs control | p-value vs control | significant |',
    '|---|---:|---:|---:|---:|---:|---|',
  ];
  for (const n of r.counts) {
    const c = r.comparisons.find((x) => x.name === n.name);
    const rate = n.total ? n.successes / n.total : Number.NaN;
    lines.push(c
      ? `| ${n.name} | ${n.successes} | ${n.total} | ${pct(rate)} | ${pct(c.relativeLift)} | ${c.pvalue.toPrecision(4)} | ${c.significant ? 'yes' : 'no'} |`
      : `| ${n.name}${n.name === r.control ? ' (control)' : ''} | ${n.successes} | ${n.total} | ${pct(rate)} | - | - | - |`);
  }
  lines.push('');
  return lines.join('\n');
}

/** Prometheus text exposition of a result, for a Pushgateway. */
export function renderMetrics(r: AbAnalysisResult): string {
  const lines = [
    '# TYPE ml_ab_pvalue gauge', '# TYPE ml_ab_relative_lift gauge', '# TYPE ml_ab_samples gauge', '# TYPE ml_ab_recommendation gauge',
  ];
  for (const c of r.comparisons) {
    if (Number.isFinite(c.pvalue)) lines.push(`ml_ab_pvalue{experiment="${r.experimentId}",variant="${c.name}"} ${c.pvalue}`);
    if (Number.isFinite(c.relativeLift)) lines.push(`ml_ab_relative_lift{experiment="${r.experimentId}",variant="${c.name}"} ${c.relativeLift}`);
  }
  for (const n of r.counts) {
    lines.push(`ml_ab_samples{experiment="${r.experimentId}",variant="${n.name}"} ${n.total}`);
  }
  for (const rec of ['continue', 'deploy-treatment', 'keep-control']) {
    lines.push(`ml_ab_recommendation{experiment="${r.experimentId}",recommendation="${rec}"} ${rec === r.recommendation ? 1 : 0}`);
  }
  return `${lines.join('\n')}\n`;
}
