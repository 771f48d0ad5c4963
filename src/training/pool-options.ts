/**
 * The options of a {@link SpotTrainingPool}: instance selection, limits,
 * disruption, the EC2NodeClass and the on-demand fallback.
 */
import { Duration, Size } from 'cdk8s';
import type { EgressOptions } from '../kube/network';

/** Which nodes Karpenter's consolidation may remove. */
export enum ConsolidationPolicy {
  /** Only nodes without (non-DaemonSet) pods: the right policy for training, whose pods must not be moved. */
  WHEN_EMPTY = 'WhenEmpty',
  /** Also underutilized nodes (training pods still block it with `karpenter.sh/do-not-disrupt`). */
  WHEN_EMPTY_OR_UNDERUTILIZED = 'WhenEmptyOrUnderutilized',
}

/** Voluntary disruption a Karpenter budget applies to. */
export enum DisruptionReason {
  /** Consolidation of underutilized nodes. */
  UNDERUTILIZED = 'Underutilized',
  /** Removal of empty nodes. */
  EMPTY = 'Empty',
  /** Replacement of nodes that drifted from the NodePool or EC2NodeClass (for example a new AMI). */
  DRIFTED = 'Drifted',
}

/** CPU architecture of the nodes. */
export enum CpuArchitecture {
  /** x86-64. */
  AMD64 = 'amd64',
  /** Graviton. */
  ARM64 = 'arm64',
}

/** The cost ceiling of a pool: Karpenter launches no node that would take the pool's total capacity beyond it. */
export interface PoolLimits {
  /** vCPUs (whole) across all nodes of the pool. */
  readonly cpu: number;
  /** Memory across all nodes of the pool. */
  readonly memory: Size;
  /** NVIDIA GPUs across all nodes; required for GPU pools, refused for CPU pools. @default - none (CPU pools) */
  readonly gpus?: number;
}

/** Fewest distinct values Karpenter must be able to choose from when it launches a node (`minValues`); 1 turns a constraint off. */
export interface InstanceDiversity {
  /** Distinct instance categories. @default 2 (CPU pools), 1 (GPU pools) */
  readonly categories?: number;
  /** Distinct instance families. @default 3 (CPU pools), 2 (GPU pools); at most the number of `families` listed */
  readonly families?: number;
  /** Distinct instance generations. @default 2 (CPU pools), 1 (GPU pools) */
  readonly generations?: number;
  /** Distinct instance types; at least 2, so spot capacity is never narrowed to one type. @default 10 (CPU pools), 3 (GPU pools) */
  readonly instanceTypes?: number;
}

/** Which EC2 instance types the pool may launch. */
export interface InstanceRequirements {
  /** Instance categories (`karpenter.k8s.aws/instance-category`). @default - ['c', 'm', 'r'] (CPU pools), ['g', 'p'] (GPU pools), or the categories of `families` */
  readonly categories?: readonly string[];
  /** Instance families (`karpenter.k8s.aws/instance-family`), at least two, for example ['c6i', 'c7i', 'm6i']. @default - any family of the categories */
  readonly families?: readonly string[];
  /** Oldest instance generation. @default 5 (CPU pools), 4 (GPU pools: g4dn, p4d) */
  readonly minGeneration?: number;
  /** CPU architectures. @default [CpuArchitecture.AMD64] */
  readonly architectures?: readonly CpuArchitecture[];
  /** Instance sizes never launched (too small to train on). @default ['nano', 'micro', 'small', 'medium'] */
  readonly excludedSizes?: readonly string[];
  /** Diversity Karpenter must keep (`minValues`). @default - see {@link InstanceDiversity} */
  readonly minValues?: InstanceDiversity;
}

/** Makes the pool a GPU pool: NVIDIA GPU instances only, `nvidia.com/gpu` limit, jobs must request GPUs. */
export interface GpuPoolOptions {
  /** GPU names (`karpenter.k8s.aws/instance-gpu-name`), for example ['a10g', 'l4', 'l40s']. @default - any NVIDIA GPU */
  readonly names?: readonly string[];
  /** Smallest memory per GPU (`karpenter.k8s.aws/instance-gpu-memory`). @default - any */
  readonly minMemory?: Size;
}

/** One Karpenter disruption budget. */
export interface DisruptionBudget {
  /** Nodes that may be disrupted at once: a count, or a percentage such as '10%'. */
  readonly nodes: number | string;
  /** Disruption reasons it applies to. @default - all */
  readonly reasons?: readonly DisruptionReason[];
  /** When it starts being active (cron syntax, UTC), for example '0 9 * * 1-5'. @default - always active */
  readonly schedule?: string;
  /** How long it is active after each `schedule` hit (whole minutes). @default - always active; required with `schedule` */
  readonly duration?: Duration;
}

/** How Karpenter disrupts the pool's nodes. */
export interface PoolDisruptionOptions {
  /** Which nodes consolidation removes. @default ConsolidationPolicy.WHEN_EMPTY */
  readonly consolidationPolicy?: ConsolidationPolicy;
  /** How long a node must be consolidatable before it is removed. @default Duration.minutes(5) */
  readonly consolidateAfter?: Duration;
  /** Disruption budgets. @default [{ nodes: '10%' }] */
  readonly budgets?: readonly DisruptionBudget[];
  /**
   * Node lifetime (`spec.template.spec.expireAfter`); `false` for never. An
   * expired node is drained, but `karpenter.sh/do-not-disrupt` training pods
   * hold it until they finish (or `terminationGracePeriod` elapses).
   * @default Duration.days(7)
   */
  readonly expireAfter?: Duration | false;
  /** Longest a node may take to drain before its pods are deleted (overrides `do-not-disrupt`). @default - none: training pods hold a draining node until they finish */
  readonly terminationGracePeriod?: Duration;
}

/** The EC2NodeClass: AMI, network discovery and root volume. */
export interface NodeClassOptions {
  /**
   * AMI alias. `al2023@latest` follows every new AMI release, which drifts
   * (replaces) idle nodes: pin a version such as `al2023@v20251015` in
   * production and bump it deliberately.
   * @default 'al2023@latest'
   */
  readonly amiAlias?: string;
  /** Tags selecting the node subnets. @default { 'karpenter.sh/discovery': clusterName } */
  readonly subnetSelectorTags?: Readonly<Record<string, string>>;
  /** Tags selecting the node security groups. @default { 'karpenter.sh/discovery': clusterName } */
  readonly securityGroupSelectorTags?: Readonly<Record<string, string>>;
  /** Root volume size (gp3, encrypted): images of training stacks are large. @default Size.gibibytes(100) */
  readonly rootVolumeSize?: Size;
  /** KMS key (ID or ARN) encrypting the root volume. @default - the account's default EBS key */
  readonly rootVolumeKmsKeyId?: string;
  /** Tags of the EC2 resources Karpenter creates. @default - none (Karpenter adds its own) */
  readonly tags?: Readonly<Record<string, string>>;
}

/** The time-boxed on-demand fallback: see {@link SpotTrainingPool}. */
export interface OnDemandFallbackOptions {
  /** How long a training pod waits for spot capacity before it may run on on-demand (5 minutes to 24 hours). */
  readonly after: Duration;
  /** Cost ceiling of the on-demand pool. @default - the spot pool's limits */
  readonly limits?: PoolLimits;
  /** Weight of the on-demand NodePool; lower than the spot pool's `weight`. @default 10 */
  readonly weight?: number;
  /** How long an empty on-demand node is kept. @default Duration.minutes(1) */
  readonly consolidateAfter?: Duration;
  /** How often the controller looks for pods that waited too long (whole minutes, shorter than `after`). @default Duration.minutes(1) */
  readonly checkInterval?: Duration;
  /** Image of the controller (needs `node` on the PATH). @default NODE_IMAGE */
  readonly controllerImage?: string;
  /** Source of the controller script; override only to run a patched build. @default - the bundled `spot-fallback-controller` script */
  readonly controllerScript?: string;
  /** CIDRs of the API server endpoints the controller's NetworkPolicy admits (its only egress besides DNS). @default - any address on 443 and 6443 */
  readonly network?: Pick<EgressOptions, 'apiServerCidrs'>;
}

/** Properties of a {@link SpotTrainingPool}. */
export interface SpotTrainingPoolProps {
  /** Name of the NodePool and EC2NodeClass (cluster-scoped: unique in the cluster; DNS label, at most 40 characters). @default - the construct id */
  readonly name?: string;
  /** EKS cluster name: the default discovery tag of subnets and security groups. */
  readonly clusterName: string;
  /** The cost ceiling of the pool (CPU, memory, GPUs). */
  readonly limits: PoolLimits;
  /** IAM role name of the nodes (Karpenter creates their instance profile); exactly one of `nodeRole` and `instanceProfile`. @default - none */
  readonly nodeRole?: string;
  /** Existing instance profile of the nodes (for example `SpotTrainingPoolAws.instanceProfileName`; Karpenter then needs no IAM instance-profile permissions). @default - none */
  readonly instanceProfile?: string;
  /** Makes this a GPU pool. @default - a CPU pool */
  readonly gpu?: GpuPoolOptions;
  /** Instance types the pool may launch. @default - see {@link InstanceRequirements} */
  readonly instances?: InstanceRequirements;
  /** Node disruption. @default - see {@link PoolDisruptionOptions} */
  readonly disruption?: PoolDisruptionOptions;
  /** The EC2NodeClass. @default - see {@link NodeClassOptions} */
  readonly nodeClass?: NodeClassOptions;
  /** Extra labels of the nodes. @default - only the pool label */
  readonly nodeLabels?: Readonly<Record<string, string>>;
  /** NodePool weight (1-100). @default 50 */
  readonly weight?: number;
  /** Time-boxed on-demand fallback. @default - none: training waits for spot */
  readonly onDemandFallback?: OnDemandFallbackOptions;
}
