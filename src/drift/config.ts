/**
 * Configuration of the drift checker (`ml-drift run --config drift.json`).
 *
 * The config is a JSON document; the types below are its schema, exported so
 * that the CronJob construct can render it from typed props. This module has
 * no I/O and no SDK dependencies and is safe to import from the library.
 *
 * Every field that is not listed here is rejected: a misspelt setting that is
 * silently ignored would make the checker pass on the wrong rules.
 *
 * @example
 * const config: DriftCheckConfig = {
 *   model: 'churn',
 *   reference: { uri: 's3://ml-data/churn/train.parquet' },
 *   current: { uri: 's3://ml-data/churn/serving/2024-06-01.jsonl' },
 *   features: [
 *     { name: 'age', type: 'numeric' },
 *     { name: 'plan', type: 'categorical' },
 *   ],
 *   labels: { prediction: 'predicted', actual: 'churned', baselineAccuracy: 0.91 },
 *   outputs: { json: 's3://ml-reports/churn/drift.json', pushgateway: { url: 'http://pushgateway.monitoring:9091' } },
 * };
 * const errors = validateDriftConfig(config); // [] when valid
 */
import { isRecord } from '../core/json';
import { parseS3Uri, s3BucketProblem } from '../core/url';
import type { DriftAthenaConfig, ResolvedDriftAthenaConfig } from './athena-config';
import { resolveDriftAthena, validateDriftEngine } from './athena-config';
import { DRIFT_DATA_FORMATS } from './sources';
import type { DriftDataFormat, DriftDataSource } from './sources';

export { DRIFT_DATA_FORMATS } from './sources';
export type { DriftDataFormat, DriftDataSource } from './sources';

/** PSI verdict thresholds: PSI < small is "none", < significant is "small", otherwise "significant". */
export interface PsiThresholds {
  /** Lower bound of a small change. @default 0.1 */
  readonly small: number;
  /** Lower bound of a significant change (counts as drift). @default 0.2 */
  readonly significant: number;
}

/** A numeric feature: two-sample Kolmogorov-Smirnov test and PSI over reference-quantile buckets. */
export interface NumericDriftFeatureConfig {
  /** Column name in both data windows. */
  readonly name: string;
  /** Feature kind. */
  readonly type: 'numeric';
  /** Number of PSI buckets (reference quantiles, outer buckets open). @default 10 */
  readonly psiBuckets?: number;
  /** PSI verdict thresholds. @default { small: 0.1, significant: 0.2 } */
  readonly psiThresholds?: PsiThresholds;
  /** Significance level of the KS test: drift needs the corrected p-value < ksAlpha. @default 0.05 */
  readonly ksAlpha?: number;
  /**
   * Effect-size floor: drift also needs the KS distance D (the largest share of
   * rows that moved across any threshold) >= minEffect, or a significant PSI.
   * The default is D of a 0.2-sd shift of a normal distribution (Cohen's "small" effect).
   * @default 0.08
   */
  readonly minEffect?: number;
  /**
   * A feature with at most this many distinct values (both windows together) is
   * compared as categories (chi-square test, total variation distance, PSI per
   * value); 0 never does.
   * @default 20
   */
  readonly discreteMaxValues?: number;
}

/** A categorical feature: chi-square test on category counts and PSI over categories. */
export interface CategoricalDriftFeatureConfig {
  /** Column name in both data windows. */
  readonly name: string;
  /** Feature kind. */
  readonly type: 'categorical';
  /** PSI verdict thresholds. @default { small: 0.1, significant: 0.2 } */
  readonly psiThresholds?: PsiThresholds;
  /** Significance level of the chi-square test: drift needs the corrected p-value < chi2Alpha. @default 0.05 */
  readonly chi2Alpha?: number;
  /**
   * Effect-size floor: drift also needs the total variation distance (the share
   * of rows that changed category, half the sum of |share differences|) >=
   * minEffect, or a significant PSI.
   * @default 0.08
   */
  readonly minEffect?: number;
}

/** One monitored feature. */
export type DriftFeatureConfig = NumericDriftFeatureConfig | CategoricalDriftFeatureConfig;

/** Concept drift: accuracy of predictions against ground truth in the current window. */
export interface DriftLabelsConfig {
  /** Column holding the model's prediction. */
  readonly prediction: string;
  /** Column holding the ground truth; rows where it is empty/null are unlabelled and skipped. */
  readonly actual: string;
  /** Accuracy measured at deployment, in [0, 1]. */
  readonly baselineAccuracy: number;
  /** Number of most recent labelled rows (file order) the accuracy is computed over. @default 1000 */
  readonly window?: number;
  /** Minimum number of labelled rows; below it the verdict is "insufficient labels" (not a pass). @default 100 */
  readonly minSamples?: number;
  /** Alert when baselineAccuracy - accuracy exceeds this (0.05 = 5 points). @default 0.05 */
  readonly maxDrop?: number;
  /** Performance metric. @default 'accuracy' */
  readonly metric?: 'accuracy';
}

/** Pushgateway target for Prometheus metrics. */
export interface DriftPushgatewayConfig {
  /** Base URL, e.g. `http://pushgateway.monitoring:9091`. */
  readonly url: string;
  /** Job name in the grouping key. @default 'ml-drift' */
  readonly job?: string;
}

/** Webhook that receives a JSON summary (POST). */
export interface DriftWebhookConfig {
  /** `http://` or `https://` URL. */
  readonly url: string;
}

/** Where results go. Every output is optional; a summary is always printed to stdout. */
export interface DriftOutputsConfig {
  /**
   * When true, an output that cannot be written makes the run exit 2; when
   * false the failure is printed to stderr and counted (`ml_drift_output_errors`)
   * and the exit code keeps the verdict.
   * @default false
   */
  readonly mandatory?: boolean;
  /** Full JSON result: local path or `s3://bucket/key`. @default - not written */
  readonly json?: string;
  /** Self-contained HTML report: local path or `s3://bucket/key`. @default - not written */
  readonly html?: string;
  /** Push metrics to a Prometheus Pushgateway. @default - no metrics pushed */
  readonly pushgateway?: DriftPushgatewayConfig;
  /** POST a JSON summary to a webhook. @default - no webhook */
  readonly webhook?: DriftWebhookConfig;
}

/** How the per-feature results become a verdict. */
export interface DriftVerdictConfig {
  /**
   * Correction of the p-values of all features of one check for multiple
   * testing: 'holm' bounds the chance of any false alarm by alpha;
   * 'benjamini-hochberg' bounds the expected share of false alarms among the alarms.
   * @default 'holm'
   */
  readonly correction?: 'holm' | 'benjamini-hochberg';
  /**
   * The check reports data drift when at least this share of the features that
   * could be evaluated drifted (at least one feature in any case).
   * @default - any one drifted feature
   */
  readonly minDriftedShare?: number;
  /** Power the minimum sample sizes are derived for (at each feature's alpha and effect floor). @default 0.8 */
  readonly power?: number;
}

/** Feature-attribution drift: per-row attribution columns (e.g. SHAP values logged by the model server). */
export interface DriftAttributionConfig {
  /** The attribution of feature `f` is the numeric column `<columnPrefix><f>` in both windows. @default 'shap_' */
  readonly columnPrefix?: string;
  /** Alert when the NDCG of the current ranking against the reference ranking is below this (SageMaker Clarify's default). @default 0.9 */
  readonly threshold?: number;
}

/** Timeouts of the reads (S3 and http/https) and the deadline of the whole run. */
export interface DriftTimeoutsConfig {
  /** Longest wait for a TCP (and TLS) connection. @default 5 */
  readonly connectSeconds?: number;
  /** Longest wait for the response to start and longest pause between two chunks of data. @default 20 */
  readonly readSeconds?: number;
  /** Deadline of the whole run: reads, checks and outputs. @default 900 */
  readonly deadlineSeconds?: number;
}

/** The drift checker's configuration document. */
export interface DriftCheckConfig {
  /** Model name: used in metric labels, the Pushgateway grouping key and reports. */
  readonly model: string;
  /** Reference (training / baseline) data window. */
  readonly reference: DriftDataSource;
  /** Current (production) data window. */
  readonly current: DriftDataSource;
  /** Features to compare; at least one. */
  readonly features: readonly DriftFeatureConfig[];
  /** Concept drift settings. @default - no concept drift check */
  readonly labels?: DriftLabelsConfig;
  /** Outputs. */
  readonly outputs: DriftOutputsConfig;
  /** Multiple-testing correction and the check-level rule. @default - Holm, any drifted feature, power 0.8 */
  readonly verdict?: DriftVerdictConfig;
  /** Feature-attribution drift (NDCG of the attribution ranking). @default - off */
  readonly attribution?: DriftAttributionConfig;
  /** Read timeouts and the run deadline. @default - 5 s connect, 20 s read, 900 s in total */
  readonly timeouts?: DriftTimeoutsConfig;
  /**
   * Where the statistics are computed: 'memory' reads both windows into the job;
   * 'athena' runs them as SQL on Athena (section `athena`), for tables too big for one pod.
   * @default 'memory'
   */
  readonly engine?: 'memory' | 'athena';
  /** Workgroup and tables of the Athena engine; required with engine 'athena'. @default - none */
  readonly athena?: DriftAthenaConfig;
}

/** Default values of the optional settings. */
export const DRIFT_DEFAULTS = {
  psiBuckets: 10,
  psiThresholds: { small: 0.1, significant: 0.2 },
  ksAlpha: 0.05,
  chi2Alpha: 0.05,
  window: 1000,
  minSamples: 100,
  maxDrop: 0.05,
  metric: 'accuracy',
  job: 'ml-drift',
  minEffect: 0.08,
  discreteMaxValues: 20,
  correction: 'holm',
  power: 0.8,
  attributionPrefix: 'shap_',
  ndcgThreshold: 0.9,
  connectSeconds: 5,
  readSeconds: 20,
  deadlineSeconds: 900,
} as const;

/** A numeric feature with every default applied. */
export interface ResolvedNumericFeature {
  readonly name: string;
  readonly type: 'numeric';
  readonly psiBuckets: number;
  readonly psiThresholds: PsiThresholds;
  readonly ksAlpha: number;
  readonly minEffect: number;
  readonly discreteMaxValues: number;
}

/** A categorical feature with every default applied. */
export interface ResolvedCategoricalFeature {
  readonly name: string;
  readonly type: 'categorical';
  readonly psiThresholds: PsiThresholds;
  readonly chi2Alpha: number;
  readonly minEffect: number;
}

/** A feature with every default applied. */
export type ResolvedDriftFeature = ResolvedNumericFeature | ResolvedCategoricalFeature;

/** Label settings with every default applied. */
export interface ResolvedDriftLabels {
  readonly prediction: string;
  readonly actual: string;
  readonly baselineAccuracy: number;
  readonly window: number;
  readonly minSamples: number;
  readonly maxDrop: number;
  readonly metric: 'accuracy';
}

/** A data source with its format resolved. */
export interface ResolvedDriftDataSource {
  readonly uri: string;
  readonly format: DriftDataFormat;
}

/** A validated config with every default applied. */
export interface ResolvedDriftCheckConfig {
  readonly model: string;
  readonly reference: ResolvedDriftDataSource;
  readonly current: ResolvedDriftDataSource;
  readonly features: readonly ResolvedDriftFeature[];
  readonly labels?: ResolvedDriftLabels;
  readonly outputs: {
    readonly json?: string;
    readonly html?: string;
    readonly pushgateway?: { readonly url: string; readonly job: string };
    readonly webhook?: { readonly url: string };
    readonly mandatory: boolean;
  };
  readonly verdict: { readonly correction: 'holm' | 'benjamini-hochberg'; readonly minDriftedShare?: number; readonly power: number };
  readonly attribution?: { readonly columnPrefix: string; readonly threshold: number };
  readonly timeouts: { readonly connectSeconds: number; readonly readSeconds: number; readonly deadlineSeconds: number };
  readonly athena?: ResolvedDriftAthenaConfig;
}

/** Thrown by {@link parseDriftConfig} with every validation message. */
export class DriftConfigError extends Error {
  /** One message per problem, each naming the field. */
  public readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    super(`invalid drift config: ${problems.join('; ')}`);
    this.name = 'DriftConfigError';
    this.problems = problems;
  }
}

/**
 * Infers the format of a data file from its URI (query string and a `.gz`
 * suffix are ignored). Returns undefined when the extension is not known.
 */
export function inferDriftDataFormat(uri: string): DriftDataFormat | undefined {
  let path = uri.split(/[?#]/, 1)[0].toLowerCase();
  if (path.endsWith('.gz')) path = path.slice(0, -3);
  if (path.endsWith('.csv')) return 'csv';
  if (path.endsWith('.jsonl') || path.endsWith('.ndjson')) return 'jsonl';
  if (path.endsWith('.parquet') || path.endsWith('.pq')) return 'parquet';
  return undefined;
}

// ---------------------------------------------------------------------------
// validation

type Json = Readonly<Record<string, unknown>>;

function show(v: unknown): string {
  if (v === undefined) return 'undefined';
  if (typeof v === 'number' && !Number.isFinite(v)) return String(v);
  const s = JSON.stringify(v);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

/** Levenshtein distance, for "did you mean" hints on unknown fields. */
function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0];
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = prev[j];
      prev[j] = Math.min(prev[j] + 1, prev[j - 1] + 1, diag + (a[i - 1].toLowerCase() === b[j - 1].toLowerCase() ? 0 : 1));
      diag = tmp;
    }
  }
  return prev[b.length];
}

class Checker {
  public readonly problems: string[] = [];

  public add(path: string, message: string): void {
    this.problems.push(`${path}: ${message}`);
  }

  /** Reports keys of `obj` that are not in `allowed`; `why` explains keys that exist elsewhere. */
  public keys(obj: Json, path: string, allowed: readonly string[], why: Record<string, string> = {}): void {
    for (const key of Object.keys(obj)) {
      if (allowed.includes(key)) continue;
      const p = path === '' ? key : `${path}.${key}`;
      if (why[key] !== undefined) {
        this.add(p, why[key]);
        continue;
      }
      const near = allowed.filter((a) => editDistance(a, key) <= 2);
      const hint = near.length > 0 ? ` (did you mean '${near[0]}'?)` : '';
      this.add(p, `unknown field${hint}; allowed fields: ${allowed.join(', ')}`);
    }
  }

  public object(v: unknown, path: string): v is Json {
    if (isRecord(v)) return true;
    this.add(path, `must be an object, got ${show(v)}`);
    return false;
  }

  public string(v: unknown, path: string, required: boolean): v is string {
    if (v === undefined && !required) return false;
    if (typeof v === 'string' && v.trim() !== '') return true;
    this.add(path, v === undefined ? 'is required (a non-empty string)' : `must be a non-empty string, got ${show(v)}`);
    return false;
  }

  public number(v: unknown, path: string, rule: { min: number; max: number; minOpen?: boolean; maxOpen?: boolean; integer?: boolean }, required: boolean): v is number {
    if (v === undefined && !required) return false;
    const lo = rule.minOpen ? `> ${rule.min}` : `>= ${rule.min}`;
    const hi = rule.maxOpen ? `< ${rule.max}` : `<= ${rule.max}`;
    const what = `${rule.integer ? 'an integer' : 'a number'} ${lo} and ${hi}`;
    if (v === undefined) {
      this.add(path, `is required (${what})`);
      return false;
    }
    const ok = typeof v === 'number' && Number.isFinite(v)
      && (rule.minOpen ? v > rule.min : v >= rule.min)
      && (rule.maxOpen ? v < rule.max : v <= rule.max)
      && (!rule.integer || Number.isInteger(v));
    if (!ok) this.add(path, `must be ${what}, got ${show(v)}`);
    return ok;
  }

  public oneOf<T extends string>(v: unknown, path: string, allowed: readonly T[], required: boolean): v is T {
    if (v === undefined && !required) return false;
    if (allowed.some((a) => a === v)) return true;
    const list = allowed.map((a) => `'${a}'`).join(', ');
    this.add(path, v === undefined ? `is required (one of ${list})` : `must be one of ${list}, got ${show(v)}`);
    return false;
  }
}

const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const UNIT_OPEN = { min: 0, max: 1, minOpen: true, maxOpen: true };

function checkHttpUrl(c: Checker, v: unknown, path: string): void {
  if (!c.string(v, path, true)) return;
  let ok = /^https?:\/\/[^/]/i.test(v);
  if (ok) {
    try {
      new URL(v);
    } catch {
      ok = false;
    }
  }
  if (!ok) c.add(path, `must be an absolute http:// or https:// URL, got ${show(v)}`);
}

function checkS3Uri(c: Checker, v: string, path: string, prefixAllowed = false): void {
  // The library's one s3:// parser: a bucket (a valid name) and a key.
  const parsed = parseS3Uri(v);
  if (typeof parsed === 'string' || parsed.key === '') {
    const bucket = /^s3:\/\/([^/]+)\/./.exec(v)?.[1];
    c.add(path, bucket !== undefined && s3BucketProblem(bucket) !== undefined ? `'${bucket}' is not a valid S3 bucket name`
      : `must look like s3://bucket/key, got ${show(v)}${typeof parsed === 'string' ? ` (${parsed})` : ''}`);
    return;
  }
  if (parsed.key.endsWith('/') && !prefixAllowed) c.add(path, `the S3 key must name an object, not a prefix, got ${show(v)}`);
}

/** The problem of a source without `format` whose URI has no known extension. */
function formatRequired(uri: string): string {
  return `is required because the format cannot be inferred from ${show(uri)}; set one of 'csv', 'jsonl', 'parquet' (or use a .csv, .jsonl, .ndjson, .parquet extension)`;
}

/** With engine 'athena' the uri is the table's S3 location (a prefix): what the job's role may read. */
function checkSource(c: Checker, v: unknown, path: string, prefixAllowed = false): void {
  if (!c.object(v, path)) return;
  c.keys(v, path, ['uri', 'format']);
  c.oneOf(v.format, `${path}.format`, DRIFT_DATA_FORMATS, false);
  if (!c.string(v.uri, `${path}.uri`, true)) return;
  const uri = v.uri;
  const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\//.exec(uri)?.[1].toLowerCase();
  if (scheme === 's3') {
    checkS3Uri(c, uri, `${path}.uri`, prefixAllowed);
  } else if (scheme === 'http' || scheme === 'https') {
    checkHttpUrl(c, uri, `${path}.uri`);
  } else if (scheme !== undefined && scheme !== 'file') {
    c.add(`${path}.uri`, `unsupported scheme '${scheme}://'; use a local path, file://, https://, http:// or s3://bucket/key`);
  }
  if (v.format === undefined && inferDriftDataFormat(uri) === undefined) {
    c.add(`${path}.format`, formatRequired(uri));
  }
  if ((v.format ?? inferDriftDataFormat(uri)) === 'parquet' && uri.toLowerCase().split(/[?#]/, 1)[0].endsWith('.gz')) {
    c.add(`${path}.uri`, 'gzip-compressed parquet files are not supported (parquet compresses its pages itself)');
  }
}

function checkOutputTarget(c: Checker, v: unknown, path: string): void {
  if (v === undefined) return;
  if (!c.string(v, path, false)) return;
  const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\//.exec(v)?.[1].toLowerCase();
  if (scheme === 's3') checkS3Uri(c, v, path);
  else if (scheme !== undefined && scheme !== 'file') c.add(path, `must be a local path or s3://bucket/key, got ${show(v)}`);
}

function checkThresholds(c: Checker, v: unknown, path: string): void {
  if (v === undefined || !c.object(v, path)) return;
  c.keys(v, path, ['small', 'significant']);
  const small = v.small;
  const significant = v.significant;
  const okSmall = c.number(small, `${path}.small`, { min: 0, max: 10, minOpen: true }, true);
  const okSig = c.number(significant, `${path}.significant`, { min: 0, max: 10, minOpen: true }, true);
  if (okSmall && okSig && small >= significant) {
    c.add(path, `'small' (${small}) must be < 'significant' (${significant})`);
  }
}

function checkFeature(c: Checker, v: unknown, path: string): void {
  if (!c.object(v, path)) return;
  c.string(v.name, `${path}.name`, true);
  const typed = c.oneOf(v.type, `${path}.type`, ['numeric', 'categorical'] as const, true);
  if (typed && v.type === 'numeric') {
    c.keys(v, path, ['name', 'type', 'psiBuckets', 'psiThresholds', 'ksAlpha', 'minEffect', 'discreteMaxValues'], {
      chi2Alpha: "only applies to categorical features (numeric features use 'ksAlpha')",
    });
    c.number(v.psiBuckets, `${path}.psiBuckets`, { min: 2, max: 100, integer: true }, false);
    c.number(v.ksAlpha, `${path}.ksAlpha`, UNIT_OPEN, false);
    c.number(v.minEffect, `${path}.minEffect`, { min: 0, max: 1, minOpen: true }, false);
    c.number(v.discreteMaxValues, `${path}.discreteMaxValues`, { min: 0, max: 1000, integer: true }, false);
  } else if (typed) {
    c.keys(v, path, ['name', 'type', 'psiThresholds', 'chi2Alpha', 'minEffect'], {
      ksAlpha: "only applies to numeric features (categorical features use 'chi2Alpha')",
      psiBuckets: 'only applies to numeric features (categorical PSI uses one bucket per category)',
      discreteMaxValues: 'only applies to numeric features (a categorical feature is always compared as categories)',
    });
    c.number(v.chi2Alpha, `${path}.chi2Alpha`, UNIT_OPEN, false);
    c.number(v.minEffect, `${path}.minEffect`, { min: 0, max: 1, minOpen: true }, false);
  } else {
    c.keys(v, path, ['name', 'type', 'psiBuckets', 'psiThresholds', 'ksAlpha', 'chi2Alpha', 'minEffect', 'discreteMaxValues']);
  }
  checkThresholds(c, v.psiThresholds, `${path}.psiThresholds`);
}

function checkLabels(c: Checker, v: unknown, path: string): void {
  if (v === undefined || !c.object(v, path)) return;
  c.keys(v, path, ['prediction', 'actual', 'baselineAccuracy', 'window', 'minSamples', 'maxDrop', 'metric']);
  const okP = c.string(v.prediction, `${path}.prediction`, true);
  const okA = c.string(v.actual, `${path}.actual`, true);
  if (okP && okA && v.prediction === v.actual) c.add(path, `'prediction' and 'actual' must be different columns, both are ${show(v.prediction)}`);
  c.number(v.baselineAccuracy, `${path}.baselineAccuracy`, { min: 0, max: 1 }, true);
  const w = v.window;
  const m = v.minSamples;
  const okW = c.number(w, `${path}.window`, { min: 1, max: 10_000_000, integer: true }, false);
  const okM = c.number(m, `${path}.minSamples`, { min: 1, max: 10_000_000, integer: true }, false);
  const window: number = okW ? w : DRIFT_DEFAULTS.window;
  const minSamples: number = okM ? m : DRIFT_DEFAULTS.minSamples;
  if ((okW || okM) && minSamples > window) {
    c.add(path, `'minSamples' (${minSamples}) must be <= 'window' (${window}), otherwise the check can never run`);
  }
  c.number(v.maxDrop, `${path}.maxDrop`, UNIT_OPEN, false);
  c.oneOf(v.metric, `${path}.metric`, ['accuracy'] as const, false);
}

function checkOutputs(c: Checker, v: unknown, path: string): void {
  if (v === undefined) {
    c.add(path, 'is required (an object; use {} to only print the summary to stdout)');
    return;
  }
  if (!c.object(v, path)) return;
  c.keys(v, path, ['json', 'html', 'pushgateway', 'webhook', 'mandatory']);
  if (v.mandatory !== undefined && typeof v.mandatory !== 'boolean') c.add(`${path}.mandatory`, `must be true or false, got ${show(v.mandatory)}`);
  checkOutputTarget(c, v.json, `${path}.json`);
  checkOutputTarget(c, v.html, `${path}.html`);
  if (typeof v.json === 'string' && v.json === v.html) c.add(path, `'json' and 'html' must be different targets, both are ${show(v.json)}`);
  if (v.pushgateway !== undefined && c.object(v.pushgateway, `${path}.pushgateway`)) {
    const pg = v.pushgateway;
    c.keys(pg, `${path}.pushgateway`, ['url', 'job']);
    checkHttpUrl(c, pg.url, `${path}.pushgateway.url`);
    if (c.string(pg.job, `${path}.pushgateway.job`, false) && !NAME_RE.test(pg.job)) {
      c.add(`${path}.pushgateway.job`, `must start with a letter or digit and contain only letters, digits, '.', '_' and '-', got ${show(pg.job)}`);
    }
  }
  if (v.webhook !== undefined && c.object(v.webhook, `${path}.webhook`)) {
    c.keys(v.webhook, `${path}.webhook`, ['url']);
    checkHttpUrl(c, v.webhook.url, `${path}.webhook.url`);
  }
}

function checkVerdict(c: Checker, v: unknown, path: string): void {
  if (v === undefined || !c.object(v, path)) return;
  c.keys(v, path, ['correction', 'minDriftedShare', 'power']);
  c.oneOf(v.correction, `${path}.correction`, ['holm', 'benjamini-hochberg'] as const, false);
  c.number(v.minDriftedShare, `${path}.minDriftedShare`, { min: 0, max: 1, minOpen: true }, false);
  c.number(v.power, `${path}.power`, { min: 0.5, max: 1, maxOpen: true }, false);
}

function checkAttribution(c: Checker, v: unknown, path: string, featureNames: readonly string[]): void {
  if (v === undefined || !c.object(v, path)) return;
  c.keys(v, path, ['columnPrefix', 'threshold']);
  c.number(v.threshold, `${path}.threshold`, UNIT_OPEN, false);
  if (v.columnPrefix !== undefined && typeof v.columnPrefix !== 'string') c.add(`${path}.columnPrefix`, `must be a string, got ${show(v.columnPrefix)}`);
  const prefix = typeof v.columnPrefix === 'string' ? v.columnPrefix : DRIFT_DEFAULTS.attributionPrefix;
  if (prefix === '') c.add(`${path}.columnPrefix`, 'must not be empty: the attribution column of a feature would be the feature itself');
  if (featureNames.length < 2) c.add(path, `needs at least 2 features to rank, got ${featureNames.length}`);
  const clash = featureNames.find((n) => prefix !== '' && featureNames.includes(`${prefix}${n}`));
  if (clash !== undefined) c.add(`${path}.columnPrefix`, `attribution column '${prefix}${clash}' of feature '${clash}' is itself a configured feature`);
}

function checkTimeouts(c: Checker, v: unknown, path: string): void {
  if (v === undefined || !c.object(v, path)) return;
  c.keys(v, path, ['connectSeconds', 'readSeconds', 'deadlineSeconds']);
  const [cs, rs, ds] = [v.connectSeconds, v.readSeconds, v.deadlineSeconds];
  const okC = c.number(cs, `${path}.connectSeconds`, { min: 0, max: 600, minOpen: true }, false);
  const okR = c.number(rs, `${path}.readSeconds`, { min: 0, max: 3600, minOpen: true }, false);
  const okD = c.number(ds, `${path}.deadlineSeconds`, { min: 0, max: 86400, minOpen: true }, false);
  const connect: number = okC ? cs : DRIFT_DEFAULTS.connectSeconds;
  const read: number = okR ? rs : DRIFT_DEFAULTS.readSeconds;
  const deadline: number = okD ? ds : DRIFT_DEFAULTS.deadlineSeconds;
  if ((okC || okR || okD) && deadline < connect + read) {
    c.add(path, `'deadlineSeconds' (${deadline}) must be >= 'connectSeconds' + 'readSeconds' (${connect + read}), otherwise no read can complete`);
  }
}

/**
 * Validates a drift config (typically parsed JSON). Returns one message per
 * problem, each starting with the field path (`features[1].ksAlpha: ...`) and
 * saying what is allowed; an empty array means the config is valid.
 */
export function validateDriftConfig(config: unknown): string[] {
  const c = new Checker();
  if (!isRecord(config)) {
    c.add('(root)', `must be a JSON object, got ${show(config)}`);
    return c.problems;
  }
  c.keys(config, '', ['model', 'reference', 'current', 'features', 'labels', 'outputs', 'verdict', 'attribution', 'timeouts', 'engine', 'athena']);
  if (c.string(config.model, 'model', true) && (!NAME_RE.test(config.model) || config.model.length > 253)) {
    c.add('model', `must be at most 253 characters, start with a letter or digit and contain only letters, digits, '.', '_' and '-', got ${show(config.model)}`);
  }
  if (config.reference === undefined) c.add('reference', 'is required (an object with a uri)');
  else checkSource(c, config.reference, 'reference', config.engine === 'athena');
  if (config.current === undefined) c.add('current', 'is required (an object with a uri)');
  else checkSource(c, config.current, 'current', config.engine === 'athena');

  const features = config.features;
  if (!Array.isArray(features) || features.length === 0) {
    c.add('features', features === undefined ? 'is required (a non-empty array of features)' : `must be a non-empty array of features, got ${show(features)}`);
  } else {
    const seen = new Map<string, number>();
    features.forEach((f: unknown, i) => {
      checkFeature(c, f, `features[${i}]`);
      if (isRecord(f) && typeof f.name === 'string') {
        const prev = seen.get(f.name);
        if (prev !== undefined) c.add(`features[${i}].name`, `duplicate feature ${show(f.name)} (also features[${prev}])`);
        else seen.set(f.name, i);
      }
    });
  }
  checkLabels(c, config.labels, 'labels');
  checkOutputs(c, config.outputs, 'outputs');
  checkVerdict(c, config.verdict, 'verdict');
  const names = Array.isArray(features) ? features.flatMap((f: unknown) => (isRecord(f) && typeof f.name === 'string' ? [f.name] : [])) : [];
  checkAttribution(c, config.attribution, 'attribution', names);
  checkTimeouts(c, config.timeouts, 'timeouts');
  c.problems.push(...validateDriftEngine(config));
  return c.problems;
}

/**
 * Validates `value` and returns it with every default applied.
 * @throws DriftConfigError listing every problem
 */
export function parseDriftConfig(value: unknown): ResolvedDriftCheckConfig {
  if (!isDriftCheckConfig(value)) throw new DriftConfigError(validateDriftConfig(value));
  return resolveDriftConfig(value);
}

/** Whether `value` is a valid drift config: one that {@link validateDriftConfig} finds no problem in. */
export function isDriftCheckConfig(value: unknown): value is DriftCheckConfig {
  return validateDriftConfig(value).length === 0;
}

function resolveSource(s: DriftDataSource, path: string): ResolvedDriftDataSource {
  const format = s.format ?? inferDriftDataFormat(s.uri);
  if (format === undefined) throw new DriftConfigError([`${path}.format: ${formatRequired(s.uri)}`]);
  return { uri: s.uri, format };
}

/** Applies the defaults to a config that {@link validateDriftConfig} accepted. */
export function resolveDriftConfig(config: DriftCheckConfig): ResolvedDriftCheckConfig {
  const thresholds = (t: PsiThresholds | undefined): PsiThresholds =>
    ({ small: t?.small ?? DRIFT_DEFAULTS.psiThresholds.small, significant: t?.significant ?? DRIFT_DEFAULTS.psiThresholds.significant });
  const features = config.features.map((f): ResolvedDriftFeature => f.type === 'numeric'
    ? {
      name: f.name,
      type: 'numeric',
      psiBuckets: f.psiBuckets ?? DRIFT_DEFAULTS.psiBuckets,
      psiThresholds: thresholds(f.psiThresholds),
      ksAlpha: f.ksAlpha ?? DRIFT_DEFAULTS.ksAlpha,
      minEffect: f.minEffect ?? DRIFT_DEFAULTS.minEffect,
      discreteMaxValues: f.discreteMaxValues ?? DRIFT_DEFAULTS.discreteMaxValues,
    }
    : { name: f.name, type: 'categorical', psiThresholds: thresholds(f.psiThresholds), chi2Alpha: f.chi2Alpha ?? DRIFT_DEFAULTS.chi2Alpha, minEffect: f.minEffect ?? DRIFT_DEFAULTS.minEffect });
  const l = config.labels;
  const labels: ResolvedDriftLabels | undefined = l === undefined ? undefined : {
    prediction: l.prediction,
    actual: l.actual,
    baselineAccuracy: l.baselineAccuracy,
    window: l.window ?? DRIFT_DEFAULTS.window,
    minSamples: l.minSamples ?? DRIFT_DEFAULTS.minSamples,
    maxDrop: l.maxDrop ?? DRIFT_DEFAULTS.maxDrop,
    metric: l.metric ?? DRIFT_DEFAULTS.metric,
  };
  const o = config.outputs;
  return {
    model: config.model,
    reference: resolveSource(config.reference, 'reference'),
    current: resolveSource(config.current, 'current'),
    features,
    ...(labels === undefined ? {} : { labels }),
    outputs: {
      ...(o.json === undefined ? {} : { json: o.json }),
      ...(o.html === undefined ? {} : { html: o.html }),
      ...(o.pushgateway === undefined ? {} : { pushgateway: { url: o.pushgateway.url, job: o.pushgateway.job ?? DRIFT_DEFAULTS.job } }),
      ...(o.webhook === undefined ? {} : { webhook: { url: o.webhook.url } }),
      mandatory: o.mandatory ?? false,
    },
    verdict: {
      correction: config.verdict?.correction ?? DRIFT_DEFAULTS.correction,
      ...(config.verdict?.minDriftedShare === undefined ? {} : { minDriftedShare: config.verdict.minDriftedShare }),
      power: config.verdict?.power ?? DRIFT_DEFAULTS.power,
    },
    ...(config.attribution === undefined ? {} : {
      attribution: {
        columnPrefix: config.attribution.columnPrefix ?? DRIFT_DEFAULTS.attributionPrefix,
        threshold: config.attribution.threshold ?? DRIFT_DEFAULTS.ndcgThreshold,
      },
    }),
    timeouts: {
      connectSeconds: config.timeouts?.connectSeconds ?? DRIFT_DEFAULTS.connectSeconds,
      readSeconds: config.timeouts?.readSeconds ?? DRIFT_DEFAULTS.readSeconds,
      deadlineSeconds: config.timeouts?.deadlineSeconds ?? DRIFT_DEFAULTS.deadlineSeconds,
    },
    ...(config.engine === 'athena' && config.athena !== undefined ? { athena: resolveDriftAthena(config.athena, config) } : {}),
  };
}
