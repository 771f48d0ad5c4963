/**
 * How per-feature statistics become verdicts.
 *
 * A feature DRIFTS only when all three hold:
 * 1. enough data: both windows are large enough for the feature's test to
 *    detect an effect at the floor with the configured power (80%) at the
 *    feature's alpha (see `stats/power.ts`: KS for numeric distributions, a
 *    one-degree-of-freedom chi-square for categories); below it the feature is
 *    `insufficient_data`, never drift or no drift;
 * 2. statistical evidence: the test's p-value, corrected for multiple testing
 *    over every feature of the check that has enough data (Holm by default,
 *    Benjamini-Hochberg as an option), is below the feature's alpha;
 * 3. a practically relevant effect: the effect size (KS distance D, or the
 *    total variation distance for categories) is at least the floor
 *    (`minEffect`, default 0.08), or PSI (with at least 5 expected rows per
 *    bucket) is significant.
 *
 * Why these defaults: D is the largest share of rows that moved across any
 * threshold, and 0.08 is D of a 0.2-standard-deviation shift of a normal
 * distribution (2 Phi(0.1) - 1 = 0.0797), Cohen's "small" effect. Far smaller
 * shifts (the 0.002-sd shift of 5,000,000 rows: D = 0.0008) are significant
 * at scale but meaningless. At the floor, 80% power at alpha 0.05 needs an
 * effective size of 495 (KS: 990 rows per window) or 307 (chi-square: 614 rows).
 */
import { effectiveSampleSize, minimumEffectiveSampleSize } from '../stats';
import type { PValueCorrection, PowerTest } from '../stats';

/** Outcome for one feature. */
export type FeatureStatus = 'drift' | 'no_drift' | 'insufficient_data';

/** Rows available against rows needed. */
export interface SampleSizeCheck {
  /** Reference rows. */
  readonly referenceRows: number;
  /** Current rows. */
  readonly currentRows: number;
  /** n m / (n + m). */
  readonly effectiveRows: number;
  /** Effective size needed for the configured power at the effect floor. */
  readonly requiredEffectiveRows: number;
  /** Rows per window needed when both windows have the same size (2 x requiredEffectiveRows). */
  readonly requiredRowsPerWindow: number;
  /** effectiveRows >= requiredEffectiveRows. */
  readonly sufficient: boolean;
}

/** The effect-size part of a verdict. */
export interface EffectCheck {
  /** 'ks_statistic' for numeric distributions, 'total_variation' for categories. */
  readonly measure: 'ks_statistic' | 'total_variation';
  /** The effect size. */
  readonly value: number;
  /** The configured floor (minEffect). */
  readonly floor: number;
  /** PSI is significant and has at least 5 expected rows per bucket. */
  readonly psiSignificant: boolean;
  /** value >= floor, or psiSignificant. */
  readonly present: boolean;
}

/** How a feature's verdict was reached. */
export interface FeatureVerdict {
  /** drift, no_drift or insufficient_data. */
  readonly status: FeatureStatus;
  /** The test behind the p-value. */
  readonly test: 'ks' | 'chi2';
  /** Raw p-value of the test. */
  readonly pvalue: number;
  /** p-value corrected over the features of the check with enough data; null for insufficient_data. */
  readonly adjustedPvalue: number | null;
  /** The correction applied. */
  readonly correction: PValueCorrection;
  /** Number of p-values in the corrected family. */
  readonly familySize: number;
  /** The feature's alpha. */
  readonly alpha: number;
  /** adjustedPvalue < alpha. */
  readonly significant: boolean;
  /** Effect size against its floor. */
  readonly effect: EffectCheck;
  /** Sample size against the minimum. */
  readonly sampleSize: SampleSizeCheck;
}

/** Sample-size check of a test at the floor `effect`. */
export function sampleSizeCheck(test: PowerTest, referenceRows: number, currentRows: number, effect: number, alpha: number, power: number): SampleSizeCheck {
  const required = minimumEffectiveSampleSize(test, effect, alpha, power);
  const effective = effectiveSampleSize(referenceRows, currentRows);
  return {
    referenceRows,
    currentRows,
    effectiveRows: effective,
    requiredEffectiveRows: required,
    requiredRowsPerWindow: 2 * required,
    sufficient: effective >= required,
  };
}

/** Number of PSI buckets with at least `minExpected` expected rows each in both windows (quantile buckets hold 1/k of the reference). */
export function psiBucketCount(requested: number, referenceRows: number, currentRows: number, minExpected = 5): number {
  return Math.min(requested, Math.floor(referenceRows / minExpected), Math.floor(currentRows / minExpected));
}

/** Total variation distance of two share vectors: half the sum of |differences| (the share of rows that changed category). */
export function totalVariation(a: readonly number[], b: readonly number[]): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.abs(a[i] - b[i]);
  return s / 2;
}

/** Inputs of {@link decideFeature}. */
export interface VerdictInput {
  readonly test: 'ks' | 'chi2';
  readonly pvalue: number;
  readonly alpha: number;
  readonly effect: Omit<EffectCheck, 'present'>;
  readonly sampleSize: SampleSizeCheck;
}

/** A feature's verdict once its p-value is corrected (adjusted is null for a feature without enough data). */
export function decideFeature(input: VerdictInput, adjusted: number | null, correction: PValueCorrection, familySize: number): FeatureVerdict {
  const present = input.effect.value >= input.effect.floor || input.effect.psiSignificant;
  const significant = adjusted !== null && adjusted < input.alpha;
  const status: FeatureStatus = !input.sampleSize.sufficient || adjusted === null ? 'insufficient_data' : significant && present ? 'drift' : 'no_drift';
  return {
    status,
    test: input.test,
    pvalue: input.pvalue,
    adjustedPvalue: adjusted,
    correction,
    familySize,
    alpha: input.alpha,
    significant,
    effect: { ...input.effect, present },
    sampleSize: input.sampleSize,
  };
}

/** p-values printed compactly. */
export function fmtP(p: number): string {
  if (Number.isNaN(p)) return 'NaN';
  if (p === 0) return '0';
  return p < 1e-3 ? p.toExponential(2) : p.toPrecision(3);
}

const CORRECTION_NAME: Record<PValueCorrection, string> = { holm: 'Holm', 'benjamini-hochberg': 'Benjamini-Hochberg' };

/** One sentence per part of the verdict. */
export function verdictReasons(v: FeatureVerdict, power: number): string[] {
  const s = v.sampleSize;
  const testName = v.test === 'ks' ? 'KS' : 'chi-square';
  const effectName = v.effect.measure === 'ks_statistic' ? 'D' : 'total variation';
  if (v.status === 'insufficient_data') {
    return [`insufficient data: ${s.referenceRows} reference and ${s.currentRows} current rows give an effective size of ${s.effectiveRows.toFixed(1)}; `
      + `the ${testName} test needs ${s.requiredEffectiveRows} (about ${s.requiredRowsPerWindow} rows per window) for ${Math.round(power * 100)}% power `
      + `to detect ${effectName} >= ${v.effect.floor} at alpha ${v.alpha}`];
  }
  const adj = v.adjustedPvalue ?? Number.NaN;
  const corrected = v.familySize > 1 ? ` (${CORRECTION_NAME[v.correction]}-adjusted over ${v.familySize} features: ${fmtP(adj)})` : '';
  return [
    `${testName} p-value ${fmtP(v.pvalue)}${corrected} ${v.significant ? '<' : '>='} alpha ${v.alpha}`,
    `${effectName} = ${v.effect.value.toPrecision(3)} ${v.effect.value >= v.effect.floor ? '>=' : '<'} effect floor ${v.effect.floor}`
      + (v.effect.psiSignificant ? ' (PSI significant)' : ''),
  ];
}
