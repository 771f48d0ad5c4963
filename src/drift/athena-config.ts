/**
 * The `athena` section of the drift config (`engine: 'athena'`): when the
 * windows are tables too big for one pod, the statistics are computed as SQL
 * on Athena and the job only orchestrates the queries. No I/O, no SDK.
 */
import { isRecord } from '../core/json';
import { parseS3Uri } from '../core/url';

/** A Glue Data Catalog table holding one window. */
export interface DriftAthenaTable {
  /** Glue database. */
  readonly database: string;
  /** Glue table. */
  readonly table: string;
}

/** Where and how the checks run on Athena. */
export interface DriftAthenaConfig {
  /** Athena workgroup the queries run in (its enforced settings decide the results location and encryption). */
  readonly workgroup: string;
  /** The reference window's table. */
  readonly reference: DriftAthenaTable;
  /** The current window's table. */
  readonly current: DriftAthenaTable;
  /** Data catalog. @default 'AwsDataCatalog' */
  readonly catalog?: string;
  /** `s3://` results location; ignored when the workgroup enforces its own. @default - the workgroup's */
  readonly outputLocation?: string;
  /** First wait between two status polls of a query; doubled per poll. @default 1 */
  readonly pollSeconds?: number;
  /** Longest wait between two polls. @default 10 */
  readonly maxPollSeconds?: number;
}

/** The `athena` section with every default applied. */
export interface ResolvedDriftAthenaConfig {
  readonly workgroup: string;
  readonly reference: DriftAthenaTable;
  readonly current: DriftAthenaTable;
  readonly catalog: string;
  readonly outputLocation?: string;
  readonly pollSeconds: number;
  readonly maxPollSeconds: number;
}

/** Defaults of the `athena` section. */
export const DRIFT_ATHENA_DEFAULTS = { catalog: 'AwsDataCatalog', pollSeconds: 1, maxPollSeconds: 10 } as const;

/** Workgroup names: 1-128 of letters, digits, '.', '_' and '-' (Athena CreateWorkGroup). */
const WORKGROUP_RE = /^[a-zA-Z0-9._-]{1,128}$/;
/** Glue database and table names: 1-255 characters, lowercase letters, digits and '_' as Athena reads them. */
const GLUE_NAME_RE = /^[a-z0-9_]{1,255}$/;

function show(v: unknown): string {
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

function tableProblems(v: unknown, path: string): string[] {
  if (!isRecord(v)) return [`${path}: must be an object with 'database' and 'table', got ${show(v)}`];
  const out = Object.keys(v).filter((k) => k !== 'database' && k !== 'table').map((k) => `${path}.${k}: unknown field; allowed fields: database, table`);
  for (const key of ['database', 'table'] as const) {
    const name = v[key];
    if (typeof name !== 'string' || !GLUE_NAME_RE.test(name)) out.push(`${path}.${key}: must be a Glue name (lowercase letters, digits and '_', at most 255), got ${show(name)}`);
  }
  return out;
}

function secondsProblem(v: unknown, path: string, max: number): string[] {
  if (v === undefined) return [];
  return typeof v === 'number' && v > 0 && v <= max ? [] : [`${path}: must be a number of seconds in (0, ${max}], got ${show(v)}`];
}

/**
 * Problems of the engine settings of a drift config (`engine` and `athena`),
 * each starting with the field path; empty when valid. Athena computes the
 * feature statistics only: labels and attribution need the in-memory engine.
 */
export function validateDriftEngine(config: Readonly<Record<string, unknown>>): string[] {
  const { engine, athena } = config;
  if (engine !== undefined && engine !== 'memory' && engine !== 'athena') return [`engine: must be one of 'memory', 'athena', got ${show(engine)}`];
  if (engine !== 'athena') return athena === undefined ? [] : ["athena: only applies with engine 'athena'"];
  if (!isRecord(athena)) return [`athena: is required with engine 'athena' (an object with workgroup, reference and current tables), got ${show(athena)}`];
  const allowed = ['workgroup', 'reference', 'current', 'catalog', 'outputLocation', 'pollSeconds', 'maxPollSeconds'];
  const out = Object.keys(athena).filter((k) => !allowed.includes(k)).map((k) => `athena.${k}: unknown field; allowed fields: ${allowed.join(', ')}`);
  if (typeof athena.workgroup !== 'string' || !WORKGROUP_RE.test(athena.workgroup)) out.push(`athena.workgroup: must be 1-128 letters, digits, '.', '_' or '-', got ${show(athena.workgroup)}`);
  out.push(...tableProblems(athena.reference, 'athena.reference'), ...tableProblems(athena.current, 'athena.current'));
  if (athena.catalog !== undefined && (typeof athena.catalog !== 'string' || !WORKGROUP_RE.test(athena.catalog))) out.push(`athena.catalog: must be a data catalog name, got ${show(athena.catalog)}`);
  if (athena.outputLocation !== undefined && (typeof athena.outputLocation !== 'string' || typeof parseS3Uri(athena.outputLocation) === 'string')) {
    out.push(`athena.outputLocation: must be an s3://bucket/prefix/ URI, got ${show(athena.outputLocation)}`);
  }
  out.push(...secondsProblem(athena.pollSeconds, 'athena.pollSeconds', 60), ...secondsProblem(athena.maxPollSeconds, 'athena.maxPollSeconds', 300));
  if (config.labels !== undefined) out.push("labels: concept drift needs the rows of the current window; not available with engine 'athena'");
  if (config.attribution !== undefined) out.push("attribution: attribution drift is not available with engine 'athena'");
  return out;
}

/** Applies the defaults to an `athena` section that {@link validateDriftEngine} accepted. */
export function resolveDriftAthena(a: DriftAthenaConfig): ResolvedDriftAthenaConfig {
  return {
    workgroup: a.workgroup,
    reference: { database: a.reference.database, table: a.reference.table },
    current: { database: a.current.database, table: a.current.table },
    catalog: a.catalog ?? DRIFT_ATHENA_DEFAULTS.catalog,
    ...(a.outputLocation === undefined ? {} : { outputLocation: a.outputLocation }),
    pollSeconds: a.pollSeconds ?? DRIFT_ATHENA_DEFAULTS.pollSeconds,
    maxPollSeconds: a.maxPollSeconds ?? DRIFT_ATHENA_DEFAULTS.maxPollSeconds,
  };
}
