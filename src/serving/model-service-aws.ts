import * as pulumi from '@pulumi/pulumi';
import { ImageRepository, ImageRepositoryArgs } from '../aws/image-repository';
import { IrsaRole, OidcProvider } from '../aws/irsa-role';
import { componentLabel } from '../aws/policy';
import { SecureBucket, SecureBucketArgs } from '../aws/secure-bucket';
import { PropsValidator } from '../core/errors';
import { IRSA_ROLE_ARN_ANNOTATION, irsaAnnotations } from '../core/labels';

/** Arguments of a {@link ModelServiceAws}. */
export interface ModelServiceAwsArgs {
  /** Name of the model service (its ServiceAccount name unless `serviceAccount` is set). */
  readonly modelName: string;
  /** Namespace the model service runs in. */
  readonly namespace: string;
  /** ServiceAccount of the model server. @default - the model name (what ModelService creates) */
  readonly serviceAccount?: string;
  /** The cluster's OIDC provider, trusted by the IRSA role. */
  readonly oidcProvider: OidcProvider;
  /** A bucket shared with other models; when set, `artifacts` must be unset. @default - a bucket of its own */
  readonly bucket?: SecureBucket;
  /** Settings of the model's own artifact bucket (or `existingBucketName` to import one). @default - a new secure bucket */
  readonly artifacts?: SecureBucketArgs;
  /** Key prefix of this model's artifacts; the role reads nothing else. @default `models/<modelName>/` */
  readonly modelPrefix?: string;
  /**
   * Namespaces where restored copies of the service read the artifacts (a
   * restore drill's scratch namespace): each gets a read-only role of its
   * own, trusted only by the copy's ServiceAccount there (`restoreRoles`).
   * @default - none
   */
  readonly restoreNamespaces?: readonly string[];
  /** Create an ECR repository for the model server image. @default - none */
  readonly imageRepository?: boolean | ImageRepositoryArgs;
  /** Tags of every created resource. @default - none */
  readonly tags?: Readonly<Record<string, string>>;
}

/**
 * The AWS half of a `ModelService` (`ml-platform-constructs`): versioned, encrypted model artifact
 * storage, an IRSA role that can only read the model's own prefix, and an
 * optional ECR repository. `serviceAccountAnnotations` and `modelUri` feed
 * the Kubernetes half (through {@link ChartDeployment}).
 */
export class ModelServiceAws extends pulumi.ComponentResource {
  /** Pulumi type token. */
  public static readonly TYPE = 'ml-platform:serving:ModelServiceAws';

  /** The artifact bucket. */
  public readonly bucket: SecureBucket;
  /** The IRSA role of the model server. */
  public readonly role: IrsaRole;
  /** ARN of the IRSA role. */
  public readonly roleArn: pulumi.Output<string>;
  /** The read-only role of the service's restored copy, by restore namespace (never the production role). */
  public readonly restoreRoles: Readonly<Record<string, IrsaRole>>;
  /** `s3://<bucket>/<prefix>` of the model's artifacts. */
  public readonly modelUri: pulumi.Output<string>;
  /** The key prefix of the model's artifacts. */
  public readonly modelPrefix: string;
  /** The ECR repository, when requested. */
  public readonly imageRepository?: ImageRepository;

  constructor(name: string, args: ModelServiceAwsArgs, opts?: pulumi.ComponentResourceOptions) {
    const v: PropsValidator = new PropsValidator(componentLabel(ModelServiceAws.TYPE, name));
    v.dnsLabel('modelName', args.modelName, 52);
    (args.restoreNamespaces ?? []).forEach((ns, i) => v.check(v.dnsLabel(`restoreNamespaces[${i}]`, ns) !== args.namespace, `restoreNamespaces[${i}]`, ns,
      "must differ from 'namespace': a restored copy runs beside production, never as it"));
    v.check(!(args.bucket && args.artifacts), 'artifacts', args.artifacts, "cannot be combined with 'bucket' (a shared bucket)");
    const modelPrefix = v.matches('modelPrefix', args.modelPrefix ?? `models/${args.modelName}/`, /^[A-Za-z0-9!_.*'()-]+(\/[A-Za-z0-9!_.*'()-]+)*\/$/,
      "must be an S3 key prefix ending with '/' (no leading '/')");
    super(ModelServiceAws.TYPE, name, {}, opts);
    this.modelPrefix = modelPrefix;
    this.bucket = args.bucket ?? new SecureBucket(`${name}-artifacts`, { ...args.artifacts, tags: { ...args.tags, ...args.artifacts?.tags } }, { parent: this });
    const serviceAccount = args.serviceAccount ?? args.modelName;
    this.role = new IrsaRole(`${name}-irsa`, {
      oidcProvider: args.oidcProvider,
      namespace: args.namespace,
      serviceAccount,
      statements: this.bucket.readStatements(this.modelPrefix),
      description: `Model server ${args.namespace}/${args.modelName}: read-only on s3 prefix ${this.modelPrefix}`,
      tags: args.tags,
    }, { parent: this });
    // A restored copy gets its own role: the production role's trust names the production ServiceAccount only.
    this.restoreRoles = Object.fromEntries((args.restoreNamespaces ?? []).map((ns) => [ns, new IrsaRole(`${name}-${ns}-irsa`, {
      oidcProvider: args.oidcProvider,
      namespace: ns,
      serviceAccount,
      statements: this.bucket.readStatements(this.modelPrefix),
      description: `Restored copy of model server ${args.modelName} in ${ns}: read-only on s3 prefix ${this.modelPrefix}`,
      tags: args.tags,
    }, { parent: this })]));
    this.roleArn = this.role.roleArn;
    this.modelUri = pulumi.interpolate`s3://${this.bucket.bucketName}/${this.modelPrefix}`;
    if (args.imageRepository) {
      const repoArgs = typeof args.imageRepository === 'object' ? args.imageRepository : {};
      this.imageRepository = new ImageRepository(`${name}-images`, { repositoryName: args.modelName, ...repoArgs, tags: { ...args.tags, ...repoArgs.tags } }, { parent: this });
    }
    this.registerOutputs({ roleArn: this.roleArn, modelUri: this.modelUri, repositoryUrl: this.imageRepository?.repositoryUrl });
  }

  /** The ServiceAccount annotation binding the model server to its IRSA role. */
  public get serviceAccountAnnotations(): pulumi.Output<{ [IRSA_ROLE_ARN_ANNOTATION]: string }> {
    return this.roleArn.apply((arn) => irsaAnnotations(arn));
  }
}
