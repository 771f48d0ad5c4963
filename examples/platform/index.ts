// The platform team's Pulumi program (project `platform` of Pulumi.yaml here):
// `pulumi up` in its stack, for example org/platform/prod. Its outputs are
// the platform contract, one output per field, which team stacks read with
// PlatformReference.
//   cd examples/platform && pulumi stack init org/platform/prod
//   pulumi config set clusterName / oidcProviderArn / oidcProviderUrl (as in examples/pulumi)
//   pulumi config set --secret kubeconfig "$(cat ~/.kube/config)"   # optional
import { PlatformStack, clusterFromConfig, readServingStackConfig } from '../../src/pulumi';
import { SHARED_PLATFORM } from './platform';

const stack = new PlatformStack('platform', { cluster: clusterFromConfig(readServingStackConfig()), platform: SHARED_PLATFORM });

export const { contractVersion, cluster, namespaces, preset, featureStore, buckets, disasterRecovery, gateway, monitoring, training } = stack.outputs;
