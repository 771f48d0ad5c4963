import { GatewayRef, ModelCard, ModelVersion } from '../../src';

/** The churn model version. */
export const VERSION: ModelVersion = {
  model: '1.2.0',
  trainingCommit: '9f1c2ab',
  dataVersion: 'churn-2026-11-01',
  hyperparameters: { max_depth: 6, learning_rate: 0.1 },
};

/** A complete model card. */
export const CARD: ModelCard = {
  purpose: 'Predict which customers will cancel within 30 days.',
  trainingData: 'Customer activity 2024-01..2026-10, 1.2M rows.',
  metrics: { auc: 0.91, recall_at_10pct: 0.62 },
  limitations: 'Not calibrated for accounts younger than 30 days.',
  intendedUse: 'Ranking customers for retention offers.',
  notIntendedFor: 'Credit, pricing or employment decisions.',
};

export const IMAGE = 'myregistry.io/churn-model:v1.2.0';

/** A model gateway rendered elsewhere (Istio's default ingress gateway), for route tests that do not look at the edge. */
export const TEST_GATEWAY: GatewayRef = { name: 'models', namespace: 'istio-ingress', domain: 'models.example.com', selectorLabels: { istio: 'ingressgateway' }, port: 80 };
