// Public API of ml-platform-constructs (Kubernetes plane: cdk8s).
// The Pulumi components live behind the `ml-platform-constructs/pulumi` subpath
// so that a GitOps user who only runs `cdk8s synth` never loads Pulumi.
export * from './core/errors';
export * from './core/resources';
export * from './core/presets';
export * from './core/model-metadata';
export * from './core/env';
export * from './core/monitoring';
export * from './core/labels';
export * from './constructs/model-service';
export * from './constructs/autoscaled-model';
export * from './core/synth';
export * from './stacks/serving-chart';
export * from './constructs/canary-rollout';
export * from './core/istio';
export * from './constructs/node-script-job';
export * from './constructs/ab-test';
export * from './cost/prices';
export * from './cost/estimate';
export * from './core/runbooks';
export * from './core/documents';
export * from './constructs/spot-training-pool';
export * from './training/scheduling';
export * from './training/cost-profile';
export * from './cost/training';
export * from './core/disaster-recovery';
export * from './constructs/backups';
export * from './dr/runbook';
export * from './dr/restore-drill-script';
export * from './drift/config';
export * from './constructs/drift-cron-job';
export * from './features/definitions';
export * from './features/python';
export * from './features/schedule';
export * from './features/stores';
export * from './constructs/feature-store';
export * from './stacks/platform-chart';
