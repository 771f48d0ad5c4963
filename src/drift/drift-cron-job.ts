import { Cron, Duration, Size } from 'cdk8s';
import { Cpu } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { PrometheusRule } from '../../imports/prometheusrule-monitoring.coreos.com';
import { renderAlertRule } from '../monitoring/alert-rule';
import { readBundle } from '../core/bundles';
import { PropsValidator, ValidationError, throwAll } from '../core/errors';
import { valueAt } from '../core/json';
import { checkChartAtSynth } from '../core/chart-checks';
import { AwsIdentity, awsIdentityAnnotations } from '../core/labels';
import { validateHttpUrl } from '../core/url';
import { AlertDefinition, AlertSeverity, DEFAULT_PUSHGATEWAY_URL, promSelector, runbookUrl } from '../monitoring/monitoring';
import { IRunbookSource, Runbook, sh } from '../monitoring/runbooks';
import { ComputeResources } from '../core/resources';
import { runsPerMonth, validateSchedule } from '../core/cron';
import type { DriftAthenaConfig } from './athena-config';
import { athenaDriftCostLine } from './athena-cost';
import type { CostLine } from '../cost/estimate';
import {
  DRIFT_DEFAULTS, DriftAttributionConfig, DriftCheckConfig, DriftDataSource, DriftFeatureConfig, DriftLabelsConfig, DriftTimeoutsConfig, DriftVerdictConfig,
  inferDriftDataFormat, validateDriftConfig,
} from './config';
import { ModelService } from '../serving/model-service';
import { NodeScriptCronJob } from '../kube/node-script-job';
import type { EgressOptions } from '../kube/network';
import { driftAlertPanel, driftRow } from '../monitoring/dashboards/model';

/** Where the checker reports. */
export interface DriftOutputs {
  /** Prefix (`s3://bucket/prefix/` or a local path) the JSON and HTML reports are written under; versioned buckets keep every run. @default - no report files, only stdout and metrics */
  readonly reportPrefix?: string;
  /** Pushgateway the metrics go to; `false` for none (then no drift alert can fire). @default 'http://prometheus-pushgateway.monitoring.svc:9091' */
  readonly pushgatewayUrl?: string | false;
  /** Webhook that receives a JSON summary of every run. @default - none */
  readonly webhookUrl?: string;
  /** Fail the run (exit 2, DriftCheckNotSucceeding) when an output cannot be written, instead of keeping the verdict and counting the failure. @default false */
  readonly mandatory?: boolean;
}

/** Properties of a {@link DriftCronJob}. */
export interface DriftCronJobProps {
  /** The model whose data is checked (name, namespace and monitoring settings come from it). */
  readonly model: ModelService;
  /** Reference (training) data. */
  readonly reference: DriftDataSource;
  /** Current (production) window. */
  readonly current: DriftDataSource;
  /** Features to compare, with per-feature thresholds. */
  readonly features: readonly DriftFeatureConfig[];
  /** Concept drift from labelled outcomes in the current window. @default - none */
  readonly labels?: DriftLabelsConfig;
  /** Multiple-testing correction and check-level rule. @default - Holm, any drifted feature, power 0.8 */
  readonly verdict?: DriftVerdictConfig;
  /** Feature-attribution drift from per-row attribution columns (`shap_<feature>`), alerted below an NDCG threshold. @default - off */
  readonly attribution?: DriftAttributionConfig;
  /** Connect/read timeouts of the reads and the deadline of a run (must end before `activeDeadline`). @default - 5 s, 20 s, 900 s */
  readonly timeouts?: DriftTimeoutsConfig;
  /** Where the statistics are computed: 'athena' runs them as SQL on Athena (section `athena`), for tables too big for one pod. @default 'memory' */
  readonly engine?: 'memory' | 'athena';
  /**
   * Engine 'athena': the workgroup (default `<model>-drift`) and each window's Glue table, or for
   * windows given as S3 prefixes the schema of their files (`DriftMonitoringAws` with
   * `athena: { tables: driftAthenaWindows(job.config) }` creates the workgroup, those tables and the grants;
   * the platform stacks do it for their models). @default - none
   */
  readonly athena?: DriftAthenaConfig;
  /** Reports, metrics and webhook. @default - metrics to the default Pushgateway */
  readonly outputs?: DriftOutputs;
  /** When the check runs. @default - weekly, Monday 03:00 */
  readonly schedule?: Cron;
  /** Time zone of the schedule. @default 'UTC' */
  readonly timeZone?: string;
  /** Annotations of the job's ServiceAccount: the IRSA role that reads the data (`DriftMonitoringAws.roleArn`). @default - none */
  readonly serviceAccountAnnotations?: Readonly<Record<string, string>>;
  /**
   * AWS identity of the job; required when it reads or writes `s3://` (or
   * `serviceAccountAnnotations` names the IRSA role).
   * @default - none (an error when the job calls AWS)
   */
  readonly awsIdentity?: AwsIdentity;
  /** Image with `node` 20+. @default NODE_IMAGE */
  readonly image?: string;
  /**
   * Requests and limits. The in-memory engine checks as many features in
   * parallel as the CPU request has whole cores (env `DRIFT_WORKERS`).
   * @default - 1 CPU request, 2 CPU limit (250m/1 with engine 'athena'); memory 1Gi/2Gi, or sized from `expectedRows`
   */
  readonly resources?: ComputeResources;
  /**
   * Rows expected in the larger of the two windows. The memory request is
   * {@link driftMemoryMebibytes} of it (limit: at least 2Gi); with `resources`
   * set, its memory limit must hold that estimate (a ValidationError otherwise).
   * @default - not declared: the default resources, no check
   */
  readonly expectedRows?: number;
  /** Longest a run may take. @default Duration.hours(1) */
  readonly activeDeadline?: Duration;
  /** CIDRs that narrow the job's AWS egress on 443 (VPC endpoints); its NetworkPolicy denies all else but DNS, the Pushgateway and the webhook. @default - see {@link EgressOptions} */
  readonly network?: EgressOptions;
}

/** Memory of the checker's process before any data: Node, the bundle, the AWS SDK, read buffers. */
const DRIFT_BASE_MIB = 160;
/** Memory of one feature worker thread before any data: its own V8 heap and the compiled bundle. */
const DRIFT_WORKER_BASE_MIB = 40;

/** How the data is laid out and checked, for {@link driftMemoryMebibytes}. */
export interface DriftMemoryModel {
  /** Both windows are Parquet: read one column at a time (CSV and JSON Lines are read in one pass, every column at once). @default false */
  readonly columnar?: boolean;
  /** Features checked in parallel (worker threads), each with its data in memory. @default 1 */
  readonly workers?: number;
}

/**
 * Bytes of the radix sort's scratch for a window of `rows` rows (`sortFloat64InPlace`):
 * 1/8 of its float64 column (1 byte per row), at least 2^17 values (1 MiB), at most the column.
 */
function sortScratchBytes(rows: number): number {
  return 8 * Math.min(rows, Math.max(Math.ceil(rows / 8), 2 ** 17));
}

/**
 * Memory a drift run needs for windows of `rows` rows each (measured with
 * `npm run bench:drift`, see the README). Each feature in flight (at most
 * `workers`) holds both windows' float64 column (2 x 8 bytes per row) and the
 * radix sort's scratch (sorted in place; 1/8 of a column, at least 1 MiB): 17
 * bytes per row. Parquet is read one column at a time, so that is all (the
 * decoder's buffers are collected after each row group); CSV and JSON Lines
 * are read in one pass, so both windows' columns (8 bytes per row numeric, 4
 * categorical) stay in memory until their feature is checked, and the
 * reader's growing chunks of each column, copied into one array at the end,
 * add half of that again until collected (measured: 1.5x), and a feature in
 * flight adds only the scratch. Plus the process and each worker's base, 20%
 * headroom, rounded up to 64 MiB.
 * @param numericColumns numeric features plus attribution columns
 */
export function driftMemoryMebibytes(rows: number, numericColumns: number, categoricalColumns: number, model: DriftMemoryModel = {}): number {
  const workers = Math.max(1, Math.min(model.workers ?? 1, Math.max(1, numericColumns)));
  const scratch = workers * sortScratchBytes(rows);
  const bytes = model.columnar === true
    ? (numericColumns + categoricalColumns > 0 ? workers * 2 * 8 * rows + scratch : 0)
    : (3 * (8 * numericColumns + 4 * categoricalColumns) + 8) * rows + (numericColumns > 0 ? scratch : 0);
  const base = DRIFT_BASE_MIB + (workers > 1 ? workers * DRIFT_WORKER_BASE_MIB : 0);
  const mib = (base + bytes / 2 ** 20) * 1.2;
  return Math.ceil(mib / 64) * 64;
}

/** Worker threads of the in-memory engine: the whole cores of the CPU request (at least 1). */
function driftWorkers(resources: ComputeResources): number {
  const amount = resources.cpu.request.amount;
  const cores = amount.endsWith('m') ? Number.parseInt(amount, 10) / 1000 : Number(amount);
  return Math.max(1, Math.floor(cores));
}

/**
 * The default CPU: 1 core requested (one feature at a time: worker threads did
 * not win in `npm run bench:drift`, see `driftWorkerCount`), 2 as the limit for
 * GC and I/O; Athena only orchestrates.
 */
function defaultCpu(engine: DriftCronJobProps['engine']): ComputeResources['cpu'] {
  return engine === 'athena' ? { request: Cpu.millis(250), limit: Cpu.millis(1000) } : { request: Cpu.millis(1000), limit: Cpu.millis(2000) };
}

/** The job's resources: as given (checked against `expectedRows`), or the defaults with memory sized from `expectedRows`. */
function driftResources(v: PropsValidator, props: DriftCronJobProps): ComputeResources {
  const defaults: ComputeResources = { cpu: defaultCpu(props.engine), memory: { request: Size.gibibytes(1), limit: Size.gibibytes(2) } };
  const rows = props.expectedRows;
  if (rows === undefined) return props.resources ?? defaults;
  v.check(Number.isInteger(rows) && rows > 0, 'expectedRows', rows, 'must be a positive integer');
  const categorical = props.features.filter((f) => f.type === 'categorical').length;
  const numeric = props.features.length - categorical + (props.attribution === undefined ? 0 : props.features.length);
  const columnar = [props.reference, props.current].every((s) => (s.format ?? inferDriftDataFormat(s.uri)) === 'parquet');
  const workers = driftWorkers(props.resources ?? defaults);
  const needed = driftMemoryMebibytes(Math.max(1, rows), numeric, categorical, { columnar, workers });
  if (props.resources !== undefined) {
    const limit = props.resources.memory.limit.toMebibytes();
    v.check(needed <= limit, 'expectedRows', rows,
      `${rows} rows per window need about ${needed} MiB (driftMemoryMebibytes, ${workers} feature${workers > 1 ? 's' : ''} in parallel), more than resources.memory.limit (${limit} MiB): `
      + 'raise the limit, request fewer CPUs (fewer features in parallel), use Parquet or split the data');
    return props.resources;
  }
  return { cpu: defaults.cpu, memory: { request: Size.mebibytes(needed), limit: Size.mebibytes(Math.max(needed, 2048)) } };
}

/** Where a checker config field comes from in the props, when the names differ. */
const CONFIG_TO_PROPS: ReadonlyArray<readonly [RegExp, string]> = [
  [/^outputs\.(json|html)\b.*/, 'outputs.reportPrefix'], [/^outputs\.pushgateway\b.*/, 'outputs.pushgatewayUrl'], [/^outputs\.webhook\b.*/, 'outputs.webhookUrl'],
];

/** A problem of {@link validateDriftConfig} (`path: rule`) as a ValidationError of the prop it came from, with the value there. */
function configError(constructPath: string, config: DriftCheckConfig, problem: string): ValidationError {
  const at = problem.indexOf(': ');
  const path = at > 0 ? problem.slice(0, at) : '(config)';
  const rule = at > 0 ? problem.slice(at + 2) : problem;
  const property = CONFIG_TO_PROPS.find(([pattern]) => pattern.test(path))?.[1] ?? path;
  const value = path.split(/\.|\[(\d+)\]/).filter((k) => k !== undefined && k !== '').reduce<unknown>((x, k) => (Array.isArray(x) ? x[Number(k)] : valueAt(x, k)), config);
  return new ValidationError(constructPath, property, value, rule);
}

/**
 * Scheduled data and concept drift detection for a model, running this
 * library's checker (two-sample KS and PSI for numeric features, chi-square
 * and PSI for categorical ones, accuracy against the baseline) from a
 * ConfigMap on the official Node.js image: no image to build. Reports go to
 * S3, metrics to a Pushgateway, and a PrometheusRule alerts on drift, on too
 * few rows for a verdict, on reports not written, on an accuracy drop, on
 * attribution drift (when configured) and on a check that has not succeeded
 * within its schedule.
 *
 * Exit codes of the job: 0 no drift, 1 drift (or too few labels), 3 no drift
 * found but too few rows for some feature, 2 failed to run (a failed output
 * keeps the verdict's code unless `outputs.mandatory`).
 */
export class DriftCronJob extends Construct implements IRunbookSource {
  /** The job. */
  public readonly job: NodeScriptCronJob;
  /** The checker configuration rendered into the ConfigMap. */
  public readonly config: DriftCheckConfig;
  /** Name of the CronJob. */
  public readonly name: string;
  /** Alerts about drift and the check itself. */
  public readonly alerts: readonly AlertDefinition[];
  /** The PrometheusRule, when the model's monitoring is enabled and metrics are pushed. */
  public readonly prometheusRule?: PrometheusRule;
  /** Cron expression of the schedule. */
  public readonly schedule: string;
  /** Rows per window, when declared (`expectedRows`). */
  public readonly expectedRows?: number;
  private readonly model: ModelService;
  private readonly reportPrefix?: string;

  constructor(scope: Construct, id: string, props: DriftCronJobProps) {
    super(scope, id);
    checkChartAtSynth(this);
    const v: PropsValidator = new PropsValidator(this);
    const model = props.model;
    this.model = model;
    this.name = `${model.name}-drift`;
    const outputs = props.outputs ?? {};
    const pushgateway = outputs.pushgatewayUrl === false ? undefined : outputs.pushgatewayUrl ?? DEFAULT_PUSHGATEWAY_URL;
    if (pushgateway) validateHttpUrl(v, 'outputs.pushgatewayUrl', pushgateway);
    if (outputs.webhookUrl) validateHttpUrl(v, 'outputs.webhookUrl', outputs.webhookUrl);
    const prefix = outputs.reportPrefix;
    if (prefix !== undefined) v.check(prefix.endsWith('/'), 'outputs.reportPrefix', prefix, "must end with '/'");
    this.reportPrefix = prefix;
    this.config = {
      model: model.name,
      reference: props.reference,
      current: props.current,
      features: props.features,
      ...(props.labels ? { labels: props.labels } : {}),
      outputs: {
        ...(prefix ? { json: `${prefix}drift-report.json`, html: `${prefix}drift-report.html` } : {}),
        ...(pushgateway ? { pushgateway: { url: pushgateway } } : {}),
        ...(outputs.webhookUrl ? { webhook: { url: outputs.webhookUrl } } : {}),
        ...(outputs.mandatory === undefined ? {} : { mandatory: outputs.mandatory }),
      },
      ...(props.verdict ? { verdict: props.verdict } : {}),
      ...(props.attribution ? { attribution: props.attribution } : {}),
      ...(props.timeouts ? { timeouts: props.timeouts } : {}),
      ...(props.engine ? { engine: props.engine } : {}),
      ...(props.athena ? { athena: props.athena } : {}),
    };
    // Every problem of the checker configuration at once, each under the property it came from.
    throwAll(validateDriftConfig(this.config).map((problem) => configError(this.node.path, this.config, problem)));
    const activeDeadline = props.activeDeadline ?? Duration.hours(1);
    const runDeadline = props.timeouts?.deadlineSeconds ?? DRIFT_DEFAULTS.deadlineSeconds;
    v.check(runDeadline < activeDeadline.toSeconds(), 'timeouts.deadlineSeconds', runDeadline,
      `must be below the job's activeDeadline (${activeDeadline.toSeconds()} s) so that the checker reports its own timeout`);

    const schedule = props.schedule ?? Cron.schedule({ minute: '0', hour: '3', weekDay: '1' });
    this.schedule = schedule.expressionString;
    this.expectedRows = props.expectedRows;
    validateSchedule(v, 'schedule', schedule, { property: 'timeZone', value: props.timeZone ?? 'UTC' });
    const resources = driftResources(v, props);
    // one bundle per engine: each stays below the 256 KiB client-side apply annotation
    const bundle = props.engine === 'athena' ? 'ml-drift-athena' : 'ml-drift';
    this.job = new NodeScriptCronJob(this, 'Job', {
      name: this.name,
      scriptName: `${bundle}.js`,
      script: readBundle(bundle),
      // the in-memory engine checks as many features in parallel as the CPU request has whole cores (worker threads)
      ...(props.engine === 'athena' ? {} : { env: { DRIFT_WORKERS: String(driftWorkers(resources)) } }),
      compress: 'brotli', // gzip -9 no longer leaves room in the 256 KiB client-side apply annotation
      config: this.config,
      args: ['run', '--config', '{config}'],
      schedule,
      timeZone: props.timeZone,
      image: props.image,
      serviceAccountAnnotations: awsIdentityAnnotations(v, {
        property: 'awsIdentity',
        reads: [props.reference.uri, props.current.uri, ...(prefix ? [prefix] : [])].filter((u) => u.startsWith('s3://')),
      }, props.awsIdentity, props.serviceAccountAnnotations),
      activeDeadline,
      resources,
      labels: { ...model.labels, 'app.kubernetes.io/name': this.name, 'app.kubernetes.io/instance': this.name, 'app.kubernetes.io/component': 'drift-check' },
      // Default-deny NetworkPolicy: the data and reports on S3/Athena (AWS on 443), http(s) sources, the Pushgateway and the webhook.
      egress: {
        aws: true,
        urls: [props.reference.uri, props.current.uri].filter((u) => /^https?:\/\//.test(u))
          .concat(pushgateway ? [pushgateway] : [], outputs.webhookUrl ? [outputs.webhookUrl] : []),
      },
      network: props.network,
    });
    this.node.defaultChild = this.job.cronJob;

    this.alerts = (pushgateway ? this.driftAlerts(schedule, props.labels, props.attribution) : [])
      .map((a) => ({ ...a, dashboardUrl: model.dashboardPanelUrl(driftAlertPanel(a.name)) }));
    if (pushgateway) model.addDashboardRow(driftRow(model.name));
    if (model.monitoring.enabled && this.alerts.length > 0) {
      this.prometheusRule = renderAlertRule(this, 'PrometheusRule', {
        name: this.name, labels: { ...model.labels, ...model.monitoring.selectorLabels }, alertLabels: { model: model.name }, alerts: this.alerts,
      });
    }
  }

  /**
   * What the check's queries cost a month on Athena (engine 'athena'; undefined
   * for the in-memory engine, whose pod the manifests price).
   * @param bytesPerQuery bytes one query scans
   * @default - from `expectedRows`: 16 bytes a row when both windows are Parquet (one float64 column of
   * both, uncompressed: an upper bound), 24 bytes per column a row otherwise (both whole tables are read);
   * 1 GB when `expectedRows` is not declared
   */
  public athenaCostLine(bytesPerQuery?: number): CostLine | undefined {
    if (this.config.engine !== 'athena') return undefined;
    const rows = this.expectedRows;
    const columnar = [this.config.reference, this.config.current].every((s) => s.format === 'parquet');
    const columns = this.config.athena?.schema?.columns.length ?? this.config.features.length;
    const estimate = rows === undefined ? 1e9 : rows * (columnar ? 16 : 24 * columns);
    return athenaDriftCostLine({ component: `${this.model.namespace ?? 'default'}/${this.name}`, schedule: this.schedule, features: this.config.features, bytesPerQuery: bytesPerQuery ?? estimate });
  }

  /**
   * The alerts on pushed drift metrics: drift, too few rows for a verdict,
   * outputs not written, a stale check and, when configured, an accuracy drop
   * and attribution drift.
   */
  private driftAlerts(schedule: Cron, labels: DriftLabelsConfig | undefined, attribution: DriftAttributionConfig | undefined): AlertDefinition[] {
    const model = this.model;
    // A run is due every `period`; the check is stale after 1.5 periods without success.
    const periodSeconds = Math.round((30.4 * 86400) / runsPerMonth(schedule.expressionString, this.node.path, 'schedule'));
    const stale = Math.round(periodSeconds * 1.5);
    const sel = promSelector({ model: model.name });
    const url = (alert: string) => runbookUrl(model.monitoring.runbookBaseUrl, model.namespace, model.name, alert);
    const alerts: AlertDefinition[] = [{
      name: 'ModelDataDrift',
      expr: `max(ml_drift_detected${promSelector({ model: model.name, feature: '' })}) > 0`,
      for: '0m',
      severity: AlertSeverity.WARNING,
      summary: `${model.name}: input data has drifted from the training data`,
      description: `The last drift check of ${model.name} found drift: a feature's corrected KS or chi-square p-value below alpha with an effect at or above its floor (or an accuracy drop or attribution drift).`,
      runbookUrl: url('ModelDataDrift'),
    }, {
      name: 'ModelDriftInsufficientData',
      expr: `max(ml_drift_insufficient_data${promSelector({ model: model.name, feature: '' })}) > 0`,
      for: '0m',
      severity: AlertSeverity.WARNING,
      summary: `${model.name}: too few rows for a drift verdict on some features`,
      description: `The last drift check of ${model.name} had fewer rows than its tests need (80% power at the effect floor) for at least one feature: drift there would go unnoticed.`,
      runbookUrl: url('ModelDriftInsufficientData'),
    }, {
      name: 'DriftCheckOutputsFailing',
      expr: `max(ml_drift_output_errors${sel}) > 0`,
      for: '0m',
      severity: AlertSeverity.WARNING,
      summary: `${model.name}: the drift check could not write some of its reports`,
      description: `The last drift check of ${model.name} completed, but a report or the webhook could not be written (the verdict and metrics are current).`,
      runbookUrl: url('DriftCheckOutputsFailing'),
    }, {
      name: 'DriftCheckNotSucceeding',
      // Quiet on a fresh install: before the first success, count from the CronJob's creation
      // (kube-state-metrics `kube_cronjob_created`), not from when Prometheus first looked.
      expr: `(time() - max(ml_drift_last_success_timestamp_seconds${sel})) > ${stale}`
        + ` or ((time() - max(kube_cronjob_created${promSelector({ ...(model.namespace ? { namespace: model.namespace } : {}), cronjob: this.name })})) > ${stale}`
        + ` unless max(ml_drift_last_success_timestamp_seconds${sel}))`,
      for: '1h',
      severity: AlertSeverity.WARNING,
      summary: `${model.name}: the drift check has not succeeded for 1.5 schedule periods`,
      description: `No successful drift check of ${model.name} for more than ${stale} seconds (schedule '${schedule.expressionString}'): drift would go unnoticed.`,
      runbookUrl: url('DriftCheckNotSucceeding'),
    }];
    if (attribution) {
      const threshold = attribution.threshold ?? DRIFT_DEFAULTS.ndcgThreshold;
      alerts.push({
        name: 'ModelFeatureAttributionDrift',
        expr: `min(ml_drift_attribution_ndcg${sel}) < ${threshold}`,
        for: '0m',
        severity: AlertSeverity.WARNING,
        summary: `${model.name}: the features that drive predictions have changed`,
        description: `The NDCG of the features' ranking by mean absolute attribution, current against reference, is below ${threshold} (SageMaker Clarify's default threshold is 0.9).`,
        runbookUrl: url('ModelFeatureAttributionDrift'),
      });
    }
    if (labels) {
      const maxDrop = labels.maxDrop ?? DRIFT_DEFAULTS.maxDrop;
      const floor = labels.baselineAccuracy - maxDrop;
      alerts.push({
        name: 'ModelAccuracyDrop',
        expr: `max(ml_model_accuracy${sel}) < ${Number(floor.toFixed(6))}`,
        for: '0m',
        severity: AlertSeverity.CRITICAL,
        summary: `${model.name}: accuracy dropped more than ${(maxDrop * 100).toFixed(1)} points below its baseline`,
        description: `Concept drift: accuracy on the latest labelled window is below ${floor.toFixed(4)} (baseline ${labels.baselineAccuracy}).`,
        runbookUrl: url('ModelAccuracyDrop'),
      });
    }
    return alerts;
  }

  /** Runbooks of the drift alerts, with the commands for this job and its reports. */
  public runbooks(): Runbook[] {
    const ns = this.model.namespace ? ` -n ${this.model.namespace}` : '';
    const report = this.reportPrefix?.startsWith('s3://')
      ? sh(`aws s3 cp ${this.reportPrefix}drift-report.html .`, `aws s3api list-object-versions --bucket ${this.reportPrefix.slice(5).split('/')[0]} --prefix ${this.reportPrefix.slice(5).split('/').slice(1).join('/')}drift-report.json`)
      // Jobs of a CronJob, also those made by `kubectl create job --from`, are owned by it.
      : sh(`JOB=$(kubectl${ns} get jobs -o json | jq -r '[.items[] | select(any(.metadata.ownerReferences[]?; .kind == "CronJob" and .name == "${this.name}"))] | sort_by(.metadata.creationTimestamp) | last | .metadata.name')`,
        `kubectl${ns} logs "job/$JOB"`);
    const rerun = sh(`kubectl${ns} create job --from=cronjob/${this.name} ${this.name}-manual`, `kubectl${ns} logs -f job/${this.name}-manual`);
    const byName = Object.fromEntries(this.alerts.map((a) => [a.name, a]));
    const out: Runbook[] = [];
    if (byName.ModelDataDrift) {
      out.push({
        alert: byName.ModelDataDrift,
        investigate: [
          `Open the latest report: which features drifted, by how much (PSI, KS/chi-square p-values) and in which direction:\n${report}`,
          'Check upstream: a schema change, a new data source, a broken join or a seasonal effect explains most drift.',
          'Compare with the model\'s live error rate and latency alerts; drift without a quality drop may only need monitoring.',
        ],
        mitigate: [
          'If the input pipeline is broken, fix it and re-run the check:\n' + rerun,
          'If the world changed, retrain on recent data (spot training pool), validate, and roll the new version out through the canary.',
          'If the drift is expected and harmless, raise that feature\'s effect floor or thresholds in the construct (minEffect / psiThresholds / ksAlpha) and record why.',
        ],
      });
    }
    if (byName.DriftCheckNotSucceeding) {
      out.push({
        alert: byName.DriftCheckNotSucceeding,
        investigate: [
          `Look at the CronJob and its last jobs (exit code 2 means it failed to run: bad data, unreadable input, no credentials):\n${sh(
            `kubectl${ns} get cronjob ${this.name}`, `kubectl${ns} get jobs -l app.kubernetes.io/name=${this.name} --sort-by=.status.startTime`)}`,
          `Read the one-line error of the last run:\n${sh(`kubectl${ns} logs -l app.kubernetes.io/name=${this.name} --tail=20`)}`,
          `Check the IRSA role on the ServiceAccount and the data locations in the config:\n${sh(
            `kubectl${ns} get serviceaccount ${this.name} -o yaml`, `kubectl${ns} get configmap ${this.name} -o jsonpath='{.data.config\\.json}'`)}`,
        ],
        mitigate: [`Fix the cause, then run the check now:\n${rerun}`],
      });
    }
    if (byName.ModelDriftInsufficientData) {
      out.push({
        alert: byName.ModelDriftInsufficientData,
        investigate: [
          `Open the latest report: which features say "too few rows", and how many rows each test needs per window:\n${report}`,
          'Check whether the current window shrank (traffic drop, a broken logging sink, a filter in the export) or the schedule is too frequent for the traffic.',
        ],
        mitigate: [
          'Widen the current window (a longer export period or a less frequent schedule) so that each window has the rows the report asks for.',
          'If smaller effects are not of interest, raise that feature\'s minEffect: fewer rows are needed for larger effects. Record why.',
        ],
      });
    }
    if (byName.DriftCheckOutputsFailing) {
      out.push({
        alert: byName.DriftCheckOutputsFailing,
        investigate: [
          `Read the warnings of the last run ("output not written"):\n${sh(`kubectl${ns} logs -l app.kubernetes.io/name=${this.name} --tail=20`)}`,
          'Check the IRSA role\'s write access to the report prefix and that the webhook endpoint answers.',
        ],
        mitigate: [`Fix the target, then run the check again:\n${rerun}`],
      });
    }
    if (byName.ModelFeatureAttributionDrift) {
      out.push({
        alert: byName.ModelFeatureAttributionDrift,
        investigate: [
          `Open the latest report: the attribution chart shows each feature's rank in the reference and now:\n${report}`,
          'A feature that moved up often means its values drifted (see its card) or an upstream feature broke and another took over.',
        ],
        mitigate: [
          'If the inputs are broken, fix the pipeline and re-run the check:\n' + rerun,
          'If the world changed, retrain on recent data and roll the new version out through the canary.',
        ],
      });
    }
    if (byName.ModelAccuracyDrop) {
      out.push({
        alert: byName.ModelAccuracyDrop,
        investigate: [
          `Open the latest report (accuracy over the labelled window, number of labels):\n${report}`,
          'Check whether labels are delayed or biased (late ground truth makes accuracy look worse).',
        ],
        mitigate: [
          'Roll back to the previous model version if it was better on this window (canary rollback or the Deployment rollout history).',
          'Retrain on recent labelled data and roll out through the canary.',
        ],
      });
    }
    return out;
  }
}
