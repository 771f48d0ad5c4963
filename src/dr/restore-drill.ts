/**
 * The restore drill's logic: what the bundled `restore-drill` job
 * (`src/cli/restore-drill.ts`) runs. Pure helpers plus {@link runRestoreDrill},
 * which talks to the Kubernetes API and the Pushgateway only through the
 * injected {@link RestoreDrillDeps}, so tests run it against fakes.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { KubeClient, SERVICE_ACCOUNT_DIR, inClusterApiServer } from '../kube/kube-client';

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
 * Label the drill puts on the scratch namespace it restored into (Velero
 * creates it with the labels of the backed-up one); it deletes only a
 * namespace carrying this label with its own name.
 */
export const DRILL_MARK_LABEL = 'ml-platform-constructs.dev/restore-drill';

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
  /** The Restore to create (a `velero.io/v1` manifest); the script sets `generateName` and `spec.backupName`. */
  readonly restore: Readonly<Record<string, unknown>>;
  /** Workloads that must become ready. */
  readonly workloads: readonly DrillWorkload[];
  /** The drill gives up after this many seconds. */
  readonly timeoutSeconds: number;
  /** The RTO in seconds (pushed with the result). */
  readonly rtoSeconds: number;
  /** Seconds between status polls. */
  readonly pollSeconds: number;
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
  /** POST a JSON object; resolves to the created object. */
  createJson<T>(path: string, body: unknown): Promise<T>;
  /** PATCH with a JSON merge patch. */
  mergePatch(path: string, patch: unknown): Promise<void>;
  /** DELETE an object; false when it did not exist. */
  deleteJson(path: string): Promise<boolean>;
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
  readonly metadata?: { readonly labels?: Readonly<Record<string, string>> };
}

interface RestoreObject {
  readonly metadata?: { readonly name?: string };
  readonly status?: { readonly phase?: string; readonly errors?: number; readonly warnings?: number };
}

interface WorkloadObject {
  readonly status?: { readonly readyReplicas?: number };
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
 * The Restore to create for a backup: the configured manifest with
 * `generateName: <drill>-` instead of a name, and `spec.backupName` instead
 * of `spec.scheduleName` (Velero refuses a Restore that names both).
 */
export function restoreRequest(config: RestoreDrillConfig, backupName: string): Record<string, unknown> {
  const { metadata, spec, ...rest } = config.restore;
  return { ...rest, metadata: { ...without(metadata, 'name'), generateName: `${config.drill}-` }, spec: { ...without(spec, 'scheduleName'), backupName } };
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

/** Prometheus text exposition of the drill's gauges, sorted by name, values rounded to milliseconds. */
export function formatDrillMetrics(metrics: DrillMetrics): string {
  const lines: string[] = [];
  for (const name of Object.values(DRILL_METRICS).sort()) {
    const value = metrics[name];
    if (value !== undefined) {
      lines.push(`# TYPE ${name} gauge`, `${name} ${String(Math.round(value * 1000) / 1000)}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

/**
 * The drill: (1) deletes a scratch namespace left by an earlier run (only if
 * an earlier drill marked it with {@link DRILL_MARK_LABEL}), (2) finds the
 * newest completed backup of the schedule, (3) creates a Restore of it into
 * the scratch namespace, (4) waits for the Restore to finish, marks the
 * scratch namespace as the drill's, and waits for every workload to have a
 * ready replica, (5) pushes success, duration, backup age and timestamps to
 * the Pushgateway, (6) deletes the scratch namespace. Resolves to the exit
 * code: 0 on success, 1 on failure (after pushing `success 0`).
 */
export async function runRestoreDrill(config: RestoreDrillConfig, deps: RestoreDrillDeps): Promise<number> {
  const drill = new Drill(config, deps);
  let failure = await drill.restoreAndMeasure();
  try {
    await deps.push(drillPushUrl(config.pushgatewayUrl, config.drill), formatDrillMetrics(drill.metrics));
  } catch (err) {
    failure = failure ?? `pushing metrics failed: ${messageOf(err)}`;
    deps.error(`pushing metrics failed: ${messageOf(err)}`);
  }
  if (config.cleanup) {
    try {
      await drill.deleteScratch(false);
    } catch (err) {
      deps.error(`cleanup failed: ${messageOf(err)}`);
    }
  }
  if (failure !== undefined) {
    deps.error(failure);
    return 1;
  }
  return 0;
}

/**
 * A Kubernetes client for the drill: `config.apiServer` (or the in-cluster
 * API server) with the ServiceAccount token read before every request
 * (projected tokens rotate during a long drill) and its CA for https.
 */
export function restoreDrillClient(config: RestoreDrillConfig, env: NodeJS.ProcessEnv = process.env): KubeClient {
  const dir = config.serviceAccountDir ?? SERVICE_ACCOUNT_DIR;
  const baseUrl = config.apiServer ?? inClusterApiServer(env);
  if (!baseUrl) {
    throw new Error('KUBERNETES_SERVICE_HOST is not set (not running in a pod?) and config.apiServer is empty');
  }
  const caFile = join(dir, 'ca.crt');
  return new KubeClient({
    baseUrl,
    namespace: config.veleroNamespace,
    tokenFile: join(dir, 'token'),
    ca: baseUrl.startsWith('https:') && existsSync(caFile) ? readFileSync(caFile, 'utf8') : undefined,
    timeoutMs: 30000,
  });
}

/** POSTs metrics to a Pushgateway (POST replaces only the pushed metrics, so the last success timestamp survives a failed run). */
export async function pushToGateway(url: string, body: string): Promise<void> {
  const res = await fetch(url, {
    method: 'POST', body, redirect: 'manual', signal: AbortSignal.timeout(30000), headers: { 'content-type': 'text/plain; version=0.0.4' },
  });
  if (res.status >= 300) {
    throw new Error(`HTTP ${res.status} ${(await res.text()).slice(0, 200)}`);
  }
}

/** One run of the drill: its clock, its metrics and its steps. */
class Drill {
  public readonly metrics: DrillMetrics;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly deadline: number;
  private readonly velero: string;
  private readonly scratchPath: string;
  private restoreStarted?: number;

  constructor(private readonly config: RestoreDrillConfig, private readonly deps: RestoreDrillDeps) {
    this.now = deps.now ?? Date.now;
    this.sleep = deps.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    const started = this.now();
    this.deadline = started + config.timeoutSeconds * 1000;
    this.velero = `/apis/velero.io/v1/namespaces/${config.veleroNamespace}`;
    this.scratchPath = `/api/v1/namespaces/${config.scratchNamespace}`;
    this.metrics = { [DRILL_METRICS.lastRun]: started / 1000, [DRILL_METRICS.rto]: config.rtoSeconds };
  }

  /** Steps 1-4; records the metrics and resolves to the failure message, if any. */
  public async restoreAndMeasure(): Promise<string | undefined> {
    const c = this.config;
    try {
      await this.deleteScratch(true);
      const backup = await this.newestBackup();
      const restoreStarted = this.now();
      this.restoreStarted = restoreStarted;
      this.metrics[DRILL_METRICS.backupAge] = (restoreStarted - Date.parse(backup.completionTimestamp)) / 1000;
      this.deps.log(`restoring backup ${backup.name} (completed ${backup.completionTimestamp}) of ${c.sourceNamespace} into ${c.scratchNamespace}`);
      await this.restore(backup.name);
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
      return messageOf(err);
    }
  }

  /** Deletes the scratch namespace if it exists and carries the drill's mark; refuses anyone else's. */
  public async deleteScratch(wait: boolean): Promise<void> {
    const c = this.config;
    const ns = await this.deps.api.getJson<NamespaceObject>(this.scratchPath);
    if (ns === undefined) {
      return;
    }
    if (ns.metadata?.labels?.[DRILL_MARK_LABEL] !== c.drill) {
      throw new Error(`namespace ${c.scratchNamespace} exists but is not marked ${DRILL_MARK_LABEL}=${c.drill}; ` +
        'refusing to delete it (delete it by hand if it is a leftover of this drill)');
    }
    this.deps.log(`deleting scratch namespace ${c.scratchNamespace}`);
    await this.deps.api.deleteJson(this.scratchPath);
    if (wait) {
      await this.until(`namespace ${c.scratchNamespace} to be deleted`, async () => (await this.deps.api.getJson(this.scratchPath)) === undefined);
    }
  }

  private async newestBackup(): Promise<CompletedBackup> {
    const c = this.config;
    const selector = encodeURIComponent(`velero.io/schedule-name=${c.schedule}`);
    const list = await this.deps.api.getJson<{ items?: VeleroBackup[] }>(`${this.velero}/backups?labelSelector=${selector}`);
    const backup = newestCompletedBackup(list?.items ?? []);
    if (!backup) {
      throw new Error(`schedule ${c.schedule} has no completed backup in namespace ${c.veleroNamespace}`);
    }
    return backup;
  }

  /** Creates the Restore, waits for it to finish, marks the scratch namespace and fails unless it completed. */
  private async restore(backupName: string): Promise<void> {
    const c = this.config;
    const created = await this.deps.api.createJson<RestoreObject>(`${this.velero}/restores`, restoreRequest(c, backupName));
    const restoreName = created.metadata?.name;
    if (!restoreName) {
      throw new Error('the API server answered the Restore without a name');
    }
    this.deps.log(`created restore ${restoreName}`);
    const status = await this.until(`restore ${restoreName} to finish`, async () => {
      const r = await this.deps.api.getJson<RestoreObject>(`${this.velero}/restores/${restoreName}`);
      return r?.status?.phase !== undefined && TERMINAL_PHASES.includes(r.status.phase) ? r.status : undefined;
    });
    if ((await this.deps.api.getJson(this.scratchPath)) !== undefined) {
      await this.deps.api.mergePatch(this.scratchPath, { metadata: { labels: { [DRILL_MARK_LABEL]: c.drill } } });
    }
    if (status.phase !== 'Completed') {
      throw new Error(`restore ${restoreName} ended ${status.phase} (errors: ${status.errors ?? 0}, warnings: ${status.warnings ?? 0}); ` +
        `see: velero -n ${c.veleroNamespace} restore describe ${restoreName} --details`);
    }
    this.deps.log(`restore ${restoreName} completed; waiting for workloads`);
  }

  private async waitForWorkloads(): Promise<void> {
    for (const w of this.config.workloads) {
      const path = workloadPath(this.config.scratchNamespace, w);
      await this.until(`${w.kind} ${w.name} to have a ready replica`, async () => {
        const r = await this.deps.api.getJson<WorkloadObject>(path);
        return (r?.status?.readyReplicas ?? 0) >= 1;
      });
      this.deps.log(`${w.kind} ${w.name} is ready`);
    }
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

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
