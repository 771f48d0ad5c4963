import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { psiNumeric, psiNumericPointMasses } from '../../src/stats';
import { mulberry32, normal } from '../fixtures/drift/data';

/** `n` amounts: 0 with probability `zeros`, otherwise lognormal (e^(3 + N(0,1))), rounded to cents. */
function zeroInflated(rng: () => number, n: number, zeros: number): Float64Array {
  return Float64Array.from({ length: n }, () => (rng() < zeros ? 0 : Math.round(Math.exp(3 + normal(rng)) * 100) / 100));
}

describe('PSI with point masses (issue 17)', () => {
  it('psiNumeric is blind to a zero-inflated shift (the defect), psiNumericPointMasses sees it', () => {
    const rng = mulberry32(17);
    const ref = zeroInflated(rng, 1000, 0.95);
    const cur = zeroInflated(rng, 1000, 0.5);
    assert.equal(psiNumeric(ref, cur).psi, 0, 'quantile edges collapse onto the zeros');
    const r = psiNumericPointMasses(ref, cur);
    assert.equal(r.method, 'point-masses');
    assert.ok(r.psi > 0.25, `PSI ${r.psi}`);
    assert.deepEqual(r.buckets[0], { kind: 'range', low: null, high: r.buckets[0].high });
    assert.ok(r.buckets.some((b) => b.kind === 'point' && b.low === 0), 'zero has its own bucket');
    assert.equal(r.counts.expected.reduce((s, v) => s + v, 0), 1000);
    assert.equal(r.counts.actual.reduce((s, v) => s + v, 0), 1000);
  });

  it('a zero-inflated 95% -> 50% shift is PSI > 0.25 and unchanged data PSI < 0.1, in every seeded run', () => {
    for (let seed = 1; seed <= 40; seed++) {
      const rng = mulberry32(seed);
      const ref = zeroInflated(rng, 1000, 0.95);
      const same = psiNumericPointMasses(ref, zeroInflated(rng, 1000, 0.95)).psi;
      const shifted = psiNumericPointMasses(ref, zeroInflated(rng, 1000, 0.5)).psi;
      assert.ok(same < 0.1, `seed ${seed}: unchanged PSI ${same}`);
      assert.ok(shifted > 0.25, `seed ${seed}: shifted PSI ${shifted}`);
    }
  });

  it('a binary flag 8% -> 60% is PSI > 0.25 (point masses at 0 and 1), unchanged < 0.1', () => {
    for (let seed = 1; seed <= 40; seed++) {
      const rng = mulberry32(seed);
      const flags = (p: number): Float64Array => Float64Array.from({ length: 1000 }, () => (rng() < p ? 1 : 0));
      const ref = flags(0.08);
      assert.ok(psiNumericPointMasses(ref, flags(0.6)).psi > 0.25);
      assert.ok(psiNumericPointMasses(ref, flags(0.08)).psi < 0.1);
    }
    const ref = Float64Array.from({ length: 100 }, (_, i) => (i < 8 ? 1 : 0));
    const cur = Float64Array.from({ length: 100 }, (_, i) => (i < 60 ? 1 : 0));
    assert.equal(psiNumeric(ref, cur).psi, 0, 'psiNumeric: the edges collapse to [0, 1], one bucket');
    assert.ok(psiNumericPointMasses(ref, cur).psi > 0.25);
  });

  it('without a point mass the result is exactly psiNumeric (bit for bit)', () => {
    const rng = mulberry32(5);
    const ref = Float64Array.from({ length: 2000 }, () => normal(rng));
    const cur = Float64Array.from({ length: 1500 }, () => normal(rng) + 0.2);
    for (const buckets of [2, 5, 10, 20]) {
      const plain = psiNumeric(ref, cur, { buckets });
      const r = psiNumericPointMasses(ref, cur, { buckets });
      assert.equal(r.method, 'quantiles');
      assert.equal(r.psi, plain.psi);
      assert.deepEqual(r.counts, plain.counts);
      assert.deepEqual(r.edges, plain.edges);
      assert.equal(r.buckets.length, buckets);
      assert.equal(r.buckets[0].low, null);
      assert.equal(r.buckets[buckets - 1].high, null);
    }
  });

  it('keeps at least 5 expected rows per range bucket', () => {
    const rng = mulberry32(9);
    const ref = zeroInflated(rng, 400, 0.9); // about 40 non-zero values: at most 8 ranges
    const r = psiNumericPointMasses(ref, zeroInflated(rng, 400, 0.9), { buckets: 20 });
    const ranges = r.buckets.filter((b) => b.kind === 'range').length;
    const nonZero = ref.filter((v) => v !== 0).length;
    assert.ok(ranges <= Math.floor(nonZero / 5), `${ranges} ranges for ${nonZero} values`);
    assert.ok(ranges >= 2);
  });
});
