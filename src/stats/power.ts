/**
 * Minimum sample sizes of the two-sample drift tests, from a power bound.
 *
 * Both tests compare the share of rows on one side of a split (a threshold
 * for KS, a set of categories for a 2 x 2 chi-square test). With n and m rows
 * the difference of two such shares has a variance of at most
 * 1/4 (1/n + 1/m) = 1 / (4 n_eff), where n_eff = n m / (n + m). A test that
 * rejects when the difference exceeds q / (2 sqrt(n_eff)) therefore detects
 * a true difference delta with probability at least
 *
 *     Phi(2 delta sqrt(n_eff) - q),
 *
 * so power >= `power` once sqrt(n_eff) >= (q + z_power) / (2 delta), with
 * z_power = Phi^-1(power). The critical value q is:
 *
 * - KS: 2 c_alpha, with c_alpha = sqrt(-ln(alpha / 2) / 2) the asymptotic
 *   Kolmogorov critical value (first term of the Kolmogorov series; 1.3581 at
 *   alpha = 0.05, Smirnov 1948), because D >= the share difference at any threshold.
 * - chi-square with 1 degree of freedom (a category against the rest):
 *   z_(1 - alpha/2) = 1.96 at alpha = 0.05.
 *
 * The bound uses the largest possible variance, so the real power at this
 * size is at least `power` (conservative).
 */
import { normalPpf } from './special';

/** Asymptotic two-sided Kolmogorov-Smirnov critical value c_alpha: P(sqrt(n_eff) D > c_alpha) ~= alpha. */
export function ksCriticalValue(alpha: number): number {
  if (!(alpha > 0 && alpha < 1)) throw new RangeError(`alpha must be in (0, 1), got ${alpha}`);
  return Math.sqrt(-Math.log(alpha / 2) / 2);
}

/** n m / (n + m): the effective size of two samples (n / 2 when both have n rows). */
export function effectiveSampleSize(n: number, m: number): number {
  return n > 0 && m > 0 ? (n * m) / (n + m) : 0;
}

/** Which test the size is for. */
export type PowerTest = 'ks' | 'chi2';

/**
 * Smallest effective sample size n_eff = n m / (n + m) at which `test` at
 * level `alpha` detects a difference of `effect` (KS distance or share
 * difference) with at least `power` probability (see the module comment).
 * Rows needed per window when both windows have the same size: 2 n_eff.
 */
export function minimumEffectiveSampleSize(test: PowerTest, effect: number, alpha: number, power: number): number {
  if (!(effect > 0 && effect <= 1)) throw new RangeError(`effect must be in (0, 1], got ${effect}`);
  if (!(power > 0 && power < 1)) throw new RangeError(`power must be in (0, 1), got ${power}`);
  const q = test === 'ks' ? 2 * ksCriticalValue(alpha) : normalPpf(1 - alpha / 2);
  const root = (q + normalPpf(power)) / (2 * effect);
  return Math.ceil(root * root);
}
