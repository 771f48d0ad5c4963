/**
 * The drift checks: per-feature statistics and verdicts, concept drift,
 * feature-attribution drift and the overall result. Pure computation over
 * {@link DataWindow}s (no I/O). How a verdict is reached: `verdict.ts`.
 *
 * - Numeric features: two-sample KS (`ks2samp`, method 'auto', like SciPy)
 *   and PSI over reference-quantile buckets in which every point mass has a
 *   bucket of its own (`psiNumericPointMasses`; fewer buckets for small
 *   windows, at least 5 expected rows each). Effect size: the KS distance D.
 *   A numeric feature with at most `discreteMaxValues` distinct values is
 *   compared as categories instead (chi-square and PSI per value; KS is still
 *   reported).
 * - Categorical features: chi-square test on the 2 x K table of category
 *   counts (`categoricalDrift`) and PSI over the categories. Effect size: the
 *   total variation distance.
 * - The p-values of all features with enough data are corrected together
 *   (Holm or Benjamini-Hochberg); both raw and adjusted values are reported.
 * - Concept drift (when labels are configured): accuracy over the last
 *   `window` labelled rows against `baselineAccuracy`; fewer than
 *   `minSamples` labelled rows is "insufficient labels", which is not a pass.
 * - Attribution drift (when configured): NDCG of the features' ranking by mean
 *   absolute attribution, current against reference (`attribution.ts`).
 */
import { adjustPValues, categoricalDrift, ks2sampSorted, psiCategorical, psiNumericPointMassesSorted, psiVerdict, quantilesLinear, sortedSample, sortedSampleInPlace } from '../stats';
import type { KsMethod, PValueCorrection, PsiBucket, PsiVerdict } from '../stats';
import type { AttributionResult } from './attribution';
import { checkAttribution } from './attribution';
import type { PsiThresholds, ResolvedCategoricalFeature, ResolvedDriftCheckConfig, ResolvedDriftLabels, ResolvedNumericFeature } from './config';
import { DRIFT_DEFAULTS } from './config';
import { DriftDataError } from './errors';
import type { CategoricalColumn, DataColumn, DataWindow, LabelOutcomes, NumericColumn } from './readers';
import type { FeatureVerdict, VerdictInput } from './verdict';
import { decideFeature, psiBucketCount, sampleSizeCheck, totalVariation, verdictReasons } from './verdict';

/** Version of the result document's shape (2: verdicts with corrected p-values, insufficient_data, attribution). */
export const DRIFT_RESULT_VERSION = 2;

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
  /** Every bucket expects at least 5 rows in both windows (otherwise PSI does not count as an effect). */
  readonly reliable: boolean;
}

/** PSI buckets of a numeric feature. */
export interface PsiBuckets {
  /** 'quantiles': reference quantiles; 'point-masses': point masses in their own buckets; 'categories': one bucket per value. */
  readonly method: 'quantiles' | 'point-masses' | 'categories';
  /** Buckets asked for (psiBuckets). */
  readonly requested: number;
  /** Human-readable bucket per count, e.g. "< 3.5", "[3.5, 7)", "= 0". */
  readonly labels: string[];
  /** Quantile edges when method is 'quantiles' (bucket i is [e_i, e_(i+1)), outer buckets open). */
  readonly edges?: number[];
  /** Reference counts per bucket. */
  readonly referenceCounts: number[];
  /** Current counts per bucket. */
  readonly currentCounts: number[];
}

/** Chi-square test of a 2 x K table. */
export interface Chi2Result {
  readonly statistic: number;
  /** Raw p-value. */
  readonly pvalue: number;
  readonly dof: number;
  readonly yatesApplied: boolean;
  readonly alpha: number;
  /** Raw p-value < alpha (before correction and effect floor; the verdict is in `verdict`). */
  readonly drift: boolean;
}

/** Result for a numeric feature. */
export interface NumericFeatureResult {
  /** Feature name. */
  readonly name: string;
  /** Feature kind. */
  readonly type: 'numeric';
  /** 'distribution' (KS) or 'categories' (at most discreteMaxValues distinct values: chi-square). */
  readonly comparedAs: 'distribution' | 'categories';
  /** verdict.status === 'drift'. */
  readonly drift: boolean;
  /** How the verdict was reached. */
  readonly verdict: FeatureVerdict;
  /** Why the verdict is what it is, one short sentence each. */
  readonly reasons: string[];
  /** Two-sample Kolmogorov-Smirnov test (raw p-value; `drift` is raw p < alpha). */
  readonly ks: {
    readonly statistic: number;
    readonly pvalue: number;
    readonly method: Exclude<KsMethod, 'auto'>;
    readonly alpha: number;
    readonly drift: boolean;
  };
  /** Chi-square test over the values, when compared as categories. */
  readonly chi2?: Chi2Result;
  /** Shares per value, when compared as categories. */
  readonly categories?: CategoryShare[];
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
  /** verdict.status === 'drift'. */
  readonly drift: boolean;
  /** How the verdict was reached. */
  readonly verdict: FeatureVerdict;
  /** Why the verdict is what it is, one short sentence each. */
  readonly reasons: string[];
  /** Chi-square test of the 2 x K table (Yates' correction only when K = 2). */
  readonly chi2: Chi2Result;
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
export type DriftStatus = 'pass' | 'drift' | 'insufficient_data' | 'insufficient_labels';

/** A window's identity in the result. */
export interface WindowInfo {
  /** Source URI as configured. */
  readonly uri: string;
  /** Format used. */
  readonly format: string;
  /** Data rows. */
  readonly rows: number;
}

/** The check-level data-drift rule and its outcome. */
export interface CheckVerdict {
  /** Multiple-testing correction over the features. */
  readonly correction: PValueCorrection;
  /** Configured share of evaluated features that must drift; null = any one. */
  readonly minDriftedShare: number | null;
  /** Features with enough data (the corrected family). */
  readonly evaluatedFeatures: number;
  /** Drifted features needed for data drift: max(1, ceil(minDriftedShare x evaluatedFeatures)). */
  readonly driftedFeaturesNeeded: number;
  /** Data drift at check level. */
  readonly dataDrift: boolean;
  /** The rule in words. */
  readonly rule: string;
}

/** The drift checker's result document (written as the JSON report). */
export interface DriftCheckResult {
  /** Shape version of this document. */
  readonly version: number;
  /** Model name. */
  readonly model: string;
  /** Run time (ISO 8601, UTC). */
  readonly generatedAt: string;
  /** drift > insufficient_data > insufficient_labels > pass (the first that applies). */
  readonly status: DriftStatus;
  /** Data drift by the check-level rule, an accuracy drop, or attribution drift. */
  readonly driftDetected: boolean;
  /** status === 'pass'. */
  readonly passed: boolean;
  /** Names of the features whose verdict is drift, in config order. */
  readonly driftedFeatures: string[];
  /** Names of the features without enough data, in config order. */
  readonly insufficientFeatures: string[];
  /** The check-level rule. */
  readonly verdict: CheckVerdict;
  /** Reference window. */
  readonly reference: WindowInfo;
  /** Current window. */
  readonly current: WindowInfo;
  /** Per-feature results, in config order. */
  readonly features: FeatureResult[];
  /** Concept drift; absent when labels are not configured. */
  readonly concept?: ConceptResult;
  /** Feature-attribution drift; absent when not configured. */
  readonly attribution?: AttributionResult;
}

// ---------------------------------------------------------------------------

function fmtPsi(v: number): string {
  return v.toFixed(4);
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

/** Context of one feature's check: the correction family and the power the sample sizes are derived for. */
export interface FeatureCheckOptions {
  /** Multiple-testing correction. @default 'holm' */
  readonly correction?: PValueCorrection;
  /** Power of the minimum sample size. @default 0.8 */
  readonly power?: number;
}

/** A feature's statistics before the p-values of the check are corrected together. */
export interface Draft<T extends FeatureResult> {
  readonly result: T;
  readonly input: VerdictInput;
}

/** The PSI sentence of a feature's reasons (also used by the Athena engine). */
export function psiReason(value: number, verdict: PsiVerdict, t: PsiThresholds, reliable: boolean): string {
  const caveat = reliable ? '' : '; fewer than 5 expected rows in some bucket, so PSI does not count as an effect';
  if (verdict === 'significant') return `PSI ${fmtPsi(value)} >= ${t.significant} (significant shift${caveat})`;
  if (verdict === 'small') return `PSI ${fmtPsi(value)} in [${t.small}, ${t.significant}) (small shift, no alert${caveat})`;
  return `PSI ${fmtPsi(value)} < ${t.small} (no shift${caveat})`;
}

function fmtEdge(v: number): string {
  return String(Number(v.toPrecision(6)));
}

/** Human-readable label of a PSI bucket: "< 3.5", "[3.5, 7)", "= 0" (also used by the Athena engine). */
export function bucketLabel(b: PsiBucket): string {
  if (b.kind === 'point') return `= ${fmtEdge(b.low ?? 0)}`;
  if (b.low === null && b.high === null) return 'any other value';
  if (b.low === null) return `< ${fmtEdge(b.high ?? 0)}`;
  if (b.high === null) return `>= ${fmtEdge(b.low)}`;
  return `[${fmtEdge(b.low)}, ${fmtEdge(b.high)})`;
}

/** Category shares and the categorical PSI's 5-expected-rows condition. */
function categoryShares(psi: { categories: string[]; counts: { expected: number[]; actual: number[] } }): { categories: CategoryShare[]; reliable: boolean; tv: number } {
  const refTotal = psi.counts.expected.reduce((s, v) => s + v, 0);
  const curTotal = psi.counts.actual.reduce((s, v) => s + v, 0);
  const categories = psi.categories.map((category, i): CategoryShare => ({
    category,
    referenceCount: psi.counts.expected[i],
    currentCount: psi.counts.actual[i],
    referenceShare: psi.counts.expected[i] / refTotal,
    currentShare: psi.counts.actual[i] / curTotal,
  }));
  const reliable = categories.every((c) => c.referenceCount === 0 || (c.referenceCount >= 5 && c.referenceShare * curTotal >= 5));
  const tv = totalVariation(categories.map((c) => c.referenceShare), categories.map((c) => c.currentShare));
  return { categories, reliable, tv };
}

function chi2Of(reference: ReadonlyMap<string, number>, current: ReadonlyMap<string, number>, alpha: number): Chi2Result {
  const chi = categoricalDrift(reference, current);
  return { statistic: chi.statistic, pvalue: chi.pvalue, dof: chi.dof, yatesApplied: chi.yatesApplied, alpha, drift: chi.pvalue < alpha };
}

function valueCounts(sorted: Float64Array): Map<string, number> {
  const out = new Map<string, number>();
  for (let i = 0; i < sorted.length; i++) {
    const key = String(sorted[i] === 0 ? 0 : sorted[i]);
    out.set(key, (out.get(key) ?? 0) + 1);
  }
  return out;
}

/** Whether two sorted samples hold at most `limit` distinct values together (-0 = 0), by one merge pass. */
function distinctAtMost(a: Float64Array, b: Float64Array, limit: number): boolean {
  if (limit <= 0) return false;
  let i = 0;
  let j = 0;
  let distinct = 0;
  while (i < a.length || j < b.length) {
    const v = j >= b.length || (i < a.length && a[i] <= b[j]) ? a[i] : b[j];
    if (++distinct > limit) return false;
    while (i < a.length && a[i] === v) i++;
    while (j < b.length && b[j] === v) j++;
  }
  return true;
}

/**
 * The statistics of a numeric feature before the check's correction. With
 * `owned`, the caller hands the arrays over: they are sorted in place (no
 * sorted copies; peak memory: both windows plus the radix sort's scratch of
 * 1/8 of the larger one, at least 1 MiB: 1.0625 times two equal windows of 1M
 * rows or more) and must not be used afterwards.
 */
export function draftNumeric(feature: ResolvedNumericFeature, reference: Float64Array, current: Float64Array, power: number, owned = false): Draft<NumericFeatureResult> {
  // each window is sorted once (radix sort) and shared by KS, PSI, the summaries and the histogram
  const sort = owned ? sortedSampleInPlace : sortedSample;
  const refSorted = sort(reference, 'ks2samp: first sample');
  const curSorted = sort(current, 'ks2samp: second sample');
  const ks = ks2sampSorted(refSorted, curSorted, { method: 'auto' });
  const asCategories = distinctAtMost(refSorted, curSorted, feature.discreteMaxValues);
  const head = { name: feature.name, type: 'numeric' as const };
  const ksResult = { statistic: ks.statistic, pvalue: ks.pvalue, method: ks.method, alpha: feature.ksAlpha, drift: ks.pvalue < feature.ksAlpha };
  const tail = { summary: { reference: summarizeSorted(refSorted), current: summarizeSorted(curSorted) }, histogram: plotHistogram(refSorted, curSorted) };
  if (asCategories) {
    const refCounts = valueCounts(refSorted);
    const curCounts = valueCounts(curSorted);
    const chi2 = chi2Of(refCounts, curCounts, feature.ksAlpha);
    const psi = psiCategorical(refCounts, curCounts);
    const shares = categoryShares(psi);
    const verdict = psiVerdict(psi.psi, feature.psiThresholds);
    const result: NumericFeatureResult = {
      ...head,
      comparedAs: 'categories',
      drift: false,
      verdict: placeholderVerdict(),
      reasons: [],
      ks: ksResult,
      chi2,
      categories: shares.categories,
      psi: {
        value: psi.psi, verdict, thresholds: feature.psiThresholds, reliable: shares.reliable,
        buckets: { method: 'categories', requested: feature.psiBuckets, labels: psi.categories.map((c) => `= ${c}`), referenceCounts: psi.counts.expected, currentCounts: psi.counts.actual },
      },
      ...tail,
    };
    return {
      result,
      input: {
        test: 'chi2', pvalue: chi2.pvalue, alpha: feature.ksAlpha,
        effect: { measure: 'total_variation', value: shares.tv, floor: feature.minEffect, psiSignificant: shares.reliable && verdict === 'significant' },
        sampleSize: sampleSizeCheck('chi2', refSorted.length, curSorted.length, feature.minEffect, feature.ksAlpha, power),
      },
    };
  }
  const k = psiBucketCount(feature.psiBuckets, refSorted.length, curSorted.length);
  const psi = psiNumericPointMassesSorted(refSorted, curSorted, { buckets: Math.max(2, k) });
  const verdict = psiVerdict(psi.psi, feature.psiThresholds);
  const size = sampleSizeCheck('ks', refSorted.length, curSorted.length, feature.minEffect, feature.ksAlpha, power);
  const result: NumericFeatureResult = {
    ...head,
    comparedAs: 'distribution',
    drift: false,
    verdict: placeholderVerdict(),
    reasons: [],
    ks: ksResult,
    psi: {
      value: psi.psi, verdict, thresholds: feature.psiThresholds, reliable: k >= 2,
      buckets: {
        method: psi.method, requested: feature.psiBuckets, labels: psi.buckets.map(bucketLabel),
        ...(psi.edges === undefined ? {} : { edges: psi.edges }),
        referenceCounts: psi.counts.expected, currentCounts: psi.counts.actual,
      },
    },
    ...tail,
  };
  return {
    result,
    input: {
      test: 'ks', pvalue: ks.pvalue, alpha: feature.ksAlpha,
      effect: { measure: 'ks_statistic', value: ks.statistic, floor: feature.minEffect, psiSignificant: k >= 2 && verdict === 'significant' },
      sampleSize: k >= 2 ? size : { ...size, sufficient: false },
    },
  };
}

export function draftCategorical(
  feature: ResolvedCategoricalFeature, reference: ReadonlyMap<string, number>, current: ReadonlyMap<string, number>, power: number,
): Draft<CategoricalFeatureResult> {
  const chi2 = chi2Of(reference, current, feature.chi2Alpha);
  const psi = psiCategorical(reference, current);
  const verdict = psiVerdict(psi.psi, feature.psiThresholds);
  const shares = categoryShares(psi);
  const refTotal = psi.counts.expected.reduce((s, v) => s + v, 0);
  const curTotal = psi.counts.actual.reduce((s, v) => s + v, 0);
  const result: CategoricalFeatureResult = {
    name: feature.name,
    type: 'categorical',
    drift: false,
    verdict: placeholderVerdict(),
    reasons: [],
    chi2,
    psi: { value: psi.psi, verdict, thresholds: feature.psiThresholds, reliable: shares.reliable },
    newCategories: shares.categories.filter((c) => c.referenceCount === 0).map((c) => c.category),
    missingCategories: shares.categories.filter((c) => c.currentCount === 0).map((c) => c.category),
    categories: shares.categories,
  };
  return {
    result,
    input: {
      test: 'chi2', pvalue: chi2.pvalue, alpha: feature.chi2Alpha,
      effect: { measure: 'total_variation', value: shares.tv, floor: feature.minEffect, psiSignificant: shares.reliable && verdict === 'significant' },
      sampleSize: sampleSizeCheck('chi2', refTotal, curTotal, feature.minEffect, feature.chi2Alpha, power),
    },
  };
}

/** Stands in until the check's p-values are corrected together ({@link finish}). */
function placeholderVerdict(): FeatureVerdict {
  const size = { referenceRows: 0, currentRows: 0, effectiveRows: 0, requiredEffectiveRows: 0, requiredRowsPerWindow: 0, sufficient: false };
  return decideFeature({ test: 'ks', pvalue: 1, alpha: 0, effect: { measure: 'ks_statistic', value: 0, floor: 1, psiSignificant: false }, sampleSize: size }, null, 'holm', 0);
}

function finish<T extends FeatureResult>(d: Draft<T>, adjusted: number | null, correction: PValueCorrection, familySize: number, power: number): T {
  const verdict = decideFeature(d.input, adjusted, correction, familySize);
  const psiText = psiReason(d.result.psi.value, d.result.psi.verdict, d.result.psi.thresholds, d.result.psi.reliable);
  return { ...d.result, drift: verdict.status === 'drift', verdict, reasons: [...verdictReasons(verdict, power), psiText] };
}

/** Corrects the p-values of the features with enough data together and decides every feature. */
function decideAll(drafts: ReadonlyArray<Draft<FeatureResult>>, correction: PValueCorrection, power: number): FeatureResult[] {
  const family = drafts.map((d, i) => ({ d, i })).filter(({ d }) => d.input.sampleSize.sufficient);
  // a NaN p-value (SciPy's degenerate asymptotic KS case) carries no evidence
  const adjusted = adjustPValues(family.map(({ d }) => (Number.isNaN(d.input.pvalue) ? 1 : d.input.pvalue)), correction);
  const byIndex = new Map(family.map(({ i }, j) => [i, adjusted[j]]));
  return drafts.map((d, i) => finish(d, byIndex.get(i) ?? null, correction, family.length, power));
}

/**
 * Checks one numeric feature on its own (a family of one test: the adjusted
 * p-value equals the raw one). {@link computeDrift} corrects over all features.
 */
export function checkNumericFeature(
  feature: ResolvedNumericFeature, reference: Float64Array, current: Float64Array, options: FeatureCheckOptions = {},
): NumericFeatureResult {
  const power = options.power ?? DRIFT_DEFAULTS.power;
  const d = draftNumeric(feature, reference, current, power);
  return finish(d, d.input.sampleSize.sufficient ? d.input.pvalue : null, options.correction ?? DRIFT_DEFAULTS.correction, 1, power);
}

function countCategories(col: CategoricalColumn): Map<string, number> {
  const counts = new Uint32Array(col.categories.length);
  for (let i = 0; i < col.codes.length; i++) counts[col.codes[i]]++;
  const out = new Map<string, number>();
  col.categories.forEach((c, i) => out.set(c, counts[i]));
  return out;
}

/** Checks one categorical feature from category counts, on its own (see {@link checkNumericFeature}). */
export function checkCategoricalFeature(
  feature: ResolvedCategoricalFeature,
  reference: ReadonlyMap<string, number>,
  current: ReadonlyMap<string, number>,
  options: FeatureCheckOptions = {},
): CategoricalFeatureResult {
  const power = options.power ?? DRIFT_DEFAULTS.power;
  const d = draftCategorical(feature, reference, current, power);
  return finish(d, d.input.sampleSize.sufficient ? d.input.pvalue : null, options.correction ?? DRIFT_DEFAULTS.correction, 1, power);
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

/** The check-level rule over the decided features. */
export function checkVerdict(config: ResolvedDriftCheckConfig, features: readonly FeatureResult[]): CheckVerdict {
  const evaluated = features.filter((f) => f.verdict.status !== 'insufficient_data').length;
  const drifted = features.filter((f) => f.verdict.status === 'drift').length;
  const share = config.verdict.minDriftedShare;
  const needed = Math.max(1, Math.ceil((share ?? 0) * evaluated - 1e-9));
  const name = config.verdict.correction === 'holm' ? 'Holm' : 'Benjamini-Hochberg';
  const who = share === undefined ? 'at least one feature' : `at least ${Math.round(share * 1000) / 10}% of the ${evaluated} evaluated features (${needed})`;
  return {
    correction: config.verdict.correction,
    minDriftedShare: share ?? null,
    evaluatedFeatures: evaluated,
    driftedFeaturesNeeded: needed,
    dataDrift: drifted >= needed,
    rule: `data drift when ${who} drift: ${name}-adjusted p-value below alpha and an effect at or above its floor, with enough rows for the test`,
  };
}

/**
 * Runs every configured check on two windows read with the config's columns.
 * @param now run time, recorded in the result
 */
export function computeDrift(config: ResolvedDriftCheckConfig, reference: DataWindow, current: DataWindow, now: Date): DriftCheckResult {
  const power = config.verdict.power;
  const drafts: Array<Draft<FeatureResult>> = config.features.map((f) => (f.type === 'numeric'
    ? draftNumeric(f, numericColumn(reference, f.name).values, numericColumn(current, f.name).values, power)
    : draftCategorical(f, countCategories(categoricalColumn(reference, f.name)), countCategories(categoricalColumn(current, f.name)), power)));
  let attribution: AttributionResult | undefined;
  if (config.attribution !== undefined) {
    const { columnPrefix, threshold } = config.attribution;
    const column = (w: DataWindow, name: string): Float64Array => numericColumn(w, `${columnPrefix}${name}`).values;
    attribution = checkAttribution(config.features.map((f) => ({ feature: f.name, column: `${columnPrefix}${f.name}`, reference: column(reference, f.name), current: column(current, f.name) })), threshold);
  }
  if (config.labels !== undefined && current.labels === undefined) throw new DriftDataError('internal: labels were not read from current data');
  return assembleDrift(config, drafts, { reference, current, labels: current.labels, attribution }, now);
}

/** What a result is assembled from besides the features' drafts. */
export interface DriftParts {
  /** The reference window's identity. */
  readonly reference: WindowInfo;
  /** The current window's identity. */
  readonly current: WindowInfo;
  /** Label outcomes of the current window (required when labels are configured). */
  readonly labels?: LabelOutcomes;
  /** Attribution drift, when configured. */
  readonly attribution?: AttributionResult;
}

/**
 * Corrects the drafts' p-values together, decides every feature and the
 * check, and evaluates concept drift: the result document.
 */
export function assembleDrift(config: ResolvedDriftCheckConfig, drafts: ReadonlyArray<Draft<FeatureResult>>, parts: DriftParts, now: Date): DriftCheckResult {
  const power = config.verdict.power;
  const features = decideAll(drafts, config.verdict.correction, power);
  let concept: ConceptResult | undefined;
  if (config.labels !== undefined) {
    if (parts.labels === undefined) throw new DriftDataError('internal: labels were not read from current data');
    concept = checkConcept(config.labels, parts.labels);
  }
  const attribution = parts.attribution;
  const verdict = checkVerdict(config, features);
  const driftedFeatures = features.filter((f) => f.drift).map((f) => f.name);
  const insufficientFeatures = features.filter((f) => f.verdict.status === 'insufficient_data').map((f) => f.name);
  const driftDetected = verdict.dataDrift || concept?.status === 'degraded' || attribution?.status === 'drift';
  const status: DriftStatus = driftDetected ? 'drift'
    : insufficientFeatures.length > 0 || attribution?.status === 'insufficient_data' ? 'insufficient_data'
      : concept?.status === 'insufficient_labels' ? 'insufficient_labels' : 'pass';
  const info = (w: WindowInfo): WindowInfo => ({ uri: w.uri, format: w.format, rows: w.rows });
  return {
    version: DRIFT_RESULT_VERSION,
    model: config.model,
    generatedAt: now.toISOString(),
    status,
    driftDetected,
    passed: status === 'pass',
    driftedFeatures,
    insufficientFeatures,
    verdict,
    reference: info(parts.reference),
    current: info(parts.current),
    features,
    ...(concept === undefined ? {} : { concept }),
    ...(attribution === undefined ? {} : { attribution }),
  };
}
