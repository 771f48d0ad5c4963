import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Duration, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { TrainingJob, TrainingJobProps } from '../../src/training/spot-training-pool';
import { EnvSource } from '../../src/kube/env';
import { findObject, synthValid } from '../support/synth';
import { JOB, assertInvalid, cpuPool, gpuPool } from './fixtures';

describe('SpotTrainingPool.addTrainingJob', () => {
  it('renders a Job that tolerates the pool taint, selects its nodes and carries karpenter.sh/do-not-disrupt', async () => {
    const { chart, pool } = cpuPool();
    pool.addTrainingJob('resnet', { ...JOB, awsIdentity: undefined, serviceAccountAnnotations: { 'eks.amazonaws.com/role-arn': 'arn:aws:iam::123456789012:role/resnet' } });
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

  it('keeps tolerations added through cdk8s-plus next to the pool toleration', async () => {
    const { chart, pool } = cpuPool();
    const training = pool.addTrainingJob('resnet', JOB);
    training.job.scheduling.tolerate(kplus.Node.tainted(kplus.NodeTaintQuery.exists('example.com/dedicated', { effect: kplus.TaintEffect.NO_SCHEDULE })));
    const pod = findObject(await synthValid(chart), 'Job', 'resnet').spec.template.spec;
    assert.deepEqual(pod.tolerations, [
      { key: 'ml-platform-constructs.dev/training-pool', operator: 'Equal', value: 'cpu-train', effect: 'NoSchedule' },
      { key: 'example.com/dedicated', operator: 'Exists', effect: 'NoSchedule' },
    ]);
  });

  it('sets the primary objects as default children: the pool its NodePool, the job its Job', () => {
    const { pool } = cpuPool();
    const training = pool.addTrainingJob('resnet', JOB);
    assert.equal(pool.node.defaultChild, pool.nodePool);
    assert.equal(training.node.defaultChild, training.job);
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
    pool.addTrainingJob('resnet', { ...JOB, checkpoint: { uri: 's3://bkt/ckpt/resnet/', interval: Duration.minutes(15) }, env: { EPOCHS: '30' } });
    const pod = findObject(await synthValid(chart), 'Job', 'resnet').spec.template.spec;
    assert.equal(pod.terminationGracePeriodSeconds, 90);
    assert.deepEqual(pod.containers[0].env, [
      { name: 'CHECKPOINT_URI', value: 's3://bkt/ckpt/resnet/' },
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


describe('TrainingJob validation', () => {
  const JOB_PATH = 'test/cpu-train/resnet';
  const cases: Array<[string, Partial<TrainingJobProps>, ...string[]]> = [
    ['a job without a checkpoint location', { checkpoint: undefined }, "'checkpoint.uri' (unset)", "is required on the spot pool 'cpu-train': spot capacity is only offered to training that can resume"],
    ['an empty checkpoint URI', { checkpoint: { uri: ' ' } }, "'checkpoint.uri' (\" \")", 'is required on the spot pool'],
    ['a checkpoint URI without a scheme', { checkpoint: { uri: 'ml-checkpoints/resnet/' } }, "'checkpoint.uri' (\"ml-checkpoints/resnet/\")", 'must be a URI with a scheme'],
    ['a checkpoint on the node', { checkpoint: { uri: 'file:///data/ckpt' } }, "'checkpoint.uri' (\"file:///data/ckpt\")", 'a path on the node is lost with the spot instance'],
    ['a checkpoint interval under a minute', { checkpoint: { uri: 's3://bkt/p/', interval: Duration.seconds(30) } }, "'checkpoint.interval' (30)", 'must be an integer from 60 to 86400'],
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

