/**
 * Population Stability Index (PSI) for numeric and categorical features.
 *
 * PSI = sum over buckets of (a - e) * ln(a / e), where e and a are the shares of the
 * reference ("expected") and current ("actual") data in each bucket. Empty-bucket shares are
 * replaced by a floor (default 0.0001, like `np.where(x == 0, 0.0001, x)`) so the logarithm
 * stays finite; shares are not renormalised afterwards.
 */

import { sortedFloat64 } from './sort';
import { assertOpenUnit } from './special';

/** Options for {@link psiNumeric}. */
export interface PsiNumericOptions {
  /** Number of quantile buckets (default 10, i.e. deciles of the reference). */
  readonly buckets?: number;
  /** Share used in place of an empty bucket's 0 (default 0.0001). */
  readonly floor?: number;
}

/** Options for {@link psiCategorical}. */
export interface PsiCategoricalOptions {
  /** Share used in place of an empty category's 0 (default 0.0001). */
  readonly floor?: number;
}

/** Result of {@link psiNumeric}. */
export interface PsiNumericResult {
  readonly psi: number;
  /** Unique bucket edges: the reference quantiles, duplicates collapsed (length = buckets + 1 at most). */
  readonly edges: number[];
  /** Reference share per bucket, after flooring. */
  readonly expectedShares: number[];
  /** Current share per bucket, after flooring. */
  readonly actualShares: number[];
  /** Raw counts per bucket. */
  readonly counts: { readonly expected: number[]; readonly actual: number[] };
}

/** Result of {@link psiCategorical}. */
export interface PsiCategoricalResult {
  readonly psi: number;
  /** Union of the categories, sorted (JavaScript default string order). */
  readonly categories: string[];
  readonly expectedShares: number[];
  readonly actualShares: number[];
  readonly counts: { readonly expected: number[]; readonly actual: number[] };
}

/** Category counts: a Map or a plain record from category to count. */
export type CategoryCounts = ReadonlyMap<string, number> | Readonly<Record<string, number>>;

/** Drift verdict thresholds. */
export interface PsiThresholds {
  /** PSI at or above this is at least a small shift (default 0.1). */
  readonly small?: number;
  /** PSI at or above this is a significant shift (default 0.2). */
  readonly significant?: number;
}

/** Verdict for a PSI value. */
export type PsiVerdict = 'none' | 'small' | 'significant';

const DEFAULT_FLOOR = 0.0001;

function checkSample(x: Float64Array | readonly number[], name: string): void {
  if (x === null || x === undefined || typeof x.length !== 'number') throw new TypeError(`${name} must be an array of numbers`);
  if (x.length === 0) throw new RangeError(`${name} must not be empty`);
  for (let i = 0; i < x.length; i++) {
    if (!Number.isFinite(x[i])) throw new RangeError(`${name}[${i}] is ${x[i]}; values must be finite numbers`);
  }
}

function checkFloor(floor: number): void {
  assertOpenUnit(floor, 'floor');
}

/**
 * `numpy.quantile(sorted, qs)` with the default method 'linear' (Hyndman & Fan type 7),
 * reproducing numpy's arithmetic exactly: virtual index (n-1)*q, and the two-sided lerp
 * `a + (b-a)*g` for g < 0.5, `b - (b-a)*(1-g)` otherwise.
 */
export function quantilesLinear(sorted: Float64Array, qs: readonly number[]): number[] {
  const n = sorted.length;
  if (n === 0) throw new RangeError('quantilesLinear: empty sample');
  return qs.map((q) => {
    if (!(q >= 0 && q <= 1)) throw new RangeError(`quantile must be in [0, 1], got ${q}`);
    const vi = (n - 1) * q;
    if (vi >= n - 1) return sorted[n - 1];
    const prev = Math.floor(vi);
    const gamma = vi - prev;
    const a = sorted[prev];
    const b = sorted[prev + 1];
    const diff = b - a;
    return gamma >= 0.5 ? b - diff * (1 - gamma) : a + diff * gamma;
  });
}

/** `numpy.linspace(0, 1, k + 1)`: i * (1/k), last point exactly 1 (the PSI quantile levels). */
export function linspace01(k: number): number[] {
  const step = 1.0 / k;
  const out: number[] = [];
  for (let i = 0; i <= k; i++) out.push(i * step + 0.0);
  out[k] = 1.0;
  return out;
}

/** Number of elements of `arr[lo..hi)` that are <= v (arr sorted ascending). */
function upperBound(arr: readonly number[], v: number, lo: number, hi: number): number {
  let l = lo;
  let h = hi;
  while (l < h) {
    const mid = (l + h) >>> 1;
    if (arr[mid] <= v) l = mid + 1;
    else h = mid;
  }
  return l - lo;
}

function shares(counts: readonly number[], total: number, floor: number): number[] {
  return counts.map((c) => (c === 0 ? floor : c / total));
}

function psiSum(e: readonly number[], a: readonly number[]): number {
  let s = 0;
  for (let i = 0; i < e.length; i++) s += (a[i] - e[i]) * Math.log(a[i] / e[i]);
  return s;
}

/**
 * PSI of a numeric feature with quantile buckets of the reference distribution.
 *
 * Edges are `np.quantile(reference, np.linspace(0, 1, buckets + 1))` (numpy's default linear
 * interpolation), with duplicate edges collapsed (`np.unique`). With k + 1 unique edges
 * e0 < e1 < ... < ek there are k buckets, all left-closed / right-open, and the OUTER buckets
 * are OPEN-ENDED:
 *
 *     (-inf, e1), [e1, e2), ..., [e(k-2), e(k-1)), [e(k-1), +inf)
 *
 * For values inside [e0, ek] this is exactly numpy.histogram's rule (left-closed bins, the
 * last bin also containing ek), i.e. the counts equal
 * `np.histogram(np.clip(x, e0, ek), edges)[0]`. The guide's version,
 * `np.histogram(actual, breakpoints)`, instead silently drops current values below the
 * reference minimum or above its maximum, so a feature drifting out of the training range
 * shows *less* drift (the dropped mass vanishes and the remaining shares no longer sum to 1);
 * here every current value is counted. A constant reference (a single unique edge e) uses
 * three buckets (-inf, e), [e, e], (e, +inf).
 *
 * Shares are count / n, a zero share is replaced by `floor`, and
 * PSI = sum((actual - expected) * ln(actual / expected)).
 */
export function psiNumeric(
  reference: Float64Array | readonly number[],
  current: Float64Array | readonly number[],
  options: PsiNumericOptions = {},
): PsiNumericResult {
  const buckets = options.buckets ?? 10;
  const floor = options.floor ?? DEFAULT_FLOOR;
  if (!Number.isInteger(buckets) || buckets < 1) throw new RangeError(`buckets must be a positive integer, got ${buckets}`);
  checkFloor(floor);
  checkSample(reference, 'reference');
  checkSample(current, 'current');

  return psiNumericSorted(sortedFloat64(reference), sortedFloat64(current), { buckets, floor });
}

/** Number of elements of the sorted `arr` that are < v. */
function countBelow(arr: Float64Array, v: number): number {
  let l = 0;
  let h = arr.length;
  while (l < h) {
    const mid = (l + h) >>> 1;
    if (arr[mid] < v) l = mid + 1;
    else h = mid;
  }
  return l;
}

/** Number of elements of the sorted `arr` that are <= v. */
function countAtMost(arr: Float64Array, v: number): number {
  let l = 0;
  let h = arr.length;
  while (l < h) {
    const mid = (l + h) >>> 1;
    if (arr[mid] <= v) l = mid + 1;
    else h = mid;
  }
  return l;
}

/**
 * Counts of a sorted sample in the buckets (-inf, c0), [c0, c1), ..., [c(k-1), +inf)
 * of ascending cuts: k + 1 binary searches instead of one per value.
 */
function countBetweenCuts(sorted: Float64Array, cuts: readonly number[]): number[] {
  const out: number[] = [];
  let prev = 0;
  for (const c of cuts) {
    const at = countBelow(sorted, c);
    out.push(at - prev);
    prev = at;
  }
  out.push(sorted.length - prev);
  return out;
}

/**
 * {@link psiNumeric} on samples that are already sorted ascending, non-empty
 * and finite (not checked): bucket counts by binary search on the sorted
 * samples, identical to counting value by value.
 */
export function psiNumericSorted(sorted: Float64Array, current: Float64Array, options: PsiNumericOptions = {}): PsiNumericResult {
  const buckets = options.buckets ?? 10;
  const floor = options.floor ?? DEFAULT_FLOOR;
  const raw = quantilesLinear(sorted, linspace01(buckets));
  const edges: number[] = [];
  for (const e of [...raw].sort((x, y) => x - y)) {
    if (edges.length === 0 || e !== edges[edges.length - 1]) edges.push(e === 0 ? 0 : e); // -0 -> 0 like np.unique
  }
  // bucket index = number of interior edges e1..e(k-1) that are <= v; a constant reference: (-inf, e), [e, e], (e, +inf)
  const count = (s: Float64Array): number[] => (edges.length === 1
    ? [countBelow(s, edges[0]), countAtMost(s, edges[0]) - countBelow(s, edges[0]), s.length - countAtMost(s, edges[0])]
    : countBetweenCuts(s, edges.slice(1, -1)));
  const expectedCounts = count(sorted);
  const actualCounts = count(current);
  const expectedShares = shares(expectedCounts, sorted.length, floor);
  const actualShares = shares(actualCounts, current.length, floor);
  return {
    psi: psiSum(expectedShares, actualShares),
    edges,
    expectedShares,
    actualShares,
    counts: { expected: expectedCounts, actual: actualCounts },
  };
}

function isCountMap(counts: CategoryCounts): counts is ReadonlyMap<string, number> {
  return counts instanceof Map;
}

/** Reads category counts from a Map or record, validating them. */
export function categoryCountsToMap(counts: CategoryCounts, name: string): Map<string, number> {
  if (counts === null || typeof counts !== 'object') throw new TypeError(`${name} must be a Map or a record of counts`);
  const entries: Array<[string, number]> = isCountMap(counts) ? Array.from(counts.entries()) : Object.entries(counts);
  const out = new Map<string, number>();
  for (const [k, v] of entries) {
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
      throw new RangeError(`${name}[${JSON.stringify(k)}] must be a finite non-negative count, got ${String(v)}`);
    }
    out.set(k, v);
  }
  return out;
}

/** Sorted union of the categories of two count maps. */
export function unionCategories(a: ReadonlyMap<string, number>, b: ReadonlyMap<string, number>): string[] {
  return Array.from(new Set([...a.keys(), ...b.keys()])).sort();
}

/**
 * PSI of a categorical feature over the union of the reference and current categories
 * (a category never seen in the reference gets expected share `floor`, and vice versa).
 */
export function psiCategorical(
  referenceCounts: CategoryCounts,
  currentCounts: CategoryCounts,
  options: PsiCategoricalOptions = {},
): PsiCategoricalResult {
  const floor = options.floor ?? DEFAULT_FLOOR;
  checkFloor(floor);
  const ref = categoryCountsToMap(referenceCounts, 'referenceCounts');
  const cur = categoryCountsToMap(currentCounts, 'currentCounts');
  const categories = unionCategories(ref, cur);
  const expected = categories.map((c) => ref.get(c) ?? 0);
  const actual = categories.map((c) => cur.get(c) ?? 0);
  const refTotal = expected.reduce((s, v) => s + v, 0);
  const curTotal = actual.reduce((s, v) => s + v, 0);
  if (!(refTotal > 0)) throw new RangeError('referenceCounts must contain at least one positive count');
  if (!(curTotal > 0)) throw new RangeError('currentCounts must contain at least one positive count');
  const expectedShares = shares(expected, refTotal, floor);
  const actualShares = shares(actual, curTotal, floor);
  return {
    psi: psiSum(expectedShares, actualShares),
    categories,
    expectedShares,
    actualShares,
    counts: { expected, actual },
  };
}

/**
 * Classifies a PSI value: below `small` (0.1) 'none', below `significant` (0.2) 'small',
 * otherwise 'significant'.
 */
export function psiVerdict(psi: number, thresholds: PsiThresholds = {}): PsiVerdict {
  const small = thresholds.small ?? 0.1;
  const significant = thresholds.significant ?? 0.2;
  if (Number.isNaN(psi) || psi < 0) throw new RangeError(`psi must be a non-negative number, got ${psi}`);
  if (!(small >= 0 && significant >= small)) throw new RangeError('thresholds must satisfy 0 <= small <= significant');
  if (psi < small) return 'none';
  if (psi < significant) return 'small';
  return 'significant';
}

/** One bucket of {@link psiNumericPointMasses}: a point mass {value} or a range of the other values. */
export interface PsiBucket {
  /** 'point': exactly `low` (= `high`); 'range': values in [low, high) that are not a point mass (null = unbounded). */
  readonly kind: 'point' | 'range';
  /** Lower edge (inclusive); null for -infinity. */
  readonly low: number | null;
  /** Upper edge (exclusive; equal to `low` for a point); null for +infinity. */
  readonly high: number | null;
}

/** Options for {@link psiNumericPointMasses}. */
export interface PsiPointMassOptions {
  /** Requested number of buckets (default 10). */
  readonly buckets?: number;
  /** Share used in place of an empty bucket's 0 (default 0.0001). */
  readonly floor?: number;
  /** Fewest expected rows per range bucket in either window (default 5); fewer range buckets are used to keep it. */
  readonly minExpected?: number;
}

/** Result of {@link psiNumericPointMasses}. */
export interface PsiPointMassResult {
  readonly psi: number;
  /** 'quantiles': no point mass, exactly {@link psiNumeric}; 'point-masses': every point mass has its own bucket. */
  readonly method: 'quantiles' | 'point-masses';
  /** The buckets in value order (points sorted in among the ranges by their value). */
  readonly buckets: PsiBucket[];
  /** Quantile edges when method is 'quantiles' (as {@link psiNumeric}). */
  readonly edges?: number[];
  readonly expectedShares: number[];
  readonly actualShares: number[];
  readonly counts: { readonly expected: number[]; readonly actual: number[] };
}

/** The values of a sorted sample that hold at least `minShare` of it, ascending. */
function pointMasses(sorted: Float64Array, minShare: number): number[] {
  const out: number[] = [];
  const n = sorted.length;
  let i = 0;
  while (i < n) {
    let j = i + 1;
    while (j < n && sorted[j] === sorted[i]) j++;
    if ((j - i) / n >= minShare) out.push(sorted[i] === 0 ? 0 : sorted[i]);
    i = j;
  }
  return out;
}

/**
 * PSI of a numeric feature whose reference may hold point masses (a binary
 * flag, zero-inflated amounts, a capped maximum). Reference quantile edges
 * collapse on a point mass, so {@link psiNumeric} puts the whole mass and its
 * neighbours into one bucket and cannot see the mass shrink or grow.
 *
 * A value holding at least 1/`buckets` of the reference is a point mass and
 * gets a bucket of its own. The other reference values are split into
 * quantile ranges (outer ranges open, like {@link psiNumeric}) with the
 * remaining bucket budget, reduced so that each range expects at least
 * `minExpected` rows in both windows. Without a point mass and without
 * duplicate quantile edges the result is exactly {@link psiNumeric}'s.
 */
export function psiNumericPointMasses(
  reference: Float64Array | readonly number[],
  current: Float64Array | readonly number[],
  options: PsiPointMassOptions = {},
): PsiPointMassResult {
  checkSample(reference, 'reference');
  checkSample(current, 'current');
  return psiNumericPointMassesSorted(sortedFloat64(reference), sortedFloat64(current), options);
}

/** Bucket counts of a sorted sample: point masses by value, the other values by range (interior cuts), in bucket-id order. */
function countWithMasses(s: Float64Array, interior: readonly number[], nRanges: number, masses: readonly number[]): number[] {
  const massCounts = masses.map((m) => countAtMost(s, m) - countBelow(s, m));
  const ranges = nRanges === 0 ? [] : countBetweenCuts(s, interior);
  // a range [lo, hi) holds the values in it that are not a point mass
  masses.forEach((m, j) => {
    if (nRanges > 0) ranges[upperBound(interior, m, 0, interior.length)] -= massCounts[j];
  });
  return [...ranges, ...massCounts];
}

/**
 * {@link psiNumericPointMasses} on samples that are already sorted ascending,
 * non-empty and finite (not checked), with counts by binary search.
 */
export function psiNumericPointMassesSorted(sorted: Float64Array, current: Float64Array, options: PsiPointMassOptions = {}): PsiPointMassResult {
  const buckets = options.buckets ?? 10;
  const floor = options.floor ?? DEFAULT_FLOOR;
  const minExpected = options.minExpected ?? 5;
  if (!Number.isInteger(buckets) || buckets < 1) throw new RangeError(`buckets must be a positive integer, got ${buckets}`);
  checkFloor(floor);
  const plain = psiNumericSorted(sorted, current, { buckets, floor });
  const masses = plain.edges.length === buckets + 1 ? [] : pointMasses(sorted, 1 / buckets);
  if (masses.length === 0) {
    const e = plain.edges;
    const ranges: PsiBucket[] = e.length === 1
      ? [{ kind: 'range', low: null, high: e[0] }, { kind: 'point', low: e[0], high: e[0] }, { kind: 'range', low: e[0], high: null }]
      : e.slice(0, -1).map((_, i) => ({ kind: 'range', low: i === 0 ? null : e[i], high: i === e.length - 2 ? null : e[i + 1] }));
    return { ...plain, method: 'quantiles', buckets: ranges };
  }
  const isMass = new Set(masses);
  const rest = sorted.filter((v) => !isMass.has(v));
  const restShare = rest.length / sorted.length;
  const byExpected = Math.min(Math.floor(rest.length / minExpected), Math.floor((current.length * restShare) / minExpected));
  const k = rest.length === 0 ? 0 : Math.max(1, Math.min(buckets - masses.length, byExpected));
  const restEdges: number[] = [];
  if (k > 1) {
    for (const e of quantilesLinear(rest, linspace01(k))) if (restEdges.length === 0 || e !== restEdges[restEdges.length - 1]) restEdges.push(e);
  }
  const interior = restEdges.slice(1, -1);
  // bucket ids: ranges 0..R-1 (R = interior + 1 when there are other values), then masses R..R+M-1
  const nRanges = rest.length === 0 ? 0 : interior.length + 1;
  const expected = countWithMasses(sorted, interior, nRanges, masses);
  const actual = countWithMasses(current, interior, nRanges, masses);
  const ranges: PsiBucket[] = Array.from({ length: nRanges }, (_, i) => ({ kind: 'range', low: i === 0 ? null : interior[i - 1], high: i === nRanges - 1 ? null : interior[i] }));
  const points: PsiBucket[] = masses.map((v) => ({ kind: 'point', low: v, high: v }));
  // display order: by position on the number line (a point before the range that starts at its value)
  const pos = (b: PsiBucket): number => b.low ?? -Infinity;
  const order = [...ranges.map((b, i) => ({ b, i })), ...points.map((b, i) => ({ b, i: nRanges + i }))]
    .sort((x, y) => pos(x.b) - pos(y.b) || (x.b.kind === 'point' ? -1 : 1));
  const exp = order.map((o) => expected[o.i]);
  const act = order.map((o) => actual[o.i]);
  const expectedShares = shares(exp, sorted.length, floor);
  const actualShares = shares(act, current.length, floor);
  return {
    psi: psiSum(expectedShares, actualShares),
    method: 'point-masses',
    buckets: order.map((o) => o.b),
    expectedShares,
    actualShares,
    counts: { expected: exp, actual: act },
  };
}
