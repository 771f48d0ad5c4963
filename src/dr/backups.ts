import { ApiObject, Cron, Duration, Size, Yaml } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { PrometheusRule } from '../../imports/prometheusrule-monitoring.coreos.com';
import { renderAlertRule } from '../monitoring/alert-rule';
import { platformAlertLinks } from '../monitoring/dashboards/platform';
import { Restore, toJson_RestoreProps } from '../../imports/restore-velero.io';
import { Schedule } from '../../imports/schedule-velero.io';
import {
  BackupCadence, BackupStores, DisasterRecoveryPolicy, deriveBackupCadence, humanDuration, validateDisasterRecovery,
} from '../policy/disaster-recovery';
import { PropsValidator, ValidationError, addSynthCheck } from '../core/errors';
import { IRSA_ROLE_ARN_ANNOTATION, MANAGED_BY } from '../core/labels';
import { AlertDefinition, AlertSeverity, DEFAULT_PUSHGATEWAY_URL, MonitoringOptions, kebabCase } from '../monitoring/monitoring';
import { stableJson } from '../core/json';
import { IRunbookSource, Runbook, sh } from '../monitoring/runbooks';
import { addPodSeccomp, restrictedContainerSecurity, restrictedPodSecurity } from '../kube/pod-security';
import { DRILL_MARK_LABEL, DRILL_METRICS, DrillWorkload, RestoreDrillConfig } from './restore-drill';
import { readBundle } from '../core/bundles';
import { validateHttpUrl } from '../core/url';
import { validateSchedule } from '../core/cron';
import { checkChartAtSynth } from '../core/chart-checks';
import { validatePinnedImage } from '../kube/image';
import { DisasterRecoveryAwsBinding, renderRestoreRunbook } from './runbook';
import { WorkloadReference } from '../serving/model-service';
import { NODE_IMAGE } from '../kube/node-script-job';
import { clusterScoped } from '../kube/patches';
import { AdmissionValidation, ServiceAccountAdmissionPolicy, celString, serviceAccountAdmissionPolicy } from '../kube/admission';
import { EgressOptions, jobNetworkPolicy } from '../kube/network';

/** How Velero backs up the data in PersistentVolumes. */
export enum VolumeBackupMethod {
  /**
   * Velero file-system backup (kopia, run by the node agent) of every pod
   * volume into the backup bucket: works on any storage class and takes the
   * data off the cluster, so bucket replication carries it to the DR region.
   */
  FILE_SYSTEM = 'file-system',
  /**
   * CSI VolumeSnapshots (needs the snapshot controller and a
   * VolumeSnapshotClass labelled `velero.io/csi-volumesnapshot-class`).
   * Snapshots stay in the volume's region, so with a DR region the data is
   * also moved into the bucket (`snapshotMoveData`).
   */
  CSI_SNAPSHOT = 'csi-snapshot',
  /** Kubernetes objects only, no volume data (stateless namespaces). */
  NONE = 'none',
}

/**
 * A service whose readiness proves a restore worked. A {@link ModelService}
 * is one (its `name`, `namespace` and `workload`).
 */
export interface BackedUpService {
  /** Name of the service. */
  readonly name: string;
  /** Namespace it runs in. */
  readonly namespace?: string;
  /** The workload running its pods (a Deployment, or an Argo Rollout after a canary adopts it). */
  readonly workload: WorkloadReference;
}

/** Alerting of the backups (Prometheus operator). */
export type BackupMonitoringOptions = Pick<MonitoringOptions, 'enabled' | 'selectorLabels' | 'runbookBaseUrl'>;

/** An optional scheduled restore drill. */
export interface RestoreDrillOptions {
  /** Backed-up namespace to restore. @default - the namespace of `services` (they must share one) */
  readonly namespace?: string;
  /** Namespace the backup is restored into; created by the restore and deleted after it. @default `<namespace>-drill` */
  readonly scratchNamespace?: string;
  /** When the drill runs (UTC). @default - Mondays 04:00 */
  readonly schedule?: Cron;
  /** The drill gives up (and reports a failure) after this long. @default - twice the RTO */
  readonly timeout?: Duration;
  /** Alert when the last successful drill is older than this. @default Duration.days(8) (a weekly drill plus a day) */
  readonly maxAge?: Duration;
  /** Prometheus Pushgateway the measured restore time is pushed to. @default DEFAULT_PUSHGATEWAY_URL ('http://prometheus-pushgateway.monitoring.svc:9091') */
  readonly pushgatewayUrl?: string;
  /** Delete the scratch namespace after the drill. @default true */
  readonly cleanup?: boolean;
  /**
   * Resources not restored into the scratch namespace: monitoring objects
   * would scrape and alert on the copy, and Jobs/CronJobs would start real work.
   * The mesh objects of {@link DRILL_MESH_RESOURCES} are excluded in any case.
   * @default ['prometheusrules.monitoring.coreos.com', 'servicemonitors.monitoring.coreos.com', 'podmonitors.monitoring.coreos.com', 'jobs.batch', 'cronjobs.batch']
   */
  readonly excludedResources?: readonly string[];
  /** Image with `node` (20+) on the PATH. @default NODE_IMAGE */
  readonly image?: string;
  /** CIDRs of the API server endpoints the drill's NetworkPolicy admits (its egress: DNS, the API server, the Pushgateway). @default - any address on 443 and 6443 */
  readonly network?: Pick<EgressOptions, 'apiServerCidrs'>;
  /**
   * IAM role the restored ServiceAccounts carry in the scratch namespace (`eks.amazonaws.com/role-arn`,
   * rewritten by a Velero resource modifier), so restored workloads never present the production role:
   * a drill role whose trust names `system:serviceaccount:<scratch namespace>:<service account>` and that
   * reads what a restore needs. Without it the annotation is removed and restored pods get no IRSA role.
   * @default - none: the annotation is removed
   */
  readonly roleArn?: string;
}

/**
 * Istio objects a drill never restores, whatever `excludedResources` says:
 * they are not namespaced in effect (a VirtualService or Gateway for the
 * production host in the scratch namespace routes production traffic, and a
 * restored Rollout would then edit that copy), so the restored services are
 * reached by their in-namespace Service names only.
 */
export const DRILL_MESH_RESOURCES: readonly string[] = [
  'virtualservices.networking.istio.io', 'destinationrules.networking.istio.io', 'gateways.networking.istio.io',
  'envoyfilters.networking.istio.io', 'serviceentries.networking.istio.io', 'sidecars.networking.istio.io',
  'workloadentries.networking.istio.io', 'workloadgroups.networking.istio.io',
];

/** Properties of {@link PlatformBackups}. */
export interface PlatformBackupsProps {
  /** The policy the schedules, TTLs and drill are derived from. */
  readonly disasterRecovery: DisasterRecoveryPolicy;
  /** The platform's namespaces: one Velero Schedule each. */
  readonly namespaces: readonly string[];
  /** Prefix of every object name (`<name>-<namespace>` schedules, `<name>-restore-drill`), at most 37 characters. @default - the construct id */
  readonly name?: string;
  /** Namespace Velero runs in; the Schedules, the drill and the alerts go there. @default 'velero' */
  readonly veleroNamespace?: string;
  /** BackupStorageLocation the backups are written to. @default 'default' */
  readonly storageLocation?: string;
  /** How PersistentVolume data is backed up. @default VolumeBackupMethod.FILE_SYSTEM */
  readonly volumeBackup?: VolumeBackupMethod;
  /** Hour (UTC) of daily and weekly backups (an RPO of a day or more). @default 3 */
  readonly backupHourUtc?: number;
  /** Services whose readiness proves a restore (runbook checks, drill). @default - none */
  readonly services?: readonly BackedUpService[];
  /** A scheduled restore drill. @default - no drill */
  readonly drill?: RestoreDrillOptions;
  /** Alerts: RPO missed, and the drill's failed / over RTO / stale. @default - enabled, see {@link BackupMonitoringOptions} */
  readonly monitoring?: BackupMonitoringOptions;
  /** AWS names for the restore runbook (from `PlatformBackupsAws.runbookBinding`). @default - no AWS sections */
  readonly aws?: DisasterRecoveryAwsBinding;
  /** Extra labels of every object. @default - none */
  readonly labels?: Readonly<Record<string, string>>;
}

const DEFAULT_EXCLUDED = [
  'prometheusrules.monitoring.coreos.com', 'servicemonitors.monitoring.coreos.com', 'podmonitors.monitoring.coreos.com',
  // Jobs and CronJobs would start real work (training, materialization) in the scratch namespace.
  'jobs.batch', 'cronjobs.batch',
];
/** UID of the `node` user of the official Node.js image. */
const NODE_UID = 1000;
const MOUNT = '/opt/ml-platform';

/**
 * The Kubernetes half of disaster recovery: a Velero `velero.io/v1` Schedule
 * per platform namespace whose cron comes from the RPO and whose TTL is the
 * retention (PVC data by file-system backup or CSI snapshots), an alert when
 * a schedule's newest successful backup is older than the RPO, an optional
 * restore drill that proves the backups restore within the RTO, and the
 * restore runbook.
 *
 * @example
 * new PlatformBackups(chart, 'platform', {
 *   disasterRecovery: { rpo: Duration.hours(1), rto: Duration.hours(1), retention: Duration.days(30), drRegion: 'us-west-2' },
 *   namespaces: ['ml-churn'],
 *   services: [churnModel],
 *   drill: {},
 * });
 * @see https://velero.io/docs/main/api-types/schedule/
 */
export class PlatformBackups extends Construct implements IRunbookSource {
  /** Prefix of every object name. */
  public readonly name: string;
  /** The validated policy. */
  public readonly policy: DisasterRecoveryPolicy;
  /** Velero's namespace. */
  public readonly veleroNamespace: string;
  /** BackupStorageLocation of the backups. */
  public readonly storageLocation: string;
  /** How volume data is backed up. */
  public readonly volumeBackup: VolumeBackupMethod;
  /** The schedule derived from the policy. */
  public readonly cadence: BackupCadence;
  /** Schedule name by namespace. */
  public readonly scheduleNames: Readonly<Record<string, string>>;
  /** The Velero Schedules by namespace. */
  public readonly schedules: Readonly<Record<string, Schedule>>;
  /** Labels of every object. */
  public readonly labels: Readonly<Record<string, string>>;
  /** Alerts (also rendered into the PrometheusRule). */
  public readonly alerts: readonly AlertDefinition[];
  /** The PrometheusRule, when monitoring is enabled. */
  public readonly prometheusRule?: PrometheusRule;
  /** The restore drill, when requested. */
  public readonly drill?: RestoreDrill;
  /** Where the restore runbook belongs next to the manifests. */
  public readonly runbookPath: string;

  private readonly services: readonly PlacedService[];
  private readonly aws?: DisasterRecoveryAwsBinding;

  constructor(scope: Construct, id: string, props: PlatformBackupsProps) {
    super(scope, id);
    checkChartAtSynth(this);
    const v: PropsValidator = new PropsValidator(this);

    // ---- resolve and validate --------------------------------------------
    // At most 37 characters, so that `<name>-restore-drill` fits a CronJob name (52).
    this.name = v.dnsLabel('name', props.name ?? id, 37);
    this.policy = validateDisasterRecovery(v, 'disasterRecovery', props.disasterRecovery, props.aws?.region);
    this.veleroNamespace = v.dnsLabel('veleroNamespace', props.veleroNamespace ?? 'velero');
    this.storageLocation = v.dnsSubdomain('storageLocation', props.storageLocation ?? 'default');
    this.volumeBackup = props.volumeBackup ?? VolumeBackupMethod.FILE_SYSTEM;
    this.cadence = deriveBackupCadence(this.policy, BackupStores.VELERO, { validator: v, property: 'disasterRecovery', hourUtc: props.backupHourUtc });
    this.aws = props.aws;
    this.runbookPath = `runbooks/${this.name}-restore.md`;
    this.validateNamespaces(v, props.namespaces);
    this.services = validateServices(v, props.services ?? [], props.namespaces);
    this.labels = {
      'app.kubernetes.io/name': this.name,
      'app.kubernetes.io/instance': this.name,
      'app.kubernetes.io/component': 'backup',
      'app.kubernetes.io/managed-by': MANAGED_BY,
      ...props.labels,
    };

    // ---- objects ----------------------------------------------------------
    this.scheduleNames = Object.fromEntries(props.namespaces.map((ns) => [ns, `${this.name}-${ns}`]));
    this.schedules = Object.fromEntries(props.namespaces.map((ns) => [ns, this.renderSchedule(ns)]));
    this.drill = props.drill ? this.renderDrill(v, props.drill, props.namespaces) : undefined;
    const monitoring = props.monitoring ?? {};
    this.alerts = this.defineAlerts(monitoring);
    if (monitoring.enabled ?? true) {
      const selectorLabels = monitoring.selectorLabels ?? { release: 'kube-prometheus-stack' };
      this.prometheusRule = renderAlertRule(this, 'PrometheusRule', {
        name: this.name, namespace: this.veleroNamespace, labels: { ...this.labels, ...selectorLabels }, group: 'backups',
        alertLabels: { backups: this.name }, alerts: this.alerts,
      });
    }
  }

  /**
   * The restore runbook in Markdown (for `runbookPath`): the RPO/RTO it was
   * built for, what is backed up how often, and the exact restore and
   * verification commands for these schedules, services and AWS names.
   */
  public runbookMarkdown(): string {
    return renderRestoreRunbook({
      name: this.name,
      policy: this.policy,
      velero: {
        namespace: this.veleroNamespace,
        storageLocation: this.storageLocation,
        volumeBackup: describeVolumeBackup(this.volumeBackup, this.policy.drRegion !== undefined),
        schedules: Object.entries(this.scheduleNames).map(([namespace, name]) => ({ name, namespace, cron: this.cadence.cron, ttl: this.cadence.veleroTtl })),
        workloads: this.services.map((s) => ({ namespace: s.namespace, kind: s.workload.kind, name: s.workload.name })),
        drill: this.drill ? {
          cronJobName: this.drill.name,
          namespace: this.veleroNamespace,
          scratchNamespace: this.drill.scratchNamespace,
          schedule: this.drill.schedule.expressionString,
        } : undefined,
      },
      aws: this.aws,
      alerts: this.alerts,
    });
  }

  /**
   * Runbooks of the backups' alerts (collected into `runbooks/` next to the
   * manifests), with the commands for these schedules and this drill. The
   * full restore procedure is {@link runbookMarkdown}.
   */
  public runbooks(): Runbook[] {
    const ns = this.veleroNamespace;
    const schedules = Object.values(this.scheduleNames);
    const byName = Object.fromEntries(this.alerts.map((a) => [a.name, a]));
    const restoreFile = this.runbookPath.split('/').pop() ?? this.runbookPath;
    const restore = `Restore procedure: [${restoreFile}](${restoreFile}) (RPO ${humanDuration(this.policy.rpo)}, RTO ${humanDuration(this.policy.rto)}).`;
    const runbooks: Runbook[] = [{
      alert: byName.VeleroBackupOlderThanRpo,
      investigate: [
        `See when each schedule last succeeded:\n${sh(`velero -n ${ns} schedule get`, ...schedules.map((n) => `velero -n ${ns} backup get --selector velero.io/schedule-name=${n}`))}`,
        `Read why the newest backup of the schedule in the alert (its \`schedule\` label) failed or is still running:\n${sh(
          ': "${SCHEDULE:?set SCHEDULE to the schedule label of the alert}"',
          `BACKUP=$(kubectl -n ${ns} get backups.velero.io -l velero.io/schedule-name="$SCHEDULE" --sort-by=.metadata.creationTimestamp -o jsonpath='{.items[-1:].metadata.name}')`,
          `velero -n ${ns} backup describe "$BACKUP" --details`, `velero -n ${ns} backup logs "$BACKUP" | grep -iE 'error|fail'`)}`,
        `Check the storage location is Available and Velero (and its node agents, for file-system backup) run:\n${sh(
          `velero -n ${ns} backup-location get`, `kubectl -n ${ns} get pods -o wide`, `kubectl -n ${ns} logs deployment/velero --since=2h | grep -iE 'error|fail'`)}`,
        `If no schedule shows up in Prometheus, Velero's metrics are not scraped:\n${sh(`kubectl -n ${ns} get servicemonitors,podmonitors`)}`,
      ],
      mitigate: [
        `Take a backup now, so a restore would again lose less than the RPO:\n${sh(...schedules.map((n) => `velero -n ${ns} backup create --from-schedule ${n} --wait`))}`,
        'Fix the cause (bucket permissions of the IRSA role, node agent pods, CSI snapshot class or quota), then watch the next scheduled run complete.',
        `Until a backup completes, the RPO is breached: tell the owners of ${Object.keys(this.scheduleNames).join(', ')}. ${restore}`,
      ],
    }];
    if (this.drill) {
      const d = this.drill.name;
      const rerun = sh(`JOB=${d}-manual-$(date -u +%s)`, `kubectl -n ${ns} create job --from=cronjob/${d} "$JOB"`,
        `kubectl -n ${ns} wait "job/$JOB" --for=condition=complete --timeout=${Math.ceil((2 * this.policy.rto.toSeconds()) / 60)}m`, `kubectl -n ${ns} logs "job/$JOB"`);
      const newestRestore = `RESTORE=$(kubectl -n ${ns} get restores.velero.io -l ${DRILL_MARK_LABEL}=${d} --sort-by=.metadata.creationTimestamp -o jsonpath='{.items[-1:].metadata.name}')`;
      // Jobs of a CronJob, also those made by `kubectl create job --from`, are owned by it.
      const newestJob = `JOB=$(kubectl -n ${ns} get jobs -o json | jq -r '[.items[] | select(any(.metadata.ownerReferences[]?; .kind == "CronJob" and .name == "${d}"))] | sort_by(.metadata.creationTimestamp) | last | .metadata.name')`;
      const lastRun = `Read the last drill's log and its restore:\n${sh(
        `kubectl -n ${ns} get jobs --sort-by=.status.startTime | grep ${d}`,
        newestJob,
        `kubectl -n ${ns} logs "job/$JOB"`,
        newestRestore,
        `velero -n ${ns} restore describe "$RESTORE" --details`)}`;
      runbooks.push(
        {
          alert: byName.RestoreDrillFailed,
          investigate: [
            lastRun,
            `Keep the scratch namespace for a look (set the drill's \`cleanup: false\`), or check what it restored while a rerun waits:\n${sh(
              `kubectl -n ${this.drill.scratchNamespace} get pods,pvc,events --sort-by=.lastTimestamp`)}`,
            'Common causes: the model\'s IAM role does not trust the ServiceAccount in the scratch namespace (IRSA), a volume did not restore, the image cannot be pulled.',
          ],
          mitigate: [`Fix the cause, then run the drill again and see it succeed:\n${rerun}`, `A failing drill means a real restore would fail too: treat it as urgent. ${restore}`],
        },
        {
          alert: byName.RestoreDrillExceededRto,
          investigate: [
            lastRun,
            `Find the slow part: volume data (pod volume restores, data downloads) or pods starting (image pulls, model loading):\n${sh(
              newestRestore, `velero -n ${ns} restore logs "$RESTORE" | grep -iE 'podvolume|datadownload|snapshot'`)}`,
          ],
          mitigate: [
            'Make the restore faster: CSI snapshots instead of file-system backup for large volumes, smaller or pre-pulled images, faster model loading.',
            `Or state the RTO the platform really achieves in the disaster-recovery policy (now ${humanDuration(this.policy.rto)}) and tell its stakeholders.`,
            `Then run the drill again:\n${rerun}`,
          ],
        },
        {
          alert: byName.RestoreDrillStale,
          investigate: [
            `Check the CronJob runs and its jobs finish:\n${sh(`kubectl -n ${ns} get cronjob ${d}`, `kubectl -n ${ns} get jobs --sort-by=.status.startTime | grep ${d}`)}`,
            `Check the Pushgateway has the drill's metrics (it must be scraped with honor_labels):\n${sh(`curl -s ${this.drill.config.pushgatewayUrl}/metrics | grep ml_platform_restore_drill`)}`,
          ],
          mitigate: [`Run the drill now:\n${rerun}`],
        },
      );
    }
    return runbooks;
  }

  private validateNamespaces(v: PropsValidator, namespaces: readonly string[]): void {
    v.check(namespaces.length > 0, 'namespaces', namespaces, 'must list at least one namespace');
    namespaces.forEach((ns, i) => {
      v.dnsLabel(`namespaces[${i}]`, ns);
      v.check(namespaces.indexOf(ns) === i, `namespaces[${i}]`, ns, 'must be unique');
      v.check(ns !== this.veleroNamespace, `namespaces[${i}]`, ns, "is Velero's own namespace: restoring it over a running Velero breaks the restore");
      // The schedule name is the `velero.io/schedule-name` label of every backup: at most 63 characters.
      v.dnsLabel(`namespaces[${i}]`, `${this.name}-${ns}`, 63);
    });
  }

  /** The Velero Schedule of one namespace. */
  private renderSchedule(ns: string): Schedule {
    const moveData = this.volumeBackup === VolumeBackupMethod.CSI_SNAPSHOT && this.policy.drRegion !== undefined;
    return new Schedule(this, `Schedule-${ns}`, {
      metadata: { name: this.scheduleNames[ns], namespace: this.veleroNamespace, labels: { ...this.labels } },
      spec: {
        schedule: this.cadence.cron,
        useOwnerReferencesInBackup: false,
        template: {
          includedNamespaces: [ns],
          storageLocation: this.storageLocation,
          ttl: this.cadence.veleroTtl,
          snapshotVolumes: this.volumeBackup === VolumeBackupMethod.CSI_SNAPSHOT,
          defaultVolumesToFsBackup: this.volumeBackup === VolumeBackupMethod.FILE_SYSTEM,
          ...(moveData ? { snapshotMoveData: true } : {}),
          metadata: { labels: { ...this.labels, 'ml-platform-constructs.dev/backup-namespace': ns } },
        },
      },
    });
  }

  /** The restore drill of the namespace its services run in (or `drill.namespace`). */
  private renderDrill(v: PropsValidator, d: RestoreDrillOptions, backedUp: readonly string[]): RestoreDrill {
    v.check(this.services.length > 0, 'services', this.services,
      'must list at least one service when a drill is requested: the drill proves a restore by the services becoming ready');
    const namespaces = [...new Set(this.services.map((s) => s.namespace))];
    const drillNamespace = d.namespace ?? namespaces[0];
    v.check(d.namespace !== undefined || namespaces.length === 1, 'drill.namespace', d.namespace,
      `must name the namespace to restore: the services are in ${namespaces.join(', ')}`);
    v.check(backedUp.includes(drillNamespace), 'drill.namespace', drillNamespace, `must be one of the backed-up namespaces (${backedUp.join(', ')})`);
    const targets = this.services.filter((s) => s.namespace === drillNamespace);
    v.check(targets.length > 0, 'services', this.services.map((s) => s.name),
      `must include at least one service in '${drillNamespace}': the drill proves a restore by the services becoming ready`);
    return new RestoreDrill(this, 'RestoreDrill', {
      scratchNamespace: d.scratchNamespace,
      schedule: d.schedule,
      timeout: d.timeout,
      maxAge: d.maxAge,
      pushgatewayUrl: d.pushgatewayUrl,
      cleanup: d.cleanup,
      excludedResources: d.excludedResources,
      image: d.image,
      network: d.network,
      roleArn: d.roleArn,
      name: `${this.name}-restore-drill`,
      disasterRecovery: this.policy,
      veleroNamespace: this.veleroNamespace,
      scheduleName: this.scheduleNames[drillNamespace],
      sourceNamespace: drillNamespace,
      services: targets,
      labels: this.labels,
    });
  }

  private defineAlerts(monitoring: BackupMonitoringOptions): AlertDefinition[] {
    const base = (monitoring.runbookBaseUrl ?? 'runbooks').replace(/\/+$/, '');
    const links = platformAlertLinks(this, base);
    const alert = (name: string, rest: Omit<AlertDefinition, 'name' | 'runbookUrl'>): AlertDefinition =>
      ({ name, ...rest, runbookUrl: `${links.runbookBaseUrl}/${this.name}-${kebabCase(name)}.md`, dashboardUrl: links.dashboardUrl(name) });
    // A backup completes some time after its cron time: allow up to half an hour (or one RPO) past the RPO.
    const grace = Math.min(this.policy.rpo.toSeconds(), 1800);
    const threshold = Math.round(this.policy.rpo.toSeconds() + grace);
    const names = Object.values(this.scheduleNames);
    const metric = 'velero_backup_last_successful_timestamp';
    // Quiet on a fresh install, loud when backups stop: Velero exports per schedule
    // `velero_backup_attempt_total` from the moment it knows the schedule (vmware-tanzu/velero
    // pkg/metrics/metrics.go InitSchedule) and `velero_backup_last_successful_timestamp` once a
    // backup succeeded (0 before, filtered out). A schedule that has existed for the threshold
    // without a success fires; Velero not scraped at all fires once its namespace is older than
    // the threshold (kube-state-metrics `kube_namespace_created`).
    const age = `(time() - max by (schedule) (${metric}{schedule=~"${names.join('|')}"} > 0)) > ${threshold}`;
    const neverSucceeded = names.map((n) => `(max by (schedule) (velero_backup_attempt_total{schedule="${n}"} offset ${threshold}s)`
      + ` unless on (schedule) (${metric}{schedule="${n}"} > 0))`);
    const unscraped = names.map((n) => `(absent(velero_backup_attempt_total{schedule="${n}"})`
      + ` and on () ((time() - max(kube_namespace_created{namespace="${this.veleroNamespace}"})) > ${threshold}))`);
    const alerts = [alert('VeleroBackupOlderThanRpo', {
      expr: [age, ...neverSucceeded, ...unscraped].join(' or '),
      for: '5m',
      severity: AlertSeverity.WARNING,
      summary: `${this.name}: the newest Velero backup of a schedule is older than the RPO (${humanDuration(this.policy.rpo)})`,
      description: `The newest successful backup of Velero schedule {{ $labels.schedule }} is more than ${humanDuration(Duration.seconds(threshold))} old ` +
        `(RPO ${humanDuration(this.policy.rpo)} plus time for the backup to finish), or Velero's metrics are not scraped. A restore now would lose more than the RPO allows.`,
    })];
    if (this.drill) {
      const sel = `{drill="${this.drill.name}"}`;
      const rto = this.policy.rto.toSeconds();
      const maxAge = this.drill.maxAge.toSeconds();
      alerts.push(
        alert('RestoreDrillFailed', {
          expr: `max(${DRILL_METRICS.success}${sel}) == 0`,
          for: '5m',
          severity: AlertSeverity.WARNING,
          summary: `${this.name}: the last restore drill failed`,
          description: `The restore drill ${this.drill.name} could not restore the newest backup of ${this.drill.sourceNamespace} and get its services ready; read the job's log in ${this.veleroNamespace}.`,
        }),
        alert('RestoreDrillExceededRto', {
          expr: `max(${DRILL_METRICS.duration}${sel}) > ${rto}`,
          for: '5m',
          severity: AlertSeverity.WARNING,
          summary: `${this.name}: the last restore drill took longer than the RTO (${humanDuration(this.policy.rto)})`,
          description: `Restoring ${this.drill.sourceNamespace} took {{ $value | humanizeDuration }}, more than the RTO of ${humanDuration(this.policy.rto)}: a real restore would miss it.`,
        }),
        alert('RestoreDrillStale', {
          // Before the first success, count from the drill CronJob's creation (kube-state-metrics `kube_cronjob_created`).
          expr: `(time() - max(${DRILL_METRICS.lastSuccess}${sel})) > ${maxAge}`
            + ` or ((time() - max(kube_cronjob_created{namespace="${this.veleroNamespace}",cronjob="${this.drill.name}"})) > ${maxAge}`
            + ` unless max(${DRILL_METRICS.lastSuccess}${sel}))`,
          for: '1h',
          severity: AlertSeverity.WARNING,
          summary: `${this.name}: no successful restore drill for ${humanDuration(this.drill.maxAge)}`,
          description: `The restore drill ${this.drill.name} has not succeeded for ${humanDuration(this.drill.maxAge)} (or never ran, or the Pushgateway is not scraped): the backups are unproven.`,
        }),
      );
    }
    return alerts;
  }
}

/** A backed-up service whose namespace is known (the same object: its `workload` is read when needed). */
type PlacedService = BackedUpService & { readonly namespace: string };

function isPlaced(s: BackedUpService): s is PlacedService {
  return s.namespace !== undefined;
}

/** Every service must run in a backed-up namespace, as a Deployment or an Argo Rollout. */
function validateServices(v: PropsValidator, services: readonly BackedUpService[], namespaces: readonly string[]): PlacedService[] {
  services.forEach((s, i) => {
    v.check(s.namespace !== undefined && namespaces.includes(s.namespace), `services[${i}].namespace`, s.namespace,
      `must be one of the backed-up namespaces (${namespaces.join(', ')})`);
    v.check(['Deployment', 'Rollout'].includes(s.workload.kind), `services[${i}].workload.kind`, s.workload.kind, 'must be a Deployment or an Argo Rollout');
  });
  // Every service passed the namespace check above: the filter keeps them all, typed.
  return services.filter(isPlaced);
}

function describeVolumeBackup(method: VolumeBackupMethod, dr: boolean): string {
  switch (method) {
    case VolumeBackupMethod.FILE_SYSTEM:
      return 'volumes by file-system backup';
    case VolumeBackupMethod.CSI_SNAPSHOT:
      return dr ? 'volumes by CSI snapshot, data moved to the bucket' : 'volumes by CSI snapshot';
    case VolumeBackupMethod.NONE:
      return 'objects only, no volume data';
  }
}

/** Properties of a {@link RestoreDrill}. */
export interface RestoreDrillProps extends Omit<RestoreDrillOptions, 'namespace'> {
  /** Name of the CronJob, ConfigMap, ServiceAccount and RBAC objects (at most 52 characters). */
  readonly name: string;
  /** The policy (RTO, and the default timeout). */
  readonly disasterRecovery: DisasterRecoveryPolicy;
  /** The Velero Schedule whose newest completed backup is restored. */
  readonly scheduleName: string;
  /** Namespace the schedule backs up. */
  readonly sourceNamespace: string;
  /** Services that must become ready in the scratch namespace. */
  readonly services: readonly BackedUpService[];
  /** Velero's namespace: the drill runs there. @default 'velero' */
  readonly veleroNamespace?: string;
  /** Labels of every object. @default - `app.kubernetes.io/*` from the name */
  readonly labels?: Readonly<Record<string, string>>;
}

/**
 * A scheduled restore drill: a CronJob (Pod Security "restricted", on the
 * official Node.js image) that restores the newest completed backup of a
 * Velero schedule into a scratch namespace with a `velero.io/v1` Restore
 * (`namespaceMapping`), waits until the restored services have a ready
 * replica, pushes the measured restore time to a Pushgateway and deletes the
 * scratch namespace. Its ServiceAccount may only create, read and delete
 * Restores (it deletes its own after a failure), read Backups, read the
 * named workloads and read, label and delete the scratch namespace (which it
 * deletes only when it carries its own label, or was made by one of its
 * Restores).
 *
 * The restored services run in the scratch namespace with their own
 * ServiceAccounts, whose `eks.amazonaws.com/role-arn` a Velero resource
 * modifier rewrites to `roleArn` (or removes): the drill never runs with the
 * production roles. A model server that reads its artifacts through IRSA needs
 * that drill role (trusting `system:serviceaccount:<scratch>:<service account>`),
 * or it never becomes ready and the drill (rightly) fails.
 */
export class RestoreDrill extends Construct {
  /** Name of the drill's objects (also the `drill` metric label). */
  public readonly name: string;
  /** Namespace the backup is restored into. */
  public readonly scratchNamespace: string;
  /** Namespace the backup was taken of. */
  public readonly sourceNamespace: string;
  /** When the drill runs. */
  public readonly schedule: Cron;
  /** When the drill gives up. */
  public readonly timeout: Duration;
  /** Age after which a missing success alerts. */
  public readonly maxAge: Duration;
  /** The configuration the script reads. */
  public readonly config: RestoreDrillConfig;
  /** The CronJob. */
  public readonly cronJob: kplus.CronJob;
  /** The ConfigMap with the script and its configuration. */
  public readonly configMap: kplus.ConfigMap;
  /** The ServiceAccount of the drill's pods. */
  public readonly serviceAccount: kplus.ServiceAccount;
  /** The exact command the container runs. */
  public readonly command: readonly string[];
  /** The default-deny NetworkPolicy of the drill's pods (egress: DNS, the API server, the Pushgateway). */
  public readonly networkPolicy: kplus.k8s.KubeNetworkPolicy;
  /** The ValidatingAdmissionPolicy limiting the drill's Restores to its own backups and the scratch namespace (see {@link drillAdmissionRules}). */
  public readonly admission: ServiceAccountAdmissionPolicy;
  /** The ValidatingAdmissionPolicy limiting the namespaces the drill creates to its marked scratch namespace. */
  public readonly namespaceAdmission: ServiceAccountAdmissionPolicy;
  /** The Velero resource modifiers every drill Restore references: the restored ServiceAccounts' IRSA role, rewritten or removed. */
  public readonly resourceModifiers: kplus.ConfigMap;

  constructor(scope: Construct, id: string, props: RestoreDrillProps) {
    super(scope, id);
    checkChartAtSynth(this);
    const r = resolveDrill(new PropsValidator(this), props);
    this.name = r.name;
    this.sourceNamespace = r.sourceNamespace;
    this.scratchNamespace = r.scratchNamespace;
    this.schedule = r.schedule;
    this.timeout = r.timeout;
    this.maxAge = r.maxAge;

    // Workloads are read at construction; a canary that adopts a service later changes its workload.
    const workloads: DrillWorkload[] = props.services.map((s) => workloadOf(s.workload));
    addSynthCheck(this, () => props.services.flatMap((s, i) => s.workload.kind === workloads[i].kind && s.workload.name === workloads[i].name ? [] : [
      new ValidationError(this.node.path, `services[${i}]`, s.name,
        `service '${s.name}' is now run by ${s.workload.kind} ${s.workload.name}; create the backups after the canary so the drill waits for it`),
    ]));
    this.resourceModifiers = new kplus.ConfigMap(this, 'ResourceModifiers', {
      metadata: drillMetadata(r, resourceModifiersName(r.name)),
      // Velero reads a resource modifier ConfigMap with exactly one key.
      data: { 'resource-modifiers.yaml': Yaml.stringify(drillResourceModifiers(r)) },
    });
    this.config = drillConfig(r, workloads);

    this.configMap = new kplus.ConfigMap(this, 'Files', {
      metadata: drillMetadata(r, this.name),
      data: { 'restore-drill.js': readBundle('restore-drill'), 'config.json': `${stableJson(this.config, 2)}\n` },
    });
    this.serviceAccount = new kplus.ServiceAccount(this, 'ServiceAccount', { metadata: drillMetadata(r, this.name), automountToken: false });
    this.rbac(r, workloads);
    this.command = ['node', `${MOUNT}/restore-drill.js`, 'run', '--config', `${MOUNT}/config.json`];
    this.cronJob = this.renderCronJob(r);
    this.networkPolicy = jobNetworkPolicy(this, 'NetworkPolicy', {
      name: this.name, namespace: r.veleroNamespace, labels: r.labels, podLabels: r.labels, egress: { apiServer: true, urls: [r.pushgatewayUrl] }, network: r.network,
    });
    const rules = drillAdmissionRules(this.config);
    this.admission = serviceAccountAdmissionPolicy(this, {
      name: `${r.veleroNamespace}-${this.name}`,
      labels: r.labels,
      serviceAccount: { name: this.name, namespace: r.veleroNamespace },
      namespace: r.veleroNamespace,
      rules: [{ apiGroups: ['velero.io'], apiVersions: ['v1'], resources: ['restores'], operations: ['CREATE', 'DELETE'] }],
      validations: rules.restores,
    });
    this.namespaceAdmission = serviceAccountAdmissionPolicy(new Construct(this, 'Namespaces'), {
      name: `${r.veleroNamespace}-${this.name}-namespaces`,
      labels: r.labels,
      serviceAccount: { name: this.name, namespace: r.veleroNamespace },
      namespace: r.scratchNamespace,
      rules: [{ apiGroups: [''], apiVersions: ['v1'], resources: ['namespaces'], operations: ['CREATE'] }],
      validations: rules.namespaces,
    });
    this.node.defaultChild = this.cronJob;
  }

  /** The CronJob: Pod Security "restricted", one attempt, the script and its config mounted read-only. */
  private renderCronJob(r: ResolvedDrill): kplus.CronJob {
    const cronJob = new kplus.CronJob(this, 'CronJob', {
      metadata: drillMetadata(r, this.name),
      podMetadata: { labels: { ...r.labels } },
      select: false,
      schedule: this.schedule,
      timeZone: 'UTC',
      concurrencyPolicy: kplus.ConcurrencyPolicy.FORBID,
      startingDeadline: Duration.hours(1),
      successfulJobsRetained: 3,
      failedJobsRetained: 3,
      // A retry would be a second drill with a different result; the failure is reported as a metric instead.
      backoffLimit: 0,
      activeDeadline: Duration.seconds(this.timeout.toSeconds() + 900),
      serviceAccount: this.serviceAccount,
      // The drill talks to the Kubernetes API: the token is mounted for this pod only.
      automountServiceAccountToken: true,
      restartPolicy: kplus.RestartPolicy.NEVER,
      securityContext: restrictedPodSecurity(NODE_UID),
    });
    const container = cronJob.addContainer({
      name: 'drill',
      image: r.image,
      imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
      command: [...this.command],
      resources: {
        cpu: { request: kplus.Cpu.millis(50), limit: kplus.Cpu.millis(500) },
        memory: { request: Size.mebibytes(128), limit: Size.mebibytes(256) },
      },
      securityContext: restrictedContainerSecurity(NODE_UID),
    });
    container.mount(MOUNT, kplus.Volume.fromConfigMap(this, 'FilesVolume', this.configMap, { name: 'files' }), { readOnly: true });
    addPodSeccomp(ApiObject.of(cronJob), '/spec/jobTemplate/spec/template/spec');
    return cronJob;
  }

  /** Least privilege: Restores and Backups in Velero's namespace; the named workloads and the scratch namespace cluster-wide. */
  private rbac(r: ResolvedDrill, workloads: readonly DrillWorkload[]): void {
    const subject = { kind: 'ServiceAccount', name: this.name, namespace: r.veleroNamespace };
    new kplus.k8s.KubeRole(this, 'Role', {
      metadata: drillMetadata(r, this.name),
      rules: [
        { apiGroups: ['velero.io'], resources: ['backups'], verbs: ['get', 'list'] },
        // delete: a failed drill deletes its own Restore (Velero stops working on it), so it never blocks the next run.
        { apiGroups: ['velero.io'], resources: ['restores'], verbs: ['create', 'get', 'delete'] },
      ],
    });
    new kplus.k8s.KubeRoleBinding(this, 'RoleBinding', {
      metadata: drillMetadata(r, this.name),
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: this.name },
      subjects: [subject],
    });
    const byResource = new Map<string, { group: string; plural: string; names: string[] }>();
    for (const w of workloads) {
      const group = w.apiVersion.includes('/') ? w.apiVersion.split('/')[0] : '';
      const key = `${group}/${w.plural}`;
      const entry = byResource.get(key) ?? { group, plural: w.plural, names: [] };
      entry.names.push(w.name);
      byResource.set(key, entry);
    }
    // Cluster-scoped because the scratch namespace (and any RoleBinding in it) is deleted after each drill.
    const clusterRole = new kplus.k8s.KubeClusterRole(this, 'ClusterRole', {
      metadata: { name: this.name, labels: { ...r.labels } },
      rules: [
        // patch: the drill labels the namespace it restored into, so it only ever deletes its own.
        { apiGroups: [''], resources: ['namespaces'], resourceNames: [this.scratchNamespace], verbs: ['get', 'patch', 'delete'] },
        ...[...byResource.values()].map((r) => ({ apiGroups: [r.group], resources: [r.plural], resourceNames: [...new Set(r.names)].sort(), verbs: ['get'] })),
        // create cannot be limited by resourceNames: the namespace admission policy limits it to the marked scratch namespace.
        { apiGroups: [''], resources: ['namespaces'], verbs: ['create'] },
        // The scratch namespace gets the source namespace's labels (Pod Security level, mesh injection).
        { apiGroups: [''], resources: ['namespaces'], resourceNames: [this.sourceNamespace], verbs: ['get'] },
      ],
    });
    const clusterBinding = new kplus.k8s.KubeClusterRoleBinding(this, 'ClusterRoleBinding', {
      metadata: { name: this.name, labels: { ...r.labels } },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: this.name },
      subjects: [subject],
    });
    clusterScoped(ApiObject.of(clusterRole), ApiObject.of(clusterBinding));
  }
}

/** A {@link RestoreDrill}'s props, resolved and validated. */
interface ResolvedDrill {
  readonly name: string;
  readonly policy: DisasterRecoveryPolicy;
  readonly veleroNamespace: string;
  readonly scheduleName: string;
  readonly sourceNamespace: string;
  readonly scratchNamespace: string;
  readonly schedule: Cron;
  readonly timeout: Duration;
  readonly maxAge: Duration;
  readonly pushgatewayUrl: string;
  readonly excluded: readonly string[];
  readonly network?: Pick<EgressOptions, 'apiServerCidrs'>;
  readonly cleanup: boolean;
  readonly image: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly roleArn?: string;
}

function resolveDrill(v: PropsValidator, props: RestoreDrillProps): ResolvedDrill {
  const name = v.dnsLabel('name', props.name, 52);
  const policy = validateDisasterRecovery(v, 'disasterRecovery', props.disasterRecovery);
  const veleroNamespace = v.dnsLabel('veleroNamespace', props.veleroNamespace ?? 'velero');
  const sourceNamespace = v.dnsLabel('sourceNamespace', props.sourceNamespace);
  const scratchNamespace = v.dnsLabel('scratchNamespace', props.scratchNamespace ?? `${props.sourceNamespace}-drill`);
  const timeout = props.timeout ?? Duration.seconds(Math.max(600, 2 * policy.rto.toSeconds()));
  const maxAge = props.maxAge ?? Duration.days(8);
  const pushgatewayUrl = validateHttpUrl(v, 'pushgatewayUrl', props.pushgatewayUrl ?? DEFAULT_PUSHGATEWAY_URL);
  const excluded = props.excludedResources ?? DEFAULT_EXCLUDED;

  v.check(scratchNamespace !== sourceNamespace, 'scratchNamespace', scratchNamespace, 'must differ from the restored namespace: the drill deletes it afterwards');
  v.check(scratchNamespace !== veleroNamespace, 'scratchNamespace', scratchNamespace, "must not be Velero's namespace");
  v.seconds('timeout', timeout, 300, 24 * 3600);
  v.check(maxAge.toSeconds() >= 3600, 'maxAge', maxAge, 'must be at least 1 hour');
  v.check(timeout.toSeconds() >= policy.rto.toSeconds(), 'timeout', timeout,
    `must be at least the RTO (${humanDuration(policy.rto)}), or a slow restore is reported as failed rather than measured`);
  v.check(props.services.length > 0, 'services', props.services, 'must list at least one service to wait for');
  props.services.forEach((s, i) => {
    v.check(s.namespace === sourceNamespace, `services[${i}].namespace`, s.namespace, `must be the restored namespace '${sourceNamespace}'`);
  });
  excluded.forEach((r, i) => v.matches(`excludedResources[${i}]`, r, /^[a-z0-9.-]+$/, 'must be a resource name such as servicemonitors.monitoring.coreos.com'));
  const schedule = props.schedule ?? Cron.schedule({ minute: '0', hour: '4', weekDay: '1' });
  validateSchedule(v, 'schedule', schedule);
  if (props.image !== undefined) validatePinnedImage(v, 'image', props.image);
  if (props.roleArn !== undefined) {
    v.matches('roleArn', props.roleArn, /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/, 'must be an IAM role ARN (arn:aws:iam::<account>:role/<name>)');
  }

  return {
    name, policy, veleroNamespace, scheduleName: props.scheduleName, sourceNamespace, scratchNamespace, timeout, maxAge, pushgatewayUrl,
    excluded: [...new Set([...excluded, ...DRILL_MESH_RESOURCES])],
    network: props.network,
    schedule,
    cleanup: props.cleanup ?? true,
    image: props.image ?? NODE_IMAGE,
    roleArn: props.roleArn,
    labels: props.labels ?? { 'app.kubernetes.io/name': name, 'app.kubernetes.io/instance': name, 'app.kubernetes.io/managed-by': MANAGED_BY },
  };
}

/** What the drill script reads: the Restore to create (from the schedule, mapped into the scratch namespace) and what to wait for. */
function drillConfig(r: ResolvedDrill, workloads: readonly DrillWorkload[]): RestoreDrillConfig {
  // What Restore.manifest() renders, typed as a record.
  const restore: Record<string, unknown> = {
    ...Restore.GVK,
    ...toJson_RestoreProps({
      metadata: { namespace: r.veleroNamespace, labels: { ...r.labels } },
      spec: {
        scheduleName: r.scheduleName,
        includedNamespaces: [r.sourceNamespace],
        namespaceMapping: { [r.sourceNamespace]: r.scratchNamespace },
        excludedResources: [...r.excluded],
        restorePVs: true,
        resourceModifier: { kind: RESOURCE_MODIFIER_KIND, name: resourceModifiersName(r.name) },
      },
    }),
  };
  return {
    drill: r.name,
    veleroNamespace: r.veleroNamespace,
    schedule: r.scheduleName,
    sourceNamespace: r.sourceNamespace,
    scratchNamespace: r.scratchNamespace,
    restore,
    workloads: [...workloads],
    timeoutSeconds: r.timeout.toSeconds(),
    rtoSeconds: r.policy.rto.toSeconds(),
    pollSeconds: 10,
    pushgatewayUrl: r.pushgatewayUrl,
    cleanup: r.cleanup,
  };
}

/** Velero's `resourceModifier.kind` for a ConfigMap (`ConfigmapRefType`, vmware-tanzu/velero internal/resourcemodifiers). */
const RESOURCE_MODIFIER_KIND = 'configmap';

/** Name of a drill's resource modifier ConfigMap. */
function resourceModifiersName(drill: string): string {
  return `${drill}-modifiers`;
}

/**
 * The drill's Velero resource modifiers: one JSON merge patch on every restored ServiceAccount that sets
 * `eks.amazonaws.com/role-arn` to the drill's role, or removes it (`null`) when the drill has none, so no
 * restored pod in the scratch namespace is handed the production role. The condition names both the source
 * namespace and the scratch namespace (Velero matches the backed-up namespace since vmware-tanzu/velero#6724).
 * Restored pods keep the role ARN the IRSA webhook wrote into their spec, but their tokens are for the scratch
 * namespace's ServiceAccounts, which a production role's trust does not name.
 * @see https://velero.io/docs/main/restore-resource-modifiers/
 */
function drillResourceModifiers(r: ResolvedDrill): Record<string, unknown> {
  const patch = { metadata: { annotations: { [IRSA_ROLE_ARN_ANNOTATION]: r.roleArn ?? null } } };
  return {
    version: 'v1',
    resourceModifierRules: [{
      conditions: { groupResource: 'serviceaccounts', namespaces: [r.sourceNamespace, r.scratchNamespace] },
      mergePatches: [{ patchData: JSON.stringify(patch) }],
    }],
  };
}

/** Metadata of the drill's namespaced objects. */
function drillMetadata(r: ResolvedDrill, name: string): { name: string; namespace: string; labels: Record<string, string> } {
  return { name, namespace: r.veleroNamespace, labels: { ...r.labels } };
}

function workloadOf(w: WorkloadReference): DrillWorkload {
  return { apiVersion: w.apiVersion, kind: w.kind, plural: `${w.kind.toLowerCase()}s`, name: w.name };
}

/**
 * The CEL of the drill's admission policies. RBAC lets the drill create and
 * delete Restores and create namespaces but cannot say which; the policies
 * admit only: a Restore marked as this drill's, of one of its schedule's
 * backups (Velero names them `<schedule>-<YYYYMMDDhhmmss>`), of exactly the
 * source namespace into exactly the scratch namespace (`includedNamespaces`,
 * `namespaceMapping`), excluding at least the configured resources, with no
 * restore hooks (they run commands and init containers in restored pods), with
 * exactly its own resource modifiers (which rewrite the restored ServiceAccounts'
 * IAM role; the drill cannot edit that ConfigMap) and no `existingResourcePolicy: update` (Velero API
 * types: vmware-tanzu/velero pkg/apis/velero/v1/restore_types.go); the
 * deletion of the drill's own Restores only; and the creation of the scratch
 * namespace, marked, only. Exported for tests, which evaluate it.
 */
export function drillAdmissionRules(config: RestoreDrillConfig): { readonly restores: AdmissionValidation[]; readonly namespaces: AdmissionValidation[] } {
  const mark = celString(DRILL_MARK_LABEL);
  const drill = celString(config.drill);
  const create = (expression: string, message: string) => ({ expression: `request.operation != 'CREATE' || (${expression})`, message });
  const marked = (o: string) => `has(${o}.metadata.labels) && ${mark} in ${o}.metadata.labels && ${o}.metadata.labels[${mark}] == ${drill}`;
  const spec = 'object.spec';
  const excluded = `[${restoreExcluded(config).map(celString).join(', ')}]`;
  const backupPattern = celString(`^${config.schedule.replace(/[.]/g, '\\.')}-[0-9]{14}$`);
  return {
    restores: [
      create(marked('object'), `the drill may only create Restores labelled ${DRILL_MARK_LABEL}=${config.drill}`),
      create(`!has(${spec}.scheduleName) && has(${spec}.backupName) && ${spec}.backupName.matches(${backupPattern})`,
        `the drill may only restore backups of schedule ${config.schedule}`),
      create(`has(${spec}.includedNamespaces) && ${spec}.includedNamespaces == [${celString(config.sourceNamespace)}] && `
        + `has(${spec}.namespaceMapping) && ${spec}.namespaceMapping == {${celString(config.sourceNamespace)}: ${celString(config.scratchNamespace)}}`,
      `the drill may only restore namespace ${config.sourceNamespace} into ${config.scratchNamespace}`),
      create(`has(${spec}.excludedResources) && ${excluded}.all(r, r in ${spec}.excludedResources) && !has(${spec}.includedResources) && `
        + `(!has(${spec}.includeClusterResources) || ${spec}.includeClusterResources == false)`,
      'the drill must exclude the configured resources (mesh objects included) and may not include cluster resources'),
      create(`!has(${spec}.hooks) && (!has(${spec}.existingResourcePolicy) || ${spec}.existingResourcePolicy == 'none')`,
        'the drill may not use restore hooks or existingResourcePolicy update'),
      create(`has(${spec}.resourceModifier) && ${spec}.resourceModifier.kind == ${celString(RESOURCE_MODIFIER_KIND)} && `
        + `${spec}.resourceModifier.name == ${celString(resourceModifiersName(config.drill))} && (!has(${spec}.resourceModifier.apiGroup) || ${spec}.resourceModifier.apiGroup == '')`,
      `the drill's Restores must use its own resource modifiers (ConfigMap ${resourceModifiersName(config.drill)}: the restored ServiceAccounts' IAM role)`),
      { expression: `request.operation != 'DELETE' || (${marked('oldObject')})`, message: `the drill may only delete Restores labelled ${DRILL_MARK_LABEL}=${config.drill}` },
    ],
    namespaces: [{
      expression: `object.metadata.name == ${celString(config.scratchNamespace)} && ${marked('object')}`,
      message: `the drill may only create namespace ${config.scratchNamespace}, labelled ${DRILL_MARK_LABEL}=${config.drill}`,
    }],
  };
}

/** The `excludedResources` of the drill's Restore. */
function restoreExcluded(config: RestoreDrillConfig): string[] {
  const spec = config.restore.spec;
  const excluded = typeof spec === 'object' && spec !== null && 'excludedResources' in spec ? spec.excludedResources : undefined;
  return Array.isArray(excluded) ? excluded.map(String) : [];
}
