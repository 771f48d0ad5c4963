// The churn serving platform on AWS for an existing EKS cluster:
//   pulumi login --local && pulumi stack init dev
//   pulumi config set clusterName <eks cluster>
//   pulumi config set oidcProviderArn <arn>   # aws eks describe-cluster ... / IAM console
//   pulumi config set oidcProviderUrl <issuer url>
//   pulumi config set --secret kubeconfig "$(cat ~/.kube/config)"   # optional
//   pulumi up
// `npm run plan` prints what it would create, offline, under mocks.
import { servingStackFromConfig } from '../../src/pulumi';
import { CHURN_MODEL, CHURN_NAMESPACE } from '../churn';

const stack = servingStackFromConfig('churn', [CHURN_MODEL], undefined, { namespace: CHURN_NAMESPACE });

/** Name of the model artifact bucket: upload the model to `modelUris[...]`. */
export const artifactBucket = stack.artifacts.bucketName;
/** IRSA role ARN and artifact URI per model. */
export const bindings = stack.bindings;
