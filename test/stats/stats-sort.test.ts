import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { RADIX_MIN_LENGTH, ks2samp, ks2sampSorted, psiNumericPointMasses, psiNumericPointMassesSorted, sortedFloat64, sortedSample } from '../../src/stats';

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Random finite doubles from random bit patterns (every exponent, subnormals, both zeros) mixed with rounded normals (ties). */
function sample(n: number, seed: number): Float64Array {
  const rng = mulberry32(seed);
  const out = new Float64Array(n);
  const words = new Uint32Array(out.buffer);
  for (let i = 0; i < n; i++) {
    const kind = rng();
    if (kind < 0.4) {
      do {
        words[2 * i] = Math.floor(rng() * 2 ** 32);
        words[2 * i + 1] = Math.floor(rng() * 2 ** 32);
      } while (!Number.isFinite(out[i]));
    } else if (kind < 0.45) {
      out[i] = rng() < 0.5 ? -0 : 0;
    } else if (kind < 0.5) {
      out[i] = (rng() < 0.5 ? -1 : 1) * Number.MIN_VALUE * Math.floor(rng() * 1000);
    } else {
      out[i] = Math.round((rng() - 0.5) * 2000) / 100;
    }
  }
  return out;
}

function sameBits(a: Float64Array, b: Float64Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return false;
  return true;
}

describe('sortedFloat64 (LSD radix sort on the float64 bit pattern)', () => {
  for (const n of [0, 1, 7, RADIX_MIN_LENGTH - 1, RADIX_MIN_LENGTH, 50_000, 200_001]) {
    it(`orders ${n} values exactly like Float64Array.prototype.sort (-0 before +0, subnormals, ties)`, () => {
      const x = sample(n, 17 + n);
      const before = Float64Array.from(x);
      const sorted = sortedFloat64(x);
      assert.ok(sameBits(sorted, Float64Array.from(x).sort()));
      assert.ok(sameBits(x, before), 'the input is not modified');
    });
  }

  it('sorts constant data (every radix pass skipped) and accepts number[]', () => {
    const c = new Float64Array(10_000).fill(2.5);
    assert.ok(sameBits(sortedFloat64(c), c));
    assert.deepEqual(Array.from(sortedFloat64([3, -1, 2])), [-1, 2, 3]);
  });

  it('sortedSample names the first non-finite input index even though it only checks the ends of the sorted copy', () => {
    const x = sample(RADIX_MIN_LENGTH * 2, 5);
    x[1234] = NaN;
    x[3000] = Infinity;
    assert.throws(() => sortedSample(x, 'a'), /a\[1234\] is NaN/);
    const y = sample(10, 6);
    y[3] = -Infinity;
    assert.throws(() => sortedSample(y, 'b'), /b\[3\] is -Infinity/);
  });
});

describe('sorted-input statistics equal the copying versions', () => {
  it('ks2sampSorted and psiNumericPointMassesSorted on shared sorted windows (with point masses)', () => {
    const r1 = mulberry32(1);
    const r2 = mulberry32(2);
    const ref = Float64Array.from({ length: 60_000 }, (_, i) => (i % 4 === 0 ? 0 : Math.round((r1() - 0.5) * 400) / 10));
    const cur = Float64Array.from({ length: 45_000 }, (_, i) => (i % 3 === 0 ? -0 : Math.round((r2() - 0.45) * 400) / 10));
    const rs = sortedSample(ref, 'r');
    const cs = sortedSample(cur, 'c');
    assert.deepEqual(ks2sampSorted(rs, cs), ks2samp(ref, cur));
    const a = psiNumericPointMassesSorted(rs, cs, { buckets: 10 });
    assert.equal(a.method, 'point-masses');
    assert.deepEqual(a, psiNumericPointMasses(ref, cur, { buckets: 10 }));
    // counts equal counting value by value into the reported buckets
    const bucketOf = (v: number): number => a.buckets.findIndex((b) => (b.kind === 'point'
      ? v === b.low
      : (b.low === null || v >= b.low) && (b.high === null || v < b.high) && !a.buckets.some((p) => p.kind === 'point' && p.low === v)));
    const count = (s: Float64Array): number[] => {
      const out = new Array<number>(a.buckets.length).fill(0);
      for (const v of s) out[bucketOf(v)]++;
      return out;
    };
    assert.deepEqual(a.counts.expected, count(ref));
    assert.deepEqual(a.counts.actual, count(cur));
  });
});
