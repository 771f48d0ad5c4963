import { Duration } from 'cdk8s';
import { PropsValidator } from '../core/errors';
import { validateS3Uri } from '../core/url';
import { OptionsVariant } from '../core/variant';

/**
 * Value type of an entity's join key, as Feast's `ValueType` enum names it.
 * @see https://docs.feast.dev/reference/type-system
 */
export enum EntityValueType {
  /** 32-bit integer. */
  INT32 = 'INT32',
  /** 64-bit integer (the usual id type). */
  INT64 = 'INT64',
  /** 32-bit float. */
  FLOAT = 'FLOAT',
  /** 64-bit float. */
  DOUBLE = 'DOUBLE',
  /** UTF-8 string. */
  STRING = 'STRING',
  /** Raw bytes. */
  BYTES = 'BYTES',
  /** Boolean. */
  BOOL = 'BOOL',
  /** Timestamp. */
  UNIX_TIMESTAMP = 'UNIX_TIMESTAMP',
}

/**
 * The type of a feature, as `feast.types` names it (`Int64`, `Float32`,
 * `Array(String)`, ...). A closed set with one payload (the element type of
 * an array), so an enum-like class.
 * @see https://docs.feast.dev/reference/type-system
 */
export class FeastType {
  /** `Int32`. */
  public static readonly INT32 = new FeastType('Int32');
  /** `Int64`. */
  public static readonly INT64 = new FeastType('Int64');
  /** `Float32`. */
  public static readonly FLOAT32 = new FeastType('Float32');
  /** `Float64`. */
  public static readonly FLOAT64 = new FeastType('Float64');
  /** `String`. */
  public static readonly STRING = new FeastType('String');
  /** `Bytes`. */
  public static readonly BYTES = new FeastType('Bytes');
  /** `Bool`. */
  public static readonly BOOL = new FeastType('Bool');
  /** `UnixTimestamp`. */
  public static readonly UNIX_TIMESTAMP = new FeastType('UnixTimestamp');

  /** `Array(<element>)`; Feast has no nested arrays. */
  public static array(element: FeastType): FeastType {
    if (element.element !== undefined) {
      new PropsValidator('FeastType.array').fail('element', element.pythonExpression, 'must not be an array: Feast has no nested arrays');
    }
    return new FeastType('Array', element);
  }

  private constructor(
    /** The `feast.types` name (`Array` for arrays). */
    public readonly typeName: string,
    /** Element type of an array. */
    public readonly element?: FeastType,
  ) {}

  /** The Python expression of the type (`Int64`, `Array(Float32)`). */
  public get pythonExpression(): string {
    return this.element ? `Array(${this.element.typeName})` : this.typeName;
  }
}

/** A feature (or entity column) of a feature view. */
export interface FeatureField {
  /** Column name, a Python identifier (`total_purchases`). */
  readonly name: string;
  /** Feast type. */
  readonly type: FeastType;
  /** What the feature means. @default - none */
  readonly description?: string;
}

/** An entity: the thing features describe, keyed by one join key. */
export interface EntityDefinition {
  /** Entity name (snake_case), for example `customer`. */
  readonly name: string;
  /** Column that identifies the entity in sources and requests (Feast allows one). @default - the entity name */
  readonly joinKey?: string;
  /** Type of the join key. */
  readonly valueType: EntityValueType;
  /** What the entity is. @default - none */
  readonly description?: string;
  /** Tags. @default - none */
  readonly tags?: Readonly<Record<string, string>>;
}

/** Where the offline (batch) data of a feature view comes from. */
export type BatchSourceKind = 'file' | 'redshift' | 'athena';

/** Common fields of every batch source. */
export interface BatchSourceCommon {
  /** Source name (snake_case), unique in the repository. */
  readonly name: string;
  /** Column with the event time of each row. */
  readonly timestampField: string;
  /** Column with the row's creation time, used to deduplicate rows of the same event time. @default - none */
  readonly createdTimestampColumn?: string;
  /** Renames source columns to feature names (`{ source_column: feature_name }`). @default - none */
  readonly fieldMapping?: Readonly<Record<string, string>>;
  /** What the source holds. @default - none */
  readonly description?: string;
}

/** A Parquet file (or directory) source. */
export interface FileSourceOptions extends BatchSourceCommon {
  /**
   * `s3://bucket/key` of the Parquet data, or a key relative to the offline
   * store's base URI (`OfflineStore.file({ baseUri })`), which is how a
   * bucket created by Pulumi reaches the generated repository.
   */
  readonly path: string;
}

/** A Redshift table or query source. */
export interface RedshiftSourceOptions extends BatchSourceCommon {
  /** Table name; exactly one of `table` and `query`. @default - none */
  readonly table?: string;
  /** SELECT query; exactly one of `table` and `query`. @default - none */
  readonly query?: string;
  /** Schema of the table. @default - Feast's default (`public`) */
  readonly schema?: string;
  /** Database. @default - the offline store's database */
  readonly database?: string;
}

/** An Athena table or query source. */
export interface AthenaSourceOptions extends BatchSourceCommon {
  /** Table name; exactly one of `table` and `query`. @default - none */
  readonly table?: string;
  /** SELECT query; exactly one of `table` and `query`. @default - none */
  readonly query?: string;
  /** Glue database. @default - the offline store's database */
  readonly database?: string;
  /** Athena data catalog. @default - the offline store's data source (`AwsDataCatalog`) */
  readonly dataSource?: string;
}

/** The options of a {@link BatchSource}, one variant per kind. */
export type BatchSourceSpec =
  | { readonly kind: 'file'; readonly options: FileSourceOptions }
  | { readonly kind: 'redshift'; readonly options: RedshiftSourceOptions }
  | { readonly kind: 'athena'; readonly options: AthenaSourceOptions };

/**
 * The batch source of a feature view: files on S3, a Redshift table or an
 * Athena table. The source's kind must match the offline store's.
 */
export class BatchSource extends OptionsVariant<BatchSourceSpec> {
  /** Parquet data on S3 (the `file` offline store). */
  public static file(options: FileSourceOptions): BatchSource {
    return new BatchSource({ kind: 'file', options });
  }

  /** A Redshift table or query (the `redshift` offline store). */
  public static redshift(options: RedshiftSourceOptions): BatchSource {
    return new BatchSource({ kind: 'redshift', options });
  }

  /** An Athena table or query (the `athena` offline store). */
  public static athena(options: AthenaSourceOptions): BatchSource {
    return new BatchSource({ kind: 'athena', options });
  }

  private constructor(spec: BatchSourceSpec) {
    super(spec);
  }

  /** Source name. */
  public get name(): string {
    return this.spec.options.name;
  }
}

/** A feature view: features of one or more entities read from one batch source. */
export interface FeatureViewDefinition {
  /** View name (snake_case), for example `customer_statistics`; also the online table name. */
  readonly name: string;
  /** Names of the entities the features describe (declared in `entities`). */
  readonly entities: readonly string[];
  /**
   * How long a feature value stays valid after its event time, for
   * point-in-time joins and the first incremental materialization. A whole
   * number of seconds; `Duration.seconds(0)` means "never expires".
   */
  readonly ttl: Duration;
  /** The features (at least one). */
  readonly schema: readonly FeatureField[];
  /** Where the batch data comes from. */
  readonly source: BatchSource;
  /** Materialize into the online store and serve online. @default true */
  readonly online?: boolean;
  /** What the view holds. @default - none */
  readonly description?: string;
  /** Owner (an e-mail address or team). @default - none */
  readonly owner?: string;
  /** Tags. @default - none */
  readonly tags?: Readonly<Record<string, string>>;
}

/** A feature view (or some of its features) inside a feature service. */
export interface FeatureViewSelection {
  /** Name of the feature view. */
  readonly featureView: string;
  /** Features of the view the service returns. @default - every feature of the view */
  readonly features?: readonly string[];
}

/** A feature service: the named set of features one model reads, online and for training. */
export interface FeatureServiceDefinition {
  /** Service name (snake_case), for example `churn_model_v1`. */
  readonly name: string;
  /** Views and features the service returns. */
  readonly featureViews: readonly FeatureViewSelection[];
  /** What the service is for. @default - none */
  readonly description?: string;
  /** Tags. @default - none */
  readonly tags?: Readonly<Record<string, string>>;
}

/**
 * The feature definitions of a Feast project, shared by online serving
 * (rendered into the repository file `feast apply` registers) and training
 * (`featureReferences` gives the same `view:feature` list to
 * `get_historical_features`): one definition, no training/serving skew.
 */
export interface FeatureDefinitions {
  /** The entities. */
  readonly entities: readonly EntityDefinition[];
  /** The feature views (at least one). */
  readonly featureViews: readonly FeatureViewDefinition[];
  /** The feature services. @default - none */
  readonly featureServices?: readonly FeatureServiceDefinition[];
}

const OBJECT_NAME = /^[a-z][a-z0-9_]*$/;
const COLUMN_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const MAX_TTL_SECONDS = 10 * 365 * 24 * 3600;

/** Python keywords: not usable as column names (they become keyword arguments in Python). */
const PYTHON_KEYWORDS = new Set([
  'False', 'None', 'True', 'and', 'as', 'assert', 'async', 'await', 'break', 'class', 'continue', 'def', 'del', 'elif', 'else',
  'except', 'finally', 'for', 'from', 'global', 'if', 'import', 'in', 'is', 'lambda', 'nonlocal', 'not', 'or', 'pass', 'raise',
  'return', 'try', 'while', 'with', 'yield',
]);

/** Whole seconds of a TTL, or undefined when it is not a whole, non-negative number of seconds within ten years. */
export function ttlSeconds(ttl: Duration): number | undefined {
  const ms = ttl.toMilliseconds();
  if (!Number.isFinite(ms) || ms < 0 || ms % 1000 !== 0 || ms / 1000 > MAX_TTL_SECONDS) {
    return undefined;
  }
  return ms / 1000;
}

/**
 * Validates feature definitions: names, unknown entities in a view,
 * duplicate names (entities, views, sources, services, features of a view),
 * TTLs, source settings, and feature services that name a missing view or
 * feature. `prefix` is the property path (for example `features`).
 */
export function validateFeatureDefinitions(v: PropsValidator, prefix: string, defs: FeatureDefinitions): FeatureDefinitions {
  const name = (property: string, value: string) => v.matches(property, value, OBJECT_NAME,
    'must be snake_case: lower-case letters, digits and underscores, starting with a letter');
  const column = (property: string, value: string) => {
    v.matches(property, value, COLUMN_NAME, 'must be a column name: letters, digits and underscores, not starting with a digit');
    v.check(!PYTHON_KEYWORDS.has(value), property, value, 'must not be a Python keyword');
    return value;
  };
  const unique = (property: string, names: readonly string[], what: string) => {
    names.forEach((n, i) => v.check(names.indexOf(n) === i, `${property}[${i}].name`, n, `duplicate ${what} name: ${what} names must be unique`));
  };

  const entities = new Map<string, EntityDefinition>();
  defs.entities.forEach((e, i) => {
    name(`${prefix}.entities[${i}].name`, e.name);
    column(`${prefix}.entities[${i}].joinKey`, e.joinKey ?? e.name);
    v.check(Object.values(EntityValueType).includes(e.valueType), `${prefix}.entities[${i}].valueType`, e.valueType,
      `must be one of ${Object.values(EntityValueType).join(', ')}`);
    entities.set(e.name, e);
  });
  unique(`${prefix}.entities`, defs.entities.map((e) => e.name), 'entity');

  v.check(defs.featureViews.length > 0, `${prefix}.featureViews`, defs.featureViews, 'must define at least one feature view');
  const views = new Map<string, FeatureViewDefinition>();
  const sources = new Map<string, BatchSource>();
  defs.featureViews.forEach((fv, i) => {
    const p = `${prefix}.featureViews[${i}]`;
    name(`${p}.name`, fv.name);
    v.check(fv.entities.length > 0, `${p}.entities`, fv.entities, 'must name at least one entity');
    fv.entities.forEach((e, j) => {
      v.check(entities.has(e), `${p}.entities[${j}]`, e,
        `names no entity of the repository (entities: ${[...entities.keys()].join(', ') || 'none'})`);
      v.check(fv.entities.indexOf(e) === j, `${p}.entities[${j}]`, e, 'is listed twice');
    });
    v.check(ttlSeconds(fv.ttl) !== undefined, `${p}.ttl`, fv.ttl,
      'must be a whole number of seconds from 0 (never expires) to 3650 days');
    v.check(fv.schema.length > 0, `${p}.schema`, fv.schema, 'must list at least one feature');
    const joinKeys = fv.entities.map((e) => entities.get(e)?.joinKey ?? e);
    fv.schema.forEach((f, j) => {
      column(`${p}.schema[${j}].name`, f.name);
      v.check(fv.schema.findIndex((g) => g.name === f.name) === j, `${p}.schema[${j}].name`, f.name,
        `duplicate feature name in feature view '${fv.name}': feature names must be unique within a view`);
      v.check(!joinKeys.includes(f.name), `${p}.schema[${j}].name`, f.name,
        `is the join key of an entity of '${fv.name}'; entity columns are not features`);
    });
    validateSource(v, `${p}.source`, fv.source, column);
    const known = sources.get(fv.source.name);
    v.check(known === undefined || known === fv.source, `${p}.source.name`, fv.source.name,
      'duplicate source name: another view uses a different source of the same name (share the BatchSource object instead)');
    sources.set(fv.source.name, fv.source);
    views.set(fv.name, fv);
  });
  unique(`${prefix}.featureViews`, defs.featureViews.map((fv) => fv.name), 'feature view');

  const services = defs.featureServices ?? [];
  services.forEach((s, i) => {
    const p = `${prefix}.featureServices[${i}]`;
    name(`${p}.name`, s.name);
    v.check(s.featureViews.length > 0, `${p}.featureViews`, s.featureViews, 'must select at least one feature view');
    s.featureViews.forEach((sel, j) => {
      const view = views.get(sel.featureView);
      v.check(view !== undefined, `${p}.featureViews[${j}].featureView`, sel.featureView,
        `names no feature view of the repository (feature views: ${[...views.keys()].join(', ')})`);
      v.check(s.featureViews.findIndex((o) => o.featureView === sel.featureView) === j, `${p}.featureViews[${j}].featureView`, sel.featureView,
        'is selected twice; list its features in one selection');
      const available = view.schema.map((f) => f.name);
      const selected = sel.features;
      if (selected !== undefined) {
        v.check(selected.length > 0, `${p}.featureViews[${j}].features`, selected, 'must list at least one feature (omit it for every feature)');
        selected.forEach((f, k) => {
          v.check(available.includes(f), `${p}.featureViews[${j}].features[${k}]`, f,
            `names no feature of feature view '${sel.featureView}' (features: ${available.join(', ')})`);
          v.check(selected.indexOf(f) === k, `${p}.featureViews[${j}].features[${k}]`, f, 'is listed twice');
        });
      }
    });
  });
  unique(`${prefix}.featureServices`, services.map((s) => s.name), 'feature service');
  return defs;
}

function validateSource(v: PropsValidator, p: string, source: BatchSource, column: (property: string, value: string) => string): void {
  v.matches(`${p}.name`, source.name, OBJECT_NAME, 'must be snake_case: lower-case letters, digits and underscores, starting with a letter');
  const o = source.options;
  column(`${p}.timestampField`, o.timestampField);
  if (o.createdTimestampColumn !== undefined) {
    column(`${p}.createdTimestampColumn`, o.createdTimestampColumn);
  }
  for (const [from, to] of Object.entries(o.fieldMapping ?? {})) {
    v.check(from.length > 0, `${p}.fieldMapping`, from, 'source column names must not be empty');
    column(`${p}.fieldMapping.${from}`, to);
  }
  const s = source.spec;
  if (s.kind === 'file') {
    const path = s.options.path;
    if (path.startsWith('s3://')) {
      v.check(validateS3Uri(v, `${p}.path`, path).key !== '', `${p}.path`, path, 'must be s3://bucket/key: names no key');
    }
    v.check(path.startsWith('s3://') || /^[A-Za-z0-9!_.*'()-]+(\/[A-Za-z0-9!_.*'()-]+)*\/?$/.test(path),
      `${p}.path`, path, 'must be s3://bucket/key or a key relative to the offline store base URI (no leading "/")');
  } else {
    const t = s.options;
    v.check((t.table === undefined) !== (t.query === undefined), `${p}`, source.name, "needs exactly one of 'table' and 'query'");
    if (t.table !== undefined) {
      v.matches(`${p}.table`, t.table, /^[A-Za-z_][A-Za-z0-9_$]*$/, 'must be a table name (letters, digits, "_" and "$")');
    }
    if (t.query !== undefined) {
      v.check(/^\s*(select|with)\b/i.test(t.query), `${p}.query`, t.query, 'must be a SELECT (or WITH ... SELECT) query');
    }
  }
}

/**
 * The `view:feature` references of a feature service, in declaration order:
 * what training passes to `get_historical_features` so it reads exactly what
 * online serving returns.
 */
export function featureReferences(defs: FeatureDefinitions, featureService: string): string[] {
  const service = (defs.featureServices ?? []).find((s) => s.name === featureService);
  if (!service) {
    return new PropsValidator('featureReferences').fail('featureService', featureService,
      `names no feature service (feature services: ${(defs.featureServices ?? []).map((s) => s.name).join(', ') || 'none'})`);
  }
  return service.featureViews.flatMap((sel) => {
    const view = defs.featureViews.find((fv) => fv.name === sel.featureView);
    const features = sel.features ?? view?.schema.map((f) => f.name) ?? [];
    return features.map((f) => `${sel.featureView}:${f}`);
  });
}

/** Names of the feature views that are served online (one online table each). */
export function onlineFeatureViews(defs: FeatureDefinitions): string[] {
  return defs.featureViews.filter((fv) => fv.online ?? true).map((fv) => fv.name);
}
