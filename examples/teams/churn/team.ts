// The churn team's part of the example repository: its models, an A/B test
// between two of them and a training job on the platform's spot pool, all on
// the shared platform from its typed contract (never strings copied by hand).
import { Duration, Size } from 'cdk8s';
import { Cpu } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { PlatformContract, PlatformModel, TeamAbTest, TeamChart, TeamTrainingJob } from 'ml-platform-constructs';
import { CHURN_MODEL } from '../../churn';
import { TRAINING_POOL } from '../../platform/platform';
import { exampleRoleArn } from '../../aws-identities';

/** The team's id in the platform's contract. */
export const CHURN_TEAM = 'churn';

/** A retention-offer ranker of the experiment: no canary, the experiment owns its routes. */
function offerModel(id: string, image: string, model: string, purpose: string): PlatformModel {
  return {
    id,
    image,
    port: 8000,
    version: { model, trainingCommit: model === '1.0.0' ? '3b9d0e1' : '8c2f4a7', dataVersion: 'offers-2026-11-01' },
    modelCard: {
      purpose,
      trainingData: 'Retention offers shown and accepted, 2025-06 to 2026-10, snapshot offers-2026-11-01.',
      metrics: { acceptance_auc: model === '1.0.0' ? 0.71 : 0.74 },
      limitations: 'Only offers of the current catalogue; no new-customer offers.',
      intendedUse: 'Choosing the retention offer shown to a subscriber the churn model flags.',
      notIntendedFor: 'Pricing or any decision with legal effect on a person.',
    },
    autoscaling: { minReplicas: 2, maxReplicas: 6, cpuUtilization: 70 },
    canary: false,
  };
}

/** The churn team's models: the churn model of the single-chart example, and the two offer rankers the experiment compares. */
export const CHURN_TEAM_MODELS: readonly PlatformModel[] = [
  CHURN_MODEL,
  offerModel('offer-ranker', 'myregistry.io/offer-ranker:1.0.0', '1.0.0', 'Rank retention offers by predicted acceptance (control).'),
  offerModel('offer-ranker-uplift', 'myregistry.io/offer-ranker:1.1.0', '1.1.0', 'Rank retention offers by predicted uplift (treatment).'),
];

/** The experiment: half the flagged subscribers get offers ranked by uplift, for two weeks. */
export const CHURN_TEAM_AB_TESTS: readonly TeamAbTest[] = [{
  experimentId: 'offer-uplift',
  variants: [{ name: 'control', model: 'offer-ranker', weight: 50 }, { name: 'uplift', model: 'offer-ranker-uplift', weight: 50 }],
  design: { dailyUsers: 20000, baselineRate: 0.18, minDetectableEffect: 0.01, plannedDuration: Duration.days(14) },
}];

/** The weekly retraining of the churn model, on the platform's spot pool; it checkpoints to its prefix of the platform's bucket. */
export const CHURN_TEAM_TRAINING: Readonly<Record<string, TeamTrainingJob>> = {
  'churn-retrain': {
    pool: TRAINING_POOL,
    image: 'myregistry.io/churn-trainer:1.3.0',
    args: ['--data', 's3://acme-ml-churn-data/training/', '--epochs', '50'],
    resources: { cpu: { request: Cpu.units(8), limit: Cpu.units(8) }, memory: { request: Size.gibibytes(30), limit: Size.gibibytes(30) } },
    checkpoint: { interval: Duration.minutes(10) },
    dataUris: ['s3://acme-ml-churn-data/training/'],
  },
};

/** The churn team's chart for `cdk8s synth`, on the contract the platform's synth wrote (or `PlatformChart.contract`). */
export function churnTeamChart(scope: Construct, platform: PlatformContract): TeamChart {
  return new TeamChart(scope, CHURN_TEAM, {
    team: CHURN_TEAM, platform, models: CHURN_TEAM_MODELS, abTests: CHURN_TEAM_AB_TESTS, trainingJobs: CHURN_TEAM_TRAINING,
    // The drift check and the retraining call S3: their IRSA roles from the typed example config (the Pulumi TeamStack fills these in).
    aws: {
      driftRoles: { [CHURN_MODEL.id]: exampleRoleArn('churn-team-drift') },
      trainingJobs: {
        'churn-retrain': {
          roleArn: exampleRoleArn('churn-retrain'),
          checkpointUri: `s3://${platform.buckets.checkpoints}/checkpoints/${platform.namespaces.teams[CHURN_TEAM] ?? CHURN_TEAM}/churn-retrain/`,
        },
      },
    },
  });
}
