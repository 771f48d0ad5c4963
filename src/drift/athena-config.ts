/**
 * The `athena` section of the drift config (`engine: 'athena'`): when the
 * windows are tables too big for one pod, the statistics are computed as SQL
 * on Athena and the job only orchestrates the queries. No I/O, no SDK.
 *
 * A window is either a Glue table the user names (`athena.reference` /
 * `athena.current`) or, when none is named, the files under the window's
 * `s3://bucket/prefix/` (`reference.uri` / `current.uri`) read through a
 * table `DriftAthenaAws` creates from `athena.schema` (`aws.glue.CatalogTable`:
 * the job itself never needs glue:CreateTable). Athena reads every file under
 * a table's location (https://docs.aws.amazon.com/athena/latest/ug/tables-location-format.html).
 */
import { isRecord } from '../core/json';
import { parseS3Uri } from '../core/url';
import type { DriftDataFormat, DriftDataSource } from './sources';

/** A Glue Data Catalog table holding one window. */
export interface DriftAthenaTable {
  /** Glue database. */
  readonly database: string;
  /** Glue table. */
  readonly table: string;
}

/** Athena (Hive DDL) column types a window's files may declare. */
export type DriftAthenaColumnType = 'double' | 'float' | 'bigint' | 'int' | 'smallint' | 'tinyint' | 'boolean' | 'string' | 'date' | 'timestamp';

/** The column types a schema may declare. */
export const DRIFT_ATHENA_COLUMN_TYPES: readonly DriftAthenaColumnType[] = ['double', 'float', 'bigint', 'int', 'smallint', 'tinyint', 'boolean', 'string', 'date', 'timestamp'];
const NUMERIC_TYPES: readonly DriftAthenaColumnType[] = ['double', 'float', 'bigint', 'int', 'smallint', 'tinyint'];
const CATEGORICAL_TYPES: readonly DriftAthenaColumnType[] = ['string', 'boolean', 'bigint', 'int', 'smallint', 'tinyint'];

/** One column of a window's files. */
export interface DriftAthenaColumn {
  /** Column name (lowercase letters, digits and '_', as Athena reads names). */
  readonly name: string;
  /**
   * Its type in Parquet and JSON Lines files (a Parquet column's type must
   * match). CSV files are read as text (OpenCSVSerDe) and the numeric features
   * are cast by the queries, so for CSV the type only says what the column holds.
   * @default 'double' for a numeric feature, 'string' otherwise
   */
  readonly type?: DriftAthenaColumnType;
}

/** The files of windows given as S3 prefixes: the schema of the tables `DriftAthenaAws` creates. */
export interface DriftAthenaSchema {
  /**
   * Glue database of the created tables `reference` and `current`
   * (`DriftAthenaAws` creates it; one database per drift check).
   * @default '<model>_drift' ('-' in the model name as '_')
   */
  readonly database?: string;
  /**
   * The files' columns. CSV: every column in file order (read by position,
   * the header line is skipped). Parquet and JSON Lines: at least the features' columns.
   */
  readonly columns: readonly DriftAthenaColumn[];
}

/** Where and how the checks run on Athena. */
export interface DriftAthenaConfig {
  /** Athena workgroup the queries run in (its enforced settings decide the results location and encryption). @default '<model>-drift' (the workgroup `DriftMonitoringAws` creates) */
  readonly workgroup?: string;
  /** The reference window's Glue table. @default - the table `reference` of `schema`, over the files under `reference.uri` */
  readonly reference?: DriftAthenaTable;
  /** The current window's Glue table. @default - the table `current` of `schema`, over the files under `current.uri` */
  readonly current?: DriftAthenaTable;
  /** Columns of the windows without a Glue table; required when a window has none. @default - none */
  readonly schema?: DriftAthenaSchema;
  /** Data catalog. @default 'AwsDataCatalog' */
  readonly catalog?: string;
  /** `s3://` results location; ignored when the workgroup enforces its own. @default - the workgroup's */
  readonly outputLocation?: string;
  /** First wait between two status polls of a query; doubled per poll. @default 1 */
  readonly pollSeconds?: number;
  /** Longest wait between two polls. @default 10 */
  readonly maxPollSeconds?: number;
}

/** The files under an S3 prefix that a created table reads. */
export interface DriftAthenaFiles {
  /** `s3://bucket/prefix/`: the table's location. */
  readonly location: string;
  /** File format. */
  readonly format: DriftDataFormat;
  /** Columns with their types (every column text for CSV). */
  readonly columns: ReadonlyArray<{ readonly name: string; readonly type: DriftAthenaColumnType }>;
}

/** One window's table: named by the user, or (with `files`) created by `DriftAthenaAws`. */
export interface DriftAthenaWindow extends DriftAthenaTable {
  /** The files of a table `DriftAthenaAws` creates; absent for a table the user named. @default - none */
  readonly files?: DriftAthenaFiles;
}

/** The `athena` section with every default applied. */
export interface ResolvedDriftAthenaConfig {
  readonly workgroup: string;
  readonly reference: DriftAthenaWindow;
  readonly current: DriftAthenaWindow;
  readonly catalog: string;
  readonly outputLocation?: string;
  readonly pollSeconds: number;
  readonly maxPollSeconds: number;
}

/** What the `athena` section is resolved against: the rest of the drift config. */
export interface DriftAthenaContext {
  /** Model name. */
  readonly model: string;
  /** Reference window source (its uri is the S3 prefix of a window without a Glue table). */
  readonly reference: DriftDataSource;
  /** Current window source. */
  readonly current: DriftDataSource;
  /** The checked features. */
  readonly features: ReadonlyArray<{ readonly name: string; readonly type: 'numeric' | 'categorical' }>;
}

/** Defaults of the `athena` section. */
export const DRIFT_ATHENA_DEFAULTS = { catalog: 'AwsDataCatalog', pollSeconds: 1, maxPollSeconds: 10 } as const;

/** The workgroup `DriftMonitoringAws` creates for a model, and the config's default. */
export function driftWorkgroupName(model: string): string {
  return `${model}-drift`;
}

/** The default Glue database of a check's created tables: `<model>_drift`. */
export function driftDatabaseName(model: string): string {
  return `${model.toLowerCase().replace(/[^a-z0-9_]/g, '_')}_drift`;
}

/** Workgroup names: 1-128 of letters, digits, '.', '_' and '-' (Athena CreateWorkGroup). */
const WORKGROUP_RE = /^[a-zA-Z0-9._-]{1,128}$/;
/** Glue database and table names: 1-255 characters, lowercase letters, digits and '_' as Athena reads them. */
const GLUE_NAME_RE = /^[a-z0-9_]{1,255}$/;
/** Column names Athena reads without quoting surprises: lowercase, starting with a letter or '_'. */
const COLUMN_RE = /^[a-z_][a-z0-9_]{0,254}$/;
const ROLES = ['reference', 'current'] as const;

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

function columnProblems(v: unknown, path: string): string[] {
  if (!Array.isArray(v) || v.length === 0) return [`${path}: must be a non-empty array of { name, type } (the files' columns), got ${show(v)}`];
  const out: string[] = [];
  const seen = new Map<string, number>();
  v.forEach((c: unknown, i) => {
    const at = `${path}[${i}]`;
    if (!isRecord(c)) {
      out.push(`${at}: must be an object with 'name' and an optional 'type', got ${show(c)}`);
      return;
    }
    out.push(...Object.keys(c).filter((k) => k !== 'name' && k !== 'type').map((k) => `${at}.${k}: unknown field; allowed fields: name, type`));
    if (typeof c.name !== 'string' || !COLUMN_RE.test(c.name)) out.push(`${at}.name: must be a column name (lowercase letters, digits and '_', not starting with a digit), got ${show(c.name)}`);
    else if (seen.has(c.name)) out.push(`${at}.name: duplicate column ${show(c.name)} (also ${path}[${seen.get(c.name)}])`);
    else seen.set(c.name, i);
    if (c.type !== undefined && !DRIFT_ATHENA_COLUMN_TYPES.includes(c.type as DriftAthenaColumnType)) out.push(`${at}.type: must be one of ${DRIFT_ATHENA_COLUMN_TYPES.join(', ')}, got ${show(c.type)}`);
  });
  return out;
}

/** Every feature has a column of a type its test can read. */
function featureColumnProblems(columns: readonly unknown[], features: unknown, path: string): string[] {
  if (!Array.isArray(features)) return [];
  const byName = new Map(columns.filter(isRecord).map((c) => [c.name, c.type]));
  const out: string[] = [];
  features.forEach((f: unknown, i) => {
    if (!isRecord(f) || typeof f.name !== 'string') return;
    const numeric = f.type === 'numeric';
    if (!byName.has(f.name)) {
      out.push(`${path}: has no column ${show(f.name)} (features[${i}]); list every feature's column`);
      return;
    }
    const type = byName.get(f.name);
    const allowed = numeric ? NUMERIC_TYPES : CATEGORICAL_TYPES;
    if (type !== undefined && !allowed.includes(type as DriftAthenaColumnType)) {
      out.push(`${path}: column ${show(f.name)} of ${numeric ? 'numeric' : 'categorical'} features[${i}] must have one of the types ${allowed.join(', ')}, got ${show(type)}`);
    }
  });
  return out;
}

/** A window without a Glue table reads the files under an s3:// folder in a declared format. */
function filesSourceProblems(source: unknown, role: string): string[] {
  if (!isRecord(source) || typeof source.uri !== 'string') return [];
  const parsed = parseS3Uri(source.uri);
  if (typeof parsed === 'string' || !source.uri.endsWith('/')) {
    return [`${role}.uri: with engine 'athena' and no Glue table (athena.${role}) must be an s3://bucket/prefix/ folder whose files Athena reads, got ${show(source.uri)}`];
  }
  return []; // a folder has no extension: checkSource asks for its format
}

function schemaProblems(athena: Readonly<Record<string, unknown>>, config: Readonly<Record<string, unknown>>): string[] {
  const filesRoles = ROLES.filter((r) => athena[r] === undefined);
  const schema = athena.schema;
  if (filesRoles.length === 0) {
    return schema === undefined ? [] : ['athena.schema: only applies to a window without a Glue table (athena.reference or athena.current unset)'];
  }
  const out = filesRoles.flatMap((r) => filesSourceProblems(config[r], r));
  if (!isRecord(schema)) {
    const which = filesRoles.join(' and ');
    return [...out, `athena.schema: is required because the ${which} window${filesRoles.length > 1 ? 's have' : ' has'} no Glue table: the columns of the files under ${filesRoles.map((r) => `${r}.uri`).join(' and ')}, got ${show(schema)}`];
  }
  out.push(...Object.keys(schema).filter((k) => k !== 'database' && k !== 'columns').map((k) => `athena.schema.${k}: unknown field; allowed fields: database, columns`));
  if (schema.database !== undefined && (typeof schema.database !== 'string' || !GLUE_NAME_RE.test(schema.database))) {
    out.push(`athena.schema.database: must be a Glue name (lowercase letters, digits and '_', at most 255), got ${show(schema.database)}`);
  }
  const columns = columnProblems(schema.columns, 'athena.schema.columns');
  out.push(...columns);
  if (Array.isArray(schema.columns) && columns.length === 0) out.push(...featureColumnProblems(schema.columns, config.features, 'athena.schema.columns'));
  return out;
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
  if (!isRecord(athena)) return [`athena: is required with engine 'athena' (an object with the Glue tables or the schema of the windows' files), got ${show(athena)}`];
  const allowed = ['workgroup', 'reference', 'current', 'schema', 'catalog', 'outputLocation', 'pollSeconds', 'maxPollSeconds'];
  const out = Object.keys(athena).filter((k) => !allowed.includes(k)).map((k) => `athena.${k}: unknown field; allowed fields: ${allowed.join(', ')}`);
  if (athena.workgroup !== undefined && (typeof athena.workgroup !== 'string' || !WORKGROUP_RE.test(athena.workgroup))) {
    out.push(`athena.workgroup: must be 1-128 letters, digits, '.', '_' or '-', got ${show(athena.workgroup)}`);
  }
  for (const role of ROLES) if (athena[role] !== undefined) out.push(...tableProblems(athena[role], `athena.${role}`));
  out.push(...schemaProblems(athena, config));
  if (athena.catalog !== undefined && (typeof athena.catalog !== 'string' || !WORKGROUP_RE.test(athena.catalog))) out.push(`athena.catalog: must be a data catalog name, got ${show(athena.catalog)}`);
  if (athena.outputLocation !== undefined && (typeof athena.outputLocation !== 'string' || typeof parseS3Uri(athena.outputLocation) === 'string')) {
    out.push(`athena.outputLocation: must be an s3://bucket/prefix/ URI, got ${show(athena.outputLocation)}`);
  }
  out.push(...secondsProblem(athena.pollSeconds, 'athena.pollSeconds', 60), ...secondsProblem(athena.maxPollSeconds, 'athena.maxPollSeconds', 300));
  if (config.labels !== undefined) out.push("labels: concept drift needs the rows of the current window; not available with engine 'athena'");
  if (config.attribution !== undefined) out.push("attribution: attribution drift is not available with engine 'athena'");
  return out;
}

/** The table of one window: the named Glue table, or the one created over the window's files. */
function resolveWindow(a: DriftAthenaConfig, check: DriftAthenaContext, role: 'reference' | 'current'): DriftAthenaWindow {
  const named = a[role];
  if (named !== undefined) return { database: named.database, table: named.table };
  const source = check[role];
  if (a.schema === undefined || source.format === undefined) throw new Error(`internal: the ${role} window has neither a Glue table nor a schema and format (validateDriftEngine reports this)`);
  const kinds = new Map(check.features.map((f) => [f.name, f.type]));
  const format = source.format;
  const columns = a.schema.columns.map((c) => ({
    name: c.name,
    // CSV is read as text (OpenCSVSerDe does not read empty numeric fields); the queries cast the features
    type: format === 'csv' ? 'string' as const : c.type ?? (kinds.get(c.name) === 'numeric' ? 'double' as const : 'string' as const),
  }));
  return { database: a.schema.database ?? driftDatabaseName(check.model), table: role, files: { location: source.uri, format, columns } };
}

/** Applies the defaults to an `athena` section that {@link validateDriftEngine} accepted, for the config's model, windows and features. */
export function resolveDriftAthena(a: DriftAthenaConfig, check: DriftAthenaContext): ResolvedDriftAthenaConfig {
  return {
    workgroup: a.workgroup ?? driftWorkgroupName(check.model),
    reference: resolveWindow(a, check, 'reference'),
    current: resolveWindow(a, check, 'current'),
    catalog: a.catalog ?? DRIFT_ATHENA_DEFAULTS.catalog,
    ...(a.outputLocation === undefined ? {} : { outputLocation: a.outputLocation }),
    pollSeconds: a.pollSeconds ?? DRIFT_ATHENA_DEFAULTS.pollSeconds,
    maxPollSeconds: a.maxPollSeconds ?? DRIFT_ATHENA_DEFAULTS.maxPollSeconds,
  };
}

/**
 * The tables of a drift config with `engine: 'athena'` (`DriftCronJob.config`):
 * what `DriftAthenaAws` grants reads on and, for windows given as S3 prefixes,
 * creates. Empty for the in-memory engine.
 */
export function driftAthenaWindows(config: DriftAthenaContext & { readonly engine?: string; readonly athena?: DriftAthenaConfig }): DriftAthenaWindow[] {
  if (config.engine !== 'athena' || config.athena === undefined) return [];
  const resolved = resolveDriftAthena(config.athena, config);
  return [resolved.reference, resolved.current];
}
