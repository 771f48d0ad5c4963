import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { psiCategorical, psiNumeric, psiVerdict, quantilesLinear } from '../../src/stats';
import { sample, SampleSpec } from '../fixtures/stats/samples';

/*
 * Reference values: test/fixtures/stats/psi_reference.json, produced by
 *   /usr/bin/python3 test/fixtures/stats/gen_psi.py > test/fixtures/stats/psi_reference.json
 * (Debian numpy 1.24.2, with scipy 1.10.1 / statsmodels 0.13.5 installed). The script holds the
 * numpy definition this module implements:
 *
 *   edges = np.unique(np.quantile(ref, np.linspace(0, 1, buckets + 1)))
 *   count = lambda x: np.histogram(np.clip(x, edges[0], edges[-1]), edges)[0]   # open outer buckets
 *   e, a = count(ref) / len(ref), count(cur) / len(cur)
 *   e, a = np.where(e == 0, 0.0001, e), np.where(a == 0, 0.0001, a)
 *   psi = np.sum((a - e) * np.log(a / e))
 *
 * (a constant reference uses buckets x < e, x == e, x > e), and psi_guide(), the guide's
 * np.histogram(actual, breakpoints) variant, for comparison. Samples come from
 * fixtures/stats/samples.{py,ts} (bit-identical in both languages).
 */

interface NumericCase {
  name: string;
  reference: SampleSpec;
  current: SampleSpec;
  buckets: number;
  psi: number;
  edges: number[];
  expected_counts: number[];
  actual_counts: number[];
  expected_shares: number[];
  actual_shares: number[];
  guide_psi: number | null;
}

interface CategoricalCase {
  name: string;
  reference: Record<string, number>;
  current: Record<string, number>;
  psi: number;
  categories: string[];
}

const ref = JSON.parse(readFileSync(join(__dirname, '..', 'fixtures', 'stats', 'psi_reference.json'), 'utf8')) as {
  numeric: NumericCase[];
  categorical: CategoricalCase[];
};

const REL_TOL = 1e-9;

function relErr(actual: number, expected: number): number {
  if (actual === expected) return 0;
  return Math.abs(actual - expected) / Math.abs(expected);
}

describe('psiNumeric vs the numpy definition', () => {
  let worst = 0;
  for (const c of ref.numeric) {
    it(`${c.name} (buckets=${c.buckets})`, () => {
      const r = psiNumeric(sample(c.reference), sample(c.current), { buckets: c.buckets });
      assert.deepEqual(r.edges, c.edges, 'edges are bit-identical to np.unique(np.quantile(...))');
      assert.deepEqual(r.counts.expected, c.expected_counts);
      assert.deepEqual(r.counts.actual, c.actual_counts);
      assert.deepEqual(r.expectedShares, c.expected_shares);
      assert.deepEqual(r.actualShares, c.actual_shares);
      const e = relErr(r.psi, c.psi);
      worst = Math.max(worst, c.psi === 0 ? Math.abs(r.psi) : e);
      assert.ok(c.psi === 0 ? Math.abs(r.psi) < 1e-15 : e <= REL_TOL, `psi ${r.psi} vs ${c.psi}`);
      // every current value is counted, unlike np.histogram(actual, breakpoints)
      assert.equal(r.counts.actual.reduce((s, v) => s + v, 0), c.current.n);
    });
  }
  it('max observed error', (t) => {
    t.diagnostic(`psiNumeric max rel err ${worst.toExponential(2)}`);
  });

  it('counts out-of-range current values where the guide version drops them', () => {
    const c = ref.numeric.find((x) => x.name === 'current_out_of_range_above')!;
    // guide: np.histogram(actual, breakpoints) -> psi_guide() in gen_psi.py
    assert.ok(c.guide_psi !== null && c.guide_psi < c.psi);
    const r = psiNumeric(sample(c.reference), sample(c.current));
    assert.ok(Math.abs(r.psi - c.psi) <= REL_TOL * c.psi);
  });

  it('quantilesLinear reproduces numpy.quantile (method="linear") bit for bit', () => {
    // /usr/bin/python3 -c 'import numpy as np; print([repr(v) for v in np.quantile([0.1, 0.7, 0.2, 5.0, 3.3], np.linspace(0, 1, 11))])'
    // -> ['0.1', '0.14', '0.18000000000000002', '0.3000000000000001', '0.5', '0.7', '1.7400000000000007', '2.7800000000000007', '3.64', '4.32', '5.0']
    const sorted = Float64Array.from([0.1, 0.7, 0.2, 5.0, 3.3]).sort();
    const qs = Array.from({ length: 11 }, (_, i) => i * (1 / 10));
    qs[10] = 1;
    assert.deepEqual(quantilesLinear(sorted, qs), [0.1, 0.14, 0.18000000000000002, 0.3000000000000001, 0.5, 0.7, 1.7400000000000007, 2.7800000000000007, 3.64, 4.32, 5.0]);
  });

  it('validates its inputs', () => {
    assert.throws(() => psiNumeric([], [1]), /reference must not be empty/);
    assert.throws(() => psiNumeric([1], []), /current must not be empty/);
    assert.throws(() => psiNumeric([1, NaN], [1]), RangeError);
    assert.throws(() => psiNumeric([1, 2], [Infinity]), RangeError);
    assert.throws(() => psiNumeric([1, 2], [1], { buckets: 0 }), /buckets/);
    assert.throws(() => psiNumeric([1, 2], [1], { buckets: 2.5 }), /buckets/);
    assert.throws(() => psiNumeric([1, 2], [1], { floor: 0 }), /floor/);
  });
});

describe('psiCategorical vs the numpy definition', () => {
  for (const c of ref.categorical) {
    it(c.name, () => {
      const r = psiCategorical(c.reference, c.current);
      assert.deepEqual(r.categories, c.categories);
      assert.ok(c.psi === 0 ? Math.abs(r.psi) < 1e-15 : relErr(r.psi, c.psi) <= REL_TOL, `psi ${r.psi} vs ${c.psi}`);
      // Map input gives the same answer
      const m = psiCategorical(new Map(Object.entries(c.reference)), new Map(Object.entries(c.current)));
      assert.equal(m.psi, r.psi);
    });
  }

  it('validates counts', () => {
    assert.throws(() => psiCategorical({ a: -1 }, { a: 1 }), /non-negative/);
    assert.throws(() => psiCategorical({ a: 0 }, { a: 1 }), /at least one positive/);
    assert.throws(() => psiCategorical({ a: 1 }, { a: NaN }), RangeError);
  });
});

describe('psiVerdict', () => {
  it('maps PSI to none / small / significant (0.1, 0.2 by default)', () => {
    assert.equal(psiVerdict(0), 'none');
    assert.equal(psiVerdict(0.0999), 'none');
    assert.equal(psiVerdict(0.1), 'small');
    assert.equal(psiVerdict(0.1999), 'small');
    assert.equal(psiVerdict(0.2), 'significant');
    assert.equal(psiVerdict(3.7), 'significant');
    assert.equal(psiVerdict(0.06, { small: 0.05, significant: 0.15 }), 'small');
    assert.throws(() => psiVerdict(NaN), RangeError);
    assert.throws(() => psiVerdict(0.1, { small: 0.3, significant: 0.2 }), RangeError);
  });
});
