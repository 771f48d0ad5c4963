/**
 * What a cost estimator needs to know about a spot training pool to report
 * its expected spot price next to the on-demand price of the same instance
 * types, and the most the pool can cost (its limits). Plain data, no
 * dependencies: both halves of the pool expose it.
 */

/** Capacity ceiling of a pool: the most the pool may run at once. */
export interface TrainingCapacityLimits {
  /** vCPUs across all nodes (undefined: not limited by CPU). */
  readonly cpu?: number;
  /** Memory across all nodes in GiB (undefined: not limited by memory). */
  readonly memoryGiB?: number;
  /** NVIDIA GPUs across all nodes (undefined: not limited by GPUs). */
  readonly gpus?: number;
  /** Nodes (EKS managed node groups: `maxSize`; undefined for Karpenter pools). */
  readonly nodes?: number;
}

/** The instance types a pool may launch, as the price lookup needs them. */
export interface TrainingInstanceSelection {
  /** EC2 instance categories, for example `['c', 'm', 'r']`; empty when `instanceTypes` lists the types. */
  readonly categories: readonly string[];
  /** EC2 instance families, for example `['g5', 'g6']`; undefined: any family of the categories. */
  readonly families?: readonly string[];
  /** Explicit instance types (EKS managed node groups); undefined: Karpenter chooses within the categories/families. */
  readonly instanceTypes?: readonly string[];
  /** Oldest instance generation allowed (undefined: any). */
  readonly minGeneration?: number;
  /** CPU architectures, for example `['amd64']`. */
  readonly architectures: readonly string[];
  /** Whether the nodes carry NVIDIA GPUs. */
  readonly gpu: boolean;
  /** GPU names allowed, for example `['a10g', 'l4']` (undefined: any NVIDIA GPU). */
  readonly gpuNames?: readonly string[];
}

/**
 * The cost model inputs of a spot training pool. The estimator prices
 * `instances` at the on-demand and the expected spot price (the family's spot
 * discount) and bounds the pool's cost by `limits`; an on-demand fallback is
 * priced on-demand and bounded by its own limits.
 */
export interface TrainingPoolCostProfile {
  /** Pool name (the NodePool, or the EKS node group's pool label). */
  readonly pool: string;
  /** What provisions the nodes. */
  readonly provisioner: 'karpenter' | 'eks-managed-node-group';
  /** Capacity type of the pool's nodes (spot only: on-demand only through the fallback). */
  readonly capacityType: 'spot';
  /** Which instance types the pool may launch. */
  readonly instances: TrainingInstanceSelection;
  /** The pool's cost ceiling. */
  readonly limits: TrainingCapacityLimits;
  /** The time-boxed on-demand fallback, when configured. */
  readonly onDemandFallback?: {
    /** Capacity type of the fallback nodes. */
    readonly capacityType: 'on-demand';
    /** Minutes a pod waits for spot before it may run on-demand. */
    readonly afterMinutes: number;
    /** The fallback pool's own cost ceiling. */
    readonly limits: TrainingCapacityLimits;
  };
}
