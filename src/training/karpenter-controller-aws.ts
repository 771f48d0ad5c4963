import * as pulumi from '@pulumi/pulumi';
import { PolicyStatement } from '../aws/policy';

/** What the Karpenter controller's policy is scoped to. */
export interface KarpenterControllerScope {
  /** EKS cluster name (`settings.clusterName`): the tag Karpenter puts on, and requires of, everything it manages. */
  readonly clusterName: string;
  /** AWS partition (`aws`, `aws-cn`, ...). */
  readonly partition: pulumi.Input<string>;
  /** Region of the cluster. */
  readonly region: pulumi.Input<string>;
  /** Account of the cluster. */
  readonly accountId: pulumi.Input<string>;
  /** ARN of the node role: the only role the controller may pass to instances. */
  readonly nodeRoleArn: pulumi.Input<string>;
  /** ARN of the interruption queue. @default - no queue statement */
  readonly interruptionQueueArn?: pulumi.Input<string>;
}

const EC2_CREATE = ['ec2:RunInstances', 'ec2:CreateFleet', 'ec2:CreateLaunchTemplate'];

/**
 * The Karpenter (v1) controller's IAM statements, following the
 * `KarpenterControllerPolicy` of Karpenter's reference CloudFormation
 * template (aws/karpenter-provider-aws,
 * `website/content/en/docs/getting-started/getting-started-with-karpenter/cloudformation.yaml`;
 * statement ids kept): EC2 launches and deletions only of resources tagged
 * `kubernetes.io/cluster/<cluster>: owned` with a `karpenter.sh/nodepool`
 * tag, regional reads, AMI parameters, prices, the interruption queue
 * (receive, delete, get URL), `iam:PassRole` on exactly the node role and
 * only to EC2, instance profile management only of profiles tagged for this
 * cluster, region and an EC2NodeClass, and `eks:DescribeCluster` of this
 * cluster.
 */
export function karpenterControllerStatements(s: KarpenterControllerScope): PolicyStatement[] {
  const ec2 = (type: string) => pulumi.interpolate`arn:${s.partition}:ec2:${s.region}:*:${type}/*`;
  const profiles = pulumi.interpolate`arn:${s.partition}:iam::${s.accountId}:instance-profile/*`;
  const owned = (scope: 'RequestTag' | 'ResourceTag') => ({ [`aws:${scope}/kubernetes.io/cluster/${s.clusterName}`]: 'owned' });
  const clusterTag = { 'aws:RequestTag/eks:eks-cluster-name': s.clusterName };
  const nodePool = (scope: 'RequestTag' | 'ResourceTag') => ({ [`aws:${scope}/karpenter.sh/nodepool`]: '*' });
  const nodeClass = (scope: 'RequestTag' | 'ResourceTag') => ({ [`aws:${scope}/karpenter.k8s.aws/ec2nodeclass`]: '*' });
  const region = (scope: 'RequestTag' | 'ResourceTag') => ({ [`aws:${scope}/topology.kubernetes.io/region`]: s.region });
  const created = ['fleet', 'instance', 'volume', 'network-interface', 'launch-template', 'spot-instances-request'].map(ec2);
  const statements: PolicyStatement[] = [
    {
      sid: 'AllowScopedEC2InstanceAccessActions', actions: ['ec2:RunInstances', 'ec2:CreateFleet'],
      resources: [pulumi.interpolate`arn:${s.partition}:ec2:${s.region}::image/*`, pulumi.interpolate`arn:${s.partition}:ec2:${s.region}::snapshot/*`,
        ...['security-group', 'subnet', 'capacity-reservation'].map(ec2)],
    },
    {
      sid: 'AllowScopedEC2LaunchTemplateAccessActions', actions: ['ec2:RunInstances', 'ec2:CreateFleet'], resources: [ec2('launch-template')],
      conditions: { StringEquals: owned('ResourceTag'), StringLike: nodePool('ResourceTag') },
    },
    {
      sid: 'AllowScopedEC2InstanceActionsWithTags', actions: EC2_CREATE, resources: created,
      conditions: { StringEquals: { ...owned('RequestTag'), ...clusterTag }, StringLike: nodePool('RequestTag') },
    },
    {
      sid: 'AllowScopedResourceCreationTagging', actions: ['ec2:CreateTags'], resources: created,
      conditions: { StringEquals: { ...owned('RequestTag'), ...clusterTag, 'ec2:CreateAction': EC2_CREATE.map((a) => a.replace('ec2:', '')) }, StringLike: nodePool('RequestTag') },
    },
    {
      sid: 'AllowScopedResourceTagging', actions: ['ec2:CreateTags'], resources: [ec2('instance')],
      conditions: {
        StringEquals: owned('ResourceTag'), StringLike: nodePool('ResourceTag'), StringEqualsIfExists: clusterTag,
        'ForAllValues:StringEquals': { 'aws:TagKeys': ['eks:eks-cluster-name', 'karpenter.sh/nodeclaim', 'Name'] },
      },
    },
    {
      sid: 'AllowScopedDeletion', actions: ['ec2:TerminateInstances', 'ec2:DeleteLaunchTemplate'], resources: [ec2('instance'), ec2('launch-template')],
      conditions: { StringEquals: owned('ResourceTag'), StringLike: nodePool('ResourceTag') },
    },
    {
      sid: 'AllowRegionalReadActions',
      actions: ['ec2:DescribeCapacityReservations', 'ec2:DescribeImages', 'ec2:DescribeInstances', 'ec2:DescribeInstanceTypeOfferings', 'ec2:DescribeInstanceTypes',
        'ec2:DescribeLaunchTemplates', 'ec2:DescribeSecurityGroups', 'ec2:DescribeSpotPriceHistory', 'ec2:DescribeSubnets'],
      resources: ['*'], conditions: { StringEquals: { 'aws:RequestedRegion': s.region } },
    },
    { sid: 'AllowSSMReadActions', actions: ['ssm:GetParameter'], resources: [pulumi.interpolate`arn:${s.partition}:ssm:${s.region}::parameter/aws/service/*`] },
    { sid: 'AllowPricingReadActions', actions: ['pricing:GetProducts'], resources: ['*'] },
    ...(s.interruptionQueueArn !== undefined ? [{
      sid: 'AllowInterruptionQueueActions', actions: ['sqs:DeleteMessage', 'sqs:GetQueueUrl', 'sqs:ReceiveMessage'], resources: [s.interruptionQueueArn],
    }] : []),
    {
      sid: 'AllowPassingInstanceRole', actions: ['iam:PassRole'], resources: [s.nodeRoleArn],
      conditions: { StringEquals: { 'iam:PassedToService': 'ec2.amazonaws.com' } },
    },
    {
      sid: 'AllowScopedInstanceProfileCreationActions', actions: ['iam:CreateInstanceProfile'], resources: [profiles],
      conditions: { StringEquals: { ...owned('RequestTag'), ...clusterTag, ...region('RequestTag') }, StringLike: nodeClass('RequestTag') },
    },
    {
      sid: 'AllowScopedInstanceProfileTagActions', actions: ['iam:TagInstanceProfile'], resources: [profiles],
      conditions: {
        StringEquals: { ...owned('ResourceTag'), ...region('ResourceTag'), ...owned('RequestTag'), ...clusterTag, ...region('RequestTag') },
        StringLike: { ...nodeClass('ResourceTag'), ...nodeClass('RequestTag') },
      },
    },
    {
      sid: 'AllowScopedInstanceProfileActions', actions: ['iam:AddRoleToInstanceProfile', 'iam:RemoveRoleFromInstanceProfile', 'iam:DeleteInstanceProfile'], resources: [profiles],
      conditions: { StringEquals: { ...owned('ResourceTag'), ...region('ResourceTag') }, StringLike: nodeClass('ResourceTag') },
    },
    { sid: 'AllowInstanceProfileReadActions', actions: ['iam:GetInstanceProfile'], resources: [profiles] },
    { sid: 'AllowUnscopedInstanceProfileListAction', actions: ['iam:ListInstanceProfiles'], resources: ['*'] },
    { sid: 'AllowAPIServerEndpointDiscovery', actions: ['eks:DescribeCluster'], resources: [pulumi.interpolate`arn:${s.partition}:eks:${s.region}:${s.accountId}:cluster/${s.clusterName}`] },
  ];
  return statements;
}
