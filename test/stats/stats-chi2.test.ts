import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { categoricalDrift, chi2Contingency } from '../../src/stats';

/*
 * Reference values: test/fixtures/stats/chi2_reference.json, produced by
 *   /usr/bin/python3 test/fixtures/stats/gen_chi2.py > test/fixtures/stats/chi2_reference.json
 * i.e. scipy.stats.chi2_contingency(table, correction=True/False) with Debian's
 * python3-scipy 1.10.1 (statsmodels 0.13.5 installed alongside). categoricalDrift cases use
 * the table [[ref counts], [cur counts]] over the sorted union of categories with a positive count.
 */

interface Expected {
  statistic: number;
  pvalue: number;
  dof: number;
  expected: number[][];
}

const ref = JSON.parse(readFileSync(join(__dirname, '..', 'fixtures', 'stats', 'chi2_reference.json'), 'utf8')) as {
  versions: { scipy: string };
  tables: Array<{ name: string; table: number[][]; corrected: Expected; uncorrected: Expected }>;
  drift: Array<{
    name: string; reference: Record<string, number>; current: Record<string, number>; categories: string[];
    table: number[][]; statistic: number; pvalue: number; dof: number;
  }>;
};

const REL_TOL = 1e-9;

function close(actual: number, expected: number, tol = REL_TOL): boolean {
  if (actual === expected) return true;
  return Math.abs(actual - expected) <= tol * Math.abs(expected);
}

describe('chi2Contingency vs scipy.stats.chi2_contingency', () => {
  it('uses the recorded scipy version', () => {
    assert.equal(ref.versions.scipy, '1.10.1');
  });

  let worstStat = 0;
  let worstP = 0;
  for (const c of ref.tables) {
    for (const correction of [true, false]) {
      const exp = correction ? c.corrected : c.uncorrected;
      it(`${c.name} correction=${correction}`, () => {
        const r = chi2Contingency(c.table, { correction });
        assert.equal(r.dof, exp.dof);
        assert.equal(r.yatesApplied, correction && exp.dof === 1);
        for (let i = 0; i < exp.expected.length; i++) {
          for (let j = 0; j < exp.expected[i].length; j++) assert.ok(close(r.expected[i][j], exp.expected[i][j], 1e-15));
        }
        if (exp.statistic !== 0) worstStat = Math.max(worstStat, Math.abs(r.statistic - exp.statistic) / exp.statistic);
        if (exp.pvalue !== 0) worstP = Math.max(worstP, Math.abs(r.pvalue - exp.pvalue) / exp.pvalue);
        assert.ok(close(r.statistic, exp.statistic), `statistic ${r.statistic} vs ${exp.statistic}`);
        assert.ok(close(r.pvalue, exp.pvalue), `p ${r.pvalue} vs ${exp.pvalue}`);
      });
    }
  }
  it('max observed errors', (t) => {
    t.diagnostic(`chi2Contingency max rel err: statistic ${worstStat.toExponential(2)}, pvalue ${worstP.toExponential(2)}`);
  });

  it('applies Yates only up to the expected value (scipy gh-13875)', () => {
    // expected = [[9.756.., 10.24..], [10.24.., 10.756..]]: every |O - E| < 0.5, so corrected O == E
    const r = chi2Contingency([[10, 10], [10, 11]]);
    assert.equal(r.statistic, 0);
    assert.equal(r.pvalue, 1);
  });

  it('rejects invalid tables with clear errors', () => {
    assert.throws(() => chi2Contingency([]), /size 0/);
    assert.throws(() => chi2Contingency([[]]), /size 0/);
    assert.throws(() => chi2Contingency([[1, 2], [3]]), /rectangular/);
    assert.throws(() => chi2Contingency([[1, -2], [3, 4]]), /nonnegative/);
    assert.throws(() => chi2Contingency([[1, NaN], [3, 4]]), /finite/);
    assert.throws(() => chi2Contingency([[1, Infinity], [3, 4]]), /finite/);
    assert.throws(() => chi2Contingency([[0, 0], [3, 4]]), /zero element at \(0, 0\)/);
    assert.throws(() => chi2Contingency([[1, 0], [3, 0]]), /zero element at \(0, 1\)/);
  });
});

describe('categoricalDrift vs scipy.stats.chi2_contingency on [ref; cur]', () => {
  for (const c of ref.drift) {
    it(c.name, () => {
      const r = categoricalDrift(c.reference, c.current);
      assert.deepEqual(r.categories, c.categories);
      assert.deepEqual(r.table, c.table);
      assert.equal(r.dof, c.dof);
      assert.ok(close(r.statistic, c.statistic), `statistic ${r.statistic} vs ${c.statistic}`);
      assert.ok(close(r.pvalue, c.pvalue), `p ${r.pvalue} vs ${c.pvalue}`);
    });
  }

  it('accepts Maps and validates counts', () => {
    const a = categoricalDrift(new Map([['x', 10], ['y', 20]]), new Map([['x', 20], ['y', 10]]));
    const b = categoricalDrift({ x: 10, y: 20 }, { x: 20, y: 10 });
    assert.equal(a.pvalue, b.pvalue);
    assert.throws(() => categoricalDrift({ x: -1 }, { x: 1 }), /non-negative/);
    assert.throws(() => categoricalDrift({ x: 0 }, { x: 0 }), /no category/);
    assert.throws(() => categoricalDrift({ x: 0 }, { x: 3 }), /referenceCounts has no positive count/);
  });
});
