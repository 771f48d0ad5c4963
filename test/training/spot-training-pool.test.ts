import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import * as http from 'node:http';
import { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Chart, Duration, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { build } from 'esbuild';
import {
  ConsolidationPolicy, CpuArchitecture, DisruptionReason, SpotNodeGroupTrainingPool, SpotTrainingPool, SpotTrainingPoolProps,
  TrainingJob, TrainingJobProps,
} from '../../src/training/spot-training-pool';
import { EnvSource } from '../../src/kube/env';
import { ValidationError } from '../../src/core/errors';
import {
  FallbackConfig, NodePoolJson, PodJson, fallbackPatch, limitsBlock, parseQuantity, planFallback, podRequests,
  reconcileOnce,
} from '../../src/training/fallback';
import { JsonPatchOperation, KubeApi, KubeClient } from '../../src/kube/kube-client';
import { findObject, inventory, objectsOfKind, synthValid, testChart } from '../support/synth';

const CONTROLLER_ENTRY = join(__dirname, '..', '..', 'src', 'cli', 'spot-fallback-controller.ts');
const BUNDLE = join(__dirname, '..', '..', 'bundles', 'spot-fallback-controller.js');
let controllerScript = '';

/** Builds the controller bundle in memory, as `npm run bundle` would (esbuild, CommonJS for Node 20). */
async function buildControllerScript(): Promise<string> {
  const result = await build({
    entryPoints: [CONTROLLER_ENTRY], bundle: true, platform: 'node', target: 'node20', format: 'cjs', minify: true,
    legalComments: 'none', charset: 'utf8', write: false, logLevel: 'silent',
  });
  return result.outputFiles[0].text;
}

const CPU_LIMITS = { cpu: 64, memory: Size.gibibytes(256) };
const GPU_LIMITS = { cpu: 96, memory: Size.gibibytes(384), gpus: 8 };

function cpuPool(props: Partial<SpotTrainingPoolProps> = {}, namespace = 'ml-train') {
  const { chart } = testChart(namespace);
  const pool = new SpotTrainingPool(chart, 'cpu-train', { clusterName: 'ml-prod', nodeRole: 'KarpenterNodeRole-ml-prod', limits: CPU_LIMITS, ...props });
  return { chart, pool };
}

function gpuPool(props: Partial<SpotTrainingPoolProps> = {}) {
  return cpuPool({ gpu: {}, limits: GPU_LIMITS, ...props });
}

const JOB: TrainingJobProps = {
  image: 'myregistry.io/trainer:1.4.0',
  resources: { cpu: { request: kplus.Cpu.units(7), limit: kplus.Cpu.units(8) }, memory: { request: Size.gibibytes(28), limit: Size.gibibytes(30) } },
  checkpoint: { uri: 's3://ml-checkpoints/checkpoints/ml-train/resnet/' },
};

function assertInvalid(fn: () => unknown, path: string, ...fragments: string[]): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof ValidationError, `expected a ValidationError, got ${String(err)}`);
    assert.ok(err.message.startsWith(`${path}: invalid '`), `message ${JSON.stringify(err.message)} does not start with ${path}`);
    for (const fragment of fragments) {
      assert.ok(err.message.includes(fragment), `message ${JSON.stringify(err.message)} lacks ${JSON.stringify(fragment)}`);
    }
    return true;
  });
}

const CPU_REQUIREMENTS = [
  { key: 'karpenter.sh/capacity-type', operator: 'In', values: ['spot'] },
  { key: 'kubernetes.io/os', operator: 'In', values: ['linux'] },
  { key: 'kubernetes.io/arch', operator: 'In', values: ['amd64'] },
  { key: 'karpenter.k8s.aws/instance-category', operator: 'In', values: ['c', 'm', 'r'], minValues: 2 },
  { key: 'karpenter.k8s.aws/instance-family', operator: 'Exists', minValues: 3 },
  { key: 'karpenter.k8s.aws/instance-generation', operator: 'Gt', values: ['4'], minValues: 2 },
  { key: 'node.kubernetes.io/instance-type', operator: 'Exists', minValues: 10 },
  { key: 'karpenter.k8s.aws/instance-size', operator: 'NotIn', values: ['nano', 'micro', 'small', 'medium'] },
];

describe('SpotTrainingPool', () => {
  before(async () => {
    controllerScript = await buildControllerScript();
  });

  it('renders a spot-only NodePool diversified with minValues, the pool taint and label, and limits as the cost ceiling', async () => {
    const objects = await synthValid(cpuPool().chart);
    assert.deepEqual(inventory(objects), ['EC2NodeClass/cpu-train', 'NodePool/cpu-train']);
    const pool = findObject(objects, 'NodePool', 'cpu-train');
    assert.equal(pool.apiVersion, 'karpenter.sh/v1');
    assert.deepEqual(pool.spec.template.spec.requirements, CPU_REQUIREMENTS);
    assert.deepEqual(pool.spec.template.spec.taints, [{ key: 'ml-platform-constructs.dev/training-pool', value: 'cpu-train', effect: 'NoSchedule' }]);
    assert.deepEqual(pool.spec.template.metadata.labels, { 'ml-platform-constructs.dev/training-pool': 'cpu-train' });
    // The generated class maps int-or-string limits through NodePoolSpecLimits: the values survive synthesis.
    assert.deepEqual(pool.spec.limits, { cpu: 64, memory: '256Gi' });
    assert.deepEqual(pool.spec.template.spec.nodeClassRef, { group: 'karpenter.k8s.aws', kind: 'EC2NodeClass', name: 'cpu-train' });
    assert.equal(pool.spec.weight, 50);
  });

  it('consolidates only empty nodes, with a 10% budget, and expires nodes after 7 days in the template spec (Karpenter v1)', async () => {
    const pool = findObject(await synthValid(cpuPool().chart), 'NodePool', 'cpu-train');
    assert.deepEqual(pool.spec.disruption, { consolidationPolicy: 'WhenEmpty', consolidateAfter: '5m', budgets: [{ nodes: '10%' }] });
    assert.equal(pool.spec.template.spec.expireAfter, '168h');
    assert.equal('expireAfter' in pool.spec.disruption, false);
    assert.equal('terminationGracePeriod' in pool.spec.template.spec, false);
  });

  it('renders an EC2NodeClass with IMDSv2 required at hop limit 1, an encrypted gp3 root volume and discovery-tag selectors', async () => {
    const objects = await synthValid(cpuPool().chart);
    const nc = findObject(objects, 'EC2NodeClass', 'cpu-train');
    assert.equal(nc.apiVersion, 'karpenter.k8s.aws/v1');
    assert.deepEqual(nc.spec.amiSelectorTerms, [{ alias: 'al2023@latest' }]);
    assert.equal(nc.spec.role, 'KarpenterNodeRole-ml-prod');
    assert.equal('instanceProfile' in nc.spec, false);
    assert.deepEqual(nc.spec.metadataOptions, { httpEndpoint: 'enabled', httpProtocolIPv6: 'disabled', httpPutResponseHopLimit: 1, httpTokens: 'required' });
    assert.deepEqual(nc.spec.blockDeviceMappings, [{
      deviceName: '/dev/xvda', rootVolume: true,
      ebs: { volumeSize: '100Gi', volumeType: 'gp3', encrypted: true, deleteOnTermination: true },
    }]);
    assert.deepEqual(nc.spec.subnetSelectorTerms, [{ tags: { 'karpenter.sh/discovery': 'ml-prod' } }]);
    assert.deepEqual(nc.spec.securityGroupSelectorTerms, [{ tags: { 'karpenter.sh/discovery': 'ml-prod' } }]);
    assert.deepEqual(nc.spec.tags, { 'ml-platform-constructs.dev/training-pool': 'cpu-train' });
  });

  it('leaves the chart namespace off the cluster-scoped NodePool and EC2NodeClass', async () => {
    const objects = await synthValid(cpuPool().chart);
    for (const o of objects) {
      assert.equal(o.metadata?.namespace, undefined, `${o.kind} has a namespace`);
    }
  });

  it('renders GPU pools with NVIDIA requirements and a GPU limit', async () => {
    const objects = await synthValid(gpuPool({ gpu: { names: ['a10g', 'l4', 'l40s'], minMemory: Size.gibibytes(24) } }).chart);
    const pool = findObject(objects, 'NodePool', 'cpu-train');
    assert.deepEqual(pool.spec.limits, { cpu: 96, memory: '384Gi', 'nvidia.com/gpu': 8 });
    assert.deepEqual(pool.spec.template.spec.requirements, [
      { key: 'karpenter.sh/capacity-type', operator: 'In', values: ['spot'] },
      { key: 'kubernetes.io/os', operator: 'In', values: ['linux'] },
      { key: 'kubernetes.io/arch', operator: 'In', values: ['amd64'] },
      { key: 'karpenter.k8s.aws/instance-category', operator: 'In', values: ['g', 'p'] },
      { key: 'karpenter.k8s.aws/instance-family', operator: 'Exists', minValues: 2 },
      { key: 'karpenter.k8s.aws/instance-generation', operator: 'Gt', values: ['3'] },
      { key: 'node.kubernetes.io/instance-type', operator: 'Exists', minValues: 3 },
      { key: 'karpenter.k8s.aws/instance-size', operator: 'NotIn', values: ['nano', 'micro', 'small', 'medium'] },
      { key: 'karpenter.k8s.aws/instance-gpu-manufacturer', operator: 'In', values: ['nvidia'] },
      { key: 'karpenter.k8s.aws/instance-gpu-count', operator: 'Gt', values: ['0'] },
      { key: 'karpenter.k8s.aws/instance-gpu-name', operator: 'In', values: ['a10g', 'l4', 'l40s'] },
      { key: 'karpenter.k8s.aws/instance-gpu-memory', operator: 'Gt', values: ['24575'] },
    ]);
  });

  it('takes explicit families (categories follow them), architectures, sizes and minValues', async () => {
    const { chart } = cpuPool({
      instances: {
        families: ['c7g', 'm7g', 'r7g'],
        architectures: [CpuArchitecture.ARM64],
        minGeneration: 7,
        excludedSizes: [],
        minValues: { categories: 3, families: 3, generations: 1, instanceTypes: 6 },
      },
    });
    const reqs = findObject(await synthValid(chart), 'NodePool', 'cpu-train').spec.template.spec.requirements;
    assert.deepEqual(reqs.slice(2), [
      { key: 'kubernetes.io/arch', operator: 'In', values: ['arm64'] },
      { key: 'karpenter.k8s.aws/instance-category', operator: 'In', values: ['c', 'm', 'r'], minValues: 3 },
      { key: 'karpenter.k8s.aws/instance-family', operator: 'In', values: ['c7g', 'm7g', 'r7g'], minValues: 3 },
      { key: 'karpenter.k8s.aws/instance-generation', operator: 'Gt', values: ['6'] },
      { key: 'node.kubernetes.io/instance-type', operator: 'Exists', minValues: 6 },
    ]);
  });

  it('renders custom disruption: budgets with schedules and reasons, never-expiring nodes, a drain deadline', async () => {
    const { chart } = cpuPool({
      weight: 80,
      disruption: {
        consolidationPolicy: ConsolidationPolicy.WHEN_EMPTY_OR_UNDERUTILIZED,
        consolidateAfter: Duration.seconds(90),
        budgets: [
          { nodes: 0, reasons: [DisruptionReason.DRIFTED, DisruptionReason.UNDERUTILIZED], schedule: '0 8 * * 1-5', duration: Duration.hours(10) },
          { nodes: '20%' },
        ],
        expireAfter: false,
        terminationGracePeriod: Duration.hours(24),
      },
    });
    const pool = findObject(await synthValid(chart), 'NodePool', 'cpu-train');
    assert.deepEqual(pool.spec.disruption, {
      consolidationPolicy: 'WhenEmptyOrUnderutilized',
      consolidateAfter: '90s',
      budgets: [{ nodes: '0', reasons: ['Drifted', 'Underutilized'], schedule: '0 8 * * 1-5', duration: '10h' }, { nodes: '20%' }],
    });
    assert.equal(pool.spec.template.spec.expireAfter, 'Never');
    assert.equal(pool.spec.template.spec.terminationGracePeriod, '24h');
    assert.equal(pool.spec.weight, 80);
  });

  it('renders a custom EC2NodeClass: pinned AMI, instance profile, own selector tags, KMS key, root size and tags', async () => {
    const { chart } = cpuPool({
      nodeRole: undefined,
      instanceProfile: 'train-node-profile-1a2b',
      nodeLabels: { team: 'vision' },
      nodeClass: {
        amiAlias: 'al2023@v20251015',
        subnetSelectorTags: { 'network/tier': 'private', 'karpenter.sh/discovery': 'ml-prod' },
        securityGroupSelectorTags: { 'aws:eks:cluster-name': 'ml-prod' },
        rootVolumeSize: Size.gibibytes(250),
        rootVolumeKmsKeyId: 'arn:aws:kms:us-east-1:123456789012:key/k1',
        tags: { 'cost-center': 'ml' },
      },
    });
    const objects = await synthValid(chart);
    const nc = findObject(objects, 'EC2NodeClass', 'cpu-train');
    assert.deepEqual(nc.spec.amiSelectorTerms, [{ alias: 'al2023@v20251015' }]);
    assert.equal(nc.spec.instanceProfile, 'train-node-profile-1a2b');
    assert.equal('role' in nc.spec, false);
    assert.deepEqual(nc.spec.subnetSelectorTerms, [{ tags: { 'karpenter.sh/discovery': 'ml-prod', 'network/tier': 'private' } }]);
    assert.deepEqual(nc.spec.securityGroupSelectorTerms, [{ tags: { 'aws:eks:cluster-name': 'ml-prod' } }]);
    assert.deepEqual(nc.spec.blockDeviceMappings[0].ebs, {
      volumeSize: '250Gi', volumeType: 'gp3', encrypted: true, deleteOnTermination: true, kmsKeyID: 'arn:aws:kms:us-east-1:123456789012:key/k1',
    });
    assert.deepEqual(nc.spec.tags, { 'cost-center': 'ml', 'ml-platform-constructs.dev/training-pool': 'cpu-train' });
    assert.deepEqual(findObject(objects, 'NodePool', 'cpu-train').spec.template.metadata.labels,
      { team: 'vision', 'ml-platform-constructs.dev/training-pool': 'cpu-train' });
  });

  it('exposes the cost model inputs: instance selection, spot capacity type and limits', () => {
    const { pool } = cpuPool();
    assert.deepEqual(pool.costProfile, {
      pool: 'cpu-train',
      provisioner: 'karpenter',
      capacityType: 'spot',
      instances: { categories: ['c', 'm', 'r'], minGeneration: 5, architectures: ['amd64'], gpu: false },
      limits: { cpu: 64, memoryGiB: 256 },
    });
    const gpu = gpuPool({ gpu: { names: ['a10g', 'l4'] }, instances: { families: ['g5', 'g6'] } }).pool;
    assert.deepEqual(gpu.costProfile.instances, { categories: ['g'], families: ['g5', 'g6'], minGeneration: 4, architectures: ['amd64'], gpu: true, gpuNames: ['a10g', 'l4'] });
    assert.deepEqual(gpu.costProfile.limits, { cpu: 96, memoryGiB: 384, gpus: 8 });
  });
});

describe('SpotTrainingPool.addTrainingJob', () => {
  it('renders a Job that tolerates the pool taint, selects its nodes and carries karpenter.sh/do-not-disrupt', async () => {
    const { chart, pool } = cpuPool();
    pool.addTrainingJob('resnet', { ...JOB, serviceAccountAnnotations: { 'eks.amazonaws.com/role-arn': 'arn:aws:iam::123456789012:role/resnet' } });
    const objects = await synthValid(chart);
    const job = findObject(objects, 'Job', 'resnet');
    const pod = job.spec.template.spec;
    assert.deepEqual(pod.tolerations, [{ key: 'ml-platform-constructs.dev/training-pool', operator: 'Equal', value: 'cpu-train', effect: 'NoSchedule' }]);
    assert.deepEqual(pod.nodeSelector, { 'ml-platform-constructs.dev/training-pool': 'cpu-train' });
    assert.equal(job.spec.template.metadata.annotations['karpenter.sh/do-not-disrupt'], 'true');
    assert.equal(job.spec.template.metadata.labels['ml-platform-constructs.dev/training-pool'], 'cpu-train');
    assert.equal(job.spec.template.metadata.labels['ml-platform-constructs.dev/on-demand-fallback'], undefined);
    const sa = findObject(objects, 'ServiceAccount', 'resnet');
    assert.deepEqual(sa.metadata.annotations, { 'eks.amazonaws.com/role-arn': 'arn:aws:iam::123456789012:role/resnet' });
    assert.equal(sa.automountServiceAccountToken, false);
    assert.equal(pod.serviceAccountName, 'resnet');
    assert.equal(pod.automountServiceAccountToken, false);
  });

  it('ignores DisruptionTarget failures in podFailurePolicy (restartPolicy Never) so spot reclaims do not count against backoffLimit', async () => {
    const { chart, pool } = cpuPool();
    pool.addTrainingJob('resnet', JOB);
    const job = findObject(await synthValid(chart), 'Job', 'resnet');
    assert.deepEqual(job.spec.podFailurePolicy, { rules: [{ action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget', status: 'True' }] }] });
    assert.equal(job.spec.template.spec.restartPolicy, 'Never');
    assert.equal(job.spec.podReplacementPolicy, 'Failed');
    assert.equal(job.spec.backoffLimit, 3);
    assert.equal(job.spec.ttlSecondsAfterFinished, 7 * 86400);
    assert.equal('activeDeadlineSeconds' in job.spec, false);
  });

  it('passes the checkpoint contract as environment variables with a grace period under the 2-minute spot notice', async () => {
    const { chart, pool } = cpuPool();
    pool.addTrainingJob('resnet', { ...JOB, checkpoint: { uri: 's3://b/ckpt/resnet/', interval: Duration.minutes(15) }, env: { EPOCHS: '30' } });
    const pod = findObject(await synthValid(chart), 'Job', 'resnet').spec.template.spec;
    assert.equal(pod.terminationGracePeriodSeconds, 90);
    assert.deepEqual(pod.containers[0].env, [
      { name: 'CHECKPOINT_URI', value: 's3://b/ckpt/resnet/' },
      { name: 'CHECKPOINT_INTERVAL_SECONDS', value: '900' },
      { name: 'CHECKPOINT_GRACE_SECONDS', value: '90' },
      { name: 'EPOCHS', value: '30' },
    ]);
  });

  it('runs the trainer as Pod Security "restricted" with requests, limits and a writable /tmp', async () => {
    const { chart, pool } = cpuPool();
    pool.addTrainingJob('resnet', { ...JOB, terminationGracePeriod: Duration.seconds(110), backoffLimit: 1, activeDeadline: Duration.hours(12) });
    const job = findObject(await synthValid(chart), 'Job', 'resnet');
    const pod = job.spec.template.spec;
    const c = pod.containers[0];
    assert.equal(c.name, 'trainer');
    assert.equal(c.image, 'myregistry.io/trainer:1.4.0');
    assert.deepEqual(c.resources, { requests: { cpu: '7', memory: '28672Mi' }, limits: { cpu: '8', memory: '30720Mi' } });
    assert.deepEqual(c.securityContext, {
      allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, privileged: false, readOnlyRootFilesystem: true,
      runAsGroup: 1000, runAsNonRoot: true, runAsUser: 1000, seccompProfile: { type: 'RuntimeDefault' },
    });
    assert.deepEqual(pod.securityContext.seccompProfile, { type: 'RuntimeDefault' });
    assert.equal(pod.securityContext.runAsNonRoot, true);
    assert.deepEqual(c.volumeMounts, [{ mountPath: '/tmp', name: 'tmp' }]);
    assert.deepEqual(pod.volumes, [{ name: 'tmp', emptyDir: { sizeLimit: '10240Mi' } }]);
    assert.equal(pod.terminationGracePeriodSeconds, 110);
    assert.equal(job.spec.backoffLimit, 1);
    assert.equal(job.spec.activeDeadlineSeconds, 43200);
  });

  it('requests GPUs on GPU pools and mounts a memory-backed /dev/shm on request', async () => {
    const { chart, pool } = gpuPool();
    pool.addTrainingJob('llm', { ...JOB, gpus: 4, sharedMemorySize: Size.gibibytes(8), env: { HF_TOKEN: EnvSource.fromSecret('hf', 'token') } });
    const pod = findObject(await synthValid(chart), 'Job', 'llm').spec.template.spec;
    assert.equal(pod.containers[0].resources.requests['nvidia.com/gpu'], 4);
    assert.equal(pod.containers[0].resources.limits['nvidia.com/gpu'], 4);
    assert.deepEqual(pod.volumes.find((vol: any) => vol.name === 'dshm'), { name: 'dshm', emptyDir: { medium: 'Memory', sizeLimit: '8192Mi' } });
    assert.deepEqual(pod.containers[0].env.find((e: any) => e.name === 'HF_TOKEN'), { name: 'HF_TOKEN', valueFrom: { secretKeyRef: { name: 'hf', key: 'token' } } });
  });

  it('also renders jobs as a TrainingJob construct given the pool', async () => {
    const { chart, pool } = cpuPool();
    const job = new TrainingJob(chart, 'direct', { ...JOB, pool, name: 'direct-job' });
    assert.equal(job.pool, pool);
    assert.equal(job.checkpointUri, JOB.checkpoint.uri);
    assert.equal(job.checkpointInterval.toSeconds(), 600);
    const objects = await synthValid(chart);
    assert.deepEqual(findObject(objects, 'Job', 'direct-job').spec.template.spec.nodeSelector, { 'ml-platform-constructs.dev/training-pool': 'cpu-train' });
  });
});

describe('SpotTrainingPool on-demand fallback', () => {
  const fallbackPool = (props: Partial<SpotTrainingPoolProps> = {}) => gpuPool({
    onDemandFallback: { after: Duration.minutes(30), limits: { cpu: 24, memory: Size.gibibytes(96), gpus: 2 }, controllerScript },
    ...props,
  });

  it('renders a lower-weight on-demand NodePool behind an extra taint and its own cost ceiling', async () => {
    const objects = await synthValid(fallbackPool().chart);
    const spot = findObject(objects, 'NodePool', 'cpu-train');
    const od = findObject(objects, 'NodePool', 'cpu-train-on-demand');
    assert.ok(od.spec.weight < spot.spec.weight);
    assert.equal(od.spec.weight, 10);
    assert.deepEqual(od.spec.template.spec.requirements[0], { key: 'karpenter.sh/capacity-type', operator: 'In', values: ['on-demand'] });
    assert.deepEqual(od.spec.template.spec.requirements.slice(1), spot.spec.template.spec.requirements.slice(1));
    assert.deepEqual(od.spec.template.spec.taints, [
      { key: 'ml-platform-constructs.dev/training-pool', value: 'cpu-train', effect: 'NoSchedule' },
      { key: 'ml-platform-constructs.dev/on-demand-fallback', value: 'cpu-train', effect: 'NoSchedule' },
    ]);
    assert.deepEqual(od.spec.limits, { cpu: 24, memory: '96Gi', 'nvidia.com/gpu': 2 });
    assert.deepEqual(od.spec.disruption, { consolidationPolicy: 'WhenEmpty', consolidateAfter: '1m', budgets: [{ nodes: '10%' }] });
    assert.equal(od.spec.template.spec.nodeClassRef.name, 'cpu-train');
    assert.equal(od.metadata.namespace, undefined);
  });

  it('runs the controller every minute with its config, the bundled script and a mounted service account token', async () => {
    const objects = await synthValid(fallbackPool().chart);
    const cron = findObject(objects, 'CronJob', 'cpu-train-fallback');
    assert.equal(cron.spec.schedule, '* * * * *');
    assert.equal(cron.spec.concurrencyPolicy, 'Forbid');
    const pod = cron.spec.jobTemplate.spec.template.spec;
    assert.equal(pod.automountServiceAccountToken, true);
    assert.equal(pod.serviceAccountName, 'cpu-train-fallback');
    assert.deepEqual(pod.containers[0].command, ['node', '/opt/ml-platform/spot-fallback-controller.js', 'run', '--config', '/opt/ml-platform/config.json']);
    assert.deepEqual(pod.securityContext.seccompProfile, { type: 'RuntimeDefault' });
    const files = findObject(objects, 'ConfigMap', 'cpu-train-fallback').data;
    assert.equal(files['spot-fallback-controller.js'], controllerScript);
    assert.deepEqual(JSON.parse(files['config.json']), {
      afterSeconds: 1800,
      fallbackNodePool: 'cpu-train-on-demand',
      podSelector: 'ml-platform-constructs.dev/training-pool=cpu-train,ml-platform-constructs.dev/on-demand-fallback=allowed',
      pool: 'cpu-train',
      spotNodePool: 'cpu-train',
    });
  });

  it('grants the controller pods list/patch and events create in its namespace, and get on its one NodePool', async () => {
    const objects = await synthValid(fallbackPool().chart);
    assert.deepEqual(findObject(objects, 'Role', 'cpu-train-fallback').rules, [
      { apiGroups: [''], resources: ['pods'], verbs: ['list', 'patch'] },
      { apiGroups: [''], resources: ['events'], verbs: ['create'] },
    ]);
    const subject = [{ kind: 'ServiceAccount', name: 'cpu-train-fallback', namespace: 'ml-train' }];
    const rb = findObject(objects, 'RoleBinding', 'cpu-train-fallback');
    assert.deepEqual([rb.roleRef, rb.subjects], [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'cpu-train-fallback' }, subject]);
    const cr = findObject(objects, 'ClusterRole', 'cpu-train-fallback');
    assert.deepEqual(cr.rules, [{ apiGroups: ['karpenter.sh'], resources: ['nodepools'], resourceNames: ['cpu-train'], verbs: ['get'] }]);
    assert.equal(cr.metadata.namespace, undefined);
    const crb = findObject(objects, 'ClusterRoleBinding', 'cpu-train-fallback');
    assert.deepEqual([crb.roleRef, crb.subjects], [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cpu-train-fallback' }, subject]);
    assert.equal(crb.metadata.namespace, undefined);
  });

  it('labels job pods for the controller unless a job opts out, and never adds the fallback toleration up front', async () => {
    const { chart, pool } = fallbackPool();
    pool.addTrainingJob('may-fall-back', { ...JOB, gpus: 1 });
    pool.addTrainingJob('spot-only', { ...JOB, gpus: 1, onDemandFallback: false });
    const objects = await synthValid(chart);
    const labelOf = (name: string) => findObject(objects, 'Job', name).spec.template.metadata.labels['ml-platform-constructs.dev/on-demand-fallback'];
    assert.equal(labelOf('may-fall-back'), 'allowed');
    assert.equal(labelOf('spot-only'), undefined);
    for (const job of objectsOfKind(objects, 'Job')) {
      assert.deepEqual(job.spec.template.spec.tolerations.map((t: any) => t.key), ['ml-platform-constructs.dev/training-pool']);
    }
  });

  it('schedules the controller at the check interval and reports the fallback in the cost profile', async () => {
    const { chart, pool } = fallbackPool({ onDemandFallback: { after: Duration.hours(1), checkInterval: Duration.minutes(5), weight: 20, controllerScript } });
    const objects = await synthValid(chart);
    assert.equal(findObject(objects, 'CronJob', 'cpu-train-fallback').spec.schedule, '*/5 * * * *');
    assert.equal(findObject(objects, 'NodePool', 'cpu-train-on-demand').spec.weight, 20);
    // Without its own limits the fallback pool gets the spot pool's.
    assert.deepEqual(findObject(objects, 'NodePool', 'cpu-train-on-demand').spec.limits, { cpu: 96, memory: '384Gi', 'nvidia.com/gpu': 8 });
    assert.deepEqual(pool.costProfile.onDemandFallback, { capacityType: 'on-demand', afterMinutes: 60, limits: { cpu: 96, memoryGiB: 384, gpus: 8 } });
  });

  it('keeps the committed controller bundle identical to its sources', async () => {
    const { buildBundle } = await import('../../scripts/bundles');
    assert.equal(readFileSync(BUNDLE, 'utf8'), await buildBundle('spot-fallback-controller'), 'run `npm run bundle` and commit bundles/');
  });

  it('reads the bundled controller script by default', async () => {
    const { chart } = gpuPool({ onDemandFallback: { after: Duration.minutes(30) } });
    const files = findObject(await synthValid(chart), 'ConfigMap', 'cpu-train-fallback').data;
    assert.ok(files['spot-fallback-controller.js'].includes('spot-fallback-controller'));
  });
});

describe('SpotNodeGroupTrainingPool', () => {
  it('gives jobs the managed node group label, SPOT capacity type and taint toleration, and renders nothing else', async () => {
    const { chart } = testChart('ml-train');
    const pool = new SpotNodeGroupTrainingPool(chart, 'cpu-ng');
    pool.addTrainingJob('xgb', JOB);
    const objects = await synthValid(chart);
    assert.deepEqual(inventory(objects), ['Job/xgb', 'ServiceAccount/xgb']);
    const pod = findObject(objects, 'Job', 'xgb').spec.template.spec;
    assert.deepEqual(pod.nodeSelector, { 'ml-platform-constructs.dev/training-pool': 'cpu-ng', 'eks.amazonaws.com/capacityType': 'SPOT' });
    assert.deepEqual(pod.tolerations, [{ key: 'ml-platform-constructs.dev/training-pool', operator: 'Equal', value: 'cpu-ng', effect: 'NoSchedule' }]);
    const gpu = new SpotNodeGroupTrainingPool(chart, 'gpu-ng', { gpu: true });
    assertInvalid(() => gpu.addTrainingJob('no-gpus', JOB), 'test/gpu-ng/no-gpus', "'gpus' (0)", 'must be an integer from 1 to 64');
    assertInvalid(() => new SpotNodeGroupTrainingPool(chart, 'Bad_Pool'), 'test/Bad_Pool', "'name' (\"Bad_Pool\")", 'DNS-1035 label');
  });
});

describe('SpotTrainingPool validation', () => {
  const POOL = 'test/cpu-train';
  const cases: Array<[string, Partial<SpotTrainingPoolProps>, ...string[]]> = [
    ['a pool name that is not a DNS label', { name: 'Train_Pool' }, "'name' (\"Train_Pool\")", 'DNS-1035 label'],
    ['a pool name longer than 40 characters', { name: 'a'.repeat(41) }, "'name'", 'at most 40 characters'],
    ['a malformed cluster name', { clusterName: 'ml prod' }, "'clusterName' (\"ml prod\")", 'EKS cluster name'],
    ['missing limits', { limits: undefined }, "'limits' (unset)", "is required: the limits are the pool's cost ceiling"],
    ['a fractional CPU limit', { limits: { cpu: 1.5, memory: Size.gibibytes(8) } }, "'limits.cpu' (1.5)", 'must be an integer from 1 to 1000000'],
    ['a memory limit below 1Gi', { limits: { cpu: 4, memory: Size.mebibytes(512) } }, "'limits.memory' (\"512Mi\")", 'at least 1Gi'],
    ['a memory limit that is not a Size', { limits: { cpu: 4, memory: 8 as unknown as Size } }, "'limits.memory' (8)", 'must be a Size'],
    ['a GPU limit on a CPU pool', { limits: { cpu: 4, memory: Size.gibibytes(8), gpus: 1 } }, "'limits.gpus' (1)", 'has no effect on a CPU pool'],
    ['a GPU pool without a GPU limit', { gpu: {}, limits: CPU_LIMITS }, "'limits.gpus' (unset)", 'is required on a GPU pool'],
    ['a GPU limit of zero', { gpu: {}, limits: { ...GPU_LIMITS, gpus: 0 } }, "'limits.gpus' (0)", 'must be an integer from 1 to 100000'],
    ['both a node role and an instance profile', { instanceProfile: 'p' }, "'nodeRole'", "exactly one of 'nodeRole' and 'instanceProfile'"],
    ['neither a node role nor an instance profile', { nodeRole: undefined }, "'nodeRole' (unset)", "exactly one of 'nodeRole' and 'instanceProfile'"],
    ['a node role ARN', { nodeRole: 'arn:aws:iam::123456789012:role/x' }, "'nodeRole'", 'must be an IAM role name (not an ARN)'],
    ['an instance profile ARN', { nodeRole: undefined, instanceProfile: 'arn:aws:iam::1:instance-profile/x' }, "'instanceProfile'", 'must be an IAM instance profile name'],
    ['a weight above 100', { weight: 101 }, "'weight' (101)", 'must be an integer from 1 to 100'],
    ['a malformed instance family', { instances: { families: ['C6I', 'm6i'] } }, "'instances.families[0]' (\"C6I\")", 'must be an EC2 instance family'],
    ['a single instance family', { instances: { families: ['c6i'] } }, "'instances.families' ([\"c6i\"])", 'at least two families'],
    ['a repeated instance family', { instances: { families: ['c6i', 'c6i'] } }, "'instances.families'", 'must not repeat a value'],
    ['a family outside the categories', { instances: { categories: ['c'], families: ['c6i', 'm6i'] } }, "'instances.families' (\"m6i\")", "is not in 'instances.categories' (c)"],
    ['an empty category list', { instances: { categories: [] } }, "'instances.categories' ([])", 'must list at least one value'],
    ['a malformed category', { instances: { categories: ['C'] } }, "'instances.categories[0]' (\"C\")", 'must be an EC2 instance category'],
    ['GPU categories on a CPU pool', { instances: { categories: ['c', 'g'] } }, "'instances.categories' ([\"g\"])", 'lists GPU categories on a CPU pool'],
    ['a generation of zero', { instances: { minGeneration: 0 } }, "'instances.minGeneration' (0)", 'must be an integer from 1 to 20'],
    ['an unknown architecture', { instances: { architectures: ['x86' as CpuArchitecture] } }, "'instances.architectures[0]' (\"x86\")", 'must be amd64 or arm64'],
    ['a malformed excluded size', { instances: { excludedSizes: ['Large'] } }, "'instances.excludedSizes[0]' (\"Large\")", 'must be an instance size'],
    ['more category minValues than categories', { instances: { minValues: { categories: 4 } } }, "'instances.minValues.categories' (4)", 'at most the number of categories listed (3)'],
    ['more family minValues than families', { instances: { families: ['c6i', 'c7i'], minValues: { families: 3 } } }, "'instances.minValues.families' (3)", 'at most the number of families listed (2)'],
    ['instance type minValues of 1', { instances: { minValues: { instanceTypes: 1 } } }, "'instances.minValues.instanceTypes' (1)", 'must never be narrowed to one instance type'],
    ['a minValues above 50', { instances: { minValues: { generations: 51 } } }, "'instances.minValues.generations' (51)", 'must be an integer from 1 to 50'],
    ['a malformed GPU name', { gpu: { names: ['A10G'] }, limits: GPU_LIMITS }, "'gpu.names[0]' (\"A10G\")", 'must be a GPU name'],
    ['a GPU memory minimum below 1Gi', { gpu: { minMemory: Size.mebibytes(512) }, limits: GPU_LIMITS }, "'gpu.minMemory' (\"512Mi\")", 'at least 1Gi'],
    ['a consolidation policy outside the enum', { disruption: { consolidationPolicy: 'Balanced' as ConsolidationPolicy } }, "'disruption.consolidationPolicy' (\"Balanced\")", 'must be a ConsolidationPolicy'],
    ['a consolidateAfter above 24 hours', { disruption: { consolidateAfter: Duration.hours(25) } }, "'disruption.consolidateAfter' (90000)", 'must be an integer from 0 to 86400'],
    ['an expireAfter under 1 hour', { disruption: { expireAfter: Duration.minutes(30) } }, "'disruption.expireAfter' (1800)", 'must be an integer from 3600'],
    ['a terminationGracePeriod under 1 minute', { disruption: { terminationGracePeriod: Duration.seconds(30) } }, "'disruption.terminationGracePeriod' (30)", 'must be an integer from 60'],
    ['a budget percentage above 100', { disruption: { budgets: [{ nodes: '150%' }] } }, "'disruption.budgets[0].nodes' (\"150%\")", "a percentage from '0%' to '100%'"],
    ['a negative budget', { disruption: { budgets: [{ nodes: -1 }] } }, "'disruption.budgets[0].nodes' (-1)", 'must be an integer from 0'],
    ['a budget schedule without duration', { disruption: { budgets: [{ nodes: '0', schedule: '@daily' }] } }, "'disruption.budgets[0].schedule' (\"@daily\")", "and 'duration' must be set together"],
    ['a malformed budget schedule', { disruption: { budgets: [{ nodes: '0', schedule: 'daily', duration: Duration.hours(1) }] } }, "'disruption.budgets[0].schedule' (\"daily\")", 'must be a cron schedule'],
    ['a budget duration in seconds', { disruption: { budgets: [{ nodes: '0', schedule: '@daily', duration: Duration.seconds(90) }] } }, "'disruption.budgets[0].duration' (1 minute 30 seconds)", 'whole number of minutes'],
    ['repeated budget reasons', { disruption: { budgets: [{ nodes: '1', reasons: [DisruptionReason.EMPTY, DisruptionReason.EMPTY] }] } }, "'disruption.budgets[0].reasons'", 'distinct DisruptionReason values'],
    ['more than 50 budgets', { disruption: { budgets: Array.from({ length: 51 }, () => ({ nodes: '1' })) } }, "'disruption.budgets' (51)", 'at most 50 budgets'],
    ['a Bottlerocket AMI alias', { nodeClass: { amiAlias: 'bottlerocket@latest' } }, "'nodeClass.amiAlias' (\"bottlerocket@latest\")", 'must be an AL2023 alias'],
    ['empty subnet selector tags', { nodeClass: { subnetSelectorTags: {} } }, "'nodeClass.subnetSelectorTags' ({})", 'must have at least one tag'],
    ['an empty security group tag value', { nodeClass: { securityGroupSelectorTags: { team: '' } } }, "'nodeClass.securityGroupSelectorTags'", 'must not have empty tag keys or values'],
    ['a root volume under 20Gi', { nodeClass: { rootVolumeSize: Size.gibibytes(10) } }, "'nodeClass.rootVolumeSize' (\"10240Mi\")", 'from 20Gi to 16384Gi'],
    ['an empty KMS key id', { nodeClass: { rootVolumeKmsKeyId: '' } }, "'nodeClass.rootVolumeKmsKeyId' (\"\")", 'must be a non-empty string'],
    ['a node class tag Karpenter manages', { nodeClass: { tags: { 'kubernetes.io/cluster/ml-prod': 'owned' } } }, "'nodeClass.tags' (\"kubernetes.io/cluster/ml-prod\")", 'must not set tags Karpenter'],
    ['a node label in a reserved domain', { nodeLabels: { 'karpenter.sh/capacity-type': 'spot' } }, "'nodeLabels.karpenter.sh/capacity-type'", 'must not use the domains Karpenter and Kubernetes reserve'],
    ['a malformed node label value', { nodeLabels: { team: 'a b' } }, "'nodeLabels.team' (\"a b\")", 'must be a Kubernetes label value'],
    ['a malformed node label key', { nodeLabels: { 'bad key': 'x' } }, "'nodeLabels.bad key' (\"bad key\")", 'must be a Kubernetes label key'],
    ['a fallback weight of 0', { onDemandFallback: { after: Duration.minutes(30), weight: 0, controllerScript: '//' } }, "'onDemandFallback.weight' (0)", 'must be an integer from 1 to 100'],
    ['a fallback after less than 5 minutes', { onDemandFallback: { after: Duration.minutes(2), controllerScript: '//' } }, "'onDemandFallback.after' (120)", 'must be an integer from 300 to 86400'],
    ['a fallback weight not below the spot weight', { weight: 10, onDemandFallback: { after: Duration.minutes(30), weight: 10, controllerScript: '//' } }, "'onDemandFallback.weight' (10)", "must be lower than 'weight' (10)"],
    ['a fallback limit with GPUs on a CPU pool', { onDemandFallback: { after: Duration.minutes(30), limits: { cpu: 4, memory: Size.gibibytes(8), gpus: 1 }, controllerScript: '//' } }, "'onDemandFallback.limits.gpus' (1)", 'has no effect on a CPU pool'],
    ['a fallback consolidateAfter above 24 hours', { onDemandFallback: { after: Duration.minutes(30), consolidateAfter: Duration.hours(48), controllerScript: '//' } }, "'onDemandFallback.consolidateAfter' (172800)", 'from 0 to 86400'],
    ['a check interval in seconds', { onDemandFallback: { after: Duration.minutes(30), checkInterval: Duration.seconds(90), controllerScript: '//' } }, "'onDemandFallback.checkInterval' (1 minute 30 seconds)", 'must be whole minutes from 1 to 30'],
    ['a check interval not shorter than the fallback delay', { onDemandFallback: { after: Duration.minutes(10), checkInterval: Duration.minutes(10), controllerScript: '//' } }, "'onDemandFallback.checkInterval' (10 minutes)", "must be shorter than 'onDemandFallback.after' (10 minutes)"],
    ['an empty controller script', { onDemandFallback: { after: Duration.minutes(30), controllerScript: '' } }, "'onDemandFallback.controllerScript' (\"\")", 'must not be empty'],
  ];
  for (const [what, props, ...fragments] of cases) {
    it(`rejects ${what}`, () => assertInvalid(() => cpuPool(props), POOL, ...fragments));
  }

  it('rejects a fallback in a chart without a namespace', () => {
    const { chart } = testChart('unused');
    const bare = new Chart(chart.node.root, 'bare');
    assertInvalid(() => new SpotTrainingPool(bare, 'p', { clusterName: 'c', nodeRole: 'r', limits: CPU_LIMITS, onDemandFallback: { after: Duration.minutes(30), controllerScript: '//' } }),
      'bare/p', "'onDemandFallback'", 'needs a chart namespace');
  });
});

describe('TrainingJob validation', () => {
  const JOB_PATH = 'test/cpu-train/resnet';
  const cases: Array<[string, Partial<TrainingJobProps>, ...string[]]> = [
    ['a job without a checkpoint location', { checkpoint: undefined }, "'checkpoint.uri' (unset)", "is required on the spot pool 'cpu-train': spot capacity is only offered to training that can resume"],
    ['an empty checkpoint URI', { checkpoint: { uri: ' ' } }, "'checkpoint.uri' (\" \")", 'is required on the spot pool'],
    ['a checkpoint URI without a scheme', { checkpoint: { uri: 'ml-checkpoints/resnet/' } }, "'checkpoint.uri' (\"ml-checkpoints/resnet/\")", 'must be a URI with a scheme'],
    ['a checkpoint on the node', { checkpoint: { uri: 'file:///data/ckpt' } }, "'checkpoint.uri' (\"file:///data/ckpt\")", 'a path on the node is lost with the spot instance'],
    ['a checkpoint interval under a minute', { checkpoint: { uri: 's3://b/p/', interval: Duration.seconds(30) } }, "'checkpoint.interval' (30)", 'must be an integer from 60 to 86400'],
    ['a grace period of 2 minutes', { terminationGracePeriod: Duration.minutes(2) }, "'terminationGracePeriod' (2 minutes)", 'under 2 minutes: a spot instance is reclaimed 2 minutes after its interruption notice'],
    ['a zero grace period', { terminationGracePeriod: Duration.seconds(0) }, "'terminationGracePeriod'", 'must be from 1 second to under 2 minutes'],
    ['a job name that is not a DNS label', { name: 'ResNet' }, "'name' (\"ResNet\")", 'DNS-1035 label'],
    ['an unpinned image', { image: 'myregistry.io/trainer:latest' }, "'image' (\"myregistry.io/trainer:latest\")", 'must be pinned'],
    ['an image without a tag', { image: 'myregistry.io/trainer' }, "'image' (\"myregistry.io/trainer\")", 'must be pinned'],
    ['missing resources', { resources: undefined }, "'resources' (unset)", 'training must declare its requests and limits'],
    ['an empty image', { image: '' }, "'image' (\"\")", 'must be a non-empty string'],
    ['a CPU request of zero', { resources: { ...JOB.resources, cpu: { request: kplus.Cpu.millis(0), limit: kplus.Cpu.units(1) } } }, "'resources.cpu.request' (\"0m\")", 'must be a CPU amount > 0'],
    ['a memory request of zero', { resources: { ...JOB.resources, memory: { request: Size.mebibytes(0), limit: Size.gibibytes(1) } } }, "'resources.memory.request' (\"0Mi\")", 'must be > 0'],
    ['a /dev/shm under 64Mi', { sharedMemorySize: Size.mebibytes(32) }, "'sharedMemorySize' (\"32Mi\")", 'must be at least 64Mi'],
    ['a CPU limit below the request', { resources: { ...JOB.resources, cpu: { request: kplus.Cpu.units(4), limit: kplus.Cpu.units(2) } } }, "'resources.cpu.limit' (\"2\")", ">= 'resources.cpu.request' (4)"],
    ['a memory limit below the request', { resources: { ...JOB.resources, memory: { request: Size.gibibytes(8), limit: Size.gibibytes(4) } } }, "'resources.memory.limit' (\"4096Mi\")", ">= 'resources.memory.request' (8192Mi)"],
    ['a CPU request above the pool limit', { resources: { ...JOB.resources, cpu: { request: kplus.Cpu.units(65), limit: kplus.Cpu.units(65) } } }, "'resources.cpu.request' (\"65\")", "exceeds the pool's CPU limit (64)"],
    ['a memory request above the pool limit', { resources: { ...JOB.resources, memory: { request: Size.gibibytes(300), limit: Size.gibibytes(300) } } }, "'resources.memory.request' (\"307200Mi\")", "exceeds the pool's memory limit (256Gi)"],
    ['GPUs on a CPU pool', { gpus: 1 }, "'gpus' (1)", "has no effect on the CPU pool 'cpu-train'"],
    ['a fallback opt-in on a pool without fallback', { onDemandFallback: true }, "'onDemandFallback' (true)", "has no effect: the pool 'cpu-train' has no 'onDemandFallback'"],
    ['a negative backoff limit', { backoffLimit: -1 }, "'backoffLimit' (-1)", 'must be an integer from 0 to 100'],
    ['an active deadline under a minute', { activeDeadline: Duration.seconds(10) }, "'activeDeadline' (10)", 'must be an integer from 60'],
    ['a TTL above a year', { ttlAfterFinished: Duration.days(400) }, "'ttlAfterFinished' (34560000)", 'must be an integer from 0 to 31536000'],
    ['a UID of 0', { runAsUser: 0 }, "'runAsUser' (0)", 'must be an integer from 1'],
    ['an env variable of the checkpoint contract', { env: { CHECKPOINT_URI: 's3://x/' } }, "'env.CHECKPOINT_URI' (\"CHECKPOINT_URI\")", "is set from 'checkpoint' and 'terminationGracePeriod'"],
    ['a plain-text secret in env', { env: { DB_PASSWORD: 'hunter2' } }, "'env.DB_PASSWORD' (\"<redacted>\")", 'looks like a secret'],
    ['a /tmp smaller than 1Mi', { tmpSize: Size.kibibytes(512) }, "'tmpSize' (\"0.5Mi\")", 'must be at least 1Mi'],
    ['a /dev/shm as large as the memory limit', { sharedMemorySize: Size.gibibytes(30) }, "'sharedMemorySize' (\"30720Mi\")", 'below the memory limit (30720Mi)'],
  ];
  for (const [what, props, ...fragments] of cases) {
    it(`rejects ${what}`, () => {
      const { pool } = cpuPool();
      assertInvalid(() => pool.addTrainingJob('resnet', { ...JOB, ...props }), JOB_PATH, ...fragments);
    });
  }

  it('rejects AWS Secrets Manager references (no ExternalSecret is rendered for jobs)', () => {
    const { pool } = cpuPool();
    assertInvalid(() => pool.addTrainingJob('resnet', { ...JOB, env: { WANDB_API_KEY: EnvSource.fromAwsSecretsManager('ml/wandb') } }), JOB_PATH,
      "'env.WANDB_API_KEY'", 'AWS Secrets Manager references are not supported on training jobs');
  });

  it('rejects a GPU job without GPUs and a GPU request above the pool limit', () => {
    const { pool } = gpuPool();
    assertInvalid(() => pool.addTrainingJob('resnet', JOB), JOB_PATH, "'gpus' (0)", 'must be an integer from 1 to 64');
    assertInvalid(() => pool.addTrainingJob('big', { ...JOB, gpus: 16 }), 'test/cpu-train/big', "'gpus' (16)", "exceeds the pool's GPU limit (8)");
  });
});

// ---- the fallback controller ------------------------------------------------

const NOW = new Date('2026-11-20T12:00:00Z');
const CONFIG: FallbackConfig = {
  pool: 'gpu-train',
  podSelector: 'ml-platform-constructs.dev/training-pool=gpu-train,ml-platform-constructs.dev/on-demand-fallback=allowed',
  afterSeconds: 1800,
  spotNodePool: 'gpu-train',
  fallbackNodePool: 'gpu-train-on-demand',
};

function pendingPod(name: string, ageSeconds: number, overrides: { spec?: Partial<PodJson['spec']>; status?: PodJson['status']; metadata?: Partial<PodJson['metadata']> } = {}): PodJson {
  return {
    metadata: {
      name,
      uid: `uid-${name}`,
      resourceVersion: '42',
      creationTimestamp: new Date(NOW.getTime() - ageSeconds * 1000).toISOString(),
      labels: { 'ml-platform-constructs.dev/training-pool': 'gpu-train', 'ml-platform-constructs.dev/on-demand-fallback': 'allowed' },
      annotations: { 'karpenter.sh/do-not-disrupt': 'true' },
      ...overrides.metadata,
    },
    spec: {
      tolerations: [{ key: 'ml-platform-constructs.dev/training-pool', operator: 'Equal', value: 'gpu-train', effect: 'NoSchedule' }],
      containers: [{ name: 'trainer', resources: { requests: { cpu: '7', memory: '28Gi', 'nvidia.com/gpu': '1' }, limits: { cpu: '8', memory: '30Gi', 'nvidia.com/gpu': '1' } } }],
      ...overrides.spec,
    },
    status: overrides.status ?? {
      phase: 'Pending',
      conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: '0/3 nodes are available' }],
    },
  };
}

const NODEPOOL_WITH_HEADROOM: NodePoolJson = { spec: { limits: { cpu: 96, memory: '384Gi', 'nvidia.com/gpu': 8 } }, status: { resources: { cpu: '48', memory: '192Gi', 'nvidia.com/gpu': '4', nodes: '4' } } };
const NODEPOOL_AT_GPU_LIMIT: NodePoolJson = { spec: { limits: { cpu: 96, memory: '384Gi', 'nvidia.com/gpu': 8 } }, status: { resources: { cpu: '48', memory: '192Gi', 'nvidia.com/gpu': '8' } } };

describe('on-demand fallback controller: decisions', () => {
  it('parses Kubernetes quantities', () => {
    assert.equal(parseQuantity('1500m'), 1.5);
    assert.equal(parseQuantity('2Gi'), 2 * 2 ** 30);
    assert.equal(parseQuantity('100M'), 1e8);
    assert.equal(parseQuantity('1e3'), 1000);
    assert.equal(parseQuantity(8), 8);
    assert.equal(parseQuantity('.5'), 0.5);
    assert.throws(() => parseQuantity('lots'), /not a Kubernetes quantity: "lots"/);
  });

  it('sums container requests (limits stand in for missing requests) and takes the larger init container', () => {
    const pod = pendingPod('p', 0, {
      spec: {
        containers: [{ resources: { requests: { cpu: '500m' } } }, { resources: { limits: { cpu: '1', memory: '1Gi' } } }],
        initContainers: [{ resources: { requests: { cpu: '4' } } }],
      },
    });
    assert.deepEqual(podRequests(pod), { cpu: 4, memory: 2 ** 30 });
  });

  it('lets a pod that was unschedulable longer than the delay fall back when the spot pool has headroom', () => {
    const [d] = planFallback([pendingPod('resnet-abc', 1900)], NODEPOOL_WITH_HEADROOM, CONFIG, NOW);
    assert.deepEqual(d, { pod: 'resnet-abc', action: 'fallback', reason: 'unschedulable for 1900s (>= 1800s) while the spot pool has headroom', pendingSeconds: 1900 });
  });

  it('makes younger pods wait, and pods not yet marked unschedulable', () => {
    const young = pendingPod('young', 600);
    const fresh = pendingPod('fresh', 2000, { status: { phase: 'Pending', conditions: [] } });
    assert.deepEqual(planFallback([young, fresh], NODEPOOL_WITH_HEADROOM, CONFIG, NOW).map((d) => [d.pod, d.action, d.reason]), [
      ['fresh', 'wait', 'not marked unschedulable by the scheduler yet'],
      ['young', 'wait', 'pending 600s of the 1800s it waits for spot'],
    ]);
  });

  it('does not move pods queued by the spot pool limits onto on-demand', () => {
    const [d] = planFallback([pendingPod('queued', 4000)], NODEPOOL_AT_GPU_LIMIT, CONFIG, NOW);
    assert.equal(d.action, 'wait');
    assert.match(d.reason, /the spot pool is at its limits \(nvidia.com\/gpu: 8 of 8 in use, the pod needs 1\): the pod is queued by the cost ceiling/);
    assert.equal(limitsBlock(pendingPod('q', 0), { spec: { limits: { nodes: 4 } }, status: { resources: { nodes: '4' } } })?.startsWith('the spot pool is at its limits (nodes: 4 of 4'), true);
    assert.equal(limitsBlock(pendingPod('q', 0), undefined), undefined);
  });

  it('skips pods that are scheduled, terminating, gated, not opted in or already allowed on on-demand', () => {
    const pods = [
      pendingPod('a-running', 4000, { spec: { nodeName: 'ip-10-0-0-1' }, status: { phase: 'Running' } }),
      pendingPod('b-terminating', 4000, { metadata: { deletionTimestamp: NOW.toISOString() } }),
      pendingPod('c-gated', 4000, { spec: { schedulingGates: [{ name: 'kueue' }], containers: [] } }),
      pendingPod('d-opted-out', 4000, { metadata: { labels: { 'ml-platform-constructs.dev/training-pool': 'gpu-train' } } }),
      pendingPod('e-done', 4000, { spec: { containers: [], tolerations: [{ key: 'ml-platform-constructs.dev/on-demand-fallback', operator: 'Equal', value: 'gpu-train', effect: 'NoSchedule' }] } }),
      pendingPod('f-no-timestamp', 4000, { metadata: { creationTimestamp: undefined } }),
    ];
    assert.deepEqual(planFallback(pods, NODEPOOL_WITH_HEADROOM, CONFIG, NOW).map((d) => [d.pod, d.action, d.reason]), [
      ['a-running', 'skip', 'scheduled on ip-10-0-0-1'],
      ['b-terminating', 'skip', 'terminating'],
      ['c-gated', 'skip', 'held by scheduling gates'],
      ['d-opted-out', 'skip', 'not labelled ml-platform-constructs.dev/on-demand-fallback=allowed'],
      ['e-done', 'skip', 'already allowed on on-demand'],
      ['f-no-timestamp', 'skip', 'no creation timestamp'],
    ]);
  });

  it('patches only what Kubernetes allows on a pod: an added toleration and an annotation, guarded by the resourceVersion', () => {
    assert.deepEqual(fallbackPatch(pendingPod('p', 1900), 'gpu-train', NOW), [
      { op: 'test', path: '/metadata/resourceVersion', value: '42' },
      { op: 'add', path: '/spec/tolerations/-', value: { key: 'ml-platform-constructs.dev/on-demand-fallback', operator: 'Equal', value: 'gpu-train', effect: 'NoSchedule' } },
      { op: 'add', path: '/metadata/annotations/ml-platform-constructs.dev~1on-demand-fallback-at', value: '2026-11-20T12:00:00.000Z' },
    ]);
    const bare = pendingPod('p', 1900, { spec: { tolerations: undefined, containers: [] }, metadata: { annotations: undefined, resourceVersion: undefined } });
    assert.deepEqual(fallbackPatch(bare, 'gpu-train', NOW), [
      { op: 'add', path: '/spec/tolerations', value: [{ key: 'ml-platform-constructs.dev/on-demand-fallback', operator: 'Equal', value: 'gpu-train', effect: 'NoSchedule' }] },
      { op: 'add', path: '/metadata/annotations', value: { 'ml-platform-constructs.dev/on-demand-fallback-at': '2026-11-20T12:00:00.000Z' } },
    ]);
  });
});

/** An in-memory Kubernetes API with the calls one pass makes. */
class FakeApi implements KubeApi {
  public readonly namespace = 'ml-train';
  public readonly patches: Array<{ path: string; ops: readonly JsonPatchOperation[] }> = [];
  public readonly posts: Array<{ path: string; body: any }> = [];
  public readonly gets: string[] = [];
  constructor(private readonly pods: PodJson[], private readonly nodePool: NodePoolJson | undefined, private readonly conflict = new Set<string>()) {}
  public getJson<T>(path: string): Promise<T | undefined> {
    this.gets.push(path);
    return Promise.resolve((path.includes('/pods?') ? { items: this.pods } : this.nodePool) as T | undefined);
  }
  public jsonPatch(path: string, ops: readonly JsonPatchOperation[]): Promise<boolean> {
    this.patches.push({ path, ops });
    return Promise.resolve(!this.conflict.has(path.split('/').pop()!));
  }
  public postJson(path: string, body: unknown): Promise<void> {
    this.posts.push({ path, body });
    return Promise.resolve();
  }
}

describe('on-demand fallback controller: reconcile pass', () => {
  it('lists the pool pods, reads the spot NodePool, patches pods that waited too long and records an Event', async () => {
    const api = new FakeApi([pendingPod('late', 2000), pendingPod('early', 100)], NODEPOOL_WITH_HEADROOM);
    const decisions = await reconcileOnce(api, CONFIG, { now: NOW });
    assert.deepEqual(decisions.map((d) => [d.pod, d.action]), [['early', 'wait'], ['late', 'fallback']]);
    assert.deepEqual(api.gets, [
      '/api/v1/namespaces/ml-train/pods?labelSelector=ml-platform-constructs.dev%2Ftraining-pool%3Dgpu-train%2Cml-platform-constructs.dev%2Fon-demand-fallback%3Dallowed&fieldSelector=status.phase%3DPending',
      '/apis/karpenter.sh/v1/nodepools/gpu-train',
    ]);
    assert.equal(api.patches.length, 1);
    assert.equal(api.patches[0].path, '/api/v1/namespaces/ml-train/pods/late');
    assert.deepEqual(api.patches[0].ops, fallbackPatch(pendingPod('late', 2000), 'gpu-train', NOW));
    assert.equal(api.posts.length, 1);
    assert.equal(api.posts[0].path, '/api/v1/namespaces/ml-train/events');
    assert.deepEqual([api.posts[0].body.reason, api.posts[0].body.involvedObject], ['OnDemandFallback', {
      apiVersion: 'v1', kind: 'Pod', name: 'late', namespace: 'ml-train', uid: 'uid-late', resourceVersion: '42',
    }]);
    assert.match(api.posts[0].body.message, /^Allowed onto on-demand NodePool gpu-train-on-demand: unschedulable for 2000s/);
  });

  it('changes nothing in a dry run and leaves a pod that changed meanwhile for the next run', async () => {
    const dry = new FakeApi([pendingPod('late', 2000)], NODEPOOL_WITH_HEADROOM);
    assert.deepEqual((await reconcileOnce(dry, CONFIG, { now: NOW, dryRun: true })).map((d) => d.action), ['fallback']);
    assert.deepEqual([dry.patches.length, dry.posts.length], [0, 0]);
    const raced = new FakeApi([pendingPod('late', 2000)], NODEPOOL_WITH_HEADROOM, new Set(['late']));
    const [d] = await reconcileOnce(raced, { ...CONFIG, namespace: 'other' }, { now: NOW });
    assert.deepEqual([d.action, d.reason], ['wait', 'the pod changed while deciding; checked again next run']);
    assert.equal(raced.patches[0].path, '/api/v1/namespaces/other/pods/late');
    assert.equal(raced.posts.length, 0);
  });
});

/** A fake API server recording requests; answers by `route(method, path)`. */
async function fakeApiServer(route: (method: string, path: string, body: string) => [number, unknown]) {
  const requests: Array<{ method: string; path: string; headers: http.IncomingHttpHeaders; body: string }> = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      requests.push({ method: req.method!, path: req.url!, headers: req.headers, body });
      const [status, answer] = route(req.method!, req.url!, body);
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(answer));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, requests, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

describe('on-demand fallback controller: Kubernetes client and bundled script', () => {
  const servers: Array<() => Promise<void>> = [];
  after(async () => {
    await Promise.all(servers.map((close) => close()));
  });

  it('sends JSON with the bearer token, maps 404 to undefined, 409/422 to false and other errors to exceptions', async () => {
    const server = await fakeApiServer((method, path) => {
      if (path.startsWith('/missing')) return [404, { kind: 'Status' }];
      if (path.startsWith('/conflict')) return [422, { kind: 'Status', reason: 'Invalid' }];
      if (path.startsWith('/broken')) return [500, { message: 'etcd down' }];
      return [method === 'POST' ? 201 : 200, { ok: true }];
    });
    servers.push(server.close);
    const client = new KubeClient({ baseUrl: server.url, namespace: 'ml-train', token: 'tok' });
    assert.deepEqual(await client.getJson('/api/v1/namespaces/ml-train/pods'), { ok: true });
    assert.equal(await client.getJson('/missing'), undefined);
    assert.equal(await client.jsonPatch('/conflict', [{ op: 'add', path: '/spec/tolerations/-', value: {} }]), false);
    assert.equal(await client.jsonPatch('/api/v1/namespaces/ml-train/pods/p', [{ op: 'add', path: '/x', value: 1 }]), true);
    await client.postJson('/api/v1/namespaces/ml-train/events', { kind: 'Event' });
    await assert.rejects(client.getJson('/broken'), /GET \/broken: HTTP 500: \{"message":"etcd down"\}/);
    const patch = server.requests.find((r) => r.method === 'PATCH' && r.path.endsWith('/pods/p'))!;
    assert.equal(patch.headers['content-type'], 'application/json-patch+json');
    assert.equal(patch.headers.authorization, 'Bearer tok');
    assert.deepEqual(JSON.parse(patch.body), [{ op: 'add', path: '/x', value: 1 }]);
  });

  it('configures itself in cluster from the service account mount and the service environment', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sa-'));
    writeFileSync(join(dir, 'token'), 'sa-token\n');
    writeFileSync(join(dir, 'ca.crt'), '-----BEGIN CERTIFICATE-----\n');
    writeFileSync(join(dir, 'namespace'), 'ml-train');
    const client = KubeClient.inCluster({ KUBERNETES_SERVICE_HOST: '10.100.0.1', KUBERNETES_SERVICE_PORT: '443' }, dir);
    assert.equal(client.namespace, 'ml-train');
    assert.throws(() => KubeClient.inCluster({}, dir), /KUBERNETES_SERVICE_HOST is not set/);
  });

  it('runs as a bundled script against an API server and patches the pod that waited too long', async () => {
    // The script decides with the real clock.
    const late = pendingPod('late', 0, { metadata: { creationTimestamp: new Date(Date.now() - 3 * 3600 * 1000).toISOString() } });
    const young = pendingPod('young', 0, { metadata: { creationTimestamp: new Date(Date.now()).toISOString() } });
    const server = await fakeApiServer((method, path) => {
      if (method === 'GET' && path.startsWith('/api/v1/namespaces/ml-train/pods?')) return [200, { items: [late, young] }];
      if (method === 'GET' && path === '/apis/karpenter.sh/v1/nodepools/gpu-train') return [200, NODEPOOL_WITH_HEADROOM];
      return [method === 'POST' ? 201 : 200, {}];
    });
    servers.push(server.close);
    const dir = mkdtempSync(join(tmpdir(), 'fallback-'));
    writeFileSync(join(dir, 'spot-fallback-controller.js'), controllerScript || await buildControllerScript());
    writeFileSync(join(dir, 'config.json'), JSON.stringify(CONFIG));
    // Asynchronously: the fake API server answers from this process's event loop.
    const run = await new Promise<{ status: number; stdout: string; stderr: string }>((resolve) => {
      execFile(process.execPath, [join(dir, 'spot-fallback-controller.js'), 'run', '--config', join(dir, 'config.json'), '--api-server', server.url, '--namespace', 'ml-train'],
        { encoding: 'utf8' }, (err, stdout, stderr) => resolve({ status: err ? Number(err.code ?? 1) : 0, stdout, stderr }));
    });
    assert.equal(run.status, 0, run.stderr);
    const lines = run.stdout.trim().split('\n').map((l) => JSON.parse(l));
    assert.deepEqual(lines.map((l) => l.pod ?? 'summary'), ['late', 'young', 'summary']);
    assert.deepEqual(lines[2].summary, { pods: 2, fallback: 1, wait: 1, skip: 0 });
    const patch = server.requests.find((r) => r.method === 'PATCH')!;
    assert.equal(patch.path, '/api/v1/namespaces/ml-train/pods/late');
    assert.deepEqual(JSON.parse(patch.body)[1], { op: 'add', path: '/spec/tolerations/-', value: { key: 'ml-platform-constructs.dev/on-demand-fallback', operator: 'Equal', value: 'gpu-train', effect: 'NoSchedule' } });
    assert.equal(server.requests.filter((r) => r.method === 'POST').length, 1);

    const usage = spawnSync(process.execPath, [join(dir, 'spot-fallback-controller.js'), 'bogus'], { encoding: 'utf8' });
    assert.equal(usage.status, 2);
    assert.match(usage.stderr, /^usage: spot-fallback-controller run --config FILE/);
    const noServer = spawnSync(process.execPath, [join(dir, 'spot-fallback-controller.js'), 'run', '--config', join(dir, 'config.json')], { encoding: 'utf8', env: {} });
    assert.equal(noServer.status, 2);
    assert.match(noServer.stderr, /KUBERNETES_SERVICE_HOST is not set/);
  });
});
