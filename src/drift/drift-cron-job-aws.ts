import * as pulumi from '@pulumi/pulumi';
import { IrsaRole, OidcProvider } from '../aws/irsa-role';
import { componentLabel, s3PrefixReadStatements } from '../aws/policy';
import { SecureBucket, SecureBucketArgs } from '../aws/secure-bucket';
import { PropsValidator } from '../core/errors';
import { DriftAthenaAws, DriftAthenaAwsArgs } from './drift-athena-aws';

/** Arguments of a {@link DriftMonitoringAws}. */
export interface DriftMonitoringAwsArgs {
  /** Model name (the drift job's ServiceAccount is `<model>-drift`). */
  readonly modelName: string;
  /** Namespace of the drift job. */
  readonly namespace: string;
  /** The cluster's OIDC provider. */
  readonly oidcProvider: OidcProvider;
  /** `s3://bucket/prefix/` locations the job reads (reference and current data); read-only. */
  readonly dataUris: readonly string[];
  /** Settings of a new bucket for baselines and reports. @default - a new secure bucket */
  readonly bucket?: SecureBucketArgs;
  /** Use this bucket (for example the DR-replicated drift-baselines bucket) instead of a new one. @default - a new bucket */
  readonly sharedBucket?: SecureBucket;
  /** Tags. @default - none */
  readonly tags?: Readonly<Record<string, string>>;
  /**
   * For `engine: 'athena'`: a workgroup `<modelName>-drift` with an encrypted results bucket and a
   * bytes-scanned cutoff, and the job's grants on it and on the Glue tables.
   * @default - no Athena resources
   */
  readonly athena?: DriftAthenaAwsArgs;
}

/**
 * The AWS half of a `DriftCronJob` (`ml-platform-constructs`): a secure bucket for baselines and
 * reports (versioned: every run's report is kept), and an IRSA role that
 * reads the data prefixes and writes only the report prefix.
 */
export class DriftMonitoringAws extends pulumi.ComponentResource {
  /** Pulumi type token. */
  public static readonly TYPE = 'ml-platform:drift:DriftMonitoringAws';

  /** The baselines and reports bucket. */
  public readonly bucket: SecureBucket;
  /** The job's IRSA role. */
  public readonly role: IrsaRole;
  /** ARN of the role (`DriftCronJobProps.serviceAccountAnnotations`). */
  public readonly roleArn: pulumi.Output<string>;
  /** `s3://<bucket>/reports/<model>/`: `DriftOutputs.reportPrefix`. */
  public readonly reportPrefix: pulumi.Output<string>;
  /** `s3://<bucket>/baselines/<model>/`: where to keep reference data. */
  public readonly baselinePrefix: pulumi.Output<string>;
  /** The Athena workgroup, results bucket and grants, when `athena` is set. */
  public readonly athena?: DriftAthenaAws;

  constructor(name: string, args: DriftMonitoringAwsArgs, opts?: pulumi.ComponentResourceOptions) {
    const v: PropsValidator = new PropsValidator(componentLabel(DriftMonitoringAws.TYPE, name));
    v.dnsLabel('modelName', args.modelName, 52);
    v.check(!(args.sharedBucket && args.bucket), 'bucket', args.bucket, "cannot be combined with 'sharedBucket'");
    const readData = s3PrefixReadStatements(v, 'dataUris', args.dataUris, 'Data');
    if (args.athena !== undefined) DriftAthenaAws.validate(v, 'athena.', args.athena);
    super(DriftMonitoringAws.TYPE, name, {}, opts);
    this.bucket = args.sharedBucket ?? new SecureBucket(`${name}-bucket`, { ...args.bucket, tags: { ...args.tags, ...args.bucket?.tags } }, { parent: this });
    const reports = `reports/${args.modelName}/`;
    const baselines = `baselines/${args.modelName}/`;
    this.athena = args.athena === undefined ? undefined : new DriftAthenaAws(`${name}-athena`, `${args.modelName}-drift`, { ...args.athena, tags: { ...args.tags, ...args.athena.tags } }, { parent: this });
    this.role = new IrsaRole(`${name}-irsa`, {
      oidcProvider: args.oidcProvider,
      namespace: args.namespace,
      serviceAccount: `${args.modelName}-drift`,
      statements: [
        ...readData,
        ...this.bucket.readStatements(baselines).map((s) => ({ ...s, sid: `Baselines${s.sid ?? ''}` })),
        ...this.bucket.writeStatements(reports).map((s) => ({ ...s, sid: `Reports${s.sid ?? ''}` })),
        ...(this.athena?.statements ?? []),
      ],
      description: `Drift check of ${args.namespace}/${args.modelName}: reads its data, writes ${reports}`,
      tags: args.tags,
    }, { parent: this });
    this.roleArn = this.role.roleArn;
    this.reportPrefix = pulumi.interpolate`s3://${this.bucket.bucketName}/${reports}`;
    this.baselinePrefix = pulumi.interpolate`s3://${this.bucket.bucketName}/${baselines}`;
    this.registerOutputs({ roleArn: this.roleArn, reportPrefix: this.reportPrefix, baselinePrefix: this.baselinePrefix });
  }
}
