import * as eks from '@pulumi/aws/eks';
import * as iam from '@pulumi/aws/iam';
import * as pulumi from '@pulumi/pulumi';
import { PropsValidator } from '../core/errors';
import { WorkloadRoleArgs } from './irsa-role';
import { componentLabel, policyDocument, validateStatements } from './policy';

/** Arguments of a {@link PodIdentityRole}. */
export interface PodIdentityRoleArgs extends WorkloadRoleArgs {
  /** Name of the EKS cluster the association belongs to. */
  readonly clusterName: string;
}

/**
 * An IAM role for one ServiceAccount through EKS Pod Identity (the
 * alternative to IRSA; `AwsIdentity.podIdentity()` on the Kubernetes side):
 * the role trusts the `pods.eks.amazonaws.com` service with `sts:AssumeRole`
 * and `sts:TagSession`, only for the session tags EKS sets for this cluster,
 * namespace and ServiceAccount, and an `aws.eks.PodIdentityAssociation` binds
 * it. The ServiceAccount needs no annotation; the cluster needs the EKS Pod
 * Identity Agent add-on.
 *
 * @see https://docs.aws.amazon.com/eks/latest/userguide/pod-id-role.html
 * @see https://docs.aws.amazon.com/eks/latest/userguide/pod-id-abac.html
 */
export class PodIdentityRole extends pulumi.ComponentResource {
  /** Pulumi type token. */
  public static readonly TYPE = 'ml-platform:aws:PodIdentityRole';

  /** ARN of the role. */
  public readonly roleArn: pulumi.Output<string>;
  /** The role (escape hatch). */
  public readonly role: iam.Role;
  /** The association of the ServiceAccount with the role. */
  public readonly association: eks.PodIdentityAssociation;

  constructor(name: string, args: PodIdentityRoleArgs, opts?: pulumi.ComponentResourceOptions) {
    const v: PropsValidator = new PropsValidator(componentLabel(PodIdentityRole.TYPE, name));
    v.matches('clusterName', args.clusterName, /^[0-9A-Za-z][A-Za-z0-9\-_]{0,99}$/, 'must be an EKS cluster name');
    v.dnsLabel('namespace', args.namespace);
    v.dnsSubdomain('serviceAccount', args.serviceAccount);
    validateStatements(v, 'statements', args.statements);
    super(PodIdentityRole.TYPE, name, {}, opts);
    this.role = new iam.Role(`${name}-role`, {
      description: args.description ?? `EKS Pod Identity role of ${args.namespace}/${args.serviceAccount} on ${args.clusterName}`,
      assumeRolePolicy: JSON.stringify(podIdentityTrustPolicy(args.clusterName, args.namespace, args.serviceAccount)),
      permissionsBoundary: args.permissionsBoundary,
      maxSessionDuration: 3600,
      tags: { ...args.tags },
    }, { parent: this });
    new iam.RolePolicy(`${name}-policy`, { role: this.role.id, policy: policyDocument(args.statements) }, { parent: this });
    this.association = new eks.PodIdentityAssociation(`${name}-association`, {
      clusterName: args.clusterName,
      namespace: args.namespace,
      serviceAccount: args.serviceAccount,
      roleArn: this.role.arn,
      tags: { ...args.tags },
    }, { parent: this });
    this.roleArn = this.role.arn;
    this.registerOutputs({ roleArn: this.roleArn });
  }
}

/**
 * The trust policy of a Pod Identity role: one principal (the EKS Pod
 * Identity service), conditioned on the session tags EKS adds for the
 * cluster, namespace and ServiceAccount, so no other association can use it.
 */
export function podIdentityTrustPolicy(clusterName: string, namespace: string, serviceAccount: string): Record<string, unknown> {
  return {
    Version: '2012-10-17',
    Statement: [{
      Sid: 'AllowEksAuthToAssumeRoleForPodIdentity',
      Effect: 'Allow',
      Principal: { Service: 'pods.eks.amazonaws.com' },
      Action: ['sts:AssumeRole', 'sts:TagSession'],
      Condition: {
        StringEquals: {
          'aws:RequestTag/eks-cluster-name': clusterName,
          'aws:RequestTag/kubernetes-namespace': namespace,
          'aws:RequestTag/kubernetes-service-account': serviceAccount,
        },
      },
    }],
  };
}
