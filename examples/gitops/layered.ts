// The example repository split by ownership, as `cdk8s synth` writes it:
//   dist/platform/           the platform team's chart
//   dist/contracts/platform.json  its typed contract (outside the applied folders: Argo CD would parse a .json there as a manifest)
//   dist/teams/churn/        the churn team's chart, built from that contract file
//   dist/gitops/argocd/      an Argo CD Application per folder, in sync waves
//   dist/gitops/flux/        the same as Flux Kustomizations with dependsOn
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, YamlOutputType } from 'cdk8s';
import {
  ArgoCdApplications, FluxKustomizations, GitOpsFolder, PlatformAddonsChart, PlatformChart, PrerequisitesReport, SyncWave, TeamChart, platformFolder,
  readPlatformContract, setObservabilityLinks, synthObjects, teamFolder, writePrerequisites,
} from 'ml-platform-constructs';
import { gitOpsAddons } from '../platform/addons';
import { EXAMPLE_LINKS } from '../links';
import { GITOPS_PLATFORM } from '../platform/platform';
import { churnTeamChart } from '../teams/churn/team';

/** The repository the GitOps controllers read. */
export const GITOPS_REPO = { repoUrl: 'https://github.com/acme/ml-platform-deploy.git', revision: 'main' };

/** What {@link buildLayeredExamples} built. */
export interface LayeredExamples {
  readonly platform: PlatformChart;
  readonly team: TeamChart;
  readonly argoCd: ArgoCdApplications;
  readonly flux: FluxKustomizations;
  /** The folders, as the GitOps charts list them. */
  readonly folders: readonly GitOpsFolder[];
  /** The cluster add-ons (Argo CD Applications of pinned Helm charts). */
  readonly addons: PlatformAddonsChart;
  /** What the manifests need from the cluster, each provided by an add-on or declared external. */
  readonly prerequisites: PrerequisitesReport;
}

function app(outdir: string): App {
  const result = new App({ outdir, yamlOutputType: YamlOutputType.FILE_PER_CHART, outputFileExtension: '.k8s.yaml' });
  setObservabilityLinks(result, EXAMPLE_LINKS);
  return result;
}

/** Synthesizes the platform, the churn team and the GitOps applications into folders of `outdir`, in that order. */
export function buildLayeredExamples(outdir: string): LayeredExamples {
  const platformApp = app(join(outdir, 'platform'));
  const platform = new PlatformChart(platformApp, 'platform', GITOPS_PLATFORM);
  platformApp.synth();
  mkdirSync(join(outdir, 'contracts'), { recursive: true });
  const contractFile = join(outdir, 'contracts', 'platform.json');
  writeFileSync(contractFile, `${JSON.stringify(platform.contract, null, 2)}\n`);

  // The team reads the file the platform wrote: in a real repository, its own synth in its own folder.
  const teamApp = app(join(outdir, 'teams', 'churn'));
  const team = churnTeamChart(teamApp, readPlatformContract(contractFile));
  teamApp.synth();

  // The add-ons the platform's and the team's objects need (dist/addons), and the check that the cluster
  // gets everything they need: dist/prerequisites.md and .json; synthesis fails on anything missing.
  const addonsApp = app(join(outdir, 'addons'));
  const addons = new PlatformAddonsChart(addonsApp, 'addons', gitOpsAddons(platform.contract, Object.values(team.models)));
  addonsApp.synth();
  const prerequisites = addons.checkPrerequisites([platformApp, teamApp, addonsApp].flatMap((a) => synthObjects(a)));
  writePrerequisites(outdir, prerequisites);

  const folders: GitOpsFolder[] = [
    // The platform team's add-ons (Argo Rollouts, Istio, Karpenter, KEDA, Velero, kube-prometheus-stack,
    // External Secrets, the Feast operator): their CRDs must exist before any object that uses them.
    { name: 'cluster-addons', path: 'dist/addons', namespace: 'argocd', wave: SyncWave.ADDONS },
    platformFolder(platform, 'dist/platform'),
    teamFolder(team, 'dist/teams/churn'),
  ];
  const gitopsApp = app(join(outdir, 'gitops', 'argocd'));
  const argoCd = new ArgoCdApplications(gitopsApp, 'applications', { ...GITOPS_REPO, folders });
  gitopsApp.synth();
  const fluxApp = app(join(outdir, 'gitops', 'flux'));
  const flux = new FluxKustomizations(fluxApp, 'kustomizations', { ...GITOPS_REPO, folders });
  fluxApp.synth();
  return { platform, team, argoCd, flux, folders, addons, prerequisites };
}
