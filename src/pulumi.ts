// AWS plane of ml-platform-constructs: Pulumi components, the cdk8s bridge and
// the Pulumi stacks. Import as `ml-platform-constructs/pulumi`; importing it
// loads @pulumi/pulumi (GitOps users who only synthesize never do).
export * from './aws/policy';
export * from './aws/secure-bucket';
export * from './aws/irsa-role';
export * from './aws/image-repository';
export * from './bridge/chart-deployment';
export * from './constructs/model-service-aws';
export * from './stacks/serving-stack';
export * from './constructs/spot-training-pool-aws';
export * from './constructs/backups-aws';
export * from './constructs/feature-store-aws';
export * from './constructs/drift-cron-job-aws';
export * from './stacks/platform-stack';
