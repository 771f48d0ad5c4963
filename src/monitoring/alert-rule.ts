import { Construct } from 'constructs';
import { PrometheusRule, PrometheusRuleSpecGroupsRulesExpr } from '../../imports/prometheusrule-monitoring.coreos.com';
import { AlertDefinition } from './monitoring';

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
}

/**
 * The one way alerts become a `monitoring.coreos.com/v1` PrometheusRule:
 * one group, every alert with its severity, summary, description and
 * `runbook_url` annotation.
 */
export function renderAlertRule(scope: Construct, id: string, o: AlertRuleOptions): PrometheusRule {
  return new PrometheusRule(scope, id, {
    metadata: { name: o.name, ...(o.namespace ? { namespace: o.namespace } : {}), labels: { ...o.labels } },
    spec: {
      groups: [{
        name: `${o.name}.${o.group ?? 'rules'}`,
        rules: o.alerts.map((a) => ({
          alert: a.name,
          expr: PrometheusRuleSpecGroupsRulesExpr.fromString(a.expr),
          for: a.for,
          labels: { severity: a.severity, ...o.alertLabels },
          annotations: { summary: a.summary, description: a.description, runbook_url: a.runbookUrl },
        })),
      }],
    },
  });
}
