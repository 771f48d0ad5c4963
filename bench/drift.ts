/**
 * Drift-check benchmark: KS + PSI over 10 numeric features with 1,000,000
 * reference and 1,000,000 current rows each (deterministic PRNG).
 *
 * Variants (each in a fresh child process, so peak RSS is per variant):
 *  - `library`: `ks2samp` (method 'auto' -> asymptotic kstwo at this size) and
 *               `psiNumeric` from src/stats on Float64Array columns.
 *  - `checker`: `checkNumericFeature` from src/drift/check, i.e. what the CLI
 *               runs per feature: the above plus summaries and plot histogram.
 *  - `naive`:   plain JS number[] columns; KS statistic via a comparator sort and
 *               a binary search per value of the pooled sample (scipy's
 *               searchsorted formulation, written naively), p-value from the same
 *               kstwo function; PSI with the same quantile edges but counts via
 *               one Array.filter per bucket.
 *
 * Measured: wall time of the checks only (data generation excluded), peak RSS
 * of the process (`process.resourceUsage().maxRSS`, includes the data and
 * Node + tsx), and the RSS peak before the checks started (data generated).
 * The parent verifies that the variants agree on D, p and PSI.
 *
 * Run:   npx tsx bench/drift.ts
 * Env:   BENCH_ROWS=1000000  rows per window (default 1,000,000)
 *        BENCH_FEATURES=10   numeric features (default 10)
 *        BENCH_REPEATS=1     runs per variant, median reported (default 1)
 * Child: npx tsx bench/drift.ts --child <library|checker|naive>   prints one JSON line
 */
import { spawnSync } from 'node:child_process';
import * as os from 'node:os';
import { performance } from 'node:perf_hooks';
import { checkNumericFeature } from '../src/drift/check';
import { kolmogornSf, ks2samp, psiNumeric, quantilesLinear, roundHalfEven } from '../src/stats';

const VARIANTS = ['library', 'checker', 'naive'] as const;
type Variant = typeof VARIANTS[number];

const ROWS = Number(process.env.BENCH_ROWS ?? 1_000_000);
const FEATURES = Number(process.env.BENCH_FEATURES ?? 10);
const REPEATS = Number(process.env.BENCH_REPEATS ?? 1);

interface FeatureOut {
  d: number;
  p: number;
  psi: number;
}

interface ChildResult {
  variant: Variant;
  ms: number;
  maxRssKiB: number;
  rssBeforeKiB: number;
  features: FeatureOut[];
}

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

/** Feature j: reference ~ N(j, 1 + j/10) rounded to 4 decimals (ties, like real data); current shifted by 0.002 * j sd. */
function fill(out: { length: number; [i: number]: number }, seed: number, j: number, shift: number): void {
  const rng = mulberry32(seed);
  const sd = 1 + j / 10;
  for (let i = 0; i < out.length; i++) {
    const z = Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng());
    out[i] = Math.round((j + shift * sd + sd * z) * 1e4) / 1e4;
  }
}

// ---------------------------------------------------------------------------
// naive baseline

function upperBoundArr(sorted: number[], v: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid] <= v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function naiveKs(a: number[], b: number[]): { d: number; p: number } {
  const x = [...a].sort((u, v) => u - v);
  const y = [...b].sort((u, v) => u - v);
  const all = x.concat(y);
  let d = 0;
  for (const v of all) {
    const diff = Math.abs(upperBoundArr(x, v) / x.length - upperBoundArr(y, v) / y.length);
    if (diff > d) d = diff;
  }
  const n = Math.min(x.length, y.length);
  const m = Math.max(x.length, y.length);
  return { d, p: Math.min(1, Math.max(0, kolmogornSf(roundHalfEven(m * n / (m + n)), d))) };
}

function naivePsi(ref: number[], cur: number[], buckets = 10): number {
  const sorted = Float64Array.from([...ref].sort((u, v) => u - v));
  const qs = Array.from({ length: buckets + 1 }, (_, i) => (i === buckets ? 1 : i * (1 / buckets)));
  const edges = [...new Set(quantilesLinear(sorted, qs))].sort((u, v) => u - v);
  let psi = 0;
  for (let k = 0; k < edges.length - 1; k++) {
    const lo = k === 0 ? -Infinity : edges[k];
    const hi = k === edges.length - 2 ? Infinity : edges[k + 1];
    const e = ref.filter((v) => v >= lo && v < hi).length / ref.length || 0.0001;
    const a = cur.filter((v) => v >= lo && v < hi).length / cur.length || 0.0001;
    psi += (a - e) * Math.log(a / e);
  }
  return psi;
}

// ---------------------------------------------------------------------------
// child

function child(variant: Variant): void {
  const typed = variant !== 'naive';
  const refs: Array<Float64Array | number[]> = [];
  const curs: Array<Float64Array | number[]> = [];
  for (let j = 0; j < FEATURES; j++) {
    const r = typed ? new Float64Array(ROWS) : new Array<number>(ROWS).fill(0);
    const c = typed ? new Float64Array(ROWS) : new Array<number>(ROWS).fill(0);
    fill(r, 1000 + j, j, 0);
    fill(c, 2000 + j, j, 0.002 * j);
    refs.push(r);
    curs.push(c);
  }
  const rssBeforeKiB = process.resourceUsage().maxRSS;
  const features: FeatureOut[] = [];
  const t0 = performance.now();
  for (let j = 0; j < FEATURES; j++) {
    if (variant === 'library') {
      const ks = ks2samp(refs[j], curs[j]);
      const psi = psiNumeric(refs[j], curs[j], { buckets: 10 });
      features.push({ d: ks.statistic, p: ks.pvalue, psi: psi.psi });
    } else if (variant === 'checker') {
      const f = checkNumericFeature(
        { name: `f${j}`, type: 'numeric', psiBuckets: 10, psiThresholds: { small: 0.1, significant: 0.2 }, ksAlpha: 0.05, minEffect: 0.08, discreteMaxValues: 20 },
        refs[j] as Float64Array,
        curs[j] as Float64Array,
      );
      features.push({ d: f.ks.statistic, p: f.ks.pvalue, psi: f.psi.value });
    } else {
      const ks = naiveKs(refs[j] as number[], curs[j] as number[]);
      features.push({ d: ks.d, p: ks.p, psi: naivePsi(refs[j] as number[], curs[j] as number[]) });
    }
  }
  const ms = performance.now() - t0;
  const out: ChildResult = { variant, ms, maxRssKiB: process.resourceUsage().maxRSS, rssBeforeKiB, features };
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

// ---------------------------------------------------------------------------
// parent

function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function runChild(variant: Variant): ChildResult {
  const r = spawnSync(process.execPath, [...process.execArgv, '--max-old-space-size=8192', __filename, '--child', variant], {
    encoding: 'utf8',
    maxBuffer: 16 * 1024 * 1024,
  });
  if (r.status !== 0) throw new Error(`child ${variant} failed (${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as ChildResult;
}

function fmt(x: number, digits: number): string {
  return x.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

function parent(): void {
  const t0 = performance.now();
  const results = new Map<Variant, ChildResult[]>();
  for (const v of VARIANTS) {
    for (let r = 0; r < REPEATS; r++) {
      const res = runChild(v);
      process.stderr.write(`  ${v} run ${r + 1}/${REPEATS}: ${fmt(res.ms, 0)} ms, maxRSS ${fmt(res.maxRssKiB / 1024, 0)} MiB\n`);
      results.set(v, [...(results.get(v) ?? []), res]);
    }
  }
  const lib = results.get('library')![0].features;
  let maxD = 0;
  let maxP = 0;
  let maxPsi = 0;
  for (const v of VARIANTS) {
    results.get(v)![0].features.forEach((f, j) => {
      maxD = Math.max(maxD, Math.abs(f.d - lib[j].d));
      maxP = Math.max(maxP, Math.abs(f.p - lib[j].p) / Math.max(lib[j].p, 1e-300));
      maxPsi = Math.max(maxPsi, Math.abs(f.psi - lib[j].psi) / Math.max(lib[j].psi, 1e-300));
    });
  }
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  console.log(`# Drift checks: KS + PSI, ${FEATURES} numeric features x ${ROWS.toLocaleString('en-US')} reference + ${ROWS.toLocaleString('en-US')} current rows\n`);
  console.log(`Node ${process.version}, ${os.cpus().length} x ${cpu}, ${os.platform()} ${os.arch()}; ${REPEATS} run(s) per variant, fresh process each.\n`);
  const libMs = median(results.get('library')!.map((r) => r.ms));
  const rows = [
    '| variant | data layout | checks ms (median) | ms per feature | peak RSS MiB | RSS before checks MiB | time vs library |',
    '|---|---|---:|---:|---:|---:|---:|',
  ];
  for (const v of VARIANTS) {
    const runs = results.get(v)!;
    const ms = median(runs.map((r) => r.ms));
    rows.push(`| ${v} | ${v === 'naive' ? 'number[]' : 'Float64Array'} | ${fmt(ms, 0)} | ${fmt(ms / FEATURES, 0)} | `
      + `${fmt(median(runs.map((r) => r.maxRssKiB)) / 1024, 0)} | ${fmt(median(runs.map((r) => r.rssBeforeKiB)) / 1024, 0)} | ${fmt(ms / libMs, 2)}x |`);
  }
  console.log(rows.join('\n'));
  console.log('');
  console.log(`Agreement with \`library\`: max |ΔD| ${maxD.toExponential(1)}, max relative Δp ${maxP.toExponential(1)}, max relative ΔPSI ${maxPsi.toExponential(1)}.`);
  console.log('checks ms = the KS and PSI computations only; data generation is excluded. Peak RSS includes the data '
    + `(2 x ${FEATURES} x ${ROWS.toLocaleString('en-US')} doubles = ${fmt(2 * FEATURES * ROWS * 8 / 2 ** 20, 0)} MiB) and Node + tsx.`);
  console.log(`Total benchmark time: ${fmt((performance.now() - t0) / 1000, 1)} s.`);
}

const childFlag = process.argv.indexOf('--child');
if (childFlag >= 0) {
  const v = process.argv[childFlag + 1];
  if (!(VARIANTS as readonly string[]).includes(v)) throw new Error(`usage: bench/drift.ts --child <${VARIANTS.join('|')}>`);
  child(v as Variant);
} else {
  parent();
}
