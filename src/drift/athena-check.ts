/**
 * The drift checks computed by a SQL engine (Athena in production, DuckDB in
 * the tests): the SQL of `athena-sql.ts` returns exact counts and the values
 * at row ranks, and this module turns them into the same result document as
 * the in-memory checker (`check.ts`), with the same floating-point steps in the
 * same order: numpy-linear quantile edges, point-mass buckets, PSI, the
 * chi-square test, the KS p-value from D and the window sizes, and the
 * corrected verdicts. Identical to the in-memory result: every statistic, p-value,
 * bucket and count. Computed by the engine and equal only to rounding: the
 * summaries' mean and standard deviation (the engine's AVG / STDDEV_POP).
 *
 * Engine-agnostic: the engine is a {@link SqlRunner}. Labels (concept drift)
 * and attribution drift are not computed here (the config rejects them with
 * the Athena engine).
 */
import { adjustPValues, kolmogornSf, ks2samp, KS_MAX_AUTO_N, linspace01, psiVerdict, roundHalfEven } from '../stats';
import type { PsiBucket } from '../stats';
import type { DriftCheckResult, FeatureResult, NumericFeatureResult, NumericSummary, PlotHistogram } from './check';
import { bucketLabel, checkCategoricalFeature, checkVerdict, DRIFT_RESULT_VERSION, MAX_DISCRETE_PLOT_BINS, NUMERIC_PLOT_BINS, psiReason } from './check';
import type { ResolvedCategoricalFeature, ResolvedDriftCheckConfig, ResolvedNumericFeature } from './config';
import { DriftDataError } from './errors';
import type { FeatureVerdict, VerdictInput } from './verdict';
import { decideFeature, psiBucketCount, sampleSizeCheck, verdictReasons } from './verdict';
import type { SqlBuckets, SqlHistogramBins, SqlRelation } from './athena-sql';
import { bucketCountsSql, categoryCountsSql, numericProfileSql, rankValuesSql } from './athena-sql';

/** One result cell as the engine prints it (Athena returns every value as text); null for SQL NULL. */
export type SqlCell = string | null;

/** Runs one query and returns its rows (without a header row), cells in the SELECT's column order. */
export interface SqlRunner {
  /**
   * @param sql the query
   * @param purpose what the query is for, for progress and error messages
   */
  query(sql: string, purpose: string): Promise<ReadonlyArray<ReadonlyArray<SqlCell>>>;
}

/** The two windows as relations of the engine. */
export interface SqlWindows {
  /** Reference window, e.g. `"AwsDataCatalog"."ml"."churn_train"`. */
  readonly reference: SqlRelation;
  /** Current window. */
  readonly current: SqlRelation;
}

const PSI_FLOOR = 0.0001;
const MIN_EXPECTED = 5;

function num(cell: SqlCell | undefined, what: string): number {
  const v = cell === null || cell === undefined ? NaN : Number(cell);
  if (!Number.isFinite(v)) throw new DriftDataError(`${what}: the engine returned ${String(cell)}, expected a finite number (NaN/Infinity in the data?)`);
  return v;
}

/** The 0-based ranks numpy's linear quantile q of n sorted values reads. */
function quantileRanks(n: number, q: number): number[] {
  const vi = (n - 1) * q;
  if (vi >= n - 1) return [n - 1];
  const prev = Math.floor(vi);
  return [prev, prev + 1];
}

/** numpy's linear quantile from the values at ranks: the arithmetic of `quantilesLinear` in `psi.ts`. */
function quantileAt(n: number, q: number, at: (rank: number) => number): number {
  const vi = (n - 1) * q;
  if (vi >= n - 1) return at(n - 1);
  const prev = Math.floor(vi);
  const gamma = vi - prev;
  const a = at(prev);
  const b = at(prev + 1);
  const diff = b - a;
  return gamma >= 0.5 ? b - diff * (1 - gamma) : a + diff * gamma;
}

function uniqueEdges(values: readonly number[]): number[] {
  const edges: number[] = [];
  for (const e of [...values].sort((x, y) => x - y)) if (edges.length === 0 || e !== edges[edges.length - 1]) edges.push(e === 0 ? 0 : e);
  return edges;
}

function psiSum(expected: readonly number[], actual: readonly number[], n1: number, n2: number): { psi: number; e: number[]; a: number[] } {
  const e = expected.map((c) => (c === 0 ? PSI_FLOOR : c / n1));
  const a = actual.map((c) => (c === 0 ? PSI_FLOOR : c / n2));
  let s = 0;
  for (let i = 0; i < e.length; i++) s += (a[i] - e[i]) * Math.log(a[i] / e[i]);
  return { psi: s, e, a };
}

/**
 * `ks2samp(method 'auto')`'s statistic and p-value from D and the sizes. The
 * exact method depends on D only through h = round(D lcm(n1, n2)): it runs on
 * two two-valued samples with the same h (so the existing code computes it);
 * the asymptotic one is `kstwo.sf(D, round(n1 n2 / (n1 + n2)))` as in `ks.ts`.
 */
export function ksFromStatistic(d: number, n1: number, n2: number): { statistic: number; pvalue: number; method: 'exact' | 'asymp' } {
  if (Math.max(n1, n2) > KS_MAX_AUTO_N) {
    const m = Math.max(n1, n2);
    const n = Math.min(n1, n2);
    const nRound = roundHalfEven(m * n / (m + n));
    const p = nRound >= 1 ? kolmogornSf(nRound, d) : NaN;
    return { statistic: d, pvalue: Number.isNaN(p) ? p : Math.min(Math.max(p, 0), 1), method: 'asymp' };
  }
  let g = n1;
  for (let y = n2; y !== 0;) [g, y] = [y, g % y];
  const n1g = n1 / g;
  const n2g = n2 / g;
  const h = roundHalfEven(d * n1g * n2);
  // i n2g - j n1g = h with 0 <= i <= n1, 0 <= j <= n2: then i/n1 - j/n2 = h / lcm
  for (let j = 0; j <= n2; j++) {
    const i = (h + j * n1g) / n2g;
    if (Number.isInteger(i) && i <= n1) {
      const a = Array.from({ length: n1 }, (_, k) => (k < i ? 0 : 1));
      const b = Array.from({ length: n2 }, (_, k) => (k < j ? 0 : 1));
      const r = ks2samp(a, b, { method: 'auto' });
      return { statistic: r.statistic, pvalue: r.pvalue, method: r.method };
    }
  }
  throw new DriftDataError(`internal: no lattice point for D = ${d} with sizes ${n1} and ${n2}`);
}

/** The profile query's answer. */
interface Profile {
  readonly n1: number;
  readonly n2: number;
  readonly distinct: number;
  readonly d: number;
  readonly fractional: number;
  readonly ref: { mean: number; std: number; min: number; max: number };
  readonly cur: { mean: number; std: number; min: number; max: number };
  /** Distinct values with their counts, ascending (all of them when few, else the point-mass candidates). */
  readonly values: ReadonlyArray<{ x: number; ca: number; cb: number }>;
}

async function profile(runner: SqlRunner, w: SqlWindows, f: ResolvedNumericFeature): Promise<Profile> {
  const listAtMost = f.discreteMaxValues;
  const rows = await runner.query(numericProfileSql(w.reference, w.current, f.name, listAtMost, Math.max(2, f.psiBuckets)), `profile of '${f.name}'`);
  const total = rows.find((r) => r[0] === 'total');
  const what = `feature '${f.name}'`;
  if (total === undefined) throw new DriftDataError(`${what}: the profile query returned no total row`);
  const nulls = [num(total[9] ?? '0', what), num(total[10] ?? '0', what)];
  nulls.forEach((n, i) => {
    if (n > 0) throw new DriftDataError(`${i === 0 ? 'reference' : 'current'} data: column '${f.name}': ${n} missing values (NULL)`);
  });
  if (total[4] === null || num(total[4], what) === 0) throw new DriftDataError('reference data: the window is empty (no data rows)');
  if (total[5] === null || num(total[5], what) === 0) throw new DriftDataError('current data: the window is empty (no data rows)');
  const [n1, n2, distinct, dmax, dmin] = [4, 5, 6, 7, 8].map((i) => num(total[i], what));
  const minS = Math.min(Math.max(-dmin, 0), 1);
  const summary = (o: number): Profile['ref'] => ({ mean: num(total[o], what), std: num(total[o + 1], what), min: num(total[o + 2], what), max: num(total[o + 3], what) });
  const values = rows.filter((r) => r[0] === 'value').map((r) => ({ x: num(r[1], what), ca: num(r[2], what), cb: num(r[3], what) })).sort((a, b) => a.x - b.x);
  return { n1, n2, distinct, d: minS > dmax ? minS : dmax, fractional: num(total[19], what), ref: summary(11), cur: summary(15), values };
}

/** How the PSI buckets of a numeric feature are laid out once the ranks are known. */
interface PsiLayout {
  readonly method: 'quantiles' | 'point-masses';
  readonly sql: SqlBuckets;
  /** Display order: the bucket and the SQL bucket id. */
  readonly order: ReadonlyArray<{ b: PsiBucket; id: number }>;
  readonly edges?: number[];
}

/** The ranks to fetch for the PSI edges: all reference values, and the values other than the point masses. */
interface PsiPlan {
  readonly buckets: number;
  readonly plainRanks: number[];
  readonly masses: number[];
  readonly rest: number;
  readonly restK: number;
  readonly restRanks: number[];
}

function psiPlan(p: Profile, f: ResolvedNumericFeature): PsiPlan {
  const buckets = Math.max(2, psiBucketCount(f.psiBuckets, p.n1, p.n2));
  const plainRanks = linspace01(buckets).flatMap((q) => quantileRanks(p.n1, q));
  const masses = p.values.filter((v) => v.ca / p.n1 >= 1 / buckets).map((v) => (v.x === 0 ? 0 : v.x));
  const rest = p.n1 - p.values.filter((v) => v.ca / p.n1 >= 1 / buckets).reduce((s, v) => s + v.ca, 0);
  const restShare = rest / p.n1;
  const byExpected = Math.min(Math.floor(rest / MIN_EXPECTED), Math.floor((p.n2 * restShare) / MIN_EXPECTED));
  const restK = rest === 0 ? 0 : Math.max(1, Math.min(buckets - masses.length, byExpected));
  const restRanks = masses.length > 0 && restK > 1 ? linspace01(restK).flatMap((q) => quantileRanks(rest, q)) : [];
  return { buckets, plainRanks, masses, rest, restK, restRanks };
}

/** `psiNumericPointMasses`'s bucket layout from the values at the planned ranks. */
function psiLayout(plan: PsiPlan, n1: number, refAt: (r: number) => number, restAt: (r: number) => number): PsiLayout {
  const edges = uniqueEdges(linspace01(plan.buckets).map((q) => quantileAt(n1, q, refAt)));
  if (edges.length === plan.buckets + 1 || plan.masses.length === 0) {
    if (edges.length === 1) {
      const e = edges[0];
      const order = [{ b: { kind: 'range', low: null, high: e }, id: 0 }, { b: { kind: 'point', low: e, high: e }, id: 2 }, { b: { kind: 'range', low: e, high: null }, id: 1 }] as const;
      return { method: 'quantiles', sql: { interior: [e], points: [e] }, order, edges };
    }
    const order = edges.slice(0, -1).map((_, i): { b: PsiBucket; id: number } => ({ b: { kind: 'range', low: i === 0 ? null : edges[i], high: i === edges.length - 2 ? null : edges[i + 1] }, id: i }));
    return { method: 'quantiles', sql: { interior: edges.slice(1, -1), points: [] }, order, edges };
  }
  const restEdges = plan.restK > 1 ? uniqueEdges(linspace01(plan.restK).map((q) => quantileAt(plan.rest, q, restAt))) : [];
  const interior = restEdges.slice(1, -1);
  const nRanges = plan.rest === 0 ? 0 : interior.length + 1;
  const ranges = Array.from({ length: nRanges }, (_, i): { b: PsiBucket; id: number } => ({ b: { kind: 'range', low: i === 0 ? null : interior[i - 1], high: i === nRanges - 1 ? null : interior[i] }, id: i }));
  const points = plan.masses.map((v, j): { b: PsiBucket; id: number } => ({ b: { kind: 'point', low: v, high: v }, id: interior.length + 1 + j }));
  const pos = (b: PsiBucket): number => b.low ?? -Infinity;
  const order = [...ranges, ...points].sort((x, y) => pos(x.b) - pos(y.b) || (x.b.kind === 'point' ? -1 : 1));
  return { method: 'point-masses', sql: { interior, points: plan.masses }, order };
}

/** The plot histogram's bins (as `plotHistogram` in `check.ts`), or the whole histogram when there is a single bin. */
function plotBins(p: Profile, refAt: (r: number) => number, curAt: (r: number) => number): SqlHistogramBins | PlotHistogram {
  const min = Math.min(p.ref.min, p.cur.min);
  const max = Math.max(p.ref.max, p.cur.max);
  if (max - min < MAX_DISCRETE_PLOT_BINS && p.fractional === 0) return { kind: 'integer', lo: min };
  const [r0, r1] = [0.001, 0.999].map((q) => quantileAt(p.n1, q, refAt));
  const [c0, c1] = [0.001, 0.999].map((q) => quantileAt(p.n2, q, curAt));
  let lo = Math.min(r0, c0);
  let hi = Math.max(r1, c1);
  if (!(hi > lo)) {
    lo = min;
    hi = max;
  }
  if (!(hi > lo)) return { edges: [lo, hi], reference: [p.n1], current: [p.n2], openLow: false, openHigh: false, discrete: false };
  return { kind: 'width', lo, hi, width: (hi - lo) / NUMERIC_PLOT_BINS, bins: NUMERIC_PLOT_BINS };
}

function histogramOf(p: Profile, bins: SqlHistogramBins, counts: ReadonlyMap<number, { ca: number; cb: number }>): PlotHistogram {
  const min = Math.min(p.ref.min, p.cur.min);
  const max = Math.max(p.ref.max, p.cur.max);
  const k = bins.kind === 'integer' ? max - min + 1 : bins.bins;
  const reference = Array.from({ length: k }, (_, i) => counts.get(i)?.ca ?? 0);
  const current = Array.from({ length: k }, (_, i) => counts.get(i)?.cb ?? 0);
  if (bins.kind === 'integer') {
    return { edges: Array.from({ length: k + 1 }, (_, i) => min - 0.5 + i), reference, current, openLow: false, openHigh: false, discrete: true };
  }
  const edges = Array.from({ length: k + 1 }, (_, i) => (i === k ? bins.hi : bins.lo + i * bins.width));
  return { edges, reference, current, openLow: min < bins.lo, openHigh: max > bins.hi, discrete: false };
}

/** A feature's result before the p-values of the check are corrected together. */
interface SqlDraft {
  readonly result: FeatureResult;
  readonly input: VerdictInput;
  readonly psiText: string;
}

function inputOf(v: FeatureVerdict): VerdictInput {
  const { measure, value, floor, psiSignificant } = v.effect;
  return { test: v.test, pvalue: v.pvalue, alpha: v.alpha, effect: { measure, value, floor, psiSignificant }, sampleSize: v.sampleSize };
}

/** Value at a rank of one window from the listed distinct values (all of them are listed when there are few). */
function rankLookup(values: Profile['values'], side: 'ca' | 'cb'): (rank: number) => number {
  return (rank) => {
    let hi = 0;
    for (const v of values) {
      hi += v[side];
      if (rank < hi) return v.x;
    }
    throw new DriftDataError(`internal: rank ${rank} is past the listed values`);
  };
}

function summaryOf(n: number, s: Profile['ref'], at: (rank: number) => number): NumericSummary {
  return { count: n, mean: s.mean, std: s.std, min: s.min, median: quantileAt(n, 0.5, at), max: s.max };
}

function ksResultOf(p: Profile, f: ResolvedNumericFeature): NumericFeatureResult['ks'] {
  const ks = ksFromStatistic(p.d, p.n1, p.n2);
  return { statistic: ks.statistic, pvalue: ks.pvalue, method: ks.method, alpha: f.ksAlpha, drift: ks.pvalue < f.ksAlpha };
}

/** A numeric feature with at most discreteMaxValues distinct values: chi-square and PSI per value, all from the listed values. */
function discreteDraft(f: ResolvedNumericFeature, p: Profile, power: number): SqlDraft {
  const key = (x: number): string => String(x === 0 ? 0 : x);
  const refCounts = new Map(p.values.filter((v) => v.ca > 0).map((v) => [key(v.x), v.ca]));
  const curCounts = new Map(p.values.filter((v) => v.cb > 0).map((v) => [key(v.x), v.cb]));
  const asCategorical: ResolvedCategoricalFeature = { name: f.name, type: 'categorical', psiThresholds: f.psiThresholds, chi2Alpha: f.ksAlpha, minEffect: f.minEffect };
  const c = checkCategoricalFeature(asCategorical, refCounts, curCounts, { power });
  const refAt = rankLookup(p.values, 'ca');
  const curAt = rankLookup(p.values, 'cb');
  const bins = plotBins(p, refAt, curAt);
  let histogram: PlotHistogram;
  if ('kind' in bins) {
    const counts = new Map<number, { ca: number; cb: number }>();
    for (const v of p.values) {
      const i = bins.kind === 'integer' ? v.x - bins.lo : Math.min(Math.max(Math.floor((v.x - bins.lo) / bins.width), 0), bins.bins - 1);
      const prev = counts.get(i) ?? { ca: 0, cb: 0 };
      counts.set(i, { ca: prev.ca + v.ca, cb: prev.cb + v.cb });
    }
    histogram = histogramOf(p, bins, counts);
  } else {
    histogram = bins;
  }
  const result: NumericFeatureResult = {
    name: f.name, type: 'numeric', comparedAs: 'categories', drift: false, verdict: c.verdict, reasons: [],
    ks: ksResultOf(p, f), chi2: c.chi2, categories: c.categories,
    psi: {
      ...c.psi,
      buckets: {
        method: 'categories', requested: f.psiBuckets, labels: c.categories.map((s) => `= ${s.category}`),
        referenceCounts: c.categories.map((s) => s.referenceCount), currentCounts: c.categories.map((s) => s.currentCount),
      },
    },
    summary: { reference: summaryOf(p.n1, p.ref, refAt), current: summaryOf(p.n2, p.cur, curAt) },
    histogram,
  };
  return { result, input: inputOf(c.verdict), psiText: psiReason(c.psi.value, c.psi.verdict, c.psi.thresholds, c.psi.reliable) };
}

function countMap(rows: ReadonlyArray<ReadonlyArray<SqlCell>>, kind: string, what: string): Map<number, { ca: number; cb: number }> {
  return new Map(rows.filter((r) => r[0] === kind).map((r) => [num(r[1], what), { ca: num(r[2], what), cb: num(r[3], what) }]));
}

/** A numeric feature compared as a distribution: KS from the profile, PSI edges and plot range from ranks, then the bucket counts. */
async function numericDraft(runner: SqlRunner, w: SqlWindows, f: ResolvedNumericFeature, power: number): Promise<SqlDraft> {
  const p = await profile(runner, w, f);
  if (f.discreteMaxValues > 0 && p.distinct <= f.discreteMaxValues) return discreteDraft(f, p, power);
  const what = `feature '${f.name}'`;
  const plan = psiPlan(p, f);
  const plotRanks = (n: number): number[] => [0.001, 0.5, 0.999].flatMap((q) => quantileRanks(n, q));
  const rankRows = await runner.query(rankValuesSql(w.reference, w.current, f.name, [
    { tag: 'ref', window: 'ref', ranks: [...plan.plainRanks, ...plotRanks(p.n1)] },
    { tag: 'rest', window: 'ref', ranks: plan.restRanks, exclude: plan.masses },
    { tag: 'cur', window: 'cur', ranks: plotRanks(p.n2) },
  ]), `quantiles of '${f.name}'`);
  const lookup = (tag: string): ((rank: number) => number) => {
    const m = new Map(rankRows.filter((r) => r[0] === tag).map((r) => [num(r[1], what), num(r[2], what)]));
    return (rank) => {
      const v = m.get(rank);
      if (v === undefined) throw new DriftDataError(`internal: ${what}: the engine returned no value at rank ${rank} (${tag})`);
      return v;
    };
  };
  const [refAt, restAt, curAt] = [lookup('ref'), lookup('rest'), lookup('cur')];
  const layout = psiLayout(plan, p.n1, refAt, restAt);
  const bins = plotBins(p, refAt, curAt);
  const countRows = await runner.query(bucketCountsSql(w.reference, w.current, f.name, layout.sql, 'kind' in bins ? bins : undefined), `PSI buckets of '${f.name}'`);
  const psiCounts = countMap(countRows, 'psi', what);
  const expected = layout.order.map((o) => psiCounts.get(o.id)?.ca ?? 0);
  const actual = layout.order.map((o) => psiCounts.get(o.id)?.cb ?? 0);
  const psi = psiSum(expected, actual, p.n1, p.n2);
  const k = psiBucketCount(f.psiBuckets, p.n1, p.n2);
  const verdict = psiVerdict(psi.psi, f.psiThresholds);
  const ks = ksResultOf(p, f);
  const size = sampleSizeCheck('ks', p.n1, p.n2, f.minEffect, f.ksAlpha, power);
  const input: VerdictInput = {
    test: 'ks', pvalue: ks.pvalue, alpha: f.ksAlpha,
    effect: { measure: 'ks_statistic', value: ks.statistic, floor: f.minEffect, psiSignificant: k >= 2 && verdict === 'significant' },
    sampleSize: k >= 2 ? size : { ...size, sufficient: false },
  };
  const result: NumericFeatureResult = {
    name: f.name, type: 'numeric', comparedAs: 'distribution', drift: false, verdict: decideFeature(input, null, 'holm', 0), reasons: [], ks,
    psi: {
      value: psi.psi, verdict, thresholds: f.psiThresholds, reliable: k >= 2,
      buckets: {
        method: layout.method, requested: f.psiBuckets, labels: layout.order.map((o) => bucketLabel(o.b)),
        ...(layout.edges === undefined ? {} : { edges: layout.edges }), referenceCounts: expected, currentCounts: actual,
      },
    },
    summary: { reference: summaryOf(p.n1, p.ref, refAt), current: summaryOf(p.n2, p.cur, curAt) },
    histogram: 'kind' in bins ? histogramOf(p, bins, countMap(countRows, 'hist', what)) : bins,
  };
  return { result, input, psiText: psiReason(psi.psi, verdict, f.psiThresholds, k >= 2) };
}

async function categoricalDraft(runner: SqlRunner, w: SqlWindows, f: ResolvedCategoricalFeature, power: number): Promise<SqlDraft> {
  const rows = await runner.query(categoryCountsSql(w.reference, w.current, f.name), `categories of '${f.name}'`);
  const counts = { ref: new Map<string, number>(), cur: new Map<string, number>() };
  for (const [side, v, n] of rows) {
    const role = side === 'ref' ? 'reference' : 'current';
    if (v === null || v === undefined || v === '') throw new DriftDataError(`${role} data: column '${f.name}': ${String(n)} missing values (${v === '' ? 'empty' : 'NULL'})`);
    (side === 'ref' ? counts.ref : counts.cur).set(v, num(n, `feature '${f.name}'`));
  }
  if (counts.ref.size === 0) throw new DriftDataError('reference data: the window is empty (no data rows)');
  if (counts.cur.size === 0) throw new DriftDataError('current data: the window is empty (no data rows)');
  const c = checkCategoricalFeature(f, counts.ref, counts.cur, { power });
  return { result: c, input: inputOf(c.verdict), psiText: psiReason(c.psi.value, c.psi.verdict, c.psi.thresholds, c.psi.reliable) };
}

/**
 * Runs every configured feature check on the engine (one feature after the
 * other; 1 query for a categorical feature, 1 to 3 for a numeric one) and
 * corrects the p-values together as `computeDrift` does.
 * @param now run time, recorded in the result
 */
export async function computeDriftWithSql(config: ResolvedDriftCheckConfig, runner: SqlRunner, windows: SqlWindows, now: Date): Promise<DriftCheckResult> {
  if (config.labels !== undefined || config.attribution !== undefined) {
    throw new DriftDataError('labels (concept drift) and attribution drift are not computed by a SQL engine');
  }
  const power = config.verdict.power;
  const drafts: SqlDraft[] = [];
  for (const f of config.features) {
    drafts.push(f.type === 'numeric' ? await numericDraft(runner, windows, f, power) : await categoricalDraft(runner, windows, f, power));
  }
  const family = drafts.map((d, i) => ({ d, i })).filter(({ d }) => d.input.sampleSize.sufficient);
  const adjusted = adjustPValues(family.map(({ d }) => (Number.isNaN(d.input.pvalue) ? 1 : d.input.pvalue)), config.verdict.correction);
  const byIndex = new Map(family.map(({ i }, j) => [i, adjusted[j]]));
  const features = drafts.map((d, i): FeatureResult => {
    const verdict = decideFeature(d.input, byIndex.get(i) ?? null, config.verdict.correction, family.length);
    return { ...d.result, drift: verdict.status === 'drift', verdict, reasons: [...verdictReasons(verdict, power), d.psiText] };
  });
  const verdict = checkVerdict(config, features);
  const driftedFeatures = features.filter((f) => f.drift).map((f) => f.name);
  const insufficientFeatures = features.filter((f) => f.verdict.status === 'insufficient_data').map((f) => f.name);
  const status = verdict.dataDrift ? 'drift' : insufficientFeatures.length > 0 ? 'insufficient_data' : 'pass';
  const rows = (d: SqlDraft | undefined, side: 'referenceRows' | 'currentRows'): number => d?.input.sampleSize[side] ?? 0;
  return {
    version: DRIFT_RESULT_VERSION, model: config.model, generatedAt: now.toISOString(), status,
    driftDetected: verdict.dataDrift, passed: status === 'pass', driftedFeatures, insufficientFeatures, verdict,
    reference: { uri: config.reference.uri, format: config.reference.format, rows: rows(drafts[0], 'referenceRows') },
    current: { uri: config.current.uri, format: config.current.format, rows: rows(drafts[0], 'currentRows') },
    features,
  };
}
