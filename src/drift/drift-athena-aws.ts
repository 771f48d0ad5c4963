import * as athena from '@pulumi/aws/athena';
import * as glue from '@pulumi/aws/glue';
import { getCallerIdentityOutput } from '@pulumi/aws/getCallerIdentity';
import { getRegionOutput } from '@pulumi/aws/getRegion';
import * as pulumi from '@pulumi/pulumi';
import { PolicyStatement, componentLabel } from '../aws/policy';
import { SecureBucket, SecureBucketArgs } from '../aws/secure-bucket';
import { PropsValidator } from '../core/errors';
import type { DriftAthenaFiles, DriftAthenaWindow } from './athena-config';
import { DRIFT_ATHENA_COLUMN_TYPES } from './athena-config';
import type { DriftDataFormat } from './sources';

/**
 * A Glue table the drift job queries: an existing one, or with `files` one
 * this component creates over an S3 prefix (`driftAthenaWindows(job.config)`
 * lists a check's tables).
 */
export type DriftGlueTable = DriftAthenaWindow;

/**
 * How Athena reads each file format: the Hive input/output formats, SerDe and
 * table parameters of a Glue table (the same as aws-cdk-lib's
 * `glue.DataFormat.PARQUET` / `.CSV` / `.JSON`; Athena's SerDe guide,
 * https://docs.aws.amazon.com/athena/latest/ug/supported-serdes.html). CSV uses
 * OpenCSVSerDe (quoted fields as RFC 4180) and skips each file's header line;
 * JSON Lines the OpenX JSON SerDe.
 */
const HIVE_FORMATS: Readonly<Record<DriftDataFormat, {
  input: string; output: string; serde: string; serdeParameters: Record<string, string>; parameters: Record<string, string>;
}>> = {
  parquet: {
    input: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat',
    output: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat',
    serde: 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe',
    serdeParameters: { 'serialization.format': '1' },
    parameters: { classification: 'parquet' },
  },
  csv: {
    input: 'org.apache.hadoop.mapred.TextInputFormat',
    output: 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat',
    serde: 'org.apache.hadoop.hive.serde2.OpenCSVSerde',
    serdeParameters: { separatorChar: ',', quoteChar: '"' },
    parameters: { classification: 'csv', 'skip.header.line.count': '1' },
  },
  jsonl: {
    input: 'org.apache.hadoop.mapred.TextInputFormat',
    output: 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat',
    serde: 'org.openx.data.jsonserde.JsonSerDe',
    serdeParameters: {},
    parameters: { classification: 'json' },
  },
};

/** Arguments of a {@link DriftAthenaAws} (`DriftMonitoringAwsArgs.athena`). */
export interface DriftAthenaAwsArgs {
  /**
   * Glue tables the drift job queries (the reference and the current
   * window's: `driftAthenaWindows(job.config)`). Tables with `files` are
   * created here (`aws.glue.CatalogTable`, in a database created here too),
   * so the job needs no glue:CreateTable.
   */
  readonly tables: readonly DriftGlueTable[];
  /**
   * Cost guard: Athena cancels a query of the workgroup once it has scanned
   * this many bytes (at least 10 MB).
   * @default 107374182400 (100 GiB, about $0.50 at $5 per TB)
   */
  readonly bytesScannedCutoffPerQuery?: number;
  /** Days query results are kept. @default 7 */
  readonly resultExpirationDays?: number;
  /** Settings of the results bucket. @default - a new secure bucket (SSE-S3) */
  readonly resultsBucket?: SecureBucketArgs;
  /** Allow `pulumi destroy` to delete the workgroup with its query history. @default false */
  readonly forceDestroy?: boolean;
  /** Tags. @default - none */
  readonly tags?: Readonly<Record<string, string>>;
}

/** Athena's minimum per-query data usage control: 10 MB. */
const MIN_CUTOFF = 10_000_000;
const RESULTS = 'results/';

/**
 * The Athena side of a drift check with `engine: 'athena'`: a workgroup with
 * enforced settings (results only in its own encrypted bucket, a
 * bytes-scanned limit per query, CloudWatch metrics) and the IAM statements
 * the job needs: run and stop queries in that workgroup only, read the named
 * Glue tables, write (and read back) query results under the results prefix.
 * Reading the data itself is the `dataUris` grant of `DriftMonitoringAws`
 * (Athena reads S3 with the caller's credentials).
 *
 * Sources: workgroup settings and the data usage control,
 * https://docs.aws.amazon.com/athena/latest/ug/workgroups-setting-control-limits-cloudwatch.html;
 * the results location needs s3:GetBucketLocation, s3:PutObject and, for
 * GetQueryResults, s3:GetObject
 * (https://docs.aws.amazon.com/athena/latest/APIReference/API_GetQueryResults.html);
 * Glue resource ARNs (catalog, database, table),
 * https://docs.aws.amazon.com/glue/latest/dg/glue-specifying-resource-arns.html.
 */
export class DriftAthenaAws extends pulumi.ComponentResource {
  /** Pulumi type token. */
  public static readonly TYPE = 'ml-platform:drift:DriftAthenaAws';

  /** The workgroup. */
  public readonly workgroup: athena.Workgroup;
  /** Its name (`DriftAthenaConfig.workgroup`). */
  public readonly workgroupName: pulumi.Output<string>;
  /** The encrypted results bucket. */
  public readonly resultsBucket: SecureBucket;
  /** `s3://<results bucket>/results/`: the enforced results location. */
  public readonly outputLocation: pulumi.Output<string>;
  /** What the job's role needs for Athena, Glue and the results (not the data). */
  public readonly statements: PolicyStatement[];
  /** The Glue databases created for tables over S3 prefixes, by name. */
  public readonly databases: Readonly<Record<string, glue.CatalogDatabase>>;
  /** The Glue tables created over S3 prefixes, by `database.table`. */
  public readonly catalogTables: Readonly<Record<string, glue.CatalogTable>>;

  /**
   * Validates the arguments (property paths start with `prefix`) and returns the cutoff and the
   * results' lifetime; a parent component calls it before registering anything.
   */
  public static validate(v: PropsValidator, prefix: string, args: DriftAthenaAwsArgs): { cutoff: number; days: number } {
    v.check(args.tables.length > 0, `${prefix}tables`, args.tables, 'must name at least one Glue table');
    const seen = new Set<string>();
    args.tables.forEach((t, i) => {
      v.matches(`${prefix}tables[${i}].database`, t.database, /^[a-z0-9_]{1,255}$/, "must be a Glue name (lowercase letters, digits and '_')");
      v.matches(`${prefix}tables[${i}].table`, t.table, /^[a-z0-9_]{1,255}$/, "must be a Glue name (lowercase letters, digits and '_')");
      if (t.files !== undefined) {
        const key = `${t.database}.${t.table}`;
        v.check(!seen.has(key), `${prefix}tables[${i}]`, key, 'names a table that is already created by another entry');
        seen.add(key);
        DriftAthenaAws.validateFiles(v, `${prefix}tables[${i}].files`, t.files);
      }
    });
    const cutoff = v.integer(`${prefix}bytesScannedCutoffPerQuery`, args.bytesScannedCutoffPerQuery ?? 100 * 2 ** 30, MIN_CUTOFF, Number.MAX_SAFE_INTEGER);
    const days = v.integer(`${prefix}resultExpirationDays`, args.resultExpirationDays ?? 7, 1, 3650);
    return { cutoff, days };
  }

  private static validateFiles(v: PropsValidator, path: string, files: DriftAthenaFiles): void {
    v.matches(`${path}.location`, files.location, /^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]\/(?:[^/\s]+\/)*$/, "must be an S3 folder: s3://bucket/prefix/ (ending with '/'); Athena reads every file under it");
    v.check(Object.keys(HIVE_FORMATS).includes(files.format), `${path}.format`, files.format, `must be one of ${Object.keys(HIVE_FORMATS).join(', ')}`);
    v.check(files.columns.length > 0, `${path}.columns`, files.columns, 'must list the columns of the files');
    files.columns.forEach((c, j) => {
      v.matches(`${path}.columns[${j}].name`, c.name, /^[a-z_][a-z0-9_]{0,254}$/, "must be a column name (lowercase letters, digits and '_', not starting with a digit)");
      v.check(DRIFT_ATHENA_COLUMN_TYPES.includes(c.type), `${path}.columns[${j}].type`, c.type, `must be one of ${DRIFT_ATHENA_COLUMN_TYPES.join(', ')}`);
    });
  }

  constructor(name: string, workgroupName: string, args: DriftAthenaAwsArgs, opts?: pulumi.ComponentResourceOptions) {
    const { cutoff, days } = DriftAthenaAws.validate(new PropsValidator(componentLabel(DriftAthenaAws.TYPE, name)), '', args);
    super(DriftAthenaAws.TYPE, name, {}, opts);
    const child = { parent: this };
    const tags = { ...args.tags };
    this.resultsBucket = new SecureBucket(`${name}-results`, {
      ...args.resultsBucket,
      expirations: [...(args.resultsBucket?.expirations ?? []), { prefix: RESULTS, days }],
      tags: { ...tags, ...args.resultsBucket?.tags },
    }, child);
    this.outputLocation = pulumi.interpolate`s3://${this.resultsBucket.bucketName}/${RESULTS}`;
    const kms = this.resultsBucket.kmsKeyArn;
    this.workgroup = new athena.Workgroup(`${name}-workgroup`, {
      name: workgroupName,
      description: `Drift checks (${workgroupName}): results in the encrypted results bucket, at most ${cutoff} bytes scanned per query`,
      state: 'ENABLED',
      forceDestroy: args.forceDestroy ?? false,
      configuration: {
        // queries cannot override the results location, its encryption or the cutoff
        enforceWorkgroupConfiguration: true,
        publishCloudwatchMetricsEnabled: true,
        bytesScannedCutoffPerQuery: cutoff,
        resultConfiguration: {
          outputLocation: this.outputLocation,
          encryptionConfiguration: kms === undefined ? { encryptionOption: 'SSE_S3' } : { encryptionOption: 'SSE_KMS', kmsKeyArn: kms },
        },
      },
      tags,
    }, child);
    this.workgroupName = this.workgroup.name;
    [this.databases, this.catalogTables] = this.createTables(name, args.tables, tags);
    this.statements = this.policyStatements(args.tables);
    this.registerOutputs({ workgroupName: this.workgroupName, outputLocation: this.outputLocation });
  }

  /** The databases and tables over S3 prefixes: external tables in the format's SerDe, unpartitioned. */
  private createTables(
    name: string, tables: readonly DriftGlueTable[], tags: Record<string, string>,
  ): [Record<string, glue.CatalogDatabase>, Record<string, glue.CatalogTable>] {
    const created = tables.filter((t): t is DriftGlueTable & { files: DriftAthenaFiles } => t.files !== undefined);
    const databases: Record<string, glue.CatalogDatabase> = {};
    for (const db of [...new Set(created.map((t) => t.database))]) {
      databases[db] = new glue.CatalogDatabase(`${name}-${db}`, { name: db, description: 'Drift check windows over S3 prefixes (ml-platform-constructs)', tags }, { parent: this });
    }
    const out: Record<string, glue.CatalogTable> = {};
    for (const t of created) {
      const f = HIVE_FORMATS[t.files.format];
      out[`${t.database}.${t.table}`] = new glue.CatalogTable(`${name}-${t.database}-${t.table}`, {
        databaseName: databases[t.database].name,
        name: t.table,
        tableType: 'EXTERNAL_TABLE',
        description: `Drift check window: the ${t.files.format} files under ${t.files.location}`,
        parameters: { EXTERNAL: 'TRUE', ...f.parameters },
        storageDescriptor: {
          location: t.files.location,
          inputFormat: f.input,
          outputFormat: f.output,
          serDeInfo: { serializationLibrary: f.serde, parameters: f.serdeParameters },
          columns: t.files.columns.map((c) => ({ name: c.name, type: c.type })),
        },
      }, { parent: this });
    }
    return [databases, out];
  }

  private policyStatements(tables: readonly DriftGlueTable[]): PolicyStatement[] {
    const account = getCallerIdentityOutput({}, { parent: this }).accountId;
    const region = getRegionOutput({}, { parent: this }).region;
    const glue = (resource: string): pulumi.Output<string> => pulumi.interpolate`arn:aws:glue:${region}:${account}:${resource}`;
    const databases = [...new Set(tables.map((t) => t.database))];
    const tableKeys = [...new Set(tables.map((t) => `${t.database}/${t.table}`))];
    return [
      {
        sid: 'AthenaQueries',
        actions: ['athena:StartQueryExecution', 'athena:GetQueryExecution', 'athena:GetQueryResults', 'athena:StopQueryExecution'],
        resources: [this.workgroup.arn],
      },
      {
        sid: 'GlueTables',
        actions: ['glue:GetDatabase', 'glue:GetTable', 'glue:GetPartitions'],
        resources: [glue('catalog'), ...databases.map((d) => glue(`database/${d}`)), ...tableKeys.map((t) => glue(`table/${t}`))],
      },
      { sid: 'ResultsBucketLocation', actions: ['s3:GetBucketLocation'], resources: [this.resultsBucket.bucketArn] },
      ...this.resultsBucket.writeStatements(RESULTS).map((s) => ({ ...s, sid: `Results${s.sid ?? ''}` })),
      // GetQueryResults reads the result files with the caller's credentials
      ...this.resultsBucket.readStatements(RESULTS).map((s) => ({ ...s, sid: `ResultsRead${s.sid ?? ''}` })),
    ];
  }
}
