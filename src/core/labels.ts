import { PropsValidator } from './errors';

/** Value of `app.kubernetes.io/managed-by` on every object this library renders. */
export const MANAGED_BY = 'ml-platform-constructs';

/** Prefix of the annotations this library writes (model version metadata, preset). */
export const ANNOTATION_PREFIX = 'ml-platform-constructs.dev';

/**
 * The ServiceAccount annotation that gives a pod an IAM role through IRSA
 * (EKS's pod identity webhook injects the web-identity token and role).
 * @see https://docs.aws.amazon.com/eks/latest/userguide/associate-service-account-role.html
 */
export const IRSA_ROLE_ARN_ANNOTATION = 'eks.amazonaws.com/role-arn';

/** ServiceAccount annotations that bind `roleArn` through IRSA. */
export function irsaAnnotations<T extends string>(roleArn: T): { [IRSA_ROLE_ARN_ANNOTATION]: T } {
  return { [IRSA_ROLE_ARN_ANNOTATION]: roleArn };
}

/**
 * Annotation declaring how a ServiceAccount's pods get AWS credentials when
 * no `eks.amazonaws.com/role-arn` is set: `pod-identity` (an EKS Pod Identity
 * association on the AWS side) or `external` (provided elsewhere). Read by
 * nothing in the cluster: it documents the choice and lets audits tell
 * "declared" from "forgotten".
 */
export const AWS_IDENTITY_ANNOTATION = `${ANNOTATION_PREFIX}/aws-identity`;

/** How a workload's pods get AWS credentials. */
export enum AwsIdentityKind {
  /** IAM roles for service accounts: the ServiceAccount names the role (`eks.amazonaws.com/role-arn`). */
  IRSA = 'irsa',
  /** EKS Pod Identity: an association (namespace, ServiceAccount, role) created on the AWS side. */
  POD_IDENTITY = 'pod-identity',
  /** Provided elsewhere (for example a mutating webhook or node credentials), on the user's word. */
  EXTERNAL = 'external',
}

const ROLE_ARN = /^arn:aws(-[a-z]+)*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/;

/**
 * The AWS identity of a workload that calls AWS (S3, DynamoDB, Secrets
 * Manager), one way across the library. In a GitOps repository pass
 * `AwsIdentity.irsa(roleArn)` (a role whose trust names exactly this
 * ServiceAccount), `AwsIdentity.podIdentity()` (the Pulumi half creates the
 * `aws.eks.PodIdentityAssociation`) or `AwsIdentity.external()`. A workload
 * that needs AWS and has none fails at synth with a `ValidationError`.
 *
 * @see https://docs.aws.amazon.com/eks/latest/userguide/associate-service-account-role.html
 * @see https://docs.aws.amazon.com/eks/latest/userguide/pod-identities.html
 */
export class AwsIdentity {
  /** IRSA: the ServiceAccount is annotated with `eks.amazonaws.com/role-arn: <roleArn>`. */
  public static irsa(roleArn: string): AwsIdentity {
    return new AwsIdentity(AwsIdentityKind.IRSA, roleArn);
  }

  /** EKS Pod Identity: the association of this namespace and ServiceAccount with a role exists on the AWS side. */
  public static podIdentity(): AwsIdentity {
    return new AwsIdentity(AwsIdentityKind.POD_IDENTITY);
  }

  /** Credentials are provided elsewhere; the library renders no identity and trusts the user. */
  public static external(): AwsIdentity {
    return new AwsIdentity(AwsIdentityKind.EXTERNAL);
  }

  private constructor(
    /** How the pods get credentials. */
    public readonly kind: AwsIdentityKind,
    /** The IAM role (IRSA only). */
    public readonly roleArn?: string,
  ) {}

  /** The ServiceAccount annotations of this identity (validated: an IRSA role must be an IAM role ARN). @internal */
  public _annotations(v: PropsValidator, property: string): Record<string, string> {
    if (this.kind === AwsIdentityKind.IRSA) {
      const arn = v.matches(`${property}.roleArn`, this.roleArn ?? '', ROLE_ARN, 'must be an IAM role ARN: arn:aws:iam::<12-digit account>:role/<name>');
      return { ...irsaAnnotations(arn), [AWS_IDENTITY_ANNOTATION]: this.kind };
    }
    return { [AWS_IDENTITY_ANNOTATION]: this.kind };
  }
}

/** What a workload reads from AWS, for the error that names what to pass. */
export interface AwsIdentityNeed {
  /** The property that takes the identity, for example `awsIdentity`. */
  readonly property: string;
  /** What the workload reads, for example `s3://bucket/prefix/ (reference data)`; empty when it calls no AWS API. */
  readonly reads: readonly string[];
}

/**
 * The ServiceAccount annotations of a workload: `identity`'s, or the IRSA
 * annotation already in `annotations`; a workload that reads AWS with
 * neither fails with a `ValidationError` naming what to pass.
 */
export function awsIdentityAnnotations(v: PropsValidator, need: AwsIdentityNeed, identity: AwsIdentity | undefined,
  annotations: Readonly<Record<string, string>> = {}): Record<string, string> {
  if (identity) {
    v.check(annotations[IRSA_ROLE_ARN_ANNOTATION] === undefined || annotations[IRSA_ROLE_ARN_ANNOTATION] === identity.roleArn, need.property, identity.kind,
      `contradicts the '${IRSA_ROLE_ARN_ANNOTATION}' ServiceAccount annotation; give the identity once`);
    return { ...annotations, ...identity._annotations(v, need.property) };
  }
  const declared = annotations[IRSA_ROLE_ARN_ANNOTATION] !== undefined || annotations[AWS_IDENTITY_ANNOTATION] !== undefined;
  v.check(declared || need.reads.length === 0, need.property, undefined,
    `is required: the workload calls AWS (${need.reads.join(', ')}); pass AwsIdentity.irsa('arn:aws:iam::<account>:role/<role>'), `
    + 'AwsIdentity.podIdentity() (association created on the AWS side) or AwsIdentity.external() (provided elsewhere)');
  return { ...annotations };
}
