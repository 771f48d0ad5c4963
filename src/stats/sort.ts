/**
 * Sorting of float64 samples: a radix sort on the IEEE 754 bit pattern (no
 * comparator), the order of `Float64Array.prototype.sort` for every value:
 * -Infinity < ... < -0 < +0 < ... < +Infinity, NaN last (positive NaN; a NaN
 * with the sign bit set sorts first, which `Float64Array.prototype.sort` never
 * does - callers reject NaN anyway).
 *
 * The bit patterns are mapped in place to unsigned 64-bit keys with the order
 * of the values, read as four 16-bit digits. The top digit is partitioned in
 * place (American flag sort: counts, then cycle-leader swaps, no scratch).
 * Each of its buckets is sorted on the lower digits by stable LSD counting
 * passes (digits of 8 to 16 bits, about log2 of the bucket's length; a pass
 * is skipped when all keys share its digit) that ping-pong with one shared
 * scratch array; a bucket longer than the scratch is partitioned in place
 * again on the next digit, recursively, and one whose keys are all equal is
 * done. Buckets under 64 keys are insertion-sorted, finite ones under 1024
 * values go to the native sort. Equal keys are identical bit patterns, so the
 * output is the one of any correct sort (the plain four-pass LSD radix sort
 * this replaced, bit for bit).
 *
 * Scratch: n / 8 values, at least 2^17 (1 MiB; arrays up to that length are
 * sorted by LSD passes alone), at most n; plus counting arrays of 2^16 entries
 * (under 2 MiB). Peak memory for n >= 2^20 values: 1.125 times the array
 * (the plain LSD radix sort needed 2 times). Measured on the data of
 * bench/drift.ts (N(j, 1 + j/10) rounded to 4 decimals, Node 20, 2-core
 * AMD EPYC): 150 ms per 5M values (the plain LSD radix sort: 256-294 ms,
 * `Float64Array.prototype.sort`: 567 ms) and 33 ms per 1M values (plain LSD:
 * 24-35 ms, native: 109 ms): the extra in-place pass costs more than it saves
 * while the array still fits the caches. Peak RSS of sorting 5M values in a
 * fresh process: +5 MiB (plain LSD: +35-38 MiB). Below {@link RADIX_MIN_LENGTH}
 * values the native sort is used (the counting arrays dominate).
 */

/** Samples shorter than this are sorted with `Float64Array.prototype.sort`. */
export const RADIX_MIN_LENGTH = 4096;

const DIGITS = 1 << 16;
const SIGN = 0x80000000;
/** Buckets shorter than this are insertion-sorted on their keys. */
const INSERTION_MAX = 64;
/** Buckets of finite values shorter than this (and not insertion-sorted) are sorted with `Float64Array.prototype.sort`. */
const NATIVE_MAX = 1024;
/** Top digits of keys below this hold only -Infinity and NaNs with the sign bit set; from FINITE_TOP_END on only +Infinity and NaNs. */
const FINITE_TOP_MIN = 0x0010;
const FINITE_TOP_END = 0xfff0;
/** The scratch holds at most 1/SCRATCH_DIVISOR of the array ... */
const SCRATCH_DIVISOR = 8;
/** ... or this many values (1 MiB) when that is more: arrays up to this length are sorted by LSD passes alone. */
const SCRATCH_MIN_LENGTH = 1 << 17;

/** Maps the bit patterns (lo, hi words) of values `start..end-1` to unsigned keys with the same order as the values. */
function toKeys(w: Uint32Array, start: number, end: number): void {
  for (let i = start; i < end; i++) {
    const hi = w[2 * i + 1];
    if ((hi & SIGN) !== 0) {
      w[2 * i + 1] = ~hi;
      w[2 * i] = ~w[2 * i];
    } else {
      w[2 * i + 1] = hi | SIGN;
    }
  }
}

/** The inverse of {@link toKeys}. */
function fromKeys(w: Uint32Array, start: number, end: number): void {
  for (let i = start; i < end; i++) {
    const hi = w[2 * i + 1];
    if ((hi & SIGN) !== 0) {
      w[2 * i + 1] = hi & 0x7fffffff;
    } else {
      w[2 * i + 1] = ~hi;
      w[2 * i] = ~w[2 * i];
    }
  }
}

/**
 * One stable counting pass on the digit of `bits` bits (at most 16) at bit
 * `offset` of the keys; false when all keys share the digit (nothing moved).
 */
function radixPass(from: Uint32Array, to: Uint32Array, n: number, offset: number, bits: number, count: Uint32Array): boolean {
  if (offset < 32 && offset + bits > 32) return radixPassAcross(from, to, n, offset, bits, count);
  const word = offset >= 32 ? 1 : 0;
  const shift = offset & 31;
  const size = 1 << bits;
  const mask = size - 1;
  count.fill(0, 0, size);
  for (let i = 0; i < n; i++) count[(from[2 * i + word] >>> shift) & mask]++;
  if (!toStarts(count, size, n)) return false;
  for (let i = 0; i < n; i++) {
    const p = count[(from[2 * i + word] >>> shift) & mask]++;
    to[2 * p] = from[2 * i];
    to[2 * p + 1] = from[2 * i + 1];
  }
  return true;
}

/** {@link radixPass} on a digit that spans both words of the key. */
function radixPassAcross(from: Uint32Array, to: Uint32Array, n: number, offset: number, bits: number, count: Uint32Array): boolean {
  const up = 32 - offset;
  const size = 1 << bits;
  const mask = size - 1;
  count.fill(0, 0, size);
  for (let i = 0; i < n; i++) count[((from[2 * i] >>> offset) | (from[2 * i + 1] << up)) & mask]++;
  if (!toStarts(count, size, n)) return false;
  for (let i = 0; i < n; i++) {
    const lo = from[2 * i];
    const hi = from[2 * i + 1];
    const p = count[((lo >>> offset) | (hi << up)) & mask]++;
    to[2 * p] = lo;
    to[2 * p + 1] = hi;
  }
  return true;
}

/** Turns the first `size` digit counts of `n` keys into bucket starts; false when one digit holds all keys. */
function toStarts(count: Uint32Array, size: number, n: number): boolean {
  let sum = 0;
  for (let d = 0; d < size; d++) {
    const c = count[d];
    if (c === n) return false;
    count[d] = sum;
    sum += c;
  }
  return true;
}

/** The state of one sort: the values, their keys (the same memory, two words per value) and the reusable work arrays. */
interface RadixSorter {
  readonly x: Float64Array;
  readonly w: Uint32Array;
  /** Most values the scratch holds; larger buckets are partitioned in place. */
  readonly cap: number;
  /** Two words per value, allocated on first use. */
  scratch: Uint32Array | undefined;
  /** Digit counts of the current pass. */
  readonly count: Uint32Array;
  /** Write heads of the current in-place partition. */
  readonly next: Uint32Array;
  /** Per digit: the bucket starts of the partition on that digit (entry DIGITS = the end), allocated on first use. */
  readonly bounds: Array<Uint32Array | undefined>;
}

/** Sorts the keys `start..end-1` by insertion (tiny buckets). */
function insertionSort(w: Uint32Array, start: number, end: number): void {
  for (let i = start + 1; i < end; i++) {
    const lo = w[2 * i];
    const hi = w[2 * i + 1];
    let j = i - 1;
    while (j >= start && (w[2 * j + 1] > hi || (w[2 * j + 1] === hi && w[2 * j] > lo))) {
      w[2 * j + 2] = w[2 * j];
      w[2 * j + 3] = w[2 * j + 1];
      j--;
    }
    w[2 * j + 2] = lo;
    w[2 * j + 3] = hi;
  }
}

/** Whether the keys from `start` on, which share their top digit, are finite values. */
function finiteBucket(w: Uint32Array, start: number): boolean {
  const top = w[2 * start + 1] >>> 16;
  return top >= FINITE_TOP_MIN && top < FINITE_TOP_END;
}

/**
 * Turns the keys `start..end-1` back into values and sorts them with the native
 * sort: only for finite values (the order of NaN payloads would not be the keys' one).
 */
function nativeSort(s: RadixSorter, start: number, end: number): void {
  fromKeys(s.w, start, end);
  s.x.subarray(start, end).sort();
}

/**
 * Digit width of the LSD passes for `n` keys: about log2(n) bits, from 8 to
 * 16, so that the counting array (2^bits entries) costs no more than the keys.
 */
function digitBits(n: number): number {
  return Math.min(16, Math.max(8, 31 - Math.clz32(n)));
}

/**
 * Sorts the keys `start..end-1` (at most `cap` of them) on their low
 * `16 * (digit + 1)` bits by stable LSD passes of equal width with the shared scratch.
 */
function lsdSort(s: RadixSorter, start: number, end: number, digit: number): void {
  const n = end - start;
  const total = 16 * (digit + 1);
  const passes = Math.ceil(total / digitBits(n));
  const bits = Math.ceil(total / passes);
  s.scratch ??= new Uint32Array(2 * s.cap);
  const own = s.w.subarray(2 * start, 2 * end);
  let a = own;
  let b = s.scratch.subarray(0, 2 * n);
  for (let offset = 0; offset < total; offset += bits) {
    if (radixPass(a, b, n, offset, Math.min(bits, total - offset), s.count)) {
      const t = a;
      a = b;
      b = t;
    }
  }
  if (a !== own) own.set(a);
}

/** Moves every key of bucket `d` of `bounds` into place by cycles of swaps (the write heads `next` start at `bounds`). */
function permute(w: Uint32Array, bounds: Uint32Array, next: Uint32Array, word: number, shift: number): void {
  for (let d = 0; d < DIGITS; d++) {
    const stop = bounds[d + 1];
    for (let i = next[d]; i < stop; i++) {
      let k = (w[2 * i + word] >>> shift) & 0xffff;
      if (k === d) continue;
      let lo = w[2 * i];
      let hi = w[2 * i + 1];
      do {
        const p = 2 * next[k]++;
        k = (w[p + word] >>> shift) & 0xffff;
        const plo = w[p];
        const phi = w[p + 1];
        w[p] = lo;
        w[p + 1] = hi;
        lo = plo;
        hi = phi;
      } while (k !== d);
      w[2 * i] = lo;
      w[2 * i + 1] = hi;
    }
  }
}

/**
 * Partitions the keys `start..end-1` in place on `digit` (American flag sort)
 * and returns the bucket starts, or undefined when all keys share the digit
 * (nothing moved).
 */
function partition(s: RadixSorter, start: number, end: number, digit: number): Uint32Array | undefined {
  const { w, count, next } = s;
  const word = digit >> 1;
  const shift = (digit & 1) * 16;
  const n = end - start;
  count.fill(0);
  for (let i = start; i < end; i++) count[(w[2 * i + word] >>> shift) & 0xffff]++;
  const bounds = (s.bounds[digit] ??= new Uint32Array(DIGITS + 1));
  let sum = start;
  for (let d = 0; d < DIGITS; d++) {
    const c = count[d];
    if (c === n) return undefined;
    bounds[d] = sum;
    next[d] = sum;
    sum += c;
  }
  bounds[DIGITS] = end;
  permute(w, bounds, next, word, shift);
  return bounds;
}

/**
 * Sorts the keys `start..end-1`, which share every digit above `digit`, on the
 * digits `digit` down to 0 and turns them back into values (while in cache).
 */
function sortRange(s: RadixSorter, start: number, end: number, digit: number): void {
  const n = end - start;
  for (let d = digit; d >= 0; d--) {
    if (n < INSERTION_MAX) {
      insertionSort(s.w, start, end);
      break;
    }
    if (n < NATIVE_MAX && d < 3 && finiteBucket(s.w, start)) return nativeSort(s, start, end);
    if (n <= s.cap) {
      lsdSort(s, start, end, d);
      break;
    }
    const bounds = partition(s, start, end, d);
    if (bounds !== undefined) return sortBuckets(s, bounds, d - 1);
    // all keys share digit d: go on with the next one
  }
  fromKeys(s.w, start, end);
}

/** {@link sortRange} on every bucket of a partition. */
function sortBuckets(s: RadixSorter, bounds: Uint32Array, digit: number): void {
  for (let b = 0; b < DIGITS; b++) {
    const lo = bounds[b];
    const hi = bounds[b + 1];
    if (hi > lo) sortRange(s, lo, hi, digit);
  }
}

/** Values the scratch of a sort of `n` values holds: n / 8, at least {@link SCRATCH_MIN_LENGTH}, at most n. */
function scratchLength(n: number): number {
  return Math.min(n, Math.max(SCRATCH_MIN_LENGTH, Math.ceil(n / SCRATCH_DIVISOR)));
}

/**
 * A sorted copy of `x` (ascending, -0 before +0), by a radix sort on the
 * float64 bit pattern. The input is not modified. Peak memory: the input, the
 * copy and the sort's scratch (1/8 of the copy, at least 1 MiB, see
 * {@link sortFloat64InPlace}).
 */
export function sortedFloat64(x: Float64Array | readonly number[]): Float64Array {
  return sortFloat64InPlace(Float64Array.from(x));
}

/**
 * Sorts `x` in place, in the order of {@link sortedFloat64}, and returns it.
 * Peak memory: `x` plus a scratch array of max(`x.length` / 8, 2^17) values
 * (at most `x.length`) and counting arrays of 2^16 entries (under 2 MiB), all
 * freed on return.
 */
export function sortFloat64InPlace(x: Float64Array): Float64Array {
  const n = x.length;
  if (n < RADIX_MIN_LENGTH) return x.sort();
  const w = new Uint32Array(x.buffer, x.byteOffset, 2 * n);
  const s: RadixSorter = {
    x, w, cap: scratchLength(n), scratch: undefined,
    count: new Uint32Array(DIGITS), next: new Uint32Array(DIGITS), bounds: [undefined, undefined, undefined, undefined],
  };
  toKeys(w, 0, n);
  sortRange(s, 0, n, 3);
  return x;
}
