/**
 * Drift-check benchmark: this library against SciPy + pandas on the same files.
 *
 * Data: `FEATURES` numeric features (default 10), reference and current windows
 * of `ROWS` rows each (default 1,000,000 and 5,000,000), deterministic PRNG,
 * feature j ~ N(j, 1 + j/10) rounded to 4 decimals (ties, like real data), the
 * current window shifted by 0.002 j sd. Written once per size as CSV and Parquet
 * (DOUBLE columns, one row group per 1M rows) under $BENCH_DIR (default a temp dir).
 *
 * Work measured, each in a fresh child process (peak RSS is per run):
 *  - stats:     KS + PSI over every feature with the data already in memory.
 *               Library: `checkNumericFeature` (what the CLI runs per feature:
 *               KS, point-mass-aware PSI, summaries, plot histogram).
 *               SciPy: `scipy.stats.ks_2samp` + PSI over `numpy.quantile` edges
 *               (`np.histogram` of the clipped values). Reading is not timed.
 *  - cli csv / cli parquet: read both windows + check + JSON report. Library:
 *               the CronJob's process, `node bundles/ml-drift.js run --config`
 *               (timed from spawn to exit). Python: `pandas.read_csv`
 *               (`usecols`) / `pandas.read_parquet` + the SciPy stats above.
 * Peak memory: `process.resourceUsage().maxRSS` / Python `resource.getrusage`
 * (stats: of the tsx child, which includes tsx; CLI: of the job's own process,
 * written at exit by a preloaded hook).
 * The parent checks that the library and SciPy agree on D, p and PSI per feature.
 *
 * Python: the first of $BENCH_PYTHON, python3, /usr/bin/python3 that imports
 * scipy and pandas (Debian: python3-scipy python3-pandas; Parquet needs pyarrow
 * or fastparquet). Without it the table says so and shows the library only.
 *
 * The CLI runs check the features in `--workers` threads (the bundled
 * bundles/ml-drift.js serves them, as in the CronJob; run `npm run bundle`
 * first after changing the sources).
 *
 * Run:   npm run bench:drift -- [--rows 1000000,5000000] [--features 10] [--formats csv,parquet] [--workers N] [--python /usr/bin/python3]
 * Env:   the same as BENCH_ROWS, BENCH_FEATURES, BENCH_FORMATS, BENCH_WORKERS, BENCH_PYTHON; BENCH_DIR=/tmp/x (data files, reused)
 * Child: npx tsx bench/drift.ts --child stats <csv|parquet> <rows>   prints one JSON line
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { checkNumericFeature } from '../src/drift/check';
import type { DriftCheckResult } from '../src/drift/check';
import { parseDriftConfig } from '../src/drift/config';
import type { ResolvedDriftCheckConfig } from '../src/drift/config';
import { S3ClientProvider } from '../src/drift/io';
import { readDataWindow } from '../src/drift/readers';
import type { DataWindow } from '../src/drift/readers';

const USAGE = `Usage: npm run bench:drift -- [options]

  --rows <n,n,...>     rows per window, one table block per size (default 1000000,5000000; env BENCH_ROWS)
  --features <n>       numeric features (default 10; env BENCH_FEATURES)
  --formats <list>     csv,parquet (default both; env BENCH_FORMATS)
  --workers <n>        feature worker threads of the CLI runs (default 1, as the CronJob's default; env BENCH_WORKERS)
  --python <exe>       Python with SciPy and pandas (default: the first of $BENCH_PYTHON, /usr/bin/python3, python3 that has them)
  -h, --help           show this help
Data files are written once per size under $BENCH_DIR (default <tmp>/ml-drift-bench) and reused.`;

/** Command-line options become the BENCH_* environment, which the child processes inherit. */
function applyOptions(): void {
  if (process.argv.includes('--child')) return;
  const { values } = parseArgs({
    options: {
      rows: { type: 'string' }, features: { type: 'string' }, formats: { type: 'string' }, workers: { type: 'string' }, python: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help === true) {
    console.log(USAGE);
    process.exit(0);
  }
  const env: Record<string, string | undefined> = {
    BENCH_ROWS: values.rows, BENCH_FEATURES: values.features, BENCH_FORMATS: values.formats, BENCH_WORKERS: values.workers, BENCH_PYTHON: values.python,
  };
  for (const [k, v] of Object.entries(env)) if (v !== undefined) process.env[k] = v;
  const bad = (process.env.BENCH_ROWS ?? '1').split(',').some((r) => !(Number.isInteger(Number(r)) && Number(r) > 0));
  if (bad) throw new Error(`--rows must be positive integers separated by commas, got ${process.env.BENCH_ROWS}\n${USAGE}`);
}
applyOptions();

const ROW_SIZES = (process.env.BENCH_ROWS ?? '1000000,5000000').split(',').map(Number);
const WORKERS = Math.max(1, Number(process.env.BENCH_WORKERS ?? 1));
const BUNDLE = path.join(__dirname, '..', 'bundles', 'ml-drift.js');
const FEATURES = Number(process.env.BENCH_FEATURES ?? 10);
const FORMATS = (process.env.BENCH_FORMATS ?? 'csv,parquet').split(',') as Format[];
const DIR = process.env.BENCH_DIR ?? path.join(os.tmpdir(), 'ml-drift-bench');
const ROW_GROUP = 1_000_000;

type Format = 'csv' | 'parquet';
type Work = 'stats' | 'cli';

interface FeatureOut {
  d: number;
  p: number;
  psi: number;
}

interface RunResult {
  seconds: number;
  maxRssMiB: number;
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

function column(rows: number, seed: number, j: number, shift: number): Float64Array {
  const rng = mulberry32(seed);
  const sd = 1 + j / 10;
  const out = new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    const z = Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng());
    out[i] = Math.round((j + shift * sd + sd * z) * 1e4) / 1e4;
  }
  return out;
}

const names = (): string[] => Array.from({ length: FEATURES }, (_, j) => `f${j}`);

function dataFile(rows: number, role: 'reference' | 'current', format: Format): string {
  return path.join(DIR, `${role}-${rows}x${FEATURES}.${format}`);
}

/** Writes the CSV and Parquet files of one size (skipped when they exist). */
function writeData(rows: number): void {
  fs.mkdirSync(DIR, { recursive: true });
  for (const role of ['reference', 'current'] as const) {
    if (FORMATS.every((f) => fs.existsSync(dataFile(rows, role, f)))) continue;
    const cols = names().map((_, j) => (role === 'reference' ? column(rows, 1000 + j, j, 0) : column(rows, 2000 + j, j, 0.002 * j)));
    if (FORMATS.includes('csv')) {
      const fd = fs.openSync(dataFile(rows, role, 'csv'), 'w');
      fs.writeSync(fd, `${names().join(',')}\n`);
      for (let start = 0; start < rows; start += 100_000) {
        const lines: string[] = [];
        for (let i = start; i < Math.min(rows, start + 100_000); i++) lines.push(cols.map((c) => String(c[i])).join(','));
        fs.writeSync(fd, `${lines.join('\n')}\n`);
      }
      fs.closeSync(fd);
    }
    if (FORMATS.includes('parquet')) {
      const buf = parquetWriteBuffer({
        columnData: names().map((name, j) => ({ name, data: cols[j], type: 'DOUBLE' as const, nullable: false })),
        rowGroupSize: ROW_GROUP,
      });
      fs.writeFileSync(dataFile(rows, role, 'parquet'), Buffer.from(buf));
    }
  }
}

function config(rows: number, format: Format, out: string): ResolvedDriftCheckConfig {
  return parseDriftConfig({
    model: 'bench',
    reference: { uri: dataFile(rows, 'reference', format), format },
    current: { uri: dataFile(rows, 'current', format), format },
    features: names().map((name) => ({ name, type: 'numeric' })),
    outputs: { json: out },
  });
}

// ---------------------------------------------------------------------------
// library child

/**
 * The CLI end to end as the CronJob runs it: `node bundles/ml-drift.js run --config <file>` in its own
 * process (DRIFT_WORKERS as the job's env), timed from spawn to exit; its peak RSS is written at exit by
 * a preloaded hook, so it is the job's own process, not this harness's.
 */
function bundleRun(format: Format, rows: number): RunResult {
  const out = path.join(DIR, `result-${process.pid}.json`);
  const configFile = path.join(DIR, `config-${process.pid}.json`);
  const rssFile = path.join(DIR, `maxrss-${process.pid}.txt`);
  const hook = path.join(DIR, 'maxrss-hook.cjs');
  fs.writeFileSync(hook, "process.on('exit', () => require('fs').writeFileSync(process.env.BENCH_RSS_FILE, String(process.resourceUsage().maxRSS)));\n");
  fs.writeFileSync(configFile, JSON.stringify({
    model: 'bench',
    reference: { uri: dataFile(rows, 'reference', format), format },
    current: { uri: dataFile(rows, 'current', format), format },
    features: names().map((name) => ({ name, type: 'numeric' })),
    outputs: { json: out },
  }));
  const t0 = performance.now();
  const r = spawnSync(process.execPath, ['--require', hook, BUNDLE, 'run', '--config', configFile], {
    encoding: 'utf8', env: { ...process.env, BENCH_RSS_FILE: rssFile, DRIFT_WORKERS: String(WORKERS) },
  });
  const seconds = (performance.now() - t0) / 1000;
  if (r.status !== 0 && r.status !== 1) throw new Error(`ml-drift failed (${r.status}): ${r.stderr}`);
  const report = JSON.parse(fs.readFileSync(out, 'utf8')) as DriftCheckResult;
  const maxRssMiB = Number(fs.readFileSync(rssFile, 'utf8')) / 1024;
  for (const f of [out, configFile, rssFile]) fs.rmSync(f, { force: true });
  const features = report.features.map((f) => (f.type === 'numeric' ? { d: f.ks.statistic, p: f.ks.pvalue, psi: f.psi.value } : { d: NaN, p: NaN, psi: NaN }));
  return { seconds, maxRssMiB, features };
}

/** The statistics with the data already in memory (reading not timed), in this child process. */
async function libraryChild(format: Format, rows: number): Promise<RunResult> {
  const cfg = config(rows, format, path.join(DIR, `result-${process.pid}.json`));
  const s3 = new S3ClientProvider({});
  const request = { features: cfg.features.map((f) => ({ name: f.name, type: f.type })) };
  const ref = await readDataWindow(cfg.reference, request, { role: 'reference', baseDir: DIR, s3 });
  const cur = await readDataWindow(cfg.current, request, { role: 'current', baseDir: DIR, s3 });
  const values = (w: DataWindow, name: string): Float64Array => {
    const c = w.columns.get(name);
    if (c === undefined || c.type !== 'numeric') throw new Error(`no column ${name}`);
    return c.values;
  };
  const features: FeatureOut[] = [];
  const t0 = performance.now();
  for (const f of cfg.features) {
    if (f.type !== 'numeric') continue;
    const r = checkNumericFeature(f, values(ref, f.name), values(cur, f.name));
    features.push({ d: r.ks.statistic, p: r.ks.pvalue, psi: r.psi.value });
  }
  return { seconds: (performance.now() - t0) / 1000, maxRssMiB: process.resourceUsage().maxRSS / 1024, features };
}

// ---------------------------------------------------------------------------
// Python (SciPy + pandas)

const PYTHON = String.raw`
import json, resource, sys, time
import numpy as np, pandas as pd
from scipy import stats
work, fmt, ref_path, cur_path, names = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5].split(',')
def read(p):
    return pd.read_csv(p, usecols=names, dtype='float64') if fmt == 'csv' else pd.read_parquet(p, columns=names)
def check(ref, cur):
    out = []
    for n in names:
        a, b = ref[n].to_numpy(), cur[n].to_numpy()
        ks = stats.ks_2samp(a, b)
        e = np.unique(np.quantile(a, np.linspace(0, 1, 11)))
        ea = np.histogram(np.clip(a, e[0], e[-1]), e)[0] / len(a)
        ca = np.histogram(np.clip(b, e[0], e[-1]), e)[0] / len(b)
        ea = np.where(ea == 0, 0.0001, ea); ca = np.where(ca == 0, 0.0001, ca)
        out.append({'d': float(ks.statistic), 'p': float(ks.pvalue), 'psi': float(np.sum((ca - ea) * np.log(ca / ea)))})
    return out
t0 = time.perf_counter()
ref, cur = read(ref_path), read(cur_path)
if work == 'stats':
    t0 = time.perf_counter()
features = check(ref, cur)
seconds = time.perf_counter() - t0
print(json.dumps({'seconds': seconds, 'maxRssMiB': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 'features': features}))
`;

interface Python {
  readonly exe: string;
  readonly versions: string;
  readonly parquet: boolean;
}

function findPython(): Python | string {
  // Debian's python3-scipy lives under /usr/bin/python3; a pyenv `python3` first on PATH often lacks SciPy
  const candidates = [process.env.BENCH_PYTHON, '/usr/bin/python3', 'python3'].filter((c): c is string => c !== undefined && c !== '');
  const probe = 'import sys, scipy, pandas, numpy\ntry:\n import pyarrow; pq = "pyarrow " + pyarrow.__version__\nexcept ImportError:\n pq = ""\n'
    + 'print(f"Python {sys.version.split()[0]}, SciPy {scipy.__version__}, pandas {pandas.__version__}, NumPy {numpy.__version__}" + (", " + pq if pq else "") + "|" + ("1" if pq else "0"))';
  for (const exe of candidates) {
    const r = spawnSync(exe, ['-c', probe], { encoding: 'utf8' });
    if (r.status === 0) {
      const [versions, pq] = r.stdout.trim().split('|');
      return { exe, versions, parquet: pq === '1' };
    }
  }
  return `no Python with scipy and pandas found (tried ${candidates.join(', ')}; Debian: apt-get install python3-scipy python3-pandas)`;
}

// ---------------------------------------------------------------------------
// parent

function runJson(cmd: string, args: string[]): RunResult {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  const last = r.stdout.trim().split('\n').pop() ?? '';
  return JSON.parse(last) as RunResult;
}

function runLibrary(work: Work, format: Format, rows: number): RunResult {
  if (work === 'cli') return bundleRun(format, rows);
  return runJson(process.execPath, [...process.execArgv, '--max-old-space-size=8192', __filename, '--child', work, format, String(rows)]);
}

function runPython(py: Python, work: Work, format: Format, rows: number): RunResult {
  return runJson(py.exe, ['-c', PYTHON, work, format, dataFile(rows, 'reference', format), dataFile(rows, 'current', format), names().join(',')]);
}

const fmt = (x: number, digits: number): string => x.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

interface Row {
  rows: number;
  work: string;
  lib: RunResult;
  py?: RunResult;
  pyNote?: string;
}

function agreement(rows: readonly Row[]): string {
  let d = 0;
  let p = 0;
  let psi = 0;
  for (const r of rows) {
    if (r.py === undefined) continue;
    const py = r.py;
    r.lib.features.forEach((f, j) => {
      d = Math.max(d, Math.abs(f.d - py.features[j].d));
      p = Math.max(p, Math.abs(f.p - py.features[j].p) / Math.max(py.features[j].p, 1e-300));
      psi = Math.max(psi, Math.abs(f.psi - py.features[j].psi) / Math.max(py.features[j].psi, 1e-300));
    });
  }
  return `Agreement with SciPy over all runs: max |ΔD| ${d.toExponential(1)}, max relative Δp ${p.toExponential(1)}, max relative ΔPSI ${psi.toExponential(1)}`
    + ' (PSI: the library gives a point mass its own bucket; on these continuous data the buckets are the same).';
}

function table(rows: readonly Row[]): string {
  const out = [
    '| rows per window | work | this library (s) | SciPy / pandas (s) | speed-up | library rows/s | library peak RSS (MiB) | Python peak RSS (MiB) |',
    '|---:|---|---:|---:|---:|---:|---:|---:|',
  ];
  for (const r of rows) {
    const py = r.py;
    out.push(`| ${fmt(r.rows, 0)} | ${r.work} | ${fmt(r.lib.seconds, 2)} | ${py === undefined ? (r.pyNote ?? 'n/a') : fmt(py.seconds, 2)} | `
      + `${py === undefined ? 'n/a' : `${fmt(py.seconds / r.lib.seconds, 2)}x`} | ${fmt((2 * r.rows) / r.lib.seconds, 0)} | `
      + `${fmt(r.lib.maxRssMiB, 0)} | ${py === undefined ? 'n/a' : fmt(py.maxRssMiB, 0)} |`);
  }
  return out.join('\n');
}

function parent(): void {
  const t0 = performance.now();
  const py = findPython();
  const rows: Row[] = [];
  for (const n of ROW_SIZES) {
    process.stderr.write(`writing ${fmt(n, 0)}-row files to ${DIR} ...\n`);
    writeData(n);
    const jobs: Array<{ work: Work; format: Format; label: string }> = [
      { work: 'stats', format: FORMATS[0], label: 'stats: KS + PSI, data in memory' },
      ...FORMATS.map((format) => ({ work: 'cli' as const, format, label: `CLI end to end, ${format === 'csv' ? 'CSV' : 'Parquet'}` })),
    ];
    for (const job of jobs) {
      const lib = runLibrary(job.work, job.format, n);
      let result: RunResult | undefined;
      let note: string | undefined;
      if (typeof py === 'string') note = 'no Python';
      else if (job.work === 'cli' && job.format === 'parquet' && !py.parquet) note = 'n/a (no pyarrow)';
      else result = runPython(py, job.work, job.format, n);
      process.stderr.write(`  ${job.label}: library ${fmt(lib.seconds, 2)} s${result === undefined ? '' : `, Python ${fmt(result.seconds, 2)} s`}\n`);
      rows.push({ rows: n, work: job.label, lib, ...(result === undefined ? {} : { py: result }), ...(note === undefined ? {} : { pyNote: note }) });
    }
  }
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  console.log(`# Drift checks: this library vs SciPy + pandas, ${FEATURES} numeric features, reference and current windows of equal size, CLI with ${WORKERS} feature worker${WORKERS > 1 ? 's' : ''}\n`);
  console.log(`${new Date().toISOString().slice(0, 10)}; Node ${process.version}, ${os.cpus().length} x ${cpu}, ${fmt(os.totalmem() / 2 ** 30, 1)} GiB, ${os.platform()} ${os.arch()}.`);
  console.log(typeof py === 'string' ? `${py}: library only.\n` : `${py.versions} (${py.exe}).\n`);
  console.log(table(rows));
  console.log('');
  console.log(agreement(rows));
  console.log('rows/s = (reference + current rows) / library seconds. stats = the checks only, files already read; CLI = read + check + JSON report.');
  console.log(`Total benchmark time: ${fmt((performance.now() - t0) / 1000, 1)} s.`);
}

const childFlag = process.argv.indexOf('--child');
if (childFlag >= 0) {
  const [work, format, rows] = process.argv.slice(childFlag + 1);
  if (work !== 'stats' || (format !== 'csv' && format !== 'parquet')) throw new Error('usage: bench/drift.ts --child stats <csv|parquet> <rows>');
  void libraryChild(format, Number(rows)).then((r) => process.stdout.write(`${JSON.stringify(r)}\n`));
} else {
  parent();
}
