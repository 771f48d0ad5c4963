import { ApiObject, Chart } from 'cdk8s';
import { Construct } from 'constructs';
import { Application } from '../../../imports/application-argoproj.io';
import { PropsValidator } from '../../core/errors';
import { checkChartAtSynth } from '../../core/chart-checks';
import { KubernetesObject } from '../../core/synth';
import { PlatformContract } from '../contract';
import { SyncWave } from '../gitops';
import { AddonCluster, AddonName, AddonRelease, PlatformAddonsOptions, addonReleases } from './catalog';
import { ExternalPrerequisite, PrerequisitesReport, checkPrerequisites } from './prerequisites';

/** The add-on values that come from the platform's contract: one cluster name for every add-on, and Prometheus' namespace and selector labels. */
export function addonClusterOf(contract: PlatformContract): AddonCluster {
  return { clusterName: contract.cluster.name, monitoringNamespace: contract.monitoring.namespace, selectorLabels: { ...contract.monitoring.selectorLabels } };
}

/** Properties of a {@link PlatformAddonsChart}. */
export interface PlatformAddonsChartProps extends PlatformAddonsOptions {
  /**
   * The platform's contract (`PlatformChart.contract`): the cluster name of
   * Karpenter and the AWS Load Balancer Controller, and Prometheus'
   * namespace and selector labels, so they cannot differ from the platform's.
   */
  readonly contract: PlatformContract;
  /** What the cluster already has (add-ons turned off here, EKS defaults): the prerequisites check accepts them. @default - none */
  readonly external?: readonly ExternalPrerequisite[];
  /** Namespace Argo CD runs in (and its Applications live in). @default 'argocd' */
  readonly argoCdNamespace?: string;
  /** Argo CD project. @default 'default' */
  readonly project?: string;
  /** API server of the destination cluster. @default 'https://kubernetes.default.svc' */
  readonly server?: string;
}

/** Argo CD's repository URL of an OCI Helm registry: no `oci://` scheme (the repository Secret says `enableOCI`). */
function argoRepoUrl(repoUrl: string): string {
  return repoUrl.replace(/^oci:\/\//, '');
}

/**
 * The platform's cluster add-ons for a GitOps repository: one Argo CD
 * `Application` per add-on, installing its pinned Helm chart
 * ({@link ADDON_CHARTS}) with the values the Pulumi half installs too
 * (`addonReleases`), in the add-ons' sync wave (kube-prometheus-stack one
 * wave earlier: the other charts' ServiceMonitors need its CRDs). Values go
 * in `spec.source.helm.valuesObject`; `CreateNamespace=true` creates each
 * release's namespace; `ServerSideApply=true` because several charts ship
 * CRDs larger than the 256 KiB client-side annotation
 * (https://argo-cd.readthedocs.io/en/stable/user-guide/helm/,
 * https://argo-cd.readthedocs.io/en/stable/user-guide/sync-options/).
 * Karpenter's chart is in an OCI registry: a repository Secret with
 * `enableOCI: "true"` declares it
 * (https://argo-cd.readthedocs.io/en/stable/user-guide/helm/#helm-oci).
 *
 * {@link PlatformAddonsChart.checkPrerequisites} checks the manifests of
 * the whole repository against what these add-ons provide.
 */
export class PlatformAddonsChart extends Chart {
  /** The releases, in install order. */
  public readonly releases: readonly AddonRelease[];
  /** The Applications, by release name. */
  public readonly applications: Readonly<Partial<Record<AddonName, Application>>>;
  /** What the cluster already has. */
  public readonly external: readonly ExternalPrerequisite[];

  constructor(scope: Construct, id: string, props: PlatformAddonsChartProps) {
    const argoNs = props.argoCdNamespace ?? 'argocd';
    super(scope, id, { namespace: argoNs });
    checkChartAtSynth(this);
    const v: PropsValidator = new PropsValidator(this);
    this.releases = addonReleases(v, addonClusterOf(props.contract), props);
    this.external = props.external ?? [];
    const applications: Partial<Record<AddonName, Application>> = {};
    for (const r of this.releases) {
      applications[r.name] = new Application(this, r.name, {
        metadata: {
          name: r.name, namespace: argoNs,
          annotations: { 'argocd.argoproj.io/sync-wave': String(SyncWave.ADDONS - (r.name === AddonName.KUBE_PROMETHEUS_STACK ? 1 : 0)) },
        },
        spec: {
          project: props.project ?? 'default',
          source: { repoUrl: argoRepoUrl(r.chart.repoUrl), chart: r.chart.chart, targetRevision: r.chart.version, helm: { releaseName: r.name, valuesObject: r.values } },
          destination: { server: props.server ?? 'https://kubernetes.default.svc', namespace: r.namespace },
          syncPolicy: { automated: { prune: true, selfHeal: true }, syncOptions: ['CreateNamespace=true', 'ServerSideApply=true'] },
        },
      });
      if (r.chart.repoUrl.startsWith('oci://')) {
        new ApiObject(this, `${r.name}-repository`, {
          apiVersion: 'v1', kind: 'Secret',
          metadata: { name: `${r.name}-helm-oci`, namespace: argoNs, labels: { 'argocd.argoproj.io/secret-type': 'repository' } },
          stringData: { name: r.name, type: 'helm', url: argoRepoUrl(r.chart.repoUrl), enableOCI: 'true' },
        });
      }
    }
    this.applications = applications;
  }

  /**
   * Checks that the add-ons here and the declared `external` things provide
   * every prerequisite of `objects` (the synthesized objects of every chart
   * the cluster gets, for example `synthObjects(app)` of the platform's and
   * each team's app); throws a `ValidationError` naming what is missing.
   */
  public checkPrerequisites(objects: readonly KubernetesObject[]): PrerequisitesReport {
    return checkPrerequisites(this.node.path, objects, this.releases, this.external);
  }
}
