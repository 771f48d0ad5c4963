// The churn platform on AWS for an existing EKS cluster: every AWS resource
// the platform needs, and the same Kubernetes objects `cdk8s synth` renders
// (examples/churn.ts), applied through the bridge with the AWS values filled in.
//   pulumi login --local && pulumi stack init dev
//   pulumi config set clusterName <eks cluster>
//   pulumi config set oidcProviderArn <arn>
//   pulumi config set oidcProviderUrl <issuer url>
//   pulumi config set grafanaUrl https://grafana.example.com          # alerts' dashboard_url
//   pulumi config set runbookBaseUrl https://github.com/<org>/<gitops repo>/blob/main/dist/runbooks
//   pulumi config set --secret kubeconfig "$(cat ~/.kube/config)"   # optional
//   pulumi up
// `npm run plan` prints what it would create, offline, under mocks.
import { platformStackFromConfig } from 'ml-platform-constructs/pulumi';
import { CHURN_PLATFORM } from '../churn';

const stack = platformStackFromConfig('churn', CHURN_PLATFORM);

/** Name of the model artifact bucket: upload each model under its `modelUri`. */
export const artifactBucket = stack.artifacts.bucketName;
/** Every AWS value the Kubernetes objects received (role ARNs, artifact URIs, store endpoints). */
export const bindings = stack.bindings;
