import { IConstruct } from 'constructs';
import { isRecord } from '../core/json';
import { AlertDefinition, AlertSeverity } from './monitoring';

/** A runbook for one alert: what to look at and what to do, with the exact commands for the objects involved. */
export interface Runbook {
  /** The alert it answers. */
  readonly alert: AlertDefinition;
  /** Investigation steps (Markdown; commands in fenced blocks). */
  readonly investigate: readonly string[];
  /** Mitigation steps (Markdown; commands in fenced blocks). */
  readonly mitigate: readonly string[];
  /** Who to tell and where. @default - the platform's incident channel and status page */
  readonly communicate?: readonly string[];
}

/** A construct that defines alerts and the runbooks that answer them. */
export interface IRunbookSource {
  /** The runbooks of every alert the construct defines (computed when called, so later wiring is reflected). */
  runbooks(): Runbook[];
}

/** Whether a construct provides runbooks. */
export function isRunbookSource(x: unknown): x is IRunbookSource {
  return isRecord(x) && typeof x.runbooks === 'function';
}

/** Every runbook of every construct under `root`, in construct-tree order. */
export function collectRunbooks(root: IConstruct): Runbook[] {
  return root.node.findAll().flatMap((c: IConstruct) => (isRunbookSource(c) ? c.runbooks() : []));
}

/** A fenced shell block. */
export function sh(...commands: string[]): string {
  return ['```sh', ...commands, '```'].join('\n');
}

/** File name of a runbook: the last path segment of its alert's `runbook_url`. */
export function runbookFileName(runbook: Runbook): string {
  return runbook.alert.runbookUrl.split('/').pop() ?? `${runbook.alert.name}.md`;
}

/**
 * An annotation without Alertmanager's template syntax, for a document a person reads:
 * `{{ $labels.schedule }}` becomes "the alert's `schedule` label", `{{ $value ... }}` "the alert's value".
 */
export function untemplated(text: string): string {
  return text
    .replace(/\{\{\s*\$labels\.([a-zA-Z_][a-zA-Z0-9_]*)\s*\}\}/g, 'the alert\'s `$1` label')
    .replace(/\{\{\s*\$value[^}]*\}\}/g, "the alert's value")
    .replace(/\{\{[^}]*\}\}/g, '(a value of the alert)');
}

/** Renders a runbook in the guide's incident format. */
export function renderRunbookMarkdown(rb: Runbook): string {
  const a = rb.alert;
  const numbered = (steps: readonly string[]) => steps.map((s, i) => `${i + 1}. ${s.replace(/\n/g, '\n   ')}`);
  return [
    `# Runbook: ${a.name}`,
    '',
    a.summary,
    '',
    '## Alert trigger',
    '',
    untemplated(a.description),
    '',
    sh(`# PromQL, firing when true for ${a.for}:`, a.expr).replace('```sh', '```promql'),
    '',
    '## Severity',
    '',
    a.severity === AlertSeverity.CRITICAL ? 'Critical: users are affected now. Page the on-call engineer.' : 'Warning: degradation. Act within working hours; escalate if it turns critical.',
    '',
    '## Investigation',
    '',
    ...numbered([...(a.dashboardUrl ? [`Open the dashboard panel that shows the condition: [${a.name} on Grafana](${a.dashboardUrl})`] : []), ...rb.investigate]),
    '',
    '## Mitigation',
    '',
    ...numbered(rb.mitigate),
    '',
    '## Communication',
    '',
    ...(rb.communicate ?? [
      'Post in the ML incident channel (#ml-incidents) when you start and every 30 minutes until resolved.',
      'Update the status page if users see the impact.',
      'Open a post-mortem document for every critical alert.',
    ]).map((c) => `- ${c}`),
    '',
    '## Post-incident',
    '',
    '- Root-cause analysis within five working days.',
    '- Add or tune the monitoring that would have caught it earlier.',
    '- Update this runbook where a step was missing or wrong (it is generated: change the construct that renders it).',
    '',
  ].join('\n');
}
