/**
 * Sorting of float64 samples: an LSD radix sort on the IEEE 754 bit pattern
 * (four 16-bit digits, no comparator), the order of `Float64Array.prototype.sort`
 * for every value: -Infinity < ... < -0 < +0 < ... < +Infinity, NaN last
 * (positive NaN; a NaN with the sign bit set sorts first, which
 * `Float64Array.prototype.sort` never does - callers reject NaN anyway).
 *
 * Measured on 1M and 5M doubles (Node 20, bench/drift.ts data): 1.5-1.8x
 * faster than `Float64Array.prototype.sort`. Below {@link RADIX_MIN_LENGTH}
 * values the native sort is used (the radix sort's counting arrays dominate).
 */

/** Samples shorter than this are sorted with `Float64Array.prototype.sort`. */
export const RADIX_MIN_LENGTH = 4096;

const DIGITS = 1 << 16;
const SIGN = 0x80000000;

/** Maps the bit pattern (lo, hi words) to an unsigned key with the same order as the value. */
function toKeys(w: Uint32Array, n: number): void {
  for (let i = 0; i < n; i++) {
    const hi = w[2 * i + 1];
    if ((hi & SIGN) !== 0) {
      w[2 * i + 1] = ~hi;
      w[2 * i] = ~w[2 * i];
    } else {
      w[2 * i + 1] = hi | SIGN;
    }
  }
}

function fromKeys(w: Uint32Array, n: number): void {
  for (let i = 0; i < n; i++) {
    const hi = w[2 * i + 1];
    if ((hi & SIGN) !== 0) {
      w[2 * i + 1] = hi & 0x7fffffff;
    } else {
      w[2 * i + 1] = ~hi;
      w[2 * i] = ~w[2 * i];
    }
  }
}

/** One stable counting pass on the 16-bit digit `pass` (0 = lowest); false when all keys share the digit. */
function radixPass(from: Uint32Array, to: Uint32Array, n: number, pass: number, count: Uint32Array): boolean {
  const word = pass >> 1;
  const shift = (pass & 1) * 16;
  count.fill(0);
  for (let i = 0; i < n; i++) count[(from[2 * i + word] >>> shift) & 0xffff]++;
  let sum = 0;
  for (let d = 0; d < DIGITS; d++) {
    const c = count[d];
    if (c === n) return false;
    count[d] = sum;
    sum += c;
  }
  for (let i = 0; i < n; i++) {
    const p = count[(from[2 * i + word] >>> shift) & 0xffff]++;
    to[2 * p] = from[2 * i];
    to[2 * p + 1] = from[2 * i + 1];
  }
  return true;
}

/**
 * A sorted copy of `x` (ascending, -0 before +0), by an LSD radix sort on the
 * float64 bit pattern. The input is not modified. Peak memory: two copies.
 */
export function sortedFloat64(x: Float64Array | readonly number[]): Float64Array {
  return sortFloat64InPlace(Float64Array.from(x));
}

/**
 * Sorts `x` in place, in the order of {@link sortedFloat64}, and returns it.
 * Peak memory: `x` plus one scratch array of the same size (freed on return).
 */
export function sortFloat64InPlace(x: Float64Array): Float64Array {
  const n = x.length;
  if (n < RADIX_MIN_LENGTH) return x.sort();
  const own = new Uint32Array(x.buffer, x.byteOffset, 2 * n);
  let a: Uint32Array = own;
  let b: Uint32Array = new Uint32Array(2 * n);
  const count = new Uint32Array(DIGITS);
  toKeys(a, n);
  for (let pass = 0; pass < 4; pass++) {
    if (radixPass(a, b, n, pass, count)) {
      const t = a;
      a = b;
      b = t;
    }
  }
  if (a !== own) own.set(a);
  fromKeys(own, n);
  return x;
}
