import * as iam from '@pulumi/aws/iam';
import * as pulumi from '@pulumi/pulumi';
import { PropsValidator } from '../core/errors';
import { PolicyStatement, componentLabel, policyDocument, validateStatements } from './policy';

/** The EKS cluster's IAM OIDC provider, which IRSA roles trust. */
export interface OidcProvider {
  /** ARN of the IAM OIDC provider (`arn:aws:iam::<account>:oidc-provider/oidc.eks.<region>.amazonaws.com/id/<id>`). */
  readonly arn: pulumi.Input<string>;
  /** Issuer URL of the cluster (`https://oidc.eks.<region>.amazonaws.com/id/<id>`), with or without `https://`. */
  readonly url: pulumi.Input<string>;
}

/** What every role of one workload (IRSA or Pod Identity) states: the one ServiceAccount it is for, and its permissions. */
export interface WorkloadRoleArgs {
  /** Namespace of the ServiceAccount. */
  readonly namespace: string;
  /** Name of the ServiceAccount allowed to assume the role (the only one: a copy elsewhere, such as a restore drill's, gets a role of its own). */
  readonly serviceAccount: string;
  /** Permissions (inline policy); least privilege is enforced. */
  readonly statements: readonly PolicyStatement[];
  /** Role description. @default - names the ServiceAccount */
  readonly description?: string;
  /** Permissions boundary policy ARN. @default - none */
  readonly permissionsBoundary?: pulumi.Input<string>;
  /** Tags. @default - none */
  readonly tags?: Readonly<Record<string, string>>;
}

/** Arguments of an {@link IrsaRole}. */
export interface IrsaRoleArgs extends WorkloadRoleArgs {
  /** The cluster's OIDC provider. */
  readonly oidcProvider: OidcProvider;
}

/**
 * An IAM role for a Kubernetes ServiceAccount (IRSA): trusted by the
 * cluster's OIDC provider for exactly `system:serviceaccount:<ns>:<sa>` with
 * audience `sts.amazonaws.com`, with an inline least-privilege policy.
 * Annotate the ServiceAccount with `eks.amazonaws.com/role-arn: <roleArn>`.
 *
 * @see https://docs.aws.amazon.com/eks/latest/userguide/iam-roles-for-service-accounts.html
 */
export class IrsaRole extends pulumi.ComponentResource {
  /** Pulumi type token. */
  public static readonly TYPE = 'ml-platform:aws:IrsaRole';

  /** ARN of the role (the ServiceAccount annotation's value). */
  public readonly roleArn: pulumi.Output<string>;
  /** Name of the role. */
  public readonly roleName: pulumi.Output<string>;
  /** The `system:serviceaccount:<ns>:<sa>` subject the role trusts, the only one. */
  public readonly subject: string;
  /** The role (escape hatch). */
  public readonly role: iam.Role;

  constructor(name: string, args: IrsaRoleArgs, opts?: pulumi.ComponentResourceOptions) {
    const v: PropsValidator = new PropsValidator(componentLabel(IrsaRole.TYPE, name));
    v.dnsLabel('namespace', args.namespace);
    v.dnsSubdomain('serviceAccount', args.serviceAccount);
    validateStatements(v, 'statements', args.statements);
    super(IrsaRole.TYPE, name, {}, opts);
    this.subject = `system:serviceaccount:${args.namespace}:${args.serviceAccount}`;

    const issuer = pulumi.output(args.oidcProvider.url).apply((u) => u.replace(/^https:\/\//, ''));
    // Exactly one principal (the cluster's OIDC provider) and one subject: `sub` AND `aud` must both match.
    const trust = pulumi.all([pulumi.output(args.oidcProvider.arn), issuer]).apply(([arn, host]) => JSON.stringify({
      Version: '2012-10-17',
      Statement: [{
        Effect: 'Allow',
        Principal: { Federated: arn },
        Action: 'sts:AssumeRoleWithWebIdentity',
        Condition: { StringEquals: { [`${host}:sub`]: this.subject, [`${host}:aud`]: 'sts.amazonaws.com' } },
      }],
    }));
    this.role = new iam.Role(`${name}-role`, {
      description: args.description ?? `IRSA role of ${this.subject}`,
      assumeRolePolicy: trust,
      permissionsBoundary: args.permissionsBoundary,
      maxSessionDuration: 3600,
      tags: { ...args.tags },
    }, { parent: this });
    new iam.RolePolicy(`${name}-policy`, { role: this.role.id, policy: policyDocument(args.statements) }, { parent: this });
    this.roleArn = this.role.arn;
    this.roleName = this.role.name;
    this.registerOutputs({ roleArn: this.roleArn, roleName: this.roleName });
  }
}
