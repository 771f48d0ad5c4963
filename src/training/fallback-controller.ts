/**
 * The Kubernetes objects of a spot pool's on-demand fallback controller
 * (internal): its CronJob and the least-privilege RBAC it runs with. See
 * `SpotTrainingPool` for the mechanism and `fallback.ts` for the controller.
 */
import { ApiObject, Cron, Duration, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { MANAGED_BY } from '../core/labels';
import { NodeScriptCronJob } from '../kube/node-script-job';
import { FallbackConfig } from './fallback';
import { ResolvedFallback } from './pool-resolve';
import { FALLBACK_ALLOWED, FALLBACK_POD_LABEL, TRAINING_POOL_LABEL } from './scheduling';

/** What {@link renderFallbackController} defined. */
export interface FallbackControllerObjects {
  /** The controller CronJob. */
  readonly cronJob: NodeScriptCronJob;
  /** The cluster-scoped objects (ClusterRole and its binding). */
  readonly clusterScoped: ApiObject[];
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
  return { cronJob, clusterScoped: [clusterRole, clusterRoleBinding] };
}
