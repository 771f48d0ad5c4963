import { AlertDefinition } from '../monitoring/monitoring';
import { BackupStores, DisasterRecoveryPolicy, humanDuration, retentionDays } from '../policy/disaster-recovery';

/** A bucket that is versioned and (with a DR region) replicated, as the runbook names it. */
export interface ReplicatedBucketBinding {
  /** What the bucket holds, for example `model-artifacts`. */
  readonly purpose: string;
  /** Bucket name. */
  readonly bucketName: string;
  /** Name of the replica bucket in the DR region. @default - not replicated */
  readonly replicaBucketName?: string;
}

/** An ElastiCache replication group the runbook restores from a snapshot. */
export interface ElastiCacheRestoreBinding {
  /** Replication group id. */
  readonly replicationGroupId: string;
  /** Node type of the restored group. @default - a `<cache-node-type>` placeholder */
  readonly cacheNodeType?: string;
  /** Engine. @default 'valkey' */
  readonly engine?: string;
  /** Cache subnet group. @default - a `<cache-subnet-group>` placeholder */
  readonly subnetGroupName?: string;
  /** Security groups. @default - a `<security-group-id>` placeholder */
  readonly securityGroupIds?: readonly string[];
}

/**
 * The AWS names a restore runbook needs (plain strings: from the outputs of
 * `PlatformBackupsAws.runbookBinding`, plus the stores other components own).
 */
export interface DisasterRecoveryAwsBinding {
  /** Primary region. */
  readonly region: string;
  /** AWS Backup vault in the primary region. @default - no AWS Backup section */
  readonly backupVaultName?: string;
  /** AWS Backup vault in the DR region. @default - none */
  readonly drBackupVaultName?: string;
  /** Schedule expression of the backup plan's snapshot rule. @default - not shown */
  readonly backupSchedule?: string;
  /** Whether the plan also keeps continuous backups (point-in-time restore of RDS, Aurora, S3). @default false */
  readonly continuousBackup?: boolean;
  /** IAM role AWS Backup restores with. @default - a `<backup-role-arn>` placeholder */
  readonly backupRoleArn?: string;
  /** Tag that selects resources for the backup plan, `key=value`. @default - not shown */
  readonly selectionTag?: string;
  /** Versioned (and replicated) buckets. @default - none */
  readonly buckets?: readonly ReplicatedBucketBinding[];
  /** Velero's bucket. @default - not shown */
  readonly veleroBucketName?: string;
  /** Replica of Velero's bucket in the DR region. @default - none */
  readonly veleroReplicaBucketName?: string;
  /** DynamoDB tables with point-in-time recovery. @default - none */
  readonly dynamoDbTables?: readonly string[];
  /** ElastiCache replication groups with automatic snapshots. @default - none */
  readonly elastiCacheReplicationGroups?: readonly ElastiCacheRestoreBinding[];
}

/** One Velero Schedule as the runbook names it. */
export interface VeleroScheduleBinding {
  /** Schedule name (also the `velero.io/schedule-name` label of its backups). */
  readonly name: string;
  /** The namespace it backs up. */
  readonly namespace: string;
  /** Cron expression (UTC). */
  readonly cron: string;
  /** Backup TTL. */
  readonly ttl: string;
}

/** A workload whose readiness proves a restore worked. */
export interface RunbookWorkload {
  /** Namespace. */
  readonly namespace: string;
  /** Kind: `Deployment` or `Rollout`. */
  readonly kind: string;
  /** Name. */
  readonly name: string;
}

/** The Kubernetes half of a restore runbook. */
export interface VeleroRunbookBinding {
  /** Velero's namespace. */
  readonly namespace: string;
  /** BackupStorageLocation the schedules write to. */
  readonly storageLocation: string;
  /** How volume data is backed up, in words. */
  readonly volumeBackup: string;
  /** The schedules. */
  readonly schedules: readonly VeleroScheduleBinding[];
  /** Workloads to check after a restore. @default - none */
  readonly workloads?: readonly RunbookWorkload[];
  /** The restore drill, if any. @default - none */
  readonly drill?: { readonly cronJobName: string; readonly namespace: string; readonly scratchNamespace: string; readonly schedule: string };
}

/** Everything {@link renderRestoreRunbook} needs. */
export interface RestoreRunbookInput {
  /** Name of the backup set (title, file name). */
  readonly name: string;
  /** The policy the backups were derived from. */
  readonly policy: DisasterRecoveryPolicy;
  /** Velero schedules and workloads. @default - no Kubernetes section */
  readonly velero?: VeleroRunbookBinding;
  /** AWS names. @default - no AWS sections */
  readonly aws?: DisasterRecoveryAwsBinding;
  /** Alerts of the backups, linked to their own runbooks. @default - none */
  readonly alerts?: readonly AlertDefinition[];
}

const fence = (lines: readonly string[]): string => ['```sh', ...lines, '```'].join('\n');

/** A shell line that stops with `what` unless the reader has set `name` (no `<placeholder>` to miss). */
const required = (name: string, what: string): string[] => [`: "\${${name}:?set ${name} to ${what.replace(/['"`$\\]/g, '')}}"`];

/** A command printing the name of the newest completed backup of a Velero schedule. */
const newestBackup = (ns: string, schedule: string): string =>
  `kubectl -n ${ns} get backups.velero.io -l velero.io/schedule-name=${schedule} -o json | jq -r '[.items[] | select(.status.phase == "Completed")] | sort_by(.status.completionTimestamp) | last | .metadata.name'`;
const code = (s: string): string => `\`${s}\``;

/** What every section of the runbook reads. */
interface RunbookContext {
  readonly p: DisasterRecoveryPolicy;
  readonly aws?: DisasterRecoveryAwsBinding;
  readonly velero?: VeleroRunbookBinding;
  /** Primary region (or a placeholder). */
  readonly region: string;
  /** Retention in days. */
  readonly days: number;
  /** How long to wait for one workload to become ready. */
  readonly waitTimeout: string;
}

/** A numbered section: its lines, or undefined when it does not apply. */
type Section = (c: RunbookContext, n: number) => string[] | undefined;

/**
 * Renders the restore runbook: the RPO/RTO it was built for, what is backed
 * up how often, and per store the exact commands (Velero restore from the
 * schedule, S3 object version restore, DynamoDB point-in-time restore,
 * ElastiCache restore from a snapshot, AWS Backup restore jobs), each with
 * how to verify it. Deterministic: no dates, stable order.
 */
export function renderRestoreRunbook(input: RestoreRunbookInput): string {
  const p = input.policy;
  const c: RunbookContext = {
    p,
    aws: input.aws,
    velero: input.velero,
    region: input.aws?.region ?? '<region>',
    days: retentionDays(p.retention),
    // Half the RTO for one workload to become ready, at least 5 minutes.
    waitTimeout: `${Math.max(5, Math.ceil(p.rto.toSeconds() / 120))}m`,
  };
  const out: string[] = [...objectives(input.name, p), ...inventory(c), ...beforeYouStart(p)];
  let section = 1;
  for (const render of [veleroSection, s3Section, dynamoDbSection, elastiCacheSection, awsBackupSection]) {
    const lines = render(c, section);
    if (lines) {
      out.push(...lines);
      section++;
    }
  }
  out.push(...closing(c, section), ...alertLinks(input.alerts ?? []));
  return `${out.join('\n').replace(/\n{3,}/g, '\n\n').trimEnd()}\n`;
}

function objectives(name: string, p: DisasterRecoveryPolicy): string[] {
  return [
    `# Restore runbook: ${name}`, '',
    'Generated by ml-platform-constructs from the disaster-recovery policy; regenerate it instead of editing it.', '',
    '| Objective | Value |', '|---|---|',
    `| RPO (most data a restore may lose) | ${humanDuration(p.rpo)} |`,
    `| RTO (longest a restore may take) | ${humanDuration(p.rto)} |`,
    `| Retention | ${humanDuration(p.retention)} |`,
    `| DR region | ${p.drRegion ?? 'none (no cross-region copies)'} |`,
    `| Immutable backups | ${p.immutable ? 'yes (AWS Backup Vault Lock)' : 'no'} |`, '',
  ];
}

function inventory({ p, aws, velero, days }: RunbookContext): string[] {
  const out = ['## What is backed up, and how often', '', '| Data | Mechanism | Schedule (UTC) | Kept | Copy in the DR region |', '|---|---|---|---|---|'];
  for (const s of velero?.schedules ?? []) {
    const copy = aws?.veleroReplicaBucketName ? `replica bucket ${code(aws.veleroReplicaBucketName)}`
      : p.drRegion ? `replica of Velero's bucket in ${p.drRegion} (made by the AWS half)` : 'none';
    out.push(`| Namespace ${code(s.namespace)} | Velero Schedule ${code(s.name)} (${velero?.volumeBackup ?? ''}) | ${code(s.cron)} | ${code(s.ttl)} | ${copy} |`);
  }
  if (aws?.backupVaultName) {
    const selection = aws.selectionTag ? `resources tagged ${code(aws.selectionTag)}` : 'selected resources';
    out.push(`| AWS ${selection} | AWS Backup vault ${code(aws.backupVaultName)}${aws.continuousBackup ? ' (snapshots + continuous backup)' : ''} | ${aws.backupSchedule ? code(aws.backupSchedule) : '-'} | ${days} days | ${aws.drBackupVaultName ? `vault ${code(aws.drBackupVaultName)} (${p.drRegion})` : 'none'} |`);
  }
  for (const b of aws?.buckets ?? []) {
    out.push(`| ${b.purpose} (bucket ${code(b.bucketName)}) | S3 versioning${b.replicaBucketName ? ' + cross-region replication' : ''} | every write | old versions ${days} days | ${b.replicaBucketName ? code(b.replicaBucketName) : 'none'} |`);
  }
  for (const t of aws?.dynamoDbTables ?? []) {
    out.push(`| DynamoDB table ${code(t)} | point-in-time recovery | continuous (restorable to about ${humanDuration(BackupStores.DYNAMODB_PITR.bestRpo)} ago) | ${Math.min(35, days)} days | through AWS Backup copies |`);
  }
  for (const g of aws?.elastiCacheReplicationGroups ?? []) {
    out.push(`| ElastiCache ${code(g.replicationGroupId)} | automatic snapshots | daily | ${Math.min(35, days)} days | none |`);
  }
  out.push('');
  return out;
}

function beforeYouStart(p: DisasterRecoveryPolicy): string[] {
  return [
    '## Before you start', '',
    `1. Start a timer: the restore must finish within the RTO, ${humanDuration(p.rto)}. Write down when the data was last known good: the restore point must be no older than the RPO, ${humanDuration(p.rpo)}.`,
    '2. Have `kubectl` (context of the target cluster), the `velero` CLI and AWS CLI v2 with credentials for the account at hand.',
    '3. Pause GitOps auto-sync (for example Argo CD) for the namespaces you restore, or it fights the restore; resume it at the end.',
    '4. Decide in place or side by side: Velero does not overwrite objects that still exist (it skips them with a warning). Restore side by side with a namespace mapping, or delete the broken namespace first.', '',
  ];
}

const veleroSection: Section = (c, section) => {
  const velero = c.velero;
  if (!velero) {
    return undefined;
  }
  const out = [`## ${section}. Kubernetes namespaces (Velero)`, ''];
  velero.schedules.forEach((s, i) => out.push(...veleroSchedule(c, velero, s, `${section}.${i + 1}`)));
  out.push(...veleroDrRegion(c, velero, `${section}.${velero.schedules.length + 1}`));
  return out;
};

function veleroSchedule({ waitTimeout }: RunbookContext, velero: VeleroRunbookBinding, s: VeleroScheduleBinding, number: string): string[] {
  const ns = velero.namespace;
  const workloads = (velero.workloads ?? []).filter((w) => w.namespace === s.namespace);
  return [
    `### ${number} Namespace ${code(s.namespace)} from schedule ${code(s.name)}`, '',
    'List its backups (newest last) and check the newest completed one is within the RPO:', '',
    fence([`velero -n ${ns} backup get --selector velero.io/schedule-name=${s.name}`]), '',
    'Restore the newest successful backup of the schedule in place (after deleting the broken namespace):', '',
    fence([
      `RESTORE=${s.name}-$(date -u +%Y%m%d%H%M%S)`,
      `velero -n ${ns} restore create "$RESTORE" --from-schedule ${s.name} --include-namespaces ${s.namespace} --wait`,
      `velero -n ${ns} restore describe "$RESTORE" --details`,
      `velero -n ${ns} restore logs "$RESTORE"`,
    ]), '',
    'Or side by side, into a new namespace:', '',
    fence([
      `RESTORE=${s.name}-side-by-side-$(date -u +%Y%m%d%H%M%S)`,
      `velero -n ${ns} restore create "$RESTORE" --from-schedule ${s.name} --include-namespaces ${s.namespace} --namespace-mappings ${s.namespace}:${s.namespace}-restored --wait`,
    ]), '',
    'Verify: the restore phase is `Completed` (not `PartiallyFailed`), the pods are ready and volumes are bound:', '',
    fence([
      `velero -n ${ns} restore get "$RESTORE"`,
      ...workloads.map((w) => w.kind === 'Deployment'
        ? `kubectl -n ${w.namespace} rollout status deployment/${w.name} --timeout=${waitTimeout}`
        : `kubectl -n ${w.namespace} wait ${w.kind.toLowerCase()}/${w.name} --for=jsonpath='{.status.phase}'=Healthy --timeout=${waitTimeout}`),
      `kubectl -n ${s.namespace} get pods,pvc`,
    ]), '',
  ];
}

function veleroDrRegion({ p, aws }: RunbookContext, velero: VeleroRunbookBinding, number: string): string[] {
  const ns = velero.namespace;
  const out = [`### ${number} In the DR region (the primary region is lost)`, ''];
  if (!p.drRegion) {
    out.push('Not prepared: the policy has no DR region, so a region loss loses the Kubernetes backups too.', '');
    return out;
  }
  if (!aws?.veleroReplicaBucketName) {
    out.push(`The policy replicates to ${p.drRegion}, but this runbook was rendered without the AWS names: the replica of Velero's bucket is created by the AWS half (\`PlatformBackupsAws\`). Pass its \`runbookBinding\` output as the \`aws\` prop of the backups to get the exact commands here; until then read the replica bucket's name from the stack outputs and follow the steps below with it.`, '');
    out.push(fence([
      ...required('REPLICA_BUCKET', `the replica of the Velero bucket in ${p.drRegion} (stack output of PlatformBackupsAws)`),
      `velero -n ${ns} backup-location create dr-replica --provider aws --bucket "$REPLICA_BUCKET" --config region=${p.drRegion} --access-mode ReadOnly`,
      ...velero.schedules.flatMap((s) => [
        `BACKUP=$(${newestBackup(ns, s.name)})`,
        `velero -n ${ns} restore create "${s.name}-dr-$(date -u +%Y%m%d%H%M%S)" --from-backup "$BACKUP" --wait`,
      ]),
    ]), '');
    return out;
  }
  out.push(`Install Velero in the DR cluster with an IAM role that can read the replica bucket, then add the replica as a read-only location; Velero syncs its backups into the cluster. Schedules are not synced, so restore ${code('--from-backup')}:`, '');
  out.push(fence([
    `velero -n ${ns} backup-location create dr-replica --provider aws --bucket ${aws.veleroReplicaBucketName} --config region=${p.drRegion} --access-mode ReadOnly`,
    `velero -n ${ns} backup-location get`,
    ...velero.schedules.map((s) => `velero -n ${ns} backup get --selector velero.io/schedule-name=${s.name}`),
    ...velero.schedules.flatMap((s) => [
      `BACKUP=$(${newestBackup(ns, s.name)})`,
      `velero -n ${ns} restore create "${s.name}-dr-$(date -u +%Y%m%d%H%M%S)" --from-backup "$BACKUP" --wait`,
    ]),
  ]), '');
  return out;
}

const s3Section: Section = ({ p, aws, region }, section) => {
  const buckets = aws?.buckets ?? [];
  if (buckets.length === 0) {
    return undefined;
  }
  const out = [
    `## ${section}. S3 objects (versioned buckets)`, '',
    'Every overwrite and delete keeps the previous version. Find the version that was good, then copy it over the current one, or remove the delete marker:', '',
  ];
  for (const b of buckets) {
    out.push(`### ${b.purpose}: ${code(b.bucketName)}`, '');
    out.push('List the versions of the object, then either copy the good version over the current one or delete the delete marker that hides it:', '');
    out.push(fence([
      ...required('KEY', 'the key of the object to restore'),
      `aws s3api list-object-versions --bucket ${b.bucketName} --prefix "$KEY" --region ${region} --query '[Versions[].[VersionId,LastModified,IsLatest],DeleteMarkers[].[VersionId,LastModified,IsLatest]]' --output table`,
    ]), '', fence([
      ...required('GOOD_VERSION', 'the VersionId of the good version, from the list above'),
      `aws s3api copy-object --bucket ${b.bucketName} --key "$KEY" --copy-source "${b.bucketName}/$KEY?versionId=$GOOD_VERSION" --region ${region}`,
    ]), '', 'Or, when the object was deleted:', '', fence([
      ...required('DELETE_MARKER', 'the VersionId of the delete marker, from the list above'),
      `aws s3api delete-object --bucket ${b.bucketName} --key "$KEY" --version-id "$DELETE_MARKER" --region ${region}`,
    ]), '', fence([`aws s3api head-object --bucket ${b.bucketName} --key "$KEY" --region ${region}`]), '');
    if (b.replicaBucketName && p.drRegion) {
      out.push(`Region lost: read from the replica ${code(b.replicaBucketName)} in ${p.drRegion} (point ${code('MODEL_URI')} and IAM read grants at it), and copy back once the region returns:`, '');
      out.push(fence([
        `aws s3 ls s3://${b.replicaBucketName}/ --region ${p.drRegion}`,
        `aws s3 sync s3://${b.replicaBucketName}/ s3://${b.bucketName}/ --source-region ${p.drRegion} --region ${region}`,
      ]), '');
    }
  }
  out.push('Verify: `head-object` shows the expected `VersionId`, `ETag` and `LastModified`; the model server reloads and `/ready` answers 200.', '');
  return out;
};

const dynamoDbSection: Section = ({ aws, region }, section) => {
  const tables = aws?.dynamoDbTables ?? [];
  if (tables.length === 0) {
    return undefined;
  }
  const out = [
    `## ${section}. DynamoDB tables (point-in-time recovery)`, '',
    'A point-in-time restore creates a new table. It does not carry over auto scaling, TTL, tags, streams, alarms or point-in-time recovery itself: re-apply them (or `pulumi import` the restored table) before switching readers to it.', '',
  ];
  for (const t of tables) {
    out.push(`### ${code(t)}`, '');
    out.push(fence([
      `aws dynamodb describe-continuous-backups --table-name ${t} --region ${region}`,
      ...required('RESTORE_TIME', 'the last known good time, for example 2026-01-31T12:00:00Z'),
      `aws dynamodb restore-table-to-point-in-time --source-table-name ${t} --target-table-name ${t}-restored --restore-date-time "$RESTORE_TIME" --region ${region}`,
      '# or, to the latest restorable time: --use-latest-restorable-time instead of --restore-date-time',
      `aws dynamodb wait table-exists --table-name ${t}-restored --region ${region}`,
      `aws dynamodb update-continuous-backups --table-name ${t}-restored --point-in-time-recovery-specification PointInTimeRecoveryEnabled=true --region ${region}`,
      `aws dynamodb describe-table --table-name ${t}-restored --query 'Table.[TableStatus,ItemCount]' --region ${region}`,
    ]), '');
  }
  out.push('Verify: the restored table is `ACTIVE`, spot-check items written just before the restore point, then point the feature store at it.', '');
  return out;
};

const elastiCacheSection: Section = ({ aws, region }, section) => {
  const groups = aws?.elastiCacheReplicationGroups ?? [];
  if (groups.length === 0) {
    return undefined;
  }
  const out = [
    `## ${section}. ElastiCache (restore from a snapshot)`, '',
    'A snapshot restores into a new replication group (ids are at most 40 characters). An online feature store can also be rebuilt by materializing from the offline store.', '',
  ];
  for (const g of groups) {
    const id = g.replicationGroupId;
    out.push(`### ${code(id)}`, '');
    out.push(fence([
      ...(g.cacheNodeType ? [] : required('CACHE_NODE_TYPE', `the node type of ${id}`)),
      ...(g.subnetGroupName ? [] : required('CACHE_SUBNET_GROUP', `the cache subnet group of ${id}`)),
      ...(g.securityGroupIds ? [] : required('SECURITY_GROUP_IDS', `the security group ids of ${id}, space separated`)),
      `SNAPSHOT=$(aws elasticache describe-snapshots --replication-group-id ${id} --region ${region} --query 'sort_by(Snapshots,&NodeSnapshots[0].SnapshotCreateTime)[-1].SnapshotName' --output text)`,
      `aws elasticache create-replication-group --replication-group-id ${id}-restored --replication-group-description "restore of ${id}" --snapshot-name "$SNAPSHOT" --engine ${g.engine ?? 'valkey'} --cache-node-type ${g.cacheNodeType ?? '"$CACHE_NODE_TYPE"'} --cache-subnet-group-name ${g.subnetGroupName ?? '"$CACHE_SUBNET_GROUP"'} --security-group-ids ${g.securityGroupIds ? g.securityGroupIds.join(' ') : '$SECURITY_GROUP_IDS'} --region ${region}`,
      `aws elasticache wait replication-group-available --replication-group-id ${id}-restored --region ${region}`,
      `aws elasticache describe-replication-groups --replication-group-id ${id}-restored --query 'ReplicationGroups[0].[Status,NodeGroups[0].PrimaryEndpoint.Address]' --region ${region}`,
    ]), '');
  }
  out.push('Verify: the group is `available`; read a few known keys through the new endpoint before switching the feature server to it.', '');
  return out;
};

const awsBackupSection: Section = ({ p, aws, region }, section) => {
  if (!aws?.backupVaultName) {
    return undefined;
  }
  const role = aws.backupRoleArn ?? '"$BACKUP_ROLE_ARN"';
  const out = [
    `## ${section}. AWS Backup recovery points`, '',
    `Everything the backup plan protects has recovery points in ${code(aws.backupVaultName)}${aws.drBackupVaultName ? ` and copies in ${code(aws.drBackupVaultName)} (${p.drRegion})` : ''}. A restore job creates a new resource from a recovery point:`, '',
  ];
  const vaults: Array<[string, string]> = [[aws.backupVaultName, region]];
  if (aws.drBackupVaultName && p.drRegion) {
    vaults.push([aws.drBackupVaultName, p.drRegion]);
  }
  for (const [vault, r] of vaults) {
    out.push(fence([
      ...(aws.backupRoleArn ? [] : required('BACKUP_ROLE_ARN', 'the IAM role AWS Backup restores with')),
      ...required('RESOURCE_ARN', 'the ARN of the protected resource to restore'),
      `aws backup list-recovery-points-by-backup-vault --backup-vault-name ${vault} --by-resource-arn "$RESOURCE_ARN" --region ${r} --query 'RecoveryPoints[].[RecoveryPointArn,CreationDate,Status]' --output table`,
      `RECOVERY_POINT=$(aws backup list-recovery-points-by-backup-vault --backup-vault-name ${vault} --by-resource-arn "$RESOURCE_ARN" --region ${r} --query 'sort_by(RecoveryPoints[?Status==\`COMPLETED\`],&CreationDate)[-1].RecoveryPointArn' --output text)`,
      `aws backup get-recovery-point-restore-metadata --backup-vault-name ${vault} --recovery-point-arn "$RECOVERY_POINT" --region ${r} --query RestoreMetadata > restore-metadata.json`,
      '# edit restore-metadata.json: set the new resource name (each resource type names it differently)',
      `JOB_ID=$(aws backup start-restore-job --recovery-point-arn "$RECOVERY_POINT" --iam-role-arn ${role} --metadata file://restore-metadata.json --region ${r} --query RestoreJobId --output text)`,
      `aws backup describe-restore-job --restore-job-id "$JOB_ID" --region ${r}`,
    ]), '');
  }
  out.push('Verify: the restore job is `COMPLETED` and the new resource answers; then switch readers to it.', '');
  return out;
};

function closing({ p, velero }: RunbookContext, section: number): string[] {
  const out = [
    `## ${section}. Close the restore`, '',
    `1. Stop the timer and compare with the RTO (${humanDuration(p.rto)}); compare the restore point with the RPO (${humanDuration(p.rpo)}).`,
    '2. Resume GitOps sync; check the model services answer `/ready` and their alerts are quiet.',
    '3. Write the post-incident note: what was lost, how long the restore took, what to change (policy, drill, runbook).', '',
  ];
  const d = velero?.drill;
  if (d) {
    out.push('## Restore drill', '');
    out.push(`The CronJob ${code(d.cronJobName)} (namespace ${code(d.namespace)}, schedule ${code(d.schedule)}) restores the newest backup into ${code(d.scratchNamespace)}, waits for the model services to become ready, pushes the measured restore time and deletes the scratch namespace. Run it by hand after install and after every change to this runbook:`, '');
    out.push(fence([
      `JOB=${d.cronJobName}-manual-$(date -u +%s)`,
      `kubectl -n ${d.namespace} create job --from=cronjob/${d.cronJobName} "$JOB"`,
      `kubectl -n ${d.namespace} wait "job/$JOB" --for=condition=complete --timeout=${Math.ceil((2 * p.rto.toSeconds()) / 60)}m`,
      `kubectl -n ${d.namespace} logs "job/$JOB"`,
    ]), '');
  }
  return out;
}

function alertLinks(alerts: readonly AlertDefinition[]): string[] {
  if (alerts.length === 0) {
    return [];
  }
  // The restore runbook lives in the same folder as the alerts' runbooks: link relative
  // runbook URLs by file name (a `runbooks/x.md` link from `runbooks/` would not resolve).
  const href = (url: string): string => (/^[a-z]+:\/\//i.test(url) ? url : url.split('/').pop() ?? url);
  return ['## Alerts', '', 'Each alert of these backups has its own runbook:', '', ...alerts.map((a) => `- [${a.name}](${href(a.runbookUrl)}) (${a.severity}): ${a.summary}`), ''];
}
