/**
 * The A/B analysis job: queries Prometheus for each variant's success and
 * total counts over the experiment window, runs the significance test and
 * writes a JSON and Markdown summary (and, optionally, metrics to a
 * Pushgateway). Pure functions plus small I/O helpers, so the job's exact
 * command can run locally against a recorded Prometheus response.
 */
import { PrometheusClient } from '../kube/prometheus-client';
import { MultiVariantResult, Recommendation, VariantCounts, multiVariantTest } from '../stats/ab';

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
  /** Deadline of one Prometheus or Pushgateway request, in seconds. @default 30 */
  readonly requestTimeoutSeconds?: number;
}

/** What the analysis recommends: the test's recommendation, or `insufficient_data` when a variant has no series. */
export type AbRecommendation = Recommendation | 'insufficient_data';

/** The analysis result: the counts and the multi-variant test of `src/stats`. */
export interface AbAnalysisResult extends Omit<MultiVariantResult, 'recommendation'> {
  /** Experiment id. */
  readonly experimentId: string;
  /** Counts per variant, control first (0 for a query without series). */
  readonly counts: readonly VariantCounts[];
  /** What to do. */
  readonly recommendation: AbRecommendation;
  /** The queries that returned no series (each `variant: query`). @default - none */
  readonly missingSeries?: readonly string[];
}

/** Every variant's counts, and the queries that returned no series at all. */
export interface FetchedCounts {
  /** Counts per variant, control first (0 where the query had no series). */
  readonly counts: VariantCounts[];
  /** `variant: query` of every query that returned no series. */
  readonly missingSeries: string[];
}

/**
 * Runs {@link multiVariantTest} on the counts (omnibus chi-square, then each
 * treatment against control with Yates at the Bonferroni level). A query
 * without series (a metric that does not exist, or a variant that never
 * served) is `insufficient_data`, never "no difference"; a variant whose
 * series exist but count no outcomes yet means "continue".
 */
export function analyse(experimentId: string, counts: readonly VariantCounts[], alpha: number, missingSeries: readonly string[] = []): AbAnalysisResult {
  if (counts.length < 2) {
    throw new Error(`experiment ${experimentId}: needs a control and at least one treatment, got ${counts.length} variant(s)`);
  }
  const controlRate = counts[0].total > 0 ? counts[0].successes / counts[0].total : Number.NaN;
  const undecided = {
    experimentId, counts, control: counts[0].name, controlRate, statistic: Number.NaN, pvalue: Number.NaN, dof: counts.length - 1, significant: false, comparisons: [],
  };
  if (missingSeries.length > 0) {
    return {
      ...undecided, recommendation: 'insufficient_data', missingSeries: [...missingSeries],
      reason: `Prometheus returned no series for ${missingSeries.join('; ')} (a mistyped metric, or a variant that never served)`,
    };
  }
  const empty = counts.filter((c) => c.total === 0).map((c) => c.name);
  if (empty.length > 0) {
    return { ...undecided, recommendation: 'continue', reason: `no outcomes recorded yet for ${empty.join(', ')}` };
  }
  return { experimentId, counts, ...multiVariantTest(counts, { alpha }) };
}

/** The Prometheus client of the analysis: its URL, a deadline per request, retries within a 10-minute budget. */
export function analysisPrometheus(config: AbAnalysisConfig, fetcher?: typeof fetch): PrometheusClient {
  return new PrometheusClient({
    url: config.prometheusUrl,
    fetch: fetcher,
    retry: { requestTimeoutMs: (config.requestTimeoutSeconds ?? 30) * 1000, budgetMs: 10 * 60 * 1000 },
  });
}

/** Queries Prometheus for every variant's counts; a query without series is listed, not read as 0. */
export async function fetchCounts(config: AbAnalysisConfig, prometheus: PrometheusClient = analysisPrometheus(config)): Promise<FetchedCounts> {
  const missingSeries: string[] = [];
  const count = async (variant: string, q: string): Promise<number> => {
    const r = await prometheus.scalar(q);
    if (r.kind === 'noSeries') {
      missingSeries.push(`${variant}: ${q}`);
      return 0;
    }
    if (r.value < 0) {
      throw new Error(`Prometheus at ${prometheus.url} returned ${r.value} (negative) for ${q}`);
    }
    return Math.round(r.value);
  };
  const counts: VariantCounts[] = [];
  for (const v of config.variants) {
    const missingBefore = missingSeries.length;
    const successes = await count(v.name, v.successQuery);
    const total = await count(v.name, v.totalQuery);
    if (missingSeries.length === missingBefore && successes > total) {
      throw new Error(`variant ${v.name}: ${successes} successes exceed ${total} outcomes; check the queries`);
    }
    counts.push({ name: v.name, successes, total });
  }
  return { counts, missingSeries };
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
  for (const rec of ['continue', 'deploy-treatment', 'keep-control', 'insufficient_data']) {
    lines.push(`ml_ab_recommendation{experiment="${r.experimentId}",recommendation="${rec}"} ${rec === r.recommendation ? 1 : 0}`);
  }
  return `${lines.join('\n')}\n`;
}
