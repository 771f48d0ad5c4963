import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import {
  RADIX_MIN_LENGTH, ks2samp, ks2sampSorted, psiNumericPointMasses, psiNumericPointMassesSorted, sortFloat64InPlace, sortedFloat64, sortedSample,
} from '../../src/stats';

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

/** Sorts a copy of `x` in place and compares it bit for bit with `Float64Array.prototype.sort` on another copy. */
function assertSortsLikeNative(x: Float64Array, what: string): void {
  const expected = Float64Array.from(x).sort();
  const got = sortFloat64InPlace(Float64Array.from(x));
  let first = -1;
  for (let i = 0; i < x.length && first < 0; i++) if (!Object.is(got[i], expected[i])) first = i;
  assert.equal(first, -1, `${what}: index ${first} is ${got[first]}, Float64Array.prototype.sort has ${expected[first]}`);
}

/** Scratch floor of the sort (2^17 values): arrays up to this length are sorted by LSD passes alone, longer ones are partitioned in place first. */
const LSD_ONLY_MAX = 2 ** 17;

describe('sortedFloat64 (radix sort on the float64 bit pattern)', () => {
  for (const n of [0, 1, 7, RADIX_MIN_LENGTH - 1, RADIX_MIN_LENGTH, RADIX_MIN_LENGTH + 1, 50_000, 200_001]) {
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

  it('sorts 1e6 random values (every exponent, both zeros, subnormals, ties) like Float64Array.prototype.sort', () => {
    assertSortsLikeNative(sample(1_000_000, 99), 'random 1e6');
  });

  it('sorts the drift benchmark\'s data (normal, rounded to 4 decimals) at and around the length where the in-place partition starts', () => {
    const r = mulberry32(8);
    const normal = (n: number, mean: number, sd: number): Float64Array => Float64Array.from({ length: n }, () => {
      const z = Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
      return Math.round((mean + sd * z) * 1e4) / 1e4;
    });
    for (const n of [LSD_ONLY_MAX - 1, LSD_ONLY_MAX, LSD_ONLY_MAX + 1]) assertSortsLikeNative(normal(n, 3, 1.3), `normal, n=${n}`);
    assertSortsLikeNative(normal(1_000_000, 9, 1.9), 'normal, n=1e6');
  });

  it('sorts heavily skewed data: one top-digit bucket larger than the scratch, partitioned again on the lower digits', () => {
    const r = mulberry32(11);
    // every value in [1, 1.0001): one bucket of the top digit, about 100 of the next
    assertSortsLikeNative(Float64Array.from({ length: 400_000 }, () => 1 + r() * 1e-4), 'uniform in [1, 1.0001)');
    // [1, 1 + 1e-7): the two top digits shared (nothing to partition), partitioned on the third
    assertSortsLikeNative(Float64Array.from({ length: 400_000 }, () => 1 + r() * 1e-7), 'uniform in [1, 1 + 1e-7)');
    // a few adjacent doubles: only the lowest digit differs
    assertSortsLikeNative(Float64Array.from({ length: 300_000 }, () => 1 + Math.floor(r() * 50) * Number.EPSILON), 'adjacent doubles');
    // negative values: the keys are bit-inverted
    assertSortsLikeNative(Float64Array.from({ length: 300_000 }, () => -1 - r() * 1e-4), 'uniform in (-1.0001, -1]');
  });

  it('sorts many duplicates, including buckets of equal keys larger than the scratch', () => {
    const r = mulberry32(12);
    const values = [2.5, -2.5, 1e300, -1e-300, 5e-324, 3];
    assertSortsLikeNative(Float64Array.from({ length: 600_000 }, () => values[Math.floor(r() * values.length)]), 'six values');
    assertSortsLikeNative(Float64Array.from({ length: 400_000 }, (_, i) => (i % 2 === 0 ? 7 : -7)), 'two values');
    assertSortsLikeNative(Float64Array.from({ length: 400_000 }, () => Math.floor(r() * 1000)), 'integers 0..999');
  });

  it('sorts -0 before +0 and keeps -Infinity first, +Infinity and NaN last, in tiny, small and large groups', () => {
    const r = mulberry32(13);
    for (const [n, specials] of [[300_000, 0.3], [300_000, 0.001], [20_000, 0.02], [RADIX_MIN_LENGTH + 1, 0.9]] as const) {
      const x = Float64Array.from({ length: n }, () => {
        const k = r();
        if (k < specials) return [-0, 0, Infinity, -Infinity, NaN][Math.floor(r() * 5)];
        return k < 0.5 ? (r() - 0.5) * 1e-310 : Math.round((r() - 0.5) * 200) / 10;
      });
      assertSortsLikeNative(x, `n=${n}, ${specials * 100}% zeros/infinities/NaN`);
    }
    const zeros = Float64Array.from({ length: 200_000 }, (_, i) => (i % 3 === 0 ? -0 : 0));
    assertSortsLikeNative(zeros, 'only zeros');
  });

  it('orders positive NaNs by their bit pattern (payload), after +Infinity, like the plain radix sort did', () => {
    const r = mulberry32(14);
    // quiet NaNs share the top digit: a tiny, a small and a large bucket
    for (const nans of [10, 500, 5000]) {
      const x = sample(LSD_ONLY_MAX + 50_000, nans);
      const words = new Uint32Array(x.buffer);
      for (let i = 0; i < nans; i++) {
        const at = Math.floor(r() * x.length);
        words[2 * at + 1] = 0x7ff80000 | Math.floor(r() * 0x80000);
        words[2 * at] = Math.floor(r() * 2 ** 32);
      }
      x[7] = Infinity;
      const sorted = sortedFloat64(x);
      const finite = Float64Array.from(x).filter((v) => !Number.isNaN(v)).sort();
      assert.ok(sameBits(sorted.subarray(0, finite.length), finite), `${nans} NaNs: the other values as Float64Array.prototype.sort orders them`);
      const w = new Uint32Array(sorted.buffer);
      for (let i = finite.length + 1; i < sorted.length; i++) {
        assert.ok(w[2 * i - 1] < w[2 * i + 1] || (w[2 * i - 1] === w[2 * i + 1] && w[2 * i - 2] <= w[2 * i]), `${nans} NaNs: bit patterns ascending at ${i}`);
      }
    }
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
