import { Construct } from 'constructs';
import { PrometheusRule, PrometheusRuleSpecGroupsRulesExpr } from '../../imports/prometheusrule-monitoring.coreos.com';
import { AlertDefinition } from './monitoring';
import { RecordingRule } from './slo';

/** Options of {@link renderAlertRule}. */
export interface AlertRuleOptions {
  /** Object name (also the rule group's name prefix). */
  readonly name: string;
  /** Namespace, when it differs from the chart's. @default - the chart's */
  readonly namespace?: string;
  /** Labels of the object, including the ones Prometheus selects rules by. */
  readonly labels: Readonly<Record<string, string>>;
  /** Rule group suffix. @default 'rules' */
  readonly group?: string;
  /** Labels added to every alert besides `severity` (for example `model: <name>`). */
  readonly alertLabels: Readonly<Record<string, string>>;
  /** The alerts. */
  readonly alerts: readonly AlertDefinition[];
  /**
   * Recording rules, rendered in a group of their own before the alerts
   * (`<name>.records`); alerts read their series one evaluation later.
   * @default - none
   */
  readonly records?: readonly RecordingRule[];
  /**
   * Evaluation interval of the recording rules' group (Prometheus duration), for rules whose
   * expressions depend on it (running totals adding `increase(...[1m])` every minute).
   * @default - Prometheus' global `evaluation_interval`
   */
  readonly recordsInterval?: string;
}

/**
 * The one way alerts become a `monitoring.coreos.com/v1` PrometheusRule:
 * one group, every alert with its severity, summary, description,
 * `runbook_url` and (when known) `dashboard_url` annotation; recording rules,
 * if any, in a group before it.
 */
export function renderAlertRule(scope: Construct, id: string, o: AlertRuleOptions): PrometheusRule {
  const records = (o.records ?? []).map((r) => ({
    record: r.record,
    expr: PrometheusRuleSpecGroupsRulesExpr.fromString(r.expr),
    labels: { ...r.labels },
  }));
  return new PrometheusRule(scope, id, {
    metadata: { name: o.name, ...(o.namespace ? { namespace: o.namespace } : {}), labels: { ...o.labels } },
    spec: {
      groups: [
        ...(records.length > 0 ? [{ name: `${o.name}.records`, ...(o.recordsInterval ? { interval: o.recordsInterval } : {}), rules: records }] : []),
        ...(o.alerts.length === 0 && records.length > 0 ? [] : [{
          name: `${o.name}.${o.group ?? 'rules'}`,
          rules: o.alerts.map((a) => ({
            alert: a.name,
            expr: PrometheusRuleSpecGroupsRulesExpr.fromString(a.expr),
            for: a.for,
            labels: { severity: a.severity, ...o.alertLabels },
            annotations: {
              summary: a.summary, description: a.description, runbook_url: a.runbookUrl,
              ...(a.dashboardUrl ? { dashboard_url: a.dashboardUrl } : {}),
            },
          })),
        }]),
      ],
    },
  });
}
