import { AwsIdentity } from 'ml-platform-constructs';

/**
 * The AWS identities of the GitOps examples, in one typed place: in a real
 * repository these role ARNs come from the Pulumi stack's outputs (or
 * whoever owns IAM), each role trusted by exactly one ServiceAccount.
 * Workloads that call AWS without an identity fail at synth.
 */
export interface ExampleAwsRoles {
  /** AWS account of the roles. */
  readonly account: string;
  /** Role name per workload (its ServiceAccount's IRSA role). */
  readonly roles: Readonly<Record<string, string>>;
}

/** The example account's roles. */
export const EXAMPLE_AWS_ROLES: ExampleAwsRoles = {
  account: '123456789012',
  roles: {
    'churn-features': 'ml-churn-dev-features',
    'churn-platform-features': 'ml-churn-features',
    'churn-model-drift': 'ml-churn-model-drift',
    'churn-train': 'ml-churn-churn-train',
    'platform-features': 'ml-platform-churn-features',
    'churn-retrain': 'ml-churn-churn-retrain',
    'churn-team-drift': 'ml-churn-churn-model-drift',
  },
};

/** ARN of the example role of `workload`. */
export function exampleRoleArn(workload: string, config: ExampleAwsRoles = EXAMPLE_AWS_ROLES): string {
  const role = config.roles[workload];
  if (role === undefined) {
    throw new Error(`no example role for ${workload}: add it to EXAMPLE_AWS_ROLES`);
  }
  return `arn:aws:iam::${config.account}:role/${role}`;
}

/** `AwsIdentity.irsa` of the example role of `workload`. */
export function exampleIdentity(workload: string, config: ExampleAwsRoles = EXAMPLE_AWS_ROLES): AwsIdentity {
  return AwsIdentity.irsa(exampleRoleArn(workload, config));
}
