/**
 * The scheduling vocabulary shared by the training pool's Kubernetes half
 * (NodePools, jobs), its AWS half (the EKS managed node group alternative)
 * and the on-demand fallback controller. Plain data with no dependencies, so
 * the controller bundle and the Pulumi entry point can import it without
 * loading cdk8s.
 */

/** Node label (and pod node selector) naming the training pool a node belongs to. */
export const TRAINING_POOL_LABEL = 'ml-platform-constructs.dev/training-pool';

/** Key of the `NoSchedule` taint every node of a training pool carries (value: the pool name). */
export const TRAINING_TAINT_KEY = 'ml-platform-constructs.dev/training-pool';

/**
 * Key of the extra `NoSchedule` taint of the on-demand fallback NodePool
 * (value: the pool name). Training pods do not tolerate it until the fallback
 * controller adds the toleration to a pod that waited too long for spot.
 */
export const FALLBACK_TAINT_KEY = 'ml-platform-constructs.dev/on-demand-fallback';

/** Pod label marking a training pod the fallback controller may move to on-demand (value {@link FALLBACK_ALLOWED}). */
export const FALLBACK_POD_LABEL = 'ml-platform-constructs.dev/on-demand-fallback';

/** Value of {@link FALLBACK_POD_LABEL} on pods that may fall back. */
export const FALLBACK_ALLOWED = 'allowed';

/** Pod annotation the fallback controller writes when it lets a pod onto on-demand capacity (an RFC 3339 time). */
export const FALLBACK_AT_ANNOTATION = 'ml-platform-constructs.dev/on-demand-fallback-at';

/** Karpenter's pod annotation that blocks voluntary disruption (consolidation, drift) of the pod's node. */
export const DO_NOT_DISRUPT_ANNOTATION = 'karpenter.sh/do-not-disrupt';

/** Environment variables of the checkpoint contract, set on every training container. */
export const CHECKPOINT_ENV = Object.freeze({
  /** Where checkpoints are written and resumed from, for example `s3://bucket/checkpoints/ns/job/`. */
  uri: 'CHECKPOINT_URI',
  /** Seconds between periodic checkpoints. */
  intervalSeconds: 'CHECKPOINT_INTERVAL_SECONDS',
  /** Seconds from SIGTERM to SIGKILL: the budget for the final checkpoint. */
  graceSeconds: 'CHECKPOINT_GRACE_SECONDS',
});

/** A pod toleration, as the Kubernetes API spells it. */
export interface PodToleration {
  /** Taint key. */
  readonly key: string;
  /** `Equal` (key and value) or `Exists` (key only). */
  readonly operator: 'Equal' | 'Exists';
  /** Taint value (with `Equal`). */
  readonly value?: string;
  /** Taint effect tolerated. */
  readonly effect: 'NoSchedule';
}

/** The toleration of the pool taint every training pod of `pool` carries. */
export function trainingToleration(pool: string): PodToleration {
  return { key: TRAINING_TAINT_KEY, operator: 'Equal', value: pool, effect: 'NoSchedule' };
}

/** The toleration of the on-demand fallback taint of `pool`, added by the controller. */
export function fallbackToleration(pool: string): PodToleration {
  return { key: FALLBACK_TAINT_KEY, operator: 'Equal', value: pool, effect: 'NoSchedule' };
}

/** The node selector of every training pod of `pool`. */
export function trainingNodeSelector(pool: string): Record<string, string> {
  return { [TRAINING_POOL_LABEL]: pool };
}
