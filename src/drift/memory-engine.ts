/**
 * The in-memory engine of the drift checker: both windows are opened
 * (`openDataWindow`) and checked one feature at a time. A numeric feature's
 * two columns are handed over (transferred, not copied) to a worker thread
 * that sorts them in place and computes KS, PSI, the summaries and the
 * histogram, while the main thread reads the next feature. At most `count`
 * features are in memory at once; results are assembled in config order, so
 * they do not depend on the number of threads or on which finishes first.
 *
 * Workers run the bundled CLI script itself (`new Worker(script)`, or an eval
 * loader that decompresses `ml-drift.js.br` like the CronJob's loader); its
 * top level serves feature checks when it starts as a worker
 * ({@link serveFeatureWorker}). https://nodejs.org/api/worker_threads.html
 */
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { attributionFromMeans, meanAbs } from './attribution';
import type { AttributionResult } from './attribution';
import type { Draft, DriftCheckResult, FeatureResult, NumericFeatureResult } from './check';
import { assembleDrift, draftCategorical, draftNumeric } from './check';
import type { ResolvedDriftCheckConfig, ResolvedNumericFeature } from './config';
import { DriftDataError, describeError } from './errors';
import { assertCompatibleSchemas, openDataWindow } from './readers';
import type { ColumnRequest, FeatureSource } from './readers';
import type { DriftEngine } from './run';
import { isRecord } from '../core/json';

/** Worker threads of the in-memory engine. */
export interface FeatureWorkersOptions {
  /** Features checked in parallel (and held in memory at once); 1 checks them on the main thread. */
  readonly count: number;
  /** The script a worker runs: the bundled CLI (`.js`, or `.js.br` / `.js.gz` as the CronJob ships it). */
  readonly script: string;
}

/** `workerData` key that makes the bundled CLI serve feature checks instead of running. */
const WORKER_FLAG = 'mlDriftFeatureWorker';

/** Compiles the (compressed) bundle in a worker, like the CronJob's loader; its top level then serves. */
const WORKER_LOADER = [
  "const z=require('zlib'),f=require('fs'),M=require('module'),p=require('worker_threads').workerData.script;",
  "let b=f.readFileSync(p);if(p.endsWith('.br'))b=z.brotliDecompressSync(b);else if(p.endsWith('.gz'))b=z.gunzipSync(b);",
  "const m=new M(p,null);m.filename=p;m.paths=[];m._compile(b.toString('utf8'),p);",
].join('');

/**
 * Threads for the numeric features: `DRIFT_WORKERS` when set (the CronJob
 * sets it to the whole cores of its CPU request), else 1 (the main thread).
 * Measured on a shared 2-core machine (10 numeric features, Node 20): two
 * workers were slower than none at 200k rows per window (CSV 2.06 s vs
 * 1.61 s, Parquet 1.89 s vs 1.27 s: each worker compiles the bundle) and did
 * not win at 1M (Parquet 7.2 s vs 5.8 s, CSV 7.7 s vs 7.8 s), so they are
 * opt-in.
 */
export function driftWorkerCount(env: NodeJS.ProcessEnv): number {
  const declared = Number(env.DRIFT_WORKERS);
  return env.DRIFT_WORKERS !== undefined && Number.isInteger(declared) && declared >= 1 ? Math.min(declared, 64) : 1;
}

interface NumericTask {
  readonly id: number;
  readonly feature: ResolvedNumericFeature;
  readonly reference: Float64Array;
  readonly current: Float64Array;
  readonly power: number;
}

type Reply = { readonly id: number; readonly draft: Draft<NumericFeatureResult> } | { readonly id: number; readonly error: string };

function isTask(v: unknown): v is NumericTask {
  return isRecord(v) && typeof v.id === 'number' && isRecord(v.feature) && v.reference instanceof Float64Array && v.current instanceof Float64Array;
}

function isReply(v: unknown): v is Reply {
  return isRecord(v) && typeof v.id === 'number' && (isRecord(v.draft) || typeof v.error === 'string');
}

/**
 * In a worker started by the engine: answers numeric feature checks until
 * terminated, and returns true. Elsewhere returns false at once. The bundled
 * CLI calls it first thing.
 */
export function serveFeatureWorker(): boolean {
  const port = parentPort;
  if (isMainThread || port === null || !isRecord(workerData) || workerData[WORKER_FLAG] !== true) return false;
  port.on('message', (msg: unknown) => {
    if (!isTask(msg)) return;
    let reply: Reply;
    try {
      reply = { id: msg.id, draft: draftNumeric(msg.feature, msg.reference, msg.current, msg.power, true) };
    } catch (err) {
      reply = { id: msg.id, error: describeError(err) };
    }
    port.postMessage(reply);
  });
  return true;
}

/** Checks a numeric feature, taking ownership of both columns. */
type NumericRunner = (feature: ResolvedNumericFeature, reference: Float64Array, current: Float64Array, power: number) => Promise<Draft<NumericFeatureResult>>;

/** Worker threads that check numeric features, one task per idle worker. */
class WorkerPool {
  private readonly idle: Worker[] = [];
  private readonly all: Worker[] = [];
  private readonly pending = new Map<number, { resolve: (d: Draft<NumericFeatureResult>) => void; reject: (e: Error) => void; worker: Worker }>();
  private nextId = 0;

  constructor(options: FeatureWorkersOptions) {
    // the bundle is plain JavaScript: no inherited loader flags (under tsx they would start its loader in every worker)
    const settings = { workerData: { [WORKER_FLAG]: true, script: options.script }, execArgv: [] };
    const plain = /\.c?js$/.test(options.script);
    for (let i = 0; i < options.count; i++) {
      const w = plain ? new Worker(options.script, settings) : new Worker(WORKER_LOADER, { ...settings, eval: true });
      w.on('message', (msg: unknown) => this.answer(w, msg));
      w.on('error', (err: Error) => this.fail(w, err));
      w.on('exit', (code) => this.fail(w, new Error(`feature worker exited with code ${code}`)));
      this.all.push(w);
      this.idle.push(w);
    }
  }

  /** Runs a task on an idle worker (the caller keeps at most `count` tasks in flight). */
  public readonly run: NumericRunner = (feature, reference, current, power) => new Promise((resolve, reject) => {
    const worker = this.idle.pop();
    if (worker === undefined) {
      reject(new Error('internal: no idle feature worker'));
      return;
    }
    const id = this.nextId++;
    this.pending.set(id, { resolve, reject, worker });
    const task: NumericTask = { id, feature, reference, current, power };
    // the columns move to the worker (no copy); the caller must not touch them again
    worker.postMessage(task, [reference.buffer, current.buffer].filter((b): b is ArrayBuffer => b instanceof ArrayBuffer));
  });

  private answer(worker: Worker, msg: unknown): void {
    if (!isReply(msg)) return;
    const p = this.pending.get(msg.id);
    if (p === undefined) return;
    this.pending.delete(msg.id);
    this.idle.push(worker);
    if ('draft' in msg) p.resolve(msg.draft);
    else p.reject(new DriftDataError(`checking a numeric feature failed: ${msg.error}`));
  }

  private fail(worker: Worker, err: Error): void {
    for (const [id, p] of this.pending) {
      if (p.worker !== worker) continue;
      this.pending.delete(id);
      p.reject(err);
    }
  }

  public async close(): Promise<void> {
    for (const w of this.all) w.removeAllListeners('exit');
    await Promise.all(this.all.map((w) => w.terminate()));
  }
}

function columnRequest(config: ResolvedDriftCheckConfig, withLabels: boolean): ColumnRequest {
  const attribution = config.attribution;
  return {
    features: [
      ...config.features.map((f) => ({ name: f.name, type: f.type })),
      ...(attribution === undefined ? [] : config.features.map((f) => ({ name: `${attribution.columnPrefix}${f.name}`, type: 'numeric' as const }))),
    ],
    ...(withLabels && config.labels !== undefined
      ? { labels: { prediction: config.labels.prediction, actual: config.labels.actual, window: config.labels.window } }
      : {}),
  };
}

/** Checks every feature, at most `slots` numeric features in memory at once; drafts in config order. */
async function draftFeatures(
  config: ResolvedDriftCheckConfig, reference: FeatureSource, current: FeatureSource, runner: NumericRunner, slots: number, reuse = false,
): Promise<Array<Draft<FeatureResult>>> {
  const power = config.verdict.power;
  // in process, one feature at a time: each window's array is refilled for the next feature (Parquet), so the
  // checked columns do not pile up as garbage until the collector runs
  const spare: { ref?: Float64Array; cur?: Float64Array } = {};
  const drafts: Array<Draft<FeatureResult> | undefined> = config.features.map(() => undefined);
  const inFlight = new Set<Promise<void>>();
  let failure: { readonly err: unknown } | undefined;
  for (const [i, f] of config.features.entries()) {
    while (inFlight.size >= slots && failure === undefined) await Promise.race(inFlight);
    if (failure !== undefined) break;
    if (f.type === 'categorical') {
      drafts[i] = draftCategorical(f, await reference.categories(f.name), await current.categories(f.name), power);
      continue;
    }
    const ref = await reference.numeric(f.name, spare.ref);
    const cur = await current.numeric(f.name, spare.cur);
    const task: Promise<void> = runner(f, ref, cur, power).then((d) => {
      drafts[i] = d;
      if (reuse) Object.assign(spare, { ref, cur });
    }, (err: unknown) => {
      failure ??= { err };
    }).finally(() => inFlight.delete(task));
    inFlight.add(task);
  }
  await Promise.all(inFlight);
  if (failure !== undefined) throw failure.err;
  return drafts.map((d, i) => {
    if (d === undefined) throw new DriftDataError(`internal: feature '${config.features[i].name}' was not checked`);
    return d;
  });
}

/** Attribution drift from each attribution column's mean absolute value, one column pair at a time. */
async function attributionDrift(config: ResolvedDriftCheckConfig, reference: FeatureSource, current: FeatureSource): Promise<AttributionResult | undefined> {
  if (config.attribution === undefined) return undefined;
  const { columnPrefix, threshold } = config.attribution;
  const means = [];
  for (const f of config.features) {
    const column = `${columnPrefix}${f.name}`;
    means.push({ feature: f.name, column, reference: meanAbs(await reference.numeric(column)), current: meanAbs(await current.numeric(column)) });
  }
  return attributionFromMeans(means, threshold);
}

/**
 * The in-memory engine: reads the reference, then the current window (when
 * both are bad the error is about the reference), checks the features (in
 * `workers` threads when given and more than one), and assembles the result.
 */
export function memoryEngine(workers?: FeatureWorkersOptions): DriftEngine {
  return async (config, run): Promise<DriftCheckResult> => {
    const opts = { baseDir: run.baseDir, s3: run.s3 };
    const reference = await run.step(`reading reference data (${config.reference.uri})`,
      openDataWindow(config.reference, columnRequest(config, false), { ...opts, role: 'reference' }));
    let current: FeatureSource | undefined;
    let pool: WorkerPool | undefined;
    try {
      current = await run.step(`reading current data (${config.current.uri})`, openDataWindow(config.current, columnRequest(config, true), { ...opts, role: 'current' }));
      assertCompatibleSchemas(reference, current, config.features.map((f) => f.name));
      const numeric = config.features.filter((f) => f.type === 'numeric').length;
      const count = Math.min(workers?.count ?? 1, numeric);
      if (workers !== undefined && count > 1) pool = new WorkerPool({ ...workers, count });
      const runner: NumericRunner = pool?.run ?? ((f, r, c, power) => Promise.resolve(draftNumeric(f, r, c, power, true)));
      const drafts = await run.step('computing the checks', draftFeatures(config, reference, current, runner, Math.max(1, count), pool === undefined));
      const attribution = await run.step('computing attribution drift', attributionDrift(config, reference, current));
      // after the checks: Parquet columns are decoded (and can fail) while they run
      run.log(`read ${reference.rows} reference rows and ${current.rows} current rows${pool === undefined ? '' : ` (${count} feature workers)`}`);
      return assembleDrift(config, drafts, { reference, current, labels: current.labels, attribution }, run.now);
    } finally {
      await pool?.close();
      await current?.close();
      await reference.close();
    }
  };
}
