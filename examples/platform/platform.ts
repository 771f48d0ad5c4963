// The platform team's part of the example repository: one PlatformChart
// (namespaces of the platform and of every team, the shared feature store,
// backups from one DR policy, the spot training pool) and the typed contract
// the teams build on, for both engines (cdk8s here, Pulumi in index.ts).
import { Duration, Size } from 'cdk8s';
import { CostPreset, OfflineStore, OnlineStore, PlatformChartProps } from '../../src';
import { CHURN_FEATURE_STORE } from '../churn';

/** The platform's own namespace. */
export const PLATFORM_NAMESPACE = 'ml-platform';

/** The spot training pool the platform offers the teams (their jobs run in their own namespaces; see examples/teams/churn). */
export const TRAINING_POOL = 'spot-training';

/** The platform as the platform team configures it (the cluster and buckets come from the stack, or below for GitOps). */
export const SHARED_PLATFORM: Omit<PlatformChartProps, 'cluster' | 'buckets' | 'aws'> = {
  namespace: PLATFORM_NAMESPACE,
  teams: { churn: 'ml-churn' },
  preset: CostPreset.PRODUCTION,
  featureStore: CHURN_FEATURE_STORE,
  disasterRecovery: { rpo: Duration.hours(1), rto: Duration.hours(1), retention: Duration.days(30), drRegion: 'us-west-2' },
  // No restore drill here: a drill proves a restore by services becoming ready, and the services are the teams'.
  // The pool only: the training jobs are the teams'. No on-demand fallback, whose controller would watch this namespace only.
  training: {
    pool: { name: TRAINING_POOL, clusterName: 'prod-eks', nodeRole: 'KarpenterNodeRole-prod-eks', limits: { cpu: 64, memory: Size.gibibytes(256) } },
  },
  gateway: { namespace: 'istio-ingress', podLabels: { istio: 'ingressgateway' } },
  monitoring: { namespace: 'monitoring', selectorLabels: { release: 'kube-prometheus-stack' } },
};

/** The same platform for `cdk8s synth`: the AWS names a GitOps repository states literally. */
export const GITOPS_PLATFORM: PlatformChartProps = {
  ...SHARED_PLATFORM,
  cluster: {
    name: 'prod-eks',
    oidcProviderArn: 'arn:aws:iam::123456789012:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE',
    oidcProviderUrl: 'https://oidc.eks.us-east-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE',
  },
  buckets: { artifacts: 'acme-ml-model-artifacts', reports: 'acme-ml-drift-reports', checkpoints: 'acme-ml-training-checkpoints' },
  featureStore: {
    ...CHURN_FEATURE_STORE,
    onlineStore: OnlineStore.dynamoDb({ region: 'us-east-1', tableNamePrefix: 'churn-features.' }),
    offlineStore: OfflineStore.file({ baseUri: 's3://acme-ml-churn-features/offline/' }),
    registry: { path: 's3://acme-ml-churn-features/registry/registry.db' },
  },
};
