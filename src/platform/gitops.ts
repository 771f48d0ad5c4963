import { Chart } from 'cdk8s';
import { Construct } from 'constructs';
import { Application, ApplicationSpecIgnoreDifferences } from '../../imports/application-argoproj.io';
import { Kustomization, KustomizationSpecSourceRefKind } from '../../imports/kustomization-kustomize.toolkit.fluxcd.io';
import { PropsValidator } from '../core/errors';
import { checkChartAtSynth } from '../core/chart-checks';
import { PlatformChart } from './shared-chart';
import { TeamChart } from './team-chart';

/**
 * Sync waves of the GitOps applications: cluster add-ons and their CRDs
 * (Argo Rollouts, Istio, Karpenter, KEDA, Velero, the Prometheus operator,
 * External Secrets, Feast) first, then the platform, then the teams.
 * Argo CD syncs lower waves first (`argocd.argoproj.io/sync-wave`, default
 * 0, negative allowed), applying a wave only when every resource of the
 * waves before it is synced and healthy
 * (https://argo-cd.readthedocs.io/en/stable/user-guide/sync-waves/).
 */
export enum SyncWave {
  /** CRDs and cluster add-ons (operators, controllers). */
  ADDONS = -10,
  /** The platform: namespaces, feature store, backups, training pool. */
  PLATFORM = 0,
  /** The teams' models. */
  TEAMS = 10,
}

/** One folder of the GitOps repository, applied as one unit. */
export interface GitOpsFolder {
  /** Name of the Application / Kustomization. */
  readonly name: string;
  /** Path of the folder in the repository. */
  readonly path: string;
  /** Namespace its objects default to. */
  readonly namespace: string;
  /** When it is applied. */
  readonly wave: SyncWave | number;
  /** Fields other controllers own (Argo CD `ignoreDifferences`). @default - none */
  readonly ignoreDifferences?: ReadonlyArray<Record<string, unknown>>;
}

/** The folder of a {@link PlatformChart}, in the platform wave. */
export function platformFolder(chart: PlatformChart, path: string, name = `${chart.contract.namespaces.platform}-platform`): GitOpsFolder {
  return { name, path, namespace: chart.contract.namespaces.platform, wave: SyncWave.PLATFORM };
}

/**
 * The folder of a {@link TeamChart}, in the teams' wave, with the
 * `ignoreDifferences` each of its canaries needs (the VirtualService routes
 * and DestinationRule subsets Argo Rollouts edits while it works:
 * `CanaryRollout.argoCdIgnoreDifferences()`).
 */
export function teamFolder(chart: TeamChart, path: string, name = chart.teamNamespace): GitOpsFolder {
  return {
    name, path, namespace: chart.teamNamespace, wave: SyncWave.TEAMS,
    ignoreDifferences: Object.values(chart.canaries).flatMap((c) => c.argoCdIgnoreDifferences()),
  };
}

/** Where the folders are. */
export interface GitOpsSource {
  /** URL of the Git repository. */
  readonly repoUrl: string;
  /** Branch, tag or commit. @default 'main' */
  readonly revision?: string;
}

/** Properties of an {@link ArgoCdApplications} chart. */
export interface ArgoCdApplicationsProps extends GitOpsSource {
  /** The folders, one Application each. */
  readonly folders: readonly GitOpsFolder[];
  /** Namespace Argo CD runs in (and its Applications live in). @default 'argocd' */
  readonly argoCdNamespace?: string;
  /** Argo CD project. @default 'default' */
  readonly project?: string;
  /** API server of the destination cluster. @default 'https://kubernetes.default.svc' (the cluster Argo CD runs in) */
  readonly server?: string;
  /** Sync automatically, pruning and self-healing. @default true */
  readonly automated?: boolean;
}

/**
 * An Argo CD Application per folder, for an app-of-apps: the chart's own
 * folder is synced by a root Application, which applies these in
 * {@link SyncWave} order.
 *
 * - `ServerSideApply=true`: client-side apply keeps the whole object in the
 *   `last-applied-configuration` annotation (256 KiB), which the drift
 *   checker's ConfigMap nearly fills
 *   (https://argo-cd.readthedocs.io/en/stable/user-guide/sync-options/#server-side-apply).
 * - `ignoreDifferences` with `RespectIgnoreDifferences=true`: without the
 *   option Argo CD ignores the fields only in its diff and still resets them
 *   on every sync, undoing Argo Rollouts' weights mid-canary
 *   (https://argo-cd.readthedocs.io/en/stable/user-guide/sync-options/#respect-ignore-difference-configs).
 * - The wave of a child Application waits for the previous wave's
 *   Applications to be healthy only if Argo CD assesses Application health:
 *   since Argo CD 1.8 that needs the `argoproj.io/Application` health check
 *   in `argocd-cm` (https://argo-cd.readthedocs.io/en/stable/operator-manual/upgrading/1.7-1.8/).
 */
export class ArgoCdApplications extends Chart {
  /** The Applications, by folder name. */
  public readonly applications: Readonly<Record<string, Application>>;

  constructor(scope: Construct, id: string, props: ArgoCdApplicationsProps) {
    const argoNs = props.argoCdNamespace ?? 'argocd';
    super(scope, id, { namespace: argoNs });
    checkChartAtSynth(this);
    validateFolders(new PropsValidator(this), props.folders);
    const applications: Record<string, Application> = {};
    for (const f of sortedFolders(props.folders)) {
      const ignore = (f.ignoreDifferences ?? []).map(toIgnoreDifference);
      applications[f.name] = new Application(this, f.name, {
        metadata: { name: f.name, namespace: argoNs, annotations: { 'argocd.argoproj.io/sync-wave': String(f.wave) } },
        spec: {
          project: props.project ?? 'default',
          source: { repoUrl: props.repoUrl, targetRevision: props.revision ?? 'main', path: f.path },
          destination: { server: props.server ?? 'https://kubernetes.default.svc', namespace: f.namespace },
          syncPolicy: {
            ...(props.automated ?? true ? { automated: { prune: true, selfHeal: true } } : {}),
            syncOptions: ['ServerSideApply=true', ...(ignore.length > 0 ? ['RespectIgnoreDifferences=true'] : [])],
          },
          ...(ignore.length > 0 ? { ignoreDifferences: ignore } : {}),
        },
      });
    }
    this.applications = applications;
  }
}

/** Properties of a {@link FluxKustomizations} chart. */
export interface FluxKustomizationsProps extends GitOpsSource {
  /** The folders, one Kustomization each. */
  readonly folders: readonly GitOpsFolder[];
  /** Namespace of the Kustomizations and the GitRepository. @default 'flux-system' */
  readonly fluxNamespace?: string;
  /** Name of the GitRepository of the repository (the one `flux bootstrap` creates is `flux-system`). @default 'flux-system' */
  readonly gitRepository?: string;
  /** Reconcile interval. @default '10m' */
  readonly interval?: string;
}

/**
 * A Flux Kustomization per folder, each `dependsOn` every folder of the
 * wave before it: Flux reconciles a Kustomization only once its
 * dependencies are Ready, and with `wait: true` a Kustomization is Ready
 * only when the objects it applied are healthy
 * (https://fluxcd.io/flux/components/kustomize/kustomizations/#dependencies).
 * Flux applies server-side always.
 */
export class FluxKustomizations extends Chart {
  /** The Kustomizations, by folder name. */
  public readonly kustomizations: Readonly<Record<string, Kustomization>>;

  constructor(scope: Construct, id: string, props: FluxKustomizationsProps) {
    const fluxNs = props.fluxNamespace ?? 'flux-system';
    super(scope, id, { namespace: fluxNs });
    checkChartAtSynth(this);
    validateFolders(new PropsValidator(this), props.folders);
    const folders = sortedFolders(props.folders);
    const kustomizations: Record<string, Kustomization> = {};
    for (const f of folders) {
      const previousWave = Math.max(...folders.map((g) => g.wave).filter((w) => w < f.wave));
      const dependsOn = folders.filter((g) => g.wave === previousWave).map((g) => ({ name: g.name }));
      kustomizations[f.name] = new Kustomization(this, f.name, {
        metadata: { name: f.name, namespace: fluxNs },
        spec: {
          interval: props.interval ?? '10m',
          path: `./${f.path.replace(/^\.?\//, '')}`,
          prune: true,
          wait: true,
          timeout: '10m',
          sourceRef: { kind: KustomizationSpecSourceRefKind.GIT_REPOSITORY, name: props.gitRepository ?? 'flux-system' },
          ...(dependsOn.length > 0 ? { dependsOn } : {}),
        },
      });
    }
    this.kustomizations = kustomizations;
  }
}

function sortedFolders(folders: readonly GitOpsFolder[]): GitOpsFolder[] {
  return [...folders].sort((a, b) => a.wave - b.wave || a.name.localeCompare(b.name));
}

function validateFolders(v: PropsValidator, folders: readonly GitOpsFolder[]): void {
  v.check(folders.length > 0, 'folders', [], 'must list at least one folder');
  folders.forEach((f, i) => {
    v.dnsSubdomain(`folders[${i}].name`, f.name);
    v.dnsLabel(`folders[${i}].namespace`, f.namespace);
    v.check(Number.isInteger(f.wave), `folders[${i}].wave`, f.wave, 'must be an integer');
    v.check(f.path.length > 0 && !f.path.startsWith('/') && !f.path.split('/').includes('..'), `folders[${i}].path`, f.path, 'must be a relative path inside the repository');
  });
  const names = folders.map((f) => f.name);
  const duplicate = names.find((n, i) => names.indexOf(n) !== i);
  v.check(duplicate === undefined, 'folders', duplicate, 'folder names must be unique');
}

/** An `ignoreDifferences` entry of `CanaryRollout.argoCdIgnoreDifferences()` in the Application's type. */
function toIgnoreDifference(d: Record<string, unknown>): ApplicationSpecIgnoreDifferences {
  const str = (k: string) => (typeof d[k] === 'string' ? d[k] : undefined);
  const list = (k: string) => { const x = d[k]; return Array.isArray(x) ? x.map(String) : undefined; };
  const kind = str('kind');
  if (kind === undefined) {
    throw new Error(`ignoreDifferences entry without a kind: ${JSON.stringify(d)}`);
  }
  return {
    kind, group: str('group'), name: str('name'), namespace: str('namespace'),
    jsonPointers: list('jsonPointers'), jqPathExpressions: list('jqPathExpressions'), managedFieldsManagers: list('managedFieldsManagers'),
  };
}
