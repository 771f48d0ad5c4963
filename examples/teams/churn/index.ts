// The churn team's Pulumi program (project `churn` of Pulumi.yaml here): its
// own stack (for example org/churn/prod), which reads the platform stack's
// contract, checked for shape and version, before it declares anything.
//   cd examples/teams/churn && pulumi stack init org/churn/prod
//   pulumi config set platformStack org/platform/prod
//   pulumi config set --secret kubeconfig "$(cat ~/.kube/config)"   # optional
import * as pulumi from '@pulumi/pulumi';
import { PlatformReference, TeamStack } from 'ml-platform-constructs/pulumi';
import { CHURN_TEAM, CHURN_TEAM_AB_TESTS, CHURN_TEAM_MODELS, CHURN_TEAM_TRAINING } from './team';

async function main(): Promise<Record<string, pulumi.Output<unknown>>> {
  const config = new pulumi.Config();
  const platform = await PlatformReference.fromStack(config.get('platformStack') ?? 'organization/platform/prod');
  const kubeconfig = config.getSecret('kubeconfig');
  const stack = new TeamStack(CHURN_TEAM, {
    platform, team: CHURN_TEAM, models: CHURN_TEAM_MODELS, abTests: CHURN_TEAM_AB_TESTS, trainingJobs: CHURN_TEAM_TRAINING,
    clusterAccess: kubeconfig ? { kubeconfig } : {},
  });
  return { bindings: stack.bindings };
}

/** The program's stack outputs (a Pulumi program may export a promise of them). */
export const outputs = main();
