import { ApiObject, Chart, Cron, Duration, JsonPatch, Size, SizeRoundingBehavior } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct, IConstruct } from 'constructs';
import {
  Ec2NodeClass, Ec2NodeClassSpecBlockDeviceMappingsEbsVolumeType, Ec2NodeClassSpecMetadataOptionsHttpEndpoint,
  Ec2NodeClassSpecMetadataOptionsHttpProtocolIPv6, Ec2NodeClassSpecMetadataOptionsHttpTokens,
} from '../../imports/ec2nodeclass-karpenter.k8s.aws';
import {
  NodePool, NodePoolSpecDisruptionBudgets, NodePoolSpecDisruptionBudgetsReasons, NodePoolSpecDisruptionConsolidationPolicy,
  NodePoolSpecLimits, NodePoolSpecTemplateSpecRequirements, NodePoolSpecTemplateSpecRequirementsOperator as Op,
  NodePoolSpecTemplateSpecTaints, NodePoolSpecTemplateSpecTaintsEffect,
} from '../../imports/nodepool-karpenter.sh';
import { readBundle } from '../core/bundles';
import { EnvMap, resolveEnv } from '../kube/env';
import { PropsValidator } from '../core/errors';
import { validatePinnedImage } from '../kube/image';
import { MANAGED_BY } from '../core/labels';
import { promDuration } from '../monitoring/monitoring';
import { addPodSeccomp, restrictedContainerSecurity, restrictedPodSecurity } from '../kube/pod-security';
import { ComputeResources, cpuMillis, memoryMebibytes } from '../core/resources';
import { TrainingCapacityLimits, TrainingPoolCostProfile } from './cost-profile';
import { FallbackConfig } from './fallback';
import {
  CHECKPOINT_ENV, DO_NOT_DISRUPT_ANNOTATION, FALLBACK_ALLOWED, FALLBACK_POD_LABEL, FALLBACK_TAINT_KEY, PodToleration,
  TRAINING_POOL_LABEL, TRAINING_TAINT_KEY, trainingNodeSelector, trainingToleration,
} from './scheduling';
import { NODE_IMAGE, NodeScriptCronJob } from '../kube/node-script-job';

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

/** Capacity a training job runs on: what {@link TrainingJob} needs to schedule its pods there. */
export interface ITrainingPool extends IConstruct {
  /** Pool name (the node label and taint value). */
  readonly name: string;
  /** Whether the nodes carry GPUs (jobs must then request GPUs). */
  readonly gpu: boolean;
  /** Node selector of the pool's pods. */
  readonly nodeSelector: Readonly<Record<string, string>>;
  /** Tolerations of the pool's pods. */
  readonly tolerations: readonly PodToleration[];
  /** Whether pods may be moved to on-demand capacity after waiting for spot. */
  readonly onDemandFallbackEnabled: boolean;
  /** The most one job may request (the pool's limits), when known. */
  readonly maxJobSize?: TrainingCapacityLimits;
  /** Renders a training job on this pool. */
  addTrainingJob(id: string, props: TrainingJobProps): TrainingJob;
}

const SIZES_TOO_SMALL: readonly string[] = ['nano', 'micro', 'small', 'medium'];
const GPU_CATEGORIES: readonly string[] = ['g', 'p'];
const RESTRICTED_LABEL_DOMAINS = /^([^/]*\.)?(karpenter\.sh|karpenter\.k8s\.aws|kubernetes\.io|k8s\.io)\//;
const LABEL_KEY = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9])?$/;

/** Resolved limits, in the units the NodePool renders. */
interface ResolvedLimits {
  readonly cpu: number;
  readonly memoryMebibytes: number;
  readonly gpus?: number;
}

/**
 * Spot capacity for training that survives interruptions: a Karpenter v1
 * NodePool and EC2NodeClass, and `addTrainingJob()` for Jobs that run there
 * and resume from checkpoints.
 *
 * What gets defined:
 * - A `karpenter.sh/v1` NodePool (`<name>`), spot only, diversified over
 *   instance categories, families, generations and types with `minValues`
 *   (Karpenter refuses to narrow a launch below them), NVIDIA requirements
 *   for GPU pools, the pool label `ml-platform-constructs.dev/training-pool`
 *   and a `NoSchedule` taint of the same key so only training pods land
 *   there, `limits` as the cost ceiling, and disruption settings
 *   (`WhenEmpty` consolidation, budgets, `expireAfter`).
 * - A `karpenter.k8s.aws/v1` EC2NodeClass (`<name>`): AMI alias, subnets and
 *   security groups discovered by tag, the node role or instance profile,
 *   IMDSv2 required with hop limit 1 (pods cannot reach the node's
 *   credentials; they use IRSA), an encrypted gp3 root volume.
 * - With `onDemandFallback`: a second NodePool (`<name>-on-demand`), lower
 *   weight, on-demand only, with an extra taint training pods do not
 *   tolerate, and a controller CronJob that lets a pod onto it after it
 *   waited `after` for spot (below).
 *
 * DaemonSets that must run on the nodes (the NVIDIA device plugin on GPU
 * pools, log and metrics agents) have to tolerate the pool taint, for
 * example with `tolerations: [{ operator: Exists }]`; otherwise GPU nodes
 * never advertise `nvidia.com/gpu`.
 *
 * Time-boxed on-demand fallback. Karpenter itself falls back from spot to
 * on-demand at once when a NodePool allows both, and has no delay. Here the
 * on-demand NodePool carries the taint
 * `ml-platform-constructs.dev/on-demand-fallback=<name>:NoSchedule`, which
 * training pods do not tolerate, so Karpenter only provisions spot for them.
 * A CronJob (every `checkInterval`) runs the bundled controller: it lists the
 * namespace's pods of this pool labelled for fallback that the scheduler has
 * marked unschedulable, and to each one pending longer than `after` it adds
 * the fallback toleration (Kubernetes allows adding tolerations to an
 * existing pod; nothing else of the pod changes) and an annotation and Event
 * saying when and why. Karpenter then places that pod on the lower-weight
 * on-demand pool, unless spot capacity came back meanwhile (the spot pool's
 * higher weight wins). The pod is changed rather than the Job (suspending a
 * Job to edit its template's tolerations would make the Job drift from what
 * GitOps applied and keep every later pod on on-demand). Limits of the
 * mechanism:
 * - Precision: a pod falls back between `after` and `after + checkInterval`
 *   (plus the controller pod's start-up) after it was created.
 * - Per pod, not per Job: the Job's template never changes (GitOps shows no
 *   drift), so a replacement pod, after any later disruption, tries spot
 *   again first. That is the time box: on-demand is used for one placement,
 *   and the on-demand node goes away (`WhenEmpty`, `consolidateAfter`) when
 *   the pod finishes.
 * - Pods the spot pool cannot take because it is at its `limits` do not fall
 *   back (the controller compares the pod's requests with
 *   `limits - status.resources` of the spot NodePool): the cost ceiling
 *   queues work, it does not overflow onto pricier capacity. The check is by
 *   requests, so a pod can still fall back when the headroom fits the pod
 *   but no whole node.
 * - Only pods of this pool in the chart's namespace are watched; if the
 *   controller is down, training waits for spot (the safe direction for cost).
 * - Its Role can list and patch every pod of the namespace (RBAC cannot
 *   restrict a patch to tolerations) and create Events; its ClusterRole can
 *   only `get` this one NodePool.
 * - The controller mounts a service account token (every other pod of the
 *   library runs without one).
 *
 * The pool's cost model inputs (instance selection, capacity type, limits,
 * fallback) are in {@link SpotTrainingPool.costProfile} for the cost estimate.
 *
 * @see https://karpenter.sh/docs/concepts/nodepools/
 * @see https://karpenter.sh/docs/concepts/nodeclasses/
 * @see https://kubernetes.io/docs/concepts/workloads/pods/#pod-update-and-replacement
 *
 * @example
 * const pool = new SpotTrainingPool(chart, 'gpu-training', {
 *   clusterName: 'ml-prod',
 *   instanceProfile: aws.instanceProfileName,
 *   gpu: { names: ['a10g', 'l4', 'l40s'] },
 *   limits: { cpu: 192, memory: Size.gibibytes(768), gpus: 16 },
 *   onDemandFallback: { after: Duration.minutes(30), limits: { cpu: 48, memory: Size.gibibytes(192), gpus: 4 } },
 * });
 * pool.addTrainingJob('resnet', {
 *   image: 'myregistry.io/trainer:1.4.0',
 *   resources: { cpu: { request: Cpu.units(7), limit: Cpu.units(8) }, memory: { request: Size.gibibytes(28), limit: Size.gibibytes(30) } },
 *   gpus: 1,
 *   checkpoint: { uri: 's3://ml-checkpoints/resnet/', interval: Duration.minutes(10) },
 *   serviceAccountAnnotations: { 'eks.amazonaws.com/role-arn': roleArn },
 * });
 */
export class SpotTrainingPool extends Construct implements ITrainingPool {
  /** Pool name: the NodePool, EC2NodeClass, node label and taint value. */
  public readonly name: string;
  /** Namespace of the chart (jobs and the fallback controller live there). */
  public readonly namespace?: string;
  /** Whether this is a GPU pool. */
  public readonly gpu: boolean;
  /** Node selector of the pool's training pods. */
  public readonly nodeSelector: Readonly<Record<string, string>>;
  /** Tolerations of the pool's training pods (and what DaemonSets on the nodes need). */
  public readonly tolerations: readonly PodToleration[];
  /** Whether the on-demand fallback is configured. */
  public readonly onDemandFallbackEnabled: boolean;
  /** The most one job may request: the pool's limits. */
  public readonly maxJobSize: TrainingCapacityLimits;
  /** Inputs of the cost estimate: instance selection, capacity type, limits and fallback. */
  public readonly costProfile: TrainingPoolCostProfile;

  /** The spot NodePool (escape hatch). */
  public readonly nodePool: NodePool;
  /** The EC2NodeClass (escape hatch). */
  public readonly nodeClass: Ec2NodeClass;
  /** The on-demand fallback NodePool, when configured. */
  public readonly fallbackNodePool?: NodePool;
  /** The fallback controller CronJob, when configured. */
  public readonly fallbackController?: NodeScriptCronJob;

  constructor(scope: Construct, id: string, props: SpotTrainingPoolProps) {
    super(scope, id);
    const v: PropsValidator = new PropsValidator(this);

    // ---- resolve --------------------------------------------------------
    this.name = v.dnsLabel('name', props.name ?? id, 40);
    this.namespace = Chart.of(this).namespace;
    const clusterName = v.matches('clusterName', props.clusterName, /^[0-9A-Za-z][A-Za-z0-9_-]{0,99}$/,
      "must be an EKS cluster name: letters, digits, '-' and '_', at most 100 characters");
    this.gpu = props.gpu !== undefined;
    const limits = resolveLimits(v, 'limits', props.limits, this.gpu);
    const instances = resolveInstances(v, props.instances ?? {}, props.gpu);
    const disruption = resolveDisruption(v, props.disruption ?? {});
    const weight = v.integer('weight', props.weight ?? 50, 1, 100);
    const nodeLabels = validateLabels(v, 'nodeLabels', props.nodeLabels ?? {});
    const nodeClass = resolveNodeClass(v, props.nodeClass ?? {}, clusterName);

    // ---- validate -------------------------------------------------------
    v.check((props.nodeRole === undefined) !== (props.instanceProfile === undefined), 'nodeRole', props.nodeRole,
      "exactly one of 'nodeRole' and 'instanceProfile' must be set (the EC2NodeClass needs the nodes' IAM identity)");
    if (props.nodeRole !== undefined) {
      v.matches('nodeRole', props.nodeRole, /^[\w+=,.@-]{1,64}$/, 'must be an IAM role name (not an ARN)');
    }
    if (props.instanceProfile !== undefined) {
      v.matches('instanceProfile', props.instanceProfile, /^[\w+=,.@-]{1,128}$/, 'must be an IAM instance profile name (not an ARN)');
    }
    const fallback = props.onDemandFallback ? resolveFallback(v, props.onDemandFallback, limits, weight, this.gpu) : undefined;
    if (fallback) {
      v.check(this.namespace !== undefined, 'onDemandFallback', props.onDemandFallback,
        'needs a chart namespace: the controller watches the pods of one namespace and its RoleBinding names it');
    }

    // ---- metadata -------------------------------------------------------
    this.nodeSelector = trainingNodeSelector(this.name);
    this.tolerations = [trainingToleration(this.name)];
    this.onDemandFallbackEnabled = fallback !== undefined;
    this.maxJobSize = costLimits(limits);
    const labels = {
      'app.kubernetes.io/name': this.name,
      'app.kubernetes.io/instance': this.name,
      'app.kubernetes.io/component': 'training-capacity',
      'app.kubernetes.io/managed-by': MANAGED_BY,
    };

    // ---- node class -----------------------------------------------------
    this.nodeClass = new Ec2NodeClass(this, 'NodeClass', {
      metadata: { name: this.name, labels },
      spec: {
        amiSelectorTerms: [{ alias: nodeClass.amiAlias }],
        ...(props.nodeRole !== undefined ? { role: props.nodeRole } : { instanceProfile: props.instanceProfile }),
        subnetSelectorTerms: [{ tags: { ...nodeClass.subnetSelectorTags } }],
        securityGroupSelectorTerms: [{ tags: { ...nodeClass.securityGroupSelectorTags } }],
        metadataOptions: {
          httpEndpoint: Ec2NodeClassSpecMetadataOptionsHttpEndpoint.ENABLED,
          httpProtocolIPv6: Ec2NodeClassSpecMetadataOptionsHttpProtocolIPv6.DISABLED,
          httpPutResponseHopLimit: 1,
          httpTokens: Ec2NodeClassSpecMetadataOptionsHttpTokens.REQUIRED,
        },
        blockDeviceMappings: [{
          deviceName: '/dev/xvda',
          rootVolume: true,
          ebs: {
            volumeSize: `${nodeClass.rootVolumeGibibytes}Gi`,
            volumeType: Ec2NodeClassSpecBlockDeviceMappingsEbsVolumeType.GP3,
            encrypted: true,
            deleteOnTermination: true,
            ...(nodeClass.kmsKeyId ? { kmsKeyId: nodeClass.kmsKeyId } : {}),
          },
        }],
        tags: { ...nodeClass.tags, [TRAINING_POOL_LABEL]: this.name },
      },
    });

    // ---- node pools -----------------------------------------------------
    const requirements = (capacityType: 'spot' | 'on-demand') => renderRequirements(capacityType, instances);
    this.nodePool = new NodePool(this, 'Resource', {
      metadata: { name: this.name, labels },
      spec: {
        weight,
        limits: renderLimits(limits),
        disruption: {
          consolidationPolicy: disruption.consolidationPolicy,
          consolidateAfter: karpenterDuration(disruption.consolidateAfter),
          budgets: disruption.budgets,
        },
        template: {
          metadata: { labels: { ...nodeLabels, [TRAINING_POOL_LABEL]: this.name } },
          spec: {
            nodeClassRef: { group: 'karpenter.k8s.aws', kind: 'EC2NodeClass', name: this.name },
            requirements: requirements('spot'),
            taints: [taint(TRAINING_TAINT_KEY, this.name)],
            expireAfter: disruption.expireAfter,
            terminationGracePeriod: disruption.terminationGracePeriod,
          },
        },
      },
    });
    const clusterScoped: ApiObject[] = [this.nodeClass, this.nodePool];

    if (fallback) {
      const fallbackName = `${this.name}-on-demand`;
      this.fallbackNodePool = new NodePool(this, 'OnDemandNodePool', {
        metadata: { name: fallbackName, labels: { ...labels, 'app.kubernetes.io/component': 'training-capacity-fallback' } },
        spec: {
          weight: fallback.weight,
          limits: renderLimits(fallback.limits),
          disruption: {
            consolidationPolicy: NodePoolSpecDisruptionConsolidationPolicy.WHEN_EMPTY,
            consolidateAfter: karpenterDuration(fallback.consolidateAfter),
            budgets: disruption.budgets,
          },
          template: {
            metadata: { labels: { ...nodeLabels, [TRAINING_POOL_LABEL]: this.name } },
            spec: {
              nodeClassRef: { group: 'karpenter.k8s.aws', kind: 'EC2NodeClass', name: this.name },
              requirements: requirements('on-demand'),
              taints: [taint(TRAINING_TAINT_KEY, this.name), taint(FALLBACK_TAINT_KEY, this.name)],
              expireAfter: disruption.expireAfter,
              terminationGracePeriod: disruption.terminationGracePeriod,
            },
          },
        },
      });
      clusterScoped.push(this.fallbackNodePool);
      const controller = this.renderFallbackController(fallback, fallbackName, props.onDemandFallback!);
      this.fallbackController = controller.cronJob;
      clusterScoped.push(...controller.clusterScoped);
    }

    if (this.namespace) {
      // NodePools, EC2NodeClasses and cluster RBAC are cluster-scoped: drop the chart namespace cdk8s stamps on every object.
      clusterScoped.forEach((o) => o.addJsonPatch(JsonPatch.remove('/metadata/namespace')));
    }

    this.costProfile = {
      pool: this.name,
      provisioner: 'karpenter',
      capacityType: 'spot',
      instances: {
        categories: instances.categories,
        ...(instances.families ? { families: instances.families } : {}),
        minGeneration: instances.minGeneration,
        architectures: instances.architectures,
        gpu: this.gpu,
        ...(instances.gpuNames ? { gpuNames: instances.gpuNames } : {}),
      },
      limits: costLimits(limits),
      ...(fallback ? { onDemandFallback: { capacityType: 'on-demand', afterMinutes: fallback.after.toSeconds() / 60, limits: costLimits(fallback.limits) } } : {}),
    };
  }

  /**
   * Renders a training Job on this pool: its pods tolerate the pool taint,
   * select its nodes, carry `karpenter.sh/do-not-disrupt`, and get the
   * checkpoint contract as environment variables. See {@link TrainingJob}.
   */
  public addTrainingJob(id: string, props: TrainingJobProps): TrainingJob {
    return new TrainingJob(this, id, { ...props, pool: this });
  }

  private renderFallbackController(fallback: ResolvedFallback, fallbackName: string, options: OnDemandFallbackOptions):
  { cronJob: NodeScriptCronJob; clusterScoped: ApiObject[] } {
    const name = `${this.name}-fallback`;
    const namespace = this.namespace!;
    const labels = {
      'app.kubernetes.io/name': name,
      'app.kubernetes.io/instance': name,
      'app.kubernetes.io/component': 'spot-fallback-controller',
      'app.kubernetes.io/part-of': this.name,
      'app.kubernetes.io/managed-by': MANAGED_BY,
    };
    const config: FallbackConfig = {
      pool: this.name,
      podSelector: `${TRAINING_POOL_LABEL}=${this.name},${FALLBACK_POD_LABEL}=${FALLBACK_ALLOWED}`,
      afterSeconds: fallback.after.toSeconds(),
      spotNodePool: this.name,
      fallbackNodePool: fallbackName,
    };
    const minutes = fallback.checkInterval.toMinutes();
    const cronJob = new NodeScriptCronJob(this, 'FallbackController', {
      name,
      scriptName: 'spot-fallback-controller.js',
      script: options.controllerScript ?? readBundle('spot-fallback-controller'),
      config,
      args: ['run', '--config', '{config}'],
      schedule: Cron.schedule({ minute: minutes === 1 ? '*' : `*/${minutes}` }),
      image: options.controllerImage ?? NODE_IMAGE,
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

    const subject = { kind: 'ServiceAccount', name, namespace };
    new kplus.k8s.KubeRole(this, 'FallbackRole', {
      metadata: { name, labels },
      rules: [
        { apiGroups: [''], resources: ['pods'], verbs: ['list', 'patch'] },
        { apiGroups: [''], resources: ['events'], verbs: ['create'] },
      ],
    });
    new kplus.k8s.KubeRoleBinding(this, 'FallbackRoleBinding', {
      metadata: { name, labels },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name },
      subjects: [subject],
    });
    const clusterRole = new kplus.k8s.KubeClusterRole(this, 'FallbackClusterRole', {
      metadata: { name, labels },
      rules: [{ apiGroups: ['karpenter.sh'], resources: ['nodepools'], resourceNames: [this.name], verbs: ['get'] }],
    });
    const clusterRoleBinding = new kplus.k8s.KubeClusterRoleBinding(this, 'FallbackClusterRoleBinding', {
      metadata: { name, labels },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name },
      subjects: [subject],
    });
    return { cronJob, clusterScoped: [clusterRole, clusterRoleBinding] };
  }
}

/** Properties of a {@link SpotNodeGroupTrainingPool}. */
export interface SpotNodeGroupTrainingPoolProps {
  /** Pool name: the `poolName` of the `SpotTrainingPoolAws` managed node group. @default - the construct id */
  readonly name?: string;
  /** Whether the node group has GPUs (jobs must then request them). @default false */
  readonly gpu?: boolean;
}

/**
 * The Kubernetes half of the EKS managed node group alternative
 * (`SpotTrainingPoolAws` with `SpotCapacity.managedNodeGroup`): renders no
 * object itself (the node group, its labels, taints and size are AWS
 * resources) and gives jobs the matching node selector (pool label and
 * `eks.amazonaws.com/capacityType: SPOT`) and toleration. There is no
 * on-demand fallback; the cost ceiling is the node group's `maxSize`.
 */
export class SpotNodeGroupTrainingPool extends Construct implements ITrainingPool {
  /** Pool name. */
  public readonly name: string;
  /** Whether the nodes carry GPUs. */
  public readonly gpu: boolean;
  /** Node selector of the pool's training pods. */
  public readonly nodeSelector: Readonly<Record<string, string>>;
  /** Tolerations of the pool's training pods. */
  public readonly tolerations: readonly PodToleration[];
  /** Always false: managed node groups have no fallback here. */
  public readonly onDemandFallbackEnabled = false;

  constructor(scope: Construct, id: string, props: SpotNodeGroupTrainingPoolProps = {}) {
    super(scope, id);
    const v: PropsValidator = new PropsValidator(this);
    this.name = v.dnsLabel('name', props.name ?? id, 40);
    this.gpu = props.gpu ?? false;
    this.nodeSelector = { ...trainingNodeSelector(this.name), 'eks.amazonaws.com/capacityType': 'SPOT' };
    this.tolerations = [trainingToleration(this.name)];
  }

  /** Renders a training Job on the node group. See {@link TrainingJob}. */
  public addTrainingJob(id: string, props: TrainingJobProps): TrainingJob {
    return new TrainingJob(this, id, { ...props, pool: this });
  }
}

/** Where and how often the job checkpoints. */
export interface CheckpointOptions {
  /** Object storage location of the checkpoints, for example `s3://bucket/checkpoints/ns/job/` (`SpotTrainingPoolAws.checkpointUri()`). */
  readonly uri: string;
  /** Time between periodic checkpoints (1 minute to 24 hours). @default Duration.minutes(10) */
  readonly interval?: Duration;
}

/** Properties of a {@link TrainingJob} (through `pool.addTrainingJob`). */
export interface TrainingJobProps {
  /** Trainer image, pinned by tag or digest (not `latest`). */
  readonly image: string;
  /** Name of the Job and its ServiceAccount (DNS label, at most 52 characters). @default - the construct id */
  readonly name?: string;
  /** Requests and limits of the trainer container. */
  readonly resources: ComputeResources;
  /** NVIDIA GPUs of the trainer; required on GPU pools, refused on CPU pools. @default - none */
  readonly gpus?: number;
  /** Checkpoint location and interval; required: spot capacity is only offered to training that can resume. */
  readonly checkpoint: CheckpointOptions;
  /** Time from SIGTERM to SIGKILL, under the 2-minute spot interruption notice. @default Duration.seconds(90) */
  readonly terminationGracePeriod?: Duration;
  /** Container command. @default - the image's entrypoint */
  readonly command?: readonly string[];
  /** Container arguments. @default - the image's command */
  readonly args?: readonly string[];
  /** Environment variables (secrets by Kubernetes Secret reference only). @default - none */
  readonly env?: EnvMap;
  /** Retries after real failures (spot reclaims and other disruptions do not count). @default 3 */
  readonly backoffLimit?: number;
  /** Longest the Job may run, retries included. @default - no deadline */
  readonly activeDeadline?: Duration;
  /** How long a finished Job is kept. @default Duration.days(7) */
  readonly ttlAfterFinished?: Duration;
  /** Annotations of the ServiceAccount, for example the IRSA role (`eks.amazonaws.com/role-arn`). @default - none */
  readonly serviceAccountAnnotations?: Readonly<Record<string, string>>;
  /** Whether the fallback controller may move this job's pods to on-demand; only on pools with a fallback. @default - true when the pool has a fallback */
  readonly onDemandFallback?: boolean;
  /** UID (and GID) of the trainer. @default 1000 */
  readonly runAsUser?: number;
  /** Size limit of the writable `/tmp` emptyDir (the root filesystem is read-only). @default Size.gibibytes(10) */
  readonly tmpSize?: Size;
  /** Memory-backed `/dev/shm` (PyTorch DataLoader workers need more than the runtime's 64 MiB); counts against the memory limit. @default - none */
  readonly sharedMemorySize?: Size;
  /** Image pull policy. @default kplus.ImagePullPolicy.IF_NOT_PRESENT */
  readonly imagePullPolicy?: kplus.ImagePullPolicy;
}

/** Properties of a {@link TrainingJob} created directly (rather than with `pool.addTrainingJob`). */
export interface TrainingJobWithPoolProps extends TrainingJobProps {
  /** The pool the job runs on. */
  readonly pool: ITrainingPool;
}

const CONTAINER_NAME = 'trainer';

/**
 * A `batch/v1` Job that trains on spot capacity and survives interruptions:
 * the pool's node selector and toleration, `karpenter.sh/do-not-disrupt` so
 * consolidation and drift never move it, a `podFailurePolicy` whose rule
 * ignores pods failed with the `DisruptionTarget` condition (a spot reclaim,
 * eviction or node loss does not count against `backoffLimit`; it needs
 * `restartPolicy: Never`), `podReplacementPolicy: Failed` so a replacement
 * starts only after the old pod stopped writing (the only value allowed with
 * a `podFailurePolicy`; the field is served from Kubernetes 1.29), a grace
 * period under the 2-minute spot notice, a ServiceAccount (IRSA by
 * annotation), Pod Security "restricted".
 *
 * `karpenter.sh/do-not-disrupt` does not hold back a spot reclaim: with the
 * interruption queue of `SpotTrainingPoolAws`, Karpenter drains the node as
 * soon as the 2-minute notice arrives, so the trainer gets SIGTERM with
 * almost all of that time left. Without the queue the instance can vanish
 * with no SIGTERM, and the last periodic checkpoint is all that survives.
 *
 * The checkpoint contract, which the trainer must implement:
 * - `CHECKPOINT_URI`: where checkpoints live. On start, resume from the
 *   latest complete checkpoint under it, if there is one.
 * - `CHECKPOINT_INTERVAL_SECONDS`: write a checkpoint at least this often
 *   (write to a new key, then publish it, so a torn write is never "latest").
 * - `CHECKPOINT_GRACE_SECONDS`: on SIGTERM (spot interruption notice, drain,
 *   eviction) stop at the next step boundary, write a final checkpoint within
 *   this many seconds (minus a margin), and exit non-zero (143 by
 *   convention): exiting 0 would mark the Job complete. SIGKILL follows the
 *   grace period.
 */
export class TrainingJob extends Construct {
  /** Name of the Job and its ServiceAccount. */
  public readonly name: string;
  /** The pool it runs on. */
  public readonly pool: ITrainingPool;
  /** The checkpoint location. */
  public readonly checkpointUri: string;
  /** Time between periodic checkpoints. */
  public readonly checkpointInterval: Duration;
  /** Time from SIGTERM to SIGKILL. */
  public readonly terminationGracePeriod: Duration;
  /** Labels of the Job and its pods. */
  public readonly labels: Readonly<Record<string, string>>;
  /** The Job (escape hatch). */
  public readonly job: kplus.Job;
  /** The trainer container. */
  public readonly container: kplus.Container;
  /** The job's ServiceAccount. */
  public readonly serviceAccount: kplus.ServiceAccount;

  constructor(scope: Construct, id: string, props: TrainingJobWithPoolProps) {
    super(scope, id);
    const v: PropsValidator = new PropsValidator(this);
    const pool = props.pool;
    this.pool = pool;

    // ---- resolve --------------------------------------------------------
    this.name = v.dnsLabel('name', props.name ?? id, 52);
    const checkpoint = props.checkpoint as CheckpointOptions | undefined;
    v.check(checkpoint !== undefined && typeof checkpoint.uri === 'string' && checkpoint.uri.trim() !== '', 'checkpoint.uri', checkpoint?.uri,
      `is required on the spot pool '${pool.name}': spot capacity is only offered to training that can resume (set checkpoint.uri, for example 's3://<bucket>/checkpoints/${this.name}/')`);
    this.checkpointUri = v.matches('checkpoint.uri', checkpoint!.uri, /^[a-z][a-z0-9+.-]*:\/\/\S+$/, 'must be a URI with a scheme, such as s3://bucket/prefix/');
    v.check(!/^file:/.test(this.checkpointUri), 'checkpoint.uri', this.checkpointUri,
      'must be durable storage (s3://, gs://, ...): a path on the node is lost with the spot instance');
    this.checkpointInterval = checkpoint!.interval ?? Duration.minutes(10);
    v.integer('checkpoint.interval', this.checkpointInterval.toSeconds(), 60, 24 * 3600);
    this.terminationGracePeriod = props.terminationGracePeriod ?? Duration.seconds(90);
    const grace = this.terminationGracePeriod.toSeconds();
    v.check(Number.isInteger(grace) && grace >= 1 && grace < 120, 'terminationGracePeriod', this.terminationGracePeriod,
      'must be from 1 second to under 2 minutes: a spot instance is reclaimed 2 minutes after its interruption notice, so SIGKILL must come first');
    const backoffLimit = v.integer('backoffLimit', props.backoffLimit ?? 3, 0, 100);
    if (props.activeDeadline !== undefined) {
      v.integer('activeDeadline', props.activeDeadline.toSeconds(), 60, 365 * 24 * 3600);
    }
    const ttl = props.ttlAfterFinished ?? Duration.days(7);
    v.integer('ttlAfterFinished', ttl.toSeconds(), 0, 365 * 24 * 3600);
    const runAsUser = v.integer('runAsUser', props.runAsUser ?? 1000, 1, 2147483647);

    // ---- validate -------------------------------------------------------
    validatePinnedImage(v, 'image', props.image);
    const requests = validateJobResources(v, props.resources);
    let gpus = 0;
    if (pool.gpu) {
      gpus = v.integer('gpus', props.gpus ?? 0, 1, 64);
    } else {
      v.check(props.gpus === undefined, 'gpus', props.gpus, `has no effect on the CPU pool '${pool.name}': run GPU training on a pool with 'gpu' set`);
    }
    const max = pool.maxJobSize;
    if (max) {
      v.check(max.cpu === undefined || requests.cpuMillis <= max.cpu * 1000, 'resources.cpu.request', props.resources.cpu.request.amount,
        `exceeds the pool's CPU limit (${max.cpu}): the job could never be scheduled`);
      v.check(max.memoryGiB === undefined || requests.memoryMebibytes <= max.memoryGiB * 1024, 'resources.memory.request', `${requests.memoryMebibytes}Mi`,
        `exceeds the pool's memory limit (${max.memoryGiB}Gi): the job could never be scheduled`);
      v.check(max.gpus === undefined || gpus <= max.gpus, 'gpus', gpus, `exceeds the pool's GPU limit (${max.gpus}): the job could never be scheduled`);
    }
    const fallback = props.onDemandFallback ?? pool.onDemandFallbackEnabled;
    if (props.onDemandFallback === true) {
      v.check(pool.onDemandFallbackEnabled, 'onDemandFallback', true, `has no effect: the pool '${pool.name}' has no 'onDemandFallback'`);
    }
    const env = resolveEnv(v, props.env);
    const reserved = Object.values(CHECKPOINT_ENV) as string[];
    for (const [name, source] of env) {
      v.check(!reserved.includes(name), `env.${name}`, name, `is set from 'checkpoint' and 'terminationGracePeriod' (${reserved.join(', ')})`);
      v.check(source.kind !== 'externalSecret', `env.${name}`, name,
        'AWS Secrets Manager references are not supported on training jobs yet; sync the secret with an ExternalSecret and use EnvSource.fromSecret');
    }
    const tmpSize = props.tmpSize ?? Size.gibibytes(10);
    v.check(mebibytes(tmpSize) >= 1, 'tmpSize', `${mebibytes(tmpSize)}Mi`, 'must be at least 1Mi');
    if (props.sharedMemorySize !== undefined) {
      const shm = mebibytes(props.sharedMemorySize);
      v.check(shm >= 64 && shm < memoryMebibytes(props.resources.memory.limit), 'sharedMemorySize', `${shm}Mi`,
        `must be at least 64Mi and below the memory limit (${memoryMebibytes(props.resources.memory.limit)}Mi): /dev/shm counts against it`);
    }

    // ---- metadata -------------------------------------------------------
    this.labels = {
      'app.kubernetes.io/name': this.name,
      'app.kubernetes.io/instance': this.name,
      'app.kubernetes.io/component': 'training',
      'app.kubernetes.io/part-of': pool.name,
      'app.kubernetes.io/managed-by': MANAGED_BY,
      [TRAINING_POOL_LABEL]: pool.name,
      ...(fallback ? { [FALLBACK_POD_LABEL]: FALLBACK_ALLOWED } : {}),
    };

    // ---- identity -------------------------------------------------------
    this.serviceAccount = new kplus.ServiceAccount(this, 'ServiceAccount', {
      metadata: { name: this.name, labels: this.labels, annotations: { ...props.serviceAccountAnnotations } },
      automountToken: false,
    });

    // ---- workload -------------------------------------------------------
    this.job = new kplus.Job(this, 'Resource', {
      metadata: { name: this.name, labels: this.labels },
      podMetadata: { labels: this.labels, annotations: { [DO_NOT_DISRUPT_ANNOTATION]: 'true' } },
      select: false,
      serviceAccount: this.serviceAccount,
      automountServiceAccountToken: false,
      restartPolicy: kplus.RestartPolicy.NEVER,
      terminationGracePeriod: this.terminationGracePeriod,
      securityContext: restrictedPodSecurity(runAsUser),
      backoffLimit,
      activeDeadline: props.activeDeadline,
      ttlAfterFinished: ttl,
    });
    this.container = this.job.addContainer({
      name: CONTAINER_NAME,
      image: props.image,
      imagePullPolicy: props.imagePullPolicy ?? kplus.ImagePullPolicy.IF_NOT_PRESENT,
      command: props.command ? [...props.command] : undefined,
      args: props.args ? [...props.args] : undefined,
      resources: {
        cpu: { request: props.resources.cpu.request, limit: props.resources.cpu.limit },
        memory: { request: props.resources.memory.request, limit: props.resources.memory.limit },
      },
      securityContext: restrictedContainerSecurity(runAsUser),
    });
    this.container.env.addVariable(CHECKPOINT_ENV.uri, kplus.EnvValue.fromValue(this.checkpointUri));
    this.container.env.addVariable(CHECKPOINT_ENV.intervalSeconds, kplus.EnvValue.fromValue(String(this.checkpointInterval.toSeconds())));
    this.container.env.addVariable(CHECKPOINT_ENV.graceSeconds, kplus.EnvValue.fromValue(String(grace)));
    for (const [name, source] of env) {
      this.container.env.addVariable(name, source._toEnvValue(this, `EnvSecret${name}`));
    }
    this.container.mount('/tmp', kplus.Volume.fromEmptyDir(this, 'TmpVolume', 'tmp', { sizeLimit: tmpSize }));
    if (props.sharedMemorySize !== undefined) {
      this.container.mount('/dev/shm', kplus.Volume.fromEmptyDir(this, 'ShmVolume', 'dshm', { medium: kplus.EmptyDirMedium.MEMORY, sizeLimit: props.sharedMemorySize }));
    }

    // Fields cdk8s-plus has no API for, as JSON patches (user patches still apply after them).
    const job = ApiObject.of(this.job);
    const podSpec = '/spec/template/spec';
    addPodSeccomp(job, podSpec);
    job.addJsonPatch(JsonPatch.add(`${podSpec}/nodeSelector`, { ...pool.nodeSelector }));
    job.addJsonPatch(JsonPatch.add(`${podSpec}/tolerations`, pool.tolerations.map((t) => ({ ...t }))));
    // A spot reclaim (eviction by Karpenter's interruption handling, node
    // shutdown, pod GC of a lost node) marks the pod DisruptionTarget: ignore
    // it, so only real failures count against backoffLimit.
    job.addJsonPatch(JsonPatch.add('/spec/podFailurePolicy', {
      rules: [{ action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget', status: 'True' }] }],
    }));
    job.addJsonPatch(JsonPatch.add('/spec/podReplacementPolicy', 'Failed'));
    if (gpus > 0) {
      // The generated KubeJob maps quantities through `Quantity.value` after patches, so the patch carries a Quantity.
      const quantity = kplus.k8s.Quantity.fromNumber(gpus);
      job.addJsonPatch(JsonPatch.add(`${podSpec}/containers/0/resources/limits/nvidia.com~1gpu`, quantity));
      job.addJsonPatch(JsonPatch.add(`${podSpec}/containers/0/resources/requests/nvidia.com~1gpu`, quantity));
    }
  }
}

// ---- resolution helpers ---------------------------------------------------

function resolveLimits(v: PropsValidator, property: string, limits: PoolLimits | undefined, gpu: boolean): ResolvedLimits {
  v.check(limits !== undefined, property, limits, "is required: the limits are the pool's cost ceiling (Karpenter launches no node beyond them)");
  const cpu = v.integer(`${property}.cpu`, limits!.cpu, 1, 1_000_000);
  v.check(limits!.memory instanceof Size, `${property}.memory`, limits!.memory, 'must be a Size, for example Size.gibibytes(256)');
  const memoryMebibytes = mebibytes(limits!.memory);
  v.check(Number.isInteger(memoryMebibytes) && memoryMebibytes >= 1024, `${property}.memory`, `${memoryMebibytes}Mi`, 'must be a whole number of MiB, at least 1Gi');
  if (gpu) {
    v.check(limits!.gpus !== undefined, `${property}.gpus`, limits!.gpus, 'is required on a GPU pool: GPUs are the cost that matters');
    return { cpu, memoryMebibytes, gpus: v.integer(`${property}.gpus`, limits!.gpus!, 1, 100_000) };
  }
  v.check(limits!.gpus === undefined, `${property}.gpus`, limits!.gpus, "has no effect on a CPU pool: set 'gpu' to make a GPU pool");
  return { cpu, memoryMebibytes };
}

function renderLimits(limits: ResolvedLimits): Record<string, NodePoolSpecLimits> {
  // Int-or-string fields go through the generated wrapper class: a plain value would be dropped.
  const memory = limits.memoryMebibytes % 1024 === 0 ? `${limits.memoryMebibytes / 1024}Gi` : `${limits.memoryMebibytes}Mi`;
  return {
    cpu: NodePoolSpecLimits.fromNumber(limits.cpu),
    memory: NodePoolSpecLimits.fromString(memory),
    ...(limits.gpus !== undefined ? { 'nvidia.com/gpu': NodePoolSpecLimits.fromNumber(limits.gpus) } : {}),
  };
}

function costLimits(limits: ResolvedLimits): TrainingCapacityLimits {
  return { cpu: limits.cpu, memoryGiB: limits.memoryMebibytes / 1024, ...(limits.gpus !== undefined ? { gpus: limits.gpus } : {}) };
}

interface ResolvedInstances {
  readonly categories: string[];
  readonly families?: string[];
  readonly minGeneration: number;
  readonly architectures: string[];
  readonly excludedSizes: string[];
  readonly minValues: Required<InstanceDiversity>;
  readonly gpu: boolean;
  readonly gpuNames?: string[];
  readonly minGpuMemoryMebibytes?: number;
}

function distinct(v: PropsValidator, property: string, values: readonly string[], pattern: RegExp, rule: string): string[] {
  v.check(values.length > 0, property, values, 'must list at least one value');
  values.forEach((x, i) => v.matches(`${property}[${i}]`, x, pattern, rule));
  v.check(new Set(values).size === values.length, property, values, 'must not repeat a value');
  return [...values];
}

function resolveInstances(v: PropsValidator, req: InstanceRequirements, gpu: GpuPoolOptions | undefined): ResolvedInstances {
  const isGpu = gpu !== undefined;
  const families = req.families === undefined ? undefined
    : distinct(v, 'instances.families', req.families, /^[a-z][a-z0-9-]*[0-9][a-z0-9-]*$/, 'must be an EC2 instance family such as c6i, g5 or p4d');
  if (families) {
    v.check(families.length >= 2, 'instances.families', families, 'must list at least two families: one family narrows spot capacity to a handful of instance types');
  }
  const categoryOf = (family: string) => /^[a-z]+/.exec(family)![0];
  const defaultCategories = families ? [...new Set(families.map(categoryOf))] : isGpu ? [...GPU_CATEGORIES] : ['c', 'm', 'r'];
  const categories = distinct(v, 'instances.categories', req.categories ?? defaultCategories, /^[a-z]+$/, 'must be an EC2 instance category such as c, m, r, g or p');
  for (const family of families ?? []) {
    v.check(categories.includes(categoryOf(family)), 'instances.families', family,
      `is not in 'instances.categories' (${categories.join(', ')}): Karpenter could never launch it`);
  }
  if (!isGpu) {
    const gpuCategories = categories.filter((c) => GPU_CATEGORIES.includes(c));
    v.check(gpuCategories.length === 0, 'instances.categories', gpuCategories, "lists GPU categories on a CPU pool: set 'gpu' to make a GPU pool");
  }
  const minGeneration = v.integer('instances.minGeneration', req.minGeneration ?? (isGpu ? 4 : 5), 1, 20);
  const architectures = distinct(v, 'instances.architectures', req.architectures ?? [CpuArchitecture.AMD64], /^(amd64|arm64)$/, 'must be amd64 or arm64');
  const excludedSizes = req.excludedSizes === undefined ? [...SIZES_TOO_SMALL]
    : req.excludedSizes.length === 0 ? [] : distinct(v, 'instances.excludedSizes', req.excludedSizes, /^[a-z0-9-]+$/, 'must be an instance size such as medium or xlarge');

  const mv = req.minValues ?? {};
  const defaults = isGpu ? { categories: 1, families: 2, generations: 1, instanceTypes: 3 } : { categories: 2, families: 3, generations: 2, instanceTypes: 10 };
  const minValues = {
    categories: v.integer('instances.minValues.categories', mv.categories ?? Math.min(defaults.categories, categories.length), 1, 50),
    families: v.integer('instances.minValues.families', mv.families ?? Math.min(defaults.families, families?.length ?? 50), 1, 50),
    generations: v.integer('instances.minValues.generations', mv.generations ?? defaults.generations, 1, 50),
    instanceTypes: v.integer('instances.minValues.instanceTypes', mv.instanceTypes ?? defaults.instanceTypes, 1, 50),
  };
  v.check(minValues.categories <= categories.length, 'instances.minValues.categories', minValues.categories,
    `must be at most the number of categories listed (${categories.length})`);
  v.check(families === undefined || minValues.families <= families.length, 'instances.minValues.families', minValues.families,
    `must be at most the number of families listed (${families?.length})`);
  v.check(minValues.instanceTypes >= 2, 'instances.minValues.instanceTypes', minValues.instanceTypes,
    'must be at least 2: spot capacity must never be narrowed to one instance type');

  let gpuNames: string[] | undefined;
  let minGpuMemoryMebibytes: number | undefined;
  if (gpu) {
    if (gpu.names !== undefined) {
      gpuNames = distinct(v, 'gpu.names', gpu.names, /^[a-z0-9-]+$/, 'must be a GPU name such as a10g, l4 or h100');
    }
    if (gpu.minMemory !== undefined) {
      minGpuMemoryMebibytes = mebibytes(gpu.minMemory);
      v.check(Number.isInteger(minGpuMemoryMebibytes) && minGpuMemoryMebibytes >= 1024, 'gpu.minMemory', `${minGpuMemoryMebibytes}Mi`, 'must be a whole number of MiB, at least 1Gi');
    }
  }
  return { categories, families, minGeneration, architectures, excludedSizes, minValues, gpu: isGpu, gpuNames, minGpuMemoryMebibytes };
}

function renderRequirements(capacityType: 'spot' | 'on-demand', r: ResolvedInstances): NodePoolSpecTemplateSpecRequirements[] {
  const min = (n: number) => (n > 1 ? { minValues: n } : {});
  const out: NodePoolSpecTemplateSpecRequirements[] = [
    { key: 'karpenter.sh/capacity-type', operator: Op.IN, values: [capacityType] },
    { key: 'kubernetes.io/os', operator: Op.IN, values: ['linux'] },
    { key: 'kubernetes.io/arch', operator: Op.IN, values: [...r.architectures] },
    { key: 'karpenter.k8s.aws/instance-category', operator: Op.IN, values: [...r.categories], ...min(r.minValues.categories) },
    r.families
      ? { key: 'karpenter.k8s.aws/instance-family', operator: Op.IN, values: [...r.families], ...min(r.minValues.families) }
      : { key: 'karpenter.k8s.aws/instance-family', operator: Op.EXISTS, ...min(r.minValues.families) },
    { key: 'karpenter.k8s.aws/instance-generation', operator: Op.GT, values: [String(r.minGeneration - 1)], ...min(r.minValues.generations) },
    { key: 'node.kubernetes.io/instance-type', operator: Op.EXISTS, ...min(r.minValues.instanceTypes) },
  ];
  if (r.excludedSizes.length > 0) {
    out.push({ key: 'karpenter.k8s.aws/instance-size', operator: Op.NOT_IN, values: [...r.excludedSizes] });
  }
  if (r.gpu) {
    out.push({ key: 'karpenter.k8s.aws/instance-gpu-manufacturer', operator: Op.IN, values: ['nvidia'] });
    out.push({ key: 'karpenter.k8s.aws/instance-gpu-count', operator: Op.GT, values: ['0'] });
    if (r.gpuNames) {
      out.push({ key: 'karpenter.k8s.aws/instance-gpu-name', operator: Op.IN, values: [...r.gpuNames] });
    }
    if (r.minGpuMemoryMebibytes !== undefined) {
      out.push({ key: 'karpenter.k8s.aws/instance-gpu-memory', operator: Op.GT, values: [String(r.minGpuMemoryMebibytes - 1)] });
    }
  }
  return out;
}

interface ResolvedDisruption {
  readonly consolidationPolicy: NodePoolSpecDisruptionConsolidationPolicy;
  readonly consolidateAfter: Duration;
  readonly budgets: NodePoolSpecDisruptionBudgets[];
  readonly expireAfter: string;
  readonly terminationGracePeriod?: string;
}

function resolveDisruption(v: PropsValidator, d: PoolDisruptionOptions): ResolvedDisruption {
  const policy = d.consolidationPolicy ?? ConsolidationPolicy.WHEN_EMPTY;
  v.check(Object.values(ConsolidationPolicy).includes(policy), 'disruption.consolidationPolicy', policy, 'must be a ConsolidationPolicy');
  const consolidateAfter = d.consolidateAfter ?? Duration.minutes(5);
  v.integer('disruption.consolidateAfter', consolidateAfter.toSeconds(), 0, 24 * 3600);
  const budgets = (d.budgets ?? [{ nodes: '10%' }]).map((b, i) => resolveBudget(v, `disruption.budgets[${i}]`, b));
  v.check(budgets.length <= 50, 'disruption.budgets', budgets.length, 'must have at most 50 budgets');
  let expireAfter = 'Never';
  if (d.expireAfter !== false) {
    const e = d.expireAfter ?? Duration.days(7);
    v.integer('disruption.expireAfter', e.toSeconds(), 3600, 365 * 24 * 3600);
    expireAfter = promDuration(e);
  }
  let terminationGracePeriod: string | undefined;
  if (d.terminationGracePeriod !== undefined) {
    v.integer('disruption.terminationGracePeriod', d.terminationGracePeriod.toSeconds(), 60, 30 * 24 * 3600);
    terminationGracePeriod = promDuration(d.terminationGracePeriod);
  }
  return {
    consolidationPolicy: policy === ConsolidationPolicy.WHEN_EMPTY
      ? NodePoolSpecDisruptionConsolidationPolicy.WHEN_EMPTY
      : NodePoolSpecDisruptionConsolidationPolicy.WHEN_EMPTY_OR_UNDERUTILIZED,
    consolidateAfter,
    budgets,
    expireAfter,
    terminationGracePeriod,
  };
}

function resolveBudget(v: PropsValidator, property: string, b: DisruptionBudget): NodePoolSpecDisruptionBudgets {
  const nodes = typeof b.nodes === 'number' ? String(v.integer(`${property}.nodes`, b.nodes, 0, 100_000)) : b.nodes;
  v.matches(`${property}.nodes`, nodes, /^((100|[0-9]{1,2})%|[0-9]+)$/, "must be a node count or a percentage from '0%' to '100%'");
  v.check((b.schedule === undefined) === (b.duration === undefined), `${property}.schedule`, b.schedule, "and 'duration' must be set together");
  if (b.schedule !== undefined) {
    v.matches(`${property}.schedule`, b.schedule, /^(@(annually|yearly|monthly|weekly|daily|midnight|hourly)|\S+\s+\S+\s+\S+\s+\S+\s+\S+)$/,
      "must be a cron schedule (5 fields, UTC) or a macro such as '@daily'");
  }
  let duration: string | undefined;
  if (b.duration !== undefined) {
    const seconds = b.duration.toSeconds();
    v.check(Number.isInteger(seconds / 60) && seconds >= 60, `${property}.duration`, b.duration, 'must be a whole number of minutes (Karpenter budgets take minutes and hours)');
    duration = promDuration(b.duration);
  }
  const reasons = b.reasons === undefined ? undefined : [...b.reasons];
  if (reasons) {
    v.check(reasons.length > 0 && new Set(reasons).size === reasons.length && reasons.every((r) => Object.values(DisruptionReason).includes(r)),
      `${property}.reasons`, reasons, 'must list distinct DisruptionReason values');
  }
  return {
    nodes,
    ...(reasons ? { reasons: reasons.map((r) => r as string as NodePoolSpecDisruptionBudgetsReasons) } : {}),
    ...(b.schedule !== undefined ? { schedule: b.schedule } : {}),
    ...(duration !== undefined ? { duration } : {}),
  };
}

interface ResolvedNodeClass {
  readonly amiAlias: string;
  readonly subnetSelectorTags: Record<string, string>;
  readonly securityGroupSelectorTags: Record<string, string>;
  readonly rootVolumeGibibytes: number;
  readonly kmsKeyId?: string;
  readonly tags: Record<string, string>;
}

function resolveNodeClass(v: PropsValidator, n: NodeClassOptions, clusterName: string): ResolvedNodeClass {
  const amiAlias = v.matches('nodeClass.amiAlias', n.amiAlias ?? 'al2023@latest', /^al2023@(latest|v\d{8})$/,
    "must be an AL2023 alias: 'al2023@latest' or a pinned 'al2023@vYYYYMMDD' (the root volume is /dev/xvda)");
  const tagMap = (property: string, tags: Readonly<Record<string, string>>) => {
    const entries = Object.entries(tags);
    v.check(entries.length > 0, property, tags, 'must have at least one tag');
    entries.forEach(([k, val]) => v.check(k.trim() !== '' && val.trim() !== '', property, tags, 'must not have empty tag keys or values'));
    return Object.fromEntries(entries.sort(([a], [b]) => a.localeCompare(b)));
  };
  const discovery = { 'karpenter.sh/discovery': clusterName };
  const subnetSelectorTags = tagMap('nodeClass.subnetSelectorTags', n.subnetSelectorTags ?? discovery);
  const securityGroupSelectorTags = tagMap('nodeClass.securityGroupSelectorTags', n.securityGroupSelectorTags ?? discovery);
  const size = n.rootVolumeSize ?? Size.gibibytes(100);
  const gib = mebibytes(size) / 1024;
  v.check(Number.isInteger(gib) && gib >= 20 && gib <= 16384, 'nodeClass.rootVolumeSize', `${mebibytes(size)}Mi`, 'must be a whole number of GiB from 20Gi to 16384Gi');
  if (n.rootVolumeKmsKeyId !== undefined) {
    v.nonEmpty('nodeClass.rootVolumeKmsKeyId', n.rootVolumeKmsKeyId);
  }
  const tags = { ...n.tags };
  for (const key of Object.keys(tags)) {
    v.check(key.trim() !== '' && !key.startsWith('kubernetes.io/cluster') && !['eks:eks-cluster-name', 'karpenter.sh/nodepool', 'karpenter.sh/nodeclaim', 'karpenter.k8s.aws/ec2nodeclass', TRAINING_POOL_LABEL].includes(key),
      'nodeClass.tags', key, 'must not set tags Karpenter or this construct manage (kubernetes.io/cluster/*, eks:eks-cluster-name, karpenter.sh/nodepool, ...)');
  }
  return { amiAlias, subnetSelectorTags, securityGroupSelectorTags, rootVolumeGibibytes: gib, kmsKeyId: n.rootVolumeKmsKeyId, tags };
}

function validateLabels(v: PropsValidator, property: string, labels: Readonly<Record<string, string>>): Record<string, string> {
  for (const [key, value] of Object.entries(labels)) {
    v.matches(`${property}.${key}`, key, LABEL_KEY, 'must be a Kubernetes label key');
    v.check(!RESTRICTED_LABEL_DOMAINS.test(key) && key !== TRAINING_POOL_LABEL, `${property}.${key}`, key,
      `must not use the domains Karpenter and Kubernetes reserve (karpenter.sh, karpenter.k8s.aws, kubernetes.io, k8s.io) or '${TRAINING_POOL_LABEL}'`);
    v.matches(`${property}.${key}`, value, LABEL_VALUE, 'must be a Kubernetes label value');
  }
  return { ...labels };
}

interface ResolvedFallback {
  readonly after: Duration;
  readonly limits: ResolvedLimits;
  readonly weight: number;
  readonly consolidateAfter: Duration;
  readonly checkInterval: Duration;
}

function resolveFallback(v: PropsValidator, f: OnDemandFallbackOptions, spotLimits: ResolvedLimits, spotWeight: number, gpu: boolean): ResolvedFallback {
  v.integer('onDemandFallback.after', f.after.toSeconds(), 5 * 60, 24 * 3600);
  const limits = f.limits ? resolveLimits(v, 'onDemandFallback.limits', f.limits, gpu) : spotLimits;
  const weight = v.integer('onDemandFallback.weight', f.weight ?? 10, 1, 100);
  v.check(weight < spotWeight, 'onDemandFallback.weight', weight, `must be lower than 'weight' (${spotWeight}): Karpenter must prefer spot`);
  const consolidateAfter = f.consolidateAfter ?? Duration.minutes(1);
  v.integer('onDemandFallback.consolidateAfter', consolidateAfter.toSeconds(), 0, 24 * 3600);
  const checkInterval = f.checkInterval ?? Duration.minutes(1);
  const seconds = checkInterval.toSeconds();
  v.check(Number.isInteger(seconds / 60) && seconds >= 60 && seconds <= 30 * 60, 'onDemandFallback.checkInterval', checkInterval, 'must be whole minutes from 1 to 30');
  v.check(seconds < f.after.toSeconds(), 'onDemandFallback.checkInterval', checkInterval, `must be shorter than 'onDemandFallback.after' (${f.after.toHumanString()})`);
  if (f.controllerScript !== undefined) {
    v.check(f.controllerScript.trim() !== '', 'onDemandFallback.controllerScript', f.controllerScript, 'must not be empty');
  }
  return { after: f.after, limits, weight, consolidateAfter, checkInterval };
}

function validateJobResources(v: PropsValidator, r: ComputeResources | undefined): { cpuMillis: number; memoryMebibytes: number } {
  v.check(r !== undefined, 'resources', r, 'is required: training must declare its requests and limits (they size the node Karpenter launches)');
  const cpuReq = cpuMillis(r!.cpu.request);
  const cpuLim = cpuMillis(r!.cpu.limit);
  const memReq = memoryMebibytes(r!.memory.request);
  const memLim = memoryMebibytes(r!.memory.limit);
  v.check(Number.isFinite(cpuReq) && cpuReq > 0, 'resources.cpu.request', r!.cpu.request.amount, 'must be a CPU amount > 0');
  v.check(Number.isFinite(cpuLim) && cpuLim >= cpuReq, 'resources.cpu.limit', r!.cpu.limit.amount, `must be >= 'resources.cpu.request' (${r!.cpu.request.amount})`);
  v.check(memReq > 0, 'resources.memory.request', `${memReq}Mi`, 'must be > 0');
  v.check(memLim >= memReq, 'resources.memory.limit', `${memLim}Mi`, `must be >= 'resources.memory.request' (${memReq}Mi)`);
  return { cpuMillis: cpuReq, memoryMebibytes: memReq };
}

function taint(key: string, value: string): NodePoolSpecTemplateSpecTaints {
  return { key, value, effect: NodePoolSpecTemplateSpecTaintsEffect.NO_SCHEDULE };
}

/** A Karpenter duration (`90s`, `5m`, `168h`). */
function karpenterDuration(d: Duration): string {
  return d.toSeconds() === 0 ? '0s' : promDuration(d);
}

/** A size in MiB without throwing on fractions (validation reports them). */
function mebibytes(size: Size): number {
  return size.toMebibytes({ rounding: SizeRoundingBehavior.NONE });
}
