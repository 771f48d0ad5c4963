/**
 * Minimal double-double ("double2") arithmetic: an unevaluated sum hi + lo of
 * two doubles with |lo| <= ulp(hi)/2, giving ~106 bits of precision. Used by
 * the one-sided Smirnov distribution, where binomial-weighted powers with
 * exponents up to 10^6 would otherwise amplify rounding errors.
 *
 * Error-free transformations follow Dekker (1971) / Knuth (TAOCP vol. 2);
 * JavaScript has no fused multiply-add, so products use Veltkamp splitting.
 * @internal
 */

/** A double-double number hi + lo. */
export interface DD {
  readonly hi: number;
  readonly lo: number;
}

export const DD_ONE: DD = { hi: 1, lo: 0 };

/** Exact sum a + b as a double-double (Knuth's two-sum). */
export function twoSum(a: number, b: number): DD {
  const s = a + b;
  const bb = s - a;
  const err = (a - (s - bb)) + (b - bb);
  return { hi: s, lo: err };
}

function quickTwoSum(a: number, b: number): DD {
  const s = a + b;
  return { hi: s, lo: b - (s - a) };
}

const SPLITTER = 134217729; // 2^27 + 1

/** Exact product a * b as a double-double (Dekker's two-product). */
export function twoProd(a: number, b: number): DD {
  const p = a * b;
  let t = SPLITTER * a;
  const ah = t - (t - a);
  const al = a - ah;
  t = SPLITTER * b;
  const bh = t - (t - b);
  const bl = b - bh;
  const err = ((ah * bh - p) + ah * bl + al * bh) + al * bl;
  return { hi: p, lo: err };
}

export function ddAdd(a: DD, b: DD): DD {
  const s = twoSum(a.hi, b.hi);
  const t = twoSum(a.lo, b.lo);
  let s2 = s.lo + t.hi;
  const u = quickTwoSum(s.hi, s2);
  s2 = u.lo + t.lo;
  return quickTwoSum(u.hi, s2);
}

export function ddAddD(a: DD, b: number): DD {
  const s = twoSum(a.hi, b);
  const s2 = s.lo + a.lo;
  return quickTwoSum(s.hi, s2);
}

export function ddNeg(a: DD): DD {
  return { hi: -a.hi, lo: -a.lo };
}

export function ddSub(a: DD, b: DD): DD {
  return ddAdd(a, ddNeg(b));
}

export function ddMulD(a: DD, b: number): DD {
  const p = twoProd(a.hi, b);
  const p2 = p.lo + a.lo * b;
  return quickTwoSum(p.hi, p2);
}

export function ddDiv(a: DD, b: DD): DD {
  const q1 = a.hi / b.hi;
  let r = ddSub(a, ddMulD(b, q1));
  const q2 = r.hi / b.hi;
  r = ddSub(r, ddMulD(b, q2));
  const q3 = r.hi / b.hi;
  return ddAddD(quickTwoSum(q1, q2), q3);
}

export function ddToNumber(a: DD): number {
  return a.hi + a.lo;
}

export function ddIsZero(a: DD): boolean {
  return a.hi === 0;
}

export function ddFloor(a: DD): DD {
  const hi = Math.floor(a.hi);
  if (hi === a.hi) return quickTwoSum(hi, Math.floor(a.lo));
  return { hi, lo: 0 };
}

/** x * 2^e, exact unless the result over- or underflows. */
export function ldexp(x: number, e: number): number {
  // split the scale so each factor is a representable power of two
  if (x === 0 || !Number.isFinite(x)) return x;
  if (e < -2200) return x * 0; // |x| < 2^1024, so the result underflows to (signed) zero
  if (e > 2200) return x * Infinity;
  let result = x;
  let k = e;
  while (k > 1000) {
    result *= 2 ** 1000;
    k -= 1000;
  }
  while (k < -1000) {
    result *= 2 ** -1000;
    k += 1000;
  }
  return result * 2 ** k;
}
