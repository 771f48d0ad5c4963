// The platform team's Pulumi program: `pulumi up` in this folder's stack
// (for example org/platform/prod). Its outputs are the platform contract,
// one output per field, which team stacks read with PlatformReference.
//   pulumi config set clusterName / oidcProviderArn / oidcProviderUrl (as in examples/pulumi)
import { PlatformStack, clusterFromConfig, readServingStackConfig } from '../../src/pulumi';
import { SHARED_PLATFORM } from './platform';

const stack = new PlatformStack('platform', { cluster: clusterFromConfig(readServingStackConfig()), platform: SHARED_PLATFORM });

export const { contractVersion, cluster, namespaces, preset, featureStore, buckets, disasterRecovery, gateway, monitoring } = stack.outputs;
