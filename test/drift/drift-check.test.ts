import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkCategoricalFeature, checkConcept, checkNumericFeature, plotHistogram } from '../../src/drift/check';
import { ResolvedDriftLabels, parseDriftConfig } from '../../src/drift/config';
import { churnRows } from '../fixtures/drift/data';

/** Relative closeness, for values SciPy computed with a different summation order. */
function close(actual: number, expected: number, rel = 1e-12): void {
  assert.ok(Math.abs(actual - expected) <= rel * Math.abs(expected), `${actual} != ${expected}`);
}

const LABELS: ResolvedDriftLabels = { prediction: 'p', actual: 'a', baselineAccuracy: 0.9, window: 1000, minSamples: 100, maxDrop: 0.05, metric: 'accuracy' };

function outcomes(hits: number, total: number, labelled = total): { labelled: number; recent: Uint8Array } {
  const recent = new Uint8Array(total);
  recent.fill(1, 0, hits);
  return { labelled, recent };
}

function counts(values: readonly string[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const v of values) m.set(v, (m.get(v) ?? 0) + 1);
  return m;
}

describe('drift checks', () => {
  const config = parseDriftConfig({
    model: 'churn',
    reference: { uri: 'r.csv' },
    current: { uri: 'c.csv' },
    features: [{ name: 'age', type: 'numeric' }, { name: 'plan', type: 'categorical' }],
    outputs: {},
  });
  const [age, plan] = config.features;
  assert.ok(age.type === 'numeric' && plan.type === 'categorical');
  const ref = churnRows(2000, 1);
  const drifted = churnRows(1500, 3, { ageShift: 4, planWeights: [0.45, 0.4, 0.15], accuracy: 0.8 });

  // Reference values: scipy 1.17.1 / numpy 2.4.6 on the same rows, read back from CSV:
  //   stats.ks_2samp(ref.age, cur.age); stats.chi2_contingency([[ref counts], [cur counts]]) over sorted categories;
  //   PSI with np.quantile edges, np.histogram(np.clip(x, e0, ek), edges), 0.0001 floor.
  it('numeric feature: KS and PSI equal scipy / numpy, and drift is flagged', () => {
    const f = checkNumericFeature(age, Float64Array.from(ref, (r) => r.age), Float64Array.from(drifted, (r) => r.age));
    assert.equal(f.ks.statistic, 0.15133333333333332);
    close(f.ks.pvalue, 1.415210329270562e-17);
    assert.equal(f.ks.method, 'exact');
    close(f.psi.value, 0.12907532277388134);
    assert.equal(f.psi.verdict, 'small');
    assert.equal(f.ks.drift, true);
    assert.equal(f.drift, true);
    assert.deepEqual(f.reasons, ['KS p-value 1.42e-17 < alpha 0.05', 'D = 0.151 >= effect floor 0.08', 'PSI 0.1291 in [0.1, 0.2) (small shift, no alert)']);
    assert.equal(f.comparedAs, 'distribution');
    assert.equal(f.psi.buckets.method, 'quantiles');
    assert.deepEqual(f.verdict.sampleSize, {
      referenceRows: 2000, currentRows: 1500, effectiveRows: 2000 * 1500 / 3500, requiredEffectiveRows: 495, requiredRowsPerWindow: 990, sufficient: true,
    });
    assert.equal(f.verdict.adjustedPvalue, f.ks.pvalue, 'a check of one feature: no correction');
    assert.equal(f.psi.buckets.referenceCounts.reduce((s, v) => s + v, 0), 2000);
    assert.equal(f.psi.buckets.currentCounts.reduce((s, v) => s + v, 0), 1500);
    assert.equal(f.summary.reference.count, 2000);
  });

  it('categorical feature: chi-square and PSI equal scipy / numpy', () => {
    const f = checkCategoricalFeature(plan, counts(ref.map((r) => r.plan)), counts(drifted.map((r) => r.plan)));
    close(f.chi2.statistic, 98.31636109032806);
    close(f.chi2.pvalue, 4.475828618383799e-22, 1e-10);
    assert.equal(f.chi2.dof, 2);
    assert.equal(f.chi2.yatesApplied, false);
    close(f.psi.value, 0.11550084230420093);
    assert.equal(f.drift, true);
    assert.deepEqual(f.categories.map((c) => c.category), ['basic', 'enterprise', 'pro']);
    assert.deepEqual(f.newCategories, []);
  });

  it('categorical feature: new and vanished categories are listed', () => {
    const f = checkCategoricalFeature(plan, new Map([['a', 50], ['b', 50]]), new Map([['a', 50], ['c', 50]]));
    assert.deepEqual(f.newCategories, ['c']);
    assert.deepEqual(f.missingCategories, ['b']);
    assert.equal(f.psi.verdict, 'significant');
  });

  it('plot histogram: shared equal-width bins over both samples', () => {
    const ramp = (from: number): Float64Array => Float64Array.from({ length: 11 }, (_, i) => from + i + 0.25);
    const h = plotHistogram(ramp(0), ramp(5), 5);
    assert.equal(h.discrete, false);
    assert.equal(h.edges.length, 6);
    assert.equal(h.reference.reduce((s, v) => s + v, 0), 11);
    assert.equal(h.current.reduce((s, v) => s + v, 0), 11);
    const constant = plotHistogram(Float64Array.from([3.5, 3.5]), Float64Array.from([3.5]));
    assert.deepEqual(constant, { edges: [3.5, 3.5], reference: [2], current: [1], openLow: false, openHigh: false, discrete: false });
  });

  it('plot histogram: one bin per value for integer data with a small range', () => {
    const h = plotHistogram(Float64Array.from([0, 1, 1, 2, 5]), Float64Array.from([1, 3, 6]));
    assert.deepEqual(h, {
      edges: [-0.5, 0.5, 1.5, 2.5, 3.5, 4.5, 5.5, 6.5],
      reference: [1, 2, 1, 0, 0, 1, 0],
      current: [0, 1, 0, 1, 0, 0, 1],
      openLow: false,
      openHigh: false,
      discrete: true,
    });
    assert.equal(plotHistogram(Float64Array.from([0, 100]), Float64Array.from([50])).discrete, false, 'range too wide');
  });

  describe('concept drift', () => {
    it('alerts when accuracy drops by more than 5 points', () => {
      const c = checkConcept(LABELS, outcomes(840, 1000, 1500));
      assert.equal(c.status, 'degraded');
      assert.equal(c.value, 0.84);
      close(c.drop!, 0.06);
      assert.equal(c.samples, 1000);
      assert.equal(c.labelled, 1500);
      assert.equal(c.reason, 'accuracy 84.00% over the last 1000 labelled rows is 6.00% below the baseline 90.00% (max drop 5.00%)');
    });

    it('does not alert on a drop of exactly 5 points or less', () => {
      assert.equal(checkConcept(LABELS, outcomes(850, 1000)).status, 'ok');
      assert.equal(checkConcept(LABELS, outcomes(880, 1000)).status, 'ok');
      assert.equal(checkConcept(LABELS, outcomes(1000, 1000)).status, 'ok');
    });

    it('is "insufficient labels" (not a pass) below 100 labelled rows', () => {
      const c = checkConcept(LABELS, outcomes(99, 99));
      assert.equal(c.status, 'insufficient_labels');
      assert.equal(c.value, 1);
      assert.equal(c.reason, 'only 99 labelled rows, at least 100 are needed to evaluate accuracy');
      const none = checkConcept(LABELS, outcomes(0, 0));
      assert.equal(none.status, 'insufficient_labels');
      assert.equal(none.value, null);
      assert.equal(checkConcept(LABELS, outcomes(90, 100)).status, 'ok');
    });
  });
});
