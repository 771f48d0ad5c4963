// AWS plane of ml-platform-constructs: Pulumi components, the cdk8s bridge and
// the Pulumi stacks. Import as `ml-platform-constructs/pulumi`; importing it
// loads @pulumi/pulumi (GitOps users who only synthesize never do).
// First: fails with what to install when the optional Pulumi peer packages are missing.
import './aws/peers';
export * from './aws/policy';
export * from './aws/secure-bucket';
export * from './aws/irsa-role';
export * from './aws/pod-identity-role';
export * from './aws/image-repository';
export * from './bridge/chart-deployment';
export * from './serving/model-service-aws';
export * from './platform/serving-stack';
export * from './training/spot-training-pool-aws';
export * from './dr/backups-aws';
export * from './features/feature-store-aws';
export * from './drift/drift-cron-job-aws';
export * from './drift/drift-athena-aws';
export * from './platform/platform-stack';
export * from './platform/platform-reference-stack';
export * from './platform/shared-stack';
export * from './platform/team-stack';
export * from './training/karpenter-controller-aws';
export * from './platform/addons/load-balancer-controller-policy-aws';
export * from './platform/addons/addons-stack';
export * from './traffic/edge-waf-aws';
