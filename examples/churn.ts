import { Chart } from 'cdk8s';
import { Construct } from 'constructs';
import { AutoscaledModel, CostPreset, EnvSource } from '../src';

/**
 * The guide's churn model in production: an autoscaled model service with the
 * PRODUCTION preset, a model card and a database password from AWS Secrets
 * Manager.
 */
export class ChurnChart extends Chart {
  /** The churn model service. */
  public readonly model: AutoscaledModel;

  constructor(scope: Construct, id = 'churn') {
    super(scope, id, { namespace: 'ml-churn' });
    this.model = new AutoscaledModel(this, 'churn-model', {
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
    });
  }
}
