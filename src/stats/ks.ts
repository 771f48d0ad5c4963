/**
 * Two-sample Kolmogorov-Smirnov test, numerically equivalent to
 * `scipy.stats.ks_2samp(a, b, alternative='two-sided', method=...)` (SciPy 1.10).
 */

import { kolmogornSf } from './kolmogorov';
import { sortFloat64InPlace, sortedFloat64 } from './sort';

/** How the p-value is computed. */
export type KsMethod = 'auto' | 'exact' | 'asymp';

/** Options for {@link ks2samp}. */
export interface Ks2SampOptions {
  /**
   * 'exact': exact distribution of D under H0 (lattice-path counting);
   * 'asymp': finite-n two-sided Kolmogorov distribution `kstwo.sf(D, round(n1*n2/(n1+n2)))`;
   * 'auto' (default): exact when max(n1, n2) <= 10000, otherwise asymp.
   */
  readonly method?: KsMethod;
}

/** Result of {@link ks2samp}. */
export interface Ks2SampResult {
  /** D = sup |F1(x) - F2(x)|; in the exact method SciPy re-expresses it as h / lcm(n1, n2). */
  readonly statistic: number;
  /** Two-sided p-value. NaN only in SciPy's degenerate asymptotic case round(n1 n2 / (n1 + n2)) = 0. */
  readonly pvalue: number;
  /** The method actually used (after 'auto' selection and any fallback). */
  readonly method: 'exact' | 'asymp';
  /** The data value at which the ECDF difference attains D. */
  readonly statisticLocation: number;
  /** +1 if F1 - F2 attains D (sample a's ECDF is above), -1 if F2 - F1 does. */
  readonly statisticSign: 1 | -1;
  /** Set when an explicitly requested exact computation fell back to 'asymp' (SciPy emits a RuntimeWarning). */
  readonly warning?: string;
}

/** Above this sample size 'auto' switches to the asymptotic method (SciPy's MAX_AUTO_N). */
export const KS_MAX_AUTO_N = 10000;
const INT32_MAX = 2147483647;

/** numpy.round / Python round: round half to even. */
export function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const diff = x - f;
  if (diff < 0.5) return f;
  if (diff > 0.5) return f + 1;
  return f % 2 === 0 ? f : f + 1;
}

function gcd(a: number, b: number): number {
  let x = a;
  let y = b;
  while (y !== 0) {
    const t = x % y;
    x = y;
    y = t;
  }
  return x;
}

/**
 * Copies, validates (non-empty, finite) and sorts a sample (radix sort,
 * {@link sortedFloat64}). Non-finite values end up at the ends of the sorted
 * copy, so only its first and last values are checked; the error names the
 * first bad index of the input.
 */
export function sortedSample(x: Float64Array | readonly number[], name: string): Float64Array {
  if (x === null || x === undefined || typeof x.length !== 'number') {
    throw new TypeError(`${name} must be an array of numbers or a Float64Array`);
  }
  if (x.length === 0) throw new RangeError(`${name} must not be empty`);
  const out = sortedFloat64(x);
  if (!Number.isFinite(out[0]) || !Number.isFinite(out[out.length - 1])) {
    for (let i = 0; i < x.length; i++) {
      if (!Number.isFinite(x[i])) {
        throw new RangeError(`${name}[${i}] is ${x[i]}; samples must contain only finite numbers (no NaN/Infinity)`);
      }
    }
  }
  return out;
}

/**
 * Pr(D_{n,n} >= h/n) for two samples of equal size n: proportion of lattice paths that
 * leave the band |x - y| < h (Hodges 1958), evaluated with SciPy's Horner-like scheme.
 */
function probOutsideSquare(n: number, h: number): number {
  let P = 0.0;
  let k = Math.floor(n / h);
  while (k >= 0) {
    let p1 = 1.0;
    for (let j = 0; j < h; j++) p1 = (n - k * h - j) * p1 / (n + k * h + j + 1);
    P = p1 * (1.0 - P);
    k -= 1;
  }
  return 2 * P;
}

/**
 * Pr(D_{m,n} >= h / lcm(m, n)) for unequal sizes: 1 - proportion of lattice paths from (0,0)
 * to (m,n) staying strictly inside |x/m - y/n| < h/lcm, using the recursion for 1 - p of
 * Viehmann (arXiv:2102.08037) on a sliding column window (as SciPy's
 * `_compute_outer_prob_inside_method`).
 */
function outerProbInside(m0: number, n0: number, g: number, h: number): number {
  const m = Math.max(m0, n0);
  const n = Math.min(m0, n0);
  const mg = m / g;
  const ng = n / g;
  let minj = 0;
  let maxj = Math.min(Math.ceil(h / mg), n + 1);
  let curlen = maxj - minj;
  const lenA = Math.min(2 * maxj + 2, n + 1);
  const A = new Float64Array(lenA).fill(1);
  A.fill(0, minj, maxj);
  for (let i = 1; i <= m; i++) {
    const lastminj = minj;
    const lastlen = curlen;
    minj = Math.max(Math.floor((ng * i - h) / mg) + 1, 0);
    minj = Math.min(minj, n);
    maxj = Math.min(Math.ceil((ng * i + h) / mg), n + 1);
    if (maxj <= minj) return 1.0;
    let val = minj === 0 ? 0.0 : 1.0;
    const off = minj - lastminj;
    for (let jj = 0; jj < maxj - minj; jj++) {
      const j = jj + minj;
      val = (A[jj + off] * i + val * j) / (i + j);
      A[jj] = val;
    }
    curlen = maxj - minj;
    if (lastlen > curlen) A.fill(1, maxj - minj, Math.min(maxj - minj + (lastlen - curlen), lenA));
  }
  return A[maxj - minj - 1];
}

interface ExactAttempt {
  success: boolean;
  d: number;
  prob: number;
}

function attemptExact(n1: number, n2: number, g: number, dIn: number): ExactAttempt {
  const lcm = (n1 / g) * n2;
  const h = roundHalfEven(dIn * lcm);
  const d = h * 1.0 / lcm;
  if (h === 0) return { success: true, d, prob: 1.0 };
  const prob = n1 === n2 ? probOutsideSquare(n1, h) : outerProbInside(n1, n2, g, h);
  if (!Number.isFinite(prob)) return { success: false, d, prob: NaN };
  if (!(prob >= 0 && prob <= 1)) return { success: false, d, prob };
  return { success: true, d, prob };
}

interface EcdfExtremes {
  d: number;
  location: number;
  sign: 1 | -1;
}

/** One merge pass over both sorted samples: max and min of F1 - F2 with SciPy's argmax/argmin tie rules. */
function ecdfExtremes(a: Float64Array, b: Float64Array): EcdfExtremes {
  const n1 = a.length;
  const n2 = b.length;
  // SciPy evaluates cdf1 - cdf2 at every element of concat(sorted a, sorted b) and takes the
  // first argmax/argmin, i.e. the smallest qualifying value of `a` if any, else of `b`.
  let maxA = -Infinity; let maxALoc = NaN;
  let maxB = -Infinity; let maxBLoc = NaN;
  let minA = Infinity; let minALoc = NaN;
  let minB = Infinity; let minBLoc = NaN;
  let i = 0;
  let j = 0;
  while (i < n1 || j < n2) {
    const v = i < n1 && (j >= n2 || a[i] <= b[j]) ? a[i] : b[j];
    const i0 = i;
    const j0 = j;
    while (i < n1 && a[i] === v) i++;
    while (j < n2 && b[j] === v) j++;
    const diff = i / n1 - j / n2;
    if (i > i0) {
      if (diff > maxA) { maxA = diff; maxALoc = v; }
      if (diff < minA) { minA = diff; minALoc = v; }
    }
    if (j > j0) {
      if (diff > maxB) { maxB = diff; maxBLoc = v; }
      if (diff < minB) { minB = diff; minBLoc = v; }
    }
  }
  const maxS = Math.max(maxA, maxB);
  const maxLoc = maxA === maxS ? maxALoc : maxBLoc;
  const minDiff = Math.min(minA, minB);
  const minLoc = minA === minDiff ? minALoc : minBLoc;
  const minS = Math.min(Math.max(-minDiff, 0), 1);
  if (minS > maxS) return { d: minS, location: minLoc, sign: -1 };
  return { d: maxS, location: maxLoc, sign: 1 };
}

/**
 * Two-sided two-sample Kolmogorov-Smirnov test.
 *
 * Matches `scipy.stats.ks_2samp(a, b, alternative='two-sided', method=method)` of SciPy 1.10:
 * - D is computed exactly from the two ECDFs (ties handled like `np.searchsorted(side='right')`).
 * - 'exact': D is rounded to h / lcm(n1, n2) (h = round-half-even(D * lcm)); the p-value is
 *   Pr(D >= h/lcm) by lattice-path counting (equal sizes: closed-form alternating sum; unequal:
 *   inside-method recursion for 1 - p). If lcm would exceed 2^31 - 1, or the result is not a
 *   probability, it falls back to 'asymp' and sets `warning` (SciPy warns).
 * - 'asymp': `kstwo.sf(D, round(en))` with en = n1 n2 / (n1 + n2), the finite-n two-sided
 *   Kolmogorov distribution (not the limiting Kolmogorov distribution).
 * - 'auto': exact when max(n1, n2) <= 10000, else asymp (no lcm check, as in SciPy).
 *
 * Inputs are copied and sorted (O(n log n)); they must be non-empty and finite.
 */
export function ks2samp(
  a: Float64Array | readonly number[],
  b: Float64Array | readonly number[],
  options: Ks2SampOptions = {},
): Ks2SampResult {
  const requested = options.method ?? 'auto';
  if (requested !== 'auto' && requested !== 'exact' && requested !== 'asymp') {
    throw new RangeError(`ks2samp: invalid method ${String(requested)}; expected 'auto', 'exact' or 'asymp'`);
  }
  return ks2sampSorted(sortedSample(a, 'ks2samp: first sample'), sortedSample(b, 'ks2samp: second sample'), { method: requested });
}

/**
 * {@link sortedSample} without the copy: sorts `x` in place (radix sort,
 * same order) after checking that it is non-empty and finite.
 * @throws RangeError naming the first non-finite value
 */
export function sortedSampleInPlace(x: Float64Array, name: string): Float64Array {
  if (x.length === 0) throw new RangeError(`${name} must not be empty`);
  for (let i = 0; i < x.length; i++) {
    if (x[i] - x[i] !== 0) throw new RangeError(`${name}[${i}] is ${x[i]}; samples must contain only finite numbers (no NaN/Infinity)`);
  }
  return sortFloat64InPlace(x);
}

/**
 * {@link ks2samp} on samples that are already sorted ascending, non-empty and
 * finite (as {@link sortedSample} returns them): no copy, no sort. The drift
 * checker sorts each window once and shares it between KS, PSI and summaries.
 */
export function ks2sampSorted(x: Float64Array, y: Float64Array, options: Ks2SampOptions = {}): Ks2SampResult {
  const requested = options.method ?? 'auto';
  const n1 = x.length;
  const n2 = y.length;
  const ext = ecdfExtremes(x, y);
  let d = ext.d;

  const g = gcd(n1, n2);
  const n1g = n1 / g;
  const n2g = n2 / g;
  let mode: 'exact' | 'asymp';
  let warning: string | undefined;
  if (requested === 'auto') {
    mode = Math.max(n1, n2) <= KS_MAX_AUTO_N ? 'exact' : 'asymp';
  } else if (requested === 'exact' && n1g >= INT32_MAX / n2g) {
    mode = 'asymp';
    warning = `Exact ks_2samp calculation not possible with samples sizes ${n1} and ${n2}. Switching to 'asymp'.`;
  } else {
    mode = requested;
  }

  let prob = NaN;
  if (mode === 'exact') {
    const r = attemptExact(n1, n2, g, d);
    d = r.d;
    prob = r.prob;
    if (!r.success) {
      mode = 'asymp';
      warning = 'ks_2samp: Exact calculation unsuccessful. Switching to method=asymp.';
    }
  }
  if (mode === 'asymp') {
    const m = Math.max(n1, n2);
    const n = Math.min(n1, n2);
    const en = m * n / (m + n);
    const nRound = roundHalfEven(en);
    // kstwo requires an integer n >= 1; SciPy returns NaN otherwise
    prob = nRound >= 1 ? kolmogornSf(nRound, d) : NaN;
  }
  if (!Number.isNaN(prob)) prob = Math.min(Math.max(prob, 0), 1);
  const result: Ks2SampResult = {
    statistic: d,
    pvalue: prob,
    method: mode,
    statisticLocation: ext.location,
    statisticSign: ext.sign,
  };
  return warning === undefined ? result : { ...result, warning };
}
