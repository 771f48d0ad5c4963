import { Duration } from 'cdk8s';
import { Construct } from 'constructs';
import { PrometheusRule } from '../../imports/prometheusrule-monitoring.coreos.com';
import { PropsValidator } from '../core/errors';
import { renderAlertRule } from '../monitoring/alert-rule';
import { DashboardOptions, ResolvedDashboardOptions, renderDashboardConfigMap, resolveDashboardOptions } from '../monitoring/dashboards/config-map';
import { DashboardSpec, RowSpec, dashboardUid } from '../monitoring/dashboards/dashboard';
import { MODEL_PANELS, ModelDashboardInput, modelRows } from '../monitoring/dashboards/model';
import { ResolvedObservabilityLinks, dashboardPanelUrl, resolveObservabilityLinks } from '../monitoring/links';
import {
  AlertDefinition, MonitoringOptions, ResolvedMonitoring, ServiceLevelObjectives, errorStatusMatcher, promSelector, runbookUrl, userTrafficMatchers,
} from '../monitoring/monitoring';
import { ResolvedObjective, ServiceLevelOptions, SloAlerting, burnRateAlerts, describeObjective, resolveObjectives, sloRecordingRules } from '../monitoring/slo';
import { CostPresetSettings } from '../policy/presets';
import { Runbook } from '../monitoring/runbooks';

/** SLO defaults of presets that set none. */
const FALLBACK_SERVICE_LEVELS = { availability: 0.99, latency: 0.95, window: Duration.days(7) };

/** The fixed-threshold alerts that {@link SloAlerting} can leave out, and the SLO whose burn-rate alerts replace them. */
const FIXED_THRESHOLD_ALERTS: Readonly<Record<string, 'availability' | 'latency'>> = {
  ModelHighErrorRate: 'availability',
  ModelHighLatencyP99: 'latency',
};

/** The panel each model alert links to. */
const ALERT_PANELS: Readonly<Record<string, number>> = {
  ModelHighErrorRate: MODEL_PANELS.errors,
  ModelHighLatencyP99: MODEL_PANELS.latency,
  ModelReplicasUnavailable: MODEL_PANELS.replicas,
  ModelAvailabilityBurnRatePage: MODEL_PANELS.availabilityBurn,
  ModelAvailabilityBurnRateTicket: MODEL_PANELS.availabilityBurn,
  ModelLatencyBurnRatePage: MODEL_PANELS.latencyBurn,
  ModelLatencyBurnRateTicket: MODEL_PANELS.latencyBurn,
};

/** Links, objectives and dashboard settings of a model, resolved once in its constructor. */
export interface ModelObservability {
  /** Where alerts link. */
  readonly links: ResolvedObservabilityLinks;
  /** The objectives. */
  readonly objectives: readonly ResolvedObjective[];
  /** Which alerts the objectives render. */
  readonly alerting: SloAlerting;
  /** Dashboard ConfigMap settings. */
  readonly dashboard: ResolvedDashboardOptions;
  /** Uid of the model's dashboard. */
  readonly dashboardUid: string;
}

/** Resolves the observability settings of a model service: links (required by the preset or not), SLOs and dashboard. */
export function resolveModelObservability(scope: Construct, v: PropsValidator, o: {
  readonly name: string; readonly namespace?: string; readonly preset: CostPresetSettings; readonly slo: Required<ServiceLevelObjectives>;
  readonly monitoring?: MonitoringOptions; readonly serviceLevels?: ServiceLevelOptions; readonly dashboard?: DashboardOptions;
}): ModelObservability {
  const enabled = o.monitoring?.enabled ?? true;
  const links = resolveObservabilityLinks(scope, v, {
    runbookBaseUrl: o.monitoring?.runbookBaseUrl, required: enabled && (o.preset.requireObservabilityLinks ?? false), property: 'monitoring',
  });
  const defaults = o.preset.serviceLevels ?? FALLBACK_SERVICE_LEVELS;
  const { objectives, alerting } = resolveObjectives(v, o.serviceLevels, { ...defaults, latencyThreshold: o.slo.latencyP99 });
  return {
    links, objectives, alerting, dashboard: resolveDashboardOptions(o.dashboard), dashboardUid: dashboardUid('model', o.namespace, o.name),
  };
}

/** What the SLO rendering needs to know about the model. */
export interface ObservedModel {
  readonly name: string;
  readonly namespace?: string;
  readonly monitoring: ResolvedMonitoring;
  readonly observability: ModelObservability;
}

/** `dashboard_url` of a panel of the model's dashboard. */
export function modelPanelUrl(m: ObservedModel, panelId: number): string {
  return dashboardPanelUrl(m.observability.links.grafanaUrl, m.observability.dashboardUid, panelId);
}

/** The model's own alerts, each linked to the dashboard panel that shows its condition. */
export function linkModelAlerts(m: ObservedModel, alerts: readonly AlertDefinition[]): AlertDefinition[] {
  return alerts.map((a) => ({ ...a, dashboardUrl: modelPanelUrl(m, ALERT_PANELS[a.name] ?? MODEL_PANELS.traffic) }));
}

/** The alerts rendered: fixed-threshold ones dropped when `serviceLevels.alerting` is burn-rate only and their objective exists. */
export function renderedModelAlerts(m: ObservedModel, alerts: readonly AlertDefinition[]): AlertDefinition[] {
  const o = m.observability;
  const kinds = new Set(o.objectives.map((x) => x.kind));
  return alerts.filter((a) => {
    const replacedBy = FIXED_THRESHOLD_ALERTS[a.name];
    return replacedBy === undefined || o.alerting !== SloAlerting.BURN_RATE || !kinds.has(replacedBy);
  });
}

function recordLabels(m: ObservedModel): Record<string, string> {
  return { model: m.name, ...(m.namespace ? { namespace: m.namespace } : {}) };
}

/** The burn-rate alerts of the model's objectives (none with fixed-threshold alerting). */
export function sloAlerts(m: ObservedModel): AlertDefinition[] {
  const o = m.observability;
  if (o.alerting === SloAlerting.FIXED_THRESHOLD) {
    return [];
  }
  return o.objectives.flatMap((objective) => burnRateAlerts(recordLabels(m), objective).map((b) => {
    const name = `Model${objective.kind === 'availability' ? 'Availability' : 'Latency'}BurnRate${b.tier}`;
    return {
      name,
      expr: b.expr,
      for: b.for,
      severity: b.severity,
      summary: `${m.name}: the ${objective.kind} error budget burns too fast (${b.tier === 'Page' ? 'page' : 'ticket'})`,
      description: `Objective: ${describeObjective(objective)}. Fires when the model spends ${b.condition}.`,
      runbookUrl: runbookUrl(o.links.runbookBaseUrl, m.namespace, m.name, name),
      dashboardUrl: modelPanelUrl(m, ALERT_PANELS[name] ?? MODEL_PANELS.traffic),
    };
  }));
}

/**
 * The `<name>-slo` PrometheusRule: two recording rules per objective (5m rates
 * of all and of bad events) plus the target and budget left, and the burn-rate alerts.
 */
export function renderSloRule(scope: Construct, m: ObservedModel, labels: Readonly<Record<string, string>>,
  alerts: readonly AlertDefinition[]): PrometheusRule | undefined {
  if (m.observability.objectives.length === 0) {
    return undefined;
  }
  const scopeLabels: Record<string, string> = { service: m.name, ...(m.namespace ? { namespace: m.namespace } : {}) };
  const matchers = [promSelector(scopeLabels).slice(1, -1), ...userTrafficMatchers(m.monitoring)];
  const subject = {
    labels: recordLabels(m), matchers, errorMatcher: errorStatusMatcher(m.monitoring),
    requestsTotal: m.monitoring.metrics.requestsTotal, durationBucket: m.monitoring.metrics.durationBucket,
  };
  return renderAlertRule(scope, 'SloRule', {
    name: `${m.name}-slo`,
    labels: { ...labels, ...m.monitoring.selectorLabels },
    group: 'slo-alerts',
    alertLabels: { model: m.name },
    alerts,
    records: m.observability.objectives.flatMap((o) => sloRecordingRules(subject, o)),
  });
}

/**
 * Runbooks of the burn-rate alerts: the investigation and mitigation of the
 * fixed-threshold alert on the same condition (errors or latency), with the
 * budget spend on top.
 */
export function sloRunbooks(m: ObservedModel, alerts: readonly AlertDefinition[], twins: Readonly<Record<string, Runbook>>): Runbook[] {
  return alerts.flatMap((a) => {
    const twin = twins[a.name.startsWith('ModelAvailability') ? 'ModelHighErrorRate' : 'ModelHighLatencyP99'];
    if (twin === undefined) return [];
    return [{
      alert: a,
      investigate: [
        `How much of the error budget is left, and how fast it burns (the alert's panel), for ${m.name}: the page tier means the budget is gone in days, the ticket tier within the window.`,
        ...twin.investigate,
      ],
      mitigate: twin.mitigate,
    }];
  });
}

/** The model's dashboard: its rows, then the rows other constructs contributed (canary, drift). */
export function modelDashboardSpec(m: ObservedModel, contributed: readonly RowSpec[]): DashboardSpec {
  const input: ModelDashboardInput = { name: m.name, namespace: m.namespace, monitoring: m.monitoring, objectives: m.observability.objectives };
  return {
    uid: m.observability.dashboardUid,
    title: `Model ${m.namespace ? `${m.namespace}/` : ''}${m.name}`,
    tags: ['ml-platform', 'model', 'generated'],
    rows: [...modelRows(input), ...[...contributed].sort((a, b) => a.id - b.id)],
  };
}

/** The ConfigMap of the model's dashboard (rendered at synth, so contributed rows are included). */
export function renderModelDashboard(scope: Construct, m: ObservedModel, labels: Readonly<Record<string, string>>,
  contributed: readonly RowSpec[]): ReturnType<typeof renderDashboardConfigMap> | undefined {
  if (!m.observability.dashboard.enabled) {
    return undefined;
  }
  return renderDashboardConfigMap(scope, 'Dashboard', {
    name: `${m.name}-dashboard`,
    uid: m.observability.dashboardUid,
    labels,
    options: m.observability.dashboard,
    spec: () => modelDashboardSpec(m, contributed),
  });
}
