// The platform team's cluster add-ons, for both engines: which controllers the
// platform's and the teams' objects need, pinned, with their values. The
// GitOps half renders them as Argo CD Applications (dist/addons), the Pulumi
// half (index.ts) as Helm releases with the IAM roles they need.
import { AutoscaledModel, ExternalPrerequisite, PlatformAddonsChartProps, PlatformContract, PrerequisiteKind, requestRateMetricOf } from 'ml-platform-constructs';

/** What the example cluster has without the add-ons: EKS, Istio (with the ingress gateway's namespace), Argo CD and the Feast operator. */
export const EXTERNAL_PREREQUISITES: readonly ExternalPrerequisite[] = [
  ...['VirtualService', 'DestinationRule', 'Gateway', 'EnvoyFilter', 'AuthorizationPolicy', 'PeerAuthentication'].flatMap((kind) => ['networking.istio.io', 'security.istio.io']
    .map((group) => ({ kind: PrerequisiteKind.CRD, name: `${kind}.${group}`, providedBy: 'Istio (istioctl install, revision default)' }))),
  { kind: PrerequisiteKind.CRD, name: 'Telemetry.telemetry.istio.io', providedBy: 'Istio (istioctl install, revision default)' },
  { kind: PrerequisiteKind.NAMESPACE, name: 'istio-ingress', providedBy: 'Istio ingress gateway installation' },
  { kind: PrerequisiteKind.NAMESPACE, name: 'istio-system', providedBy: 'Istio (istioctl install)' },
  { kind: PrerequisiteKind.CRD, name: 'Application.argoproj.io', providedBy: 'Argo CD (the GitOps engine)' },
  { kind: PrerequisiteKind.NAMESPACE, name: 'argocd', providedBy: 'Argo CD (the GitOps engine)' },
  { kind: PrerequisiteKind.CRD, name: 'FeatureStore.feast.dev', providedBy: 'Feast operator (feast-dev/feast infra/feast-operator, v0.66)' },
  { kind: PrerequisiteKind.STORAGE_CLASS, name: 'gp3', providedBy: 'EKS: the EBS CSI driver add-on with a gp3 StorageClass' },
  { kind: PrerequisiteKind.NAMESPACE, name: 'kube-system', providedBy: 'Kubernetes' },
];

/**
 * The add-ons of the GitOps repository, from the platform's contract (one
 * cluster name, Prometheus' namespace and selector labels) and the teams'
 * models (the adapter serves each HPA's Pods metric from the model's own
 * request counter, probes excluded). The AWS values are literal here; in
 * the Pulumi path `PlatformAddonsStack` creates the roles and fills them in.
 */
export function gitOpsAddons(contract: PlatformContract, models: readonly AutoscaledModel[]): PlatformAddonsChartProps {
  const account = '123456789012';
  return {
    contract,
    kubePrometheusStack: {},
    argoRollouts: {},
    keda: {},
    prometheusAdapter: { requestRates: models.map((m) => requestRateMetricOf(m)) },
    karpenter: { roleArn: `arn:aws:iam::${account}:role/${contract.cluster.name}-karpenter`, interruptionQueue: `${contract.cluster.name}-karpenter` },
    velero: { roleArn: `arn:aws:iam::${account}:role/${contract.cluster.name}-velero`, bucket: 'acme-ml-velero-backups', region: 'us-east-1' },
    awsLoadBalancerController: { roleArn: `arn:aws:iam::${account}:role/${contract.cluster.name}-aws-load-balancer-controller`, vpcId: 'vpc-0a1b2c3d4e5f67890', region: 'us-east-1' },
    externalSecrets: { roleArn: `arn:aws:iam::${account}:role/${contract.cluster.name}-external-secrets` },
    external: EXTERNAL_PREREQUISITES,
  };
}
