import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { DEFAULT_DATASOURCE_UID, DashboardSpec, dashboardJson } from './dashboard';

/**
 * How generated dashboards reach Grafana: ConfigMaps that the Grafana
 * sidecar of kube-prometheus-stack loads. The chart's defaults
 * (`grafana.sidecar.dashboards`: `label: grafana_dashboard`, `labelValue: "1"`,
 * `searchNamespace: ALL` since chart 45.12, prometheus-community/helm-charts
 * #2927) find them in any namespace, so they live next to what they show.
 */
export interface DashboardOptions {
  /** Render the dashboard ConfigMap. @default true */
  readonly enabled?: boolean;
  /**
   * Labels the sidecar selects ConfigMaps by (its `label`/`labelValue` values).
   * @default { grafana_dashboard: '1' }
   */
  readonly labels?: Readonly<Record<string, string>>;
  /**
   * Annotations of the ConfigMap, for example the sidecar's `folderAnnotation`
   * (`grafana_folder: ML`) when the chart sets one.
   * @default - none
   */
  readonly annotations?: Readonly<Record<string, string>>;
  /** Grafana datasource uid of Prometheus. @default 'prometheus' (kube-prometheus-stack's provisioned datasource) */
  readonly datasourceUid?: string;
}

/** {@link DashboardOptions} with defaults applied. */
export interface ResolvedDashboardOptions {
  /** Whether the ConfigMap is rendered. */
  readonly enabled: boolean;
  /** Sidecar selector labels. */
  readonly labels: Readonly<Record<string, string>>;
  /** ConfigMap annotations. */
  readonly annotations: Readonly<Record<string, string>>;
  /** Datasource uid. */
  readonly datasourceUid: string;
}

/** Applies the defaults of {@link DashboardOptions}. */
export function resolveDashboardOptions(o: DashboardOptions = {}): ResolvedDashboardOptions {
  return {
    enabled: o.enabled ?? true,
    labels: o.labels ?? { grafana_dashboard: '1' },
    annotations: o.annotations ?? {},
    datasourceUid: o.datasourceUid ?? DEFAULT_DATASOURCE_UID,
  };
}

/**
 * A ConfigMap holding one dashboard as `<uid>.json`. The JSON is produced at
 * synth (`spec` is called then), so rows other constructs add after this call are included.
 */
export function renderDashboardConfigMap(scope: Construct, id: string, o: {
  readonly name: string;
  readonly uid: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly options: ResolvedDashboardOptions;
  readonly spec: () => DashboardSpec;
}): kplus.k8s.KubeConfigMap {
  const datasourceUid = o.options.datasourceUid;
  const spec = o.spec;
  // The L1 object keeps `data` by reference and reads it at synth: the getter renders the rows present then.
  const data = { get [`${o.uid}.json`]() { return dashboardJson(spec(), datasourceUid); } };
  return new kplus.k8s.KubeConfigMap(scope, id, {
    metadata: {
      name: o.name,
      labels: { ...o.labels, ...o.options.labels },
      ...(Object.keys(o.options.annotations).length > 0 ? { annotations: { ...o.options.annotations } } : {}),
    },
    data,
  });
}
