// The platform team's Pulumi program (project `platform` of Pulumi.yaml here):
// `pulumi up` in its stack, for example org/platform/prod. Its outputs are
// the platform contract, one output per field, which team stacks read with
// PlatformReference.
//   cd examples/platform && pulumi stack init org/platform/prod
//   pulumi config set clusterName / oidcProviderArn / oidcProviderUrl / grafanaUrl / runbookBaseUrl (as in examples/pulumi)
//   pulumi config set --secret kubeconfig "$(cat ~/.kube/config)"   # optional
//   pulumi config set vpcId vpc-...   # optional: installs the AWS Load Balancer Controller
import * as pulumi from '@pulumi/pulumi';
import { requestRateMetricOf, resolveMonitoring } from 'ml-platform-constructs';
import { PlatformAddonsStack, PlatformStack, clusterFromConfig, linksFromConfig, readServingStackConfig } from 'ml-platform-constructs/pulumi';
import { SHARED_PLATFORM } from './platform';

const config = readServingStackConfig();
const clusterConfig = clusterFromConfig(config);
// One cluster name: the training pool's EC2NodeClass discovers subnets by the cluster the stack config names.
const pool = SHARED_PLATFORM.training && { ...SHARED_PLATFORM.training, pool: { ...SHARED_PLATFORM.training.pool, clusterName: clusterConfig.name } };
// PRODUCTION alerts link to absolute runbook and Grafana URLs (config grafanaUrl, runbookBaseUrl); the teams inherit them through the contract.
const stack = new PlatformStack('platform', { cluster: clusterConfig, platform: { ...SHARED_PLATFORM, training: pool }, links: linksFromConfig(config) });

// The controllers the platform's and the teams' objects need, pinned, with their IAM roles (the same charts and values as dist/addons).
const vpcId = new pulumi.Config().get('vpcId');
const addons = new PlatformAddonsStack('platform-addons', {
  platform: stack,
  kubePrometheusStack: {},
  argoRollouts: {},
  keda: {},
  // The teams' models use the default request metrics: the adapter serves their HPAs' http_requests_per_second.
  prometheusAdapter: { requestRates: [requestRateMetricOf({ monitoring: resolveMonitoring() })] },
  karpenter: {},
  velero: {},
  awsLoadBalancerController: vpcId ? { vpcId } : false,
});

/** Karpenter's `settings.interruptionQueue` (also in its Helm values). */
export const interruptionQueueName = addons.interruptionQueueName;

export const { contractVersion, cluster, namespaces, preset, featureStore, buckets, disasterRecovery, gateway, monitoring, training } = stack.outputs;
