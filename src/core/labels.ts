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
