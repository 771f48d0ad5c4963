/**
 * Finite-n Kolmogorov-Smirnov distributions.
 *
 * - {@link smirnovSf}: one-sided statistic D+_n (scipy.special.smirnov), Birnbaum-Tingey
 *   sum evaluated in double-double arithmetic (van Mulbregt 2018), as in SciPy's cephes
 *   `kolmogorov.c`.
 * - {@link kolmogornSf} / {@link kolmogornCdf}: two-sided statistic D_n for a sample of
 *   size n (scipy.stats.kstwo), using the method selection of Simard & L'Ecuyer (2011)
 *   as in SciPy's `_ksstats.py`: Ruben-Gambino closed forms at the ends of the support,
 *   Durbin's matrix algorithm (Marsaglia-Tsang-Wang), Pomeranz's recursion, the
 *   Pelz-Good asymptotic series and 2 * Smirnov for the upper tail.
 *
 * References: Durbin (1968); Pomeranz (1974); Marsaglia, Tsang & Wang (2003);
 * Pelz & Good (1976); Simard & L'Ecuyer, J. Stat. Software 39(11) (2011);
 * van Mulbregt, arXiv:1802.06966.
 */

import { DD, DD_ONE, ddDiv, ddFloor, ddIsZero, ddMulD, ddSub, ddToNumber, ldexp, twoProd, twoSum } from './dd';

const DBL_EPSILON = 2.220446049250313e-16;
const CEPHES_MINLOG = -708.3964185322641; // log(2^-1022), cephes MINLOG
const SMIRNOV_MAX_COMPUTE_N = 1000000;
const SM_UPPER_MAX_TERMS = 3;
const SM_UPPERSUM_MIN_N = 10;

function clip01(p: number): number {
  return p < 0 ? 0 : p > 1 ? 1 : p;
}

// ---------------------------------------------------------------------------
// One-sided Smirnov distribution

function ddInv(a: DD): DD {
  return ddDiv(DD_ONE, a);
}

/** a^m for a double-double base; pow() on the leading part corrected for the trailing part. */
function powDD(a: DD, m: number): DD {
  if (m <= 0) {
    if (m === 0) return DD_ONE;
    return ddInv(powDD(a, -m));
  }
  if (ddIsZero(a)) return { hi: 0, lo: 0 };
  const ans = Math.pow(a.hi, m);
  const r = a.lo / a.hi;
  let adj = m * r;
  if (Math.abs(adj) > 1e-8) {
    if (Math.abs(adj) < 1e-4) {
      adj += (m * r) * ((m - 1) / 2.0 * r);
    } else {
      adj = Math.expm1(m * Math.log1p(r));
    }
  }
  return twoSum(ans, ans * adj);
}

/** ((a + b) / (c + d))^m in double-double. */
function pow4(a: number, b: number, c: number, d: number, m: number): DD {
  if (m <= 0) {
    if (m === 0) return DD_ONE;
    return pow4(c, d, a, b, -m);
  }
  const A = twoSum(a, b);
  const C = twoSum(c, d);
  if (ddIsZero(A)) return ddIsZero(C) ? { hi: NaN, lo: NaN } : { hi: 0, lo: 0 };
  if (ddIsZero(C)) return A.hi < 0 ? { hi: -Infinity, lo: 0 } : { hi: Infinity, lo: 0 };
  return powDD(ddDiv(A, C), m);
}

// Scalar hot path of the Birnbaum-Tingey sum. Results are passed through module-level
// registers instead of objects to avoid allocations in a loop of up to 10^6 terms.
const F64 = new Float64Array(1);
const U32 = new Uint32Array(F64.buffer);
const HI_WORD = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 1 : 0;
let fxM = 0;
let fxE = 0;
let pwM = 0;
let pwE = 0;
let tpHi = 0;
let tpLo = 0;
const TWO_600 = 2 ** 600;
const TWO_M600 = 2 ** -600;

/** frexp of a finite non-zero x into (fxM, fxE): x = fxM * 2^fxE, 0.5 <= |fxM| < 1. */
function frexpInto(x: number): void {
  F64[0] = x;
  let w = U32[HI_WORD];
  let biased = (w >>> 20) & 0x7ff;
  let adjust = 0;
  if (biased === 0) {
    F64[0] = x * 18446744073709551616; // 2^64, normalises subnormals
    w = U32[HI_WORD];
    biased = (w >>> 20) & 0x7ff;
    adjust = -64;
  }
  U32[HI_WORD] = (w & 0x800fffff) | 0x3fe00000;
  fxM = F64[0];
  fxE = biased - 1022 + adjust;
}

/** x * 2^e for the loop: exact power of two built from its bit pattern when e is in the normal range. */
function scaleByPow2(x: number, e: number): number {
  if (e >= -1022 && e <= 1023) {
    U32[HI_WORD] = (e + 1023) << 20;
    U32[1 - HI_WORD] = 0;
    return x * F64[0];
  }
  return ldexp(x, e);
}

/** Dekker two-product into (tpHi, tpLo). */
function twoProdInto(a: number, b: number): void {
  const p = a * b;
  let t = 134217729 * a;
  const ah = t - (t - a);
  const al = a - ah;
  t = 134217729 * b;
  const bh = t - (t - b);
  const bl = b - bh;
  tpHi = p;
  tpLo = ((ah * bh - p) + ah * bl + al * bh) + al * bl;
}

/** a / b (doubles) as a double-double into (tpHi, tpLo). */
function divInto(a: number, b: number): void {
  const q1 = a / b;
  twoProdInto(q1, b);
  const s = a - tpHi;
  const bb = s - a;
  const sErr = (a - (s - bb)) + (-tpHi - bb);
  const q2 = (s + (sErr - tpLo)) / b;
  tpHi = q1 + q2;
  tpLo = q2 - (tpHi - q1);
}

/**
 * (hi + lo)^m for an integer m >= 0 into (pwM, pwE) = significand, binary exponent.
 * pow() of the leading part, corrected by (1 + lo/hi)^m for the trailing part, and split
 * into chunks so that no intermediate underflows (exponents up to 10^6).
 */
function powScaledInto(hi: number, lo: number, m: number): void {
  if (m === 0) {
    pwM = 1;
    pwE = 0;
    return;
  }
  let h = hi;
  let l = lo;
  let sign = 1;
  if (h < 0) {
    h = -h;
    l = -l;
    if (m % 2 === 1) sign = -1;
  }
  const r = l / h;
  let adj = m * r;
  if (Math.abs(adj) > 1e-8) {
    adj = Math.abs(adj) < 1e-4 ? adj + adj * ((m - 1) / 2 * r) : Math.expm1(m * Math.log1p(r));
  }
  frexpInto(h);
  const y = fxM;
  const ey = fxE;
  let mant: number;
  let e: number;
  const lg = m <= 1000 ? 0 : Math.log2(y);
  if (m <= 1000 || m * lg > -1000) {
    frexpInto(Math.pow(y, m)); // >= 2^-1000 since y >= 1/2
    mant = fxM;
    e = fxE;
  } else {
    const c = Math.floor(-1000 / lg); // y^c >= 2^-1000, c >= 1000
    const q = Math.floor(m / c); // <= 1000 because m <= 10^6
    const rest = m - q * c;
    frexpInto(Math.pow(y, c));
    const bigM = fxM;
    const bigE = fxE;
    frexpInto(Math.pow(bigM, q));
    const aM = fxM;
    const aE = fxE;
    frexpInto(Math.pow(y, rest));
    mant = aM * fxM;
    e = aE + fxE + bigE * q;
  }
  pwM = sign * (mant + mant * adj);
  pwE = e + m * ey;
}

interface SfCdf {
  sf: number;
  cdf: number;
}

function smirnovProbs(n: number, x: number): SfCdf {
  if (!(n > 0 && x >= 0 && x <= 1)) return { sf: NaN, cdf: NaN };
  if (n === 1) return { sf: 1 - x, cdf: x };
  if (x === 0) return { sf: 1, cdf: 0 };
  if (x === 1) return { sf: 0, cdf: 1 };

  // floor(n x) and its fractional part, exactly
  const nxD = twoProd(n, x);
  const nxFloorD = ddFloor(nxD);
  let alpha = ddSub(nxD, nxFloorD).hi;
  let nxfl = nxFloorD.hi + nxFloorD.lo;
  if (alpha === 1) {
    nxfl += 1;
    alpha = 0;
  }
  let n1mxfl = n - nxfl - (alpha === 0 ? 0 : 1);
  let n1mxceil = n - nxfl;
  if (alpha === 0) {
    n1mxfl -= 1;
    n1mxceil += 1;
  }

  if (nxfl === 0 || (nxfl === 1 && alpha === 0)) {
    // x <= 1/n
    const t = ddToNumber(powDD(twoSum(1, x), n - 1));
    const cdf = x * t;
    return { sf: 1 - cdf, cdf };
  }
  if (-2 * n * x * x < CEPHES_MINLOG) return { sf: 0, cdf: 1 };
  if (nxfl >= n - 1) {
    // x >= 1 - 1/n
    const sf = ddToNumber(powDD(twoSum(1, -x), n));
    return { sf, cdf: 1 - sf };
  }
  if (n > SMIRNOV_MAX_COMPUTE_N) {
    const logp = -Math.pow(6 * n * x + 1.0, 2) / 18.0 / n;
    const sf = Math.exp(logp);
    return { sf, cdf: 1 - sf };
  }

  return smirnovSeries(n, x, n1mxfl, n1mxceil);
}

/**
 * The term A_v = C(n, v) (1 - x - v/n)^(n-v) (x + v/n)^(v-1) of the Smirnov series,
 * with C(n, v) ~ cHi * 2^cExp and both bases in double-double.
 */
function smirnovTerm(n: number, x: number, v: number, cHi: number, cExp: number): number {
  divInto(n - v, n);
  let bh = tpHi - x;
  let bb = bh - tpHi;
  let bl = (tpHi - (bh - bb)) + (-x - bb) + tpLo;
  let t = bh + bl;
  powScaledInto(t, bl - (t - bh), n - v);
  const t2M = pwM;
  const t2E = pwE;
  divInto(v, n);
  bh = tpHi + x;
  bb = bh - tpHi;
  bl = (tpHi - (bh - bb)) + (x - bb) + tpLo;
  t = bh + bl;
  powScaledInto(t, bl - (t - bh), v - 1);
  return scaleByPow2(cHi * pwM * t2M, cExp + pwE + t2E);
}

/**
 * The series part of {@link smirnovProbs}: sum of the terms A_v, from the lower end
 * (v = 0, 1, ...) or, when it has fewer terms, from the upper end (v = n, n - 1, ...).
 */
function smirnovSeries(n: number, x: number, n1mxfl: number, n1mxceil: number): SfCdf {
  const nUpperTerms = n - n1mxceil + 1;
  const useUpperSum = (nUpperTerms <= 1 && x < 0.5) ||
    (n >= SM_UPPERSUM_MIN_N && nUpperTerms <= SM_UPPER_MAX_TERMS && x <= 0.5 / Math.sqrt(n));

  let start = 0;
  let step = 1;
  let nTerms = n1mxfl + 1;
  const vmid = Math.trunc(n / 2);
  let aj: DD;
  if (useUpperSum) {
    start = n;
    step = -1;
    nTerms = n - n1mxceil + 1;
    aj = pow4(1, x, 1, 0, n - 1);
  } else {
    aj = ddDiv(pow4(1, -x, 1, 0, n), { hi: x, lo: 0 });
  }
  // running sum (double-double) and binomial coefficient C(n, j) = (cHi + cLo) * 2^cExp
  let sumHi = aj.hi;
  let sumLo = aj.lo;
  let cHi = 1;
  let cLo = 0;
  let cExp = 0;
  const updateBinomial = (j: number): void => {
    divInto(n - j, j + 1.0);
    const rh = tpHi;
    const rl = tpLo;
    twoProdInto(cHi, rh);
    const p2 = tpLo + (cHi * rl + cLo * rh);
    cHi = tpHi + p2;
    cLo = p2 - (cHi - tpHi);
    if (cHi > TWO_600) {
      cHi *= TWO_M600;
      cLo *= TWO_M600;
      cExp += 600;
    } else if (cHi < TWO_M600) {
      cHi *= TWO_600;
      cLo *= TWO_600;
      cExp -= 600;
    }
  };
  updateBinomial(0);
  for (let j = 1; j < nTerms; j++) {
    const term = smirnovTerm(n, x, start + j * step, cHi, cExp);
    if (Number.isFinite(term) && term !== 0) {
      // double-double accumulation
      const s0 = sumHi + term;
      const b0 = s0 - sumHi;
      const err = (sumHi - (s0 - b0)) + (term - b0) + sumLo;
      sumHi = s0 + err;
      sumLo = err - (sumHi - s0);
    }
    if (term !== 0) {
      if (4 * (nTerms - j) * Math.abs(term) < DBL_EPSILON * (sumHi + sumLo) && j !== nTerms - 1) break;
    } else if (j > vmid) {
      break;
    }
    updateBinomial(j);
  }
  const ajSum = { hi: sumHi, lo: sumLo };
  const prob = ddToNumber(ddMulD(ajSum, x));
  if (step < 0) return { sf: clip01(1 - prob), cdf: clip01(prob) };
  return { sf: clip01(prob), cdf: clip01(1 - prob) };
}

/**
 * Survival function of the one-sided Kolmogorov-Smirnov statistic D+_n:
 * Pr(D+_n >= d) (scipy.special.smirnov(n, d)).
 */
export function smirnovSf(n: number, d: number): number {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`smirnovSf: n must be a positive integer, got ${n}`);
  if (Number.isNaN(d)) return NaN;
  return smirnovProbs(n, d).sf;
}

// ---------------------------------------------------------------------------
// Two-sided finite-n Kolmogorov distribution

const E128 = 128;
const EP128 = 2 ** 128;
const EM128 = 2 ** -128;
const LOG_2PI = Math.log(2 * Math.PI);
const SQRT2PI = Math.sqrt(2 * Math.PI);
const MIN_LOG = -708;
const SQRT3 = Math.sqrt(3);
const PI_SQUARED = Math.PI ** 2;
const PI_FOUR = Math.PI ** 4;
const PI_SIX = Math.PI ** 6;
// B_{2j} / (2j) / (2j-1) for j = 8 .. 1 (Stirling series coefficients, highest order first)
const STIRLING_COEFFS = [
  -0.029550653594771242, 0.00641025641025641, -0.0019175269175269176, 0.0008417508417508417,
  -0.0005952380952380953, 0.0007936507936507937, -0.002777777777777778, 0.08333333333333333,
];

/** log(n! / n^n) via Stirling's series with the n log n term removed up front. */
function logNFactorialDivNPowN(n: number): number {
  const rn = 1.0 / n;
  const t = rn / n;
  let poly = 0;
  for (const c of STIRLING_COEFFS) poly = poly * t + c;
  return Math.log(n) / 2 - n + LOG_2PI / 2 + rn * poly;
}

function matMul(a: Float64Array, b: Float64Array, m: number): Float64Array<ArrayBuffer> {
  const out = new Float64Array(m * m);
  for (let i = 0; i < m; i++) {
    const rowOut = i * m;
    for (let k = 0; k < m; k++) {
      const aik = a[i * m + k];
      if (aik === 0) continue;
      const rowB = k * m;
      for (let j = 0; j < m; j++) out[rowOut + j] += aik * b[rowB + j];
    }
  }
  return out;
}

/** Pr(D_n <= d) by Durbin's matrix algorithm, computed as in Marsaglia, Tsang & Wang (2003). */
function kolmogornDurbinCdf(n: number, d: number): number {
  if (d >= 1.0) return 1;
  const nd = n * d;
  if (nd <= 0.5) return 0;
  const k = Math.ceil(nd);
  const h = k - nd;
  const m = 2 * k - 1;

  const v = new Float64Array(m);
  const w = new Float64Array(m);
  let fac = 1.0;
  for (let j = 1; j <= m; j++) {
    v[j - 1] = 1.0 - Math.pow(h, j);
    w[j - 1] = fac;
    fac /= j;
    v[j - 1] *= fac;
  }
  const tt = Math.pow(Math.max(2 * h - 1.0, 0), m) - 2 * Math.pow(h, m);
  v[m - 1] = (1.0 + tt) * fac;

  let H = new Float64Array(m * m);
  for (let i = 1; i < m; i++) {
    for (let r = i - 1; r < m; r++) H[r * m + i] = w[r - (i - 1)];
  }
  for (let r = 0; r < m; r++) H[r * m] = v[r];
  for (let c = 0; c < m; c++) H[(m - 1) * m + c] = v[m - 1 - c];

  let Hpwr = new Float64Array(m * m);
  for (let i = 0; i < m; i++) Hpwr[i * m + i] = 1;
  let nn = n;
  let expnt = 0;
  let hExpnt = 0;
  while (nn > 0) {
    if (nn % 2) {
      Hpwr = matMul(Hpwr, H, m);
      expnt += hExpnt;
    }
    H = matMul(H, H, m);
    hExpnt *= 2;
    if (Math.abs(H[(k - 1) * m + (k - 1)]) > EP128) {
      for (let i = 0; i < H.length; i++) H[i] /= EP128;
      hExpnt += E128;
    }
    nn = Math.floor(nn / 2);
  }
  let p = Hpwr[(k - 1) * m + (k - 1)];
  for (let i = 1; i <= n; i++) {
    p = i * p / n;
    if (Math.abs(p) < EM128) {
      p *= EP128;
      expnt -= E128;
    }
  }
  if (expnt !== 0) p = ldexp(p, expnt);
  return clip01(p);
}

function pomeranzJ1J2(i: number, n: number, ll: number, ceilf: number, roundf: number): [number, number] {
  let j1: number;
  let j2: number;
  if (i === 0) {
    j1 = -ll - ceilf - 1;
    j2 = ll + ceilf - 1;
  } else {
    const ip1div2 = Math.floor((i + 1) / 2);
    const ip1mod2 = (i + 1) % 2;
    if (ip1mod2 === 0) {
      if (ip1div2 === n + 1) {
        j1 = n - ll - ceilf - 1;
        j2 = n + ll + ceilf - 1;
      } else {
        j1 = ip1div2 - 1 - ll - roundf - 1;
        j2 = ip1div2 + ll - 1 + ceilf - 1;
      }
    } else {
      j1 = ip1div2 - 1 - ll - 1;
      j2 = ip1div2 + ll + roundf - 1;
    }
  }
  return [Math.max(j1 + 2, 0), Math.min(j2, n)];
}

/** Pr(D_n <= x) by Pomeranz's recursion (1974). */
function kolmogornPomeranzCdf(n: number, x: number): number {
  const t = n * x;
  const ll = Math.floor(t);
  const f = 1.0 * (t - ll);
  const g = Math.min(f, 1.0 - f);
  const ceilf = f > 0 ? 1 : 0;
  const roundf = f > 0.5 ? 1 : 0;
  const npwrs = 2 * (ll + 1);
  const gpower = new Float64Array(npwrs);
  const twogpower = new Float64Array(npwrs);
  const onem2gpower = new Float64Array(npwrs);
  gpower[0] = 1.0;
  twogpower[0] = 1.0;
  onem2gpower[0] = 1.0;
  let expnt = 0;
  const gOverN = g / n;
  const twoGOverN = 2 * g / n;
  const oneMinusTwoGOverN = (1 - 2 * g) / n;
  for (let m = 1; m < npwrs; m++) {
    gpower[m] = gpower[m - 1] * gOverN / m;
    twogpower[m] = twogpower[m - 1] * twoGOverN / m;
    onem2gpower[m] = onem2gpower[m - 1] * oneMinusTwoGOverN / m;
  }
  let V0 = new Float64Array(npwrs);
  let V1 = new Float64Array(npwrs);
  V1[0] = 1;
  let V0s = 0;
  let V1s = 0;
  let j1 = pomeranzJ1J2(0, n, ll, ceilf, roundf)[0];
  for (let i = 1; i < 2 * n + 2; i++) {
    const k1 = j1;
    [V0, V1] = [V1, V0];
    [V0s, V1s] = [V1s, V0s];
    V1.fill(0);
    const [newJ1, j2] = pomeranzJ1J2(i, n, ll, ceilf, roundf);
    j1 = newJ1;
    const pwrs = i === 1 || i === 2 * n + 1 ? gpower : i % 2 ? twogpower : onem2gpower;
    const ln2 = j2 - k1 + 1;
    if (ln2 > 0) {
      // conv = full convolution of V0[k1 - V0s : k1 - V0s + ln2] with pwrs[:ln2]
      const aStart = k1 - V0s;
      const aLen = Math.max(0, Math.min(ln2, npwrs - aStart));
      const bLen = Math.min(ln2, npwrs);
      const convStart = j1 - k1;
      const convLen = j2 - j1 + 1;
      const fullLen = aLen + bLen - 1;
      for (let o = 0; o < convLen; o++) {
        const idx = convStart + o;
        if (idx < 0 || idx >= fullLen) continue;
        let s = 0;
        const lo = Math.max(0, idx - bLen + 1);
        const hi = Math.min(idx, aLen - 1);
        for (let q = lo; q <= hi; q++) s += V0[aStart + q] * pwrs[idx - q];
        V1[o] = s;
      }
      let maxV = -Infinity;
      for (let q = 0; q < npwrs; q++) if (V1[q] > maxV) maxV = V1[q];
      if (maxV > 0 && maxV < EM128) {
        for (let q = 0; q < npwrs; q++) V1[q] *= EP128;
        expnt -= E128;
      }
      V1s = V0s + j1 - k1;
    }
  }
  let ans = V1[n - V1s];
  for (let m = 1; m <= n; m++) {
    if (Math.abs(ans) > EP128) {
      ans *= EM128;
      expnt += E128;
    }
    ans *= m;
  }
  if (expnt !== 0) ans = ldexp(ans, expnt);
  return clip01(ans);
}

/** Pelz-Good (1976) approximation to Pr(D_n <= x). */
function kolmogornPelzGoodCdf(n: number, x: number): number {
  if (x <= 0.0) return 0;
  if (x >= 1.0) return 1;
  const z = Math.sqrt(n) * x;
  const zsquared = z * z;
  const zthree = z ** 3;
  const zfour = z ** 4;
  const zsix = z ** 6;
  const qlog = -PI_SQUARED / 8 / zsquared;
  if (qlog < MIN_LOG) return 0;
  let q = Math.exp(qlog);

  const k1a = -zsquared;
  const k1b = PI_SQUARED / 4;
  const k2a = 6 * zsix + 2 * zfour;
  const k2b = (2 * zfour - 5 * zsquared) * PI_SQUARED / 4;
  const k2c = PI_FOUR * (1 - 2 * zsquared) / 16;
  const k3d = PI_SIX * (5 - 30 * zsquared) / 64;
  const k3c = PI_FOUR * (-60 * zsquared + 212 * zfour) / 16;
  const k3b = PI_SQUARED * (135 * zfour - 96 * zsix) / 4;
  const k3a = -30 * zsix - 90 * z ** 8;

  const K = [0, 0, 0, 0];
  const maxk = Math.ceil(16 * z / Math.PI);
  for (let k = maxk; k > 0; k--) {
    const m = 2 * k - 1;
    const msquared = m ** 2;
    const mfour = m ** 4;
    const msix = m ** 6;
    const qpower = Math.pow(q, 8 * k);
    const coeffs = [
      1.0,
      k1a + k1b * msquared,
      k2a + k2b * msquared + k2c * mfour,
      k3a + k3b * msquared + k3c * mfour + k3d * msix,
    ];
    for (let i = 0; i < 4; i++) K[i] = K[i] * qpower + coeffs[i];
  }
  const denoms = [z, 6 * zfour, 72 * z ** 7, 6480 * z ** 10];
  for (let i = 0; i < 4; i++) K[i] = K[i] * q * SQRT2PI / denoms[i];

  q = Math.exp(-PI_SQUARED / 2 / zsquared);
  const sqrt3z = SQRT3 * z;
  let k2extra = 0;
  let k3extra = 0;
  for (let k = maxk; k > 0; k--) {
    const ksquared = k * k;
    const qp = Math.pow(q, ksquared);
    k2extra += ksquared * qp;
    const kspi = Math.PI * k;
    k3extra += (sqrt3z + kspi) * (sqrt3z - kspi) * ksquared * qp;
  }
  K[2] += k2extra * (PI_SQUARED * SQRT2PI / (-36 * zthree));
  K[3] += k3extra * (PI_SQUARED * SQRT2PI / (216 * zsix));
  K[1] /= Math.pow(n, 0.5);
  K[2] /= n;
  K[3] /= Math.pow(n, 1.5);
  return 0 + K[0] + K[1] + K[2] + K[3];
}

/**
 * CDF (`cdf = true`) or survival function of the two-sided one-sample KS statistic D_n
 * for sample size n: Pr(D_n <= x) or Pr(D_n > x), as scipy.stats._ksstats._kolmogn.
 */
function kolmogorn(n: number, x: number, cdf: boolean): number {
  const pick = (c: number, s: number): number => clip01(cdf ? c : s);
  if (x >= 1.0) return pick(1, 0);
  if (x <= 0.0) return pick(0, 1);
  const t = n * x;
  if (t <= 1.0) {
    // Ruben-Gambino: 1/(2n) <= x <= 1/n
    if (t <= 0.5) return pick(0, 1);
    let prob: number;
    if (n <= 140) {
      prob = 1;
      for (let i = 1; i <= n; i++) prob *= i * (1.0 / n) * (2 * t - 1);
    } else {
      prob = Math.exp(logNFactorialDivNPowN(n) + n * Math.log(2 * t - 1));
    }
    return pick(prob, 1.0 - prob);
  }
  if (t >= n - 1) {
    const prob = 2 * (1.0 - x) ** n;
    return pick(1 - prob, prob);
  }
  if (x >= 0.5) {
    const prob = 2 * smirnovProbs(n, x).sf;
    return pick(1.0 - prob, prob);
  }
  const nxsquared = t * x;
  if (n <= 140) {
    if (nxsquared <= 0.754693) {
      const prob = kolmogornDurbinCdf(n, x);
      return pick(prob, 1.0 - prob);
    }
    if (nxsquared <= 4) {
      const prob = kolmogornPomeranzCdf(n, x);
      return pick(prob, 1.0 - prob);
    }
    const prob = 2 * smirnovProbs(n, x).sf;
    return pick(1.0 - prob, prob);
  }
  if (!cdf) {
    if (nxsquared >= 370.0) return 0.0;
    if (nxsquared >= 2.2) return clip01(2 * smirnovProbs(n, x).sf);
  }
  let cdfprob: number;
  if (nxsquared >= 18.0) {
    cdfprob = 1.0;
  } else if (n <= 100000 && n * Math.pow(x, 1.5) <= 1.4) {
    cdfprob = kolmogornDurbinCdf(n, x);
  } else {
    cdfprob = kolmogornPelzGoodCdf(n, x);
  }
  return pick(cdfprob, 1.0 - cdfprob);
}

function checkN(n: number, fn: string): void {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`${fn}: n must be a positive integer, got ${n}`);
}

/**
 * Survival function Pr(D_n > d) of the two-sided one-sample Kolmogorov-Smirnov
 * statistic for sample size n (scipy.stats.kstwo.sf(d, n)).
 */
export function kolmogornSf(n: number, d: number): number {
  checkN(n, 'kolmogornSf');
  if (Number.isNaN(d)) return NaN;
  // rv_continuous support handling: (0.5/n, 1)
  if (d <= 0.5 / n) return 1;
  if (d >= 1) return 0;
  return kolmogorn(n, d, false);
}

/** CDF Pr(D_n <= d) of the two-sided one-sample KS statistic (scipy.stats.kstwo.cdf(d, n)). */
export function kolmogornCdf(n: number, d: number): number {
  checkN(n, 'kolmogornCdf');
  if (Number.isNaN(d)) return NaN;
  if (d <= 0.5 / n) return 0;
  if (d >= 1) return 1;
  return kolmogorn(n, d, true);
}
