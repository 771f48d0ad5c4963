// The churn team's part of the example repository: its models on the shared
// platform, from the platform's typed contract (never strings copied by hand).
import { PlatformContract, PlatformModel, TeamChart } from '../../../src';
import { Construct } from 'constructs';
import { CHURN_MODEL } from '../../churn';

/** The team's id in the platform's contract. */
export const CHURN_TEAM = 'churn';
/** The churn team's models: the same model as the single-chart example. */
export const CHURN_TEAM_MODELS: readonly PlatformModel[] = [CHURN_MODEL];

/** The churn team's chart for `cdk8s synth`, on the contract the platform's synth wrote (or `PlatformChart.contract`). */
export function churnTeamChart(scope: Construct, platform: PlatformContract): TeamChart {
  return new TeamChart(scope, CHURN_TEAM, { team: CHURN_TEAM, platform, models: CHURN_TEAM_MODELS });
}
