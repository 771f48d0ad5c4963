import { Duration, Size } from 'cdk8s';
import { Cpu } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { CostPreset, CostPresetSettings, EnvSource, ModelPlatformChart, ModelPlatformProps, OfflineStore, OnlineStore, PlatformModel } from 'ml-platform-constructs';
import { exampleIdentity, exampleRoleArn } from './aws-identities';
import { CHURN_FEATURES } from './churn-feature-definitions';

/** Namespace of the churn platform. */
export const CHURN_NAMESPACE = 'ml-churn';

/**
 * The guide's churn model in production: autoscaled on the PRODUCTION preset
 * behind a canary rollout, with a model card, features from the feature
 * store, weekly drift detection with concept drift, and a database password
 * from AWS Secrets Manager.
 */
export const CHURN_MODEL: PlatformModel = {
  id: 'churn-model',
  image: 'myregistry.io/churn-model:v1.2.0',
  port: 8000,
  version: {
    model: '1.2.0',
    trainingCommit: '9f1c2ab',
    dataVersion: 'churn-2026-11-01',
    hyperparameters: { max_depth: 6, learning_rate: 0.1, n_estimators: 100 },
  },
  preset: CostPreset.PRODUCTION,
  modelCard: {
    purpose: 'Predict which subscribers will cancel within the next 30 days.',
    trainingData: 'Subscriber activity and billing events, 2024-01 to 2026-10 (1.2M subscribers), snapshot churn-2026-11-01.',
    metrics: { auc: 0.91, precision_at_10pct: 0.64, recall_at_10pct: 0.58 },
    limitations: 'Under-predicts churn for accounts younger than 30 days; not calibrated as a probability.',
    intendedUse: 'Ranking subscribers for retention offers by the customer success team.',
    notIntendedFor: 'Credit, pricing, or any decision with legal effect on a person.',
    ethicalConsiderations: 'Features exclude protected attributes; fairness is audited quarterly by segment.',
    owners: ['ml-churn@example.com'],
  },
  autoscaling: { minReplicas: 3, maxReplicas: 20, cpuUtilization: 70, memoryUtilization: 80, requestsPerSecond: 100 },
  env: {
    LOG_LEVEL: 'info',
    FEATURES_DB_PASSWORD: EnvSource.fromAwsSecretsManager('prod/churn/features-db', 'password'),
  },
  networkPolicy: {
    allowFrom: [{ namespace: 'istio-ingress', podLabels: { istio: 'ingressgateway' } }, {}],
  },
  features: { featureService: 'churn_v1' },
  drift: {
    reference: { uri: 's3://acme-ml-churn-data/training/churn-2026-11-01.parquet' },
    current: { uri: 's3://acme-ml-churn-data/production/last-7-days.parquet' },
    features: [
      { name: 'tenure_months', type: 'numeric' },
      { name: 'monthly_charges', type: 'numeric' },
      { name: 'support_tickets_90d', type: 'numeric' },
      { name: 'plan', type: 'categorical' },
      { name: 'region', type: 'categorical' },
    ],
    labels: { prediction: 'predicted_churn', actual: 'churned', baselineAccuracy: 0.87 },
  },
};

/** The shared feature store of the churn platform (the presets' default stores). */
export const CHURN_FEATURE_STORE = { name: 'churn-features', project: 'churn', features: CHURN_FEATURES };

/** The churn platform: the model, a shared feature store, backups from the DR policy, and spot training. */
export const CHURN_PLATFORM: Omit<ModelPlatformProps, 'aws'> = {
  namespace: CHURN_NAMESPACE,
  preset: CostPreset.PRODUCTION,
  models: [CHURN_MODEL],
  // The edge: churn-model.models.acme.example through an ALB (ACM certificate) onto Istio's ingress gateway.
  gateway: { domain: 'models.acme.example', loadBalancer: { certificateArns: ['arn:aws:acm:us-east-1:123456789012:certificate/0f6c3a7e-52d1-4b8e-9a1c-2d7e5f3b9c10'] } },
  featureStore: CHURN_FEATURE_STORE,
  // The guide: RTO under 1 hour; hourly backups; a month of history; copies in a second region.
  disasterRecovery: { rpo: Duration.hours(1), rto: Duration.hours(1), retention: Duration.days(30), drRegion: 'us-west-2' },
  backups: { drill: {} },
  training: {
    pool: {
      name: 'churn-training',
      clusterName: 'prod-eks',
      nodeRole: 'KarpenterNodeRole-prod-eks',
      limits: { cpu: 64, memory: Size.gibibytes(256) },
      onDemandFallback: { after: Duration.minutes(30) },
    },
    jobs: {
      'churn-train': {
        image: 'myregistry.io/churn-trainer:1.3.0',
        args: ['--data', 's3://acme-ml-churn-data/training/', '--epochs', '50'],
        resources: { cpu: { request: Cpu.units(8), limit: Cpu.units(8) }, memory: { request: Size.gibibytes(30), limit: Size.gibibytes(30) } },
        checkpoint: { uri: 's3://acme-ml-churn-checkpoints/churn-train/', interval: Duration.minutes(10) },
      },
    },
    dataUris: { 'churn-train': ['s3://acme-ml-churn-data/training/'] },
  },
};

/** Variations of the churn platform (the cost comparison renders it under every preset). */
export interface ChurnVariant {
  /** Preset of the whole platform. @default CHURN_PLATFORM's */
  readonly preset?: CostPresetSettings;
  /** Changes every model. @default - none */
  readonly models?: (model: PlatformModel) => PlatformModel;
}

/** The churn platform for GitOps (`cdk8s synth`): store locations given explicitly (the Pulumi stack fills them in). */
export class ChurnChart extends ModelPlatformChart {
  constructor(scope: Construct, id = 'churn', variant: ChurnVariant = {}) {
    super(scope, id, {
      ...CHURN_PLATFORM,
      preset: variant.preset ?? CHURN_PLATFORM.preset,
      models: CHURN_PLATFORM.models.map(variant.models ?? ((m) => m)),
      featureStore: {
        ...CHURN_FEATURE_STORE,
        onlineStore: OnlineStore.dynamoDb({ region: 'us-east-1', tableNamePrefix: 'churn-features.' }),
        offlineStore: OfflineStore.file({ baseUri: 's3://acme-ml-churn-features/offline/' }),
        registry: { path: 's3://acme-ml-churn-features/registry/registry.db' },
        awsIdentity: exampleIdentity('churn-platform-features'),
      },
      // Every workload that calls AWS gets its IRSA role from the typed example config.
      aws: {
        driftRoles: { [CHURN_MODEL.id]: exampleRoleArn('churn-model-drift') },
        training: { jobs: { 'churn-train': { roleArn: exampleRoleArn('churn-train'), checkpointUri: 's3://acme-ml-churn-checkpoints/churn-train/' } } },
      },
    });
  }
}
