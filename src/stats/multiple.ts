/**
 * Multiple-testing corrections of a family of p-values, equal to
 * `statsmodels.stats.multitest.multipletests(p, method='holm' | 'fdr_bh')[1]`
 * (and, for Benjamini-Hochberg, `scipy.stats.false_discovery_control(p)`).
 *
 * - Holm (1979) controls the family-wise error rate: the chance of one or more
 *   false alarms among all tests is at most alpha, under any dependence.
 *   Adjusted p_(i) = max over j <= i of min(1, (m - j + 1) p_(j)), p sorted ascending.
 * - Benjamini-Hochberg (1995) controls the false discovery rate (the expected
 *   share of false alarms among the alarms) for independent or positively
 *   dependent tests. Adjusted p_(i) = min over j >= i of min(1, m p_(j) / j).
 *
 * Both return the adjusted p-values in the input order; a test is rejected
 * when its adjusted p-value is below alpha.
 */

/** The supported corrections. */
export type PValueCorrection = 'holm' | 'benjamini-hochberg';

function checkPValues(p: readonly number[]): void {
  p.forEach((v, i) => {
    if (typeof v !== 'number' || Number.isNaN(v) || v < 0 || v > 1) throw new RangeError(`p-value [${i}] must be in [0, 1], got ${String(v)}`);
  });
}

function ascendingOrder(p: readonly number[]): number[] {
  return p.map((_, i) => i).sort((a, b) => p[a] - p[b] || a - b);
}

/** Holm's step-down adjusted p-values (statsmodels `holm`). */
export function holmAdjust(p: readonly number[]): number[] {
  checkPValues(p);
  const m = p.length;
  const order = ascendingOrder(p);
  const out = new Array<number>(m);
  let running = 0;
  order.forEach((idx, rank) => {
    running = Math.max(running, Math.min(1, (m - rank) * p[idx]));
    out[idx] = running;
  });
  return out;
}

/** Benjamini-Hochberg step-up adjusted p-values (statsmodels `fdr_bh`, SciPy `false_discovery_control`). */
export function benjaminiHochbergAdjust(p: readonly number[]): number[] {
  checkPValues(p);
  const m = p.length;
  const order = ascendingOrder(p);
  const out = new Array<number>(m);
  let running = 1;
  for (let rank = m - 1; rank >= 0; rank--) {
    const idx = order[rank];
    running = Math.min(running, Math.min(1, (m * p[idx]) / (rank + 1)));
    out[idx] = running;
  }
  return out;
}

/** Adjusted p-values by the named correction. */
export function adjustPValues(p: readonly number[], correction: PValueCorrection): number[] {
  return correction === 'holm' ? holmAdjust(p) : benjaminiHochbergAdjust(p);
}
