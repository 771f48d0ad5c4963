import { Chart, Duration } from 'cdk8s';
import { Construct } from 'constructs';
import { AbTest, AutoscaledModel, CanaryRollout, CostPreset, ModelCard, ModelGateway, ModelService } from 'ml-platform-constructs';

const CARD: ModelCard = {
  purpose: 'Rank products for the home page of each signed-in shopper.',
  trainingData: 'Clickstream and orders 2025-11 to 2026-10, 48M sessions, snapshot ranking-2026-11-01.',
  metrics: { ndcg_at_10: 0.412, ctr_uplift_offline: 0.031 },
  limitations: 'Cold-start shoppers get popularity ranking; not trained on marketplace sellers.',
  intendedUse: 'Ordering the home page product grid.',
  notIntendedFor: 'Pricing, credit or any decision with legal effect on a person.',
};

/**
 * Progressive delivery: the ranking model rolls out by Argo Rollouts canary
 * (the guide's 5% -> 25% -> 50% -> 100% schedule, gated by Prometheus
 * analysis, routed by Istio), and a sticky A/B experiment compares two
 * re-rankers with a daily chi-square analysis job.
 */
export class RolloutChart extends Chart {
  constructor(scope: Construct, id = 'rollout') {
    super(scope, id, { namespace: 'ml-ranking' });
    const ranking = new AutoscaledModel(this, 'ranking-model', {
      image: 'myregistry.io/ranking-model:2.4.0',
      version: { model: '2.4.0', trainingCommit: 'c41d7e9', dataVersion: 'ranking-2026-11-01', hyperparameters: { layers: 4, embedding_dim: 128 } },
      preset: CostPreset.PRODUCTION,
      modelCard: CARD,
      slo: { latencyP99: Duration.millis(120) },
      // Continues the gateway's traces (OTEL_* environment) and exports spans to the collector.
      tracing: { otlpEndpoint: 'http://otel-collector.observability.svc:4318' },
    });
    // The edge: <model>.models.acme.example through an ALB onto Istio's ingress gateway; every route binds to it.
    const gateway = new ModelGateway(this, 'gateway', {
      domain: 'models.acme.example',
      loadBalancer: { certificateArns: ['arn:aws:acm:us-east-1:123456789012:certificate/0f6c3a7e-52d1-4b8e-9a1c-2d7e5f3b9c10'] },
      tracing: { provider: 'otel-tracing' },
    });
    new CanaryRollout(this, 'ranking-canary', { model: ranking, gateway });

    const control = new ModelService(this, 'reranker-a', {
      image: 'myregistry.io/reranker:1.0.3',
      version: { model: '1.0.3', trainingCommit: '0be55aa', dataVersion: 'rerank-2026-10-15' },
      preset: CostPreset.PRODUCTION,
      modelCard: { ...CARD, purpose: 'Re-rank the top 50 products by predicted purchase (control).' },
    });
    const treatment = new ModelService(this, 'reranker-b', {
      image: 'myregistry.io/reranker:1.1.0',
      version: { model: '1.1.0', trainingCommit: '7f3e210', dataVersion: 'rerank-2026-11-01' },
      preset: CostPreset.PRODUCTION,
      modelCard: { ...CARD, purpose: 'Re-rank the top 50 products by predicted purchase (treatment: adds session features).' },
    });
    new AbTest(this, 'reranker-ab', {
      experimentId: 'reranker-session-features',
      variants: [{ name: 'control', model: control, weight: 50 }, { name: 'session-features', model: treatment, weight: 50 }],
      design: { dailyUsers: 40000, baselineRate: 0.12, minDetectableEffect: 0.005, plannedDuration: Duration.days(14) },
      gateway,
      userId: { header: 'x-user-id', cookie: 'shopper_id' },
    });
  }
}
