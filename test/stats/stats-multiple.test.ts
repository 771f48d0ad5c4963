import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  adjustPValues, attributionNdcg, benjaminiHochbergAdjust, effectiveSampleSize, holmAdjust, ks2samp, ksCriticalValue, minimumEffectiveSampleSize,
} from '../../src/stats';
import { mulberry32, normal } from '../fixtures/drift/data';

const P = [0.01, 0.04, 0.03, 0.005, 0.2, 0.04, 0.9, 1e-300];

function close(actual: readonly number[], expected: readonly number[]): void {
  assert.equal(actual.length, expected.length);
  actual.forEach((a, i) => assert.ok(Math.abs(a - expected[i]) <= 1e-15 * Math.abs(expected[i]), `[${i}] ${a} != ${expected[i]}`));
}

describe('multiple-testing corrections', () => {
  // scipy 1.17.1: stats.false_discovery_control(P, method='bh')
  it('Benjamini-Hochberg equals scipy.stats.false_discovery_control', () => {
    close(benjaminiHochbergAdjust(P), [0.026666666666666665, 0.05333333333333333, 0.05333333333333333, 0.02, 0.22857142857142856, 0.05333333333333333, 0.9, 8e-300]);
  });

  // statsmodels multipletests(method='holm'), written out in numpy 2.4 (statsmodels is not installed):
  //   o = argsort(p, kind='mergesort'); h = minimum(1, maximum.accumulate(p[o] * arange(m, 0, -1))); out[o] = h
  it('Holm equals statsmodels multipletests(method="holm")', () => {
    close(holmAdjust(P), [0.06, 0.16, 0.15, 0.035, 0.4, 0.16, 0.9, 8e-300]);
    assert.deepEqual(adjustPValues(P, 'holm'), holmAdjust(P));
    assert.deepEqual(adjustPValues(P, 'benjamini-hochberg'), benjaminiHochbergAdjust(P));
  });

  it('one test is its own correction, and bad p-values are refused', () => {
    assert.deepEqual(holmAdjust([0.03]), [0.03]);
    assert.deepEqual(benjaminiHochbergAdjust([0.03]), [0.03]);
    assert.deepEqual(holmAdjust([]), []);
    assert.throws(() => holmAdjust([Number.NaN]), /p-value \[0\] must be in \[0, 1\]/);
    assert.throws(() => benjaminiHochbergAdjust([1.5]), /p-value \[0\] must be in \[0, 1\]/);
  });
});

describe('minimum sample sizes (power bound)', () => {
  it('uses the Kolmogorov critical value and the normal quantiles', () => {
    assert.ok(Math.abs(ksCriticalValue(0.05) - 1.3581015157406195) < 1e-12);
    assert.equal(effectiveSampleSize(1000, 1000), 500);
    assert.equal(effectiveSampleSize(0, 10), 0);
    // sqrt(n_eff) = (2 c + z_0.8) / (2 delta): (2 * 1.3581 + 0.8416) / 0.16 = 22.236 -> 494.4
    assert.equal(minimumEffectiveSampleSize('ks', 0.08, 0.05, 0.8), 495);
    // (1.96 + 0.8416) / 0.16 = 17.510 -> 306.6
    assert.equal(minimumEffectiveSampleSize('chi2', 0.08, 0.05, 0.8), 307);
    assert.throws(() => minimumEffectiveSampleSize('ks', 0, 0.05, 0.8), /effect must be in \(0, 1\]/);
  });

  it('KS at the derived size detects an effect at the floor in at least 80% of seeded runs', () => {
    // a 0.2-sd shift of a normal has D = 2 Phi(0.1) - 1 = 0.0797; the bound is conservative, so power >= 80%
    const n = 2 * minimumEffectiveSampleSize('ks', 0.0797, 0.05, 0.8);
    const rng = mulberry32(20261202);
    let hits = 0;
    const runs = 150;
    for (let r = 0; r < runs; r++) {
      const a = Float64Array.from({ length: n }, () => normal(rng));
      const b = Float64Array.from({ length: n }, () => normal(rng) + 0.2);
      if (ks2samp(a, b).pvalue < 0.05) hits++;
    }
    assert.ok(hits / runs >= 0.8, `power ${hits / runs} at n = ${n}`);
  });
});

describe('attribution NDCG (SageMaker Clarify definition)', () => {
  // hand-computed in Python: DCG = sum a(F'_i) / log2(i + 1) over the current order with baseline scores, / iDCG
  it('is 1 for the same ranking and drops when the top features swap', () => {
    assert.equal(attributionNdcg([0.5, 0.3, 0.2], [5, 3, 2]).ndcg, 1);
    const swapped = attributionNdcg([0.5, 0.3, 0.2], [0.3, 0.5, 0.2]);
    assert.ok(Math.abs(swapped.ndcg - 0.906479133234798) < 1e-14);
    assert.deepEqual(swapped.referenceRanks, [1, 2, 3]);
    assert.deepEqual(swapped.currentRanks, [2, 1, 3]);
    assert.ok(Math.abs(attributionNdcg([0.1, 0.2, 0.3, 0.4], [0.4, 0.3, 0.2, 0.1]).ndcg - 0.7489030296784172) < 1e-14);
  });

  it('is undefined (NaN) without baseline attribution and refuses bad input', () => {
    assert.ok(Number.isNaN(attributionNdcg([0, 0], [1, 2]).ndcg));
    assert.throws(() => attributionNdcg([1], [1, 2]), /same, non-zero length/);
    assert.throws(() => attributionNdcg([-1, 1], [1, 2]), /non-negative/);
  });
});
