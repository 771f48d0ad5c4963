/**
 * The Kubernetes objects of a spot pool's on-demand fallback controller
 * (internal): its CronJob and the least-privilege RBAC it runs with. See
 * `SpotTrainingPool` for the mechanism and `fallback.ts` for the controller.
 */
import { ApiObject, Cron, Duration, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { MANAGED_BY } from '../core/labels';
import { AdmissionValidation, AdmissionVariable, ServiceAccountAdmissionPolicy, celString, serviceAccountAdmissionPolicy } from '../kube/admission';
import { NodeScriptCronJob } from '../kube/node-script-job';
import { FallbackConfig } from './fallback';
import { ResolvedFallback } from './pool-resolve';
import { FALLBACK_ALLOWED, FALLBACK_AT_ANNOTATION, FALLBACK_POD_LABEL, FALLBACK_TAINT_KEY, TRAINING_POOL_LABEL } from './scheduling';

/** What {@link renderFallbackController} defined. */
export interface FallbackControllerObjects {
  /** The controller CronJob. */
  readonly cronJob: NodeScriptCronJob;
  /** The cluster-scoped objects (ClusterRole and its binding; the admission policy objects are made cluster-scoped already). */
  readonly clusterScoped: ApiObject[];
  /** The ValidatingAdmissionPolicy that lets the controller add its one toleration and nothing else. */
  readonly admission: ServiceAccountAdmissionPolicy;
}

/**
 * Defines the controller of `pool` directly in `scope` (the pool: the ids
 * `FallbackController`, `FallbackRole`, ... are part of its tree).
 */
export function renderFallbackController(scope: Construct, pool: string, fallback: ResolvedFallback, fallbackNodePool: string): FallbackControllerObjects {
  const name = `${pool}-fallback`;
  const labels = {
    'app.kubernetes.io/name': name,
    'app.kubernetes.io/instance': name,
    'app.kubernetes.io/component': 'spot-fallback-controller',
    'app.kubernetes.io/part-of': pool,
    'app.kubernetes.io/managed-by': MANAGED_BY,
  };
  const config: FallbackConfig = {
    pool,
    podSelector: `${TRAINING_POOL_LABEL}=${pool},${FALLBACK_POD_LABEL}=${FALLBACK_ALLOWED}`,
    afterSeconds: fallback.after.toSeconds(),
    spotNodePool: pool,
    fallbackNodePool,
  };
  const minutes = fallback.checkInterval.toMinutes();
  const cronJob = new NodeScriptCronJob(scope, 'FallbackController', {
    name,
    scriptName: 'spot-fallback-controller.js',
    script: fallback.controllerScript,
    config,
    args: ['run', '--config', '{config}'],
    schedule: Cron.schedule({ minute: minutes === 1 ? '*' : `*/${minutes}` }),
    image: fallback.controllerImage,
    backoffLimit: 0,
    activeDeadline: Duration.minutes(2),
    startingDeadline: Duration.minutes(minutes),
    resources: {
      cpu: { request: kplus.Cpu.millis(50), limit: kplus.Cpu.millis(500) },
      memory: { request: Size.mebibytes(128), limit: Size.mebibytes(256) },
    },
    labels,
    // The controller talks to the API server with its service account token (least-privilege Role below).
    automountServiceAccountToken: true,
    egress: { apiServer: true },
    network: fallback.network,
  });

  const subject = { kind: 'ServiceAccount', name, namespace: fallback.namespace };
  new kplus.k8s.KubeRole(scope, 'FallbackRole', {
    metadata: { name, labels },
    rules: [
      { apiGroups: [''], resources: ['pods'], verbs: ['list', 'patch'] },
      { apiGroups: [''], resources: ['events'], verbs: ['create'] },
    ],
  });
  new kplus.k8s.KubeRoleBinding(scope, 'FallbackRoleBinding', {
    metadata: { name, labels },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name },
    subjects: [subject],
  });
  const clusterRole = new kplus.k8s.KubeClusterRole(scope, 'FallbackClusterRole', {
    metadata: { name, labels },
    rules: [{ apiGroups: ['karpenter.sh'], resources: ['nodepools'], resourceNames: [pool], verbs: ['get'] }],
  });
  const clusterRoleBinding = new kplus.k8s.KubeClusterRoleBinding(scope, 'FallbackClusterRoleBinding', {
    metadata: { name, labels },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name },
    subjects: [subject],
  });
  const rules = fallbackAdmissionRules(pool);
  const admission = serviceAccountAdmissionPolicy(scope, {
    name: `${fallback.namespace}-${name}`,
    labels,
    serviceAccount: { name, namespace: fallback.namespace },
    namespace: fallback.namespace,
    // RBAC's `pods` is the main resource only: pods/status, pods/ephemeralcontainers and pods/resize are not granted.
    rules: [{ apiGroups: [''], apiVersions: ['v1'], resources: ['pods'], operations: ['UPDATE'] }],
    variables: rules.variables,
    validations: rules.validations,
  });
  return { cronJob, clusterScoped: [clusterRole, clusterRoleBinding], admission };
}

/** A field that is absent or equal in `object` and `oldObject` (`path` after the root, for example `spec.nodeSelector`). */
function unchanged(path: string): string {
  const [parent, field] = [path.slice(0, path.lastIndexOf('.')), path.slice(path.lastIndexOf('.') + 1)];
  return `has(object.${parent}.${field}) == has(oldObject.${parent}.${field}) && (!has(object.${parent}.${field}) || object.${path} == oldObject.${path})`;
}

/**
 * The CEL of the fallback controller's admission policy: a pod update by the
 * controller is admitted only when the pod is one of the pool's fallback
 * candidates and the update adds exactly the pool's fallback toleration and
 * the `on-demand-fallback-at` annotation. Kubernetes itself lets an update
 * of an existing pod change only the container and init container images,
 * `activeDeadlineSeconds`, `terminationGracePeriodSeconds`, tolerations
 * (additions) and, while the pod is gated, scheduling gates, node selector
 * and affinity (ValidatePodUpdate, kubernetes/kubernetes
 * pkg/apis/core/validation/validation.go); every one of those, the labels,
 * the other annotations, owner references and finalizers must stay as they
 * were. Exported for tests, which evaluate it.
 */
export function fallbackAdmissionRules(pool: string): { readonly variables: AdmissionVariable[]; readonly validations: AdmissionValidation[] } {
  const isFallback = (t: string) => `has(${t}.key) && ${t}.key == ${celString(FALLBACK_TAINT_KEY)} && has(${t}.operator) && ${t}.operator == 'Equal' && `
    + `has(${t}.value) && ${t}.value == ${celString(pool)} && has(${t}.effect) && ${t}.effect == 'NoSchedule' && !has(${t}.tolerationSeconds)`;
  const orEmpty = (root: string, field: string, empty: string) => `has(${root}.${field}) ? ${root}.${field} : ${empty}`;
  const at = celString(FALLBACK_AT_ANNOTATION);
  return {
    variables: [
      { name: 'oldTolerations', expression: orEmpty('oldObject.spec', 'tolerations', '[]') },
      { name: 'newTolerations', expression: orEmpty('object.spec', 'tolerations', '[]') },
      { name: 'oldLabels', expression: orEmpty('oldObject.metadata', 'labels', '{}') },
      { name: 'newLabels', expression: orEmpty('object.metadata', 'labels', '{}') },
      { name: 'oldAnnotations', expression: orEmpty('oldObject.metadata', 'annotations', '{}') },
      { name: 'newAnnotations', expression: orEmpty('object.metadata', 'annotations', '{}') },
    ],
    validations: [
      {
        expression: `${celString(TRAINING_POOL_LABEL)} in variables.oldLabels && variables.oldLabels[${celString(TRAINING_POOL_LABEL)}] == ${celString(pool)} && `
          + `${celString(FALLBACK_POD_LABEL)} in variables.oldLabels && variables.oldLabels[${celString(FALLBACK_POD_LABEL)}] == ${celString(FALLBACK_ALLOWED)}`,
        message: `the fallback controller of pool ${pool} may only update pods labelled ${TRAINING_POOL_LABEL}=${pool} and ${FALLBACK_POD_LABEL}=${FALLBACK_ALLOWED}`,
      },
      {
        expression: `variables.newTolerations.size() == variables.oldTolerations.size() + 1 && !variables.oldTolerations.exists(t, ${isFallback('t')}) && `
          + `variables.newTolerations.exists_one(t, ${isFallback('t')}) && variables.newTolerations.filter(t, !(${isFallback('t')})) == variables.oldTolerations`,
        message: `the fallback controller may only add the toleration ${FALLBACK_TAINT_KEY}=${pool}:NoSchedule, once`,
      },
      {
        expression: ['spec.containers', 'spec.initContainers', 'spec.activeDeadlineSeconds', 'spec.terminationGracePeriodSeconds', 'spec.schedulingGates',
          'spec.nodeSelector', 'spec.affinity', 'metadata.ownerReferences', 'metadata.finalizers'].map((p) => `(${unchanged(p)})`).join(' && '),
        message: 'the fallback controller may not change images, scheduling, deadlines, owners or finalizers of a pod',
      },
      {
        expression: 'variables.newLabels == variables.oldLabels && '
          + `variables.newAnnotations.all(k, k == ${at} || (k in variables.oldAnnotations && variables.newAnnotations[k] == variables.oldAnnotations[k])) && `
          + `variables.oldAnnotations.all(k, k in variables.newAnnotations && (k == ${at} || variables.newAnnotations[k] == variables.oldAnnotations[k]))`,
        message: `the fallback controller may not change labels, nor annotations other than ${FALLBACK_AT_ANNOTATION}`,
      },
    ],
  };
}
