import { Dashboard, DashboardBuilder, RowBuilder } from '@grafana/grafana-foundation-sdk/dashboard';
import { DataqueryBuilder } from '@grafana/grafana-foundation-sdk/prometheus';
import { PanelBuilder as StatPanelBuilder } from '@grafana/grafana-foundation-sdk/stat';
import { PanelBuilder as TimeseriesPanelBuilder } from '@grafana/grafana-foundation-sdk/timeseries';
import { stableJson } from '../../core/json';

/** One PromQL query of a panel. */
export interface PanelQuery {
  /** PromQL expression (may use Grafana's `$__rate_interval`). */
  readonly expr: string;
  /** Legend template, for example `{{feature}}`. @default - Grafana's (the series labels) */
  readonly legend?: string;
}

/** A panel of a generated dashboard, as plain data (built with the Grafana SDK at render). */
export interface PanelSpec {
  /** Panel id, stable across renders: alerts link to it (`viewPanel=<id>`). */
  readonly id: number;
  /** Title. */
  readonly title: string;
  /** What the panel shows and how to read it. */
  readonly description: string;
  /** `timeseries` (a graph) or `stat` (one number). */
  readonly kind: 'timeseries' | 'stat';
  /** The queries. */
  readonly queries: readonly PanelQuery[];
  /** Grafana unit id, for example `reqps`, `percentunit`, `s`. @default - none */
  readonly unit?: string;
}

/** A row of panels. */
export interface RowSpec {
  /** Row id (distinct from every panel id). */
  readonly id: number;
  /** Row title. */
  readonly title: string;
  /** Panels, laid out two per line. */
  readonly panels: readonly PanelSpec[];
}

/** A dashboard as plain data. */
export interface DashboardSpec {
  /** Stable uid (at most 40 characters): the `/d/<uid>` of links. */
  readonly uid: string;
  /** Title. */
  readonly title: string;
  /** Tags. */
  readonly tags: readonly string[];
  /** Rows in order. */
  readonly rows: readonly RowSpec[];
}

/**
 * Grafana datasource uid of kube-prometheus-stack's provisioned Prometheus
 * (`grafana.sidecar.datasources.uid: prometheus` in the chart's values).
 */
export const DEFAULT_DATASOURCE_UID = 'prometheus';

function panelBuilder(p: PanelSpec, datasourceUid: string): TimeseriesPanelBuilder | StatPanelBuilder {
  const builder = p.kind === 'stat' ? new StatPanelBuilder() : new TimeseriesPanelBuilder();
  builder.id(p.id).title(p.title).description(p.description).datasource({ type: 'prometheus', uid: datasourceUid });
  if (p.unit) builder.unit(p.unit);
  p.queries.forEach((q, i) => {
    const query = new DataqueryBuilder().expr(q.expr).refId(String.fromCharCode(65 + i)).datasource({ type: 'prometheus', uid: datasourceUid });
    builder.withTarget(q.legend === undefined ? query : query.legendFormat(q.legend));
  });
  return builder;
}

/** Builds a dashboard with the Grafana Foundation SDK's typed builders (`@grafana/grafana-foundation-sdk`). */
function buildDashboard(spec: DashboardSpec, datasourceUid: string = DEFAULT_DATASOURCE_UID): Dashboard {
  const builder = new DashboardBuilder(spec.title)
    .uid(spec.uid)
    .tags([...spec.tags])
    .editable()
    .refresh('1m')
    .time({ from: 'now-6h', to: 'now' })
    .timezone('browser');
  for (const row of spec.rows) {
    builder.withRow(new RowBuilder(row.title).id(row.id));
    for (const panel of row.panels) {
      builder.withPanel(panelBuilder(panel, datasourceUid));
    }
  }
  return builder.build();
}

/**
 * The dashboard built with the Grafana Foundation SDK's typed builders, as
 * deterministic JSON (sorted keys), ready for a ConfigMap the Grafana sidecar loads.
 */
export function dashboardJson(spec: DashboardSpec, datasourceUid: string = DEFAULT_DATASOURCE_UID): string {
  return stableJson(buildDashboard(spec, datasourceUid), 2);
}

/** Every panel of a dashboard, across its rows. */
export function dashboardPanels(spec: DashboardSpec): PanelSpec[] {
  return spec.rows.flatMap((r) => [...r.panels]);
}

/** A uid Grafana accepts (at most 40 characters of `[a-zA-Z0-9-_]`) derived from a name, stable. */
export function dashboardUid(...parts: ReadonlyArray<string | undefined>): string {
  const uid = parts.filter((p): p is string => p !== undefined && p !== '').join('-').replace(/[^a-zA-Z0-9_-]/g, '-');
  return uid.length <= 40 ? uid : `${uid.slice(0, 31)}-${fnv(uid)}`;
}

function fnv(s: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, '0');
}
