/**
 * ValidatingAdmissionPolicies (`admissionregistration.k8s.io/v1`, GA in
 * Kubernetes 1.30) that fence in what one ServiceAccount may do where RBAC
 * cannot: RBAC grants a verb on a resource, the policy checks the request's
 * content. The API server evaluates the CEL `validations` with the
 * variables `object` (the new object, null on DELETE), `oldObject` (null on
 * CREATE), `request` (`request.userInfo.username`, `request.operation`) and
 * `variables.<name>` (https://kubernetes.io/docs/reference/access-authn-authz/validating-admission-policy/).
 */
import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { clusterScoped } from './patches';

/** A resource rule of a policy's `matchConstraints`. */
export interface AdmissionResourceRule {
  /** API groups, `''` for the core group. */
  readonly apiGroups: readonly string[];
  /** API versions. */
  readonly apiVersions: readonly string[];
  /** Resources (plural, lower case; subresources are separate, for example `pods/status`). */
  readonly resources: readonly string[];
  /** Operations: `CREATE`, `UPDATE`, `DELETE`. */
  readonly operations: ReadonlyArray<'CREATE' | 'UPDATE' | 'DELETE'>;
}

/** A CEL expression of a policy and the message of a request it rejects. */
export interface AdmissionValidation {
  /** CEL expression that must be true for the request to be admitted. */
  readonly expression: string;
  /** Message of the rejection. */
  readonly message: string;
}

/** A named CEL expression (`variables.<name>` in the validations). */
export interface AdmissionVariable {
  /** Name (a CEL identifier). */
  readonly name: string;
  /** CEL expression. */
  readonly expression: string;
}

/** Properties of {@link serviceAccountAdmissionPolicy}. */
export interface ServiceAccountAdmissionPolicyProps {
  /** Name of the policy and its binding (cluster-scoped: unique in the cluster). */
  readonly name: string;
  /** Labels of both objects. */
  readonly labels: Readonly<Record<string, string>>;
  /** The ServiceAccount whose requests the policy checks (no one else's). */
  readonly serviceAccount: { readonly name: string; readonly namespace: string };
  /** Namespace of the objects the requests act on. */
  readonly namespace: string;
  /** The requests checked. */
  readonly rules: readonly AdmissionResourceRule[];
  /** Named expressions. @default - none */
  readonly variables?: readonly AdmissionVariable[];
  /** What every matched request must satisfy. */
  readonly validations: readonly AdmissionValidation[];
}

/** The ValidatingAdmissionPolicy and its binding that {@link serviceAccountAdmissionPolicy} renders. */
export interface ServiceAccountAdmissionPolicy {
  /** The ValidatingAdmissionPolicy. */
  readonly policy: ApiObject;
  /** The ValidatingAdmissionPolicyBinding (action `Deny`). */
  readonly binding: ApiObject;
}

/** The username the API server gives a ServiceAccount's token: `system:serviceaccount:<namespace>:<name>`. */
export function serviceAccountUsername(namespace: string, name: string): string {
  return `system:serviceaccount:${namespace}:${name}`;
}

/** A CEL string literal (single-quoted, backslash and quote escaped). */
export function celString(s: string): string {
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/**
 * A ValidatingAdmissionPolicy and its binding that check every matched
 * request of one ServiceAccount against `validations` and deny it when one
 * is false or fails to evaluate (`failurePolicy: Fail`). A `matchConditions`
 * entry on `request.userInfo.username` makes the policy ignore everyone
 * else's requests; `matchConstraints` names the resources and the namespace.
 * Both objects are cluster-scoped (ids `AdmissionPolicy` and
 * `AdmissionPolicyBinding` under `scope`).
 */
export function serviceAccountAdmissionPolicy(scope: Construct, props: ServiceAccountAdmissionPolicyProps): ServiceAccountAdmissionPolicy {
  const metadata = { name: props.name, labels: { ...props.labels } };
  const policy = new ApiObject(scope, 'AdmissionPolicy', {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingAdmissionPolicy',
    metadata,
    spec: {
      failurePolicy: 'Fail',
      matchConstraints: {
        namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': props.namespace } },
        resourceRules: props.rules.map((r) => ({
          apiGroups: [...r.apiGroups], apiVersions: [...r.apiVersions], resources: [...r.resources], operations: [...r.operations],
        })),
      },
      matchConditions: [{
        name: 'service-account',
        expression: `request.userInfo.username == ${celString(serviceAccountUsername(props.serviceAccount.namespace, props.serviceAccount.name))}`,
      }],
      ...(props.variables && props.variables.length > 0 ? { variables: props.variables.map((x) => ({ name: x.name, expression: x.expression })) } : {}),
      validations: props.validations.map((x) => ({ expression: x.expression, message: x.message })),
    },
  });
  const binding = new ApiObject(scope, 'AdmissionPolicyBinding', {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingAdmissionPolicyBinding',
    metadata,
    spec: { policyName: props.name, validationActions: ['Deny'] },
  });
  clusterScoped(policy, binding);
  return { policy, binding };
}
