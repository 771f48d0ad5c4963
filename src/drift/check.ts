/**
 * The drift checks: per-feature statistics and verdicts, concept drift, and
 * the overall result. Pure computation over {@link DataWindow}s (no I/O).
 *
 * - Numeric features: two-sample KS (`ks2samp`, method 'auto', like SciPy)
 *   and PSI over reference-quantile buckets (`psiNumeric`: outer buckets
 *   open, empty-bucket share floored at 0.0001). A feature drifts when KS
 *   p < ksAlpha or PSI is "significant".
 * - Categorical features: chi-square test on the 2 x K table of category
 *   counts over the union of categories (`categoricalDrift`) and PSI over the
 *   categories (`psiCategorical`). A feature drifts when p < chi2Alpha or PSI
 *   is "significant".
 * - Concept drift (when labels are configured): accuracy over the last
 *   `window` labelled rows of the current window against `baselineAccuracy`;
 *   fewer than `minSamples` labelled rows is "insufficient labels", which is
 *   not a pass.
 */
import { categoricalDrift, ks2samp, psiCategorical, psiNumeric, psiVerdict, quantilesLinear } from '../stats';
import type { KsMethod, PsiVerdict } from '../stats';
import type { PsiThresholds, ResolvedCategoricalFeature, ResolvedDriftCheckConfig, ResolvedDriftLabels, ResolvedNumericFeature } from './config';
import { DriftDataError } from './errors';
import type { CategoricalColumn, DataColumn, DataWindow, LabelOutcomes, NumericColumn } from './readers';

/** Version of the result document's shape. */
export const DRIFT_RESULT_VERSION = 1;

/** Number of equal-width bins of the numeric plot histograms. */
export const NUMERIC_PLOT_BINS = 20;

/** Location and spread of a numeric sample. */
export interface NumericSummary {
  /** Number of values. */
  readonly count: number;
  /** Arithmetic mean. */
  readonly mean: number;
  /** Population standard deviation (ddof = 0, like numpy.std). */
  readonly std: number;
  /** Smallest value. */
  readonly min: number;
  /** Median (numpy linear interpolation). */
  readonly median: number;
  /** Largest value. */
  readonly max: number;
}

/**
 * Counts over shared bins for plotting. `edges` has one more entry than the
 * counts; the first/last bin also holds values below/above the plotted range
 * when `openLow`/`openHigh` is set. `discrete` bins are one integer wide and
 * centred on the integers (edges k - 0.5, k + 0.5).
 */
export interface PlotHistogram {
  /** Bin edges - length bins + 1. */
  readonly edges: number[];
  /** Reference counts per bin. */
  readonly reference: number[];
  /** Current counts per bin. */
  readonly current: number[];
  /** The first bin also counts values below edges[0]. */
  readonly openLow: boolean;
  /** The last bin also counts values above the last edge. */
  readonly openHigh: boolean;
  /** One bin per integer value (integer-valued data with a small range). */
  readonly discrete: boolean;
}

/** PSI of one feature. */
export interface PsiResult {
  /** Population Stability Index. */
  readonly value: number;
  /** none / small / significant by the thresholds. */
  readonly verdict: PsiVerdict;
  /** Thresholds the verdict used. */
  readonly thresholds: PsiThresholds;
}

/** PSI buckets of a numeric feature: reference quantile edges with open outer buckets. */
export interface PsiBuckets {
  /** Unique reference quantiles e0..ek; bucket i is [e_i, e_(i+1)), the first starts at -inf, the last ends at +inf. */
  readonly edges: number[];
  /** Reference counts per bucket. */
  readonly referenceCounts: number[];
  /** Current counts per bucket. */
  readonly currentCounts: number[];
}

/** Result for a numeric feature. */
export interface NumericFeatureResult {
  /** Feature name. */
  readonly name: string;
  /** Feature kind. */
  readonly type: 'numeric';
  /** Drift verdict: KS drift or significant PSI. */
  readonly drift: boolean;
  /** Why the verdict is what it is, one short sentence per test. */
  readonly reasons: string[];
  /** Two-sample Kolmogorov-Smirnov test. */
  readonly ks: {
    readonly statistic: number;
    readonly pvalue: number;
    readonly method: Exclude<KsMethod, 'auto'>;
    readonly alpha: number;
    readonly drift: boolean;
  };
  /** PSI and its verdict. */
  readonly psi: PsiResult & { readonly buckets: PsiBuckets };
  /** Sample summaries. */
  readonly summary: { readonly reference: NumericSummary; readonly current: NumericSummary };
  /** Equal-width histogram over both samples, for plots. */
  readonly histogram: PlotHistogram;
}

/** Count and share of one category. */
export interface CategoryShare {
  /** Category value. */
  readonly category: string;
  /** Rows of the reference window with this value. */
  readonly referenceCount: number;
  /** Rows of the current window with this value. */
  readonly currentCount: number;
  /** referenceCount / reference rows. */
  readonly referenceShare: number;
  /** currentCount / current rows. */
  readonly currentShare: number;
}

/** Result for a categorical feature. */
export interface CategoricalFeatureResult {
  /** Feature name. */
  readonly name: string;
  /** Feature kind. */
  readonly type: 'categorical';
  /** Drift verdict: chi-square drift or significant PSI. */
  readonly drift: boolean;
  /** Why the verdict is what it is, one short sentence per test. */
  readonly reasons: string[];
  /** Chi-square test of the 2 x K table (Yates' correction only when K = 2). */
  readonly chi2: {
    readonly statistic: number;
    readonly pvalue: number;
    readonly dof: number;
    readonly yatesApplied: boolean;
    readonly alpha: number;
    readonly drift: boolean;
  };
  /** PSI over categories and its verdict. */
  readonly psi: PsiResult;
  /** Categories in the current window that the reference never had. */
  readonly newCategories: string[];
  /** Categories of the reference that the current window lacks. */
  readonly missingCategories: string[];
  /** Every category of either window, sorted. */
  readonly categories: CategoryShare[];
}

/** Result for one feature. */
export type FeatureResult = NumericFeatureResult | CategoricalFeatureResult;

/** Concept drift outcome. */
export type ConceptStatus = 'ok' | 'degraded' | 'insufficient_labels';

/** Concept drift (model performance) result. */
export interface ConceptResult {
  /** ok, degraded (drop > maxDrop) or insufficient_labels (< minSamples labelled rows). */
  readonly status: ConceptStatus;
  /** Metric name. */
  readonly metric: 'accuracy';
  /** Accuracy over the last `samples` labelled rows; null when there are none. */
  readonly value: number | null;
  /** Configured baseline. */
  readonly baseline: number;
  /** baseline - value; null when value is null. */
  readonly drop: number | null;
  /** Configured maximum drop. */
  readonly maxDrop: number;
  /** Labelled rows the accuracy is computed over (at most `window`). */
  readonly samples: number;
  /** Labelled rows in the whole current window. */
  readonly labelled: number;
  /** Configured window. */
  readonly window: number;
  /** Configured minimum. */
  readonly minSamples: number;
  /** One sentence explaining the status. */
  readonly reason: string;
}

/** Overall status of a run. */
export type DriftStatus = 'pass' | 'drift' | 'insufficient_labels';

/** A window's identity in the result. */
export interface WindowInfo {
  /** Source URI as configured. */
  readonly uri: string;
  /** Format used. */
  readonly format: string;
  /** Data rows. */
  readonly rows: number;
}

/** The drift checker's result document (written as the JSON report). */
export interface DriftCheckResult {
  /** Shape version of this document. */
  readonly version: number;
  /** Model name. */
  readonly model: string;
  /** Run time (ISO 8601, UTC). */
  readonly generatedAt: string;
  /** pass, drift (data or concept drift) or insufficient_labels. */
  readonly status: DriftStatus;
  /** True when any feature drifted or accuracy degraded. */
  readonly driftDetected: boolean;
  /** True only when nothing drifted and concept drift (if configured) could be evaluated. */
  readonly passed: boolean;
  /** Names of drifted features, in config order. */
  readonly driftedFeatures: string[];
  /** Reference window. */
  readonly reference: WindowInfo;
  /** Current window. */
  readonly current: WindowInfo;
  /** Per-feature results, in config order. */
  readonly features: FeatureResult[];
  /** Concept drift; absent when labels are not configured. */
  readonly concept?: ConceptResult;
}

// ---------------------------------------------------------------------------

function fmtP(p: number): string {
  if (Number.isNaN(p)) return 'NaN';
  if (p === 0) return '0';
  return p < 1e-3 ? p.toExponential(2) : p.toPrecision(3);
}

function fmtPsi(v: number): string {
  return v.toFixed(4);
}

function sortedCopy(x: Float64Array): Float64Array {
  return Float64Array.from(x).sort();
}

/** Summary statistics of a sorted sample (mean by a compensated sum). */
export function summarizeSorted(sorted: Float64Array): NumericSummary {
  const n = sorted.length;
  let sum = 0;
  let comp = 0;
  for (let i = 0; i < n; i++) {
    const y = sorted[i] - comp;
    const t = sum + y;
    comp = (t - sum) - y;
    sum = t;
  }
  const mean = sum / n;
  let ss = 0;
  for (let i = 0; i < n; i++) {
    const d = sorted[i] - mean;
    ss += d * d;
  }
  return { count: n, mean, std: Math.sqrt(ss / n), min: sorted[0], median: quantilesLinear(sorted, [0.5])[0], max: sorted[n - 1] };
}

/** Integer-valued data spanning at most this many values gets one bin per integer. */
export const MAX_DISCRETE_PLOT_BINS = 40;

function allIntegers(s: Float64Array): boolean {
  for (let i = 0; i < s.length; i++) if (!Number.isInteger(s[i])) return false;
  return true;
}

/**
 * Histogram of both samples over shared bins, for plots. Integer-valued data
 * spanning at most {@link MAX_DISCRETE_PLOT_BINS} values gets one bin per
 * integer. Otherwise `bins` equal-width bins over [q0.1%, q99.9%] of the
 * pooled quantiles (so a few outliers do not squash the plot); values outside
 * go to the first/last bin, which are then marked open. Falls back to
 * [min, max] when that range is empty, and to one bin for constant data.
 */
export function plotHistogram(refSorted: Float64Array, curSorted: Float64Array, bins = NUMERIC_PLOT_BINS): PlotHistogram {
  const min = Math.min(refSorted[0], curSorted[0]);
  const max = Math.max(refSorted[refSorted.length - 1], curSorted[curSorted.length - 1]);
  if (max - min < MAX_DISCRETE_PLOT_BINS && allIntegers(refSorted) && allIntegers(curSorted)) {
    const k = max - min + 1;
    const count = (s: Float64Array): number[] => {
      const out = new Array<number>(k).fill(0);
      for (let i = 0; i < s.length; i++) out[s[i] - min]++;
      return out;
    };
    const edges = Array.from({ length: k + 1 }, (_, i) => min - 0.5 + i);
    return { edges, reference: count(refSorted), current: count(curSorted), openLow: false, openHigh: false, discrete: true };
  }
  const [r0, r1] = quantilesLinear(refSorted, [0.001, 0.999]);
  const [c0, c1] = quantilesLinear(curSorted, [0.001, 0.999]);
  let lo = Math.min(r0, c0);
  let hi = Math.max(r1, c1);
  if (!(hi > lo)) {
    lo = min;
    hi = max;
  }
  if (!(hi > lo)) {
    return { edges: [lo, hi], reference: [refSorted.length], current: [curSorted.length], openLow: false, openHigh: false, discrete: false };
  }
  const width = (hi - lo) / bins;
  const edges = Array.from({ length: bins + 1 }, (_, i) => (i === bins ? hi : lo + i * width));
  const count = (s: Float64Array): number[] => {
    const out = new Array<number>(bins).fill(0);
    for (let i = 0; i < s.length; i++) {
      let b = Math.floor((s[i] - lo) / width);
      if (b < 0) b = 0;
      else if (b >= bins) b = bins - 1;
      out[b]++;
    }
    return out;
  };
  return { edges, reference: count(refSorted), current: count(curSorted), openLow: min < lo, openHigh: max > hi, discrete: false };
}

function numericColumn(w: DataWindow, name: string): NumericColumn {
  const c: DataColumn | undefined = w.columns.get(name);
  if (c === undefined || c.type !== 'numeric') throw new DriftDataError(`internal: numeric column '${name}' was not read from ${w.role} data`);
  return c;
}

function categoricalColumn(w: DataWindow, name: string): CategoricalColumn {
  const c: DataColumn | undefined = w.columns.get(name);
  if (c === undefined || c.type !== 'categorical') throw new DriftDataError(`internal: categorical column '${name}' was not read from ${w.role} data`);
  return c;
}

/** Checks one numeric feature. */
export function checkNumericFeature(feature: ResolvedNumericFeature, reference: Float64Array, current: Float64Array): NumericFeatureResult {
  const ks = ks2samp(reference, current, { method: 'auto' });
  const psi = psiNumeric(reference, current, { buckets: feature.psiBuckets });
  const verdict = psiVerdict(psi.psi, feature.psiThresholds);
  const ksDrift = ks.pvalue < feature.ksAlpha;
  const refSorted = sortedCopy(reference);
  const curSorted = sortedCopy(current);
  const reasons = [
    ksDrift
      ? `KS p-value ${fmtP(ks.pvalue)} < alpha ${feature.ksAlpha} (D = ${ks.statistic.toPrecision(3)})`
      : `KS p-value ${fmtP(ks.pvalue)} >= alpha ${feature.ksAlpha} (D = ${ks.statistic.toPrecision(3)})`,
    psiReason(psi.psi, verdict, feature.psiThresholds),
  ];
  return {
    name: feature.name,
    type: 'numeric',
    drift: ksDrift || verdict === 'significant',
    reasons,
    ks: { statistic: ks.statistic, pvalue: ks.pvalue, method: ks.method, alpha: feature.ksAlpha, drift: ksDrift },
    psi: {
      value: psi.psi,
      verdict,
      thresholds: feature.psiThresholds,
      buckets: { edges: psi.edges, referenceCounts: psi.counts.expected, currentCounts: psi.counts.actual },
    },
    summary: { reference: summarizeSorted(refSorted), current: summarizeSorted(curSorted) },
    histogram: plotHistogram(refSorted, curSorted),
  };
}

function psiReason(value: number, verdict: PsiVerdict, t: PsiThresholds): string {
  if (verdict === 'significant') return `PSI ${fmtPsi(value)} >= ${t.significant} (significant shift)`;
  if (verdict === 'small') return `PSI ${fmtPsi(value)} in [${t.small}, ${t.significant}) (small shift, no alert)`;
  return `PSI ${fmtPsi(value)} < ${t.small} (no shift)`;
}

function countCategories(col: CategoricalColumn): Map<string, number> {
  const counts = new Uint32Array(col.categories.length);
  for (let i = 0; i < col.codes.length; i++) counts[col.codes[i]]++;
  const out = new Map<string, number>();
  col.categories.forEach((c, i) => out.set(c, counts[i]));
  return out;
}

/** Checks one categorical feature from category counts. */
export function checkCategoricalFeature(
  feature: ResolvedCategoricalFeature,
  reference: ReadonlyMap<string, number>,
  current: ReadonlyMap<string, number>,
): CategoricalFeatureResult {
  const chi = categoricalDrift(reference, current);
  const psi = psiCategorical(reference, current);
  const verdict = psiVerdict(psi.psi, feature.psiThresholds);
  const chiDrift = chi.pvalue < feature.chi2Alpha;
  const refTotal = psi.counts.expected.reduce((s, v) => s + v, 0);
  const curTotal = psi.counts.actual.reduce((s, v) => s + v, 0);
  const categories = psi.categories.map((category, i): CategoryShare => ({
    category,
    referenceCount: psi.counts.expected[i],
    currentCount: psi.counts.actual[i],
    referenceShare: psi.counts.expected[i] / refTotal,
    currentShare: psi.counts.actual[i] / curTotal,
  }));
  const stat = `chi2 = ${chi.statistic.toPrecision(4)}, dof ${chi.dof}`;
  return {
    name: feature.name,
    type: 'categorical',
    drift: chiDrift || verdict === 'significant',
    reasons: [
      chiDrift
        ? `chi-square p-value ${fmtP(chi.pvalue)} < alpha ${feature.chi2Alpha} (${stat})`
        : `chi-square p-value ${fmtP(chi.pvalue)} >= alpha ${feature.chi2Alpha} (${stat})`,
      psiReason(psi.psi, verdict, feature.psiThresholds),
    ],
    chi2: { statistic: chi.statistic, pvalue: chi.pvalue, dof: chi.dof, yatesApplied: chi.yatesApplied, alpha: feature.chi2Alpha, drift: chiDrift },
    psi: { value: psi.psi, verdict, thresholds: feature.psiThresholds },
    newCategories: categories.filter((c) => c.referenceCount === 0).map((c) => c.category),
    missingCategories: categories.filter((c) => c.currentCount === 0).map((c) => c.category),
    categories,
  };
}

/** Tolerance for comparing an accuracy drop with maxDrop (0.90 - 0.85 is 0.05000000000000004 in doubles). */
const DROP_EPSILON = 1e-9;

/** Evaluates concept drift from the label outcomes of the current window. */
export function checkConcept(labels: ResolvedDriftLabels, outcomes: LabelOutcomes): ConceptResult {
  const samples = outcomes.recent.length;
  let correct = 0;
  for (let i = 0; i < samples; i++) correct += outcomes.recent[i];
  const value = samples === 0 ? null : correct / samples;
  const drop = value === null ? null : labels.baselineAccuracy - value;
  const base = {
    metric: labels.metric,
    value,
    baseline: labels.baselineAccuracy,
    drop,
    maxDrop: labels.maxDrop,
    samples,
    labelled: outcomes.labelled,
    window: labels.window,
    minSamples: labels.minSamples,
  };
  const pct = (x: number): string => `${(x * 100).toFixed(2)}%`;
  // value and drop are null only without samples, and minSamples >= 1
  if (samples < labels.minSamples || value === null || drop === null) {
    return { status: 'insufficient_labels', ...base, reason: `only ${samples} labelled rows, at least ${labels.minSamples} are needed to evaluate accuracy` };
  }
  if (drop > labels.maxDrop + DROP_EPSILON) {
    return {
      status: 'degraded',
      ...base,
      reason: `accuracy ${pct(value)} over the last ${samples} labelled rows is ${pct(drop)} below the baseline ${pct(labels.baselineAccuracy)} (max drop ${pct(labels.maxDrop)})`,
    };
  }
  return {
    status: 'ok',
    ...base,
    reason: `accuracy ${pct(value)} over the last ${samples} labelled rows; baseline ${pct(labels.baselineAccuracy)}, max drop ${pct(labels.maxDrop)}`,
  };
}

/**
 * Runs every configured check on two windows read with the config's columns.
 * @param now run time, recorded in the result
 */
export function computeDrift(config: ResolvedDriftCheckConfig, reference: DataWindow, current: DataWindow, now: Date): DriftCheckResult {
  const features: FeatureResult[] = config.features.map((f) => (f.type === 'numeric'
    ? checkNumericFeature(f, numericColumn(reference, f.name).values, numericColumn(current, f.name).values)
    : checkCategoricalFeature(f, countCategories(categoricalColumn(reference, f.name)), countCategories(categoricalColumn(current, f.name)))));
  let concept: ConceptResult | undefined;
  if (config.labels !== undefined) {
    if (current.labels === undefined) throw new DriftDataError('internal: labels were not read from current data');
    concept = checkConcept(config.labels, current.labels);
  }
  const driftedFeatures = features.filter((f) => f.drift).map((f) => f.name);
  const driftDetected = driftedFeatures.length > 0 || concept?.status === 'degraded';
  const insufficient = concept?.status === 'insufficient_labels';
  const status: DriftStatus = driftDetected ? 'drift' : insufficient ? 'insufficient_labels' : 'pass';
  return {
    version: DRIFT_RESULT_VERSION,
    model: config.model,
    generatedAt: now.toISOString(),
    status,
    driftDetected,
    passed: !driftDetected && !insufficient,
    driftedFeatures,
    reference: { uri: reference.uri, format: reference.format, rows: reference.rows },
    current: { uri: current.uri, format: current.format, rows: current.rows },
    features,
    ...(concept === undefined ? {} : { concept }),
  };
}
