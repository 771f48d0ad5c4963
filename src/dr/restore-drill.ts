/**
 * The restore drill's logic: what the bundled `restore-drill` job
 * (`src/cli/restore-drill.ts`) runs. Pure helpers plus {@link runRestoreDrill},
 * which talks to the Kubernetes API and the Pushgateway only through the
 * injected {@link RestoreDrillDeps}, so tests run it against fakes.
 */
import { KubeClient, KubeResult } from '../kube/kube-client';
import { pushMetrics } from '../kube/pushgateway';

/** Pushgateway job the drill pushes to. */
export const DRILL_PUSH_JOB = 'ml_platform_restore_drill';

/** Names of the metrics the drill pushes (gauges, grouped by `job` and `drill`). */
export const DRILL_METRICS = {
  /** 1 when the last drill restored and got every workload ready, else 0. */
  success: 'ml_platform_restore_drill_success',
  /** Seconds from creating the Restore until every workload was ready (or until the drill gave up). */
  duration: 'ml_platform_restore_drill_duration_seconds',
  /** The RTO the drill is measured against, in seconds. */
  rto: 'ml_platform_restore_drill_rto_seconds',
  /** Age of the restored backup when the restore started: the RPO actually achieved. */
  backupAge: 'ml_platform_restore_drill_backup_age_seconds',
  /** Unix time the last drill started. */
  lastRun: 'ml_platform_restore_drill_last_run_timestamp_seconds',
  /** Unix time of the last successful drill (only pushed on success). */
  lastSuccess: 'ml_platform_restore_drill_last_success_timestamp_seconds',
} as const;

/**
 * Gauge pushed with every run: 1 with the failed `stage` and the root cause
 * (`reason`, shortened) when the drill failed, 0 with `stage="none"` when it
 * succeeded (a push replaces the earlier run's series).
 */
export const DRILL_FAILURE_METRIC = 'ml_platform_restore_drill_failure_info';

/**
 * Label of the drill's own objects, valued with the drill's name: the
 * Restores it creates carry it from creation, and it labels the scratch
 * namespace as soon as it sees it (Velero creates it with the labels of the
 * backed-up one, plus `velero.io/restore-name`). The drill deletes only a
 * namespace carrying this label, or one whose `velero.io/restore-name` names
 * a Restore carrying it.
 */
export const DRILL_MARK_LABEL = 'ml-platform-constructs.dev/restore-drill';

/** Label Velero puts on what a restore created, naming the Restore (`velero.io/restore-name`, pkg/apis/velero/v1/labels_annotations.go). */
export const VELERO_RESTORE_NAME_LABEL = 'velero.io/restore-name';

/** A workload the drill waits for in the scratch namespace. */
export interface DrillWorkload {
  /** API version, for example `apps/v1`. */
  readonly apiVersion: string;
  /** Kind, for example `Deployment`. */
  readonly kind: string;
  /** Lower-case plural of the kind (the API path segment), for example `deployments`. */
  readonly plural: string;
  /** Object name. */
  readonly name: string;
}

/** What the drill script reads from `config.json`. */
export interface RestoreDrillConfig {
  /** Name of the drill: the `drill` grouping label, and the prefix of the Restore names. */
  readonly drill: string;
  /** Velero's namespace (Backups and Restores live there). */
  readonly veleroNamespace: string;
  /** The Velero Schedule whose newest completed backup is restored. */
  readonly schedule: string;
  /** Namespace the backup was taken of. */
  readonly sourceNamespace: string;
  /** Namespace the backup is restored into (created by the restore, deleted afterwards). */
  readonly scratchNamespace: string;
  /** The Restore to create (a `velero.io/v1` manifest); the script sets its name, its mark label and `spec.backupName`. */
  readonly restore: Readonly<Record<string, unknown>>;
  /** Workloads that must become ready. */
  readonly workloads: readonly DrillWorkload[];
  /** The drill gives up after this many seconds. */
  readonly timeoutSeconds: number;
  /** The RTO in seconds (pushed with the result). */
  readonly rtoSeconds: number;
  /** Seconds between status polls. */
  readonly pollSeconds: number;
  /** Deadline of one API or Pushgateway request, in seconds. @default 30 */
  readonly requestTimeoutSeconds?: number;
  /** Base URL of the Pushgateway. */
  readonly pushgatewayUrl: string;
  /** Delete the scratch namespace after the drill. */
  readonly cleanup: boolean;
  /** API server URL. @default - `https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT` */
  readonly apiServer?: string;
  /** Directory with the ServiceAccount `token` and `ca.crt`. @default '/var/run/secrets/kubernetes.io/serviceaccount' */
  readonly serviceAccountDir?: string;
}

/** The Kubernetes calls of the drill (implemented by `KubeClient`, faked in tests). */
export interface RestoreDrillApi {
  /** GET a JSON object; undefined when it does not exist (404). */
  getJson<T>(path: string): Promise<T | undefined>;
  /** Every item of a list, paged. */
  list<T>(path: string): Promise<T[]>;
  /** POST a JSON object; the created object, or 404/409/422. */
  create<T>(path: string, body: unknown): Promise<KubeResult<T>>;
  /** PATCH with a JSON merge patch. */
  mergePatch(path: string, patch: unknown): Promise<KubeResult<unknown>>;
  /** DELETE an object. */
  delete(path: string): Promise<KubeResult<unknown>>;
}

/** What {@link runRestoreDrill} needs from its process. */
export interface RestoreDrillDeps {
  /** The Kubernetes API. */
  readonly api: RestoreDrillApi;
  /** POSTs the metrics text to the Pushgateway URL; rejects on a failed push. */
  readonly push: (url: string, body: string) => Promise<void>;
  /** Progress (stdout). */
  readonly log: (message: string) => void;
  /** Problems (stderr). */
  readonly error: (message: string) => void;
  /** Current time in milliseconds. @default Date.now */
  readonly now?: () => number;
  /** Waits this many milliseconds. @default a timer */
  readonly sleep?: (ms: number) => Promise<void>;
  /** A number in [0, 1) for the Restore's name. @default Math.random */
  readonly random?: () => number;
}

/** A Velero Backup, as far as the drill reads it. */
export interface VeleroBackup {
  /** Metadata. */
  readonly metadata?: { readonly name?: string };
  /** Status. */
  readonly status?: { readonly phase?: string; readonly completionTimestamp?: string };
}

/** A completed backup: its name and when it completed. */
export interface CompletedBackup {
  /** Backup name. */
  readonly name: string;
  /** Completion time (RFC 3339). */
  readonly completionTimestamp: string;
}

/** Name of one of the drill's metrics. */
export type DrillMetricName = (typeof DRILL_METRICS)[keyof typeof DRILL_METRICS];

/** Metric name -> value of one run. */
export type DrillMetrics = Partial<Record<DrillMetricName, number>>;

const TERMINAL_PHASES = ['Completed', 'PartiallyFailed', 'Failed', 'FailedValidation'];

interface NamespaceObject {
  readonly metadata?: { readonly labels?: Readonly<Record<string, string>>; readonly deletionTimestamp?: string };
}

interface RestoreObject {
  readonly metadata?: { readonly name?: string; readonly labels?: Readonly<Record<string, string>> };
  readonly spec?: { readonly backupName?: string };
  readonly status?: { readonly phase?: string; readonly errors?: number; readonly warnings?: number; readonly failureReason?: string };
}

/** Where a failed drill stopped, and why. */
export interface DrillFailure {
  /** The step: `pre-clean`, `find-backup`, `create-namespace`, `create-restore`, `restore`, `workloads` or `push`. */
  readonly stage: string;
  /** The root cause. */
  readonly message: string;
}

interface WorkloadObject {
  readonly spec?: { readonly replicas?: number };
  readonly status?: {
    readonly readyReplicas?: number;
    readonly conditions?: ReadonlyArray<{ readonly type?: string; readonly status?: string; readonly reason?: string; readonly message?: string }>;
  };
}

/**
 * How many replicas of a restored workload must be ready: all of
 * `spec.replicas` (at least one). A restored pod is ready only when its
 * readiness probe passes, which for a model server includes reaching what it
 * loads at start: a workload whose dependencies are unreachable from the
 * scratch namespace never gets there, and the drill fails.
 */
export function wantedReplicas(w: { readonly spec?: { readonly replicas?: number } } | undefined): number {
  return Math.max(1, w?.spec?.replicas ?? 1);
}

/** Why a restored workload is not ready, from its status conditions that are not `True` (empty when it has none). */
export function notReadyReason(w: WorkloadObject | undefined): string {
  const ready = w?.status?.readyReplicas ?? 0;
  const failing = (w?.status?.conditions ?? []).filter((c) => c.status !== 'True')
    .map((c) => `${c.type ?? '?'}: ${[c.reason, c.message].filter(Boolean).join(' ')}`.trim());
  return [`${ready}/${wantedReplicas(w)} replicas ready`, ...failing].join('; ');
}

/** Why the configuration cannot be run (a usage error), or undefined. */
export function restoreDrillConfigProblem(config: RestoreDrillConfig): string | undefined {
  return config.scratchNamespace === config.sourceNamespace ? 'the scratch namespace must differ from the source namespace' : undefined;
}

/** The newest backup with phase `Completed` and a completion time. */
export function newestCompletedBackup(items: readonly VeleroBackup[]): CompletedBackup | undefined {
  const completed: CompletedBackup[] = [];
  for (const b of items) {
    const at = b.status?.completionTimestamp;
    if (b.status?.phase === 'Completed' && at && b.metadata?.name) {
      completed.push({ name: b.metadata.name, completionTimestamp: at });
    }
  }
  return completed.sort((a, b) => Date.parse(b.completionTimestamp) - Date.parse(a.completionTimestamp))[0];
}

/**
 * The Restore to create for a backup: the configured manifest named `name`,
 * labelled {@link DRILL_MARK_LABEL}, with `spec.backupName` instead of
 * `spec.scheduleName` (Velero refuses a Restore that names both).
 */
export function restoreRequest(config: RestoreDrillConfig, backupName: string, name: string): Record<string, unknown> {
  const { metadata, spec, ...rest } = config.restore;
  const labels = { ...without(valueOf(metadata, 'labels'), ''), [DRILL_MARK_LABEL]: config.drill };
  return { ...rest, metadata: { ...without(metadata, 'generateName'), name, labels }, spec: { ...without(spec, 'scheduleName'), backupName } };
}

/**
 * The name of the Restore a run creates: `<drill>-<start time in base 36><3
 * random characters>` (at most 52 + 1 + 10 = 63 characters, a valid label
 * value for Velero's `velero.io/restore-name`). Chosen once per run, it makes
 * the create idempotent: a POST retried after a lost answer meets 409 and
 * finds its own Restore.
 */
export function restoreName(drill: string, startedMs: number, random: () => number = Math.random): string {
  const suffix = Math.floor(random() * 36 ** 3).toString(36).padStart(3, '0');
  return `${drill}-${Math.floor(startedMs / 1000).toString(36)}${suffix}`;
}

/** API path of a workload in a namespace. */
export function workloadPath(namespace: string, w: DrillWorkload): string {
  const group = w.apiVersion.includes('/') ? `/apis/${w.apiVersion}` : `/api/${w.apiVersion}`;
  return `${group}/namespaces/${namespace}/${w.plural}/${w.name}`;
}

/** The Pushgateway URL of a drill's metrics group. */
export function drillPushUrl(pushgatewayUrl: string, drill: string): string {
  return `${pushgatewayUrl.replace(/\/+$/, '')}/metrics/job/${DRILL_PUSH_JOB}/drill/${encodeURIComponent(drill)}`;
}

/**
 * Prometheus text exposition of the drill's gauges, sorted by name, values
 * rounded to milliseconds; with `outcome`, also {@link DRILL_FAILURE_METRIC}
 * (the root cause of a failure, or `stage="none"` after a success).
 */
export function formatDrillMetrics(metrics: DrillMetrics, outcome?: { readonly failure?: DrillFailure }): string {
  const gauges: Array<[string, string]> = [];
  for (const name of Object.values(DRILL_METRICS)) {
    const value = metrics[name];
    if (value !== undefined) {
      gauges.push([name, `${name} ${String(Math.round(value * 1000) / 1000)}`]);
    }
  }
  if (outcome) {
    const f = outcome.failure;
    gauges.push([DRILL_FAILURE_METRIC, `${DRILL_FAILURE_METRIC}{reason="${labelValue(f?.message ?? '')}",stage="${labelValue(f?.stage ?? 'none')}"} ${f ? 1 : 0}`]);
  }
  const lines = gauges.sort(([a], [b]) => (a < b ? -1 : 1)).flatMap(([name, sample]) => [`# TYPE ${name} gauge`, sample]);
  return `${lines.join('\n')}\n`;
}

/** A label value escaped for the text format (backslash, quote, newline) and cut to 200 characters. */
function labelValue(v: string): string {
  return v.slice(0, 200).replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/**
 * The drill: (1) deletes a scratch namespace left by an earlier run (only the
 * drill's own: see {@link DRILL_MARK_LABEL}) and waits until it is gone,
 * (2) finds the newest completed backup of the schedule, (3) creates the
 * scratch namespace labelled as the drill's, then a Restore of the backup
 * into it, labelled as the drill's, (4) waits for the Restore to finish,
 * then waits for every replica of every workload to be ready (a failure
 * names the workload's failing conditions), (5) pushes success, duration, backup age, timestamps and
 * the root cause of a failure to the Pushgateway, (6) deletes the scratch
 * namespace. Every wait ends at `timeoutSeconds`; a Restore that vanishes
 * fails the drill at the next poll. On failure the drill deletes its Restore
 * (stopping Velero's work on it) once the namespace is marked, so a failed
 * run never blocks the next. The first error line is the root cause; cleanup
 * problems follow it. Resolves to the exit code: 0 on success, 1 on failure
 * (after pushing `success 0`).
 */
export async function runRestoreDrill(config: RestoreDrillConfig, deps: RestoreDrillDeps): Promise<number> {
  const drill = new Drill(config, deps);
  let failure = await drill.restoreAndMeasure();
  const notes: string[] = [];
  if (failure !== undefined) {
    await drill.markOwnScratch(notes);
  }
  try {
    await deps.push(drillPushUrl(config.pushgatewayUrl, config.drill), formatDrillMetrics(drill.metrics, { failure }));
  } catch (err) {
    if (failure === undefined) {
      failure = { stage: 'push', message: `pushing metrics failed: ${messageOf(err)}` };
    } else {
      notes.push(`pushing metrics failed: ${messageOf(err)}`);
    }
  }
  if (config.cleanup) {
    try {
      await drill.deleteScratch(false);
    } catch (err) {
      notes.push(`cleanup failed: ${messageOf(err)}`);
    }
  }
  if (failure !== undefined) {
    await drill.deleteOwnRestore(notes);
    deps.error(`${failure.message} (stage: ${failure.stage})`);
  }
  notes.forEach((n) => deps.error(n));
  return failure === undefined ? 0 : 1;
}

/**
 * A Kubernetes client for the drill: `config.apiServer` (or the in-cluster
 * API server) with the ServiceAccount token read before every request
 * (projected tokens rotate during a long drill) and its CA for https. Each
 * request has a deadline of `requestTimeoutSeconds`; the retries of the run
 * end 10 minutes after its `timeoutSeconds`, inside the Job's deadline.
 */
export function restoreDrillClient(config: RestoreDrillConfig, env: NodeJS.ProcessEnv = process.env): KubeClient {
  return KubeClient.inCluster({
    env,
    dir: config.serviceAccountDir,
    apiServer: config.apiServer,
    namespace: config.veleroNamespace,
    retry: { requestTimeoutMs: (config.requestTimeoutSeconds ?? 30) * 1000, budgetMs: (config.timeoutSeconds + 600) * 1000 },
  });
}

/** POSTs metrics to a Pushgateway, with retries (POST replaces only the pushed metrics, so the last success timestamp survives a failed run). */
export function pushToGateway(url: string, body: string): Promise<void> {
  return pushMetrics(url, body, { method: 'POST' });
}

/** A step of the drill that failed, with its stage. */
class StageError extends Error {
  constructor(public readonly stage: string, message: string) {
    super(message);
  }
}

/** One run of the drill: its clock, its metrics and its steps. */
class Drill {
  public readonly metrics: DrillMetrics;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly started: number;
  private readonly deadline: number;
  private readonly velero: string;
  private readonly scratchPath: string;
  private restoreStarted?: number;
  /** The Restore this run created (or adopted after a retried create). */
  private restore?: string;
  /** Whether the scratch namespace of this run carries the mark. */
  private marked = false;
  /** Whether the scratch namespace was deleted after this run's Restore. */
  private scratchDeleted = false;

  constructor(private readonly config: RestoreDrillConfig, private readonly deps: RestoreDrillDeps) {
    this.now = deps.now ?? Date.now;
    this.sleep = deps.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.started = this.now();
    this.deadline = this.started + config.timeoutSeconds * 1000;
    this.velero = `/apis/velero.io/v1/namespaces/${config.veleroNamespace}`;
    this.scratchPath = `/api/v1/namespaces/${config.scratchNamespace}`;
    this.metrics = { [DRILL_METRICS.lastRun]: this.started / 1000, [DRILL_METRICS.rto]: config.rtoSeconds };
  }

  /** Steps 1-4; records the metrics and resolves to the failure, if any. */
  public async restoreAndMeasure(): Promise<DrillFailure | undefined> {
    const c = this.config;
    let stage = 'pre-clean';
    try {
      await this.deleteScratch(true);
      stage = 'find-backup';
      const backup = await this.newestBackup();
      const restoreStarted = this.now();
      this.restoreStarted = restoreStarted;
      this.metrics[DRILL_METRICS.backupAge] = (restoreStarted - Date.parse(backup.completionTimestamp)) / 1000;
      this.deps.log(`restoring backup ${backup.name} (completed ${backup.completionTimestamp}) of ${c.sourceNamespace} into ${c.scratchNamespace}`);
      stage = 'create-namespace';
      await this.createScratch();
      stage = 'create-restore';
      const name = await this.createRestore(backup.name);
      stage = 'restore';
      await this.waitForRestore(name);
      stage = 'workloads';
      await this.waitForWorkloads();
      const seconds = (this.now() - restoreStarted) / 1000;
      this.metrics[DRILL_METRICS.duration] = seconds;
      this.metrics[DRILL_METRICS.success] = 1;
      this.metrics[DRILL_METRICS.lastSuccess] = this.now() / 1000;
      this.deps.log(`restore drill succeeded in ${seconds.toFixed(1)}s (RTO ${c.rtoSeconds}s)${seconds > c.rtoSeconds ? ': RTO EXCEEDED' : ''}`);
      return undefined;
    } catch (err) {
      this.metrics[DRILL_METRICS.success] = 0;
      if (this.restoreStarted !== undefined) {
        this.metrics[DRILL_METRICS.duration] = (this.now() - this.restoreStarted) / 1000;
      }
      return { stage: err instanceof StageError ? err.stage : stage, message: messageOf(err) };
    }
  }

  /** After a failure: labels the scratch namespace this run's Restore made, if not yet (problems go to `notes`). */
  public async markOwnScratch(notes: string[]): Promise<void> {
    if (this.restore === undefined) {
      return;
    }
    try {
      for (let i = 0; i < 3 && !(await this.markScratch()); i++) {
        await this.sleep(200 * (i + 1));
      }
    } catch (err) {
      notes.push(`labelling namespace ${this.config.scratchNamespace} failed: ${messageOf(err)}`);
    }
  }

  /**
   * After a failure: deletes this run's Restore (Velero stops working on a
   * deleted one) once its namespace is marked or deleted. Otherwise the
   * Restore is kept: its name on the namespace (`velero.io/restore-name`) is
   * how the next run recognises the namespace as the drill's.
   */
  public async deleteOwnRestore(notes: string[]): Promise<void> {
    if (this.restore === undefined) {
      return;
    }
    if (!this.marked && !this.scratchDeleted) {
      notes.push(`kept restore ${this.restore}: namespace ${this.config.scratchNamespace} could not be labelled, and the next run recognises it by this restore`);
      return;
    }
    try {
      const deleted = await this.deps.api.delete(`${this.velero}/restores/${this.restore}`);
      this.deps.log(deleted.ok ? `deleted restore ${this.restore}` : `restore ${this.restore} is already gone`);
    } catch (err) {
      notes.push(`deleting restore ${this.restore} failed: ${messageOf(err)}`);
    }
  }

  /** Deletes the scratch namespace if it exists and is the drill's (and a kept Restore that made it); refuses anyone else's. */
  public async deleteScratch(wait: boolean): Promise<void> {
    const c = this.config;
    const ns = await this.deps.api.getJson<NamespaceObject>(this.scratchPath);
    if (ns === undefined) {
      return;
    }
    const labels = ns.metadata?.labels ?? {};
    const madeBy = labels[VELERO_RESTORE_NAME_LABEL];
    const keptRestore = labels[DRILL_MARK_LABEL] !== c.drill && madeBy !== undefined && madeBy !== this.restore ? await this.ownRestore(madeBy) : undefined;
    // After this run created its Restore, the namespace is this run's: the pre-clean saw it absent.
    if (labels[DRILL_MARK_LABEL] !== c.drill && keptRestore === undefined && this.restore === undefined) {
      throw new StageError('pre-clean', `namespace ${c.scratchNamespace} exists but is not marked ${DRILL_MARK_LABEL}=${c.drill} ` +
        'nor made by one of the drill\'s restores; refusing to delete it (delete it by hand if it is a leftover of this drill)');
    }
    if (ns.metadata?.deletionTimestamp === undefined) {
      this.deps.log(`deleting scratch namespace ${c.scratchNamespace}`);
      await this.deps.api.delete(this.scratchPath);
    }
    this.scratchDeleted = this.restore !== undefined;
    if (wait) {
      await this.until(`namespace ${c.scratchNamespace} to be deleted`, async () => (await this.deps.api.getJson(this.scratchPath)) === undefined);
    }
    if (keptRestore !== undefined) {
      await this.deps.api.delete(`${this.velero}/restores/${keptRestore}`);
      this.deps.log(`deleted restore ${keptRestore} kept by an earlier run`);
    }
  }

  /** `name` when it is a Restore carrying the drill's mark, else undefined. */
  private async ownRestore(name: string): Promise<string | undefined> {
    const r = await this.deps.api.getJson<RestoreObject>(`${this.velero}/restores/${encodeURIComponent(name)}`);
    return r?.metadata?.labels?.[DRILL_MARK_LABEL] === this.config.drill ? name : undefined;
  }

  private async newestBackup(): Promise<CompletedBackup> {
    const c = this.config;
    const selector = encodeURIComponent(`velero.io/schedule-name=${c.schedule}`);
    const items = await this.deps.api.list<VeleroBackup>(`${this.velero}/backups?labelSelector=${selector}`);
    const backup = newestCompletedBackup(items);
    if (!backup) {
      throw new Error(`schedule ${c.schedule} has no completed backup in namespace ${c.veleroNamespace}`);
    }
    return backup;
  }

  /** Creates the Restore (marked as the drill's); a 409 after a retried POST adopts the Restore the first POST made. */
  private async createRestore(backupName: string): Promise<string> {
    const name = restoreName(this.config.drill, this.started, this.deps.random);
    const created = await this.deps.api.create<RestoreObject>(`${this.velero}/restores`, restoreRequest(this.config, backupName, name));
    if (!created.ok) {
      const existing = created.outcome === 'conflict' ? await this.deps.api.getJson<RestoreObject>(`${this.velero}/restores/${name}`) : undefined;
      if (existing?.metadata?.labels?.[DRILL_MARK_LABEL] !== this.config.drill || existing.spec?.backupName !== backupName) {
        throw new Error(`creating restore ${name} failed: HTTP ${created.status}: ${created.message}`);
      }
    }
    this.restore = name;
    this.deps.log(`created restore ${name}`);
    return name;
  }

  /** Waits for the Restore to finish, marking the scratch namespace as soon as it appears; fails unless it completed. */
  private async waitForRestore(name: string): Promise<void> {
    const c = this.config;
    const status = await this.until(`restore ${name} to finish`, async () => {
      const r = await this.deps.api.getJson<RestoreObject>(`${this.velero}/restores/${name}`);
      if (r === undefined) {
        throw new Error(`restore ${name} vanished while the drill waited for it (deleted by someone or something else); ` +
          `see: kubectl -n ${c.veleroNamespace} get events --field-selector involvedObject.name=${name}`);
      }
      await this.markScratch();
      return r.status?.phase !== undefined && TERMINAL_PHASES.includes(r.status.phase) ? r.status : undefined;
    });
    for (let i = 0; i < 3 && !(await this.markScratch()); i++) {
      await this.sleep(200 * (i + 1));
    }
    if (status.phase !== 'Completed') {
      throw new Error(`restore ${name} ended ${status.phase}${status.failureReason ? ` (${status.failureReason})` : ''} ` +
        `(errors: ${status.errors ?? 0}, warnings: ${status.warnings ?? 0}); see: velero -n ${c.veleroNamespace} restore describe ${name} --details`);
    }
    this.deps.log(`restore ${name} completed; waiting for workloads`);
  }

  /**
   * Labels the scratch namespace as the drill's if it exists and is not yet
   * (the pre-clean made sure it did not exist before this run's Restore, so
   * it is this run's). True when marked or absent; false after a conflict.
   */
  private async markScratch(): Promise<boolean> {
    if (this.marked) {
      return true;
    }
    const ns = await this.deps.api.getJson<NamespaceObject>(this.scratchPath);
    if (ns === undefined) {
      return true;
    }
    if (ns.metadata?.labels?.[DRILL_MARK_LABEL] !== this.config.drill) {
      const res = await this.deps.api.mergePatch(this.scratchPath, { metadata: { labels: { [DRILL_MARK_LABEL]: this.config.drill } } });
      if (!res.ok) {
        this.deps.log(`labelling namespace ${this.config.scratchNamespace} answered HTTP ${res.status} (${res.message}); trying again`);
        return res.outcome === 'notFound';
      }
      this.deps.log(`marked namespace ${this.config.scratchNamespace} as ${DRILL_MARK_LABEL}=${this.config.drill}`);
    }
    this.marked = true;
    return true;
  }

  /** Waits until every replica of every workload is ready; a timeout names what is not ready and why (its failing conditions). */
  private async waitForWorkloads(): Promise<void> {
    for (const w of this.config.workloads) {
      const path = workloadPath(this.config.scratchNamespace, w);
      let last: WorkloadObject | undefined;
      try {
        await this.until(`${w.kind} ${w.name} to have every replica ready`, async () => {
          last = await this.deps.api.getJson<WorkloadObject>(path);
          return (last?.status?.readyReplicas ?? 0) >= wantedReplicas(last);
        });
      } catch (err) {
        throw new Error(`${messageOf(err)} (${last === undefined ? 'not restored' : notReadyReason(last)})`, { cause: err });
      }
      this.deps.log(`${w.kind} ${w.name} is ready`);
    }
  }

  /**
   * Creates the scratch namespace marked as the drill's before the Restore,
   * so that cleanup always recognises it, even when the Restore fails or
   * times out early. Velero restores into an existing namespace and leaves
   * it as it is (`EnsureNamespaceExistsAndIsReady`, vmware-tanzu/velero
   * pkg/util/kube/utils.go), so the namespace gets the source namespace's
   * labels (Pod Security level, mesh injection) here, as Velero would have
   * restored them. A 409 adopts a namespace carrying this drill's mark (a
   * retried POST); any other existing namespace fails the drill.
   */
  private async createScratch(): Promise<void> {
    const c = this.config;
    const source = await this.deps.api.getJson<NamespaceObject>(`/api/v1/namespaces/${c.sourceNamespace}`);
    const labels = Object.fromEntries(Object.entries(source?.metadata?.labels ?? {}).filter(([k]) => k !== 'kubernetes.io/metadata.name' && k !== DRILL_MARK_LABEL));
    const body = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: c.scratchNamespace, labels: { ...labels, [DRILL_MARK_LABEL]: c.drill } } };
    const created = await this.deps.api.create<NamespaceObject>('/api/v1/namespaces', body);
    if (!created.ok) {
      const existing = created.outcome === 'conflict' ? await this.deps.api.getJson<NamespaceObject>(this.scratchPath) : undefined;
      if (existing?.metadata?.labels?.[DRILL_MARK_LABEL] !== c.drill) {
        throw new Error(`creating namespace ${c.scratchNamespace} failed: HTTP ${created.status}: ${created.message}`);
      }
    }
    this.marked = true;
    this.deps.log(`created namespace ${c.scratchNamespace} marked ${DRILL_MARK_LABEL}=${c.drill}`);
  }

  /** Polls `check` until it returns a truthy value, or throws at the deadline. */
  private async until<T>(what: string, check: () => Promise<T | undefined | false>): Promise<T> {
    const poll = Math.max(0.05, this.config.pollSeconds) * 1000;
    for (;;) {
      const done = await check();
      if (done) {
        return done;
      }
      if (this.now() > this.deadline) {
        throw new Error(`timed out after ${this.config.timeoutSeconds}s waiting for ${what}`);
      }
      await this.sleep(poll);
    }
  }
}

/** The fields of a JSON object except one (nothing when it is not an object). */
function without(v: unknown, field: string): Record<string, unknown> {
  const fields = typeof v === 'object' && v !== null && !Array.isArray(v) ? Object.entries(v) : [];
  return Object.fromEntries(fields.filter(([k]) => k !== field));
}

/** The field of a JSON object (undefined when it is not an object). */
function valueOf(v: unknown, field: string): unknown {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? Object.fromEntries(Object.entries(v))[field] : undefined;
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
