import { Construct } from 'constructs';
import { CostPreset, EnvSource } from '../src';
import { ServingChart, ServingModel } from '../src/stacks/serving-chart';

/**
 * The guide's churn model in production: autoscaled on the PRODUCTION preset,
 * with a model card and a database password from AWS Secrets Manager. Shared
 * by the cdk8s app (GitOps) and the Pulumi program, so both render the same
 * objects with the same names.
 */
export const CHURN_MODEL: ServingModel = {
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
};

/** Namespace of the churn platform. */
export const CHURN_NAMESPACE = 'ml-churn';

/** The churn serving chart for GitOps (`cdk8s synth`). */
export class ChurnChart extends ServingChart {
  constructor(scope: Construct, id = 'churn') {
    super(scope, id, { namespace: CHURN_NAMESPACE, models: [CHURN_MODEL] });
  }
}
