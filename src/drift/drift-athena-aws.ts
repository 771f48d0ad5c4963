import * as athena from '@pulumi/aws/athena';
import { getCallerIdentityOutput } from '@pulumi/aws/getCallerIdentity';
import { getRegionOutput } from '@pulumi/aws/getRegion';
import * as pulumi from '@pulumi/pulumi';
import { PolicyStatement, componentLabel } from '../aws/policy';
import { SecureBucket, SecureBucketArgs } from '../aws/secure-bucket';
import { PropsValidator } from '../core/errors';

/** A Glue table the drift job queries. */
export interface DriftGlueTable {
  /** Glue database. */
  readonly database: string;
  /** Glue table. */
  readonly table: string;
}

/** Arguments of a {@link DriftAthenaAws} (`DriftMonitoringAwsArgs.athena`). */
export interface DriftAthenaAwsArgs {
  /** Glue tables the drift job queries (the reference and the current window's). */
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

  /**
   * Validates the arguments (property paths start with `prefix`) and returns the cutoff and the
   * results' lifetime; a parent component calls it before registering anything.
   */
  public static validate(v: PropsValidator, prefix: string, args: DriftAthenaAwsArgs): { cutoff: number; days: number } {
    v.check(args.tables.length > 0, `${prefix}tables`, args.tables, 'must name at least one Glue table');
    args.tables.forEach((t, i) => {
      v.matches(`${prefix}tables[${i}].database`, t.database, /^[a-z0-9_]{1,255}$/, "must be a Glue name (lowercase letters, digits and '_')");
      v.matches(`${prefix}tables[${i}].table`, t.table, /^[a-z0-9_]{1,255}$/, "must be a Glue name (lowercase letters, digits and '_')");
    });
    const cutoff = v.integer(`${prefix}bytesScannedCutoffPerQuery`, args.bytesScannedCutoffPerQuery ?? 100 * 2 ** 30, MIN_CUTOFF, Number.MAX_SAFE_INTEGER);
    const days = v.integer(`${prefix}resultExpirationDays`, args.resultExpirationDays ?? 7, 1, 3650);
    return { cutoff, days };
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
    this.statements = this.policyStatements(args.tables);
    this.registerOutputs({ workgroupName: this.workgroupName, outputLocation: this.outputLocation });
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
