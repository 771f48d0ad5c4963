import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import { IrsaRole } from '../../src/aws/irsa-role';
import { SecureBucket } from '../../src/aws/secure-bucket';
import { SpotCapacity, SpotTrainingPoolAws, SpotTrainingPoolAwsArgs } from '../../src/training/spot-training-pool-aws';
import { ValidationError } from '../../src/core/errors';
import { promiseOf } from '../../src/testing/pulumi-mocks';
import { parsePolicy, recorderReady } from '../support/pulumi';

const OIDC = { arn: 'arn:aws:iam::123456789012:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/AB12', url: 'https://oidc.eks.us-east-1.amazonaws.com/id/AB12' };
const BASE: SpotTrainingPoolAwsArgs = { poolName: 'gpu-train', clusterName: 'ml-prod', namespace: 'ml-train', oidcProvider: OIDC };
const NODE_GROUP = { subnetIds: ['subnet-a', 'subnet-b'], instanceTypes: ['g5.xlarge', 'g6.xlarge', 'g4dn.xlarge'], maxSize: 4, gpu: true };

/** Registrations of the SecureBucket (8) and of one IrsaRole (3). */
const BUCKET_RESOURCES = 8;
const IRSA_RESOURCES = 3;

describe('SpotTrainingPoolAws with Karpenter', () => {
  beforeEach(async () => (await recorderReady).reset());

  it('creates the node role with the four EKS node managed policies, an instance profile and an EC2_LINUX access entry', async () => {
    const rec = await recorderReady;
    const aws = new SpotTrainingPoolAws('train', BASE);
    await rec.settle();
    // component + bucket + role + 4 attachments + profile + access entry + queue + policy + 4 rules + 4 targets
    assert.equal(rec.resources.length, 1 + BUCKET_RESOURCES + 1 + 4 + 1 + 1 + 1 + 1 + 4 + 4, rec.resources.map((r) => `${r.type}/${r.name}`).join(', '));
    const trust = parsePolicy(rec.one('aws:iam/role:Role', 'train-node-role').inputs.assumeRolePolicy);
    assert.deepEqual(trust.Statement, [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }]);
    const attachments = rec.ofType('aws:iam/rolePolicyAttachment:RolePolicyAttachment');
    assert.deepEqual(attachments.map((a) => [a.name, a.inputs.policyArn, a.inputs.role]), [
      ['train-node-worker', 'arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy', 'train-node-role-mock'],
      ['train-node-cni', 'arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy', 'train-node-role-mock'],
      ['train-node-ecr', 'arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly', 'train-node-role-mock'],
      ['train-node-ssm', 'arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore', 'train-node-role-mock'],
    ]);
    assert.equal(rec.one('aws:iam/instanceProfile:InstanceProfile').inputs.role, 'train-node-role-mock');
    assert.deepEqual(rec.one('aws:eks/accessEntry:AccessEntry').inputs, {
      clusterName: 'ml-prod', principalArn: 'arn:aws:iam::123456789012:role/train-node-role-mock', type: 'EC2_LINUX', tags: {},
    });
    assert.equal(await promiseOf(aws.nodeRoleArn), 'arn:aws:iam::123456789012:role/train-node-role-mock');
    assert.equal(aws.instanceProfileName, aws.instanceProfile!.name);
    for (const r of rec.resources.filter((x) => x.type !== SpotTrainingPoolAws.TYPE && x.parent?.name === 'train')) {
      assert.ok(r.name.startsWith('train-'), `${r.name} is named after the component`);
    }
  });

  it('creates the interruption queue with SSE and 300s retention and a policy letting only its rules (and SQS) send', async () => {
    const rec = await recorderReady;
    const aws = new SpotTrainingPoolAws('train', { ...BASE, capacity: SpotCapacity.karpenter({ queueName: 'ml-prod-karpenter' }) });
    await rec.settle();
    assert.equal(rec.resources.length, 26);
    const queue = rec.one('aws:sqs/queue:Queue', 'train-interruption-queue').inputs;
    assert.deepEqual([queue.name, queue.messageRetentionSeconds, queue.sqsManagedSseEnabled], ['ml-prod-karpenter', 300, true]);
    assert.equal(await promiseOf(aws.interruptionQueueName!), 'ml-prod-karpenter');
    const policyInputs = rec.one('aws:sqs/queuePolicy:QueuePolicy', 'train-interruption-queue-policy').inputs;
    assert.equal(policyInputs.queueUrl, 'https://sqs.us-east-1.amazonaws.com/123456789012/ml-prod-karpenter');
    const policy = parsePolicy(policyInputs.policy);
    const queueArn = 'arn:aws:sqs:us-east-1:123456789012:ml-prod-karpenter';
    const ruleArns = ['spot-interruption', 'rebalance', 'instance-state-change', 'scheduled-change'].map((r) => `arn:aws:mock:us-east-1:123456789012:eventrule/train-${r}`);
    assert.deepEqual(policy.Statement, [
      { Sid: 'EventBridgeRules', Effect: 'Allow', Principal: { Service: ['events.amazonaws.com'] }, Action: 'sqs:SendMessage', Resource: queueArn, Condition: { ArnEquals: { 'aws:SourceArn': ruleArns } } },
      { Sid: 'SqsService', Effect: 'Allow', Principal: { Service: ['sqs.amazonaws.com'] }, Action: 'sqs:SendMessage', Resource: queueArn },
      { Sid: 'DenyInsecureTransport', Effect: 'Deny', Principal: '*', Action: 'sqs:*', Resource: queueArn, Condition: { Bool: { 'aws:SecureTransport': 'false' } } },
    ]);
  });

  it('routes spot interruption, rebalance, state change and scheduled health events to the queue', async () => {
    const rec = await recorderReady;
    new SpotTrainingPoolAws('train', BASE);
    await rec.settle();
    assert.equal(rec.resources.length, 26);
    const pattern = (name: string) => JSON.parse(rec.one('aws:cloudwatch/eventRule:EventRule', name).inputs.eventPattern as string);
    assert.deepEqual(pattern('train-spot-interruption'), { source: ['aws.ec2'], 'detail-type': ['EC2 Spot Instance Interruption Warning'] });
    assert.deepEqual(pattern('train-rebalance'), { source: ['aws.ec2'], 'detail-type': ['EC2 Instance Rebalance Recommendation'] });
    assert.deepEqual(pattern('train-instance-state-change'), { source: ['aws.ec2'], 'detail-type': ['EC2 Instance State-change Notification'] });
    assert.deepEqual(pattern('train-scheduled-change'), { source: ['aws.health'], 'detail-type': ['AWS Health Event'] });
    const targets = rec.ofType('aws:cloudwatch/eventTarget:EventTarget');
    assert.deepEqual(targets.map((t) => [t.name, t.inputs.rule, t.inputs.arn, t.inputs.targetId]), [
      'spot-interruption', 'rebalance', 'instance-state-change', 'scheduled-change',
    ].map((r) => [`train-${r}-target`, `train-${r}-id`, 'arn:aws:sqs:us-east-1:123456789012:train-interruption-queue-mock', 'KarpenterInterruptionQueueTarget']));
  });

  it("gives the Karpenter controller Karpenter's reference policy: PassRole on exactly the node role, the queue, tag-scoped instance profiles (aws/karpenter-provider-aws cloudformation.yaml)", async () => {
    const rec = await recorderReady;
    const aws = new SpotTrainingPoolAws('train', BASE);
    new IrsaRole('karpenter', { oidcProvider: OIDC, namespace: 'kube-system', serviceAccount: 'karpenter', statements: aws.controllerStatements() });
    await rec.settle();
    assert.equal(rec.resources.length, 26 + IRSA_RESOURCES);
    const doc = parsePolicy(rec.one('aws:iam/rolePolicy:RolePolicy', 'karpenter-policy').inputs.policy);
    const bySid = Object.fromEntries(doc.Statement.map((s) => [s.Sid, s]));
    assert.deepEqual(bySid.AllowPassingInstanceRole, {
      Sid: 'AllowPassingInstanceRole', Effect: 'Allow', Action: ['iam:PassRole'], Resource: ['arn:aws:iam::123456789012:role/train-node-role-mock'],
      Condition: { StringEquals: { 'iam:PassedToService': 'ec2.amazonaws.com' } },
    });
    assert.deepEqual(doc.Statement.filter((s) => s.Action.includes('iam:PassRole')).length, 1, 'no other statement passes a role');
    assert.deepEqual([bySid.AllowInterruptionQueueActions.Action, bySid.AllowInterruptionQueueActions.Resource],
      [['sqs:DeleteMessage', 'sqs:GetQueueUrl', 'sqs:ReceiveMessage'], ['arn:aws:sqs:us-east-1:123456789012:train-interruption-queue-mock']]);
    assert.deepEqual(bySid.AllowScopedInstanceProfileCreationActions.Condition, {
      StringEquals: { 'aws:RequestTag/kubernetes.io/cluster/ml-prod': 'owned', 'aws:RequestTag/eks:eks-cluster-name': 'ml-prod', 'aws:RequestTag/topology.kubernetes.io/region': 'us-east-1' },
      StringLike: { 'aws:RequestTag/karpenter.k8s.aws/ec2nodeclass': '*' },
    });
    assert.deepEqual(bySid.AllowScopedDeletion.Condition, { StringEquals: { 'aws:ResourceTag/kubernetes.io/cluster/ml-prod': 'owned' }, StringLike: { 'aws:ResourceTag/karpenter.sh/nodepool': '*' } });
    assert.deepEqual(bySid.AllowAPIServerEndpointDiscovery.Resource, ['arn:aws:eks:us-east-1:123456789012:cluster/ml-prod']);
    for (const st of doc.Statement.filter((x) => x.Resource.includes('*'))) {
      assert.ok(st.Action.every((a: string) => /^[a-z0-9]+:(Describe|Get|List)/.test(a)), `${st.Sid}: only reads on resource '*'`);
    }
  });

  it('skips the queue and rules when the cluster already has one, and the access entry for aws-auth clusters', async () => {
    const rec = await recorderReady;
    const aws = new SpotTrainingPoolAws('train', { ...BASE, capacity: SpotCapacity.karpenter({ interruptionQueue: false, accessEntry: false }) });
    await rec.settle();
    assert.equal(rec.resources.length, 1 + BUCKET_RESOURCES + 1 + 4 + 1);
    assert.equal(rec.ofType('aws:sqs/queue:Queue').length, 0);
    assert.equal(rec.ofType('aws:cloudwatch/eventRule:EventRule').length, 0);
    assert.equal(rec.ofType('aws:eks/accessEntry:AccessEntry').length, 0);
    assert.equal(aws.controllerStatements().filter((s) => s.actions.some((a) => a.startsWith('sqs:'))).length, 0, 'no queue, no queue statement');
    assert.equal(aws.interruptionQueueName, undefined);
    assert.deepEqual(aws.interruptionRules, {});
  });
});

describe('SpotTrainingPoolAws checkpoints', () => {
  beforeEach(async () => (await recorderReady).reset());

  it('gives each job an IRSA role with read/write on its own checkpoint prefix only', async () => {
    const rec = await recorderReady;
    const aws = new SpotTrainingPoolAws('train', {
      ...BASE, capacity: SpotCapacity.karpenter({ interruptionQueue: false }),
      jobs: [{ name: 'resnet' }, { name: 'bert', serviceAccount: 'bert-trainer', checkpointPrefix: 'checkpoints/nlp/bert/' }],
    });
    assert.equal(await promiseOf(aws.checkpointUri('resnet')), 's3://train-checkpoints-mock/checkpoints/ml-train/resnet/');
    assert.equal(aws.checkpointPrefix('bert'), 'checkpoints/nlp/bert/');
    assert.deepEqual(await promiseOf(aws.serviceAccountAnnotations('resnet')), { 'eks.amazonaws.com/role-arn': 'arn:aws:iam::123456789012:role/train-resnet-irsa-role-mock' });
    await rec.settle();
    assert.equal(rec.resources.length, 1 + BUCKET_RESOURCES + 2 * IRSA_RESOURCES + 1 + 4 + 1 + 1);
    const policy = parsePolicy(rec.one('aws:iam/rolePolicy:RolePolicy', 'train-resnet-irsa-policy').inputs.policy);
    assert.deepEqual(policy.Statement, [
      { Sid: 'ReadObjects', Effect: 'Allow', Action: ['s3:GetObject', 's3:GetObjectVersion'], Resource: ['arn:aws:s3:::train-checkpoints-mock/checkpoints/ml-train/resnet/*'] },
      { Sid: 'ListPrefix', Effect: 'Allow', Action: ['s3:ListBucket'], Resource: ['arn:aws:s3:::train-checkpoints-mock'], Condition: { StringLike: { 's3:prefix': ['checkpoints/ml-train/resnet/*'] } } },
      { Sid: 'WriteObjects', Effect: 'Allow', Action: ['s3:PutObject', 's3:AbortMultipartUpload', 's3:DeleteObject'], Resource: ['arn:aws:s3:::train-checkpoints-mock/checkpoints/ml-train/resnet/*'] },
    ]);
    const bert = parsePolicy(rec.one('aws:iam/rolePolicy:RolePolicy', 'train-bert-irsa-policy').inputs.policy);
    assert.deepEqual(bert.Statement.map((s) => s.Resource[0]), [
      'arn:aws:s3:::train-checkpoints-mock/checkpoints/nlp/bert/*', 'arn:aws:s3:::train-checkpoints-mock', 'arn:aws:s3:::train-checkpoints-mock/checkpoints/nlp/bert/*',
    ]);
    const trust = parsePolicy(rec.one('aws:iam/role:Role', 'train-bert-irsa-role').inputs.assumeRolePolicy);
    assert.equal(trust.Statement[0].Condition.StringEquals['oidc.eks.us-east-1.amazonaws.com/id/AB12:sub'], 'system:serviceaccount:ml-train:bert-trainer');
  });

  it('keeps checkpoints in a versioned, encrypted, private bucket whose lifecycle expires old checkpoints', async () => {
    const rec = await recorderReady;
    new SpotTrainingPoolAws('train', { ...BASE, capacity: SpotCapacity.karpenter({ interruptionQueue: false }), checkpointRetentionDays: 14 });
    await rec.settle();
    assert.equal(rec.resources.length, 1 + BUCKET_RESOURCES + 1 + 4 + 1 + 1);
    assert.deepEqual(rec.one('aws:s3/bucketVersioning:BucketVersioning').inputs.versioningConfiguration, { status: 'Enabled' });
    const sse = rec.one('aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration').inputs as Record<string, any>;
    assert.deepEqual(sse.rules[0].applyServerSideEncryptionByDefault, { sseAlgorithm: 'AES256' });
    const pab = rec.one('aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock').inputs;
    assert.deepEqual([pab.blockPublicAcls, pab.blockPublicPolicy, pab.ignorePublicAcls, pab.restrictPublicBuckets], [true, true, true, true]);
    const rules = rec.one('aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration').inputs.rules as any[];
    assert.deepEqual(rules.map((r) => [r.id, r.filter.prefix, r.expiration?.days, r.noncurrentVersionExpiration?.noncurrentDays]), [
      ['expire-noncurrent-versions', '', undefined, 7],
      ['expire-checkpoints', 'checkpoints/', 14, undefined],
    ]);
    assert.equal(rules[0].noncurrentVersionExpiration.newerNoncurrentVersions, 1);
  });

  it('shares a bucket between pools without touching its lifecycle', async () => {
    const rec = await recorderReady;
    const bucket = new SecureBucket('shared');
    const aws = new SpotTrainingPoolAws('train', { ...BASE, capacity: SpotCapacity.karpenter({ interruptionQueue: false }), bucket, jobs: [{ name: 'resnet', checkpointPrefix: 'teams/vision/resnet/' }] });
    assert.equal(aws.bucket, bucket);
    assert.equal(await promiseOf(aws.checkpointUri('resnet')), 's3://shared-mock/teams/vision/resnet/');
    await rec.settle();
    assert.equal(rec.ofType('aws:s3/bucket:Bucket').length, 1);
    assert.equal(rec.resources.length, BUCKET_RESOURCES + 1 + IRSA_RESOURCES + 1 + 4 + 1 + 1);
  });

  it('throws for a job it has no role for', async () => {
    const rec = await recorderReady;
    const aws = new SpotTrainingPoolAws('train', { ...BASE, jobs: [{ name: 'resnet' }] });
    assert.throws(() => aws.checkpointUri('bert'), /invalid 'job' \("bert"\): names no job of the pool \(jobs: resnet\)/);
    assert.throws(() => aws.serviceAccountAnnotations('bert'), /invalid 'job' \("bert"\): names no job of the pool \(jobs: resnet\)/);
    await rec.settle();
    assert.equal(rec.resources.length, 26 + IRSA_RESOURCES);
  });
});

describe('SpotTrainingPoolAws with an EKS managed node group', () => {
  beforeEach(async () => (await recorderReady).reset());

  it('creates a SPOT node group over diversified instance types that scales from zero, labelled and tainted like the job helper', async () => {
    const rec = await recorderReady;
    const aws = new SpotTrainingPoolAws('train', { ...BASE, capacity: SpotCapacity.managedNodeGroup(NODE_GROUP) });
    await rec.settle();
    // component + bucket + role + 4 attachments + launch template + node group
    assert.equal(rec.resources.length, 1 + BUCKET_RESOURCES + 1 + 4 + 1 + 1, rec.resources.map((r) => `${r.type}/${r.name}`).join(', '));
    const ng = rec.one('aws:eks/nodeGroup:NodeGroup', 'train-node-group').inputs as Record<string, any>;
    assert.equal(ng.capacityType, 'SPOT');
    assert.deepEqual(ng.instanceTypes, ['g5.xlarge', 'g6.xlarge', 'g4dn.xlarge']);
    assert.deepEqual(ng.scalingConfig, { minSize: 0, desiredSize: 0, maxSize: 4 });
    assert.deepEqual(ng.labels, { 'ml-platform-constructs.dev/training-pool': 'gpu-train' });
    assert.deepEqual(ng.taints, [{ key: 'ml-platform-constructs.dev/training-pool', value: 'gpu-train', effect: 'NO_SCHEDULE' }]);
    assert.equal(ng.amiType, 'AL2023_x86_64_NVIDIA');
    assert.deepEqual(ng.subnetIds, ['subnet-a', 'subnet-b']);
    assert.equal(ng.nodeRoleArn, 'arn:aws:iam::123456789012:role/train-node-role-mock');
    assert.equal(ng.launchTemplate.id, 'train-launch-template-id');
    const lt = rec.one('aws:ec2/launchTemplate:LaunchTemplate', 'train-launch-template').inputs as Record<string, any>;
    assert.deepEqual(lt.metadataOptions, { httpEndpoint: 'enabled', httpTokens: 'required', httpPutResponseHopLimit: 1 });
    assert.deepEqual(lt.blockDeviceMappings, [{ deviceName: '/dev/xvda', ebs: { volumeSize: 100, volumeType: 'gp3', encrypted: 'true', deleteOnTermination: 'true' } }]);
    // EKS creates the access entry of a managed node group's role; Karpenter resources are not created.
    assert.equal(rec.ofType('aws:eks/accessEntry:AccessEntry').length, 0);
    assert.equal(rec.ofType('aws:sqs/queue:Queue').length, 0);
    assert.equal(rec.ofType('aws:iam/instanceProfile:InstanceProfile').length, 0);
    assert.deepEqual(aws.controllerStatements(), []);
    assert.deepEqual(aws.costProfile, {
      pool: 'gpu-train', provisioner: 'eks-managed-node-group', capacityType: 'spot',
      instances: { categories: [], instanceTypes: ['g5.xlarge', 'g6.xlarge', 'g4dn.xlarge'], architectures: ['amd64'], gpu: true },
      limits: { nodes: 4 },
    });
  });

  it('uses the ARM AMI for Graviton types and a KMS key for the root volume', async () => {
    const rec = await recorderReady;
    new SpotTrainingPoolAws('train', {
      ...BASE,
      capacity: SpotCapacity.managedNodeGroup({
        subnetIds: ['subnet-a'], instanceTypes: ['c7g.2xlarge', 'm7g.2xlarge'], maxSize: 10, architecture: 'arm64', diskSizeGib: 200,
        rootVolumeKmsKeyArn: 'arn:aws:kms:us-east-1:123456789012:key/k1',
      }),
    });
    await rec.settle();
    assert.equal(rec.resources.length, 16);
    assert.equal(rec.one('aws:eks/nodeGroup:NodeGroup').inputs.amiType, 'AL2023_ARM_64_STANDARD');
    assert.deepEqual((rec.one('aws:ec2/launchTemplate:LaunchTemplate').inputs as any).blockDeviceMappings[0].ebs,
      { volumeSize: 200, volumeType: 'gp3', encrypted: 'true', deleteOnTermination: 'true', kmsKeyId: 'arn:aws:kms:us-east-1:123456789012:key/k1' });
  });
});

describe('SpotTrainingPoolAws validation', () => {
  beforeEach(async () => (await recorderReady).reset());

  const LABEL = `${SpotTrainingPoolAws.TYPE}(bad)`;
  const cases: Array<[string, Partial<SpotTrainingPoolAwsArgs>, ...string[]]> = [
    ['a pool name that is not a DNS label', { poolName: 'GPU' }, "'poolName' (\"GPU\")", 'DNS-1035 label'],
    ['a malformed cluster name', { clusterName: 'ml prod' }, "'clusterName' (\"ml prod\")", 'must be an EKS cluster name'],
    ['a malformed namespace', { namespace: 'ML' }, "'namespace' (\"ML\")", 'DNS-1035 label'],
    ['a capacity that is not a SpotCapacity', { capacity: { kind: 'karpenter' } as unknown as SpotCapacity }, "'capacity'", 'must be SpotCapacity.karpenter() or SpotCapacity.managedNodeGroup()'],
    ['a queue name with interruptionQueue false', { capacity: SpotCapacity.karpenter({ interruptionQueue: false, queueName: 'q' }) }, "'capacity.queueName' (\"q\")", "has no effect with 'interruptionQueue: false'"],
    ['a malformed queue name', { capacity: SpotCapacity.karpenter({ queueName: 'my queue' }) }, "'capacity.queueName' (\"my queue\")", 'must be an SQS queue name'],
    ['a node group without subnets', { capacity: SpotCapacity.managedNodeGroup({ ...NODE_GROUP, subnetIds: [] }) }, "'capacity.subnetIds' ([])", 'at least one subnet'],
    ['a malformed instance type', { capacity: SpotCapacity.managedNodeGroup({ ...NODE_GROUP, instanceTypes: ['g5', 'g6.xlarge'] }) }, "'capacity.instanceTypes[0]' (\"g5\")", 'must be an EC2 instance type'],
    ['a repeated instance type', { capacity: SpotCapacity.managedNodeGroup({ ...NODE_GROUP, instanceTypes: ['g5.xlarge', 'g5.xlarge'] }) }, "'capacity.instanceTypes'", 'must not repeat a type'],
    ['a single instance type', { capacity: SpotCapacity.managedNodeGroup({ ...NODE_GROUP, instanceTypes: ['g5.xlarge'] }) }, "'capacity.instanceTypes' ([\"g5.xlarge\"])", 'at least two instance types of at least two families'],
    ['instance types of one family', { capacity: SpotCapacity.managedNodeGroup({ ...NODE_GROUP, instanceTypes: ['g5.xlarge', 'g5.2xlarge'] }) }, "'capacity.instanceTypes'", 'at least two families'],
    ['a node group maxSize of zero', { capacity: SpotCapacity.managedNodeGroup({ ...NODE_GROUP, maxSize: 0 }) }, "'capacity.maxSize' (0)", 'must be an integer from 1 to 1000'],
    ['an unknown architecture', { capacity: SpotCapacity.managedNodeGroup({ ...NODE_GROUP, architecture: 'x86' as 'amd64' }) }, "'capacity.architecture' (\"x86\")", "must be 'amd64' or 'arm64'"],
    ['a disk under 20 GiB', { capacity: SpotCapacity.managedNodeGroup({ ...NODE_GROUP, diskSizeGib: 8 }) }, "'capacity.diskSizeGib' (8)", 'must be an integer from 20 to 16384'],
    ['a shared bucket with bucket settings', { bucket: {} as SecureBucket, checkpointBucket: {} }, "'bucket'", "cannot be combined with 'checkpointBucket' or 'checkpointRetentionDays'"],
    ['a shared bucket with a retention', { bucket: {} as SecureBucket, checkpointRetentionDays: 7 }, "'bucket'", "a shared bucket's lifecycle belongs to its owner"],
    ['a retention on an imported bucket', { checkpointBucket: { existingBucketName: 'ckpt' }, checkpointRetentionDays: 7 }, "'checkpointRetentionDays' (7)", 'has no effect on an imported bucket'],
    ['a retention of zero days', { checkpointRetentionDays: 0 }, "'checkpointRetentionDays' (0)", 'must be an integer from 1 to 3650'],
    ['a job name that is not a DNS label', { jobs: [{ name: 'ResNet' }] }, "'jobs[0].name' (\"ResNet\")", 'DNS-1035 label'],
    ['a repeated job name', { jobs: [{ name: 'resnet' }, { name: 'resnet' }] }, "'jobs[1].name' (\"resnet\")", 'must be unique'],
    ['a malformed service account', { jobs: [{ name: 'resnet', serviceAccount: 'Bad SA' }] }, "'jobs[0].serviceAccount' (\"Bad SA\")", 'DNS-1123 subdomain'],
    ['a checkpoint prefix without a trailing slash', { jobs: [{ name: 'resnet', checkpointPrefix: 'checkpoints/resnet' }] }, "'jobs[0].checkpointPrefix' (\"checkpoints/resnet\")", "ending with '/'"],
    ['a checkpoint prefix outside checkpoints/ in its own bucket', { jobs: [{ name: 'resnet', checkpointPrefix: 'models/resnet/' }] }, "'jobs[0].checkpointPrefix' (\"models/resnet/\")", "must start with 'checkpoints/'"],
    ['overlapping checkpoint prefixes', { jobs: [{ name: 'a', checkpointPrefix: 'checkpoints/a/' }, { name: 'b', checkpointPrefix: 'checkpoints/a/b/' }] }, "'jobs[1].checkpointPrefix' (\"checkpoints/a/b/\")", "overlaps the prefix of job 'a' (checkpoints/a/)"],
  ];
  for (const [what, args, ...fragments] of cases) {
    it(`rejects ${what} before registering anything`, async () => {
      const rec = await recorderReady;
      assert.throws(() => new SpotTrainingPoolAws('bad', { ...BASE, ...args }), (err: unknown) => {
        assert.ok(err instanceof ValidationError, `expected a ValidationError, got ${String(err)}`);
        assert.ok(err.message.startsWith(`${LABEL}: invalid '`), err.message);
        for (const fragment of fragments) {
          assert.ok(err.message.includes(fragment), `message ${JSON.stringify(err.message)} lacks ${JSON.stringify(fragment)}`);
        }
        return true;
      });
      await rec.settle();
      assert.equal(rec.resources.length, 0);
    });
  }
});

describe('SpotTrainingPoolAws training data access', () => {
  beforeEach(async () => (await recorderReady).reset());

  it('lets a job read its training data prefixes, read-only, besides its own checkpoints', async () => {
    const rec = await recorderReady;
    new SpotTrainingPoolAws('data', { ...BASE, jobs: [{ name: 'resnet', dataUris: ['s3://ml-datasets/imagenet/2026-10/'] }] });
    await rec.settle();
    assert.ok(rec.resources.length > 10);
    const policy = parsePolicy(rec.ofType('aws:iam/rolePolicy:RolePolicy').find((p) => p.name === 'data-resnet-irsa-policy')!.inputs.policy);
    const bySid = Object.fromEntries(policy.Statement.map((s) => [s.Sid, s]));
    assert.deepEqual(bySid.DataObjects0.Action, ['s3:GetObject']);
    assert.deepEqual(bySid.DataObjects0.Resource, ['arn:aws:s3:::ml-datasets/imagenet/2026-10/*']);
    assert.deepEqual(bySid.DataList0.Condition, { StringLike: { 's3:prefix': ['imagenet/2026-10/*'] } });
    const writes = policy.Statement.filter((s) => (s.Action as string[]).includes('s3:PutObject'));
    assert.ok(writes.every((s) => (s.Resource as string[]).every((r) => r.includes('/checkpoints/ml-train/resnet/'))), 'writes only to its checkpoints');
  });

  it('rejects a data location that is not an S3 prefix, registering nothing', async () => {
    const rec = await recorderReady;
    assert.throws(() => new SpotTrainingPoolAws('bad-data', { ...BASE, jobs: [{ name: 'resnet', dataUris: ['s3://ml-datasets/imagenet.tar'] }] }),
      (e: unknown) => e instanceof ValidationError && e.message.includes("'jobs[0].dataUris[0]' (\"s3://ml-datasets/imagenet.tar\"): must be a prefix: s3://bucket/prefix/"));
    await rec.settle();
    assert.equal(rec.resources.length, 0);
  });
});
