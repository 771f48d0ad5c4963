/**
 * {@link TrainingJob}: a checkpointing `batch/v1` Job on a training pool
 * ({@link ITrainingPool}), as `pool.addTrainingJob()` renders it.
 */
import { ApiObject, Duration, JsonPatch, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { EgressOptions, jobNetworkPolicy } from '../kube/network';
import { validateHttpUrl, validateS3Uri } from '../core/url';
import { Construct, IConstruct } from 'constructs';
import { PropsValidator } from '../core/errors';
import { checkChartAtSynth } from '../core/chart-checks';
import { AwsIdentity, MANAGED_BY, awsIdentityAnnotations } from '../core/labels';
import { ComputeResources, cpuMillis, memoryMebibytes, validateComputeResources } from '../core/resources';
import { EnvMap, EnvSource, resolveEnv } from '../kube/env';
import { validatePinnedImage } from '../kube/image';
import { addPodSeccomp, restrictedContainerSecurity, restrictedPodSecurity } from '../kube/pod-security';
import { TrainingCapacityLimits } from './cost-profile';
import { mebibytes } from './pool-resolve';
import {
  CHECKPOINT_ENV, DO_NOT_DISRUPT_ANNOTATION, FALLBACK_ALLOWED, FALLBACK_POD_LABEL, PodToleration, TRAINING_POOL_LABEL,
} from './scheduling';
import { addExtendedResource, addNodeSelector } from '../kube/patches';

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
  /** Annotations of the ServiceAccount, for example the IRSA role (`irsaAnnotations(roleArn)`). @default - none */
  readonly serviceAccountAnnotations?: Readonly<Record<string, string>>;
  /**
   * AWS identity of the trainer; required when the checkpoints are on `s3://`
   * (or `serviceAccountAnnotations` names the IRSA role).
   * @default - none (an error when the job calls AWS)
   */
  readonly awsIdentity?: AwsIdentity;
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
  /**
   * HTTP(S) endpoints the trainer calls besides AWS (an experiment tracker, a
   * dataset server): the only other egress its default-deny NetworkPolicy
   * admits (DNS and AWS on 443 always are).
   * @default - none
   */
  readonly egressUrls?: readonly string[];
  /** CIDRs that narrow the trainer's AWS egress on 443 (VPC endpoints). @default - see {@link EgressOptions} */
  readonly network?: EgressOptions;
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
  /** The default-deny NetworkPolicy of the trainer pods: no ingress; egress to DNS, AWS on 443 and `egressUrls`. */
  public readonly networkPolicy: kplus.k8s.KubeNetworkPolicy;

  constructor(scope: Construct, id: string, props: TrainingJobWithPoolProps) {
    super(scope, id);
    checkChartAtSynth(this);
    const r = resolveTrainingJob(new PropsValidator(this), id, props);
    this.pool = props.pool;
    this.name = r.name;
    this.checkpointUri = r.checkpointUri;
    this.checkpointInterval = r.checkpointInterval;
    this.terminationGracePeriod = r.terminationGracePeriod;
    this.labels = {
      'app.kubernetes.io/name': this.name,
      'app.kubernetes.io/instance': this.name,
      'app.kubernetes.io/component': 'training',
      'app.kubernetes.io/part-of': this.pool.name,
      'app.kubernetes.io/managed-by': MANAGED_BY,
      [TRAINING_POOL_LABEL]: this.pool.name,
      ...(r.fallback ? { [FALLBACK_POD_LABEL]: FALLBACK_ALLOWED } : {}),
    };
    this.serviceAccount = new kplus.ServiceAccount(this, 'ServiceAccount', {
      metadata: {
        name: this.name,
        labels: this.labels,
        annotations: awsIdentityAnnotations(new PropsValidator(this), {
          property: 'awsIdentity', reads: r.checkpointUri.startsWith('s3://') ? [`${r.checkpointUri} (checkpoints)`] : [],
        }, props.awsIdentity, props.serviceAccountAnnotations),
      },
      automountToken: false,
    });
    this.job = this.renderJob(r);
    this.container = this.renderContainer(r, props);
    this.renderScheduling(r.gpus);
    (props.egressUrls ?? []).forEach((u, i) => validateHttpUrl(new PropsValidator(this), `egressUrls[${i}]`, u));
    this.networkPolicy = jobNetworkPolicy(this, 'NetworkPolicy', {
      name: this.name,
      labels: this.labels,
      podLabels: { 'app.kubernetes.io/name': this.name, 'app.kubernetes.io/instance': this.name },
      // Checkpoints and data on S3 (and STS for IRSA): AWS on 443.
      egress: { aws: true, urls: props.egressUrls },
      network: props.network,
    });
    this.node.defaultChild = this.job;
  }

  private renderJob(r: ResolvedTrainingJob): kplus.Job {
    return new kplus.Job(this, 'Resource', {
      metadata: { name: this.name, labels: this.labels },
      podMetadata: { labels: this.labels, annotations: { [DO_NOT_DISRUPT_ANNOTATION]: 'true' } },
      select: false,
      serviceAccount: this.serviceAccount,
      automountServiceAccountToken: false,
      restartPolicy: kplus.RestartPolicy.NEVER,
      terminationGracePeriod: this.terminationGracePeriod,
      securityContext: restrictedPodSecurity(r.runAsUser),
      backoffLimit: r.backoffLimit,
      activeDeadline: r.activeDeadline,
      ttlAfterFinished: r.ttlAfterFinished,
    });
  }

  /** The trainer: the checkpoint contract and the user's env as variables, a writable `/tmp` and optionally `/dev/shm`. */
  private renderContainer(r: ResolvedTrainingJob, props: TrainingJobWithPoolProps): kplus.Container {
    const container = this.job.addContainer({
      name: CONTAINER_NAME,
      image: props.image,
      imagePullPolicy: props.imagePullPolicy ?? kplus.ImagePullPolicy.IF_NOT_PRESENT,
      command: props.command ? [...props.command] : undefined,
      args: props.args ? [...props.args] : undefined,
      resources: {
        cpu: { request: r.resources.cpu.request, limit: r.resources.cpu.limit },
        memory: { request: r.resources.memory.request, limit: r.resources.memory.limit },
      },
      securityContext: restrictedContainerSecurity(r.runAsUser),
    });
    container.env.addVariable(CHECKPOINT_ENV.uri, kplus.EnvValue.fromValue(this.checkpointUri));
    container.env.addVariable(CHECKPOINT_ENV.intervalSeconds, kplus.EnvValue.fromValue(String(this.checkpointInterval.toSeconds())));
    container.env.addVariable(CHECKPOINT_ENV.graceSeconds, kplus.EnvValue.fromValue(String(this.terminationGracePeriod.toSeconds())));
    for (const [name, source] of r.env) {
      container.env.addVariable(name, source._toEnvValue(this, `EnvSecret${name}`));
    }
    container.mount('/tmp', kplus.Volume.fromEmptyDir(this, 'TmpVolume', 'tmp', { sizeLimit: r.tmpSize }));
    if (r.sharedMemorySize !== undefined) {
      container.mount('/dev/shm', kplus.Volume.fromEmptyDir(this, 'ShmVolume', 'dshm', { medium: kplus.EmptyDirMedium.MEMORY, sizeLimit: r.sharedMemorySize }));
    }
    return container;
  }

  /** The pool's toleration and node selector, the disruption policy and the GPUs. */
  private renderScheduling(gpus: number): void {
    for (const t of this.pool.tolerations) {
      const options = { effect: kplus.TaintEffect.NO_SCHEDULE };
      this.job.scheduling.tolerate(kplus.Node.tainted(t.operator === 'Exists'
        ? kplus.NodeTaintQuery.exists(t.key, options)
        : kplus.NodeTaintQuery.is(t.key, t.value ?? '', options)));
    }
    // Fields cdk8s-plus has no API for, as JSON patches (user patches still apply after them):
    // pod seccomp, `nodeSelector` (`scheduling.attract` renders node affinity instead), the Job's
    // `podFailurePolicy` and `podReplacementPolicy`, and extended resources (`nvidia.com/gpu`).
    const job = ApiObject.of(this.job);
    const podSpec = '/spec/template/spec';
    addPodSeccomp(job, podSpec);
    addNodeSelector(job, podSpec, this.pool.nodeSelector);
    // A spot reclaim (eviction by Karpenter's interruption handling, node
    // shutdown, pod GC of a lost node) marks the pod DisruptionTarget: ignore
    // it, so only real failures count against backoffLimit.
    job.addJsonPatch(JsonPatch.add('/spec/podFailurePolicy', {
      rules: [{ action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget', status: 'True' }] }],
    }));
    job.addJsonPatch(JsonPatch.add('/spec/podReplacementPolicy', 'Failed'));
    if (gpus > 0) {
      addExtendedResource(job, podSpec, 'nvidia.com/gpu', gpus);
    }
  }
}

/** A validated {@link TrainingJobWithPoolProps}. */
interface ResolvedTrainingJob {
  readonly name: string;
  readonly checkpointUri: string;
  readonly checkpointInterval: Duration;
  readonly terminationGracePeriod: Duration;
  readonly backoffLimit: number;
  readonly activeDeadline?: Duration;
  readonly ttlAfterFinished: Duration;
  readonly runAsUser: number;
  readonly resources: ComputeResources;
  readonly gpus: number;
  readonly fallback: boolean;
  readonly env: ReadonlyArray<[string, EnvSource]>;
  readonly tmpSize: Size;
  readonly sharedMemorySize?: Size;
}

/** Validates every prop of a job, in the order its errors are reported. */
function resolveTrainingJob(v: PropsValidator, id: string, props: TrainingJobWithPoolProps): ResolvedTrainingJob {
  const pool = props.pool;
  const name = v.dnsLabel('name', props.name ?? id, 52);
  const checkpoint = resolveCheckpoint(v, pool, name, props.checkpoint);
  const terminationGracePeriod = props.terminationGracePeriod ?? Duration.seconds(90);
  const grace = terminationGracePeriod.toSeconds();
  v.check(Number.isInteger(grace) && grace >= 1 && grace < 120, 'terminationGracePeriod', terminationGracePeriod,
    'must be from 1 second to under 2 minutes: a spot instance is reclaimed 2 minutes after its interruption notice, so SIGKILL must come first');
  const backoffLimit = v.integer('backoffLimit', props.backoffLimit ?? 3, 0, 100);
  if (props.activeDeadline !== undefined) {
    v.seconds('activeDeadline', props.activeDeadline, 60, 365 * 24 * 3600);
  }
  const ttlAfterFinished = props.ttlAfterFinished ?? Duration.days(7);
  v.seconds('ttlAfterFinished', ttlAfterFinished, 0, 365 * 24 * 3600);
  const runAsUser = v.integer('runAsUser', props.runAsUser ?? 1000, 1, 2147483647);

  validatePinnedImage(v, 'image', props.image);
  const resources = validateJobResources(v, props.resources);
  const gpus = resolveGpus(v, pool, props.gpus);
  validateFit(v, pool, resources, gpus);
  const fallback = props.onDemandFallback ?? pool.onDemandFallbackEnabled;
  if (props.onDemandFallback === true) {
    v.check(pool.onDemandFallbackEnabled, 'onDemandFallback', true, `has no effect: the pool '${pool.name}' has no 'onDemandFallback'`);
  }
  const env = resolveJobEnv(v, props.env);
  const tmpSize = props.tmpSize ?? Size.gibibytes(10);
  v.check(mebibytes(tmpSize) >= 1, 'tmpSize', `${mebibytes(tmpSize)}Mi`, 'must be at least 1Mi');
  if (props.sharedMemorySize !== undefined) {
    const shm = mebibytes(props.sharedMemorySize);
    const limit = memoryMebibytes(resources.memory.limit);
    v.check(shm >= 64 && shm < limit, 'sharedMemorySize', `${shm}Mi`, `must be at least 64Mi and below the memory limit (${limit}Mi): /dev/shm counts against it`);
  }
  return {
    name, ...checkpoint, terminationGracePeriod, backoffLimit, activeDeadline: props.activeDeadline, ttlAfterFinished, runAsUser,
    resources, gpus, fallback, env, tmpSize, sharedMemorySize: props.sharedMemorySize,
  };
}

function resolveCheckpoint(v: PropsValidator, pool: ITrainingPool, name: string, options: CheckpointOptions | undefined):
{ checkpointUri: string; checkpointInterval: Duration } {
  // `checkpoint` is required by its type; JavaScript callers can still leave it out.
  v.check(options !== undefined && typeof options.uri === 'string' && options.uri.trim() !== '', 'checkpoint.uri', options?.uri,
    `is required on the spot pool '${pool.name}': spot capacity is only offered to training that can resume (set checkpoint.uri, for example 's3://<bucket>/checkpoints/${name}/')`);
  const checkpointUri = v.matches('checkpoint.uri', options.uri, /^[a-z][a-z0-9+.-]*:\/\/\S+$/, 'must be a URI with a scheme, such as s3://bucket/prefix/');
  if (checkpointUri.startsWith('s3://')) validateS3Uri(v, 'checkpoint.uri', checkpointUri);
  v.check(!/^file:/.test(checkpointUri), 'checkpoint.uri', checkpointUri,
    'must be durable storage (s3://, gs://, ...): a path on the node is lost with the spot instance');
  const checkpointInterval = options.interval ?? Duration.minutes(10);
  v.seconds('checkpoint.interval', checkpointInterval, 60, 24 * 3600);
  return { checkpointUri, checkpointInterval };
}

/** `resources` is required by its type; JavaScript callers can still leave it out, and it sizes the node. */
function validateJobResources(v: PropsValidator, resources: ComputeResources | undefined): ComputeResources {
  v.check(resources !== undefined, 'resources', resources, 'is required: training must declare its requests and limits (they size the node Karpenter launches)');
  return validateComputeResources(v, 'resources', resources);
}

function resolveGpus(v: PropsValidator, pool: ITrainingPool, gpus: number | undefined): number {
  if (pool.gpu) {
    return v.integer('gpus', gpus ?? 0, 1, 64);
  }
  v.check(gpus === undefined, 'gpus', gpus, `has no effect on the CPU pool '${pool.name}': run GPU training on a pool with 'gpu' set`);
  return 0;
}

/** The job must fit in the pool's limits, or Karpenter could never schedule it. */
function validateFit(v: PropsValidator, pool: ITrainingPool, resources: ComputeResources, gpus: number): void {
  const max = pool.maxJobSize;
  if (!max) {
    return;
  }
  const cpu = cpuMillis(resources.cpu.request);
  const memory = memoryMebibytes(resources.memory.request);
  v.check(max.cpu === undefined || cpu <= max.cpu * 1000, 'resources.cpu.request', resources.cpu.request.amount,
    `exceeds the pool's CPU limit (${max.cpu}): the job could never be scheduled`);
  v.check(max.memoryGiB === undefined || memory <= max.memoryGiB * 1024, 'resources.memory.request', `${memory}Mi`,
    `exceeds the pool's memory limit (${max.memoryGiB}Gi): the job could never be scheduled`);
  v.check(max.gpus === undefined || gpus <= max.gpus, 'gpus', gpus, `exceeds the pool's GPU limit (${max.gpus}): the job could never be scheduled`);
}

function resolveJobEnv(v: PropsValidator, env: EnvMap | undefined): Array<[string, EnvSource]> {
  const resolved = resolveEnv(v, env);
  const reserved: readonly string[] = Object.values(CHECKPOINT_ENV);
  for (const [name, source] of resolved) {
    v.check(!reserved.includes(name), `env.${name}`, name, `is set from 'checkpoint' and 'terminationGracePeriod' (${reserved.join(', ')})`);
    v.check(source.kind !== 'externalSecret', `env.${name}`, name,
      'AWS Secrets Manager references are not supported on training jobs yet; sync the secret with an ExternalSecret and use EnvSource.fromSecret');
  }
  return resolved;
}
