import { IConstruct } from 'constructs';
import { PropsValidator } from '../core/errors';
import { isRecord } from '../core/json';
import { validateHttpUrl } from '../core/url';

/**
 * Where the on-call engineer opens what an alert links to. Set once per app
 * (or per chart) with {@link setObservabilityLinks}; every alert the
 * library renders below that scope then carries an absolute `runbook_url`
 * and a `dashboard_url` to the Grafana panel that shows its condition.
 */
export interface ObservabilityLinks {
  /**
   * Web URL of Grafana (kube-prometheus-stack's Grafana, behind your ingress), for example
   * `https://grafana.example.com`. Alerts link `<grafanaUrl>/d/<uid>?viewPanel=<id>`.
   * @default - none: `dashboard_url` is the path alone (`/d/<uid>?viewPanel=<id>`); required by presets with `requireObservabilityLinks`
   */
  readonly grafanaUrl?: string;
  /**
   * Web URL of the folder the synthesized `runbooks/` land in, usually in the GitOps
   * repository, for example `https://github.com/acme/ml-gitops/blob/main/dist/runbooks`.
   * A construct's own `monitoring.runbookBaseUrl` wins.
   * @default - none: the relative `runbooks`; required by presets with `requireObservabilityLinks`
   */
  readonly runbookBaseUrl?: string;
}

/** Context key the links are stored under (construct context, inherited by every child scope). */
export const OBSERVABILITY_LINKS_CONTEXT = 'ml-platform-constructs:observabilityLinks';

/**
 * Sets the links of every alert under `scope` (an App or a Chart). Call it
 * before adding children: construct context cannot change once a scope has children.
 *
 * @example
 * const app = new App();
 * setObservabilityLinks(app, { grafanaUrl: 'https://grafana.example.com', runbookBaseUrl: 'https://github.com/acme/ml-gitops/blob/main/dist/runbooks' });
 */
export function setObservabilityLinks(scope: IConstruct, links: ObservabilityLinks): void {
  scope.node.setContext(OBSERVABILITY_LINKS_CONTEXT, { ...links });
}

/** The links in effect at `scope`: the nearest {@link setObservabilityLinks} above it, or none. */
export function observabilityLinksOf(scope: IConstruct): ObservabilityLinks {
  const found: unknown = scope.node.tryGetContext(OBSERVABILITY_LINKS_CONTEXT);
  if (!isRecord(found)) {
    return {};
  }
  const str = (x: unknown) => (typeof x === 'string' ? x : undefined);
  return { grafanaUrl: str(found.grafanaUrl), runbookBaseUrl: str(found.runbookBaseUrl) };
}

/** Links with defaults applied: bases without a trailing slash (`grafanaUrl` '' when unset: links are paths). */
export interface ResolvedObservabilityLinks {
  /** Grafana web URL, or '' (dashboard links are then paths). */
  readonly grafanaUrl: string;
  /** Base of runbook URLs (absolute, or the relative `runbooks`). */
  readonly runbookBaseUrl: string;
}

/**
 * Resolves the links of a construct: its own `runbookBaseUrl` over the
 * scope's {@link ObservabilityLinks}. When `required` (a preset with
 * `requireObservabilityLinks`, such as PRODUCTION), a missing or relative
 * base is a ValidationError naming `property`.
 */
export function resolveObservabilityLinks(scope: IConstruct, v: PropsValidator, o: {
  readonly runbookBaseUrl?: string; readonly required: boolean; readonly property: string;
}): ResolvedObservabilityLinks {
  const links = observabilityLinksOf(scope);
  const runbookBaseUrl = o.runbookBaseUrl ?? links.runbookBaseUrl;
  const hint = 'is required by the preset (alerts must link to an absolute runbook and Grafana panel): call setObservabilityLinks(app, { grafanaUrl, runbookBaseUrl }) once per app or chart';
  if (o.required) {
    v.check(runbookBaseUrl !== undefined && /^https?:\/\//.test(runbookBaseUrl), `${o.property}.runbookBaseUrl`, runbookBaseUrl, hint);
    v.check(links.grafanaUrl !== undefined, 'grafanaUrl', links.grafanaUrl, hint);
  }
  if (links.grafanaUrl !== undefined) {
    validateHttpUrl(v, 'grafanaUrl', links.grafanaUrl);
  }
  return {
    grafanaUrl: (links.grafanaUrl ?? '').replace(/\/+$/, ''),
    runbookBaseUrl: (runbookBaseUrl ?? 'runbooks').replace(/\/+$/, ''),
  };
}

/** `<grafanaUrl>/d/<uid>?viewPanel=<panelId>`: the one panel of a dashboard, full screen. */
export function dashboardPanelUrl(grafanaUrl: string, uid: string, panelId: number): string {
  return `${grafanaUrl}/d/${uid}?viewPanel=${panelId}`;
}
