import { ApiObject, Chart, Duration } from 'cdk8s';
import { Construct } from 'constructs';
import {
  Ec2NodeClass, Ec2NodeClassSpecBlockDeviceMappingsEbsVolumeType, Ec2NodeClassSpecMetadataOptionsHttpEndpoint,
  Ec2NodeClassSpecMetadataOptionsHttpProtocolIPv6, Ec2NodeClassSpecMetadataOptionsHttpTokens,
} from '../../imports/ec2nodeclass-karpenter.k8s.aws';
import {
  NodePool, NodePoolSpecDisruptionConsolidationPolicy, NodePoolSpecTemplateSpecTaints,
} from '../../imports/nodepool-karpenter.sh';
import { PropsValidator } from '../core/errors';
import { checkChartAtSynth } from '../core/chart-checks';
import { MANAGED_BY } from '../core/labels';
import { NodeScriptCronJob } from '../kube/node-script-job';
import { TrainingCapacityLimits, TrainingPoolCostProfile } from './cost-profile';
import { renderFallbackController } from './fallback-controller';
import { SpotTrainingPoolProps } from './pool-options';
import {
  ResolvedLimits, ResolvedPool, costLimits, karpenterDuration, renderLimits, renderRequirements, resolvePool, taint,
} from './pool-resolve';
import { FALLBACK_TAINT_KEY, PodToleration, TRAINING_POOL_LABEL, TRAINING_TAINT_KEY, trainingNodeSelector, trainingToleration } from './scheduling';
import { ITrainingPool, TrainingJob, TrainingJobProps } from './training-job';
import { clusterScoped as makeClusterScoped } from '../kube/patches';

export * from './pool-options';
export * from './training-job';

/** How one of the pool's NodePools differs from the other. */
interface NodePoolVariant {
  readonly capacityType: 'spot' | 'on-demand';
  readonly weight: number;
  readonly limits: ResolvedLimits;
  readonly consolidationPolicy: NodePoolSpecDisruptionConsolidationPolicy;
  readonly consolidateAfter: Duration;
  readonly taints: NodePoolSpecTemplateSpecTaints[];
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
 *   serviceAccountAnnotations: irsaAnnotations(roleArn),
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
    checkChartAtSynth(this);
    this.namespace = Chart.of(this).namespace;
    const r = resolvePool(new PropsValidator(this), id, props, this.namespace);
    this.name = r.name;
    this.gpu = r.gpu;
    this.nodeSelector = trainingNodeSelector(this.name);
    this.tolerations = [trainingToleration(this.name)];
    this.onDemandFallbackEnabled = r.fallback !== undefined;
    this.maxJobSize = costLimits(r.limits);
    this.costProfile = costProfileOf(r);

    const labels = {
      'app.kubernetes.io/name': this.name,
      'app.kubernetes.io/instance': this.name,
      'app.kubernetes.io/component': 'training-capacity',
      'app.kubernetes.io/managed-by': MANAGED_BY,
    };
    this.nodeClass = this.renderNodeClass(r, labels);
    this.nodePool = this.renderNodePool('Resource', this.name, labels, r, {
      capacityType: 'spot',
      weight: r.weight,
      limits: r.limits,
      consolidationPolicy: r.disruption.consolidationPolicy,
      consolidateAfter: r.disruption.consolidateAfter,
      taints: [taint(TRAINING_TAINT_KEY, this.name)],
    });
    const clusterScoped: ApiObject[] = [this.nodeClass, this.nodePool];
    if (r.fallback) {
      const fallbackName = `${this.name}-on-demand`;
      this.fallbackNodePool = this.renderNodePool('OnDemandNodePool', fallbackName, { ...labels, 'app.kubernetes.io/component': 'training-capacity-fallback' }, r, {
        capacityType: 'on-demand',
        weight: r.fallback.weight,
        limits: r.fallback.limits,
        consolidationPolicy: NodePoolSpecDisruptionConsolidationPolicy.WHEN_EMPTY,
        consolidateAfter: r.fallback.consolidateAfter,
        taints: [taint(TRAINING_TAINT_KEY, this.name), taint(FALLBACK_TAINT_KEY, this.name)],
      });
      const controller = renderFallbackController(this, this.name, r.fallback, fallbackName);
      this.fallbackController = controller.cronJob;
      clusterScoped.push(this.fallbackNodePool, ...controller.clusterScoped);
    }
    // NodePools, EC2NodeClasses and cluster RBAC are cluster-scoped.
    makeClusterScoped(...clusterScoped);
    this.node.defaultChild = this.nodePool;
  }

  /**
   * Renders a training Job on this pool: its pods tolerate the pool taint,
   * select its nodes, carry `karpenter.sh/do-not-disrupt`, and get the
   * checkpoint contract as environment variables. See {@link TrainingJob}.
   */
  public addTrainingJob(id: string, props: TrainingJobProps): TrainingJob {
    return new TrainingJob(this, id, { ...props, pool: this });
  }

  private renderNodeClass(r: ResolvedPool, labels: Record<string, string>): Ec2NodeClass {
    const nodeClass = r.nodeClass;
    return new Ec2NodeClass(this, 'NodeClass', {
      metadata: { name: this.name, labels },
      spec: {
        amiSelectorTerms: [{ alias: nodeClass.amiAlias }],
        ...r.identity,
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
  }

  /** A NodePool of the pool's nodes (label, EC2NodeClass, instance requirements, disruption), spot or on-demand. */
  private renderNodePool(id: string, name: string, labels: Record<string, string>, r: ResolvedPool, variant: NodePoolVariant): NodePool {
    return new NodePool(this, id, {
      metadata: { name, labels },
      spec: {
        weight: variant.weight,
        limits: renderLimits(variant.limits),
        disruption: {
          consolidationPolicy: variant.consolidationPolicy,
          consolidateAfter: karpenterDuration(variant.consolidateAfter),
          budgets: r.disruption.budgets,
        },
        template: {
          metadata: { labels: { ...r.nodeLabels, [TRAINING_POOL_LABEL]: this.name } },
          spec: {
            nodeClassRef: { group: 'karpenter.k8s.aws', kind: 'EC2NodeClass', name: this.name },
            requirements: renderRequirements(variant.capacityType, r.instances),
            taints: variant.taints,
            expireAfter: r.disruption.expireAfter,
            terminationGracePeriod: r.disruption.terminationGracePeriod,
          },
        },
      },
    });
  }
}

/** The cost model inputs of a Karpenter pool. */
function costProfileOf(r: ResolvedPool): TrainingPoolCostProfile {
  const instances = r.instances;
  return {
    pool: r.name,
    provisioner: 'karpenter',
    capacityType: 'spot',
    instances: {
      categories: instances.categories,
      ...(instances.families ? { families: instances.families } : {}),
      minGeneration: instances.minGeneration,
      architectures: instances.architectures,
      gpu: r.gpu,
      ...(instances.gpuNames ? { gpuNames: instances.gpuNames } : {}),
    },
    limits: costLimits(r.limits),
    ...(r.fallback ? { onDemandFallback: { capacityType: 'on-demand', afterMinutes: r.fallback.after.toSeconds() / 60, limits: costLimits(r.fallback.limits) } } : {}),
  };
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
    checkChartAtSynth(this);
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
