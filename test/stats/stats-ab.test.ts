import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  assignVariant, bucketRanges, cohensH, experimentDuration, fnv1a32, multiVariantTest, normalIndPower, requiredSampleSize,
  twoProportionTest,
} from '../../src/stats';

/*
 * Reference values: test/fixtures/stats/ab_reference.json, produced by
 *   /usr/bin/python3 test/fixtures/stats/gen_ab.py > test/fixtures/stats/ab_reference.json
 * with Debian's python3-scipy 1.10.1 and python3-statsmodels 0.13.5
 * (`/usr/bin/python3 -c 'import scipy, statsmodels; print(scipy.__version__, statsmodels.__version__)'` -> `1.10.1 0.13.5+dfsg`):
 * statsmodels proportion_effectsize, NormalIndPower().power / .solve_power(..., alternative='two-sided'),
 * scipy.optimize.brentq on the same power function (xtol 1e-13), and scipy.stats.chi2_contingency.
 */

interface AbReference {
  versions: { scipy: string; statsmodels: string };
  cohens_h: Array<[number, number, number]>;
  power: Array<[number, number, number, number, number]>;
  sample_sizes: Array<{
    baseline: number; mde: number; alpha: number; power: number; ratio: number; effect_size: number;
    nobs1_statsmodels: number; nobs1_root: number;
  }>;
  two: Array<{ name: string; control: [number, number]; treatment: [number, number]; statistic: number; pvalue: number }>;
  multi: Array<{
    name: string; arms: Array<[string, number, number]>; statistic: number; pvalue: number; dof: number;
    pairwise: Array<{ name: string; pvalue: number }>;
  }>;
}

const ref = JSON.parse(readFileSync(join(__dirname, '..', 'fixtures', 'stats', 'ab_reference.json'), 'utf8')) as AbReference;

function relErr(actual: number, expected: number): number {
  if (actual === expected) return 0;
  return Math.abs(actual - expected) / Math.abs(expected);
}

describe('effect size and sample size vs statsmodels 0.13.5', () => {
  it('uses the recorded versions', () => {
    assert.deepEqual(ref.versions, { scipy: '1.10.1', statsmodels: '0.13.5+dfsg' });
  });

  it('cohensH = proportion_effectsize(p2, p1)', () => {
    for (const [p1, p2, h] of ref.cohens_h) assert.ok(relErr(cohensH(p1, p2), h) < 1e-14, `${p1} -> ${p2}`);
    assert.throws(() => cohensH(-0.1, 0.5), RangeError);
    assert.throws(() => cohensH(0.5, 1.1), RangeError);
  });

  it('normalIndPower = NormalIndPower().power (two-sided, far tail included)', () => {
    for (const [h, n, alpha, ratio, p] of ref.power) assert.ok(relErr(normalIndPower(h, n, alpha, ratio), p) < 1e-12, `${h} ${n}`);
  });

  it('requiredSampleSize matches NormalIndPower().solve_power', (t) => {
    let worstSm = 0;
    let worstRoot = 0;
    for (const c of ref.sample_sizes) {
      const r = requiredSampleSize({ baselineRate: c.baseline, minDetectableEffect: c.mde, alpha: c.alpha, power: c.power, ratio: c.ratio });
      assert.ok(relErr(r.effectSize, c.effect_size) < 1e-14);
      const eSm = relErr(r.controlRaw, c.nobs1_statsmodels);
      const eRoot = relErr(r.controlRaw, c.nobs1_root);
      worstSm = Math.max(worstSm, eSm);
      worstRoot = Math.max(worstRoot, eRoot);
      assert.ok(eSm < 1e-6, `nobs1 ${r.controlRaw} vs statsmodels ${c.nobs1_statsmodels}`);
      assert.ok(eRoot < 1e-10, `nobs1 ${r.controlRaw} vs exact root ${c.nobs1_root}`);
      assert.equal(r.control, Math.ceil(r.controlRaw));
      assert.equal(r.treatmentRaw, r.controlRaw * c.ratio);
      assert.equal(r.treatment, Math.ceil(r.controlRaw * c.ratio));
    }
    t.diagnostic(`nobs1 max rel err vs statsmodels ${worstSm.toExponential(2)}, vs 1e-13 root ${worstRoot.toExponential(2)}`);
  });

  it("the guide's example: 0.75 -> 0.77 needs 7,156 per group (not 22,075 from mde / baseline)", () => {
    // /usr/bin/python3 -c 'from statsmodels.stats.power import NormalIndPower as P; import numpy as np; h = 2*np.arcsin(np.sqrt(.77)) - 2*np.arcsin(np.sqrt(.75)); print(repr(h), P().solve_power(effect_size=h, alpha=.05, power=.8, ratio=1), P().solve_power(effect_size=.02/.75, alpha=.05, power=.8, ratio=1))'
    // -> 0.04683833380162339 7155.396954675006 22074.920182906117
    const r = requiredSampleSize({ baselineRate: 0.75, minDetectableEffect: 0.02 });
    assert.ok(relErr(r.effectSize, 0.04683833380162339) < 1e-14);
    assert.ok(relErr(r.controlRaw, 7155.396954675006) < 1e-6);
    assert.deepEqual([r.control, r.treatment], [7156, 7156]);
  });

  it('validates its inputs', () => {
    const base = { baselineRate: 0.1, minDetectableEffect: 0.02 };
    assert.throws(() => requiredSampleSize({ ...base, alpha: 0 }), /alpha/);
    assert.throws(() => requiredSampleSize({ ...base, alpha: 1 }), /alpha/);
    assert.throws(() => requiredSampleSize({ ...base, power: 1.2 }), /power/);
    assert.throws(() => requiredSampleSize({ ...base, power: 0.01 }), /must exceed alpha/);
    assert.throws(() => requiredSampleSize({ ...base, baselineRate: 0 }), /baselineRate/);
    assert.throws(() => requiredSampleSize({ ...base, minDetectableEffect: 0 }), /minDetectableEffect/);
    assert.throws(() => requiredSampleSize({ ...base, minDetectableEffect: NaN }), /minDetectableEffect/);
    assert.throws(() => requiredSampleSize({ ...base, minDetectableEffect: 0.95 }), /\[0, 1\]/);
    assert.throws(() => requiredSampleSize({ ...base, ratio: 0 }), /ratio/);
  });
});

describe('twoProportionTest / multiVariantTest vs scipy.stats.chi2_contingency', () => {
  for (const c of ref.two) {
    it(c.name, () => {
      const [sc, nc] = c.control;
      const [st, nt] = c.treatment;
      const r = twoProportionTest({ control: { successes: sc, total: nc }, treatment: { successes: st, total: nt } });
      assert.ok(relErr(r.statistic, c.statistic) < 1e-9 || (c.statistic === 0 && r.statistic === 0));
      assert.ok(relErr(r.pvalue, c.pvalue) < 1e-9, `p ${r.pvalue} vs ${c.pvalue}`);
      assert.equal(r.controlRate, sc / nc);
      assert.equal(r.treatmentRate, st / nt);
      assert.equal(r.relativeLift, (st / nt - sc / nc) / (sc / nc));
      assert.equal(r.significant, c.pvalue < 0.05);
      const expected = !r.significant ? 'continue' : r.treatmentRate > r.controlRate ? 'deploy-treatment' : 'keep-control';
      assert.equal(r.recommendation, expected);
      assert.ok(r.reason.length > 10);
    });
  }

  it('recommends per the guide: continue / deploy-treatment / keep-control', () => {
    const t = (s: number, n: number) => ({ successes: s, total: n });
    assert.equal(twoProportionTest({ control: t(120, 1000), treatment: t(150, 1000) }).recommendation, 'continue');
    assert.equal(twoProportionTest({ control: t(480, 10000), treatment: t(600, 10000) }).recommendation, 'deploy-treatment');
    assert.equal(twoProportionTest({ control: t(600, 10000), treatment: t(480, 10000) }).recommendation, 'keep-control');
    assert.equal(twoProportionTest({ control: t(120, 1000), treatment: t(150, 1000) }, { alpha: 0.1 }).recommendation, 'deploy-treatment');
    // no conversions at all: scipy would raise on the zero column; here p = 1 and continue
    const none = twoProportionTest({ control: t(0, 100), treatment: t(0, 100) });
    assert.deepEqual([none.pvalue, none.recommendation], [1, 'continue']);
  });

  it('validates arms and alpha', () => {
    const ok = { successes: 1, total: 10 };
    assert.throws(() => twoProportionTest({ control: { successes: 11, total: 10 }, treatment: ok }), /successes/);
    assert.throws(() => twoProportionTest({ control: { successes: 1.5, total: 10 }, treatment: ok }), /successes/);
    assert.throws(() => twoProportionTest({ control: ok, treatment: { successes: 0, total: 0 } }), /total/);
    assert.throws(() => twoProportionTest({ control: ok, treatment: ok }, { alpha: 0 }), /alpha/);
  });

  const expectedRec: Record<string, [string, string | undefined]> = {
    three_arms_one_winner: ['deploy-treatment', 'c'],
    four_arms_nothing: ['continue', undefined],
    three_arms_all_worse: ['keep-control', undefined],
    two_arms: ['deploy-treatment', 'b'],
  };
  for (const c of ref.multi) {
    it(`multi-variant: ${c.name}`, () => {
      const r = multiVariantTest(c.arms.map(([name, successes, total]) => ({ name, successes, total })));
      assert.equal(r.dof, c.dof);
      assert.ok(relErr(r.statistic, c.statistic) < 1e-9);
      assert.ok(relErr(r.pvalue, c.pvalue) < 1e-9, `omnibus p ${r.pvalue} vs ${c.pvalue}`);
      assert.deepEqual(r.comparisons.map((x) => x.name), c.pairwise.map((x) => x.name));
      r.comparisons.forEach((x, i) => {
        assert.ok(relErr(x.pvalue, c.pairwise[i].pvalue) < 1e-9);
        assert.equal(x.adjustedAlpha, 0.05 / (c.arms.length - 1));
      });
      assert.deepEqual([r.recommendation, r.winner], expectedRec[c.name]);
    });
  }

  it('multi-variant validation', () => {
    assert.throws(() => multiVariantTest([{ name: 'a', successes: 1, total: 2 }]), /at least 2/);
    assert.throws(() => multiVariantTest([{ name: 'a', successes: 1, total: 2 }, { name: 'a', successes: 1, total: 2 }]), /unique/);
    assert.throws(() => multiVariantTest([{ name: 'a', successes: 1, total: 2 }, { name: 'b', successes: 1, total: 2 }], { control: 'x' }), /not found/);
  });
});

describe('assignVariant / bucketRanges', () => {
  const W = [{ name: 'control', weight: 50 }, { name: 'treatment', weight: 50 }];

  it('FNV-1a 32-bit test vectors (documented in the doc comment)', () => {
    // /usr/bin/python3 -c '
    // def fnv(s):
    //   h = 0x811c9dc5
    //   for b in s.encode("utf-8"): h = ((h ^ b) * 0x01000193) & 0xffffffff
    //   return h
    // for s in ["", "exp-1:user-42", "checkout-v2:alice@example.com", "pricing-test:ユーザー7"]: print(repr(s), hex(fnv(s)), fnv(s), fnv(s) % 100)'
    // -> '' 0x811c9dc5 2166136261 61
    //    'exp-1:user-42' 0xb54e948 190114120 20
    //    'checkout-v2:alice@example.com' 0x71c8a843 1908975683 83
    //    'pricing-test:ユーザー7' 0x2837662a 674719274 74
    assert.equal(fnv1a32(''), 2166136261);
    assert.equal(fnv1a32('exp-1:user-42'), 190114120);
    assert.equal(fnv1a32('checkout-v2:alice@example.com'), 1908975683);
    assert.equal(fnv1a32('pricing-test:ユーザー7'), 674719274);
    assert.equal(assignVariant('user-42', 'exp-1', W).bucket, 20);
    assert.deepEqual(assignVariant('alice@example.com', 'checkout-v2', W), { bucket: 83, variant: 'treatment' });
    assert.deepEqual(assignVariant('ユーザー7', 'pricing-test', [{ name: 'a', weight: 74 }, { name: 'b', weight: 26 }]), { bucket: 74, variant: 'b' });
  });

  it('bucketRanges are contiguous, inclusive and in the order given', () => {
    assert.deepEqual(bucketRanges([{ name: 'control', weight: 10 }, { name: 'b', weight: 30 }, { name: 'c', weight: 60 }]), [
      { name: 'control', from: 0, to: 9 }, { name: 'b', from: 10, to: 39 }, { name: 'c', from: 40, to: 99 },
    ]);
  });

  it('distributes 100k synthetic users within +-1 percentage point of the weights, stickily', () => {
    for (const weights of [W, [{ name: 'a', weight: 10 }, { name: 'b', weight: 30 }, { name: 'c', weight: 60 }], [{ name: 'x', weight: 1 }, { name: 'y', weight: 99 }]]) {
      const counts = new Map<string, number>();
      const N = 100000;
      for (let i = 0; i < N; i++) {
        const { variant } = assignVariant(`user-${i}`, 'exp-distribution', weights);
        counts.set(variant, (counts.get(variant) ?? 0) + 1);
      }
      for (const w of weights) {
        const share = (100 * (counts.get(w.name) ?? 0)) / N;
        assert.ok(Math.abs(share - w.weight) <= 1, `${w.name}: ${share}% vs ${w.weight}%`);
      }
    }
    for (let i = 0; i < 1000; i++) {
      assert.deepEqual(assignVariant(`u${i}`, 'exp-a', W), assignVariant(`u${i}`, 'exp-a', W));
    }
    // different experiments hash independently
    let same = 0;
    for (let i = 0; i < 1000; i++) if (assignVariant(`u${i}`, 'exp-a', W).bucket === assignVariant(`u${i}`, 'exp-b', W).bucket) same++;
    assert.ok(same < 50);
  });

  it('rejects invalid weights and ids', () => {
    assert.throws(() => bucketRanges([]), RangeError);
    assert.throws(() => bucketRanges([{ name: 'a', weight: 50 }, { name: 'b', weight: 40 }]), /sum to 100/);
    assert.throws(() => bucketRanges([{ name: 'a', weight: 50.5 }, { name: 'b', weight: 49.5 }]), /integer/);
    assert.throws(() => bucketRanges([{ name: 'a', weight: 0 }, { name: 'b', weight: 100 }]), /positive integer/);
    assert.throws(() => bucketRanges([{ name: 'a', weight: -10 }, { name: 'b', weight: 110 }]), /positive integer/);
    assert.throws(() => bucketRanges([{ name: 'a', weight: 50 }, { name: 'a', weight: 50 }]), /duplicate/);
    assert.throws(() => bucketRanges([{ name: '', weight: 100 }]), /name/);
    assert.throws(() => assignVariant('', 'e', W), /userId/);
    assert.throws(() => assignVariant('u', '', W), /experimentId/);
  });
});

describe('experimentDuration', () => {
  it('days until every variant has its sample at dailyUsers * weight / 100 per day', () => {
    const n = requiredSampleSize({ baselineRate: 0.75, minDetectableEffect: 0.02 });
    const d = experimentDuration({ dailyUsers: 10000, weights: [{ name: 'control', weight: 50 }, { name: 'treatment', weight: 50 }], sampleSize: n.treatment });
    assert.equal(d.days, 2); // 7156 / 5000 per day
    const uneven = experimentDuration({
      dailyUsers: 1000,
      weights: [{ name: 'control', weight: 80 }, { name: 'treatment', weight: 20 }],
      sampleSize: { control: 1000, treatment: 1000 },
    });
    assert.deepEqual(uneven.perVariant.map((v) => [v.name, v.dailyUsers, v.days]), [['control', 800, 2], ['treatment', 200, 5]]);
    assert.equal(uneven.days, 5);
    assert.throws(() => experimentDuration({ dailyUsers: 0, weights: [{ name: 'a', weight: 100 }], sampleSize: 10 }), /dailyUsers/);
    assert.throws(() => experimentDuration({ dailyUsers: 10, weights: [{ name: 'a', weight: 100 }], sampleSize: {} }), /sample size/);
  });
});
