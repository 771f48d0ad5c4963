// The platform team's part of the example repository: one PlatformChart
// (namespaces of the platform and of every team, the shared feature store,
// backups from one DR policy, the spot training pool) and the typed contract
// the teams build on, for both engines (cdk8s here, Pulumi in index.ts).
import { Duration, Size } from 'cdk8s';
import { CostPreset, GatewayRef, ModelGatewayProps, OfflineStore, OnlineStore, PlatformChartProps } from 'ml-platform-constructs';
import { CHURN_FEATURE_STORE } from '../churn';
import { exampleIdentity } from '../aws-identities';

/** The platform's own namespace. */
export const PLATFORM_NAMESPACE = 'ml-platform';

/** The spot training pool the platform offers the teams (their jobs run in their own namespaces; see examples/teams/churn). */
export const TRAINING_POOL = 'spot-training';

/** The model gateway: `<model>.models.acme.example` through an internet-facing ALB (ACM wildcard certificate) onto Istio's ingress gateway. */
export const MODEL_GATEWAY: ModelGatewayProps = {
  domain: 'models.acme.example',
  namespace: 'istio-ingress',
  loadBalancer: { certificateArns: ['arn:aws:acm:us-east-1:123456789012:certificate/0f6c3a7e-52d1-4b8e-9a1c-2d7e5f3b9c10'] },
  tracing: { provider: 'otel-tracing' },
};

/** The gateway as a chart outside the platform's references it (teams get it from the contract: `TeamChart` binds to the contract's gateway). */
export const MODEL_GATEWAY_REF: GatewayRef = {
  name: 'models', namespace: 'istio-ingress', domain: 'models.acme.example', selectorLabels: { istio: 'ingressgateway' }, port: 80,
};

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
  modelGateway: MODEL_GATEWAY,
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
    awsIdentity: exampleIdentity('platform-features'),
  },
};
