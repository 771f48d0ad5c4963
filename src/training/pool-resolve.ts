/**
 * Resolution and validation of {@link SpotTrainingPoolProps} (internal):
 * every prop is checked once and turned into the values the NodePools and
 * the EC2NodeClass render.
 */
import { Duration, Size, SizeRoundingBehavior } from 'cdk8s';
import {
  NodePoolSpecDisruptionBudgets, NodePoolSpecDisruptionBudgetsReasons, NodePoolSpecDisruptionConsolidationPolicy,
  NodePoolSpecLimits, NodePoolSpecTemplateSpecRequirements, NodePoolSpecTemplateSpecRequirementsOperator as Op,
  NodePoolSpecTemplateSpecTaints, NodePoolSpecTemplateSpecTaintsEffect,
} from '../../imports/nodepool-karpenter.sh';
import { readBundle } from '../core/bundles';
import { PropsValidator } from '../core/errors';
import { validateSchedule } from '../core/cron';
import type { EgressOptions } from '../kube/network';
import { NODE_IMAGE } from '../kube/node-script-job';
import { validatePinnedImage } from '../kube/image';
import { promDuration } from '../monitoring/monitoring';
import { TrainingCapacityLimits } from './cost-profile';
import {
  ConsolidationPolicy, CpuArchitecture, DisruptionBudget, DisruptionReason, GpuPoolOptions, InstanceDiversity, InstanceRequirements,
  NodeClassOptions, OnDemandFallbackOptions, PoolDisruptionOptions, PoolLimits, SpotTrainingPoolProps,
} from './pool-options';
import { TRAINING_POOL_LABEL } from './scheduling';

const SIZES_TOO_SMALL: readonly string[] = ['nano', 'micro', 'small', 'medium'];
const GPU_CATEGORIES: readonly string[] = ['g', 'p'];
const RESTRICTED_LABEL_DOMAINS = /^([^/]*\.)?(karpenter\.sh|karpenter\.k8s\.aws|kubernetes\.io|k8s\.io)\//;
const LABEL_KEY = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9])?$/;

/** Resolved limits, in the units the NodePool renders. */
export interface ResolvedLimits {
  readonly cpu: number;
  readonly memoryMebibytes: number;
  readonly gpus?: number;
}

/** A validated {@link SpotTrainingPoolProps}. */
export interface ResolvedPool {
  readonly name: string;
  readonly gpu: boolean;
  readonly limits: ResolvedLimits;
  readonly instances: ResolvedInstances;
  readonly disruption: ResolvedDisruption;
  readonly weight: number;
  readonly nodeLabels: Record<string, string>;
  readonly nodeClass: ResolvedNodeClass;
  /** The nodes' IAM identity: a role name or an instance profile name. */
  readonly identity: { readonly role: string } | { readonly instanceProfile: string };
  readonly fallback?: ResolvedFallback;
}

/** Validates every prop of a pool, in the order its errors are reported. `namespace` is the chart's. */
export function resolvePool(v: PropsValidator, id: string, props: SpotTrainingPoolProps, namespace: string | undefined): ResolvedPool {
  const name = v.dnsLabel('name', props.name ?? id, 40);
  const clusterName = v.matches('clusterName', props.clusterName, /^[0-9A-Za-z][A-Za-z0-9_-]{0,99}$/,
    "must be an EKS cluster name: letters, digits, '-' and '_', at most 100 characters");
  const gpu = props.gpu !== undefined;
  const limits = resolveLimits(v, 'limits', props.limits, gpu);
  const instances = resolveInstances(v, props.instances ?? {}, props.gpu);
  const disruption = resolveDisruption(v, props.disruption ?? {});
  const weight = v.integer('weight', props.weight ?? 50, 1, 100);
  const nodeLabels = validateLabels(v, 'nodeLabels', props.nodeLabels ?? {});
  const nodeClass = resolveNodeClass(v, props.nodeClass ?? {}, clusterName);
  const identity = resolveIdentity(v, props.nodeRole, props.instanceProfile);
  const fallback = props.onDemandFallback ? resolveFallback(v, props.onDemandFallback, limits, weight, gpu, namespace) : undefined;
  return { name, gpu, limits, instances, disruption, weight, nodeLabels, nodeClass, identity, fallback };
}

function resolveIdentity(v: PropsValidator, nodeRole: string | undefined, instanceProfile: string | undefined): ResolvedPool['identity'] {
  const rule = "exactly one of 'nodeRole' and 'instanceProfile' must be set (the EC2NodeClass needs the nodes' IAM identity)";
  v.check((nodeRole === undefined) !== (instanceProfile === undefined), 'nodeRole', nodeRole, rule);
  if (nodeRole !== undefined) {
    return { role: v.matches('nodeRole', nodeRole, /^[\w+=,.@-]{1,64}$/, 'must be an IAM role name (not an ARN)') };
  }
  v.check(instanceProfile !== undefined, 'nodeRole', nodeRole, rule); // implied by the check above; narrows the type
  return { instanceProfile: v.matches('instanceProfile', instanceProfile, /^[\w+=,.@-]{1,128}$/, 'must be an IAM instance profile name (not an ARN)') };
}

// ---- resolution helpers ---------------------------------------------------

function resolveLimits(v: PropsValidator, property: string, limits: PoolLimits | undefined, gpu: boolean): ResolvedLimits {
  v.check(limits !== undefined, property, limits, "is required: the limits are the pool's cost ceiling (Karpenter launches no node beyond them)");
  const cpu = v.integer(`${property}.cpu`, limits.cpu, 1, 1_000_000);
  v.check(limits.memory instanceof Size, `${property}.memory`, limits.memory, 'must be a Size, for example Size.gibibytes(256)');
  const memoryMebibytes = mebibytes(limits.memory);
  v.check(Number.isInteger(memoryMebibytes) && memoryMebibytes >= 1024, `${property}.memory`, `${memoryMebibytes}Mi`, 'must be a whole number of MiB, at least 1Gi');
  if (gpu) {
    v.check(limits.gpus !== undefined, `${property}.gpus`, limits.gpus, 'is required on a GPU pool: GPUs are the cost that matters');
    return { cpu, memoryMebibytes, gpus: v.integer(`${property}.gpus`, limits.gpus, 1, 100_000) };
  }
  v.check(limits.gpus === undefined, `${property}.gpus`, limits.gpus, "has no effect on a CPU pool: set 'gpu' to make a GPU pool");
  return { cpu, memoryMebibytes };
}

export function renderLimits(limits: ResolvedLimits): Record<string, NodePoolSpecLimits> {
  // Int-or-string fields go through the generated wrapper class: a plain value would be dropped.
  const memory = limits.memoryMebibytes % 1024 === 0 ? `${limits.memoryMebibytes / 1024}Gi` : `${limits.memoryMebibytes}Mi`;
  return {
    cpu: NodePoolSpecLimits.fromNumber(limits.cpu),
    memory: NodePoolSpecLimits.fromString(memory),
    ...(limits.gpus !== undefined ? { 'nvidia.com/gpu': NodePoolSpecLimits.fromNumber(limits.gpus) } : {}),
  };
}

export function costLimits(limits: ResolvedLimits): TrainingCapacityLimits {
  return { cpu: limits.cpu, memoryGiB: limits.memoryMebibytes / 1024, ...(limits.gpus !== undefined ? { gpus: limits.gpus } : {}) };
}

export interface ResolvedInstances {
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
  // The leading letters of a family (validated above to start with one): 'p4d' -> 'p'.
  const categoryOf = (family: string) => family.replace(/[^a-z].*$/, '');
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

export function renderRequirements(capacityType: 'spot' | 'on-demand', r: ResolvedInstances): NodePoolSpecTemplateSpecRequirements[] {
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

export interface ResolvedDisruption {
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
  v.seconds('disruption.consolidateAfter', consolidateAfter, 0, 24 * 3600);
  const budgets = (d.budgets ?? [{ nodes: '10%' }]).map((b, i) => resolveBudget(v, `disruption.budgets[${i}]`, b));
  v.check(budgets.length <= 50, 'disruption.budgets', budgets.length, 'must have at most 50 budgets');
  let expireAfter = 'Never';
  if (d.expireAfter !== false) {
    const e = d.expireAfter ?? Duration.days(7);
    v.seconds('disruption.expireAfter', e, 3600, 365 * 24 * 3600);
    expireAfter = promDuration(e);
  }
  let terminationGracePeriod: string | undefined;
  if (d.terminationGracePeriod !== undefined) {
    v.seconds('disruption.terminationGracePeriod', d.terminationGracePeriod, 60, 30 * 24 * 3600);
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

const BUDGET_REASONS: Readonly<Record<DisruptionReason, NodePoolSpecDisruptionBudgetsReasons>> = {
  [DisruptionReason.UNDERUTILIZED]: NodePoolSpecDisruptionBudgetsReasons.UNDERUTILIZED,
  [DisruptionReason.EMPTY]: NodePoolSpecDisruptionBudgetsReasons.EMPTY,
  [DisruptionReason.DRIFTED]: NodePoolSpecDisruptionBudgetsReasons.DRIFTED,
};

function resolveBudget(v: PropsValidator, property: string, b: DisruptionBudget): NodePoolSpecDisruptionBudgets {
  const nodes = typeof b.nodes === 'number' ? String(v.integer(`${property}.nodes`, b.nodes, 0, 100_000)) : b.nodes;
  v.matches(`${property}.nodes`, nodes, /^((100|[0-9]{1,2})%|[0-9]+)$/, "must be a node count or a percentage from '0%' to '100%'");
  v.check((b.schedule === undefined) === (b.duration === undefined), `${property}.schedule`, b.schedule, "and 'duration' must be set together");
  if (b.schedule !== undefined) {
    validateSchedule(v, `${property}.schedule`, b.schedule);
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
    ...(reasons ? { reasons: reasons.map((r) => BUDGET_REASONS[r]) } : {}),
    ...(b.schedule !== undefined ? { schedule: b.schedule } : {}),
    ...(duration !== undefined ? { duration } : {}),
  };
}

export interface ResolvedNodeClass {
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

export interface ResolvedFallback {
  readonly after: Duration;
  readonly limits: ResolvedLimits;
  readonly weight: number;
  readonly consolidateAfter: Duration;
  readonly checkInterval: Duration;
  /** The chart namespace the controller watches. */
  readonly namespace: string;
  readonly controllerImage: string;
  readonly controllerScript: string;
  readonly network?: Pick<EgressOptions, 'apiServerCidrs'>;
}

function resolveFallback(v: PropsValidator, f: OnDemandFallbackOptions, spotLimits: ResolvedLimits, spotWeight: number, gpu: boolean,
  namespace: string | undefined): ResolvedFallback {
  v.seconds('onDemandFallback.after', f.after, 5 * 60, 24 * 3600);
  const limits = f.limits ? resolveLimits(v, 'onDemandFallback.limits', f.limits, gpu) : spotLimits;
  const weight = v.integer('onDemandFallback.weight', f.weight ?? 10, 1, 100);
  v.check(weight < spotWeight, 'onDemandFallback.weight', weight, `must be lower than 'weight' (${spotWeight}): Karpenter must prefer spot`);
  const consolidateAfter = f.consolidateAfter ?? Duration.minutes(1);
  v.seconds('onDemandFallback.consolidateAfter', consolidateAfter, 0, 24 * 3600);
  const checkInterval = f.checkInterval ?? Duration.minutes(1);
  const seconds = v.convert('onDemandFallback.checkInterval', checkInterval, () => checkInterval.toSeconds());
  if (f.controllerImage !== undefined) validatePinnedImage(v, 'onDemandFallback.controllerImage', f.controllerImage);
  v.check(Number.isInteger(seconds / 60) && seconds >= 60 && seconds <= 30 * 60, 'onDemandFallback.checkInterval', checkInterval, 'must be whole minutes from 1 to 30');
  v.check(seconds < f.after.toSeconds(), 'onDemandFallback.checkInterval', checkInterval, `must be shorter than 'onDemandFallback.after' (${f.after.toHumanString()})`);
  if (f.controllerScript !== undefined) {
    v.check(f.controllerScript.trim() !== '', 'onDemandFallback.controllerScript', f.controllerScript, 'must not be empty');
  }
  v.check(namespace !== undefined, 'onDemandFallback', f,
    'needs a chart namespace: the controller watches the pods of one namespace and its RoleBinding names it');
  return {
    after: f.after, limits, weight, consolidateAfter, checkInterval, namespace,
    controllerImage: f.controllerImage ?? NODE_IMAGE,
    controllerScript: f.controllerScript ?? readBundle('spot-fallback-controller'),
    network: f.network,
  };
}



export function taint(key: string, value: string): NodePoolSpecTemplateSpecTaints {
  return { key, value, effect: NodePoolSpecTemplateSpecTaintsEffect.NO_SCHEDULE };
}

/** A Karpenter duration (`90s`, `5m`, `168h`). */
export function karpenterDuration(d: Duration): string {
  return d.toSeconds() === 0 ? '0s' : promDuration(d);
}

/** A size in MiB without throwing on fractions (validation reports them). */
export function mebibytes(size: Size): number {
  return size.toMebibytes({ rounding: SizeRoundingBehavior.NONE });
}
