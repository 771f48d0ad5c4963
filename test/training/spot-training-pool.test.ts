import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { before, describe, it } from 'node:test';
import { Chart, Duration, Size } from 'cdk8s';
import { ConsolidationPolicy, CpuArchitecture, DisruptionReason, SpotNodeGroupTrainingPool, SpotTrainingPool, SpotTrainingPoolProps } from '../../src/training/spot-training-pool';
import { findObject, inventory, objectsOfKind, synthValid, testChart } from '../support/synth';
import { BUNDLE, CPU_LIMITS, GPU_LIMITS, JOB, assertInvalid, buildControllerScript, cpuPool, gpuPool } from './fixtures';

let controllerScript = '';

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
    assert.deepEqual(inventory(objects), ['Job/xgb', 'NetworkPolicy/xgb', 'ServiceAccount/xgb']);
    const np = findObject(objects, 'NetworkPolicy', 'xgb');
    assert.deepEqual(np.spec.podSelector, { matchLabels: { 'app.kubernetes.io/name': 'xgb', 'app.kubernetes.io/instance': 'xgb' } });
    assert.deepEqual(np.spec.ingress, [], 'nothing connects to a trainer');
    assert.deepEqual(np.spec.egress.slice(1), [{ to: [{ ipBlock: { cidr: '0.0.0.0/0' } }], ports: [{ protocol: 'TCP', port: 443 }] }], 'DNS and AWS on 443 only');
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
    ['a malformed budget schedule', { disruption: { budgets: [{ nodes: '0', schedule: 'daily', duration: Duration.hours(1) }] } }, "'disruption.budgets[0].schedule' (\"daily\")", 'must have 5 fields (minute hour day-of-month month day-of-week), got 1'],
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

