import { Chart } from 'cdk8s';
import { Construct, IConstruct } from 'constructs';
import { dashboardPanelUrl, observabilityLinksOf } from '../links';
import { promSelector } from '../monitoring';
import { DashboardSpec, RowSpec, dashboardUid } from './dashboard';
import { DashboardOptions, renderDashboardConfigMap, resolveDashboardOptions } from './config-map';

/** Panel ids of the platform dashboard: alerts link to them. */
export const PLATFORM_PANELS = {
  featureFreshness: 2,
  featureServerErrors: 3,
  poolCapacity: 5,
  spotInterruptions: 6,
  backupAge: 8,
  backupResults: 9,
  drillResults: 10,
  drillDuration: 11,
} as const;

/** Uid of the platform dashboard (`ml-platform-<namespace>` for the platform chart of a namespace). */
export const PLATFORM_DASHBOARD_UID = 'ml-platform';

/** Uid of the platform dashboard of the platform in `namespace`. */
export function platformDashboardUid(namespace?: string): string {
  return dashboardUid(PLATFORM_DASHBOARD_UID, namespace);
}

/** What the platform dashboard shows, by name (the platform layer collects them from its constructs). */
export interface PlatformDashboardInput {
  /** Feature stores: namespace, materialization CronJob and feature server Service. */
  readonly featureStores: ReadonlyArray<{ readonly namespace?: string; readonly cronJob: string; readonly service: string }>;
  /** Karpenter NodePools of the training pools. */
  readonly nodePools: readonly string[];
  /** Velero Schedule names. */
  readonly backupSchedules: readonly string[];
  /** Restore drills: drill label value and the metric names its job pushes. */
  readonly drills: ReadonlyArray<{ readonly name: string; readonly successMetric: string; readonly durationMetric: string; readonly lastSuccessMetric: string }>;
}

const oneOf = (values: readonly string[]) => (values.length === 0 ? '.+' : values.join('|'));

function featureRow(p: PlatformDashboardInput): RowSpec {
  const cronJobs = promSelector({}, [`cronjob=~"${oneOf(p.featureStores.map((f) => f.cronJob))}"`]);
  const services = `service=~"${oneOf(p.featureStores.map((f) => f.service))}"`;
  return {
    id: 1,
    title: 'Feature store',
    panels: [
      {
        id: PLATFORM_PANELS.featureFreshness, kind: 'timeseries', title: 'Feature freshness (time since the last materialization)', unit: 's',
        description: 'Seconds since each materialization CronJob last succeeded (kube-state-metrics kube_cronjob_status_last_successful_time).',
        queries: [{ expr: `time() - max by (namespace, cronjob) (kube_cronjob_status_last_successful_time${cronJobs})`, legend: '{{namespace}}/{{cronjob}}' }],
      },
      {
        id: PLATFORM_PANELS.featureServerErrors, kind: 'timeseries', title: 'Feature server error rate', unit: 'percentunit',
        description: 'Share of failing feature server requests (feast_feature_server_request_total).',
        queries: [{
          expr: `(sum by (service) (rate(feast_feature_server_request_total{${services},status=~"error|5.."}[$__rate_interval])) or vector(0)) / sum by (service) (rate(feast_feature_server_request_total{${services}}[$__rate_interval]))`,
          legend: '{{service}}',
        }],
      },
    ],
  };
}

/**
 * Training capacity from Karpenter's metrics (karpenter.sh/docs/reference/metrics,
 * v1 names): `karpenter_nodepools_usage` / `karpenter_nodepools_limit` per
 * NodePool and resource type, `karpenter_interruption_received_messages_total`
 * by `message_type` (spot interruptions arrive as `spot_interrupted`), and
 * `karpenter_nodeclaims_disrupted_total` by reason.
 */
function trainingRow(p: PlatformDashboardInput): RowSpec {
  const pools = promSelector({}, [`nodepool=~"${oneOf(p.nodePools)}"`]);
  return {
    id: 4,
    title: 'Training capacity',
    panels: [
      {
        id: PLATFORM_PANELS.poolCapacity, kind: 'timeseries', title: 'NodePool usage against its limit', unit: 'percentunit',
        description: 'Provisioned resources of each training NodePool as a share of its limit.',
        queries: [{
          expr: `max by (nodepool, resource_type) (karpenter_nodepools_usage${pools}) / on (nodepool, resource_type) max by (nodepool, resource_type) (karpenter_nodepools_limit${pools})`,
          legend: '{{nodepool}} {{resource_type}}',
        }],
      },
      {
        id: PLATFORM_PANELS.spotInterruptions, kind: 'timeseries', title: 'Spot interruptions and disruptions', unit: 'short',
        description: 'Interruption messages Karpenter received (per type) and NodeClaims it disrupted (per reason) in each interval.',
        queries: [
          { expr: 'sum by (message_type) (increase(karpenter_interruption_received_messages_total[$__rate_interval]))', legend: '{{message_type}}' },
          { expr: `sum by (reason) (increase(karpenter_nodeclaims_disrupted_total${pools}[$__rate_interval]))`, legend: 'disrupted: {{reason}}' },
        ],
      },
    ],
  };
}

/** Backups from Velero's server metrics (vmware-tanzu/velero pkg/metrics/metrics.go) and the drills' pushed metrics. */
function recoveryRow(p: PlatformDashboardInput): RowSpec {
  const schedules = promSelector({}, [`schedule=~"${oneOf(p.backupSchedules)}"`]);
  const drills = promSelector({}, [`drill=~"${oneOf(p.drills.map((d) => d.name))}"`]);
  const metric = (pick: (d: PlatformDashboardInput['drills'][number]) => string, fallback: string) => p.drills.length > 0 ? pick(p.drills[0]) : fallback;
  return {
    id: 7,
    title: 'Backups and restore drills',
    panels: [
      {
        id: PLATFORM_PANELS.backupAge, kind: 'timeseries', title: 'Age of the newest successful backup', unit: 's',
        description: 'Seconds since each Velero schedule last completed a backup (velero_backup_last_successful_timestamp).',
        queries: [{ expr: `time() - max by (schedule) (velero_backup_last_successful_timestamp${schedules})`, legend: '{{schedule}}' }],
      },
      {
        id: PLATFORM_PANELS.backupResults, kind: 'timeseries', title: 'Backups succeeded and failed', unit: 'short',
        description: 'Completed and failed backups per schedule in each interval.',
        queries: [
          { expr: `sum by (schedule) (increase(velero_backup_success_total${schedules}[$__rate_interval]))`, legend: 'ok: {{schedule}}' },
          { expr: `sum by (schedule) (increase(velero_backup_failure_total${schedules}[$__rate_interval]))`, legend: 'failed: {{schedule}}' },
        ],
      },
      {
        id: PLATFORM_PANELS.drillResults, kind: 'timeseries', title: 'Restore drills: result and age', unit: 'short',
        description: 'Result of each drill\'s last run (1 = restored and ready) and hours since its last success.',
        queries: [
          { expr: `max by (drill) (${metric((d) => d.successMetric, 'ml_platform_restore_drill_success')}${drills})`, legend: 'success: {{drill}}' },
          { expr: `(time() - max by (drill) (${metric((d) => d.lastSuccessMetric, 'ml_platform_restore_drill_last_success_timestamp_seconds')}${drills})) / 3600`, legend: 'hours since success: {{drill}}' },
        ],
      },
      {
        id: PLATFORM_PANELS.drillDuration, kind: 'timeseries', title: 'Restore drill duration (against the RTO)', unit: 's',
        description: 'How long the last restore took; the RTO alert fires above the policy\'s RTO.',
        queries: [{ expr: `max by (drill) (${metric((d) => d.durationMetric, 'ml_platform_restore_drill_duration_seconds')}${drills})`, legend: '{{drill}}' }],
      },
    ],
  };
}

/** The platform dashboard: feature freshness, training capacity and spot interruptions, backups and drills. */
export function platformDashboardSpec(p: PlatformDashboardInput, namespace?: string): DashboardSpec {
  return {
    uid: platformDashboardUid(namespace),
    title: namespace ? `ML platform ${namespace}` : 'ML platform',
    tags: ['ml-platform', 'generated'],
    rows: [featureRow(p), trainingRow(p), recoveryRow(p)],
  };
}

/** The platform dashboard panel that shows the condition of each platform alert. */
const PLATFORM_ALERT_PANELS: Readonly<Record<string, number>> = {
  FeatureMaterializationStale: PLATFORM_PANELS.featureFreshness,
  FeatureServerHighErrorRate: PLATFORM_PANELS.featureServerErrors,
  VeleroBackupOlderThanRpo: PLATFORM_PANELS.backupAge,
  RestoreDrillFailed: PLATFORM_PANELS.drillResults,
  RestoreDrillStale: PLATFORM_PANELS.drillResults,
  RestoreDrillExceededRto: PLATFORM_PANELS.drillDuration,
};

/**
 * Links of a platform construct's alert (feature store, backups): the runbook
 * base (its own, else the scope's {@link setObservabilityLinks}, else the
 * relative `runbooks`) and the platform dashboard panel of the alert.
 */
export function platformAlertLinks(scope: IConstruct, resolvedRunbookBase: string): { readonly runbookBaseUrl: string; dashboardUrl(alert: string): string } {
  const links = observabilityLinksOf(scope);
  // 'runbooks' is the constructs' default: the app-wide base replaces it.
  const runbookBaseUrl = resolvedRunbookBase === 'runbooks' && links.runbookBaseUrl ? links.runbookBaseUrl.replace(/\/+$/, '') : resolvedRunbookBase;
  const grafana = (links.grafanaUrl ?? '').replace(/\/+$/, '');
  return {
    runbookBaseUrl,
    dashboardUrl: (alert) => dashboardPanelUrl(grafana, platformDashboardUid(Chart.of(scope).namespace), PLATFORM_ALERT_PANELS[alert] ?? PLATFORM_PANELS.backupAge),
  };
}

/**
 * The platform dashboard as a ConfigMap the Grafana sidecar loads
 * (`<namespace>-platform-dashboard`; rendered at synth).
 */
export function renderPlatformDashboard(scope: Construct, id: string, input: () => PlatformDashboardInput,
  options: DashboardOptions = {}): ReturnType<typeof renderDashboardConfigMap> | undefined {
  const resolved = resolveDashboardOptions(options);
  if (!resolved.enabled) {
    return undefined;
  }
  const namespace = Chart.of(scope).namespace;
  return renderDashboardConfigMap(scope, id, {
    name: namespace ? `${namespace}-platform-dashboard` : 'ml-platform-dashboard',
    uid: platformDashboardUid(namespace),
    labels: { 'app.kubernetes.io/name': 'ml-platform-dashboard', 'app.kubernetes.io/managed-by': 'ml-platform-constructs' },
    options: resolved,
    spec: () => platformDashboardSpec(input(), namespace),
  });
}
