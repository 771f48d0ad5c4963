/**
 * A/B-testing statistics: sample-size planning (Cohen's h + normal power, as statsmodels),
 * two-proportion and multi-variant chi-square tests with a deployment recommendation,
 * deterministic sticky variant assignment, and experiment duration.
 */

import { chi2Contingency } from './chi2';
import { assertOpenUnit, isArray, normalCdf, normalPpf, normalSf } from './special';

// ---------------------------------------------------------------------------
// effect size and sample size

function checkRate(p: number, name: string): void {
  if (typeof p !== 'number' || !(p >= 0 && p <= 1)) throw new RangeError(`${name} must be a proportion in [0, 1], got ${String(p)}`);
}

/**
 * Cohen's h for two proportions: h = 2 asin(sqrt(p2)) - 2 asin(sqrt(p1))
 * (statsmodels `proportion_effectsize(p2, p1)`). Positive when p2 > p1.
 */
export function cohensH(p1: number, p2: number): number {
  checkRate(p1, 'p1');
  checkRate(p2, 'p2');
  return 2 * Math.asin(Math.sqrt(p2)) - 2 * Math.asin(Math.sqrt(p1));
}

/** Inputs of {@link requiredSampleSize}. */
export interface SampleSizeInput {
  /** Control conversion rate, e.g. 0.75. */
  readonly baselineRate: number;
  /** Smallest absolute change worth detecting, e.g. 0.02 for 75% -> 77%. May be negative. */
  readonly minDetectableEffect: number;
  /** Two-sided significance level (default 0.05). */
  readonly alpha?: number;
  /** Desired power, 1 - beta (default 0.8). */
  readonly power?: number;
  /** Treatment size / control size (default 1). */
  readonly ratio?: number;
}

/** Result of {@link requiredSampleSize}. */
export interface SampleSizeResult {
  /** Users needed in the control group (rounded up). */
  readonly control: number;
  /** Users needed in the treatment group (rounded up). */
  readonly treatment: number;
  /** Unrounded nobs1 as statsmodels' solve_power returns it. */
  readonly controlRaw: number;
  /** Unrounded nobs2 = nobs1 * ratio. */
  readonly treatmentRaw: number;
  /** Cohen's h for baselineRate -> baselineRate + minDetectableEffect. */
  readonly effectSize: number;
}

/**
 * Power of the two-sided two-sample z-test, statsmodels `NormalIndPower().power(h, nobs1,
 * alpha, ratio)`: with n = 1 / (1/nobs1 + 1/(nobs1*ratio)) and c = z_{1-alpha/2},
 * power = Phi(h sqrt(n) - c) + Phi(-c - h sqrt(n)) (the second term is the far tail).
 */
export function normalIndPower(effectSize: number, nobs1: number, alpha: number, ratio = 1): number {
  const nobs = 1 / (1 / nobs1 + 1 / (nobs1 * ratio));
  const alphaHalf = alpha / 2;
  const critUpper = -normalPpf(alphaHalf); // norm.isf(alpha/2)
  const critLower = normalPpf(alphaHalf); // norm.ppf(alpha/2)
  const shift = effectSize * Math.sqrt(nobs);
  return normalSf(critUpper - shift) + normalCdf(critLower - shift);
}

/**
 * Sample size per group to detect an absolute change `minDetectableEffect` from
 * `baselineRate` with a two-sided test: nobs1 solving
 * `statsmodels.stats.power.NormalIndPower().solve_power(effect_size=h, alpha=alpha,
 * power=power, ratio=ratio, alternative='two-sided')` with h = Cohen's h, nobs2 = nobs1 * ratio.
 * nobs1 is found by bisection on the exact power function (including the far tail), so it is
 * the root to ~1e-13 relative; statsmodels stops its Brent search at xtol = 1e-5.
 *
 * Why Cohen's h and not the guide's `mde / baseline`: 2 asin(sqrt(p)) is the
 * variance-stabilising transform of a proportion (its variance is ~1/n whatever p is), so h
 * is a standardized effect size and equal h means equal detectability at any baseline.
 * `mde / baseline` is a *relative lift*, not standardized by the outcome's standard deviation,
 * so feeding it to a power calculation gives nonsense. The guide's example, baseline 0.75 and
 * mde 0.02 (75% -> 77%):
 * - h = 0.046838 -> 7,156 users per group (statsmodels: 7155.397);
 * - 0.02 / 0.75 = 0.026667 used as effect size -> 22,075 per group (3x too many).
 * At baseline 0.05 the guide's ratio is 0.4 -> 99 per group, while h = 0.0845 needs 2,199:
 * the experiment would be hopelessly underpowered.
 */
export function requiredSampleSize(input: SampleSizeInput): SampleSizeResult {
  const { baselineRate, minDetectableEffect } = input;
  const alpha = input.alpha ?? 0.05;
  const power = input.power ?? 0.8;
  const ratio = input.ratio ?? 1;
  assertOpenUnit(baselineRate, 'baselineRate');
  if (typeof minDetectableEffect !== 'number' || !Number.isFinite(minDetectableEffect) || minDetectableEffect === 0) {
    throw new RangeError(`minDetectableEffect must be a non-zero finite number, got ${String(minDetectableEffect)}`);
  }
  const target = baselineRate + minDetectableEffect;
  if (!(target >= 0 && target <= 1)) {
    throw new RangeError(`baselineRate + minDetectableEffect must be a proportion in [0, 1], got ${target}`);
  }
  assertOpenUnit(alpha, 'alpha');
  assertOpenUnit(power, 'power');
  if (!(power > alpha)) throw new RangeError(`power (${power}) must exceed alpha (${alpha}): a test always has power >= alpha`);
  if (typeof ratio !== 'number' || !(ratio > 0) || !Number.isFinite(ratio)) throw new RangeError(`ratio must be a positive finite number, got ${String(ratio)}`);

  const h = cohensH(baselineRate, target);
  const f = (n1: number): number => normalIndPower(h, n1, alpha, ratio) - power;
  // bracket: the textbook approximation ignoring the far tail is an upper bound of the root
  const z = -normalPpf(alpha / 2) + normalPpf(power);
  let hi = Math.max(1, (z / h) ** 2 * (1 + 1 / ratio) * 1.01);
  while (f(hi) < 0) hi *= 2;
  let lo = 0;
  for (let i = 0; i < 2000 && hi - lo > 1e-14 * hi; i++) {
    const mid = 0.5 * (lo + hi);
    if (mid === lo || mid === hi) break;
    if (f(mid) < 0) lo = mid;
    else hi = mid;
  }
  const nobs1 = 0.5 * (lo + hi);
  const nobs2 = nobs1 * ratio;
  return { control: Math.ceil(nobs1), treatment: Math.ceil(nobs2), controlRaw: nobs1, treatmentRaw: nobs2, effectSize: h };
}

// ---------------------------------------------------------------------------
// significance tests

/** Conversions of one experiment arm. */
export interface ArmCounts {
  /** Users who converted. */
  readonly successes: number;
  /** Users exposed. */
  readonly total: number;
}

/** Deployment recommendation. */
export type Recommendation = 'continue' | 'deploy-treatment' | 'keep-control';

/** Options of the tests. */
export interface AbTestOptions {
  /** Significance level (default 0.05). */
  readonly alpha?: number;
}

/** Result of {@link twoProportionTest}. */
export interface TwoProportionResult {
  readonly controlRate: number;
  readonly treatmentRate: number;
  /** (treatmentRate - controlRate) / controlRate; Infinity/NaN when controlRate is 0. */
  readonly relativeLift: number;
  readonly statistic: number;
  readonly pvalue: number;
  readonly significant: boolean;
  readonly recommendation: Recommendation;
  readonly reason: string;
}

function checkArm(arm: ArmCounts, name: string): void {
  if (arm === null || typeof arm !== 'object') throw new TypeError(`${name} must be { successes, total }`);
  const { successes, total } = arm;
  if (!Number.isInteger(total) || total <= 0) throw new RangeError(`${name}.total must be a positive integer, got ${String(total)}`);
  if (!Number.isInteger(successes) || successes < 0 || successes > total) {
    throw new RangeError(`${name}.successes must be an integer between 0 and total (${total}), got ${String(successes)}`);
  }
}

function pct(x: number): string {
  return `${(100 * x).toFixed(2)}%`;
}

/**
 * Chi-square test on [[s_c, n_c - s_c], [s_t, n_t - s_t]] with Yates' correction (as the guide's
 * `stats.chi2_contingency(table)`), plus the guide's decision rule: not significant -> 'continue';
 * significant and treatment better -> 'deploy-treatment'; significant and worse -> 'keep-control'.
 * If neither arm has a success (or every user converted in both), the table has a zero column
 * (SciPy raises); this returns p = 1, statistic 0 and 'continue' instead.
 */
export function twoProportionTest(
  arms: { readonly control: ArmCounts; readonly treatment: ArmCounts },
  options: AbTestOptions = {},
): TwoProportionResult {
  const alpha = options.alpha ?? 0.05;
  assertOpenUnit(alpha, 'alpha');
  checkArm(arms?.control, 'control');
  checkArm(arms.treatment, 'treatment');
  const { control, treatment } = arms;
  const controlRate = control.successes / control.total;
  const treatmentRate = treatment.successes / treatment.total;
  const relativeLift = (treatmentRate - controlRate) / controlRate;
  const degenerate = control.successes + treatment.successes === 0 ||
    control.successes + treatment.successes === control.total + treatment.total;
  let statistic = 0;
  let pvalue = 1;
  if (!degenerate) {
    const r = chi2Contingency([
      [control.successes, control.total - control.successes],
      [treatment.successes, treatment.total - treatment.successes],
    ]);
    statistic = r.statistic;
    pvalue = r.pvalue;
  }
  const significant = pvalue < alpha;
  let recommendation: Recommendation;
  let reason: string;
  if (!significant) {
    recommendation = 'continue';
    reason = `p = ${pvalue.toPrecision(3)} >= alpha = ${alpha}: no significant difference yet (control ${pct(controlRate)}, treatment ${pct(treatmentRate)})`;
  } else if (treatmentRate > controlRate) {
    recommendation = 'deploy-treatment';
    reason = `treatment converts better (${pct(treatmentRate)} vs ${pct(controlRate)}, p = ${pvalue.toPrecision(3)} < ${alpha})`;
  } else {
    recommendation = 'keep-control';
    reason = `treatment converts worse (${pct(treatmentRate)} vs ${pct(controlRate)}, p = ${pvalue.toPrecision(3)} < ${alpha})`;
  }
  return { controlRate, treatmentRate, relativeLift, statistic, pvalue, significant, recommendation, reason };
}

/** One arm of a multi-variant test. */
export interface VariantCounts extends ArmCounts {
  readonly name: string;
}

/** Per-treatment comparison with control in {@link multiVariantTest}. */
export interface VariantComparison {
  readonly name: string;
  readonly rate: number;
  /** (rate - controlRate) / controlRate. */
  readonly relativeLift: number;
  /** p-value of the 2 x 2 test (Yates) of this variant against control. */
  readonly pvalue: number;
  /** alpha / (number of treatments) (Bonferroni). */
  readonly adjustedAlpha: number;
  readonly significant: boolean;
}

/** Result of {@link multiVariantTest}. */
export interface MultiVariantResult {
  readonly control: string;
  readonly controlRate: number;
  /** Omnibus k x 2 chi-square statistic (no Yates unless k == 2). */
  readonly statistic: number;
  readonly pvalue: number;
  readonly dof: number;
  readonly significant: boolean;
  readonly comparisons: VariantComparison[];
  readonly recommendation: Recommendation;
  /** The variant to deploy when recommendation is 'deploy-treatment'. */
  readonly winner?: string;
  readonly reason: string;
}

/**
 * Test for 2+ variants. The first variant is the control unless `control` names another.
 * 1. Omnibus chi-square on the k x 2 table [successes, failures] (dof = k - 1; SciPy applies
 *    Yates only when dof == 1). Not significant at alpha -> 'continue'.
 * 2. Otherwise each treatment is compared with control by a 2 x 2 chi-square test (Yates) at
 *    the Bonferroni level alpha / (k - 1). The best significantly-better treatment (highest
 *    rate) -> 'deploy-treatment'; if none is better but some are significantly worse ->
 *    'keep-control'; otherwise 'continue'.
 */
export function multiVariantTest(
  variants: readonly VariantCounts[],
  options: AbTestOptions & { readonly control?: string } = {},
): MultiVariantResult {
  const alpha = options.alpha ?? 0.05;
  assertOpenUnit(alpha, 'alpha');
  if (!isArray(variants) || variants.length < 2) throw new RangeError('multiVariantTest needs at least 2 variants');
  const names = new Set<string>();
  for (const v of variants) {
    checkArm(v, `variant ${JSON.stringify(v?.name)}`);
    if (typeof v.name !== 'string' || v.name === '' || names.has(v.name)) throw new RangeError(`variant names must be unique non-empty strings, got ${JSON.stringify(v.name)}`);
    names.add(v.name);
  }
  const controlName = options.control ?? variants[0].name;
  const control = variants.find((v) => v.name === controlName);
  if (!control) throw new RangeError(`control variant ${JSON.stringify(controlName)} not found`);
  const controlRate = control.successes / control.total;
  const totalSucc = variants.reduce((s, v) => s + v.successes, 0);
  const totalN = variants.reduce((s, v) => s + v.total, 0);
  const degenerate = totalSucc === 0 || totalSucc === totalN;
  const omnibus = degenerate
    ? { statistic: 0, pvalue: 1, dof: variants.length - 1 }
    : chi2Contingency(variants.map((v) => [v.successes, v.total - v.successes]));
  const adjustedAlpha = alpha / (variants.length - 1);
  const comparisons: VariantComparison[] = variants.filter((v) => v !== control).map((v) => {
    const t = twoProportionTest({ control, treatment: v }, { alpha: adjustedAlpha });
    return { name: v.name, rate: t.treatmentRate, relativeLift: t.relativeLift, pvalue: t.pvalue, adjustedAlpha, significant: t.significant };
  });
  const significant = omnibus.pvalue < alpha;
  const base = { control: control.name, controlRate, statistic: omnibus.statistic, pvalue: omnibus.pvalue, dof: omnibus.dof, significant, comparisons };
  if (!significant) {
    return { ...base, recommendation: 'continue', reason: `omnibus p = ${omnibus.pvalue.toPrecision(3)} >= alpha = ${alpha}: no significant difference between variants yet` };
  }
  const better = comparisons.filter((c) => c.significant && c.rate > controlRate).sort((a, b) => b.rate - a.rate);
  if (better.length > 0) {
    const w = better[0];
    return {
      ...base, recommendation: 'deploy-treatment', winner: w.name,
      reason: `${w.name} converts best among significantly better variants (${pct(w.rate)} vs control ${pct(controlRate)}, p = ${w.pvalue.toPrecision(3)} < ${adjustedAlpha.toPrecision(3)})`,
    };
  }
  if (comparisons.some((c) => c.significant && c.rate < controlRate)) {
    return { ...base, recommendation: 'keep-control', reason: `no variant beats control (${pct(controlRate)}) and at least one is significantly worse` };
  }
  return { ...base, recommendation: 'continue', reason: 'variants differ overall but no single variant differs significantly from control after Bonferroni correction' };
}

// ---------------------------------------------------------------------------
// sticky assignment

/** A variant and its integer traffic percentage. */
export interface VariantWeight {
  readonly name: string;
  readonly weight: number;
}

/** Inclusive bucket range [from, to] (0..99) of a variant. */
export interface BucketRange {
  readonly name: string;
  readonly from: number;
  readonly to: number;
}

/**
 * Contiguous inclusive bucket ranges in the order given: the first variant gets buckets
 * 0..w1-1, the next w1..w1+w2-1, and so on. Weights must be positive integers summing to 100
 * and names unique. Use the same ranges to generate edge-proxy routing rules.
 */
export function bucketRanges(weights: readonly VariantWeight[]): BucketRange[] {
  if (!isArray(weights) || weights.length === 0) throw new RangeError('weights must be a non-empty array of { name, weight }');
  const names = new Set<string>();
  let from = 0;
  const out: BucketRange[] = [];
  for (const w of weights) {
    if (typeof w?.name !== 'string' || w.name === '') throw new RangeError('every variant needs a non-empty name');
    if (names.has(w.name)) throw new RangeError(`duplicate variant name ${JSON.stringify(w.name)}`);
    names.add(w.name);
    if (!Number.isInteger(w.weight) || w.weight <= 0) throw new RangeError(`weight of ${JSON.stringify(w.name)} must be a positive integer percentage, got ${String(w.weight)}`);
    out.push({ name: w.name, from, to: from + w.weight - 1 });
    from += w.weight;
  }
  if (from !== 100) throw new RangeError(`weights must sum to 100, got ${from}`);
  return out;
}

const utf8 = new TextEncoder();

/**
 * 32-bit FNV-1a over the UTF-8 bytes of `s`:
 * h = 0x811c9dc5; for each byte b: h = ((h XOR b) * 0x01000193) mod 2^32.
 */
export function fnv1a32(s: string): number {
  const bytes = utf8.encode(s);
  let h = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) {
    h ^= bytes[i];
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** Result of {@link assignVariant}. */
export interface Assignment {
  /** 0..99 */
  readonly bucket: number;
  readonly variant: string;
}

/**
 * Deterministic, sticky variant assignment:
 * bucket = fnv1a32(experimentId + ':' + userId) mod 100, and the variant is the one whose
 * {@link bucketRanges} range contains the bucket. The same user always gets the same variant
 * for an experiment, different experiments hash independently, and any edge proxy can
 * reimplement it: FNV-1a 32-bit (offset basis 0x811c9dc5 = 2166136261, prime 0x01000193 =
 * 16777619) over the UTF-8 bytes of the key, XOR-then-multiply per byte modulo 2^32, then
 * the unsigned result modulo 100. Test vectors (key -> hash -> bucket):
 * - 'exp-1:user-42' -> 0x0b54e948 (190114120) -> 20
 * - 'checkout-v2:alice@example.com' -> 0x71c8a843 (1908975683) -> 83
 * - 'pricing-test:ユーザー7' (non-ASCII, hashed as UTF-8) -> 0x2837662a (674719274) -> 74
 */
export function assignVariant(userId: string, experimentId: string, weights: readonly VariantWeight[]): Assignment {
  if (typeof userId !== 'string' || userId === '') throw new RangeError('userId must be a non-empty string');
  if (typeof experimentId !== 'string' || experimentId === '') throw new RangeError('experimentId must be a non-empty string');
  const ranges = bucketRanges(weights);
  const bucket = fnv1a32(`${experimentId}:${userId}`) % 100;
  const range = ranges.find((r) => bucket >= r.from && bucket <= r.to);
  // bucketRanges covers 0..99 without gaps, so every bucket has a variant
  if (range === undefined) throw new Error(`no variant covers bucket ${bucket}`);
  return { bucket, variant: range.name };
}

// ---------------------------------------------------------------------------
// duration

/** Inputs of {@link experimentDuration}. */
export interface DurationInput {
  /** Users entering the experiment per day (all variants together). */
  readonly dailyUsers: number;
  /** Traffic split (integer percentages summing to 100). */
  readonly weights: readonly VariantWeight[];
  /** Users needed per variant: one number for all, or per variant name. */
  readonly sampleSize: number | Readonly<Record<string, number>>;
}

/** Result of {@link experimentDuration}. */
export interface DurationResult {
  /** Whole days until every variant has its sample (the maximum over variants). */
  readonly days: number;
  readonly perVariant: Array<{ readonly name: string; readonly dailyUsers: number; readonly required: number; readonly days: number }>;
}

/**
 * Days needed until every variant reaches its required sample size when each variant gets
 * dailyUsers * weight / 100 users per day: days = max over variants of ceil(required / daily).
 */
export function experimentDuration(input: DurationInput): DurationResult {
  const { dailyUsers, sampleSize } = input;
  if (typeof dailyUsers !== 'number' || !(dailyUsers > 0) || !Number.isFinite(dailyUsers)) {
    throw new RangeError(`dailyUsers must be a positive finite number, got ${String(dailyUsers)}`);
  }
  bucketRanges(input.weights); // validates the split
  const perVariant = input.weights.map((w) => {
    const required = typeof sampleSize === 'number' ? sampleSize : sampleSize[w.name];
    if (typeof required !== 'number' || !Number.isFinite(required) || required < 0) {
      throw new RangeError(`sample size for ${JSON.stringify(w.name)} must be a finite non-negative number, got ${String(required)}`);
    }
    const daily = dailyUsers * w.weight / 100;
    return { name: w.name, dailyUsers: daily, required, days: Math.ceil(required / daily) };
  });
  return { days: Math.max(...perVariant.map((v) => v.days)), perVariant };
}
