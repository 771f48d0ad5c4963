/**
 * Statistics for drift detection and A/B testing, numerically equivalent to SciPy 1.10 /
 * statsmodels 0.13 (see test/stats-*.test.ts for the reference values and how they were made).
 */

export {
  chi2Cdf, chi2Sf, erf, erfc, gammaP, gammaQ, logGamma, normalCdf, normalIsf, normalPdf, normalPpf, normalSf,
} from './special';
export { kolmogornCdf, kolmogornSf, smirnovSf } from './kolmogorov';
export { ks2samp, ks2sampSorted, KS_MAX_AUTO_N, roundHalfEven, sortedSample, sortedSampleInPlace } from './ks';
export { RADIX_MIN_LENGTH, sortFloat64InPlace, sortedFloat64 } from './sort';
export type { Ks2SampOptions, Ks2SampResult, KsMethod } from './ks';
export { linspace01, psiCategorical, psiNumeric, psiNumericPointMasses, psiNumericPointMassesSorted, psiNumericSorted, psiVerdict, quantilesLinear } from './psi';
export type {
  CategoryCounts, PsiBucket, PsiCategoricalOptions, PsiCategoricalResult, PsiNumericOptions, PsiNumericResult, PsiPointMassOptions,
  PsiPointMassResult, PsiThresholds, PsiVerdict,
} from './psi';
export { adjustPValues, benjaminiHochbergAdjust, holmAdjust } from './multiple';
export type { PValueCorrection } from './multiple';
export { effectiveSampleSize, ksCriticalValue, minimumEffectiveSampleSize } from './power';
export type { PowerTest } from './power';
export { attributionNdcg } from './ndcg';
export type { NdcgResult } from './ndcg';
export { categoricalDrift, chi2Contingency } from './chi2';
export type { CategoricalDriftResult, Chi2ContingencyOptions, Chi2ContingencyResult } from './chi2';
export {
  assignVariant, bucketRanges, cohensH, experimentDuration, fnv1a32, multiVariantTest, normalIndPower, requiredSampleSize,
  twoProportionTest,
} from './ab';
export type {
  AbTestOptions, ArmCounts, Assignment, BucketRange, DurationInput, DurationResult, MultiVariantResult, Recommendation,
  SampleSizeInput, SampleSizeResult, TwoProportionResult, VariantComparison, VariantCounts, VariantWeight,
} from './ab';
