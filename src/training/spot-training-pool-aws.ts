import * as cloudwatch from '@pulumi/aws/cloudwatch';
import * as ec2 from '@pulumi/aws/ec2';
import * as eks from '@pulumi/aws/eks';
import { getCallerIdentityOutput } from '@pulumi/aws/getCallerIdentity';
import { getPartitionOutput } from '@pulumi/aws/getPartition';
import { getRegionOutput } from '@pulumi/aws/getRegion';
import * as iam from '@pulumi/aws/iam';
import * as sqs from '@pulumi/aws/sqs';
import * as pulumi from '@pulumi/pulumi';
import { IrsaRole, OidcProvider } from '../aws/irsa-role';
import { PolicyStatement, componentLabel, s3PrefixReadStatements } from '../aws/policy';
import { SecureBucket, SecureBucketArgs } from '../aws/secure-bucket';
import { PropsValidator } from '../core/errors';
import { IRSA_ROLE_ARN_ANNOTATION, irsaAnnotations } from '../core/labels';
import { TrainingPoolCostProfile } from './cost-profile';
import { karpenterControllerStatements } from './karpenter-controller-aws';
import { TRAINING_POOL_LABEL, TRAINING_TAINT_KEY } from './scheduling';

/** Options of the Karpenter prerequisites ({@link SpotCapacity.karpenter}). */
export interface KarpenterCapacityOptions {
  /**
   * Create the SQS interruption queue and the EventBridge rules feeding it.
   * Karpenter reads one queue per cluster (Helm value
   * `settings.interruptionQueue`): set `false` when the cluster already has one.
   * @default true
   */
  readonly interruptionQueue?: boolean;
  /** Name of the interruption queue. @default - generated from the component name */
  readonly queueName?: string;
  /**
   * Create an EKS access entry (type `EC2_LINUX`) so nodes with the node role
   * can join the cluster; `false` for clusters that still map roles in the
   * `aws-auth` ConfigMap (authentication mode `CONFIG_MAP`).
   * @default true
   */
  readonly accessEntry?: boolean;
}

/** Options of the EKS managed node group alternative ({@link SpotCapacity.managedNodeGroup}). */
export interface ManagedNodeGroupOptions {
  /** Subnets of the nodes (private subnets, ideally one per zone). */
  readonly subnetIds: readonly pulumi.Input<string>[];
  /** Instance types, at least two of at least two families (spot capacity per type is independent). */
  readonly instanceTypes: readonly string[];
  /** Largest number of nodes: the node group's cost ceiling. */
  readonly maxSize: number;
  /** NVIDIA GPU instances (the AL2023 NVIDIA AMI). @default false */
  readonly gpu?: boolean;
  /** CPU architecture of the instance types. @default 'amd64' */
  readonly architecture?: 'amd64' | 'arm64';
  /** Root volume size in GiB (gp3, encrypted). @default 100 */
  readonly diskSizeGib?: number;
  /** KMS key encrypting the root volume. @default - the account's default EBS key */
  readonly rootVolumeKmsKeyArn?: pulumi.Input<string>;
}

/**
 * What provides the spot nodes: Karpenter (the `SpotTrainingPool` NodePool
 * and EC2NodeClass, with their AWS prerequisites here) or an EKS managed
 * node group.
 */
export class SpotCapacity {
  /** Karpenter: node role, instance profile, access entry, interruption queue and its EventBridge rules. */
  public static karpenter(options: KarpenterCapacityOptions = {}): SpotCapacity {
    return new SpotCapacity('karpenter', options, undefined);
  }

  /**
   * An EKS managed node group with `capacityType: SPOT` that scales from
   * zero (`minSize` and `desiredSize` 0; Pulumi ignores later changes of the
   * desired size). Scaling needs the Cluster Autoscaler (1.24 or later reads
   * the group's labels and taints through `eks:DescribeNodegroup` to scale
   * from zero); Karpenter does not manage managed node groups.
   */
  public static managedNodeGroup(options: ManagedNodeGroupOptions): SpotCapacity {
    return new SpotCapacity('managed-node-group', undefined, options);
  }

  private constructor(
    /** Which provider. */
    public readonly kind: 'karpenter' | 'managed-node-group',
    /** Karpenter options. */
    public readonly karpenterOptions: KarpenterCapacityOptions | undefined,
    /** Managed node group options. */
    public readonly nodeGroupOptions: ManagedNodeGroupOptions | undefined,
  ) {}
}

/** A training job that gets an IRSA role with read and write on its own checkpoint prefix. */
export interface TrainingJobAccess {
  /** Job name (the `TrainingJob`'s name). */
  readonly name: string;
  /** ServiceAccount of the job. @default - the job name (what `TrainingJob` creates) */
  readonly serviceAccount?: string;
  /** Key prefix of the job's checkpoints; the role can read and write nothing else there. @default `checkpoints/<namespace>/<name>/` */
  readonly checkpointPrefix?: string;
  /** `s3://bucket/prefix/` locations of the training data the job reads (read-only). @default - none */
  readonly dataUris?: readonly string[];
}

/** Arguments of a {@link SpotTrainingPoolAws}. */
export interface SpotTrainingPoolAwsArgs {
  /** Name of the pool: the `SpotTrainingPool`'s name (node label and taint value). */
  readonly poolName: string;
  /** EKS cluster name. */
  readonly clusterName: pulumi.Input<string>;
  /** Namespace the training jobs run in. */
  readonly namespace: string;
  /** The cluster's OIDC provider, trusted by the jobs' IRSA roles. */
  readonly oidcProvider: OidcProvider;
  /** What provides the spot nodes. @default SpotCapacity.karpenter() */
  readonly capacity?: SpotCapacity;
  /** Jobs that get an IRSA role on their checkpoint prefix. @default - none */
  readonly jobs?: readonly TrainingJobAccess[];
  /** A bucket shared with other pools; when set, `checkpointBucket` and `checkpointRetentionDays` must be unset. @default - a bucket of its own */
  readonly bucket?: SecureBucket;
  /** Settings of the pool's own checkpoint bucket. @default - a new secure bucket, non-current versions kept 7 days */
  readonly checkpointBucket?: SecureBucketArgs;
  /** Days a checkpoint object is kept (lifecycle expiration of `checkpoints/`). @default 30 */
  readonly checkpointRetentionDays?: number;
  /** Tags of every created resource. @default - none */
  readonly tags?: Readonly<Record<string, string>>;
}

/** The managed policies every EKS node role needs, by the role suffix of their attachment. */
const NODE_POLICIES: ReadonlyArray<[string, string]> = [
  ['worker', 'AmazonEKSWorkerNodePolicy'],
  ['cni', 'AmazonEKS_CNI_Policy'],
  ['ecr', 'AmazonEC2ContainerRegistryReadOnly'],
  ['ssm', 'AmazonSSMManagedInstanceCore'],
];

/** The EventBridge rules Karpenter's interruption handling needs, as in Karpenter's reference CloudFormation template. */
const INTERRUPTION_RULES: ReadonlyArray<{ role: string; source: string; detailType: string; description: string }> = [
  { role: 'spot-interruption', source: 'aws.ec2', detailType: 'EC2 Spot Instance Interruption Warning', description: 'spot interruption warnings (2 minutes before the reclaim)' },
  { role: 'rebalance', source: 'aws.ec2', detailType: 'EC2 Instance Rebalance Recommendation', description: 'rebalance recommendations (elevated interruption risk)' },
  { role: 'instance-state-change', source: 'aws.ec2', detailType: 'EC2 Instance State-change Notification', description: 'instance state changes (stopping, terminated)' },
  { role: 'scheduled-change', source: 'aws.health', detailType: 'AWS Health Event', description: 'scheduled maintenance (AWS Health events)' },
];

const PREFIX = /^[A-Za-z0-9!_.*'()-]+(\/[A-Za-z0-9!_.*'()-]+)*\/$/;
const CHECKPOINTS_ROOT = 'checkpoints/';

/**
 * The AWS half of a spot training pool.
 *
 * Capacity, one of:
 * - Karpenter prerequisites ({@link SpotCapacity.karpenter}, the default):
 *   the node IAM role with the four managed policies every EKS node needs
 *   (worker node, CNI, ECR read-only, SSM), an instance profile for it (pass
 *   `instanceProfileName` to `SpotTrainingPool`'s `instanceProfile`: Karpenter
 *   then needs no IAM instance-profile permissions, only `iam:PassRole`), an
 *   EKS access entry of type `EC2_LINUX` so the nodes can join, and the SQS
 *   interruption queue (SSE, 300 s retention) with a queue policy that lets
 *   only this component's EventBridge rules (and SQS) send to it, fed by rules
 *   for spot interruption warnings, rebalance recommendations, instance state
 *   changes and scheduled health events. Point Karpenter's
 *   `settings.interruptionQueue` at `interruptionQueueName`; its controller
 *   role needs {@link SpotTrainingPoolAws.controllerStatements}.
 * - An EKS managed node group ({@link SpotCapacity.managedNodeGroup}):
 *   `capacityType: SPOT`, a diversified instance type list, scaling from
 *   zero, the pool label and `NoSchedule` taint the job helper expects
 *   (`SpotNodeGroupTrainingPool`), and a launch template with IMDSv2 required
 *   (hop limit 1) and an encrypted gp3 root volume. EKS creates the node
 *   role's access entry itself.
 *
 * Checkpoints: a {@link SecureBucket} (versioning, encryption, public access
 * blocked, TLS only) whose lifecycle expires checkpoints after
 * `checkpointRetentionDays`, and one {@link IrsaRole} per job with read and
 * write on that job's checkpoint prefix only.
 *
 * @see https://karpenter.sh/docs/getting-started/getting-started-with-karpenter/
 * @see https://karpenter.sh/docs/concepts/disruption/#interruption
 */
export class SpotTrainingPoolAws extends pulumi.ComponentResource {
  /** Pulumi type token. */
  public static readonly TYPE = 'ml-platform:training:SpotTrainingPoolAws';

  /** Pool name. */
  public readonly poolName: string;
  /** Namespace of the training jobs. */
  public readonly namespace: string;
  /** The node IAM role. */
  public readonly nodeRole: iam.Role;
  /** ARN of the node role. */
  public readonly nodeRoleArn: pulumi.Output<string>;
  /** Name of the node role (`SpotTrainingPool`'s `nodeRole`, if Karpenter should manage the instance profile). */
  public readonly nodeRoleName: pulumi.Output<string>;
  /** The instance profile (Karpenter). */
  public readonly instanceProfile?: iam.InstanceProfile;
  /** Name of the instance profile (`SpotTrainingPool`'s `instanceProfile`). */
  public readonly instanceProfileName?: pulumi.Output<string>;
  /** The interruption queue (Karpenter, when created). */
  public readonly interruptionQueue?: sqs.Queue;
  /** Name of the interruption queue: Karpenter's `settings.interruptionQueue`. */
  public readonly interruptionQueueName?: pulumi.Output<string>;
  /** The EventBridge rules feeding the queue, by role. */
  public readonly interruptionRules: Readonly<Record<string, cloudwatch.EventRule>>;
  /** The managed node group (managed node group capacity). */
  public readonly nodeGroup?: eks.NodeGroup;
  /** The checkpoint bucket. */
  public readonly bucket: SecureBucket;
  /** The IRSA role of each job, by job name. */
  public readonly jobRoles: Readonly<Record<string, IrsaRole>>;
  /** Cost model inputs of a managed node group (a Karpenter pool's are on `SpotTrainingPool.costProfile`). */
  public readonly costProfile?: TrainingPoolCostProfile;

  private readonly prefixes: Readonly<Record<string, string>>;
  /** The cluster name, when given as a string (the controller policy's tag keys name it). */
  private readonly clusterName?: string;

  constructor(name: string, args: SpotTrainingPoolAwsArgs, opts?: pulumi.ComponentResourceOptions) {
    // Validate before registering anything: invalid arguments leave no dangling component.
    const r = resolveArgs(new PropsValidator(componentLabel(SpotTrainingPoolAws.TYPE, name)), args);
    super(SpotTrainingPoolAws.TYPE, name, {}, opts);
    this.poolName = args.poolName;
    this.namespace = args.namespace;
    this.clusterName = typeof args.clusterName === 'string' ? args.clusterName : undefined;
    this.prefixes = r.prefixes;
    const tags = { ...args.tags };

    // ---- checkpoints ----------------------------------------------------
    this.bucket = args.bucket ?? this.renderBucket(name, args, r, tags);
    this.jobRoles = this.renderJobRoles(name, args, r, tags);

    // ---- node identity --------------------------------------------------
    const partition = getPartitionOutput({}, { parent: this });
    this.nodeRole = this.renderNodeRole(name, args.poolName, partition, tags);
    this.nodeRoleArn = this.nodeRole.arn;
    this.nodeRoleName = this.nodeRole.name;

    // ---- capacity -------------------------------------------------------
    let rules: Record<string, cloudwatch.EventRule> = {};
    if (r.nodeGroup) {
      this.nodeGroup = this.renderNodeGroup(name, args, r.nodeGroup, tags);
      this.costProfile = {
        pool: args.poolName,
        provisioner: 'eks-managed-node-group',
        capacityType: 'spot',
        instances: { categories: [], instanceTypes: [...r.nodeGroup.instanceTypes], architectures: [r.nodeGroup.architecture], gpu: r.nodeGroup.gpu },
        limits: { nodes: r.nodeGroup.maxSize },
      };
    } else {
      this.instanceProfile = new iam.InstanceProfile(`${name}-node-profile`, { role: this.nodeRole.name, tags }, { parent: this });
      this.instanceProfileName = this.instanceProfile.name;
      if (r.karpenter.accessEntry ?? true) {
        new eks.AccessEntry(`${name}-node-access`, { clusterName: args.clusterName, principalArn: this.nodeRole.arn, type: 'EC2_LINUX', tags }, { parent: this });
      }
      if (r.karpenter.interruptionQueue ?? true) {
        this.interruptionQueue = new sqs.Queue(`${name}-interruption-queue`, {
          name: r.karpenter.queueName,
          messageRetentionSeconds: 300,
          sqsManagedSseEnabled: true,
          tags,
        }, { parent: this });
        this.interruptionQueueName = this.interruptionQueue.name;
        rules = this.renderInterruptionRules(name, args.poolName, this.interruptionQueue, tags);
      }
    }
    this.interruptionRules = rules;

    this.registerOutputs({
      nodeRoleArn: this.nodeRoleArn,
      instanceProfileName: this.instanceProfileName,
      interruptionQueueName: this.interruptionQueueName,
      nodeGroupName: this.nodeGroup?.nodeGroupName,
      bucketName: this.bucket.bucketName,
    });
  }

  /** `s3://<bucket>/<prefix>` of a job's checkpoints: the `TrainingJob`'s `checkpoint.uri`. */
  public checkpointUri(job: string): pulumi.Output<string> {
    return pulumi.interpolate`s3://${this.bucket.bucketName}/${this.prefixOf(job)}`;
  }

  /** The key prefix of a job's checkpoints. */
  public checkpointPrefix(job: string): string {
    return this.prefixOf(job);
  }

  /** The ServiceAccount annotation binding a job to its IRSA role. */
  public serviceAccountAnnotations(job: string): pulumi.Output<{ [IRSA_ROLE_ARN_ANNOTATION]: string }> {
    const role = this.jobRoles[job];
    if (!role) {
      new PropsValidator(componentLabel(SpotTrainingPoolAws.TYPE, this.poolName)).fail('job', job, `names no job of the pool (jobs: ${Object.keys(this.jobRoles).join(', ') || 'none'})`);
    }
    return role.roleArn.apply((arn) => irsaAnnotations(arn));
  }

  /**
   * The Karpenter controller's IAM statements for this pool, following
   * Karpenter's reference controller policy ({@link karpenterControllerStatements}):
   * `iam:PassRole` on exactly this pool's node role, the interruption queue
   * (when created here), and instance profile management and EC2 actions
   * scoped by the cluster's tags. Empty for a managed node group.
   *
   * @param clusterName the cluster name, when `clusterName` was given as an Output
   */
  public controllerStatements(clusterName?: string): PolicyStatement[] {
    if (this.nodeGroup) {
      return [];
    }
    const name = clusterName ?? this.clusterName ?? new PropsValidator(componentLabel(SpotTrainingPoolAws.TYPE, this.poolName)).fail('clusterName', clusterName,
      'is required as a string by controllerStatements() (its tag keys name the cluster)');
    const opts = { parent: this };
    return karpenterControllerStatements({
      clusterName: name,
      partition: getPartitionOutput({}, opts).partition,
      region: getRegionOutput({}, opts).region,
      accountId: getCallerIdentityOutput({}, opts).accountId,
      nodeRoleArn: this.nodeRoleArn,
      ...(this.interruptionQueue ? { interruptionQueueArn: this.interruptionQueue.arn } : {}),
    });
  }

  private prefixOf(job: string): string {
    const prefix = this.prefixes[job];
    if (prefix === undefined) {
      new PropsValidator(componentLabel(SpotTrainingPoolAws.TYPE, this.poolName)).fail('job', job, `names no job of the pool (jobs: ${Object.keys(this.prefixes).join(', ') || 'none'})`);
    }
    return prefix;
  }

  private renderBucket(name: string, args: SpotTrainingPoolAwsArgs, r: ResolvedArgs, tags: Record<string, string>): SecureBucket {
    return new SecureBucket(`${name}-checkpoints`, {
      noncurrentVersionExpirationDays: 7,
      noncurrentVersionsToKeep: 1,
      ...args.checkpointBucket,
      ...(r.imported ? {} : { expirations: [{ prefix: CHECKPOINTS_ROOT, days: r.retentionDays }, ...(args.checkpointBucket?.expirations ?? [])] }),
      tags: { ...tags, ...args.checkpointBucket?.tags },
    }, { parent: this });
  }

  /** One IRSA role per job: read and write on its checkpoint prefix, read on its data. */
  private renderJobRoles(name: string, args: SpotTrainingPoolAwsArgs, r: ResolvedArgs, tags: Record<string, string>): Record<string, IrsaRole> {
    return trainingJobRoles(name, { oidcProvider: args.oidcProvider, namespace: args.namespace, bucket: this.bucket, jobs: args.jobs ?? [], access: r, tags }, this);
  }

  /** The node role with the managed policies every EKS node needs. */
  private renderNodeRole(name: string, poolName: string, partition: ReturnType<typeof getPartitionOutput>, tags: Record<string, string>): iam.Role {
    const role = new iam.Role(`${name}-node-role`, {
      description: `Nodes of the spot training pool ${poolName}`,
      assumeRolePolicy: pulumi.jsonStringify({
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Principal: { Service: pulumi.interpolate`ec2.${partition.dnsSuffix}` }, Action: 'sts:AssumeRole' }],
      }),
      tags,
    }, { parent: this });
    for (const [suffix, policy] of NODE_POLICIES) {
      new iam.RolePolicyAttachment(`${name}-node-${suffix}`, {
        role: role.name,
        policyArn: pulumi.interpolate`arn:${partition.partition}:iam::aws:policy/${policy}`,
      }, { parent: this });
    }
    return role;
  }

  /** The EventBridge rules feeding the interruption queue, and the queue policy that admits only them. */
  private renderInterruptionRules(name: string, poolName: string, queue: sqs.Queue, tags: Record<string, string>): Record<string, cloudwatch.EventRule> {
    const rules: Record<string, cloudwatch.EventRule> = {};
    for (const r of INTERRUPTION_RULES) {
      const rule = new cloudwatch.EventRule(`${name}-${r.role}`, {
        description: `Karpenter interruption handling of ${poolName}: ${r.description}`,
        eventPattern: JSON.stringify({ source: [r.source], 'detail-type': [r.detailType] }),
        tags,
      }, { parent: this });
      new cloudwatch.EventTarget(`${name}-${r.role}-target`, {
        // The id of a rule on the default event bus is its name.
        rule: rule.id,
        arn: queue.arn,
        targetId: 'KarpenterInterruptionQueueTarget',
      }, { parent: this });
      rules[r.role] = rule;
    }
    new sqs.QueuePolicy(`${name}-interruption-queue-policy`, {
      queueUrl: queue.url,
      policy: pulumi.jsonStringify({
        Version: '2012-10-17',
        Id: 'EC2InterruptionPolicy',
        Statement: [
          {
            // Only this component's rules: any other account's rule could otherwise inject fake interruptions (and drain nodes).
            Sid: 'EventBridgeRules',
            Effect: 'Allow',
            Principal: { Service: ['events.amazonaws.com'] },
            Action: 'sqs:SendMessage',
            Resource: queue.arn,
            Condition: { ArnEquals: { 'aws:SourceArn': Object.values(rules).map((rule) => rule.arn) } },
          },
          { Sid: 'SqsService', Effect: 'Allow', Principal: { Service: ['sqs.amazonaws.com'] }, Action: 'sqs:SendMessage', Resource: queue.arn },
          {
            Sid: 'DenyInsecureTransport',
            Effect: 'Deny',
            Principal: '*',
            Action: 'sqs:*',
            Resource: queue.arn,
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          },
        ],
      }),
    }, { parent: this });
    return rules;
  }

  private renderNodeGroup(name: string, args: SpotTrainingPoolAwsArgs, g: ResolvedNodeGroup, tags: Record<string, string>): eks.NodeGroup {
    const launchTemplate = new ec2.LaunchTemplate(`${name}-launch-template`, {
      description: `Nodes of the spot training pool ${args.poolName}: IMDSv2 only, encrypted root volume`,
      metadataOptions: { httpEndpoint: 'enabled', httpTokens: 'required', httpPutResponseHopLimit: 1 },
      blockDeviceMappings: [{
        deviceName: '/dev/xvda',
        ebs: { volumeSize: g.diskSizeGib, volumeType: 'gp3', encrypted: 'true', deleteOnTermination: 'true', kmsKeyId: g.rootVolumeKmsKeyArn },
      }],
      updateDefaultVersion: true,
      tags,
    }, { parent: this });
    const arch = g.architecture === 'arm64' ? 'ARM_64' : 'x86_64';
    return new eks.NodeGroup(`${name}-node-group`, {
      clusterName: args.clusterName,
      nodeRoleArn: this.nodeRole.arn,
      subnetIds: [...g.subnetIds],
      capacityType: 'SPOT',
      instanceTypes: [...g.instanceTypes],
      amiType: `AL2023_${arch}_${g.gpu ? 'NVIDIA' : 'STANDARD'}`,
      scalingConfig: { minSize: 0, desiredSize: 0, maxSize: g.maxSize },
      updateConfig: { maxUnavailable: 1 },
      labels: { [TRAINING_POOL_LABEL]: args.poolName },
      taints: [{ key: TRAINING_TAINT_KEY, value: args.poolName, effect: 'NO_SCHEDULE' }],
      launchTemplate: { id: launchTemplate.id, version: launchTemplate.latestVersion.apply((n) => String(n)) },
      tags,
    }, { parent: this, ignoreChanges: ['scalingConfig.desiredSize'] });
  }
}

/** Checked {@link TrainingJobAccess} of a set of jobs (from {@link resolveTrainingJobAccess}). */
export interface ResolvedTrainingJobAccess {
  /** Checkpoint prefix of each job, by job name. */
  readonly prefixes: Readonly<Record<string, string>>;
  /** Read statements of each job's data, by job name. */
  readonly dataReads: Readonly<Record<string, readonly PolicyStatement[]>>;
}

/**
 * Checks the jobs that get an IRSA role on a checkpoint bucket (DNS-label
 * names, unique; ServiceAccount names; checkpoint prefixes that end with `/`,
 * start with `checkpoints/` when the bucket's checkpoint lifecycle applies,
 * and do not overlap; `s3://` data URIs) and returns each job's prefix
 * (default `checkpoints/<namespace>/<name>/`) and data read statements.
 * Errors name `jobs[<i>].<field>`. Call it before registering anything.
 */
export function resolveTrainingJobAccess(v: PropsValidator, namespace: string, jobs: readonly TrainingJobAccess[], lifecycleManaged: boolean): ResolvedTrainingJobAccess {
  const prefixes = validateJobs(v, jobs, namespace, lifecycleManaged);
  const dataReads = Object.fromEntries(jobs.map((job, i) => [job.name, s3PrefixReadStatements(v, `jobs[${i}].dataUris`, job.dataUris ?? [], 'Data')]));
  return { prefixes, dataReads };
}

/** Arguments of {@link trainingJobRoles}. */
export interface TrainingJobRolesArgs {
  /** The cluster's OIDC provider, trusted by the roles. */
  readonly oidcProvider: OidcProvider;
  /** Namespace of the jobs' ServiceAccounts. */
  readonly namespace: string;
  /** The checkpoint bucket. */
  readonly bucket: SecureBucket;
  /** The jobs. */
  readonly jobs: readonly TrainingJobAccess[];
  /** Their checked prefixes and data reads ({@link resolveTrainingJobAccess} of the same jobs). */
  readonly access: ResolvedTrainingJobAccess;
  /** Tags of the roles. @default - none */
  readonly tags?: Readonly<Record<string, string>>;
}

/**
 * One {@link IrsaRole} per training job (`<name>-<job>-irsa`), trusted by
 * the job's ServiceAccount only, with read and write on the job's checkpoint
 * prefix of the bucket and read on its data: what `SpotTrainingPoolAws`
 * creates for its jobs, and a team stack for the jobs it runs on a
 * platform's pool.
 */
export function trainingJobRoles(name: string, args: TrainingJobRolesArgs, parent: pulumi.Resource): Record<string, IrsaRole> {
  const jobRoles: Record<string, IrsaRole> = {};
  for (const job of args.jobs) {
    const prefix = args.access.prefixes[job.name];
    jobRoles[job.name] = new IrsaRole(`${name}-${job.name}-irsa`, {
      oidcProvider: args.oidcProvider,
      namespace: args.namespace,
      serviceAccount: job.serviceAccount ?? job.name,
      statements: [...args.bucket.readWriteStatements(prefix), ...(args.access.dataReads[job.name] ?? [])],
      description: `Training job ${args.namespace}/${job.name}: read/write on s3 prefix ${prefix}`,
      tags: { ...args.tags },
    }, { parent });
  }
  return jobRoles;
}

/** Validated {@link SpotTrainingPoolAwsArgs}. */
interface ResolvedArgs extends ResolvedTrainingJobAccess {
  readonly nodeGroup?: ResolvedNodeGroup;
  readonly karpenter: KarpenterCapacityOptions;
  /** Whether `checkpointBucket` imports an existing bucket (its lifecycle is not managed here). */
  readonly imported: boolean;
  readonly retentionDays: number;
}

function resolveArgs(v: PropsValidator, args: SpotTrainingPoolAwsArgs): ResolvedArgs {
  v.dnsLabel('poolName', args.poolName, 40);
  if (typeof args.clusterName === 'string') {
    v.matches('clusterName', args.clusterName, /^[0-9A-Za-z][A-Za-z0-9_-]{0,99}$/, "must be an EKS cluster name: letters, digits, '-' and '_', at most 100 characters");
  }
  v.dnsLabel('namespace', args.namespace);
  const capacity = args.capacity ?? SpotCapacity.karpenter();
  v.check(capacity instanceof SpotCapacity, 'capacity', capacity, 'must be SpotCapacity.karpenter() or SpotCapacity.managedNodeGroup()');
  const nodeGroup = capacity.nodeGroupOptions ? validateNodeGroup(v, capacity.nodeGroupOptions) : undefined;
  const karpenter = capacity.karpenterOptions ?? {};
  if (karpenter.queueName !== undefined) {
    v.check(karpenter.interruptionQueue !== false, 'capacity.queueName', karpenter.queueName, "has no effect with 'interruptionQueue: false'");
    v.matches('capacity.queueName', karpenter.queueName, /^[A-Za-z0-9_-]{1,80}$/, "must be an SQS queue name: letters, digits, '-' and '_', at most 80 characters");
  }
  const ownBucket = args.bucket === undefined;
  v.check(ownBucket || (args.checkpointBucket === undefined && args.checkpointRetentionDays === undefined), 'bucket', '<SecureBucket>',
    "cannot be combined with 'checkpointBucket' or 'checkpointRetentionDays': a shared bucket's lifecycle belongs to its owner");
  const imported = args.checkpointBucket?.existingBucketName !== undefined;
  v.check(!imported || args.checkpointRetentionDays === undefined, 'checkpointRetentionDays', args.checkpointRetentionDays,
    "has no effect on an imported bucket ('checkpointBucket.existingBucketName'): its lifecycle is not managed here");
  const retentionDays = v.integer('checkpointRetentionDays', args.checkpointRetentionDays ?? 30, 1, 3650);
  const access = resolveTrainingJobAccess(v, args.namespace, args.jobs ?? [], ownBucket && !imported);
  return { nodeGroup, karpenter, imported, retentionDays, ...access };
}

interface ResolvedNodeGroup {
  readonly subnetIds: readonly pulumi.Input<string>[];
  readonly instanceTypes: readonly string[];
  readonly maxSize: number;
  readonly gpu: boolean;
  readonly architecture: 'amd64' | 'arm64';
  readonly diskSizeGib: number;
  readonly rootVolumeKmsKeyArn?: pulumi.Input<string>;
}

function validateNodeGroup(v: PropsValidator, g: ManagedNodeGroupOptions): ResolvedNodeGroup {
  v.check(g.subnetIds.length > 0, 'capacity.subnetIds', g.subnetIds, 'must list at least one subnet');
  g.instanceTypes.forEach((t, i) => v.matches(`capacity.instanceTypes[${i}]`, t, /^[a-z][a-z0-9-]*\.[a-z0-9]+$/, 'must be an EC2 instance type such as g5.xlarge'));
  v.check(new Set(g.instanceTypes).size === g.instanceTypes.length, 'capacity.instanceTypes', g.instanceTypes, 'must not repeat a type');
  const families = new Set(g.instanceTypes.map((t) => t.split('.')[0]));
  v.check(g.instanceTypes.length >= 2 && families.size >= 2, 'capacity.instanceTypes', g.instanceTypes,
    'must list at least two instance types of at least two families: one type (or family) narrows spot capacity to a few pools');
  const maxSize = v.integer('capacity.maxSize', g.maxSize, 1, 1000);
  const architecture = g.architecture ?? 'amd64';
  v.check(architecture === 'amd64' || architecture === 'arm64', 'capacity.architecture', architecture, "must be 'amd64' or 'arm64'");
  const diskSizeGib = v.integer('capacity.diskSizeGib', g.diskSizeGib ?? 100, 20, 16384);
  return { subnetIds: g.subnetIds, instanceTypes: g.instanceTypes, maxSize, gpu: g.gpu ?? false, architecture, diskSizeGib, rootVolumeKmsKeyArn: g.rootVolumeKmsKeyArn };
}

function validateJobs(v: PropsValidator, jobs: readonly TrainingJobAccess[], namespace: string, lifecycleManaged: boolean): Record<string, string> {
  const prefixes: Record<string, string> = {};
  jobs.forEach((job, i) => {
    v.dnsLabel(`jobs[${i}].name`, job.name, 52);
    v.check(prefixes[job.name] === undefined, `jobs[${i}].name`, job.name, 'must be unique');
    if (job.serviceAccount !== undefined) {
      v.dnsSubdomain(`jobs[${i}].serviceAccount`, job.serviceAccount);
    }
    const prefix = v.matches(`jobs[${i}].checkpointPrefix`, job.checkpointPrefix ?? `${CHECKPOINTS_ROOT}${namespace}/${job.name}/`, PREFIX,
      "must be an S3 key prefix ending with '/' (no leading '/')");
    if (lifecycleManaged) {
      v.check(prefix.startsWith(CHECKPOINTS_ROOT), `jobs[${i}].checkpointPrefix`, prefix,
        `must start with '${CHECKPOINTS_ROOT}' so the bucket's checkpoint lifecycle applies to it`);
    }
    for (const [other, otherPrefix] of Object.entries(prefixes)) {
      v.check(!prefix.startsWith(otherPrefix) && !otherPrefix.startsWith(prefix), `jobs[${i}].checkpointPrefix`, prefix,
        `overlaps the prefix of job '${other}' (${otherPrefix}): each role must reach its own checkpoints only`);
    }
    prefixes[job.name] = prefix;
  });
  return prefixes;
}
