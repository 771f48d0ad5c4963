/**
 * Pearson chi-square test of independence on contingency tables, numerically equivalent to
 * `scipy.stats.chi2_contingency(table, correction=...)` (SciPy 1.10), and a categorical
 * drift test built on it.
 */

import { CategoryCounts, categoryCountsToMap, unionCategories } from './psi';
import { chi2Sf, isArray } from './special';

/** Options for {@link chi2Contingency}. */
export interface Chi2ContingencyOptions {
  /** Apply Yates' continuity correction when dof == 1 (default true, as SciPy). */
  readonly correction?: boolean;
}

/** Result of {@link chi2Contingency}. */
export interface Chi2ContingencyResult {
  /** Pearson's chi-square statistic (Yates-corrected when applied). */
  readonly statistic: number;
  readonly pvalue: number;
  /** Degrees of freedom (rows - 1) * (columns - 1). */
  readonly dof: number;
  /** Expected frequencies under independence: rowSum * colSum / total. */
  readonly expected: number[][];
  /** Whether Yates' correction was applied (dof == 1 and correction requested). */
  readonly yatesApplied: boolean;
}

/** Result of {@link categoricalDrift}. */
export interface CategoricalDriftResult extends Chi2ContingencyResult {
  /** Categories (columns of the 2 x K table), sorted; categories with a zero count in both are dropped. */
  readonly categories: string[];
  /** The 2 x K table [reference; current] that was tested. */
  readonly table: number[][];
}

function validateTable(table: readonly (readonly number[])[]): void {
  if (!isArray(table) || table.length === 0) throw new RangeError('No data; the contingency table has size 0.');
  const cols = table[0]?.length;
  if (!cols) throw new RangeError('No data; the contingency table has size 0.');
  table.forEach((row, i) => {
    if (!isArray(row) || row.length !== cols) {
      throw new RangeError(`contingency table must be rectangular: row ${i} has ${isArray(row) ? row.length : 'no'} entries, expected ${cols}`);
    }
    row.forEach((v, j) => {
      if (typeof v !== 'number' || !Number.isFinite(v)) throw new RangeError(`contingency table entry (${i}, ${j}) must be a finite number, got ${String(v)}`);
      if (v < 0) throw new RangeError(`All values in the contingency table must be nonnegative; entry (${i}, ${j}) is ${v}.`);
    });
  });
}

/**
 * Chi-square test of independence for an r x c table of observed counts
 * (`scipy.stats.chi2_contingency`).
 *
 * - expected[i][j] = rowSum[i] * colSum[j] / total; a zero expected cell (an all-zero row or
 *   column) throws, like SciPy's ValueError.
 * - dof = (r - 1)(c - 1); dof == 0 (a single row or column) gives statistic 0 and p = 1.
 * - Yates' correction, only when dof == 1 and `correction` is true: each observed count moves
 *   toward its expected value by min(0.5, |expected - observed|), so it never crosses it.
 * - statistic = sum (observed - expected)^2 / expected; p = chi2.sf(statistic, dof).
 */
export function chi2Contingency(table: readonly (readonly number[])[], options: Chi2ContingencyOptions = {}): Chi2ContingencyResult {
  const correction = options.correction ?? true;
  validateTable(table);
  const r = table.length;
  const c = table[0].length;
  const rowSums = table.map((row) => row.reduce((s, v) => s + v, 0));
  const colSums = new Array<number>(c).fill(0);
  let total = 0;
  for (const row of table) {
    for (let j = 0; j < c; j++) {
      colSums[j] += row[j];
      total += row[j];
    }
  }
  const expected = table.map((_, i) => colSums.map((cs) => rowSums[i] * cs / total));
  for (let i = 0; i < r; i++) {
    for (let j = 0; j < c; j++) {
      if (expected[i][j] === 0) {
        throw new RangeError(`The internally computed table of expected frequencies has a zero element at (${i}, ${j}) (row ${i} or column ${j} sums to zero).`);
      }
    }
  }
  const dof = r * c - r - c + 1;
  if (dof === 0) return { statistic: 0, pvalue: 1, dof, expected, yatesApplied: false };
  const yatesApplied = dof === 1 && correction;
  let statistic = 0;
  for (let i = 0; i < r; i++) {
    for (let j = 0; j < c; j++) {
      const e = expected[i][j];
      let o = table[i][j];
      if (yatesApplied) {
        const diff = e - o;
        o += Math.min(0.5, Math.abs(diff)) * Math.sign(diff);
      }
      const d = o - e;
      statistic += d * d / e;
    }
  }
  return { statistic, pvalue: chi2Sf(statistic, dof), dof, expected, yatesApplied };
}

/**
 * Categorical drift test: `chi2_contingency` on the 2 x K table [reference counts; current
 * counts] over the sorted union of categories (a category missing on one side counts 0 there).
 * Categories whose count is zero on both sides are dropped (SciPy would reject the zero column).
 * Yates' correction applies only when K == 2 (dof == 1), as in SciPy.
 */
export function categoricalDrift(
  referenceCounts: CategoryCounts,
  currentCounts: CategoryCounts,
  options: Chi2ContingencyOptions = {},
): CategoricalDriftResult {
  const ref = categoryCountsToMap(referenceCounts, 'referenceCounts');
  const cur = categoryCountsToMap(currentCounts, 'currentCounts');
  const categories = unionCategories(ref, cur).filter((k) => (ref.get(k) ?? 0) + (cur.get(k) ?? 0) > 0);
  if (categories.length === 0) throw new RangeError('categoricalDrift: no category has a positive count');
  const table = [categories.map((k) => ref.get(k) ?? 0), categories.map((k) => cur.get(k) ?? 0)];
  if (!(table[0].some((v) => v > 0))) throw new RangeError('categoricalDrift: referenceCounts has no positive count');
  if (!(table[1].some((v) => v > 0))) throw new RangeError('categoricalDrift: currentCounts has no positive count');
  return { ...chi2Contingency(table, options), categories, table };
}
